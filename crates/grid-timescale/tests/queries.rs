//! The control room's queries, and the features that differ by edition.

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::*;
use grid_model::*;
use grid_testdb::Mode;
use grid_timescale::compression::{CompressionApi, enable_compression};
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, TimePolicy};
use grid_timescale::query::*;
use grid_timescale::retention::schedule_retention;
use grid_timescale::{OperatingLimits, ServerMode, TimescaleError, refresh};

fn ingester(conn: &mut diesel::PgConnection, from: chrono::DateTime<Utc>) -> Ingester {
    let opts = IngestOptions {
        time_policy: TimePolicy::backfill(from - Duration::days(30), from + Duration::days(30)),
        ..Default::default()
    };
    Ingester::new(conn, OperatingLimits::default(), opts).unwrap()
}

#[test]
fn latest_values_by_scope_match_the_raw_readings() {
    let db = ready();
    let conn = &mut db.conn();
    let a = substation(conn, "LQ-A", GridZone::Nairobi, 66);
    let b = substation(conn, "LQ-B", GridZone::Kisumu, 33);
    let sensors: Vec<_> = (0..4)
        .map(|i| {
            sensor(
                conn,
                if i < 3 { &a } else { &b },
                &format!("LQ-{i}"),
                SensorType::Load,
            )
        })
        .collect();
    let quiet = sensor(conn, &a, "LQ-QUIET", SensorType::Load);
    let d = t(2026, 6, 1, 0, 0);
    let mut ing = ingester(conn, d);
    for (i, s) in sensors.iter().enumerate() {
        let readings = (0..100).map(|m| {
            Reading::new(
                s.id,
                d + Duration::minutes(m),
                (i * 100 + m as usize) as f64,
            )
        });
        ing.ingest_batch(conn, readings).unwrap();
    }
    // Late data for sensor 0 does not change its latest value.
    ing.ingest_batch(
        conn,
        [Reading::new(sensors[0].id, d - Duration::hours(1), -1.0)],
    )
    .unwrap();
    for scope in [
        Scope::Grid,
        Scope::Zone(GridZone::Nairobi),
        Scope::Substation(b.id),
        Scope::Sensor(sensors[1].id),
    ] {
        let fast = latest(conn, scope).unwrap();
        let slow = latest_from_raw(conn, scope).unwrap();
        assert_eq!(fast, slow, "{scope:?}");
    }
    let grid = latest(conn, Scope::Grid).unwrap();
    assert_eq!(
        grid.len(),
        4,
        "a sensor that never reported has no latest value"
    );
    assert_eq!(grid[0].tag, "LQ-0");
    assert_eq!(
        (grid[0].value, grid[0].timestamp),
        (99.0, d + Duration::minutes(99))
    );
    assert_eq!(
        latest(conn, Scope::Zone(GridZone::Kisumu)).unwrap().len(),
        1
    );
    assert!(latest(conn, Scope::Sensor(quiet.id)).unwrap().is_empty());
}

