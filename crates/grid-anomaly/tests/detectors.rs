//! Each detector on hand-made series: where it must fire, and where it must not.

mod common;

use common::wiggle;

use grid_anomaly::{
    AnomalyError, Config, Episode, EpisodeEvent, ImbalanceDetector, Scored, SeriesDetector,
};
use grid_model::AnomalyKind;

const MINUTE: i64 = 60_000;
/// Monday 2026-01-05 00:00 UTC.
const T0: i64 = 1_767_571_200_000;

fn t(i: usize) -> i64 {
    T0 + i as i64 * MINUTE
}

struct Run {
    scored: Vec<Scored>,
    closed: Vec<Episode>,
}

impl Run {
    fn first_anomalous(&self) -> Option<usize> {
        self.scored.iter().position(|s| s.anomalous)
    }
    fn anomalous(&self) -> Vec<usize> {
        (0..self.scored.len())
            .filter(|&i| self.scored[i].anomalous)
            .collect()
    }
}

fn run(cfg: Config, values: impl IntoIterator<Item = (usize, f64)>) -> Run {
    let mut d = SeriesDetector::new(cfg);
    let mut scored = Vec::new();
    let mut closed = Vec::new();
    for (i, x) in values {
        let s = d.observe(t(i), x).expect("valid reading");
        for e in &s.events {
            if let EpisodeEvent::Closed(ep) = e {
                closed.push(ep.clone());
            }
        }
        scored.push(s);
    }
    closed.extend(d.close_episode());
    Run { scored, closed }
}

fn series(n: usize, f: impl Fn(usize) -> f64) -> Vec<(usize, f64)> {
    (0..n).map(|i| (i, f(i))).collect()
}

#[test]
fn a_spike_fires_on_its_own_reading_and_not_on_its_neighbours() {
    let r = run(
        Config::default(),
        series(4000, |i| {
            100.0 + wiggle(i) + if i == 3500 { 10.0 } else { 0.0 }
        }),
    );
    assert_eq!(r.anomalous(), vec![3500]);
    assert_eq!(r.closed.len(), 1);
    let ep = &r.closed[0];
    assert_eq!(ep.kind, AnomalyKind::Spike);
    assert_eq!(
        (ep.start_ms, ep.end_ms, ep.anomalous_readings),
        (t(3500), t(3500), 1)
    );
    assert!(ep.deviation_percent().unwrap() > 8.0, "{ep:?}");
    // During the learning period nothing is scored, however odd.
    let r = run(
        Config::default(),
        series(600, |i| {
            100.0 + wiggle(i) + if i == 300 { 50.0 } else { 0.0 }
        }),
    );
    assert!(
        r.scored
            .iter()
            .all(|s| s.score == 0.0 && s.expected.is_none())
    );
}

#[test]
fn a_frozen_value_is_stuck_at_the_tenth_equal_reading() {
    let frozen = 100.0 + wiggle(3500);
    let r = run(
        Config::default(),
        series(4000, |i| {
            if (3500..3540).contains(&i) {
                frozen
            } else {
                100.0 + wiggle(i)
            }
        }),
    );
    assert_eq!(r.first_anomalous(), Some(3509));
    assert_eq!(r.closed.len(), 1);
    assert_eq!(r.closed[0].kind, AnomalyKind::Stuck);
    assert_eq!(r.closed[0].start_ms, t(3509));
}

#[test]
fn exact_zero_is_not_stuck_when_the_grid_says_so() {
    let cfg = Config {
        zero_can_be_stuck: false,
        ..Config::default()
    };
    let r = run(
        cfg,
        series(4000, |i| {
            if (3500..3540).contains(&i) {
                0.0
            } else {
                100.0 + wiggle(i)
            }
        }),
    );
    // The drop to zero is a level shift (an outage), not a stuck sensor.
    assert_eq!(r.first_anomalous(), Some(3500));
    assert!(
        r.closed.iter().all(|e| e.kind != AnomalyKind::Stuck),
        "{:?}",
        r.closed
    );
    assert_eq!(r.closed[0].kind, AnomalyKind::LevelShift);
}

#[test]
fn a_step_is_a_level_shift_from_its_first_reading() {
    let r = run(
        Config::default(),
        series(4000, |i| {
            100.0 + wiggle(i) + if i >= 3500 { 6.0 } else { 0.0 }
        }),
    );
    assert_eq!(r.first_anomalous(), Some(3500));
    assert_eq!(r.closed[0].kind, AnomalyKind::LevelShift);
    assert_eq!(r.closed[0].start_ms, t(3500));
}

#[test]
fn a_slow_ramp_is_a_drift_and_nothing_fires_before_it_starts() {
    let r = run(
        Config::default(),
        series(4400, |i| {
            100.0
                + wiggle(i)
                + if i >= 3500 {
                    (i - 3500) as f64 * 0.01
                } else {
                    0.0
                }
        }),
    );
    let first = r.first_anomalous().expect("the drift is found");
    assert!((3500..3800).contains(&first), "fired at {first}");
    assert_eq!(r.closed[0].kind, AnomalyKind::Drift, "{:?}", r.closed[0]);
}

