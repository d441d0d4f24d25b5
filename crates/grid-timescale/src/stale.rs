//! Whether the rollups are up to date for a range, and whether this session may bring them
//! up to date: TimescaleDB lets only a continuous aggregate's owner refresh it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};

use crate::error::TsResult;
use crate::ledger::{RollupKind, state};

/// Whether this session may refresh the continuous aggregates (their owner's privileges).
pub(crate) fn may_refresh_caggs(conn: &mut PgConnection) -> QueryResult<bool> {
    crate::ledger::exists(
        conn,
        "SELECT pg_has_role(relowner, 'USAGE') AS e FROM pg_class
          WHERE oid = 'sensor_readings_hourly'::regclass",
    )
}

pub(crate) fn log_len(conn: &mut PgConnection) -> QueryResult<usize> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query("SELECT count(*) AS n FROM grid_timescale_invalidations")
        .get_result(conn)?;
    Ok(usize::try_from(n.n).unwrap_or(usize::MAX))
}

/// The invalidated hours in `[from, to)` whose rollup buckets are out of date until a
/// refresh recomputes them: with rollup tables every hour in the log; with real-time
/// continuous aggregates only those below an aggregate's watermark (later hours are read
/// from the raw readings at query time).
pub fn stale_hours(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> TsResult<Vec<DateTime<Utc>>> {
    #[derive(QueryableByName)]
    struct Hour {
        #[diesel(sql_type = Timestamptz)]
        hour: DateTime<Utc>,
    }
    let sql = match state(conn)?.rollups {
        RollupKind::Tables => {
            "SELECT DISTINCT hour FROM grid_timescale_invalidations
              WHERE hour >= $1 AND hour < $2 ORDER BY hour"
        }
        RollupKind::ContinuousAggregates => include_str!("stale_hours.sql"),
    };
    Ok(diesel::sql_query(sql)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .load::<Hour>(conn)?
        .into_iter()
        .map(|h| h.hour)
        .collect())
}
