//! Properties of a point's limit alarm over generated signals (one reading a second): a signal
//! that crosses the limit by more than the deadband and comes back for less than the
//! off-delay is one alarm per episode whose bursts stayed past the limit for the on-delay
//! (continuously: a burst shorter than it raises nothing); a sustained excursion longer than
//! the on-delay is exactly one.

use chrono::{DateTime, Duration, TimeZone, Utc};
use grid_alarms::{AlarmEvent, AlarmRule, GradedLimits, PointAlarm};
use proptest::prelude::*;

const MAX: f64 = 50.5;
const DEADBAND: f64 = 0.05;
const ON_DELAY: i64 = 5;
const OFF_DELAY: i64 = 60;

fn rule() -> AlarmRule {
    AlarmRule {
        limits: GradedLimits {
            lo: Some(49.5),
            hi: Some(MAX),
            ..Default::default()
        },
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
fn run(episodes: &[Episode], gap: i64, normal: f64) -> Vec<AlarmEvent> {
    let mut d = PointAlarm::new(rule());
    let mut t = 0;
    let mut events = Vec::new();
    let mut feed = |d: &mut PointAlarm, t: &mut i64, secs: i64, v: f64| {
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

fn counts(events: &[AlarmEvent]) -> (usize, usize) {
    let raises = events
        .iter()
        .filter(|e| matches!(e, AlarmEvent::Raised { .. }))
        .count();
    (raises, events.len() - raises)
}

/// The first burst that stays past the limit for the on-delay: its `out` samples span
/// `out − 1` seconds.
fn sustained_from(e: &Episode) -> Option<usize> {
    e.bursts.iter().position(|b| b.0 > ON_DELAY)
}

proptest! {
    #[test]
    fn flickering_episodes_are_one_alarm_each(
        episodes in prop::collection::vec(episode(), 1..5),
        gap in 0i64..120,
        normal in 49.6f64..50.44,
    ) {
        let events = run(&episodes, gap, normal);
        // An episode raises once if one of its bursts stayed past the limit for the
        // on-delay, and never otherwise: the returns between bursts are shorter than the
        // off-delay, so a raised alarm holds through them.
        let sustained = episodes.iter().filter(|e| sustained_from(e).is_some()).count();
        prop_assert_eq!(counts(&events), (sustained, sustained), "{:?}", events);
        // Every clear reports the worst value from the burst that raised it on.
        let worsts: Vec<f64> = episodes
            .iter()
            .filter_map(|e| {
                let from = sustained_from(e)?;
                Some(e.bursts[from..].iter().map(|b| MAX + b.1).fold(f64::MIN, f64::max))
            })
            .collect();
        let reported: Vec<f64> = events
            .iter()
            .filter_map(|e| match e {
                AlarmEvent::Cleared { worst, .. } => Some(*worst),
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
        let mut d = PointAlarm::new(rule());
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
