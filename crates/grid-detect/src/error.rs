//! grid-detect's error policy: every function returns [`DetectResult`]. A reading the engine
//! refuses (not finite, not after the one before) is counted in the report and skipped; it
//! stops nothing. What fails in the database fails the unit it was in (one substation's
//! transaction over history, one ingest batch online), which leaves nothing half-written and
//! can be run again.

use grid_store::StoreError;
use grid_timescale::TimescaleError;

/// The result of a grid-detect call.
pub type DetectResult<T> = Result<T, DetectError>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// A stored detector state does not parse (written by an incompatible version): the
    /// sensor's state must be reset (`reset_states`) before it is detected again.
    #[error("stored anomaly detector state of {subject} does not parse: {reason}")]
    BadState {
        /// The sensor or substation phase set.
        subject: String,
        /// The parser's message.
        reason: String,
    },
    /// The time-series layer refused.
    #[error(transparent)]
    Timescale(#[from] TimescaleError),
    /// The store refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for DetectError {
    fn from(e: diesel::result::Error) -> Self {
        DetectError::Store(e.into())
    }
}
