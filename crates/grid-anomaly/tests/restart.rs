//! The state survives a restart: detect half, persist, restore, detect the rest; the same
//! scores and episodes as one run. And the state stays small.

mod common;

use common::wiggle;

use grid_anomaly::{Config, EpisodeEvent, SeriesDetector};

const MINUTE: i64 = 60_000;
const T0: i64 = 1_767_571_200_000;

fn value(i: usize) -> f64 {
    let h = (i % 1440) as f64 / 60.0;
    let fault = match i {
        4000 => 15.0,
        4500..=4560 => 4.0,
        5000..=5200 => (i - 5000) as f64 * 0.03,
        _ => 0.0,
    };
    100.0 + 30.0 * (-((h - 19.0) / 2.0).powi(2)).exp() + wiggle(i) + fault
}

fn readings() -> impl Iterator<Item = (i64, f64)> {
    // Every 53rd reading missing.
    (0..5760)
        .filter(|i| i % 53 != 7)
        .map(|i| (T0 + i as i64 * MINUTE, value(i)))
}

#[test]
fn detecting_in_two_halves_across_a_restart_equals_one_run() {
    let mut one = SeriesDetector::new(Config::default());
    let whole: Vec<_> = readings()
        .map(|(t, x)| one.observe(t, x).unwrap())
        .collect();

    let all: Vec<_> = readings().collect();
    let (first, second) = all.split_at(all.len() / 2);
    let mut before = SeriesDetector::new(Config::default());
    let mut halves: Vec<_> = first
        .iter()
        .map(|&(t, x)| before.observe(t, x).unwrap())
        .collect();
    let persisted = before.to_bytes();
    drop(before);
    let mut after = SeriesDetector::from_bytes(&persisted).unwrap();
    halves.extend(second.iter().map(|&(t, x)| after.observe(t, x).unwrap()));

    assert_eq!(whole.len(), halves.len());
    for (a, b) in whole.iter().zip(&halves) {
        assert_eq!(a.score.to_bits(), b.score.to_bits());
        assert_eq!(a.surprise.to_bits(), b.surprise.to_bits());
        assert_eq!(a.events, b.events);
    }
    let closed = whole
        .iter()
        .flat_map(|s| &s.events)
        .filter(|e| matches!(e, EpisodeEvent::Closed(_)))
        .count();
    assert!(closed >= 3, "the faults are found: {closed}");
}

#[test]
fn the_state_is_bounded() {
    let mut d = SeriesDetector::new(Config::default());
    for (t, x) in readings() {
        d.observe(t, x).unwrap();
    }
    // At most 64 KiB per series, persisted and in memory (a week's profile of 2,016 bins
    // included).
    let persisted = d.to_bytes();
    assert!(
        persisted.len() <= 64 * 1024,
        "persisted state {} bytes",
        persisted.len()
    );
    assert!(d.memory_bytes() <= 64 * 1024, "{} bytes", d.memory_bytes());
}
