//! Physical bounds at ingest and in the database: no single value can break an aggregate.

mod common;

use chrono::Duration;
use common::*;
use diesel::connection::SimpleConnection;
use grid_model::*;
use grid_testdb::{count, sqlstate_of};
use grid_timescale::OperatingLimits;
use grid_timescale::bounds::MAX_ABS_VALUE;
use grid_timescale::ingest::*;
use grid_timescale::query::{SeriesTarget, SourcePreference, series};
use grid_timescale::refresh;

fn backfill(from: chrono::DateTime<chrono::Utc>) -> IngestOptions {
    IngestOptions {
        time_policy: TimePolicy::backfill(from, from + Duration::days(1)),
        ..Default::default()
    }
}

/// Defect 1 of the hardening issue: one reading of 1e308 made `avg()` overflow for its
/// sensor-hour, and from then on no rollup refreshed for any sensor.
#[test]
fn a_reading_of_1e308_is_refused_and_the_good_ones_beside_it_land_and_roll_up() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "BD-1", GridZone::Nairobi, 66);
    let v = sensor(conn, &s, "CSV-LAN-V", SensorType::Voltage);
    let other = sensor(conn, &s, "BD-LOAD", SensorType::Load);
    let hour = t(2026, 11, 24, 10, 0);
    let mut ing = Ingester::new(conn, OperatingLimits::default(), backfill(hour)).unwrap();
    let r = ing
        .ingest_batch(
            conn,
            [
                Reading::new(v.id, hour + Duration::minutes(4), 66.1),
                Reading::new(v.id, hour + Duration::minutes(5), 1e308),
                Reading::new(v.id, hour + Duration::minutes(6), 65.9),
                Reading::new(other.id, hour + Duration::minutes(5), 12.0),
                Reading::new(other.id, hour + Duration::minutes(6), -1e308),
            ],
        )
        .unwrap();
    assert_eq!((r.inserted, r.rejected), (3, 2), "{r:?}");
    assert_eq!(
        r.rejected_by_reason
            .get(&RejectReason::RawValueOutOfBounds)
            .copied(),
        Some(2),
        "{r:?}"
    );
    assert_eq!(
        r.rejections.iter().map(|x| x.index).collect::<Vec<_>>(),
        [1, 4]
    );
    // The refresh and the series work, from the rollup and from raw readings alike.
    refresh(conn).unwrap();
    for prefer in [SourcePreference::Auto, SourcePreference::Raw] {
        let s = series(
            conn,
            SeriesTarget::sensor(v.id),
            hour,
            hour + Duration::hours(1),
            Duration::hours(1),
            prefer,
        )
        .unwrap();
        assert_eq!(s.buckets[0].count, 2);
        assert!((s.buckets[0].avg.unwrap() - 66.0).abs() < 1e-9);
    }
}

#[test]
fn a_value_beyond_its_types_physical_bounds_is_refused_with_its_reason() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "BD-2", GridZone::Kisumu, 132);
    let v = sensor(conn, &s, "BD-V", SensorType::Voltage);
    let temp = sensor(conn, &s, "BD-T", SensorType::Temperature);
    let f = sensor(conn, &s, "BD-F", SensorType::Frequency);
    let at = t(2026, 11, 24, 10, 0);
    let m = |i: i64| at + Duration::minutes(i);
    let mut ing = Ingester::new(conn, OperatingLimits::default(), backfill(at)).unwrap();
    let r = ing
        .ingest_batch(
            conn,
            [
                Reading::new(v.id, m(0), 150.0), // out of range (flagged), physically fine
                Reading::new(v.id, m(1), 400.0), // > 3 pu of 132 kV
                Reading::new(temp.id, m(0), 140.0), // hot, but real
                Reading::new(temp.id, m(1), 301.0), // not a transformer temperature
                Reading::new(temp.id, m(2), -61.0),
                Reading::new(f.id, m(0), 0.0),   // a dead bus
                Reading::new(f.id, m(1), 120.0), // not a 50 Hz grid
            ],
        )
        .unwrap();
    assert_eq!(r.inserted, 3, "{r:?}");
    assert_eq!(
        r.rejected_by_reason
            .get(&RejectReason::OutsidePhysicalBounds)
            .copied(),
        Some(4),
        "{r:?}"
    );
    assert_eq!(
        r.out_of_range, 3,
        "150 kV, 140 °C and 0 Hz are flagged: {r:?}"
    );
}

