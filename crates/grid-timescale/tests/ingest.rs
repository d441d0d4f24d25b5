//! Ingest: reports, atomicity, idempotence, calibration, limits, latest values.

mod common;

use std::time::Duration as StdDuration;

use chrono::Duration;
use common::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use grid_model::*;
use grid_store::SensorRepository;
use grid_testdb::count;
use grid_timescale::OperatingLimits;
use grid_timescale::ingest::*;
use uuid::Uuid;

fn backfill(from: chrono::DateTime<chrono::Utc>, days: i64) -> IngestOptions {
    IngestOptions {
        time_policy: TimePolicy::backfill(from, from + Duration::days(days)),
        ..Default::default()
    }
}

#[test]
fn a_mixed_batch_lands_every_good_reading_and_counts_the_rest() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "IN-1", GridZone::Nairobi, 66);
    let v = sensor(conn, &s, "IN-V", SensorType::Voltage);
    let mut off = SensorDraft::new(s.id, "IN-OFF", SensorType::Current);
    off.status = SensorStatus::Inactive;
    let off = sensor_with(conn, off);
    let mut bad = SensorDraft::new(s.id, "IN-FAULTY", SensorType::Current);
    bad.status = SensorStatus::Faulty;
    let bad = sensor_with(conn, bad);
    let mut cal = SensorDraft::new(s.id, "IN-CAL", SensorType::Load);
    cal.calibration_scale = 2.0;
    cal.calibration_offset = 1.0;
    let cal = sensor_with(conn, cal);

    let day = t(2026, 4, 1, 0, 0);
    let mut ing = Ingester::new(conn, OperatingLimits::default(), backfill(day, 1)).unwrap();
    let stored = ing
        .ingest_batch(
            conn,
            [
                Reading::new(v.id, day, 66.0),
                Reading::new(v.id, day + Duration::minutes(1), 66.1),
            ],
        )
        .unwrap();
    assert_eq!((stored.inserted, stored.path), (2, WritePath::Direct));

    let m = |i: i64| day + Duration::minutes(10 + i);
    let batch = vec![
        Reading::new(v.id, m(0), 65.9),                       // 0 good
        Reading::new(v.id, m(1), 66.2),                       // 1 good
        Reading::new(v.id, day, 66.0),                        // 2 duplicate of a stored reading
        Reading::new(v.id, day + Duration::minutes(1), 70.0), // 3 conflict with a stored reading
        Reading::new(v.id, m(1), 66.2),                       // 4 duplicate within the batch
        Reading::new(v.id, m(2), f64::NAN),                   // 5 rejected: non-finite
        Reading::new(v.id, m(3), f64::INFINITY),              // 6 rejected: non-finite
        Reading::new(Uuid::new_v4(), m(4), 1.0),              // 7 rejected: unknown sensor
        Reading::new(off.id, m(5), 1.0),                      // 8 rejected: inactive sensor
        Reading::new(v.id, day - Duration::hours(1), 66.0),   // 9 rejected: outside the window
        Reading {
            quality: 1.5,
            ..Reading::new(v.id, m(6), 66.0)
        }, // 10 rejected: quality
        Reading::new(bad.id, m(7), 120.0),                    // 11 good, from a faulty sensor
        Reading::new(v.id, m(8), 80.0),                       // 12 good, out of range (1.21 pu)
        Reading::new(cal.id, m(9), 10.0),                     // 13 good, calibrated to 21
        Reading::new(cal.id, m(10), -3.0), // 14 good, calibrated to -5: out of range
    ];
    let r = ing.ingest_batch(conn, batch.clone()).unwrap();
    assert_eq!(r.received, 15);
    assert_eq!(r.inserted, 6, "{r:?}");
    assert_eq!(r.duplicates, 2);
    assert_eq!(r.conflicts, 1);
    assert_eq!(r.rejected, 6);
    assert_eq!(r.path, WritePath::Staged);
    assert_eq!(r.out_of_range, 2);
    assert_eq!(r.from_degraded_sensors, 1);
    let reasons: Vec<_> = r.rejections.iter().map(|x| (x.index, x.reason)).collect();
    assert_eq!(
        reasons,
        [
            (5, RejectReason::NonFiniteValue),
            (6, RejectReason::NonFiniteValue),
            (7, RejectReason::UnknownSensor),
            (8, RejectReason::InactiveSensor),
            (9, RejectReason::OutsideTimeWindow),
            (10, RejectReason::BadQuality),
        ]
    );
    assert_eq!(r.rejected_by_reason[&RejectReason::NonFiniteValue], 2);

    // What is stored.
    assert_eq!(count(conn, "SELECT count(*) AS n FROM sensor_readings"), 8);
    let kept = grid_testdb::text(
        conn,
        &format!(
            "SELECT value::text AS v FROM sensor_readings WHERE sensor_id = '{}' AND \"timestamp\" = '{}'",
            v.id,
            (day + Duration::minutes(1)).to_rfc3339()
        ),
    );
    assert_eq!(kept, "66.1", "KeepFirst keeps the stored value");
    let cal_rows = grid_testdb::text(conn, &format!(
        "SELECT string_agg(value::text || '/' || value_raw::text || '/' || is_out_of_range::text, ',' ORDER BY \"timestamp\") AS v
           FROM sensor_readings WHERE sensor_id = '{}'", cal.id));
    assert_eq!(cal_rows, "21/10/false,-5/-3/true");
    let oor = count(
        conn,
        &format!(
            "SELECT count(*) AS n FROM sensor_readings WHERE sensor_id = '{}' AND is_out_of_range",
            v.id
        ),
    );
    assert_eq!(oor, 1);

    // Latest values and last_reading_at.
    assert_eq!(conn.sensor(v.id).unwrap().last_reading_at, Some(m(8)));
    let latest = grid_testdb::text(
        conn,
        &format!(
            "SELECT value::text AS v FROM sensor_latest_readings WHERE sensor_id = '{}'",
            v.id
        ),
    );
    assert_eq!(latest, "80");

    // The same batch again: nothing new, nothing fails.
    let again = ing.ingest_batch(conn, batch).unwrap();
    assert_eq!(
        (
            again.inserted,
            again.duplicates,
            again.conflicts,
            again.rejected
        ),
        (0, 8, 1, 6)
    );
    assert_eq!(count(conn, "SELECT count(*) AS n FROM sensor_readings"), 8);
}

#[test]
fn replace_policy_overwrites_and_counts_replacements() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "RP-1", GridZone::Mombasa, 33);
    let f = sensor(conn, &s, "RP-F", SensorType::Frequency);
    let day = t(2026, 4, 2, 0, 0);
    let mut ing = Ingester::new(conn, OperatingLimits::default(), backfill(day, 1)).unwrap();
    ing.ingest_batch(
        conn,
        [
            Reading::new(f.id, day, 50.0),
            Reading::new(f.id, day + Duration::minutes(1), 50.1),
        ],
    )
    .unwrap();
    let mut opts = backfill(day, 1);
    opts.conflicts = ConflictPolicy::Replace;
    let mut rep = Ingester::new(conn, OperatingLimits::default(), opts).unwrap();
    let r = rep
        .ingest_batch(
            conn,
            [
                Reading::new(f.id, day, 50.0),                        // same: duplicate
                Reading::new(f.id, day + Duration::minutes(1), 49.2), // replaces 50.1
                Reading::new(f.id, day + Duration::minutes(2), 50.0), // new
            ],
        )
        .unwrap();
    assert_eq!(
        (r.inserted, r.replaced, r.duplicates, r.conflicts),
        (1, 1, 1, 0)
    );
    let v = grid_testdb::text(
        conn,
        &format!(
            "SELECT string_agg(value::text || ':' || is_out_of_range::text, ',' ORDER BY \"timestamp\") AS v FROM sensor_readings WHERE sensor_id = '{}'",
            f.id
        ),
    );
    assert_eq!(v, "50:false,49.2:true,50:false");
}

