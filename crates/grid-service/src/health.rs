//! Whether the database serves: the pool, the setup ledger, how far the rollups lag, the
//! server mode. Every figure says where it comes from.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamptz};
use serde::Serialize;

use crate::error::ServiceResult;

/// Seconds since the rollups were last refreshed, as of the last health check (gauge).
pub const ROLLUP_LAG_SECONDS: &str = "grid_rollup_lag_seconds";
/// Invalidated hours waiting for a refresh, as of the last health check (gauge).
pub const HOURS_WAITING_REFRESH: &str = "grid_rollup_hours_waiting_refresh";

/// The answer of [`health`].
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// `ok` when the database answers and setup is complete, else `degraded`.
    pub status: &'static str,
    /// The server mode (grid-timescale's detection).
    pub server_mode: String,
    /// The setup ledger's components (`grid_timescale_ledger`).
    pub setup_components: Vec<String>,
    /// When the rollups were last refreshed (`grid_timescale_rollup_state.refreshed_at`).
    pub rollups_refreshed_at: Option<DateTime<Utc>>,
    /// Seconds since then.
    pub rollup_lag_s: Option<i64>,
    /// Invalidated hours waiting for a refresh (`grid_timescale_invalidations`).
    pub hours_waiting_refresh: i64,
    /// The newest reading's time (`sensor_latest_readings`).
    pub newest_reading_at: Option<DateTime<Utc>>,
    /// Pool connections open and idle (r2d2), when asked through a pool.
    pub pool: Option<PoolState>,
}

/// The pool's state.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PoolState {
    /// Connections open.
    pub connections: u32,
    /// Of which idle.
    pub idle: u32,
}

#[derive(QueryableByName)]
struct Figures {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    refreshed_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    waiting: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    newest: Option<DateTime<Utc>>,
}

/// The database's health on `conn`, at `now`.
pub fn health(conn: &mut PgConnection, now: DateTime<Utc>) -> ServiceResult<Health> {
    let mode = grid_timescale::capabilities::detect(conn)?.mode;
    let state = grid_timescale::state(conn);
    let components = match &state {
        Ok(_) => grid_timescale::ledger::components(conn)?,
        Err(_) => Vec::new(),
    };
    let figures: Option<Figures> = match state {
        Ok(_) => Some(
            diesel::sql_query(
                "SELECT (SELECT refreshed_at FROM grid_timescale_rollup_state LIMIT 1) AS refreshed_at,
                        (SELECT count(DISTINCT hour) FROM grid_timescale_invalidations) AS waiting,
                        (SELECT max(\"timestamp\") FROM sensor_latest_readings) AS newest",
            )
            .get_result(conn)?,
        ),
        Err(_) => None,
    };
    let refreshed_at = figures.as_ref().and_then(|f| f.refreshed_at);
    if let Some(t) = refreshed_at {
        metrics::gauge!(ROLLUP_LAG_SECONDS).set((now - t).num_milliseconds() as f64 / 1000.0);
    }
    if let Some(f) = &figures {
        metrics::gauge!(HOURS_WAITING_REFRESH).set(f.waiting as f64);
    }
    Ok(Health {
        status: if figures.is_some() { "ok" } else { "degraded" },
        server_mode: mode.to_string(),
        setup_components: components,
        rollups_refreshed_at: refreshed_at,
        rollup_lag_s: refreshed_at.map(|t| (now - t).num_seconds()),
        hours_waiting_refresh: figures.as_ref().map_or(0, |f| f.waiting),
        newest_reading_at: figures.and_then(|f| f.newest),
        pool: None,
    })
}
