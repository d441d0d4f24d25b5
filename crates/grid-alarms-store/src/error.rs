//! The alarm engine's errors: the store's and the time-series layer's, and a rule or state
//! that cannot be used.

use grid_store::StoreError;
use grid_timescale::TimescaleError;

/// The result of an alarm operation.
pub type AlarmResult<T> = Result<T, AlarmError>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum AlarmError {
    /// The store (and the database below it).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The time-series layer.
    #[error(transparent)]
    Timescale(#[from] TimescaleError),
    /// A stored state that cannot be read back (written by another version).
    #[error("alarm state of {what} unreadable: {reason}")]
    State {
        /// Whose.
        what: String,
        /// Why.
        reason: String,
    },
    /// Bad input (an unknown tag, a shelving without a reason…).
    #[error("{0}")]
    Invalid(String),
}

impl From<diesel::result::Error> for AlarmError {
    fn from(e: diesel::result::Error) -> Self {
        AlarmError::Store(e.into())
    }
}

impl AlarmError {
    /// The store error underneath, when there is one.
    pub fn store(&self) -> Option<&StoreError> {
        match self {
            AlarmError::Store(e) | AlarmError::Timescale(TimescaleError::Store(e)) => Some(e),
            _ => None,
        }
    }
}