#[test]
fn series_report_gaps_and_aggregate_across_sensors() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "SQ-1", GridZone::Coastal, 33);
    let l1 = sensor(conn, &s, "SQ-L1", SensorType::Load);
    let l2 = sensor(conn, &s, "SQ-L2", SensorType::Load);
    sensor(conn, &s, "SQ-V", SensorType::Voltage);
    let d = t(2026, 6, 2, 0, 0);
    let mut ing = ingester(conn, d);
    // l1: minutes 0–9 and 30–39; l2: minutes 5–14. Nothing in 15–29 or 40–59.
    let mut rs: Vec<Reading> = (0..10)
        .map(|m| Reading::new(l1.id, d + Duration::minutes(m), m as f64))
        .collect();
    rs.extend((30..40).map(|m| Reading::new(l1.id, d + Duration::minutes(m), m as f64)));
    rs.extend((5..15).map(|m| Reading::new(l2.id, d + Duration::minutes(m), 100.0 + m as f64)));
    ing.ingest_batch(conn, rs).unwrap();

    let target = SeriesTarget::substation(s.id, SensorType::Load);
    let one = series(
        conn,
        target,
        d,
        d + Duration::hours(1),
        Duration::minutes(15),
        SourcePreference::Auto,
    )
    .unwrap();
    assert_eq!(
        one.source,
        Source::Raw,
        "15-minute buckets cannot come from an hourly rollup"
    );
    let counts: Vec<i64> = one.buckets.iter().map(|b| b.count).collect();
    assert_eq!(counts, [20, 0, 10, 0]);
    assert!(one.buckets[1].is_gap() && one.buckets[1].avg.is_none() && one.buckets[3].is_gap());
    let b0 = &one.buckets[0];
    assert_eq!(
        (b0.min, b0.max, b0.first, b0.last),
        (Some(0.0), Some(114.0), Some(0.0), Some(114.0))
    );
    // Both sensors are in the average.
    let expected_avg =
        ((0..10).sum::<i64>() as f64 + (5..15).map(|m| 100.0 + m as f64).sum::<f64>()) / 20.0;
    assert!((b0.avg.unwrap() - expected_avg).abs() < 1e-9);

    // A range with no readings at all is all gaps, not an empty answer.
    let empty = series(
        conn,
        target,
        d + Duration::days(2),
        d + Duration::days(3),
        Duration::hours(1),
        SourcePreference::Auto,
    )
    .unwrap();
    assert_eq!(empty.buckets.len(), 24);
    assert!(empty.buckets.iter().all(Bucket::is_gap));

    // Zone series from the rollup after a refresh equals raw.
    refresh(conn).unwrap();
    let zone = SeriesTarget::zone(GridZone::Coastal, SensorType::Load);
    let roll = series(
        conn,
        zone,
        d,
        d + Duration::hours(2),
        Duration::hours(1),
        SourcePreference::Auto,
    )
    .unwrap();
    let raw = series(
        conn,
        zone,
        d,
        d + Duration::hours(2),
        Duration::hours(1),
        SourcePreference::Raw,
    )
    .unwrap();
    assert_eq!(roll.source, Source::HourlyRollup);
    assert_eq!(
        roll.buckets
            .iter()
            .map(|b| (b.count, b.first, b.last))
            .collect::<Vec<_>>(),
        raw.buckets
            .iter()
            .map(|b| (b.count, b.first, b.last))
            .collect::<Vec<_>>()
    );
    assert_eq!(roll.buckets[0].count, 30);
    // Local days: 2026-06-02 00:00 UTC is 03:00 in Nairobi, so the day bucket starts 21:00 UTC.
    let day = series(
        conn,
        zone,
        d,
        d + Duration::hours(1),
        Duration::days(1),
        SourcePreference::Auto,
    )
    .unwrap();
    assert_eq!(day.buckets.len(), 1);
    // The bucket is labelled by its local midnight in the database's zone.
    let local = grid_timescale::local_zone(conn).unwrap();
    let midnight = local
        .tz()
        .from_local_datetime(&local.date_of(d).and_hms_opt(0, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(day.buckets[0].start, midnight);
    assert!(matches!(
        series(
            conn,
            zone,
            d,
            d + Duration::hours(1),
            Duration::seconds(30),
            SourcePreference::Auto
        ),
        Err(TimescaleError::Config(_))
    ));
}

#[test]
fn flagged_readings_and_silent_sensors() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "FQ-1", GridZone::Western, 132);
    let other = substation(conn, "FQ-2", GridZone::Western, 132);
    let v = sensor(conn, &s, "FQ-V", SensorType::Voltage);
    let mut slow = SensorDraft::new(s.id, "FQ-SLOW", SensorType::Temperature);
    slow.sampling_rate_hz = 1.0 / 60.0;
    let slow = sensor_with(conn, slow);
    let never = sensor(conn, &s, "FQ-NEVER", SensorType::Frequency);
    let elsewhere = sensor(conn, &other, "FQ-ELSE", SensorType::Voltage);
    let mut retired = SensorDraft::new(s.id, "FQ-RETIRED", SensorType::Load);
    retired.status = SensorStatus::Inactive;
    sensor_with(conn, retired);
    let d = t(2026, 6, 3, 0, 0);
    let mut ing = ingester(conn, d);
    ing.ingest_batch(
        conn,
        [
            Reading::new(v.id, d, 132.0),
            Reading::new(v.id, d + Duration::seconds(1), 150.0), // > 1.1 pu
            Reading::new(v.id, d + Duration::seconds(2), 131.0),
            Reading::new(elsewhere.id, d, 160.0), // another substation
            Reading::new(slow.id, d, 40.0),
        ],
    )
    .unwrap();
    let f = flagged(conn, s.id, d, d + Duration::minutes(1)).unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].tag.as_str(), f[0].value, f[0].is_out_of_range),
        ("FQ-V", 150.0, true)
    );

    // 10 minutes later with k = 3: the 1 Hz sensor is silent (> 3 s), the 1/min one is
    // silent (> 3 min), the one that never reported is listed first, the inactive one is not.
    let now = d + Duration::minutes(10);
    let silent: Vec<String> = silent_sensors(conn, 3.0, now)
        .unwrap()
        .into_iter()
        .map(|s| s.tag)
        .collect();
    assert_eq!(silent, ["FQ-NEVER", "FQ-ELSE", "FQ-SLOW", "FQ-V"]);
    // Two minutes after its reading the 1/min sensor is still within 3 intervals.
    let soon: Vec<String> = silent_sensors(conn, 3.0, d + Duration::minutes(2))
        .unwrap()
        .into_iter()
        .map(|s| s.tag)
        .collect();
    assert!(!soon.contains(&"FQ-SLOW".to_owned()));
    assert!(soon.contains(&never.tag));
}

#[test]
fn edition_specific_features_answer_typed_when_unsupported() {
    let db = ready();
    let conn = &mut db.conn();
    let compression = enable_compression(conn, Duration::days(7));
    let policy = schedule_retention(conn, Duration::days(30));
    match db.mode() {
        Mode::Community => {
            let api = compression.expect("the community edition compresses");
            assert!(matches!(
                api,
                CompressionApi::Columnstore | CompressionApi::Compression
            ));
            policy.expect("the community edition schedules retention");
            assert!(matches!(
                schedule_retention(conn, Duration::days(2)),
                Err(TimescaleError::Config(_))
            ));
            grid_timescale::teardown(conn).unwrap();
        }
        mode => {
            let expected = if mode == Mode::Plain {
                ServerMode::Plain
            } else {
                ServerMode::Apache
            };
            assert!(
                matches!(compression, Err(TimescaleError::Unsupported { feature: "compression", mode: m, .. }) if m == expected),
                "{compression:?}"
            );
            assert!(
                matches!(
                    policy,
                    Err(TimescaleError::Unsupported {
                        feature: "retention policy",
                        ..
                    })
                ),
                "{policy:?}"
            );
        }
    }
}