#[test]
fn late_data_never_moves_last_reading_at_back() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "LT-1", GridZone::Central, 11);
    let v = sensor(conn, &s, "LT-V", SensorType::Voltage);
    let day = t(2026, 4, 3, 0, 0);
    let mut ing = Ingester::new(conn, OperatingLimits::default(), backfill(day, 2)).unwrap();
    ing.ingest_batch(conn, [Reading::new(v.id, day + Duration::hours(5), 11.0)])
        .unwrap();
    let edited = conn.sensor(v.id).unwrap().updated_at;
    ing.ingest_batch(conn, [Reading::new(v.id, day + Duration::hours(1), 10.0)])
        .unwrap();
    let after = conn.sensor(v.id).unwrap();
    assert_eq!(after.last_reading_at, Some(day + Duration::hours(5)));
    assert_eq!(
        after.updated_at, edited,
        "ingest is not an edit of the sensor"
    );
    let latest = grid_testdb::text(
        conn,
        &format!(
            "SELECT \"timestamp\"::text AS v FROM sensor_latest_readings WHERE sensor_id = '{}'",
            v.id
        ),
    );
    assert!(latest.starts_with("2026-04-03 05:00:00"), "{latest}");
}

#[test]
fn a_batch_interrupted_by_a_database_error_leaves_nothing_and_a_retry_lands_it_all() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "INT-1", GridZone::Nakuru, 132);
    let f = sensor(conn, &s, "INT-F", SensorType::Frequency);
    let from = t(2026, 4, 4, 0, 0);
    let n = 20_000;

    // Another session holds the latest-value table, so the batch stops after its COPY,
    // with every reading written but not committed; then its backend is killed.
    let mut blocker = db.conn();
    blocker
        .batch_execute("BEGIN; LOCK TABLE sensor_latest_readings IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let url = db.url();
    let sensor_id = f.id;
    let worker = std::thread::spawn(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        let mut ing =
            Ingester::new(&mut conn, OperatingLimits::default(), backfill(from, 1)).unwrap();
        let all = (0..n).map(|i| Reading::new(sensor_id, from + Duration::seconds(i), 50.0));
        ing.ingest_batch(&mut conn, all)
    });
    #[derive(QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let deadline = std::time::Instant::now() + StdDuration::from_secs(60);
    let waiting = loop {
        let w: Vec<Pid> = diesel::sql_query(
            "SELECT pid FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'
                AND query LIKE '%sensor_latest_readings%'",
        )
        .load(conn)
        .unwrap();
        if w.len() == 1 || std::time::Instant::now() > deadline {
            break w;
        }
        std::thread::sleep(StdDuration::from_millis(20));
    };
    assert_eq!(waiting.len(), 1, "exactly one batch waiting after its COPY");
    diesel::sql_query(format!("SELECT pg_terminate_backend({})", waiting[0].pid))
        .execute(conn)
        .unwrap();
    blocker.batch_execute("ROLLBACK").unwrap();
    let result = worker.join().unwrap();
    assert!(
        result.is_err(),
        "the interrupted batch must fail: {result:?}"
    );
    assert_eq!(count(conn, "SELECT count(*) AS n FROM sensor_readings"), 0);
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM sensor_latest_readings"),
        0
    );

    let mut ing = Ingester::new(conn, OperatingLimits::default(), backfill(from, 1)).unwrap();
    let all = || (0..n).map(|i| Reading::new(f.id, from + Duration::seconds(i), 50.0));
    let retry = ing.ingest_batch(conn, all()).unwrap();
    assert_eq!((retry.inserted, retry.duplicates), (n as u64, 0));
    let again = ing.ingest_batch(conn, all()).unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, n as u64));
    assert_eq!(count(conn, "SELECT count(*) AS n FROM sensor_readings"), n);
}

