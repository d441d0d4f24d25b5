//! Retention: raw readings older than N days go; the rollups keep their history.
//!
//! | mode | how |
//! |---|---|
//! | community | [`schedule_retention`]: `add_retention_policy`; or [`apply_retention`] now (`drop_chunks`) |
//! | apache | [`apply_retention`] when called: `drop_chunks` |
//! | plain | [`apply_retention`] when called: deletes in batches of 50,000 rows, one transaction each |
//!
//! The horizon is aligned down to UTC midnight, the boundary of the 1-day chunks, so every
//! mode drops exactly the same readings. Before anything is dropped the rollups are brought
//! up to date over the window, and the horizon is recorded: no later refresh recomputes a
//! bucket that *begins* before it, whatever its width or time zone (refreshing a bucket over
//! partly dropped raw data would erase its history, as a continuous aggregate's refresh
//! would), and ingest refuses readings older than it.
//!
//! A local day (the daily rollup's bucket) can straddle the horizon: in Africa/Nairobi the
//! day that begins at 21:00 UTC the evening before. Its raw readings before the horizon are
//! gone, so it can never be recomputed; readings for it that arrive late would be stored but
//! never reach the daily rollup. Ingest therefore also refuses readings before
//! [`frozen_before`], the first local midnight at or after the horizon, with their own
//! reason ([`crate::ingest::RejectReason::DayBeforeRetentionHorizon`]).

use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;

use crate::capabilities::{ServerMode, detect};
use crate::error::{TimescaleError, TsResult};
use crate::ledger::literal;
pub use crate::ledger::{frozen_before, horizon};
use crate::refresh::{RefreshReport, refresh};

/// How readings were removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionMethod {
    /// Whole 1-day chunks dropped (TimescaleDB).
    DropChunks,
    /// Rows deleted in batches (plain PostgreSQL).
    BatchedDelete,
}

/// What [`apply_retention`] did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RetentionReport {
    /// Readings before this instant are gone.
    pub horizon: DateTime<Utc>,
    /// How the readings were removed.
    pub method: RetentionMethod,
    /// Chunks dropped or rows deleted.
    pub removed: u64,
    /// Readings before this instant are refused from now on: the first local midnight at or
    /// after the horizon (see the module docs).
    pub frozen_before: DateTime<Utc>,
    /// The refresh that preceded it.
    pub refreshed: RefreshReport,
}

/// The least a community-edition retention may keep: the daily aggregate's refresh policy
/// looks 7 days back and must never reach dropped data.
pub const MIN_KEEP_WITH_CONTINUOUS_AGGREGATES: i64 = 8;

/// Drops raw readings older than `keep` before `now` (see the module docs).
///
/// ```no_run
/// # fn demo(conn: &mut diesel::PgConnection) -> grid_timescale::TsResult<()> {
/// use chrono::{Duration, Utc};
///
/// let r = grid_timescale::retention::apply_retention(conn, Duration::days(400), Utc::now())?;
/// println!("before {} removed by {:?}: {}", r.horizon, r.method, r.removed);
/// # Ok(()) }
/// ```
pub fn apply_retention(
    conn: &mut PgConnection,
    keep: Duration,
    now: DateTime<Utc>,
) -> TsResult<RetentionReport> {
    let _span = tracing::info_span!("retention", keep_days = keep.num_days()).entered();
    let mode = detect(conn)?.mode;
    check_keep(mode, keep)?;
    let horizon = (now - keep)
        .duration_trunc(Duration::days(1))
        .map_err(|e| TimescaleError::Config(e.to_string()))?;
    let refreshed = refresh(conn)?;
    let set_horizon = |c: &mut PgConnection| {
        diesel::sql_query(
            "UPDATE grid_timescale_rollup_state
                SET retention_horizon = greatest(retention_horizon, $1)",
        )
        .bind::<Timestamptz, _>(horizon)
        .execute(c)
    };
    let (method, removed) = match mode {
        ServerMode::Plain => {
            set_horizon(conn)?;
            let mut removed = 0u64;
            loop {
                let n = diesel::sql_query(
                    "DELETE FROM sensor_readings WHERE ctid IN (
                         SELECT ctid FROM sensor_readings WHERE \"timestamp\" < $1 LIMIT 50000)",
                )
                .bind::<Timestamptz, _>(horizon)
                .execute(conn)?;
                removed += n as u64;
                if n == 0 {
                    break;
                }
            }
            (RetentionMethod::BatchedDelete, removed)
        }
        ServerMode::Apache | ServerMode::Community => {
            #[derive(QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let n = conn.transaction::<_, TimescaleError, _>(|c| {
                set_horizon(c)?;
                Ok(diesel::sql_query(
                    "SELECT count(*) AS n FROM drop_chunks('sensor_readings', older_than => $1)",
                )
                .bind::<Timestamptz, _>(horizon)
                .get_result::<N>(c)?
                .n)
            })?;
            (RetentionMethod::DropChunks, n as u64)
        }
    };
    let frozen_before = frozen_before(conn)?.unwrap_or(horizon);
    Ok(RetentionReport {
        horizon,
        method,
        removed,
        frozen_before,
        refreshed,
    })
}

fn check_keep(mode: ServerMode, keep: Duration) -> TsResult<()> {
    let min = if mode == ServerMode::Community {
        Duration::days(MIN_KEEP_WITH_CONTINUOUS_AGGREGATES)
    } else {
        Duration::days(1)
    };
    if keep < min {
        return Err(TimescaleError::Config(format!(
            "retention must keep at least {} days here (asked: {keep})",
            min.num_days()
        )));
    }
    Ok(())
}

/// Lets TimescaleDB drop old chunks on its own schedule (community edition only; elsewhere a
/// typed [`TimescaleError::Unsupported`]: call [`apply_retention`] on a schedule instead).
pub fn schedule_retention(conn: &mut PgConnection, keep: Duration) -> TsResult<()> {
    let mode = detect(conn)?.mode;
    if mode != ServerMode::Community {
        return Err(TimescaleError::Unsupported {
            feature: "retention policy",
            mode,
            reason: "needs the community edition's job scheduler; call apply_retention on a schedule",
        });
    }
    check_keep(mode, keep)?;
    conn.batch_execute(&format!(
        "SELECT remove_retention_policy('sensor_readings', if_exists => true);
         SELECT add_retention_policy('sensor_readings', drop_after => {}::interval);",
        literal(&format!("{} seconds", keep.num_seconds()))
    ))?;
    Ok(())
}
