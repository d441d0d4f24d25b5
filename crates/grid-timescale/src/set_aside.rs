//! Hours whose refresh failed, set aside so that nothing else waits for them.
//!
//! A refresh used to take the invalidation log oldest first and stop at the first failure, so
//! one bad sensor-hour stopped every rollup of every sensor, and retention (which refreshes
//! first) with it. Now an hour whose recomputation fails is isolated, recorded here with the
//! error, the number of attempts and when to try again (exponential backoff from
//! [`FIRST_RETRY`] up to [`MAX_BACKOFF`]), and the rest of the log drains. Later refreshes
//! retry it when due; success removes it. Series over a set-aside hour leave it out and name
//! it ([`crate::query::Series::unavailable_hours`]) instead of failing.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Text, Timestamptz};
use serde::Serialize;

/// The first wait before a failed hour is tried again; each further failure doubles it.
pub const FIRST_RETRY: Duration = Duration::minutes(1);
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::days(1);

pub(crate) const DDL: &str = include_str!("refresh_failures.sql");

/// An hour (UTC) whose rollup could not be refreshed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, QueryableByName)]
pub struct FailedHour {
    /// Start of the hour.
    #[diesel(sql_type = Timestamptz)]
    pub hour: DateTime<Utc>,
    /// The last error, as the database said it.
    #[diesel(sql_type = Text)]
    pub error: String,
    /// Failed attempts so far.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// The first failure.
    #[diesel(sql_type = Timestamptz)]
    pub first_failed_at: DateTime<Utc>,
    /// The latest failure.
    #[diesel(sql_type = Timestamptz)]
    pub last_failed_at: DateTime<Utc>,
    /// When a refresh tries it again.
    #[diesel(sql_type = Timestamptz)]
    pub next_attempt_at: DateTime<Utc>,
}

/// Every set-aside hour, oldest first: what an operator looks at.
pub fn set_aside_hours(conn: &mut PgConnection) -> QueryResult<Vec<FailedHour>> {
    diesel::sql_query(
        "SELECT hour, error, attempts, first_failed_at, last_failed_at, next_attempt_at
           FROM grid_timescale_refresh_failures ORDER BY hour",
    )
    .load(conn)
}

/// Records that `hour` failed with `error`; returns the record.
pub(crate) fn record(
    conn: &mut PgConnection,
    hour: DateTime<Utc>,
    error: &str,
) -> QueryResult<FailedHour> {
    // Backoff: FIRST_RETRY × 2^(attempts − 1), at most MAX_BACKOFF.
    diesel::sql_query(include_str!("set_aside_hour.sql"))
        .bind::<Timestamptz, _>(hour)
        .bind::<Text, _>(error)
        .bind::<diesel::sql_types::Double, _>(FIRST_RETRY.num_seconds() as f64)
        .bind::<diesel::sql_types::Double, _>(MAX_BACKOFF.num_seconds() as f64)
        .get_result(conn)
}

/// Forgets `hours` (refreshed now).
pub(crate) fn clear(conn: &mut PgConnection, hours: &[DateTime<Utc>]) -> QueryResult<usize> {
    if hours.is_empty() {
        return Ok(0);
    }
    diesel::sql_query("DELETE FROM grid_timescale_refresh_failures WHERE hour = ANY($1)")
        .bind::<Array<Timestamptz>, _>(hours)
        .execute(conn)
}

/// Puts the set-aside hours that are due (and not before `horizon`) back in the
/// invalidation log, for this refresh to try again.
pub(crate) fn requeue_due(
    conn: &mut PgConnection,
    horizon: Option<DateTime<Utc>>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO grid_timescale_invalidations (hour)
         SELECT hour FROM grid_timescale_refresh_failures
          WHERE next_attempt_at <= now() AND ($1::timestamptz IS NULL OR hour >= $1)",
    )
    .bind::<diesel::sql_types::Nullable<Timestamptz>, _>(horizon)
    .execute(conn)
}

/// The set-aside hours in `[from, to)`.
pub(crate) fn in_range(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<DateTime<Utc>>> {
    #[derive(QueryableByName)]
    struct H {
        #[diesel(sql_type = Timestamptz)]
        hour: DateTime<Utc>,
    }
    Ok(diesel::sql_query(
        "SELECT hour FROM grid_timescale_refresh_failures
          WHERE hour >= $1 AND hour < $2 ORDER BY hour",
    )
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load::<H>(conn)?
    .into_iter()
    .map(|h| h.hour)
    .collect())
}
