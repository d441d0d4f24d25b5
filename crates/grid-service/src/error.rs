//! The service edge's one error type: every failure of configuration, bootstrap and the
//! crates below, with whether a retry can help and the HTTP status that fits it.

use grid_analytics::AnalyticsError;
use grid_store::StoreError;
use grid_store::migrations::MigrationError;
use grid_timescale::{ServerMode, TimescaleError};

/// The result of a service operation.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// What went wrong at the service edge.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The configuration cannot be used; names the key.
    #[error(transparent)]
    Config(#[from] grid_config::ConfigError),
    /// The server does not run the mode the configuration requires.
    #[error("the server runs {found} but the configuration requires {required} ({hint})")]
    ModeMismatch {
        /// What `setup.require` asked for.
        required: ServerMode,
        /// What the server runs.
        found: ServerMode,
        /// What to do about it.
        hint: &'static str,
    },
    /// A migration failed or may not run as this role.
    #[error(transparent)]
    Migration(#[from] MigrationError),
    /// Roles and grants could not be applied.
    #[error(transparent)]
    Access(#[from] grid_access::AccessError),
    /// The time-series layer (and the store below it).
    #[error(transparent)]
    Timescale(#[from] TimescaleError),
    /// The analytics.
    #[error(transparent)]
    Analytics(#[from] AnalyticsError),
    /// The limit alarms (an operator's action on a point).
    #[error(transparent)]
    Alarms(#[from] grid_alarms_store::AlarmError),
    /// The blocking task running a database call panicked or was cancelled.
    #[error("the database task did not finish: {0}")]
    Task(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        ServiceError::Timescale(TimescaleError::Store(e))
    }
}

impl From<diesel::result::Error> for ServiceError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl ServiceError {
    /// The store error underneath, when there is one.
    pub fn store(&self) -> Option<&StoreError> {
        match self {
            ServiceError::Timescale(TimescaleError::Store(e))
            | ServiceError::Analytics(AnalyticsError::Timescale(TimescaleError::Store(e))) => {
                Some(e)
            }
            ServiceError::Analytics(AnalyticsError::Store(e)) => Some(e),
            ServiceError::Alarms(e) => e.store(),
            _ => None,
        }
    }

    /// Whether the same call may succeed later unchanged: no connection, a timeout, a
    /// concurrent change, a task that did not finish. Bad input, a refusal or a bug will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            ServiceError::Task(_) => true,
            _ => self.store().is_some_and(StoreError::is_retryable),
        }
    }

    /// The HTTP status that fits: 400 bad input, 403 refused, 404 not found, 409 conflict,
    /// 503 unavailable or timed out (retry later), 500 a fault of ours (no input may lead
    /// there: the API's property test holds it).
    pub fn http_status(&self) -> u16 {
        match self {
            ServiceError::Config(_) | ServiceError::ModeMismatch { .. } => 500,
            ServiceError::Task(_) => 503,
            ServiceError::Timescale(TimescaleError::Config(_))
            | ServiceError::Timescale(TimescaleError::Unsupported { .. }) => 400,
            ServiceError::Timescale(TimescaleError::PermissionDenied { .. }) => 403,
            ServiceError::Alarms(grid_alarms_store::AlarmError::Invalid(_)) => 400,
            _ => match self.store() {
                Some(StoreError::NotFound { .. }) => 404,
                Some(StoreError::Invalid(_)) => 400,
                // A step the lifecycle forbids is a conflict with the alert's state; a step
                // with a bad field (an actor too long, a note with NUL) is bad input.
                Some(StoreError::Transition(grid_model::TransitionError::NotAllowed {
                    ..
                })) => 409,
                Some(StoreError::Transition(_)) => 400,
                Some(StoreError::Conflict { .. }) => 409,
                Some(StoreError::PermissionDenied(_)) => 403,
                Some(StoreError::Unavailable(_)) | Some(StoreError::Timeout(_)) => 503,
                _ => 500,
            },
        }
    }
}
