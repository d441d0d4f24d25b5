//! The spool against real files: order, limits, damage, a full disk.

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
    let seg = (HEADER_V2 + 10 * RECORD_V2) as u64;
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

fn segment(d: &Path, seq: u64) -> PathBuf {
    d.join(format!("{seq:020}.spool"))
}

#[test]
fn a_flipped_bit_costs_its_record_only() {
    let d = dir("bitflip");
    let mut s = Spool::open(&d, 1 << 20).unwrap();
    s.push(&batch(0, 5)).unwrap();
    s.push(&batch(1, 5)).unwrap();
    // One bit of the third reading's value (record 2, byte 24 of it).
    let path = segment(&d, 0);
    let mut bytes = fs::read(&path).unwrap();
    bytes[HEADER_V2 + 2 * RECORD_V2 + 24] ^= 0x01;
    fs::write(&path, &bytes).unwrap();
    let (seq, r) = s.oldest().unwrap();
    let mut expected = batch(0, 5);
    expected.remove(2);
    assert_eq!(
        r, expected,
        "four readings replay, the flipped one does not"
    );
    assert_eq!(s.set_aside().damaged_records, 1);
    assert_eq!(
        fs::read(path.with_extension("damaged")).unwrap().len(),
        RECORD_V2
    );
    s.remove(seq).unwrap();
    assert_eq!(s.oldest().unwrap().1, batch(1, 5));
    assert_eq!(s.set_aside().damaged_records, 1, "counted once");
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn a_truncated_record_and_a_damaged_header_cost_nothing_else() {
    let d = dir("truncated");
    let mut s = Spool::open(&d, 1 << 20).unwrap();
    s.push(&batch(0, 5)).unwrap();
    s.push(&batch(1, 5)).unwrap();
    // Segment 0 cut 3 bytes short: its last record is incomplete.
    let first = segment(&d, 0);
    let bytes = fs::read(&first).unwrap();
    fs::write(&first, &bytes[..bytes.len() - 3]).unwrap();
    // Segment 1's header count damaged: records are read by length and checked each.
    let second = segment(&d, 1);
    let mut bytes = fs::read(&second).unwrap();
    bytes[8] ^= 0xFF;
    fs::write(&second, &bytes).unwrap();
    let (seq, r) = s.oldest().unwrap();
    assert_eq!(r, batch(0, 5)[..4].to_vec());
    assert_eq!(s.set_aside().damaged_records, 1);
    s.remove(seq).unwrap();
    assert_eq!(s.oldest().unwrap().1, batch(1, 5));
    // A file that is no segment at all is set aside whole.
    fs::write(segment(&d, 7), b"not a spool segment").unwrap();
    drop(s);
    let mut s = Spool::open(&d, 1 << 20).unwrap();
    let (seq, _) = s.oldest().unwrap();
    s.remove(seq).unwrap();
    assert!(s.oldest().is_none());
    assert_eq!(s.corrupt_total(), 1);
    assert!(segment(&d, 7).with_extension("corrupt").exists());
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn a_format_1_segment_still_replays() {
    let d = dir("v1");
    fs::create_dir_all(&d).unwrap();
    let mut bytes = MAGIC_V1.to_vec();
    let readings = batch(0, 3);
    bytes.extend_from_slice(&3u64.to_le_bytes());
    for r in &readings {
        bytes.extend_from_slice(r.sensor_id.as_bytes());
        bytes.extend_from_slice(&r.timestamp.timestamp_micros().to_le_bytes());
        bytes.extend_from_slice(&r.value_raw.to_le_bytes());
        bytes.extend_from_slice(&r.quality.to_le_bytes());
    }
    fs::write(segment(&d, 4), &bytes).unwrap();
    let mut s = Spool::open(&d, 1 << 20).unwrap();
    assert_eq!(s.oldest().unwrap(), (4, readings));
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn a_full_disk_is_an_error_that_keeps_nothing() {
    // The next segment's temporary file is made to point at /dev/full, which refuses
    // every write with ENOSPC as a full disk does.
    let d = dir("enospc");
    let mut s = Spool::open(&d, 1 << 20).unwrap();
    s.push(&batch(0, 5)).unwrap();
    std::os::unix::fs::symlink("/dev/full", segment(&d, 1).with_extension("tmp")).unwrap();
    let err = s.push(&batch(1, 5)).unwrap_err();
    assert!(err.is_disk_full(), "{err}");
    assert_eq!(s.segments(), 1, "nothing kept of the refused batch");
    assert!(!segment(&d, 1).exists());
    // The next push works again and replay order holds.
    s.push(&batch(2, 5)).unwrap();
    assert_eq!(s.oldest().unwrap().1, batch(0, 5));
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn refused_readings_are_kept_apart_and_counted() {
    let d = dir("refused");
    let mut s = Spool::open(&d, 1 << 20).unwrap();
    s.refuse(&batch(0, 2)).unwrap();
    assert_eq!(s.set_aside().refused_readings, 2);
    assert_eq!(s.segments(), 0, "not replayed");
    let kept: Vec<_> = fs::read_dir(&d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".refused"))
        .collect();
    assert_eq!(kept.len(), 1);
    let _ = fs::remove_dir_all(&d);
}
