//! The ground floor of the crate: the setup ledger and the state every component reads
//! (which components are applied, how the rollups are built, the local time zone, the
//! retention horizon). Everything else builds on it; it builds on nothing of the crate but
//! its capabilities and errors, so setup, rollups, refresh, retention and compression all
//! point one way.
//!
//! The local time zone has one owner: `grid_timescale_rollup_state.time_zone`, written once
//! by [`crate::setup()`] from its configuration. Every reader asks [`local_zone`]; a
//! configuration that names another zone afterwards is refused, never silently used.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Jsonb, Nullable, Text, Timestamptz};

use crate::capabilities::{Capabilities, ServerMode, detect};
use crate::error::{TimescaleError, TsResult};

/// The ledger table: one row per applied component.
pub(crate) const LEDGER_DDL: &str = include_str!("ledger.sql");

/// How the rollups are implemented in this database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollupKind {
    /// TimescaleDB continuous aggregates with refresh policies and real-time aggregation.
    ContinuousAggregates,
    /// Tables refreshed incrementally by [`crate::refresh()`].
    Tables,
}

impl RollupKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RollupKind::ContinuousAggregates => "continuous_aggregates",
            RollupKind::Tables => "tables",
        }
    }
}

/// The ledger's view of the database.
#[derive(Debug, Clone, PartialEq)]
pub struct SetupState {
    /// The server's capabilities.
    pub capabilities: Capabilities,
    /// Whether `sensor_readings` is a hypertable.
    pub hypertable: bool,
    /// How the rollups are implemented.
    pub rollups: RollupKind,
    /// The local time zone (of the daily rollup and of every local day).
    pub time_zone: LocalZone,
}

#[derive(QueryableByName)]
pub(crate) struct LedgerRow {
    #[diesel(sql_type = Text)]
    pub(crate) component: String,
    #[diesel(sql_type = Jsonb)]
    pub(crate) detail: serde_json::Value,
}

/// The setup components recorded in this database's ledger, in the order applied.
pub fn components(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    Ok(ledger(conn)?.into_iter().map(|r| r.component).collect())
}

pub(crate) fn ledger(conn: &mut PgConnection) -> QueryResult<Vec<LedgerRow>> {
    diesel::sql_query("SELECT component, detail FROM grid_timescale_ledger ORDER BY component")
        .load(conn)
}

pub(crate) fn record(
    conn: &mut PgConnection,
    component: &str,
    version: i32,
    detail: serde_json::Value,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO grid_timescale_ledger (component, version, detail) VALUES ($1, $2, $3)",
    )
    .bind::<Text, _>(component)
    .bind::<Integer, _>(version)
    .bind::<Jsonb, _>(detail)
    .execute(conn)?;
    Ok(())
}

pub(crate) fn exists(conn: &mut PgConnection, sql: &str) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct E {
        #[diesel(sql_type = Bool)]
        e: bool,
    }
    Ok(diesel::sql_query(sql).get_result::<E>(conn)?.e)
}

/// Quotes a value as an SQL literal (for the few statements that cannot take parameters).
pub(crate) fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(crate) fn kind_of(detail: &serde_json::Value) -> RollupKind {
    match detail.get("kind").and_then(|v| v.as_str()) {
        Some("continuous_aggregates") => RollupKind::ContinuousAggregates,
        _ => RollupKind::Tables,
    }
}

pub(crate) fn is_hypertable(conn: &mut PgConnection) -> QueryResult<bool> {
    exists(
        conn,
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
            AND EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = '_timescaledb_catalog' AND c.relname = 'hypertable')
            AS e",
    )
    .and_then(|ext| {
        if !ext {
            return Ok(false);
        }
        exists(
            conn,
            "SELECT EXISTS (SELECT 1 FROM _timescaledb_catalog.hypertable
                             WHERE schema_name = 'public' AND table_name = 'sensor_readings') AS e",
        )
    })
}

