//! Properties of the alarm rule over generated signals (one reading a second): a signal that
//! crosses the limit by more than the deadband and comes back for less than the off-delay is
//! one alarm per sustained episode; a sustained excursion longer than the on-delay is exactly
//! one.

use chrono::{DateTime, Duration, TimeZone, Utc};
use grid_analytics::alerting::{AlertEvent, Detector, ThresholdRule};
use proptest::prelude::*;

const MAX: f64 = 50.5;
const DEADBAND: f64 = 0.05;
const ON_DELAY: i64 = 5;
const OFF_DELAY: i64 = 60;

fn rule() -> ThresholdRule {
    ThresholdRule {
        min: Some(49.5),
        max: Some(MAX),
        deadband: DEADBAND,
        on_delay: Duration::seconds(ON_DELAY),
        off_delay: Duration::seconds(OFF_DELAY),
    }
}

fn sec(i: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap() + Duration::seconds(i)
}

/// One excursion episode: bursts past the limit (each `out` seconds at `MAX + above`)
/// separated by returns of `back` seconds below the deadband, every return shorter than the
/// off-delay.
#[derive(Debug, Clone)]
struct Episode {
    bursts: Vec<(i64, f64, i64)>,
}

fn episode() -> impl Strategy<Value = Episode> {
    prop::collection::vec(
        (1i64..40, (DEADBAND + 0.001)..2.0f64, 1i64..OFF_DELAY),
        1..8,
    )
    .prop_map(|bursts| Episode { bursts })
}

/// Feeds normal readings for `gap` seconds, then each episode followed by a normal stretch
/// longer than the off-delay; returns the events.
fn run(episodes: &[Episode], gap: i64, normal: f64) -> Vec<AlertEvent> {
    let mut d = Detector::new(rule());
    let mut t = 0;
    let mut events = Vec::new();
    let mut feed = |d: &mut Detector, t: &mut i64, secs: i64, v: f64| {
        for _ in 0..secs {
            events.extend(d.observe(sec(*t), v));
            *t += 1;
        }
    };
    feed(&mut d, &mut t, gap, normal);
    for e in episodes {
        for (i, &(out, above, back)) in e.bursts.iter().enumerate() {
            feed(&mut d, &mut t, out, MAX + above);
            if i + 1 < e.bursts.len() {
                feed(&mut d, &mut t, back, MAX - DEADBAND - 0.01);
            }
        }
        feed(&mut d, &mut t, OFF_DELAY + 1 + gap, normal);
    }
    events
}

fn counts(events: &[AlertEvent]) -> (usize, usize) {
    let raises = events
        .iter()
        .filter(|e| matches!(e, AlertEvent::Raise { .. }))
        .count();
    (raises, events.len() - raises)
}

/// Seconds from an episode's first reading past the limit to its last.
fn span(e: &Episode) -> i64 {
    let n = e.bursts.len();
    e.bursts
        .iter()
        .enumerate()
        .map(|(i, &(out, _, back))| out + if i + 1 < n { back } else { 0 })
        .sum::<i64>()
        - 1
}

proptest! {
    #[test]
    fn flickering_episodes_are_one_alarm_each(
        episodes in prop::collection::vec(episode(), 1..5),
        gap in 0i64..120,
        normal in 49.6f64..50.44,
    ) {
        let events = run(&episodes, gap, normal);
        // An episode raises once if it lasted the on-delay (its last burst reaches past the
        // limit at or after ON_DELAY seconds from its start), and never otherwise.
        let sustained = episodes.iter().filter(|e| span(e) >= ON_DELAY).count();
        prop_assert_eq!(counts(&events), (sustained, sustained), "{:?}", events);
        // Every raise reports the episode's worst value.
        let worsts: Vec<f64> = episodes
            .iter()
            .filter(|e| span(e) >= ON_DELAY)
            .map(|e| e.bursts.iter().map(|b| MAX + b.1).fold(f64::MIN, f64::max))
            .collect();
        let reported: Vec<f64> = events
            .iter()
            .filter_map(|e| match e {
                AlertEvent::Clear { worst, .. } => Some(*worst),
                _ => None,
            })
            .collect();
        prop_assert_eq!(reported, worsts);
    }

    #[test]
    fn a_sustained_excursion_longer_than_the_on_delay_is_exactly_one(
        secs in (ON_DELAY + 1)..3600,
        above in (DEADBAND + 0.001)..5.0f64,
        noise in 0.0f64..0.04,
    ) {
        let mut d = Detector::new(rule());
        let mut events = Vec::new();
        for t in 0..secs {
            // Past the limit all along, jittering by less than the excursion.
            let jitter = if t % 2 == 0 { noise } else { -noise };
            events.extend(d.observe(sec(t), MAX + above + jitter.min(above / 2.0)));
        }
        for t in secs..secs + OFF_DELAY + 1 {
            events.extend(d.observe(sec(t), 50.0));
        }
        prop_assert_eq!(counts(&events), (1, 1), "{:?}", events);
    }
}
