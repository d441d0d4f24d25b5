//! Setting up (and tearing down) what this crate adds to the store's schema, recorded in a
//! versioned ledger so that setup is idempotent and safe at every start.
//!
//! | component | plain | apache | community |
//! |---|---|---|---|
//! | `latest_readings` | table kept by ingest | same | same |
//! | `hypertable` | — (stays a plain table) | 1-day chunks, no default time index | same |
//! | `rollups` | tables refreshed by [`crate::refresh()`] | same | continuous aggregates, policies, real-time |
//! | `chunk_probe` | — | `grid_timescale_make_chunk`: a day's chunk made by a probe row (security definer, so ingest needs no DELETE) | same (ingest uses `create_chunk`) |
//! | `refresh_failures` | hours whose refresh failed, set aside ([`crate::set_aside`]) | same | same |
//!
//! Plain PostgreSQL keeps `sensor_readings` a plain table rather than natively partitioned:
//! a table cannot be turned into a partitioned one in place, the `(sensor_id, timestamp)`
//! key and the BRIN index already serve its queries, and retention there is batched deletes.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use serde_json::json;

use crate::capabilities::{Capabilities, ServerMode, detect};
use crate::error::{TimescaleError, TsResult};
use crate::ledger::{
    LEDGER_DDL, RollupKind, exists, is_hypertable, kind_of, ledger, record, rollup_state,
};
use crate::refresh::{RefreshReport, refresh};

/// The advisory lock that serialises concurrent setups (any 64-bit constant of ours).
const SETUP_LOCK: i64 = 0x6772_6964_7473_0001;

/// What the time-series layer's setup is configured with. (Operating limits are not
/// setup's: an [`crate::ingest::Ingester`] is given them.)
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TimescaleConfig {
    /// IANA time zone of local calendar days (daily rollup, daily statistics): seeds the
    /// first setup only.
    pub time_zone: String,
}

impl Default for TimescaleConfig {
    fn default() -> Self {
        TimescaleConfig {
            time_zone: "Africa/Nairobi".into(),
        }
    }
}

/// What [`setup`] found and did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SetupReport {
    /// The server's capabilities.
    pub capabilities: Capabilities,
    /// Components applied by this call (empty when all was in place).
    pub applied: Vec<String>,
    /// Whether `sensor_readings` is a hypertable.
    pub hypertable: bool,
    /// How the rollups are implemented.
    pub rollups: RollupKind,
}

fn check_time_zone(conn: &mut PgConnection, tz: &str) -> TsResult<()> {
    let known =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS e")
            .bind::<Text, _>(tz)
            .get_result::<ExistsRow>(conn)?
            .e;
    if !known {
        return Err(TimescaleError::Config(format!("unknown time zone {tz:?}")));
    }
    Ok(())
}

#[derive(QueryableByName)]
struct ExistsRow {
    #[diesel(sql_type = Bool)]
    e: bool,
}

/// Sets up everything this crate needs, applying only what the ledger lacks. Safe to run at
/// every start and from several processes at once.
///
/// ```no_run
/// # fn demo(conn: &mut diesel::PgConnection) -> grid_timescale::TsResult<()> {
/// use grid_timescale::{ServerMode, TimescaleConfig, setup};
///
/// let report = setup(conn, &TimescaleConfig::default())?;
/// println!("applied now: {:?}; server: {}", report.applied, report.capabilities);
/// if report.capabilities.mode != ServerMode::Community {
///     // Rollups are tables kept by `refresh`; retention deletes instead of dropping chunks.
/// }
/// # Ok(()) }
/// ```
pub fn setup(conn: &mut PgConnection, config: &TimescaleConfig) -> TsResult<SetupReport> {
    let _span = tracing::info_span!("setup", time_zone = %config.time_zone).entered();
    check_time_zone(conn, &config.time_zone)?;
    let caps = detect(conn)?;
    conn.batch_execute(&format!("SELECT pg_advisory_lock({SETUP_LOCK})"))?;
    let result = setup_locked(conn, config, &caps).map_err(|e| denied("set up grid-timescale", e));
    let unlocked = conn.batch_execute(&format!("SELECT pg_advisory_unlock({SETUP_LOCK})"));
    let report = result?;
    unlocked?;
    Ok(report)
}

