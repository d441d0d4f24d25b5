//! Errors of grid-access, under grid-store's error policy: a refusal names what was missing.

use grid_store::StoreError;
use grid_timescale::TimescaleError;

/// The result of an access operation.
pub type AccessResult<T> = Result<T, AccessError>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The configuration cannot be used (e.g. a role prefix PostgreSQL would not accept).
    #[error("invalid access configuration: {0}")]
    Config(String),
    /// The session's role lacks what this needs (SQLSTATE 42501).
    #[error("permission denied to {action}: needs {needed}: {message}")]
    PermissionDenied {
        /// What was attempted.
        action: &'static str,
        /// The privilege that would allow it.
        needed: &'static str,
        /// The server's message.
        message: String,
    },
    /// A store or time-series error (see grid-store's error policy).
    #[error(transparent)]
    Timescale(#[from] TimescaleError),
}

impl From<StoreError> for AccessError {
    fn from(e: StoreError) -> Self {
        AccessError::Timescale(TimescaleError::Store(e))
    }
}

impl From<diesel::result::Error> for AccessError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl AccessError {
    /// `e`, or a [`AccessError::PermissionDenied`] naming `needed` when it is a refusal.
    pub(crate) fn denied(
        action: &'static str,
        needed: &'static str,
        e: diesel::result::Error,
    ) -> AccessError {
        match StoreError::from(e) {
            StoreError::PermissionDenied(message) => AccessError::PermissionDenied {
                action,
                needed,
                message,
            },
            other => other.into(),
        }
    }
}
