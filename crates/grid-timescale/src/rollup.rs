//! Hourly and daily rollups of the readings, and their refresh.
//!
//! Both rollups have the same columns in every mode: `sensor_id`, `bucket`, `avg_value`,
//! `max_value`, `min_value`, `reading_count` (the reference's `sensor_readings_hourly`), plus
//! `sum_value`, `first_value`/`first_time` and `last_value`/`last_time`, so that coarser
//! buckets and series over many sensors can be built from them exactly. Hourly buckets are
//! UTC hours; daily buckets are local calendar days of the configured time zone, each
//! labelled by the instant of its local midnight.
//!
//! Ingest appends the hours it touched to an append-only invalidation log. [`refresh`]
//! drains it: in the Apache edition and plain PostgreSQL it recomputes exactly those hours
//! (and their local days) from the raw readings, in one transaction per run of hours; in the
//! community edition it asks TimescaleDB to refresh the continuous aggregates over them (the
//! aggregates also refresh on their own policy and answer recent buckets in real time). The
//! log also tells queries whether a rollup can be trusted for a range (see [`crate::query`]).
//! Late readings for an already rolled-up hour land in the log like any other, so the next
//! refresh picks them up.
//!
//! History is never erased: no refresh recomputes a bucket that begins before the retention
//! horizon (raw data there may be gone), so the rollups keep it.

use chrono::{DateTime, Duration, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Text, Timestamptz};

use crate::capabilities::{ServerMode, detect};
use crate::error::TsResult;
use crate::setup::{RollupKind, literal, state};

/// What a refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// Distinct hours recomputed.
    pub hours: usize,
    /// Distinct local days recomputed.
    pub days: usize,
    /// Invalidated hours older than the retention horizon, left as they were.
    pub skipped_before_horizon: usize,
}

pub(crate) const STATE_DDL: &str = "
    CREATE TABLE grid_timescale_invalidations (
        id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        hour timestamptz NOT NULL);
    CREATE INDEX grid_timescale_invalidations_hour ON grid_timescale_invalidations (hour);
    CREATE TABLE grid_timescale_rollup_state (
        singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        time_zone         text NOT NULL,
        daily_from_hourly boolean NOT NULL,
        refreshed_at      timestamptz,
        retention_horizon timestamptz);";

const TABLES_DDL: &str = "
    CREATE TABLE sensor_readings_hourly (
        sensor_id     uuid NOT NULL REFERENCES grid_sensors (id) ON DELETE CASCADE,
        bucket        timestamptz NOT NULL,
        avg_value     double precision NOT NULL,
        max_value     double precision NOT NULL,
        min_value     double precision NOT NULL,
        reading_count bigint NOT NULL,
        sum_value     double precision NOT NULL,
        first_value   double precision NOT NULL,
        first_time    timestamptz NOT NULL,
        last_value    double precision NOT NULL,
        last_time     timestamptz NOT NULL,
        PRIMARY KEY (sensor_id, bucket));
    CREATE INDEX sensor_readings_hourly_bucket ON sensor_readings_hourly USING brin (bucket);
    CREATE TABLE sensor_readings_daily (LIKE sensor_readings_hourly INCLUDING ALL);
    ALTER TABLE sensor_readings_daily
        ADD FOREIGN KEY (sensor_id) REFERENCES grid_sensors (id) ON DELETE CASCADE;";