/// The ledger's state, or [`TimescaleError::NotSetUp`].
pub fn state(conn: &mut PgConnection) -> TsResult<SetupState> {
    if !exists(
        conn,
        "SELECT to_regclass('grid_timescale_ledger') IS NOT NULL AS e",
    )? {
        return Err(TimescaleError::NotSetUp);
    }
    let rows = ledger(conn)?;
    let rollup = rows
        .iter()
        .find(|r| r.component == "rollups")
        .ok_or(TimescaleError::NotSetUp)?;
    Ok(SetupState {
        capabilities: detect(conn)?,
        hypertable: is_hypertable(conn)?,
        rollups: kind_of(&rollup.detail),
        time_zone: LocalZone::parse(&rollup_state(conn)?.time_zone)?,
    })
}

/// The local time zone: the IANA zone local days are counted in (Africa/Nairobi for the
/// reference utility: UTC+03:00 all year, no daylight saving).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalZone(Tz);

impl LocalZone {
    /// The zone of an IANA name, or a [`TimescaleError::Config`] naming it.
    pub fn parse(name: &str) -> TsResult<LocalZone> {
        name.parse::<Tz>()
            .map(LocalZone)
            .map_err(|_| TimescaleError::Config(format!("unknown time zone {name:?}")))
    }

    /// The IANA name, as PostgreSQL knows it.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The zone, for `chrono`'s conversions and formatting.
    pub fn tz(&self) -> Tz {
        self.0
    }

    /// The local calendar day of an instant.
    pub fn date_of(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.0).date_naive()
    }

    /// An instant formatted in local time (`chrono`'s format syntax).
    pub fn format(&self, t: DateTime<Utc>, fmt: &str) -> String {
        t.with_timezone(&self.0).format(fmt).to_string()
    }
}

impl std::fmt::Display for LocalZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The local time zone set up in this database, or [`TimescaleError::NotSetUp`].
pub fn local_zone(conn: &mut PgConnection) -> TsResult<LocalZone> {
    if !exists(
        conn,
        "SELECT to_regclass('grid_timescale_rollup_state') IS NOT NULL AS e",
    )? {
        return Err(TimescaleError::NotSetUp);
    }
    LocalZone::parse(&rollup_state(conn)?.time_zone)
}

#[derive(QueryableByName)]
/// The rollups' state row (see `rollup_state.sql`).
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

/// The horizon in force: the recorded one, or the retention policy's, whichever is later.
pub fn horizon(conn: &mut PgConnection) -> TsResult<Option<DateTime<Utc>>> {
    #[derive(QueryableByName)]
    struct H {
        #[diesel(sql_type = Nullable<Timestamptz>)]
        h: Option<DateTime<Utc>>,
    }
    let recorded =
        diesel::sql_query("SELECT retention_horizon AS h FROM grid_timescale_rollup_state")
            .get_result::<H>(conn)?
            .h;
    let policy = if detect(conn)?.mode == ServerMode::Community {
        diesel::sql_query(
            "SELECT max(now() - (config ->> 'drop_after')::interval) AS h
               FROM timescaledb_information.jobs
              WHERE proc_name = 'policy_retention' AND hypertable_name = 'sensor_readings'",
        )
        .get_result::<H>(conn)?
        .h
    } else {
        None
    };
    Ok(recorded.max(policy))
}

/// The first local midnight (of the daily rollup's time zone) at or after the horizon in
/// force: no bucket of either rollup that begins before it can change again, so ingest
/// refuses readings before it. `None` while no horizon is set.
pub fn frozen_before(conn: &mut PgConnection) -> TsResult<Option<DateTime<Utc>>> {
    let Some(h) = horizon(conn)? else {
        return Ok(None);
    };
    #[derive(QueryableByName)]
    struct F {
        #[diesel(sql_type = Timestamptz)]
        f: DateTime<Utc>,
    }
    // The local day holding the instant just before `h` ends at the first local midnight
    // at or after `h` (at `h` itself when `h` is a local midnight).
    let f = diesel::sql_query(
        "SELECT (date_trunc('day', ($1 - INTERVAL '1 microsecond') AT TIME ZONE time_zone)
                  + INTERVAL '1 day') AT TIME ZONE time_zone AS f
           FROM grid_timescale_rollup_state",
    )
    .bind::<Timestamptz, _>(h)
    .get_result::<F>(conn)?
    .f;
    Ok(Some(f.max(h)))
}