#[test]
fn a_sensor_can_widen_its_bounds_and_a_bad_bound_refuses_only_its_readings() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "BD-3", GridZone::Mombasa, 33);
    let mut wide = SensorDraft::new(s.id, "BD-WIDE", SensorType::Vibration);
    wide.metadata = SensorMetadata {
        physical_bounds: Some(serde_json::json!({"min": 0, "max": 5000})),
        ..Default::default()
    }
    .to_json();
    let wide = sensor_with(conn, wide);
    let mut broken = SensorDraft::new(s.id, "BD-BROKEN", SensorType::Vibration);
    broken.metadata = SensorMetadata {
        physical_bounds: Some(serde_json::json!({"min": 10, "max": 1})),
        ..Default::default()
    }
    .to_json();
    let broken = sensor_with(conn, broken);
    let plain = sensor(conn, &s, "BD-PLAIN", SensorType::Vibration);
    let at = t(2026, 11, 24, 10, 0);
    let mut ing = Ingester::new(conn, OperatingLimits::default(), backfill(at)).unwrap();
    let r = ing
        .ingest_batch(
            conn,
            [
                Reading::new(wide.id, at, 2000.0),
                Reading::new(plain.id, at, 2000.0),
                Reading::new(broken.id, at, 1.0),
                Reading::new(plain.id, at + Duration::minutes(1), 3.0),
            ],
        )
        .unwrap();
    assert_eq!(r.inserted, 2, "{r:?}");
    let reasons: Vec<_> = r.rejections.iter().map(|x| (x.index, x.reason)).collect();
    assert_eq!(
        reasons,
        [
            (1, RejectReason::OutsidePhysicalBounds),
            (2, RejectReason::InvalidSensorBounds)
        ]
    );
}

/// Writes that bypass ingest meet the same magnitude bound in the database, exactly at
/// [`MAX_ABS_VALUE`].
#[test]
fn the_database_bounds_every_value_at_the_same_magnitude_as_ingest() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "BD-4", GridZone::Nakuru, 11);
    let v = sensor(conn, &s, "BD-DB", SensorType::Load);
    let insert = |value: f64, raw: f64, minute: u32| {
        format!(
            "INSERT INTO sensor_readings (sensor_id, \"timestamp\", value, value_raw)
             VALUES ('{}', '2026-11-24 10:{minute:02}:00+00', {value:e}, {raw:e})",
            v.id
        )
    };
    conn.batch_execute(&insert(MAX_ABS_VALUE, -MAX_ABS_VALUE, 0))
        .unwrap();
    let just_over = f64::from_bits(MAX_ABS_VALUE.to_bits() + 1);
    for (value, raw) in [(just_over, 1.0), (1.0, -just_over), (1e308, 1.0)] {
        let refused = sqlstate_of(conn, &insert(value, raw, 1)).unwrap_or_default();
        assert!(refused.starts_with("23514"), "{value} / {raw}: {refused}");
    }
    assert_eq!(count(conn, "SELECT count(*) AS n FROM sensor_readings"), 1);
}

/// The SCADA issue's poison reading: a timestamp before 4713 BC that a wide time policy
/// admitted failed its whole batch in the database (chrono itself ends before TimescaleDB's
/// last instant, so no reading can be too late); and the attack run's year 0, stored as
/// 1 BC without a word. Both are refused with a typed reason now, whatever the policy, and
/// the readings beside them land.
#[test]
fn a_timestamp_the_database_cannot_hold_is_refused_not_left_to_fail_the_batch() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "BD-4", GridZone::Nairobi, 66);
    let v = sensor(conn, &s, "BD-4-V", SensorType::Voltage);
    let at = chrono::Utc::now() - Duration::hours(1);
    let year = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
    };
    let ancient = year(-5000);
    // Replay admits any age (and a backfill may name any range): the storable range bounds
    // both.
    for policy in [
        TimePolicy::replay(),
        TimePolicy::backfill(ancient, at + Duration::days(1)),
    ] {
        let opts = IngestOptions {
            time_policy: policy,
            ..Default::default()
        };
        let mut ing = Ingester::new(conn, OperatingLimits::default(), opts).unwrap();
        let r = ing
            .ingest_batch(
                conn,
                [
                    Reading::new(v.id, at, 66.0),
                    Reading::new(v.id, ancient, 66.0),
                    Reading::new(v.id, year(0), 66.0),
                    Reading::new(v.id, year(1899), 66.0),
                    Reading::new(v.id, year(2200), 66.0),
                ],
            )
            .unwrap();
        assert_eq!(r.rejected, 4, "{r:?}");
        assert_eq!(
            r.rejected_by_reason
                .get(&RejectReason::ImplausibleTime)
                .copied(),
            Some(4)
        );
    }
    assert_eq!(
        count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM sensor_readings WHERE sensor_id = '{}'",
                v.id
            )
        ),
        1
    );
}
