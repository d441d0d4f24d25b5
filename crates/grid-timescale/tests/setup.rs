//! Setup is idempotent, fits the server mode, and teardown restores the store's schema.

mod common;

use common::*;
use diesel::prelude::*;
use grid_model::*;
use grid_testdb::{Mode, TestDb, count, schema_snapshot};
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, TimePolicy};
use grid_timescale::{RollupKind, TimescaleConfig, TimescaleError, setup, teardown};

#[test]
fn setup_is_idempotent_and_fits_the_mode() {
    let db = TestDb::new(&MIGRATED);
    let conn = &mut db.conn();
    let first = setup(conn, &TimescaleConfig::default()).unwrap();
    eprintln!("setup in mode {}: {:?}", db.mode(), first.applied);
    let expected: &[&str] = match db.mode() {
        Mode::Plain => &["latest_readings", "refresh_failures", "rollups"],
        _ => &[
            "latest_readings",
            "hypertable",
            "chunk_probe",
            "refresh_failures",
            "rollups",
        ],
    };
    assert_eq!(first.applied, expected);
    assert_eq!(first.hypertable, db.mode() != Mode::Plain);
    assert_eq!(
        first.rollups,
        if db.mode() == Mode::Community {
            RollupKind::ContinuousAggregates
        } else {
            RollupKind::Tables
        }
    );
    if first.hypertable {
        // 1-day chunks and no default time index.
        let interval = grid_testdb::text(
            conn,
            "SELECT time_interval::text AS v FROM timescaledb_information.dimensions
              WHERE hypertable_name = 'sensor_readings'",
        );
        assert_eq!(interval, "1 day");
        let idx = count(
            conn,
            "SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'sensor_readings'",
        );
        assert_eq!(idx, 4, "pkey, BRIN and the two partial indexes only");
    }
    let second = setup(conn, &TimescaleConfig::default()).unwrap();
    assert!(second.applied.is_empty());
    // The time zone of the daily rollup cannot change under it.
    let other = TimescaleConfig {
        time_zone: "UTC".into(),
    };
    match setup(conn, &other) {
        Err(TimescaleError::TimeZoneMismatch {
            configured,
            database,
        }) => assert_eq!(
            (configured.as_str(), database.as_str()),
            ("UTC", "Africa/Nairobi")
        ),
        other => panic!("expected a time-zone mismatch, got {other:?}"),
    }
    let bad = TimescaleConfig {
        time_zone: "Mars/Olympus".into(),
    };
    assert!(matches!(setup(conn, &bad), Err(TimescaleError::Config(_))));
}

#[test]
fn teardown_restores_the_store_schema_keeping_readings_and_down_migrations_still_work() {
    let db = TestDb::new(&MIGRATED);
    let conn = &mut db.conn();
    let before = schema_snapshot(conn);
    let s = substation(conn, "TD-1", GridZone::Nairobi, 66);
    let v = sensor(conn, &s, "TD-V", SensorType::Voltage);
    setup(conn, &TimescaleConfig::default()).unwrap();
    let mut ing = Ingester::new(
        conn,
        Default::default(),
        IngestOptions {
            time_policy: TimePolicy::backfill(t(2026, 1, 1, 0, 0), t(2026, 1, 4, 0, 0)),
            ..Default::default()
        },
    )
    .unwrap();
    let readings =
        (0..72).map(|h| Reading::new(v.id, t(2026, 1, 1, 0, 0) + chrono::Duration::hours(h), 66.0));
    assert_eq!(ing.ingest_batch(conn, readings).unwrap().inserted, 72);

    let reverted = teardown(conn).unwrap();
    assert!(reverted.contains(&"rollups".to_owned()));
    assert_eq!(
        schema_snapshot(conn),
        before,
        "teardown left the schema changed"
    );
    assert_eq!(count(conn, "SELECT count(*) AS n FROM sensor_readings"), 72);
    assert!(teardown(conn).unwrap().is_empty(), "teardown twice");

    grid_store::migrations::revert_all(conn).unwrap();
    assert!(schema_snapshot(conn).is_empty());
}

#[test]
fn setup_on_a_table_with_readings_migrates_them_and_rolls_them_up() {
    let db = TestDb::new(&MIGRATED);
    let conn = &mut db.conn();
    let s = substation(conn, "MG-1", GridZone::Kisumu, 33);
    let f = sensor(conn, &s, "MG-F", SensorType::Frequency);
    diesel::sql_query(format!(
        "INSERT INTO sensor_readings (sensor_id, \"timestamp\", value)
         SELECT '{}', ts, 50 FROM generate_series(TIMESTAMPTZ '2026-02-01 00:00+00',
                                                  TIMESTAMPTZ '2026-02-02 23:59+00', INTERVAL '1 minute') ts",
        f.id
    ))
    .execute(conn)
    .unwrap();
    setup(conn, &TimescaleConfig::default()).unwrap();
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM sensor_readings"),
        2880
    );
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM sensor_readings_hourly"),
        48
    );
    assert_eq!(
        count(
            conn,
            "SELECT sum(reading_count)::bigint AS n FROM sensor_readings_hourly"
        ),
        2880
    );
    // Nairobi days: 2026-02-01 03:00 local … 2026-02-03 02:59 local span three local days.
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM sensor_readings_daily"),
        3
    );
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM sensor_latest_readings"),
        1
    );
}
