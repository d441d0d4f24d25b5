//! A bounded, durable spool of readings on local disk, for while the database is
//! unreachable.
//!
//! Each batch is one segment file, written to a temporary name, flushed to disk and renamed
//! (so a crash never leaves half a segment under a segment's name), numbered in arrival
//! order. [`Spool::oldest`] hands segments back in that order for replay; replays are safe to
//! repeat because ingest is idempotent on `(sensor_id, timestamp)`. When the spool would
//! exceed its size limit the oldest segments are dropped — with an error in the log and a
//! counter, never silently.

use std::fs::{self, File};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use grid_timescale::ingest::Reading;
use uuid::Uuid;

const MAGIC: &[u8; 8] = b"GSSPOOL1";
/// sensor (16) + timestamp µs (8) + value (8) + quality (8).
const RECORD: usize = 40;

/// Spool errors.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The file system refused.
    #[error("spool {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What a push did to stay within the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dropped {
    /// Segments dropped.
    pub segments: u64,
    /// Readings in them.
    pub readings: u64,
}

/// The spool.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    /// (sequence, size in bytes), oldest first.
    segments: Vec<(u64, u64)>,
    next: u64,
    dropped_total: Dropped,
    corrupt_total: u64,
}

impl Spool {
    /// Opens (creating) the spool in `dir`, keeping at most `max_bytes` of segments. Leftover
    /// temporary files of a crash are removed; unreadable segments are set aside as
    /// `*.corrupt` and counted.
    pub fn open(dir: impl Into<PathBuf>, max_bytes: u64) -> Result<Spool, SpoolError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let mut segments = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") {
                let _ = fs::remove_file(&path);
            } else if let Some(seq) = name
                .strip_suffix(".spool")
                .and_then(|n| n.parse::<u64>().ok())
            {
                let size = entry.metadata().map_err(io(&path))?.len();
                segments.push((seq, size));
            }
        }
        segments.sort();
        let next = segments.last().map_or(0, |(s, _)| s + 1);
        Ok(Spool {
            dir,
            max_bytes,
            segments,
            next,
            dropped_total: Dropped::default(),
            corrupt_total: 0,
        })
    }

    fn path(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{seq:020}.spool"))
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        self.segments.iter().map(|(_, b)| b).sum()
    }

    /// Segments held.
    pub fn segments(&self) -> usize {
        self.segments.len()
    }

    /// Everything dropped to stay within the limit since the spool was opened.
    pub fn dropped_total(&self) -> Dropped {
        self.dropped_total
    }

    /// Segments found unreadable and set aside since the spool was opened.
    pub fn corrupt_total(&self) -> u64 {
        self.corrupt_total
    }

    /// Appends a batch durably; drops the oldest segments if the limit requires it.
    pub fn push(&mut self, readings: &[Reading]) -> Result<Dropped, SpoolError> {
        if readings.is_empty() {
            return Ok(Dropped::default());
        }
        let mut buf = Vec::with_capacity(MAGIC.len() + 8 + RECORD * readings.len());
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&(readings.len() as u64).to_le_bytes());
        for r in readings {
            buf.extend_from_slice(r.sensor_id.as_bytes());
            buf.extend_from_slice(&r.timestamp.timestamp_micros().to_le_bytes());
            buf.extend_from_slice(&r.value_raw.to_le_bytes());
            buf.extend_from_slice(&r.quality.to_le_bytes());
        }
        let seq = self.next;
        self.next += 1;
        let path = self.path(seq);
        let tmp = path.with_extension("tmp");
        {
            let mut f = File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(&buf).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
        }
        fs::rename(&tmp, &path).map_err(io(&path))?;
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all(); // the rename itself, durable
        }
        self.segments.push((seq, buf.len() as u64));
        let mut dropped = Dropped::default();
        while self.bytes() > self.max_bytes && self.segments.len() > 1 {
            let (old, _) = self.segments.remove(0);
            let n = self.read_segment(old).map(|r| r.len() as u64).unwrap_or(0);
            let _ = fs::remove_file(self.path(old));
            dropped.segments += 1;
            dropped.readings += n;
        }
        if dropped.segments > 0 {
            self.dropped_total.segments += dropped.segments;
            self.dropped_total.readings += dropped.readings;
            tracing::error!(
                dropped_readings = dropped.readings,
                dropped_total = self.dropped_total.readings,
                limit_bytes = self.max_bytes,
                "SCADA spool full: the oldest readings were dropped"
            );
        }
        Ok(dropped)
    }

    fn read_segment(&self, seq: u64) -> Option<Vec<Reading>> {
        let mut bytes = Vec::new();
        File::open(self.path(seq))
            .ok()?
            .read_to_end(&mut bytes)
            .ok()?;
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return None;
        }
        let n = u64::from_le_bytes(bytes[8..16].try_into().ok()?) as usize;
        if bytes.len() != 16 + n * RECORD {
            return None;
        }
        let mut out = Vec::with_capacity(n);
        for rec in bytes[16..].chunks_exact(RECORD) {
            let sensor = Uuid::from_slice(&rec[..16]).ok()?;
            let micros = i64::from_le_bytes(rec[16..24].try_into().ok()?);
            let value = f64::from_le_bytes(rec[24..32].try_into().ok()?);
            let quality = f64::from_le_bytes(rec[32..40].try_into().ok()?);
            let ts: DateTime<Utc> = DateTime::from_timestamp_micros(micros)?;
            out.push(Reading {
                quality,
                ..Reading::new(sensor, ts, value)
            });
        }
        Some(out)
    }

    /// The oldest segment, for replay (`None` when empty). A segment that cannot be read is
    /// set aside as `*.corrupt`, counted, logged, and skipped.
    pub fn oldest(&mut self) -> Option<(u64, Vec<Reading>)> {
        while let Some(&(seq, _)) = self.segments.first() {
            match self.read_segment(seq) {
                Some(r) => return Some((seq, r)),
                None => {
                    self.segments.remove(0);
                    self.corrupt_total += 1;
                    let path = self.path(seq);
                    let _ = fs::rename(&path, path.with_extension("corrupt"));
                    tracing::error!(segment = seq, "unreadable SCADA spool segment set aside");
                }
            }
        }
        None
    }

    /// Removes a replayed segment.
    pub fn remove(&mut self, seq: u64) -> Result<(), SpoolError> {
        let path = self.path(seq);
        fs::remove_file(&path).map_err(io(&path))?;
        self.segments.retain(|(s, _)| *s != seq);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn batch(k: i64, n: i64) -> Vec<Reading> {
        let s = Uuid::from_u128(7);
        (0..n)
            .map(|i| {
                Reading::new(
                    s,
                    Utc.timestamp_opt(1_700_000_000 + k * 1000 + i, 0).unwrap(),
                    (k * 1000 + i) as f64,
                )
            })
            .collect()
    }

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("gs-spool-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn batches_come_back_in_order_and_survive_a_reopen() {
        let d = dir("order");
        let mut s = Spool::open(&d, 1 << 20).unwrap();
        for k in 0..3 {
            s.push(&batch(k, 10)).unwrap();
        }
        // A crash while writing leaves only a temporary file, which is ignored.
        fs::write(d.join("00000000000000000099.tmp"), b"half").unwrap();
        drop(s);
        let mut s = Spool::open(&d, 1 << 20).unwrap();
        assert_eq!(s.segments(), 3);
        for k in 0..3 {
            let (seq, r) = s.oldest().unwrap();
            assert_eq!(r, batch(k, 10));
            s.remove(seq).unwrap();
        }
        assert!(s.oldest().is_none());
        assert!(!d.join("00000000000000000099.tmp").exists());
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn when_full_the_oldest_is_dropped_and_counted() {
        let d = dir("full");
        let seg = (16 + 10 * RECORD) as u64;
        let mut s = Spool::open(&d, 3 * seg).unwrap();
        for k in 0..3 {
            assert_eq!(s.push(&batch(k, 10)).unwrap(), Dropped::default());
        }
        let dropped = s.push(&batch(3, 10)).unwrap();
        assert_eq!(
            dropped,
            Dropped {
                segments: 1,
                readings: 10
            }
        );
        assert_eq!(
            s.dropped_total(),
            Dropped {
                segments: 1,
                readings: 10
            }
        );
        assert_eq!(s.oldest().unwrap().1, batch(1, 10), "batch 0 went");
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_damaged_segment_is_set_aside_not_replayed() {
        let d = dir("corrupt");
        let mut s = Spool::open(&d, 1 << 20).unwrap();
        s.push(&batch(0, 5)).unwrap();
        s.push(&batch(1, 5)).unwrap();
        let first = d.join(format!("{:020}.spool", 0));
        let bytes = fs::read(&first).unwrap();
        fs::write(&first, &bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(s.oldest().unwrap().1, batch(1, 5));
        assert_eq!(s.corrupt_total(), 1);
        assert!(first.with_extension("corrupt").exists());
        let _ = fs::remove_dir_all(&d);
    }
}
