//! Hourly and daily rollups of the readings, and their refresh.
//!
//! Both rollups have the same columns in every mode: `sensor_id`, `bucket`, `avg_value`,
//! `max_value`, `min_value`, `reading_count` (the reference's `sensor_readings_hourly`), plus
//! `sum_value`, `first_value`/`first_time` and `last_value`/`last_time`, so that coarser
//! buckets and series over many sensors can be built from them exactly. Hourly buckets are
//! UTC hours; daily buckets are local calendar days of the database's time zone ([`crate::local_zone`]), each
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
use diesel::sql_types::{Array, Text, Timestamptz};

use crate::capabilities::ServerMode;
use crate::error::TsResult;
use crate::ledger::{RollupKind, literal};

/// The rollups' state row and the invalidation log.
pub(crate) const STATE_DDL: &str = include_str!("rollup_state.sql");

/// The rollups as tables.
const TABLES_DDL: &str = include_str!("rollup_tables.sql");

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
            conn.batch_execute(
                &include_str!("continuous_aggregates.sql")
                    .replace("{AGGREGATES}", &aggs)
                    .replace("{TIME_ZONE}", &tz),
            )?;
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