/// A refusal names what the role lacks.
fn denied(action: &'static str, e: impl Into<TimescaleError>) -> TimescaleError {
    match e.into() {
        TimescaleError::Store(grid_store::StoreError::PermissionDenied(message)) => {
            TimescaleError::PermissionDenied {
                action,
                needed: "CREATE on schema public and ownership of sensor_readings (run setup as the owner role)",
                message,
            }
        }
        other => other,
    }
}

fn setup_locked(
    conn: &mut PgConnection,
    config: &TimescaleConfig,
    caps: &Capabilities,
) -> TsResult<SetupReport> {
    // Look before touching: a role without CREATE can run setup when all is in place.
    if !exists(
        conn,
        "SELECT to_regclass('grid_timescale_ledger') IS NOT NULL AS e",
    )? {
        conn.batch_execute(LEDGER_DDL)?;
    }
    let done: Vec<String> = ledger(conn)?.into_iter().map(|r| r.component).collect();
    let mut applied = Vec::new();

    if !done.iter().any(|c| c == "latest_readings") {
        conn.transaction::<_, TimescaleError, _>(|c| {
            c.batch_execute(include_str!("latest_readings.sql"))?;
            record(c, "latest_readings", 1, json!({}))?;
            Ok(())
        })?;
        applied.push("latest_readings".to_owned());
    }

    let has_ts = caps.mode != ServerMode::Plain;
    if has_ts && !done.iter().any(|c| c == "hypertable") {
        conn.transaction::<_, TimescaleError, _>(|c| {
            // No default (timestamp DESC) index: the (sensor_id, timestamp) key and the BRIN
            // index serve every query, and each index costs ingest.
            c.batch_execute(
                "SELECT create_hypertable('sensor_readings', 'timestamp',
                     chunk_time_interval => INTERVAL '1 day',
                     create_default_indexes => false,
                     migrate_data => true,
                     if_not_exists => true)",
            )?;
            record(c, "hypertable", 1, json!({"chunk_time_interval": "1 day"}))?;
            Ok(())
        })?;
        applied.push("hypertable".to_owned());
    }

    if has_ts && !done.iter().any(|c| c == "chunk_probe") {
        conn.transaction::<_, TimescaleError, _>(|c| {
            c.batch_execute(include_str!("chunk_probe.sql"))?;
            record(c, "chunk_probe", 1, json!({}))?;
            Ok(())
        })?;
        applied.push("chunk_probe".to_owned());
    }

    // Before the rollups: their first refresh may set hours aside.
    if !done.iter().any(|c| c == "refresh_failures") {
        conn.transaction::<_, TimescaleError, _>(|c| {
            c.batch_execute(crate::set_aside::DDL)?;
            record(c, "refresh_failures", 1, json!({}))?;
            Ok(())
        })?;
        applied.push("refresh_failures".to_owned());
    }

    let rollups = match ledger(conn)?.into_iter().find(|r| r.component == "rollups") {
        Some(row) => {
            // The zone in a configuration only seeds the first setup; afterwards the
            // database's is the one that counts, and another is refused.
            let database = rollup_state(conn)?.time_zone;
            if database != config.time_zone {
                return Err(TimescaleError::TimeZoneMismatch {
                    configured: config.time_zone.clone(),
                    database,
                });
            }
            kind_of(&row.detail)
        }
        None => {
            let kind = if caps.mode == ServerMode::Community {
                RollupKind::ContinuousAggregates
            } else {
                RollupKind::Tables
            };
            conn.transaction::<_, TimescaleError, _>(|c| {
                crate::rollup::create(c, kind, &config.time_zone)?;
                record(c, "rollups", 1, json!({"kind": kind.as_str()}))?;
                Ok(())
            })?;
            // Materialise what is already there (continuous aggregates refresh outside a
            // transaction block).
            initial_refresh(conn)?;
            applied.push("rollups".to_owned());
            kind
        }
    };

    let hypertable = is_hypertable(conn)?;
    Ok(SetupReport {
        capabilities: caps.clone(),
        applied,
        hypertable,
        rollups,
    })
}

