//! Start-up in one call: the pool, the extension when asked, migrations, setup, the roles
//! when asked, and the server mode the configuration requires, with one error type.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use grid_store::PgStore;
use grid_timescale::{ServerMode, SetupReport};
use serde::Serialize;
use std::time::Duration;

use crate::config::SentinelConfig;
use crate::error::{ServiceError, ServiceResult};

/// What [`bootstrap`] found and did.
#[derive(Debug, Clone, Serialize)]
pub struct BootstrapReport {
    /// Whether this call created the TimescaleDB extension.
    pub created_extension: bool,
    /// Migrations applied now (empty when none was pending).
    pub migrations: Vec<String>,
    /// The time-series setup.
    pub setup: SetupReport,
    /// The roles and grants, when `setup.apply_roles`.
    pub access: Option<grid_access::AccessReport>,
}

/// Opens the pool of `config` (blocking: call it before the runtime, or through
/// [`crate::Sentinel::bootstrap`]), then readies the database (see the module docs).
pub fn bootstrap(config: &SentinelConfig) -> ServiceResult<(PgStore, BootstrapReport)> {
    let _span = tracing::info_span!("bootstrap").entered();
    let url = config.database_url()?;
    let store = PgStore::connect_with_limits(
        url.expose(),
        config.database.pool_size,
        Duration::from_secs(config.database.connect_timeout_s),
        config.session_limits(),
    )?;
    let mut conn = store.conn()?;
    let report = ready(&mut conn, config)?;
    drop(conn);
    Ok((store, report))
}

/// Readies the database on `conn` (see the module docs).
pub fn ready(conn: &mut PgConnection, config: &SentinelConfig) -> ServiceResult<BootstrapReport> {
    let created_extension = if config.setup.create_extension {
        create_extension(conn)?
    } else {
        false
    };
    if let Some(required) = config.setup.require {
        let found = grid_timescale::capabilities::detect(conn)?.mode;
        if found != required {
            return Err(ServiceError::ModeMismatch {
                required,
                found,
                hint: hint(required, found),
            });
        }
    }
    let migrations = grid_store::migrations::run_pending(conn)?;
    let setup = grid_timescale::setup(conn, &config.timescale())?;
    let access = if config.setup.apply_roles {
        Some(grid_access::apply(conn, &config.role_names())?)
    } else {
        None
    };
    tracing::info!(
        migrations = migrations.len(),
        mode = %setup.capabilities.mode,
        applied = setup.applied.len(),
        "database ready"
    );
    Ok(BootstrapReport {
        created_extension,
        migrations,
        setup,
        access,
    })
}

fn hint(required: ServerMode, found: ServerMode) -> &'static str {
    match (required, found) {
        (_, ServerMode::Plain) => {
            "the database has no TimescaleDB extension: preload it (shared_preload_libraries) and set setup.create_extension, or CREATE EXTENSION timescaledb"
        }
        (ServerMode::Community, ServerMode::Apache) => {
            "the server runs the Apache-licensed edition: set timescaledb.license = 'timescale' with the community build installed"
        }
        _ => "change setup.require or the server",
    }
}

#[derive(QueryableByName)]
struct Flags {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    preloaded: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    installed: bool,
}

/// Creates TimescaleDB in this database when the server preloads it and it is missing.
fn create_extension(conn: &mut PgConnection) -> ServiceResult<bool> {
    let f: Flags = diesel::sql_query(
        "SELECT current_setting('shared_preload_libraries') LIKE '%timescaledb%' AS preloaded,
                EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS installed",
    )
    .get_result(conn)?;
    if f.installed || !f.preloaded {
        return Ok(false);
    }
    conn.batch_execute("CREATE EXTENSION IF NOT EXISTS timescaledb")?;
    Ok(true)
}
