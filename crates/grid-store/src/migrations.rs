//! The embedded migrations of the top-level `migrations/` directory.

use diesel::PgConnection;
use diesel::migration::MigrationVersion;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// Every migration of the store, embedded at build time.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// A migration could not be applied or reverted.
#[derive(Debug, thiserror::Error)]
#[error("migration failed: {0}")]
pub struct MigrationError(String);

/// Applies every pending migration; returns the versions applied now.
pub fn run_pending(conn: &mut PgConnection) -> Result<Vec<String>, MigrationError> {
    conn.run_pending_migrations(MIGRATIONS)
        .map(|v| v.iter().map(MigrationVersion::to_string).collect())
        .map_err(|e| MigrationError(e.to_string()))
}

/// Reverts every applied migration, newest first; returns the versions reverted.
pub fn revert_all(conn: &mut PgConnection) -> Result<Vec<String>, MigrationError> {
    conn.revert_all_migrations(MIGRATIONS)
        .map(|v| v.iter().map(MigrationVersion::to_string).collect())
        .map_err(|e| MigrationError(e.to_string()))
}

/// The versions applied in this database, oldest first.
pub fn applied(conn: &mut PgConnection) -> Result<Vec<String>, MigrationError> {
    let mut v: Vec<String> = conn
        .applied_migrations()
        .map_err(|e| MigrationError(e.to_string()))?
        .iter()
        .map(MigrationVersion::to_string)
        .collect();
    v.sort();
    Ok(v)
}
