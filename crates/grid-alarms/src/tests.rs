//! The rule's behaviour on the cases the alarm issue names.

use chrono::{DateTime, Duration, TimeZone, Utc};
use grid_model::AlarmGrade;

use crate::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap()
}

fn sec(s: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(s)
}

/// 400 kV with the default margins: Lo 380, LoLo 360, Hi 416, HiHi 418 kV; 1 % deadband.
fn kv400(on_s: i64) -> AlarmRule {
    AlarmRule {
        limits: GradedLimits {
            lolo: Some(360.0),
            lo: Some(380.0),
            hi: Some(416.0),
            hihi: Some(418.0),
        },
        deadband: 4.0,
        on_delay: Duration::seconds(on_s),
        off_delay: Duration::seconds(60),
    }
}

fn run(p: &mut PointAlarm, samples: impl IntoIterator<Item = (i64, f64)>) -> Vec<AlarmEvent> {
    samples
        .into_iter()
        .flat_map(|(s, v)| p.observe(sec(s), v))
        .collect()
}

#[test]
fn an_oscillation_at_the_limit_raises_once_held_by_the_deadband_or_never_with_an_on_delay() {
    // 60 one-second samples at Hi ± 0.1 % of it.
    let samples = || (0..60).map(|s| (s, if s % 2 == 0 { 416.416 } else { 415.584 }));
    let mut p = PointAlarm::new(kv400(0));
    let events = run(&mut p, samples());
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        matches!(events[0], AlarmEvent::Raised { grade: AlarmGrade::Hi, at, .. } if at == sec(0))
    );
    assert_eq!(p.active(), Some(AlarmGrade::Hi), "the deadband holds it");
    let mut p = PointAlarm::new(kv400(10));
    assert!(
        run(&mut p, samples()).is_empty(),
        "every sample inside resets the on-delay"
    );
    assert_eq!(p.active(), None);
}

#[test]
fn isolated_readings_past_the_limit_raise_nothing() {
    let mut p = PointAlarm::new(kv400(10));
    let mut samples = vec![(0, 421.0)];
    samples.extend((5..55).step_by(5).map(|s| (s, 405.0)));
    samples.extend([(55, 421.0), (60, 405.0), (70, 405.0)]);
    assert!(run(&mut p, samples).is_empty());
    // Sparse data: two readings 55 s apart, both past the limit, nothing between: the
    // condition held between them (no sample inside), so it is raised at the second.
    let mut p = PointAlarm::new(kv400(10));
    let events = run(&mut p, [(0, 421.0), (55, 421.0)]);
    assert!(
        matches!(
            events[..],
            [AlarmEvent::Raised {
                grade: AlarmGrade::HiHi,
                ..
            }]
        ),
        "{events:?}"
    );
}

#[test]
fn hi_hihi_hi_normal_is_one_alarm_with_its_grade_history() {
    let mut p = PointAlarm::new(kv400(10));
    let mut samples: Vec<(i64, f64)> = (0..30).map(|s| (s, 417.0)).collect();
    samples.extend((30..100).map(|s| (s, 419.0)));
    samples.extend((100..200).map(|s| (s, 413.0)));
    samples.extend((200..300).map(|s| (s, 400.0)));
    let events = run(&mut p, samples);
    let kinds: Vec<String> = events
        .iter()
        .map(|e| match e {
            AlarmEvent::Raised { grade, at, .. } => {
                format!("raised {grade} {}", (*at - t0()).num_seconds())
            }
            AlarmEvent::Escalated { to, at, .. } => {
                format!("escalated {to} {}", (*at - t0()).num_seconds())
            }
            AlarmEvent::DeEscalated { to, at, .. } => {
                format!("de-escalated {to} {}", (*at - t0()).num_seconds())
            }
            AlarmEvent::Cleared {
                grade, at, worst, ..
            } => {
                format!(
                    "cleared {grade} {} worst {worst}",
                    (*at - t0()).num_seconds()
                )
            }
        })
        .collect();
    // 413 kV is inside HiHi by the deadband (< 414) but not inside Hi (≥ 412): de-escalated
    // after the 60 s off-delay; 400 kV clears after another 60 s.
    assert_eq!(
        kinds,
        [
            "raised hi 0",
            "escalated hihi 30",
            "de-escalated hi 100",
            "cleared hi 200 worst 419"
        ]
    );
    // Straight to HiHi when the value was past it for the whole on-delay.
    let mut p = PointAlarm::new(kv400(10));
    let events = run(&mut p, (0..20).map(|s| (s, 425.0)));
    assert!(
        matches!(events[..], [AlarmEvent::Raised { grade: AlarmGrade::HiHi, limit, .. }] if limit == 418.0)
    );
}

