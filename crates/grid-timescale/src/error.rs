//! Errors of the time-series layer (the store's policy, plus what only this layer can say).

use crate::capabilities::ServerMode;
use grid_store::StoreError;

/// The result of a time-series operation.
pub type TsResult<T> = Result<T, TimescaleError>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum TimescaleError {
    /// A store error (not found, conflict, invalid, unavailable, database); see grid-store's
    /// error policy.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The feature needs an edition this server does not have: a typed answer, never a
    /// silent no-op.
    #[error("{feature} is not supported here (server mode {mode}): {reason}")]
    Unsupported {
        /// The feature asked for.
        feature: &'static str,
        /// The server's mode.
        mode: ServerMode,
        /// What would be needed.
        reason: &'static str,
    },
    /// The configuration cannot be used (e.g. an unknown time zone).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A configuration names another local time zone than the one this database was set
    /// up with (its local days, daily rollup and statistics are in that one).
    #[error(
        "time zone mismatch: the configuration says {configured:?}, but this database was set up for {database:?} (local days, the daily rollup and the statistics are in {database:?}; tear down and set up again to change it)"
    )]
    TimeZoneMismatch {
        /// The zone the configuration names.
        configured: String,
        /// The zone the database was set up with.
        database: String,
    },
    /// The session's role may not do this (SQLSTATE 42501); says what it needs.
    #[error("permission denied to {action}: needs {needed}: {message}")]
    PermissionDenied {
        /// What was attempted.
        action: &'static str,
        /// The privilege or role that would allow it.
        needed: &'static str,
        /// The server's message.
        message: String,
    },
    /// [`crate::setup()`] has not run on this database.
    #[error("grid-timescale is not set up in this database: call grid_timescale::setup first")]
    NotSetUp,
}

impl From<diesel::result::Error> for TimescaleError {
    fn from(e: diesel::result::Error) -> Self {
        TimescaleError::Store(e.into())
    }
}
