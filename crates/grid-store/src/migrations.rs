//! The embedded migrations of the top-level `migrations/` directory.
//!
//! [`run_pending`] looks before it touches anything: when every migration is already applied
//! it only reads `__diesel_schema_migrations`, so a restricted role (an ingest writer, a
//! dashboard reader) can call it at every start. Only when something is pending does it run
//! DDL, and a refusal then says which privilege was missing.

use diesel::PgConnection;
use diesel::migration::{Migration, MigrationSource, MigrationVersion};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Nullable, Text};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::is_permission_denied;

/// Every migration of the store, embedded at build time.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// The table where Diesel records the applied versions.
const LEDGER: &str = "__diesel_schema_migrations";

/// A migration could not be applied or reverted.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The connected role lacks a privilege the pending migrations need (SQLSTATE 42501).
    #[error(
        "migrations {pending:?} are pending and the role {role:?} may not apply them \
         ({needed}); run them as the owner role: {message}"
    )]
    PermissionDenied {
        /// The session's role.
        role: String,
        /// The versions that are not applied yet.
        pending: Vec<String>,
        /// What the role needs.
        needed: &'static str,
        /// The server's message.
        message: String,
    },
    /// Any other failure, with its source.
    #[error("migration failed: {0}")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl MigrationError {
    fn failed(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        MigrationError::Failed(e.into())
    }
}

/// The embedded versions that this database has not applied, oldest first. Reads only; when
/// the ledger table does not exist yet, every version is pending.
pub fn pending(conn: &mut PgConnection) -> Result<Vec<String>, MigrationError> {
    let applied = applied_versions(conn)?;
    let mut pending: Vec<String> = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(MigrationError::failed)?
        .iter()
        .map(|m| m.name().version().to_string())
        .filter(|v| !applied.contains(v))
        .collect();
    pending.sort();
    Ok(pending)
}

/// Applies every pending migration; returns the versions applied now. Runs no DDL when
/// nothing is pending (see the module docs).
///
/// ```no_run
/// # fn demo(url: &str) -> Result<(), Box<dyn std::error::Error>> {
/// use grid_store::migrations::{MigrationError, run_pending};
///
/// let mut conn = grid_store::establish(url)?;
/// match run_pending(&mut conn) {
///     Ok(applied) => println!("applied now: {applied:?}"),
///     // A restricted role meets a pending migration: say who must run it.
///     Err(MigrationError::PermissionDenied { pending, role, needed, .. }) => {
///         eprintln!("{role} cannot apply {pending:?}: {needed}")
///     }
///     Err(e) => return Err(e.into()),
/// }
/// # Ok(()) }
/// ```
pub fn run_pending(conn: &mut PgConnection) -> Result<Vec<String>, MigrationError> {
    let waiting = pending(conn)?;
    if waiting.is_empty() {
        return Ok(Vec::new());
    }
    let _span = tracing::info_span!("migrations", pending = waiting.len()).entered();
    match conn.run_pending_migrations(MIGRATIONS) {
        Ok(v) => Ok(v.iter().map(MigrationVersion::to_string).collect()),
        Err(e) => Err(explain(conn, waiting, e)),
    }
}

/// Turns a refusal into [`MigrationError::PermissionDenied`]; anything else stays as it was.
fn explain(
    conn: &mut PgConnection,
    pending: Vec<String>,
    e: Box<dyn std::error::Error + Send + Sync>,
) -> MigrationError {
    let denied = e
        .downcast_ref::<DieselError>()
        .and_then(|d| match d {
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => Some(info.message()),
            _ => None,
        })
        .filter(|m| is_permission_denied(m))
        .map(str::to_owned)
        // The harness wraps some errors in its own type: the text still names the refusal.
        .or_else(|| {
            let text = e.to_string();
            (text.contains("permission denied") || text.contains("must be owner")).then_some(text)
        });
    match denied {
        Some(message) => {
            let role = diesel::select(diesel::dsl::sql::<Nullable<Text>>("current_user::text"))
                .get_result::<Option<String>>(conn)
                .ok()
                .flatten()
                .unwrap_or_default();
            let needed = if message.contains("schema") {
                "CREATE on schema public"
            } else {
                "ownership of the tables the migrations alter"
            };
            MigrationError::PermissionDenied {
                role,
                pending,
                needed,
                message,
            }
        }
        None => MigrationError::Failed(e),
    }
}

/// Reverts every applied migration, newest first; returns the versions reverted.
pub fn revert_all(conn: &mut PgConnection) -> Result<Vec<String>, MigrationError> {
    conn.revert_all_migrations(MIGRATIONS)
        .map(|v| v.iter().map(MigrationVersion::to_string).collect())
        .map_err(MigrationError::Failed)
}

/// The versions applied in this database, oldest first. Reads only.
pub fn applied(conn: &mut PgConnection) -> Result<Vec<String>, MigrationError> {
    let mut v = applied_versions(conn)?;
    v.sort();
    Ok(v)
}

fn applied_versions(conn: &mut PgConnection) -> Result<Vec<String>, MigrationError> {
    let exists: Option<String> = diesel::select(diesel::dsl::sql::<Nullable<Text>>(&format!(
        "to_regclass('{LEDGER}')::text"
    )))
    .get_result(conn)
    .map_err(MigrationError::failed)?;
    if exists.is_none() {
        return Ok(Vec::new());
    }
    diesel::dsl::sql_query(format!("SELECT version FROM {LEDGER}"))
        .load::<VersionRow>(conn)
        .map(|rows| rows.into_iter().map(|r| r.version).collect())
        .map_err(MigrationError::failed)
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = Text)]
    version: String,
}