/// The aggregate columns over `value`/`"timestamp"` of raw readings, given how `first` and
/// `last` are computed.
fn raw_aggregates(first: &str, last: &str) -> String {
    format!(
        "avg(value) AS avg_value, max(value) AS max_value, min(value) AS min_value,
         count(*) AS reading_count, sum(value) AS sum_value,
         {first} AS first_value, min(\"timestamp\") AS first_time,
         {last} AS last_value, max(\"timestamp\") AS last_time"
    )
}

/// `first`/`last`: TimescaleDB's aggregates where present, an ordered array elsewhere.
fn first_last(mode: ServerMode) -> (&'static str, &'static str) {
    match mode {
        ServerMode::Plain => (
            "(array_agg(value ORDER BY \"timestamp\"))[1]",
            "(array_agg(value ORDER BY \"timestamp\" DESC))[1]",
        ),
        _ => ("first(value, \"timestamp\")", "last(value, \"timestamp\")"),
    }
}

/// Re-aggregates rollup rows into coarser buckets (`bucket_expr` over their `bucket`).
pub(crate) const MERGE_AGGREGATES: &str =
    "sum(sum_value) / sum(reading_count) AS avg_value, max(max_value) AS max_value,
     min(min_value) AS min_value, sum(reading_count)::bigint AS reading_count,
     sum(sum_value) AS sum_value,
     (array_agg(first_value ORDER BY first_time))[1] AS first_value, min(first_time) AS first_time,
     (array_agg(last_value ORDER BY last_time DESC))[1] AS last_value, max(last_time) AS last_time";

pub(crate) fn create(conn: &mut PgConnection, kind: RollupKind, time_zone: &str) -> TsResult<()> {
    conn.batch_execute(STATE_DDL)?;
    // Local days are whole hours of UTC when the zone's offset is (Africa/Nairobi: +03:00);
    // then the daily rollup is built from the hourly one, otherwise from raw readings.
    diesel::sql_query(
        "INSERT INTO grid_timescale_rollup_state (time_zone, daily_from_hourly)
         SELECT $1, (extract(epoch FROM utc_offset)::bigint % 3600) = 0
           FROM pg_timezone_names WHERE name = $1",
    )
    .bind::<Text, _>(time_zone)
    .execute(conn)?;
    match kind {
        RollupKind::Tables => conn.batch_execute(TABLES_DDL)?,
        RollupKind::ContinuousAggregates => {
            let (first, last) = first_last(ServerMode::Community);
            let aggs = raw_aggregates(first, last);
            let tz = literal(time_zone);
            conn.batch_execute(&format!(
                "CREATE MATERIALIZED VIEW sensor_readings_hourly
                     WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
                 SELECT sensor_id, time_bucket(INTERVAL '1 hour', \"timestamp\") AS bucket, {aggs}
                   FROM sensor_readings GROUP BY sensor_id, bucket WITH NO DATA;
                 CREATE MATERIALIZED VIEW sensor_readings_daily
                     WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
                 SELECT sensor_id, time_bucket(INTERVAL '1 day', \"timestamp\", {tz}) AS bucket, {aggs}
                   FROM sensor_readings GROUP BY sensor_id, bucket WITH NO DATA;
                 SELECT add_continuous_aggregate_policy('sensor_readings_hourly',
                     start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
                     schedule_interval => INTERVAL '10 minutes');
                 SELECT add_continuous_aggregate_policy('sensor_readings_daily',
                     start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 hour',
                     schedule_interval => INTERVAL '1 hour');"
            ))?;
        }
    }
    Ok(())
}

pub(crate) fn drop(conn: &mut PgConnection, kind: RollupKind) -> TsResult<()> {
    match kind {
        RollupKind::Tables => conn.batch_execute(
            "DROP TABLE IF EXISTS sensor_readings_daily; DROP TABLE IF EXISTS sensor_readings_hourly;",
        )?,
        RollupKind::ContinuousAggregates => conn.batch_execute(
            "SELECT remove_continuous_aggregate_policy('sensor_readings_daily', if_exists => true);
             SELECT remove_continuous_aggregate_policy('sensor_readings_hourly', if_exists => true);
             DROP MATERIALIZED VIEW IF EXISTS sensor_readings_daily;
             DROP MATERIALIZED VIEW IF EXISTS sensor_readings_hourly;",
        )?,
    }
    conn.batch_execute(
        "DROP TABLE IF EXISTS grid_timescale_invalidations;
         DROP TABLE IF EXISTS grid_timescale_rollup_state;",
    )?;
    Ok(())
}

pub(crate) fn initial_refresh(conn: &mut PgConnection) -> TsResult<RefreshReport> {
    // Every hour that holds readings is out of date in a new rollup.
    conn.batch_execute(
        "INSERT INTO grid_timescale_invalidations (hour)
         SELECT DISTINCT date_bin(INTERVAL '1 hour', \"timestamp\", TIMESTAMPTZ '2000-01-01 00:00+00')
           FROM sensor_readings",
    )?;
    refresh(conn)
}

/// Appends `hours` (UTC hour starts) to the invalidation log; ingest calls this in the
/// batch's transaction, so the log is exactly as durable as the readings.
pub fn invalidate_hours(conn: &mut PgConnection, hours: &[DateTime<Utc>]) -> QueryResult<()> {
    if hours.is_empty() {
        return Ok(());
    }
    diesel::sql_query("INSERT INTO grid_timescale_invalidations (hour) SELECT unnest($1)")
        .bind::<Array<Timestamptz>, _>(hours)
        .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct RollupState {
    #[diesel(sql_type = Text)]
    time_zone: String,
    #[diesel(sql_type = Bool)]
    daily_from_hourly: bool,
}

fn rollup_state(conn: &mut PgConnection) -> QueryResult<RollupState> {
    diesel::sql_query("SELECT time_zone, daily_from_hourly FROM grid_timescale_rollup_state")
        .get_result(conn)
}

/// Groups sorted hours into runs of consecutive hours: `(first, last)` of each run.
fn runs(hours: &[DateTime<Utc>]) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for &h in hours {
        match out.last_mut() {
            Some((_, last)) if h - *last <= Duration::hours(1) => *last = h,
            _ => out.push((h, h)),
        }
    }
    out
}

/// How many invalidation-log entries one refresh transaction takes at most.
const REFRESH_CHUNK: i64 = 5000;

/// Brings the rollups up to date with every reading ingested so far (see the module docs).
pub fn refresh(conn: &mut PgConnection) -> TsResult<RefreshReport> {
    let setup = state(conn)?;
    let mode = detect(conn)?.mode;
    let mut report = RefreshReport::default();
    loop {
        let step = match setup.rollups {
            RollupKind::Tables => {
                conn.transaction(|c| refresh_tables_step(c, mode, &mut report))?
            }
            RollupKind::ContinuousAggregates => refresh_caggs_step(conn, &mut report)?,
        };
        if !step {
            break;
        }
    }
    conn.batch_execute("UPDATE grid_timescale_rollup_state SET refreshed_at = now()")?;
    Ok(report)
}

/// Takes a chunk of the log (skipping entries another refresh holds); false when empty.
fn take_hours(
    conn: &mut PgConnection,
    delete: bool,
) -> QueryResult<(Vec<i64>, Vec<DateTime<Utc>>)> {
    #[derive(QueryableByName)]
    struct Entry {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Timestamptz)]
        hour: DateTime<Utc>,
    }
    let sql = if delete {
        "DELETE FROM grid_timescale_invalidations WHERE id IN (
             SELECT id FROM grid_timescale_invalidations ORDER BY id
              LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING id, hour"
    } else {
        "SELECT id, hour FROM grid_timescale_invalidations ORDER BY id LIMIT $1"
    };
    let entries: Vec<Entry> = diesel::sql_query(sql)
        .bind::<BigInt, _>(REFRESH_CHUNK)
        .load(conn)?;
    let ids = entries.iter().map(|e| e.id).collect();
    let mut hours: Vec<DateTime<Utc>> = entries.into_iter().map(|e| e.hour).collect();
    hours.sort();
    hours.dedup();
    Ok((ids, hours))
}

fn split_at_horizon(
    hours: Vec<DateTime<Utc>>,
    horizon: Option<DateTime<Utc>>,
    report: &mut RefreshReport,
) -> Vec<DateTime<Utc>> {
    let (live, old): (Vec<_>, Vec<_>) = hours
        .into_iter()
        .partition(|h| horizon.is_none_or(|hz| *h >= hz));
    report.skipped_before_horizon += old.len();
    live
}

fn refresh_tables_step(
    conn: &mut PgConnection,
    mode: ServerMode,
    report: &mut RefreshReport,
) -> TsResult<bool> {
    let (ids, hours) = take_hours(conn, true)?;
    if ids.is_empty() {
        return Ok(false);
    }
    let st = rollup_state(conn)?;
    let horizon = crate::retention::horizon(conn)?;
    let hours = split_at_horizon(hours, horizon, report);
    let (first, last) = first_last(mode);
    let aggs = raw_aggregates(first, last);
    for (a, b) in runs(&hours) {
        let in_run: Vec<DateTime<Utc>> = hours
            .iter()
            .copied()
            .filter(|h| *h >= a && *h <= b)
            .collect();
        diesel::sql_query("DELETE FROM sensor_readings_hourly WHERE bucket = ANY($1)")
            .bind::<Array<Timestamptz>, _>(&in_run)
            .execute(conn)?;
        diesel::sql_query(format!(
            "INSERT INTO sensor_readings_hourly
             SELECT sensor_id,
                    date_bin(INTERVAL '1 hour', \"timestamp\", TIMESTAMPTZ '2000-01-01 00:00+00') AS bucket,
                    {aggs}
               FROM sensor_readings
              WHERE \"timestamp\" >= $1 AND \"timestamp\" < $2
                AND date_bin(INTERVAL '1 hour', \"timestamp\", TIMESTAMPTZ '2000-01-01 00:00+00') = ANY($3)
              GROUP BY 1, 2"
        ))
        .bind::<Timestamptz, _>(a)
        .bind::<Timestamptz, _>(b + Duration::hours(1))
        .bind::<Array<Timestamptz>, _>(&in_run)
        .execute(conn)?;
    }
    report.hours += hours.len();

    // The local days those hours fall in.
    let days = days_from_horizon(local_days(conn, &hours, &st.time_zone)?, horizon);
    for (a, b) in day_runs(&days) {
        // (a, b): local-midnight instants of the first day and of the day after the last.
        diesel::sql_query("DELETE FROM sensor_readings_daily WHERE bucket >= $1 AND bucket < $2")
            .bind::<Timestamptz, _>(a)
            .bind::<Timestamptz, _>(b)
            .execute(conn)?;
        let (source, select) = if st.daily_from_hourly {
            ("sensor_readings_hourly", MERGE_AGGREGATES.to_owned())
        } else {
            ("sensor_readings", aggs.clone())
        };
        let time_col = if st.daily_from_hourly {
            "bucket"
        } else {
            "\"timestamp\""
        };
        diesel::sql_query(format!(
            "INSERT INTO sensor_readings_daily
             SELECT sensor_id, date_trunc('day', {time_col} AT TIME ZONE $3) AT TIME ZONE $3 AS bucket,
                    {select}
               FROM {source}
              WHERE {time_col} >= $1 AND {time_col} < $2
              GROUP BY 1, 2"
        ))
        .bind::<Timestamptz, _>(a)
        .bind::<Timestamptz, _>(b)
        .bind::<Text, _>(&st.time_zone)
        .execute(conn)?;
    }
    report.days += days.len();
    Ok(true)
}

/// The local days containing `hours`: (start, end) instants of each, sorted, distinct. Local
/// days are 23-25 h long across DST changes, so both ends come from the database.
fn local_days(
    conn: &mut PgConnection,
    hours: &[DateTime<Utc>],
    tz: &str,
) -> QueryResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    #[derive(QueryableByName)]
    struct Day {
        #[diesel(sql_type = Timestamptz)]
        start: DateTime<Utc>,
        #[diesel(sql_type = Timestamptz)]
        end: DateTime<Utc>,
    }
    if hours.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Day> = diesel::sql_query(
        "SELECT DISTINCT date_trunc('day', h AT TIME ZONE $2) AT TIME ZONE $2 AS start,
                (date_trunc('day', h AT TIME ZONE $2) + INTERVAL '1 day') AT TIME ZONE $2 AS end
           FROM unnest($1::timestamptz[]) AS h ORDER BY 1",
    )
    .bind::<Array<Timestamptz>, _>(hours)
    .bind::<Text, _>(tz)
    .load(conn)?;
    Ok(rows.into_iter().map(|d| (d.start, d.end)).collect())
}

/// The days that begin at or after the horizon: a day that began before it has lost raw
/// readings to retention, and the rollup keeps its history (see [`crate::retention`]).
fn days_from_horizon(
    days: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    horizon: Option<DateTime<Utc>>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    days.into_iter()
        .filter(|(start, _)| horizon.is_none_or(|hz| *start >= hz))
        .collect()
}

/// Merges adjacent days into runs: (start of the first, end of the last).
fn day_runs(days: &[(DateTime<Utc>, DateTime<Utc>)]) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for &(start, end) in days {
        match out.last_mut() {
            Some((_, last_end)) if start <= *last_end => *last_end = end,
            _ => out.push((start, end)),
        }
    }
    out
}

fn refresh_caggs_step(conn: &mut PgConnection, report: &mut RefreshReport) -> TsResult<bool> {
    let (ids, hours) = take_hours(conn, false)?;
    if ids.is_empty() {
        return Ok(false);
    }
    let st = rollup_state(conn)?;
    let horizon = crate::retention::horizon(conn)?;
    let hours = split_at_horizon(hours, horizon, report);
    let days = days_from_horizon(local_days(conn, &hours, &st.time_zone)?, horizon);
    // refresh_continuous_aggregate cannot run in a transaction block: one CALL per run, and
    // never over a window that starts before the horizon (that would erase history).
    for (a, b) in runs(&hours) {
        conn.batch_execute(&format!(
            "CALL refresh_continuous_aggregate('sensor_readings_hourly', {}, {})",
            literal(&a.to_rfc3339()),
            literal(&(b + Duration::hours(1)).to_rfc3339())
        ))?;
    }
    // Whole local days only: a refresh window that starts inside a bucket may be widened to
    // the whole bucket, and a day that began before the horizon must never be recomputed.
    for (a, b) in day_runs(&days) {
        conn.batch_execute(&format!(
            "CALL refresh_continuous_aggregate('sensor_readings_daily', {}, {})",
            literal(&a.to_rfc3339()),
            literal(&b.to_rfc3339())
        ))?;
    }
    diesel::sql_query("DELETE FROM grid_timescale_invalidations WHERE id = ANY($1)")
        .bind::<Array<BigInt>, _>(&ids)
        .execute(conn)?;
    report.hours += hours.len();
    report.days += days.len();
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn consecutive_hours_form_runs() {
        let h = |d, h| Utc.with_ymd_and_hms(2026, 1, d, h, 0, 0).unwrap();
        let r = runs(&[h(1, 0), h(1, 1), h(1, 2), h(1, 5), h(2, 0)]);
        assert_eq!(
            r,
            vec![(h(1, 0), h(1, 2)), (h(1, 5), h(1, 5)), (h(2, 0), h(2, 0))]
        );
    }
}