#[test]
fn a_stream_is_a_sequence_of_batches_with_a_resumable_position() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "ST-1", GridZone::Eldoret, 33);
    let a = sensor(conn, &s, "ST-A", SensorType::Load);
    let from = t(2026, 4, 5, 0, 0);
    let mut ing = Ingester::new(conn, OperatingLimits::default(), backfill(from, 1)).unwrap();
    let readings = (0..2_500).map(|i| {
        let value = if i == 1_234 { f64::NAN } else { 10.0 };
        Reading::new(a.id, from + Duration::seconds(i), value)
    });
    let mut seen = Vec::new();
    let r = ing
        .ingest_stream(conn, readings, 1_000, |p| seen.push(p.position))
        .unwrap();
    assert_eq!(seen, [1_000, 2_000, 2_500]);
    assert_eq!((r.position, r.batches), (2_500, 3));
    assert_eq!((r.report.inserted, r.report.rejected), (2_499, 1));
    assert_eq!(
        r.report.rejections[0].index, 1_234,
        "indices count across the stream"
    );
    // Resuming from a position inserts only what follows it.
    let rest = (2_000..3_000).map(|i| Reading::new(a.id, from + Duration::seconds(i), 10.0));
    let r2 = ing.ingest_stream(conn, rest, 1_000, |_| {}).unwrap();
    assert_eq!((r2.report.inserted, r2.report.duplicates), (500, 500));
}

/// A kept ingester reloads its sensor table only when it changed: a new sensor, a
/// recalibration, a substation's change, a deleted sensor; a reading's arrival (which moves
/// `last_reading_at`) is not a change.
#[test]
fn a_kept_ingester_reloads_only_what_changed() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "RC-1", GridZone::Kisumu, 33);
    let a = sensor(conn, &s, "RC-A", SensorType::Load);
    let day = t(2026, 4, 2, 0, 0);
    let mut ing = Ingester::new(conn, OperatingLimits::default(), backfill(day, 1)).unwrap();
    assert!(!ing.reload_if_changed(conn).unwrap(), "nothing changed");
    ing.ingest_batch(conn, [Reading::new(a.id, day, 5.0)])
        .unwrap();
    assert!(
        !ing.reload_if_changed(conn).unwrap(),
        "a stored reading is not a change of the sensor table"
    );

    let b = sensor(conn, &s, "RC-B", SensorType::Load);
    assert!(ing.reload_if_changed(conn).unwrap(), "a new sensor");
    let r = ing
        .ingest_batch(conn, [Reading::new(b.id, day, 7.0)])
        .unwrap();
    assert_eq!(r.inserted, 1, "known once reloaded: {r:?}");
    assert!(!ing.reload_if_changed(conn).unwrap());

    diesel::sql_query("UPDATE grid_sensors SET calibration_scale = 2 WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(b.id)
        .execute(conn)
        .unwrap();
    assert!(ing.reload_if_changed(conn).unwrap(), "a recalibration");
    assert_eq!(ing.calibration_of(b.id).map(|c| c.scale), Some(2.0));

    diesel::sql_query("UPDATE grid_substations SET voltage_level_kv = 66 WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(s.id)
        .execute(conn)
        .unwrap();
    assert!(
        ing.reload_if_changed(conn).unwrap(),
        "a substation's change"
    );

    let c = sensor(conn, &s, "RC-C", SensorType::Load);
    assert!(ing.reload_if_changed(conn).unwrap());
    conn.delete_sensor(c.id).unwrap();
    assert!(ing.reload_if_changed(conn).unwrap(), "a deleted sensor");
    assert_eq!(ing.calibration_of(c.id), None);
}
