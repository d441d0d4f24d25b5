//! A refresh that cannot wedge: an hour whose rollup fails is set aside, the rest drains,
//! series name the hour instead of failing, retention proceeds, and the hour recovers.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use diesel::connection::SimpleConnection;
use grid_model::*;
use grid_testdb::{Mode, count, text};
use grid_timescale::OperatingLimits;
use grid_timescale::ingest::*;
use grid_timescale::query::{SeriesTarget, Source, SourcePreference, series};
use grid_timescale::refresh;
use grid_timescale::retention::apply_retention;
use grid_timescale::set_aside::set_aside_hours;

/// Where a rollup's rows are stored: the table itself, or in the community edition the
/// continuous aggregate's materialization hypertable (its view also answers unmaterialised
/// buckets from raw readings, in real time).
fn materialized(conn: &mut diesel::PgConnection, mode: Mode, rollup: &str) -> String {
    if mode != Mode::Community {
        return rollup.to_owned();
    }
    text(
        conn,
        &format!(
            "SELECT format('%I.%I', materialization_hypertable_schema,
                           materialization_hypertable_name) AS v
               FROM timescaledb_information.continuous_aggregates
              WHERE view_name = '{rollup}'"
        ),
    )
}

/// Makes every write of the hourly rollup for `hour` fail, by a trigger on the table the
/// rollup materialises into (the continuous aggregate's hypertable in the community edition).
fn break_hour(conn: &mut diesel::PgConnection, mode: Mode, hour: DateTime<Utc>) {
    let table = materialized(conn, mode, "sensor_readings_hourly");
    conn.batch_execute(&format!(
        "CREATE OR REPLACE FUNCTION test_refuse_hour() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.bucket = '{}'::timestamptz THEN
                 RAISE EXCEPTION 'test: hour % refuses to roll up', NEW.bucket;
             END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER test_refuse_hour BEFORE INSERT ON {table}
             FOR EACH ROW EXECUTE FUNCTION test_refuse_hour();",
        hour.to_rfc3339()
    ))
    .unwrap();
}

fn mend_hour(conn: &mut diesel::PgConnection) {
    // The trigger goes with its function.
    conn.batch_execute("DROP FUNCTION test_refuse_hour() CASCADE")
        .unwrap();
}

/// Makes every set-aside hour due now, as if its backoff had passed.
fn make_due(conn: &mut diesel::PgConnection) {
    conn.batch_execute("UPDATE grid_timescale_refresh_failures SET next_attempt_at = now()")
        .unwrap();
}

fn hourly_rows(conn: &mut diesel::PgConnection, mode: Mode, hour: DateTime<Utc>) -> i64 {
    let table = materialized(conn, mode, "sensor_readings_hourly");
    count(
        conn,
        &format!(
            "SELECT count(*) AS n FROM {table} WHERE bucket = '{}'",
            hour.to_rfc3339()
        ),
    )
}

fn daily_readings(conn: &mut diesel::PgConnection, mode: Mode) -> i64 {
    let table = materialized(conn, mode, "sensor_readings_daily");
    count(
        conn,
        &format!("SELECT coalesce(sum(reading_count), 0)::bigint AS n FROM {table}"),
    )
}