#[test]
fn louder_noise_is_noise() {
    let r = run(
        Config::default(),
        series(4000, |i| {
            100.0 + wiggle(i) * if i >= 3500 { 3.0 } else { 1.0 }
        }),
    );
    let first = r.first_anomalous().expect("the noise is found");
    assert!((3500..3530).contains(&first), "fired at {first}");
    assert_eq!(r.closed[0].kind, AnomalyKind::Noise, "{:?}", r.closed[0]);
}

#[test]
fn a_change_faster_than_the_quantity_can_make_is_caught_by_the_rate_limit() {
    // 0.01 per second at one reading a minute: 0.6 per reading at most.
    let cfg = Config {
        max_rate_per_s: Some(0.01),
        ..Config::default()
    };
    let r = run(
        cfg,
        series(4000, |i| {
            100.0 + 0.05 * wiggle(i) + if i == 3500 { 0.9 } else { 0.0 }
        }),
    );
    assert_eq!(r.first_anomalous(), Some(3500));
    let ep = &r.closed[0];
    assert!(
        ep.detectors
            .iter()
            .any(|h| h.detector == grid_anomaly::Detector::Rate)
    );
}

#[test]
fn spikes_close_together_are_one_episode_and_far_apart_two() {
    let r = run(
        Config::default(),
        series(4000, |i| {
            100.0
                + wiggle(i)
                + if [3500, 3505, 3600].contains(&i) {
                    10.0
                } else {
                    0.0
                }
        }),
    );
    assert_eq!(r.anomalous(), vec![3500, 3505, 3600], "{:#?}", r.closed);
    let starts: Vec<i64> = r.closed.iter().map(|e| e.start_ms).collect();
    assert_eq!(starts, vec![t(3500), t(3600)]);
    assert_eq!(r.closed[0].anomalous_readings, 2);
    assert_eq!(r.closed[0].end_ms, t(3505));
}

#[test]
fn a_day_two_hours_late_is_a_pattern_break() {
    let day = 1440;
    let shape = |i: usize, late: usize| {
        let h = ((i + day - late) % day) as f64 / 60.0;
        100.0
            + 40.0 * (-((h - 19.0) / 2.0).powi(2)).exp()
            + 20.0 * (-((h - 8.0) / 2.0).powi(2)).exp()
    };
    let r = run(
        Config::default(),
        series(6 * day, |i| {
            shape(i, if i >= 4 * day { 120 } else { 0 }) + 0.5 * wiggle(i)
        }),
    );
    let early: Vec<usize> = r.anomalous().into_iter().filter(|&i| i < 4 * day).collect();
    assert!(
        early.is_empty(),
        "nothing before the late day: {early:?} {:#?}",
        r.closed
            .iter()
            .map(|e| (e.kind, (e.start_ms - T0) / MINUTE, &e.detectors))
            .collect::<Vec<_>>()
    );
    let pattern: Vec<&Episode> = r
        .closed
        .iter()
        .filter(|e| e.kind == AnomalyKind::PatternBreak)
        .collect();
    assert!(!pattern.is_empty(), "{:?}", r.closed);
    // The displacement is the one that explains the recent readings best when the episode
    // last fired: late (positive), and within one 30-minute step of the true two hours.
    assert!(
        pattern
            .iter()
            .all(|e| e.pattern_shift_minutes.is_some_and(|m| m > 0))
    );
    let last = pattern.last().unwrap().pattern_shift_minutes.unwrap();
    assert!((90..=150).contains(&last), "{last}");
}

#[test]
fn feeders_short_of_their_incomer_are_an_imbalance() {
    let mut d = ImbalanceDetector::default();
    let mut closed = Vec::new();
    let mut first = None;
    for i in 0..1000 {
        let load = 100.0 + 20.0 * (i as f64 / 200.0).sin();
        let feeders = load * (1.0 + 0.002 * wiggle(i));
        let incomer = load * 1.02;
        let feeders = if (600..640).contains(&i) {
            feeders - 0.1 * incomer
        } else {
            feeders
        };
        let s = d
            .observe(t(i), incomer, feeders)
            .unwrap()
            .expect("energised");
        if s.score >= 0.5 && first.is_none() {
            first = Some(i);
        }
        if let Some(EpisodeEvent::Closed(e)) = s.event {
            closed.push(e);
        }
    }
    // The CUSUM gains at most 4 − k = 3 a reading on the clipped z: h = 15 takes five.
    assert!(matches!(first, Some(600..=605)), "{first:?}");
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].kind, AnomalyKind::Imbalance);
    // A de-energised incomer is no comparison.
    assert_eq!(d.observe(t(2000), 0.0, 0.0).unwrap(), None);
}

#[test]
fn a_bad_reading_is_refused_and_changes_nothing() {
    let mut d = SeriesDetector::new(Config::default());
    for i in 0..1200 {
        d.observe(t(i), 100.0 + wiggle(i)).unwrap();
    }
    let before = d.clone();
    assert!(matches!(
        d.observe(t(1200), f64::NAN),
        Err(AnomalyError::NotFinite { .. })
    ));
    assert!(matches!(
        d.observe(t(1199), 100.0),
        Err(AnomalyError::OutOfOrder { previous_ms, .. }) if previous_ms == t(1199)
    ));
    assert_eq!(d, before);
    assert!(d.observe(t(1200), 100.0).is_ok());
}