/// Reverses [`setup`], newest component first, leaving the store's schema as its migrations
/// made it (readings kept: the hypertable becomes a plain table again), so the store's
/// `down.sql` files still work. Idempotent.
pub fn teardown(conn: &mut PgConnection) -> TsResult<Vec<String>> {
    if !exists(
        conn,
        "SELECT to_regclass('grid_timescale_ledger') IS NOT NULL AS e",
    )? {
        return Ok(Vec::new());
    }
    let rows = ledger(conn)?;
    let mut reverted = Vec::new();
    if rows.iter().any(|r| r.component == "refresh_failures") {
        conn.batch_execute(
            "DROP TABLE IF EXISTS grid_timescale_refresh_failures;
             DELETE FROM grid_timescale_ledger WHERE component = 'refresh_failures';",
        )?;
        reverted.push("refresh_failures".to_owned());
    }
    if rows.iter().any(|r| r.component == "compression") {
        crate::compression::disable(conn)?;
        reverted.push("compression".to_owned());
    }
    if let Some(r) = rows.iter().find(|r| r.component == "rollups") {
        let kind = kind_of(&r.detail);
        conn.transaction::<_, TimescaleError, _>(|c| {
            crate::rollup::drop(c, kind)?;
            c.batch_execute("DELETE FROM grid_timescale_ledger WHERE component = 'rollups'")?;
            Ok(())
        })?;
        reverted.push("rollups".to_owned());
    }
    if rows.iter().any(|r| r.component == "chunk_probe") {
        conn.batch_execute(
            "DROP FUNCTION IF EXISTS grid_timescale_make_chunk(uuid, timestamptz, double precision);
             DELETE FROM grid_timescale_ledger WHERE component = 'chunk_probe';",
        )?;
        reverted.push("chunk_probe".to_owned());
    }
    if rows.iter().any(|r| r.component == "hypertable") {
        conn.transaction::<_, TimescaleError, _>(|c| {
            if is_hypertable(c)? {
                hypertable_to_plain(c)?;
            }
            c.batch_execute("DELETE FROM grid_timescale_ledger WHERE component = 'hypertable'")?;
            Ok(())
        })?;
        reverted.push("hypertable".to_owned());
    }
    if rows.iter().any(|r| r.component == "latest_readings") {
        conn.batch_execute(
            "DROP TABLE IF EXISTS sensor_latest_readings;
             DELETE FROM grid_timescale_ledger WHERE component = 'latest_readings';",
        )?;
        reverted.push("latest_readings".to_owned());
    }
    conn.batch_execute("DROP TABLE grid_timescale_ledger")?;
    Ok(reverted)
}

/// Turns the hypertable back into the plain table the migration made, rows included: copy
/// into a table of the same columns, checks and defaults, drop the hypertable, and replay its
/// key, foreign key and indexes under their own names.
fn hypertable_to_plain(conn: &mut PgConnection) -> TsResult<()> {
    #[derive(QueryableByName)]
    struct Ddl {
        #[diesel(sql_type = Text)]
        ddl: String,
    }
    // Key and foreign key (CHECKs and NOT NULLs travel with LIKE … INCLUDING CONSTRAINTS).
    let constraints: Vec<Ddl> = diesel::sql_query(
        "SELECT format('ALTER TABLE sensor_readings ADD CONSTRAINT %I %s',
                       conname, pg_get_constraintdef(oid)) AS ddl
           FROM pg_constraint
          WHERE conrelid = 'sensor_readings'::regclass AND contype IN ('p', 'u', 'f')
          ORDER BY contype DESC, conname",
    )
    .load(conn)?;
    let indexes: Vec<Ddl> = diesel::sql_query(
        "SELECT pg_get_indexdef(i.indexrelid) AS ddl
           FROM pg_index i
          WHERE i.indrelid = 'sensor_readings'::regclass
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
          ORDER BY i.indexrelid::regclass::text",
    )
    .load(conn)?;
    conn.batch_execute(
        "CREATE TABLE sensor_readings_plain
             (LIKE sensor_readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
         INSERT INTO sensor_readings_plain SELECT * FROM sensor_readings;
         DROP TABLE sensor_readings;
         ALTER TABLE sensor_readings_plain RENAME TO sensor_readings;",
    )?;
    for d in constraints.iter().chain(indexes.iter()) {
        conn.batch_execute(&d.ddl)?;
    }
    Ok(())
}

fn initial_refresh(conn: &mut PgConnection) -> TsResult<RefreshReport> {
    // Every hour that holds readings is out of date in a new rollup.
    conn.batch_execute(
        "INSERT INTO grid_timescale_invalidations (hour)
         SELECT DISTINCT date_bin(INTERVAL '1 hour', \"timestamp\", TIMESTAMPTZ '2000-01-01 00:00+00')
           FROM sensor_readings",
    )?;
    refresh(conn)
}
