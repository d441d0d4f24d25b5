//! Concurrent writers with overlapping data: a SCADA poller, a backfill and a CSV import
//! running together is a control room's normal day.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Barrier};

use chrono::{DateTime, Duration, Utc};
use common::*;
use diesel::prelude::*;
use diesel::sql_types::{Double, Timestamptz};
use grid_model::*;
use grid_testdb::count;
use grid_timescale::OperatingLimits;
use grid_timescale::ingest::*;
use grid_timescale::refresh;
use uuid::Uuid;

const WRITERS: usize = 4;
const SENSORS: usize = 200;
const TIMES: i64 = 1_000;
const BATCH: usize = 10_000;

type Key = (Uuid, DateTime<Utc>);

/// Each writer's copy of the same 200,000 keys (200 sensors × 1,000 times, 5 minutes apart
/// over 3.5 days, so several daily chunks are new to every writer), in its own order; 1 % of
/// the keys carry a value of that writer's own.
fn copies(sensors: &[Uuid], start: DateTime<Utc>) -> (Vec<Vec<Reading>>, usize) {
    let base = |s: usize, i: i64| (s as f64) + (i as f64) / 1000.0;
    let mut conflicting = 0;
    let mut keys: Vec<(usize, i64, bool)> = Vec::new();
    for s in 0..sensors.len() {
        for i in 0..TIMES {
            let differs = (s as i64 * TIMES + i) % 100 == 7;
            conflicting += usize::from(differs);
            keys.push((s, i, differs));
        }
    }
    let all = (0..WRITERS)
        .map(|w| {
            let mut order = keys.clone();
            let mut rng = Rng(0xC0FF_EE00 + w as u64);
            for i in (1..order.len()).rev() {
                order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
            }
            order
                .into_iter()
                .map(|(s, i, differs)| {
                    let v = base(s, i)
                        + if differs {
                            1000.0 * (w + 1) as f64
                        } else {
                            0.0
                        };
                    Reading::new(sensors[s], start + Duration::minutes(5 * i), v)
                })
                .collect()
        })
        .collect();
    (all, conflicting)
}