#[test]
fn a_failing_hour_is_set_aside_the_rest_drains_series_name_it_and_it_recovers() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "RF-1", GridZone::Western, 33);
    let a = sensor(conn, &s, "RF-A", SensorType::Load);
    let b = sensor(conn, &s, "RF-B", SensorType::Load);
    // 06:00-09:00 UTC: 09:00-12:00 in Nairobi, one local day.
    let h0 = t(2026, 3, 10, 6, 0);
    let h1 = h0 + Duration::hours(1);
    let h2 = h0 + Duration::hours(2);
    let opts = IngestOptions {
        time_policy: TimePolicy::backfill(h0 - Duration::days(1), h0 + Duration::days(20)),
        ..Default::default()
    };
    let mut ing = Ingester::new(conn, OperatingLimits::default(), opts).unwrap();
    let readings = (0..180).flat_map(|m| {
        let at = h0 + Duration::minutes(m);
        [Reading::new(a.id, at, 10.0), Reading::new(b.id, at, 20.0)]
    });
    ing.ingest_batch(conn, readings).unwrap();

    break_hour(conn, db.mode(), h1);
    let report = refresh(conn).expect("a failing hour does not fail the refresh");
    assert_eq!(report.hours, 2, "{report:?}");
    assert_eq!(report.set_aside.len(), 1, "{report:?}");
    assert_eq!(report.set_aside[0].hour, h1);
    // The database's own words. TimescaleDB's refresh procedure (community) ends its
    // transactions itself, and an error raised while it materialises reaches the caller
    // as "invalid transaction termination" instead of the trigger's message.
    let error = &report.set_aside[0].error;
    if db.mode() == Mode::Community {
        assert!(!error.is_empty());
    } else {
        assert!(error.contains("refuses to roll up"), "{report:?}");
    }
    assert_eq!(report.still_set_aside, 1);
    assert_eq!(
        (
            hourly_rows(conn, db.mode(), h0),
            hourly_rows(conn, db.mode(), h2)
        ),
        (2, 2)
    );
    assert_eq!(hourly_rows(conn, db.mode(), h1), 0);
    // The local day holding the hour is not rolled up from a mix of fresh and missing hours.
    assert_eq!(daily_readings(conn, db.mode()), 0);
    // The operator sees it, with its backoff.
    let listed = set_aside_hours(conn).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].attempts, 1);
    assert!(listed[0].next_attempt_at > listed[0].last_failed_at);

    // A series over it answers, from raw readings, leaving the hour out and naming it.
    let sr = series(
        conn,
        SeriesTarget::sensor(a.id),
        h0,
        h0 + Duration::hours(3), // lint-ok: a span of three hours, not a zone offset
        Duration::hours(1),
        SourcePreference::Auto,
    )
    .unwrap();
    assert_eq!(sr.unavailable_hours, [h1]);
    assert_eq!(sr.source, Source::Raw);
    let counts: Vec<i64> = sr.buckets.iter().map(|b| b.count).collect();
    assert_eq!(counts, [60, 0, 60]);
    let daily = series(
        conn,
        SeriesTarget::sensor(a.id),
        h0,
        h0 + Duration::hours(3), // lint-ok: a span of three hours, not a zone offset
        Duration::days(1),
        SourcePreference::Auto,
    )
    .unwrap();
    assert_eq!(daily.unavailable_hours, [h1]);
    assert_eq!(daily.buckets[0].count, 120);

    // Not due yet: the next refresh leaves it alone.
    let again = refresh(conn).unwrap();
    assert_eq!(
        (again.hours, again.set_aside.len(), again.still_set_aside),
        (0, 0, 1)
    );
    // Due and still failing: a second attempt, with a longer wait.
    make_due(conn);
    let again = refresh(conn).unwrap();
    assert_eq!(again.set_aside.len(), 1);
    assert_eq!(again.set_aside[0].attempts, 2);
    let wait = again.set_aside[0].next_attempt_at - again.set_aside[0].last_failed_at;
    assert_eq!(
        wait.num_seconds(),
        2 * grid_timescale::set_aside::FIRST_RETRY.num_seconds()
    );

    // Mended and due: it recovers, and so does its day.
    mend_hour(conn);
    make_due(conn);
    let healed = refresh(conn).unwrap();
    assert_eq!(
        (healed.recovered, healed.still_set_aside),
        (1, 0),
        "{healed:?}"
    );
    assert_eq!(hourly_rows(conn, db.mode(), h1), 2);
    assert_eq!(daily_readings(conn, db.mode()), 360);
    let sr = series(
        conn,
        SeriesTarget::sensor(a.id),
        h0,
        h0 + Duration::hours(3), // lint-ok: a span of three hours, not a zone offset
        Duration::hours(1),
        SourcePreference::Auto,
    )
    .unwrap();
    assert!(sr.unavailable_hours.is_empty());
    assert_eq!(sr.source, Source::HourlyRollup);
    assert!(sr.buckets.iter().all(|b| b.count == 60));

    // Retention proceeds while an hour fails: its refresh sets the hour aside and drops.
    break_hour(conn, db.mode(), h1);
    ing.ingest_batch(conn, [Reading::new(a.id, h1 + Duration::seconds(30), 11.0)])
        .unwrap();
    let later = h0 + Duration::days(12);
    ing.ingest_batch(conn, [Reading::new(a.id, later, 12.0)])
        .unwrap();
    let ret = apply_retention(conn, Duration::days(8), later).expect("retention proceeds");
    assert_eq!(ret.refreshed.set_aside.len(), 1, "{ret:?}");
    assert!(ret.removed > 0, "{ret:?}");
    assert_eq!(
        count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM sensor_readings WHERE \"timestamp\" < '{}'",
                ret.horizon.to_rfc3339()
            )
        ),
        0
    );
}
