//! A bounded, durable spool of readings on local disk, for while the database is
//! unreachable.
//!
//! Each batch is one segment file, written to a temporary name, flushed to disk, renamed
//! (so a crash never leaves half a segment under a segment's name) and made durable by
//! syncing the directory (after every create, rename and remove), numbered in arrival order.
//! Every record carries a CRC-32: on replay a record that fails it, or is cut short, is set
//! aside in `*.damaged` and counted, and the rest of its segment replays. [`Spool::oldest`]
//! hands segments back in order for replay; replays are safe to repeat because ingest is
//! idempotent on `(sensor_id, timestamp)`. Readings the database refuses for their data are
//! kept apart in `*.refused` ([`Spool::refuse`]). When the spool would exceed its size limit
//! the oldest segments are dropped — with an error in the log and a counter, never
//! silently.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use grid_timescale::ingest::Reading;
use uuid::Uuid;

/// Format 1: no checksum (still read, for segments written before format 2).
const MAGIC_V1: &[u8; 8] = b"GSSPOOL1";
/// Format 2: a CRC-32 over the header and one after every record.
const MAGIC: &[u8; 8] = b"GSSPOOL2";
/// sensor (16) + timestamp µs (8) + value (8) + quality (8).
const RECORD: usize = 40;
/// Format 2's header: magic, count, CRC-32 of both.
const HEADER_V2: usize = 20;
/// A format 2 record and its CRC-32.
const RECORD_V2: usize = RECORD + 4;

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

impl SpoolError {
    /// Whether the disk (or the user's quota) is full.
    pub fn is_disk_full(&self) -> bool {
        let SpoolError::Io { source, .. } = self;
        matches!(
            source.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
        ) || source.raw_os_error() == Some(27) // EFBIG: a file size limit
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Makes a directory's entries (a created, renamed or removed file) durable.
fn sync_dir(dir: &Path) -> Result<(), SpoolError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// What a push did to stay within the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dropped {
    /// Segments dropped.
    pub segments: u64,
    /// Readings in them.
    pub readings: u64,
}

/// What the spool has set aside since it was opened, for the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetAside {
    /// Segments that could not be read at all (kept as `*.corrupt`).
    pub corrupt_segments: u64,
    /// Records whose checksum failed or that were cut short (kept in `*.damaged`).
    pub damaged_records: u64,
    /// Readings the database refused for their data (kept in `*.refused`).
    pub refused_readings: u64,
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
    set_aside: SetAside,
}

/// One segment's readings that can be trusted, and the raw bytes of those that cannot.
struct Decoded {
    readings: Vec<Reading>,
    damaged: Vec<u8>,
    damaged_records: u64,
}