/// Runs the writers at once; returns each one's report (or its error).
fn run_writers(
    db: &grid_testdb::TestDb,
    copies: Vec<Vec<Reading>>,
    options: &IngestOptions,
) -> Vec<Result<StreamReport, String>> {
    let barrier = Arc::new(Barrier::new(copies.len()));
    let handles: Vec<_> = copies
        .into_iter()
        .map(|copy| {
            let url = db.url();
            let barrier = barrier.clone();
            let options = options.clone();
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).map_err(|e| e.to_string())?;
                let mut ing = Ingester::new(&mut conn, OperatingLimits::default(), options)
                    .map_err(|e| e.to_string())?;
                barrier.wait();
                ing.ingest_stream(&mut conn, copy, BATCH, |_| {})
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn check_outcome(
    conn: &mut PgConnection,
    copies: &[Vec<Reading>],
    reports: &[StreamReport],
    conflicting: usize,
) {
    let distinct = SENSORS * TIMES as usize;
    let inserted: u64 = reports.iter().map(|r| r.report.inserted).sum();
    assert_eq!(inserted, distinct as u64, "{reports:#?}");
    for r in reports {
        let x = &r.report;
        assert_eq!(x.received, distinct as u64);
        assert_eq!(x.rejected, 0);
        assert_eq!(
            x.inserted + x.duplicates + x.conflicts + x.replaced,
            x.received
        );
    }
    // Every conflicting key is inserted by one writer and a conflict for the other three.
    let conflicts: u64 = reports.iter().map(|r| r.report.conflicts).sum();
    assert_eq!(conflicts, ((WRITERS - 1) * conflicting) as u64);

    // Every key holds one of the values written for it.
    let mut written: HashMap<Key, Vec<f64>> = HashMap::new();
    for copy in copies {
        for r in copy {
            written
                .entry((r.sensor_id, r.timestamp))
                .or_default()
                .push(r.value_raw);
        }
    }
    #[derive(QueryableByName)]
    struct Stored {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        sensor_id: Uuid,
        #[diesel(sql_type = Timestamptz)]
        timestamp: DateTime<Utc>,
        #[diesel(sql_type = Double)]
        value: f64,
    }
    let stored: Vec<Stored> =
        diesel::sql_query("SELECT sensor_id, \"timestamp\", value FROM sensor_readings")
            .load(conn)
            .unwrap();
    assert_eq!(stored.len(), distinct);
    for s in &stored {
        let options = &written[&(s.sensor_id, s.timestamp)];
        assert!(
            options.contains(&s.value),
            "{} {}",
            s.sensor_id,
            s.timestamp
        );
    }

    // The latest-value table and last_reading_at hold each sensor's newest reading.
    assert_eq!(
        count(
            conn,
            "SELECT count(*) AS n FROM grid_sensors s
               JOIN (SELECT sensor_id, max(\"timestamp\") AS ts FROM sensor_readings
                      GROUP BY sensor_id) m ON m.sensor_id = s.id
               JOIN sensor_latest_readings l ON l.sensor_id = s.id
               JOIN sensor_readings r ON r.sensor_id = s.id AND r.\"timestamp\" = m.ts
              WHERE s.last_reading_at = m.ts AND l.\"timestamp\" = m.ts AND l.value = r.value"
        ),
        SENSORS as i64
    );

    // The rollups equal the raw aggregates.
    refresh(conn).unwrap();
    assert_eq!(
        count(
            conn,
            "SELECT count(*) AS n FROM (
                 SELECT sensor_id, date_bin(INTERVAL '1 hour', \"timestamp\",
                                            TIMESTAMPTZ '2000-01-01 00:00+00') AS bucket,
                        count(*) AS c, sum(value) AS s, min(value) AS lo, max(value) AS hi
                   FROM sensor_readings GROUP BY 1, 2) raw
               FULL JOIN sensor_readings_hourly h USING (sensor_id, bucket)
              WHERE h.reading_count IS DISTINCT FROM raw.c
                 OR raw.c IS NULL OR abs(h.sum_value - raw.s) > 1e-6 * greatest(1, abs(raw.s))
                 OR h.min_value IS DISTINCT FROM raw.lo OR h.max_value IS DISTINCT FROM raw.hi"
        ),
        0,
        "hourly rollup differs from the raw aggregates"
    );
    assert_eq!(
        count(
            conn,
            "SELECT count(*) AS n FROM (
                 SELECT sensor_id, sum(reading_count) AS c FROM sensor_readings_daily
                  GROUP BY 1) d
               JOIN (SELECT sensor_id, count(*) AS c FROM sensor_readings GROUP BY 1) r
                 USING (sensor_id)
              WHERE d.c = r.c"
        ),
        SENSORS as i64,
        "daily rollup counts differ from the raw counts"
    );
}

fn setup_sensors(conn: &mut PgConnection) -> Vec<Uuid> {
    let s = substation(conn, "CW-1", GridZone::Central, 66);
    (0..SENSORS)
        .map(|i| sensor(conn, &s, &format!("CW-{i:03}"), SensorType::Load).id)
        .collect()
}

fn options(start: DateTime<Utc>, retry: RetryPolicy) -> IngestOptions {
    IngestOptions {
        time_policy: TimePolicy::backfill(start, start + Duration::days(4)),
        retry,
        ..Default::default()
    }
}

/// Defect 2 of the hardening issue: two writers of overlapping data deadlocked.
#[test]
fn four_concurrent_writers_of_overlapping_shuffled_copies_finish_without_error() {
    let start = t(2026, 6, 1, 0, 0);
    let db = ready();
    let conn = &mut db.conn();
    let sensors = setup_sensors(conn);
    let (copies, conflicting) = copies(&sensors, start);
    let results = run_writers(&db, copies.clone(), &options(start, RetryPolicy::default()));
    let reports: Vec<StreamReport> = results
        .into_iter()
        .map(|r| r.expect("no error surfaces"))
        .collect();
    check_outcome(conn, &copies, &reports, conflicting);
}

/// The lock order, not the retry, does the work: without retries, three runs in a row see
/// no deadlock.
#[test]
fn without_retries_the_lock_order_alone_keeps_writers_from_deadlocking() {
    let start = t(2026, 7, 1, 0, 0);
    for run in 0..3 {
        let db = ready();
        let conn = &mut db.conn();
        let sensors = setup_sensors(conn);
        let (copies, conflicting) = copies(&sensors, start);
        let results = run_writers(&db, copies.clone(), &options(start, RetryPolicy::none()));
        let reports: Vec<StreamReport> = results
            .into_iter()
            .map(|r| r.unwrap_or_else(|e| panic!("run {run}: {e}")))
            .collect();
        assert!(reports.iter().all(|r| r.report.retries == 0));
        check_outcome(conn, &copies, &reports, conflicting);
    }
}
