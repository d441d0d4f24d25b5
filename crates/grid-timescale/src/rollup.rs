//! Hourly and daily rollups of the readings, and their refresh.
//!
//! Both rollups have the same columns in every mode: `sensor_id`, `bucket`, `avg_value`,
//! `max_value`, `min_value`, `reading_count` (the reference's `sensor_readings_hourly`), plus
//! `sum_value`, `first_value`/`first_time` and `last_value`/`last_time`, so that coarser
//! buckets and series over many sensors can be built from them exactly. Hourly buckets are
//! UTC hours; daily buckets are local calendar days of the configured time zone, each
//! labelled by the instant of its local midnight.
//!
//! Ingest appends the hours it touched to an append-only invalidation log.
//! [`crate::refresh()`] drains it: in the Apache edition and plain PostgreSQL it recomputes exactly those hours
//! (and their local days) from the raw readings, in one transaction per run of hours; in the
//! community edition it asks TimescaleDB to refresh the continuous aggregates over them (the
//! aggregates also refresh on their own policy and answer recent buckets in real time). The
//! log also tells queries whether a rollup can be trusted for a range (see [`crate::query`]).
//! Late readings for an already rolled-up hour land in the log like any other, so the next
//! refresh picks them up.
//!
//! History is never erased: no refresh recomputes a bucket that begins before the retention
//! horizon (raw data there may be gone), so the rollups keep it.

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Text, Timestamptz};

use crate::capabilities::ServerMode;
use crate::error::TsResult;
use crate::refresh::{RefreshReport, refresh};
use crate::setup::{RollupKind, literal};

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
pub(crate) fn raw_aggregates(first: &str, last: &str) -> String {
    format!(
        "avg(value) AS avg_value, max(value) AS max_value, min(value) AS min_value,
         count(*) AS reading_count, sum(value) AS sum_value,
         {first} AS first_value, min(\"timestamp\") AS first_time,
         {last} AS last_value, max(\"timestamp\") AS last_time"
    )
}

/// `first`/`last`: TimescaleDB's aggregates where present, an ordered array elsewhere.
pub(crate) fn first_last(mode: ServerMode) -> (&'static str, &'static str) {
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
pub(crate) struct RollupState {
    #[diesel(sql_type = Text)]
    pub(crate) time_zone: String,
    #[diesel(sql_type = Bool)]
    pub(crate) daily_from_hourly: bool,
}

pub(crate) fn rollup_state(conn: &mut PgConnection) -> QueryResult<RollupState> {
    diesel::sql_query("SELECT time_zone, daily_from_hourly FROM grid_timescale_rollup_state")
        .get_result(conn)
}