impl Spool {
    /// Opens (creating, durably) the spool in `dir`, keeping at most `max_bytes` of
    /// segments. Leftover temporary files of a crash are removed.
    pub fn open(dir: impl Into<PathBuf>, max_bytes: u64) -> Result<Spool, SpoolError> {
        let dir = dir.into();
        if !dir.exists() {
            fs::create_dir_all(&dir).map_err(io(&dir))?;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir(parent)?;
            }
        }
        let mut segments = Vec::new();
        let mut removed = false;
        for entry in fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") {
                fs::remove_file(&path).map_err(io(&path))?;
                removed = true;
            } else if let Some(seq) = name
                .strip_suffix(".spool")
                .and_then(|n| n.parse::<u64>().ok())
            {
                let size = entry.metadata().map_err(io(&path))?.len();
                segments.push((seq, size));
            }
        }
        if removed {
            sync_dir(&dir)?;
        }
        segments.sort();
        let next = segments.last().map_or(0, |(s, _)| s + 1);
        Ok(Spool {
            dir,
            max_bytes,
            segments,
            next,
            dropped_total: Dropped::default(),
            set_aside: SetAside::default(),
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
        self.set_aside.corrupt_segments
    }

    /// Everything set aside since the spool was opened.
    pub fn set_aside(&self) -> SetAside {
        self.set_aside
    }

    /// The bytes of a format 2 segment holding `readings`.
    fn encode(readings: &[Reading]) -> Vec<u8> {
        let mut buf = Vec::with_capacity(HEADER_V2 + RECORD_V2 * readings.len());
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&(readings.len() as u64).to_le_bytes());
        let header_crc = crc32fast::hash(&buf);
        buf.extend_from_slice(&header_crc.to_le_bytes());
        for r in readings {
            let start = buf.len();
            buf.extend_from_slice(r.sensor_id.as_bytes());
            buf.extend_from_slice(&r.timestamp.timestamp_micros().to_le_bytes());
            buf.extend_from_slice(&r.value_raw.to_le_bytes());
            buf.extend_from_slice(&r.quality.to_le_bytes());
            let crc = crc32fast::hash(&buf[start..]);
            buf.extend_from_slice(&crc.to_le_bytes());
        }
        buf
    }

    /// Writes `bytes` under `path` durably: a temporary name, flushed, renamed, the
    /// directory synced.
    fn write_durably(&self, path: &Path, bytes: &[u8]) -> Result<(), SpoolError> {
        let tmp = path.with_extension("tmp");
        let written = File::create(&tmp)
            .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()))
            .map_err(io(&tmp));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        fs::rename(&tmp, path).map_err(io(path))?;
        sync_dir(&self.dir)
    }

    /// Appends a batch durably; drops the oldest segments if the limit requires it. On an
    /// error (a full disk: [`SpoolError::is_disk_full`]) nothing was kept: the caller counts
    /// the batch as lost.
    pub fn push(&mut self, readings: &[Reading]) -> Result<Dropped, SpoolError> {
        if readings.is_empty() {
            return Ok(Dropped::default());
        }
        let buf = Self::encode(readings);
        let seq = self.next;
        self.next += 1;
        self.write_durably(&self.path(seq), &buf)?;
        self.segments.push((seq, buf.len() as u64));
        let mut dropped = Dropped::default();
        while self.bytes() > self.max_bytes && self.segments.len() > 1 {
            let (old, _) = self.segments.remove(0);
            let n = self.decode(old).map_or(0, |d| d.readings.len() as u64);
            let path = self.path(old);
            fs::remove_file(&path).map_err(io(&path))?;
            dropped.segments += 1;
            dropped.readings += n;
        }
        if dropped.segments > 0 {
            sync_dir(&self.dir)?;
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

    /// The trustworthy readings of a segment; `None` when it cannot be read at all.
    fn decode(&self, seq: u64) -> Option<Decoded> {
        let mut bytes = Vec::new();
        File::open(self.path(seq))
            .ok()?
            .read_to_end(&mut bytes)
            .ok()?;
        let magic = bytes.get(..8)?;
        let (header, record, checked) = if magic == MAGIC {
            (HEADER_V2, RECORD_V2, true)
        } else if magic == MAGIC_V1 {
            (16, RECORD, false)
        } else {
            return None;
        };
        let body = bytes.get(header..).unwrap_or_default();
        let mut out = Decoded {
            readings: Vec::with_capacity(body.len() / record),
            damaged: Vec::new(),
            damaged_records: 0,
        };
        // The records are read by length and each checked on its own: a damaged header or
        // record costs only itself.
        for rec in body.chunks(record) {
            let good = rec.len() == record
                && (!checked
                    || <[u8; 4]>::try_from(&rec[RECORD..])
                        .ok()
                        .map(u32::from_le_bytes)
                        == Some(crc32fast::hash(&rec[..RECORD])));
            match good.then(|| parse(&rec[..RECORD])).flatten() {
                Some(r) => out.readings.push(r),
                None => {
                    out.damaged.extend_from_slice(rec);
                    out.damaged_records += 1;
                }
            }
        }
        Some(out)
    }

    /// The oldest segment, for replay (`None` when empty). A segment that cannot be read at
    /// all is set aside as `*.corrupt`; records that fail their checksum or are cut short are
    /// kept in `*.damaged`; both are counted and logged, and the rest replays.
    pub fn oldest(&mut self) -> Option<(u64, Vec<Reading>)> {
        while let Some(&(seq, _)) = self.segments.first() {
            let path = self.path(seq);
            match self.decode(seq) {
                Some(d) => {
                    if d.damaged_records > 0 {
                        self.set_aside.damaged_records += d.damaged_records;
                        let kept = OpenOptions::new()
                            .create(true)
                            .append(true)
                            .open(path.with_extension("damaged"))
                            .and_then(|mut f| f.write_all(&d.damaged).and_then(|_| f.sync_all()));
                        tracing::error!(
                            segment = seq,
                            damaged_records = d.damaged_records,
                            kept = kept.is_ok(),
                            "damaged SCADA spool records set aside; the rest replays"
                        );
                        // Rewritten without them, so a second replay does not count them again.
                        if self
                            .write_durably(&path, &Self::encode(&d.readings))
                            .is_err()
                        {
                            tracing::error!(segment = seq, "cannot rewrite a spool segment");
                        }
                    }
                    return Some((seq, d.readings));
                }
                None => {
                    self.segments.remove(0);
                    self.set_aside.corrupt_segments += 1;
                    let _ = fs::rename(&path, path.with_extension("corrupt"));
                    let _ = sync_dir(&self.dir);
                    tracing::error!(segment = seq, "unreadable SCADA spool segment set aside");
                }
            }
        }
        None
    }

    /// Keeps readings the database refused for their data (found alone by splitting their
    /// batch) in `*.refused` beside the segments, for an operator; counted.
    pub fn refuse(&mut self, readings: &[Reading]) -> Result<(), SpoolError> {
        if readings.is_empty() {
            return Ok(());
        }
        self.set_aside.refused_readings += readings.len() as u64;
        let seq = self.next;
        self.next += 1;
        let path = self.path(seq).with_extension("refused");
        self.write_durably(&path, &Self::encode(readings))
    }

    /// Removes a replayed segment.
    pub fn remove(&mut self, seq: u64) -> Result<(), SpoolError> {
        let path = self.path(seq);
        fs::remove_file(&path).map_err(io(&path))?;
        self.segments.retain(|(s, _)| *s != seq);
        sync_dir(&self.dir)
    }
}

/// One record's reading (`None`: a value no reading can have, e.g. a timestamp chrono cannot
/// hold).
fn parse(rec: &[u8]) -> Option<Reading> {
    let sensor = Uuid::from_slice(&rec[..16]).ok()?;
    let micros = i64::from_le_bytes(rec[16..24].try_into().ok()?);
    let value = f64::from_le_bytes(rec[24..32].try_into().ok()?);
    let quality = f64::from_le_bytes(rec[32..40].try_into().ok()?);
    let ts: DateTime<Utc> = DateTime::from_timestamp_micros(micros)?;
    Some(Reading {
        quality,
        ..Reading::new(sensor, ts, value)
    })
}

#[cfg(test)]
mod tests;