#[test]
fn state_survives_a_round_trip_and_out_of_order_samples_are_skipped() {
    let mut p = PointAlarm::new(kv400(10));
    run(&mut p, (0..20).map(|s| (s, 417.0)));
    let saved = serde_json::to_string(&p).unwrap();
    let mut q: PointAlarm = serde_json::from_str(&saved).unwrap();
    assert_eq!(q, p);
    assert!(
        q.observe(sec(5), 300.0).is_empty(),
        "older than the last sample"
    );
    let a = run(&mut p, (20..200).map(|s| (s, 400.0)));
    let b = run(&mut q, (20..200).map(|s| (s, 400.0)));
    assert_eq!(a, b);
    assert_eq!(a.len(), 1);
}

#[test]
fn eleven_alarms_of_an_area_in_ten_minutes_are_one_flood() {
    let mut f = FloodTracker::new(FloodRule::default());
    let mut began = Vec::new();
    let mut members = 0;
    for i in 0..11 {
        let (events, member) = f.raised(sec(i * 50), format!("P{i}"));
        began.extend(events);
        members += usize::from(member);
    }
    assert_eq!(began.len(), 1, "{began:?}");
    assert!(
        matches!(&began[0], FloodEvent::Began { first_out, count: 11, at }
        if first_out.0 == "P0" && first_out.1 == sec(0) && *at == sec(500))
    );
    assert_eq!(members, 1, "the eleventh alarm is the flood's first member");
    // Ten more a minute apart keep it; then none: it ends when fewer than 5 were raised in
    // the last 10 minutes.
    for i in 11..21 {
        let (events, member) = f.raised(sec(i * 60), format!("P{i}"));
        assert!(events.is_empty() && member);
    }
    assert!(
        f.advance(sec(20 * 60 + 5 * 60)).is_none(),
        "still 5 in the window"
    );
    let ended = f.advance(sec(40 * 60)).unwrap();
    // The window's count fell to 4 when the alarm of 16 minutes left it, at 26 minutes.
    assert_eq!(
        ended,
        FloodEvent::Ended {
            at: sec(26 * 60),
            count: 21
        }
    );
    assert!(!f.in_flood());
}

#[test]
fn the_kpis_of_a_day() {
    let day = (t0(), t0() + Duration::days(1));
    let rec = |p: &str, r: i64, c: Option<i64>| AlarmRecord {
        point: p.to_owned(),
        raised_at: sec(r),
        cleared_at: c.map(sec),
    };
    let alarms = vec![
        rec("A", 0, Some(10)),
        rec("A", 20, Some(30)),
        rec("A", 40, Some(50)),
        rec("B", 3600, None),
        rec("C", -2 * 86_400, None),
    ];
    let k = kpis(day.0, day.1, &alarms, &[(sec(0), Some(sec(8640)))]);
    assert_eq!(
        (
            k.alarms,
            k.per_10_min_peak,
            k.standing,
            k.stale,
            k.chattering_points
        ),
        (4, 3, 2, 1, 1)
    );
    assert!((k.per_10_min_average - 4.0 / 144.0).abs() < 1e-12);
    assert!((k.flood_share - 0.1).abs() < 1e-12);
}

#[test]
fn limits_are_ordered() {
    assert!(kv400(0).limits.validate().is_ok());
    let bad = GradedLimits {
        hi: Some(420.0),
        hihi: Some(418.0),
        ..Default::default()
    };
    assert!(
        bad.validate()
            .unwrap_err()
            .contains("hi (420) must be below hihi")
    );
}
