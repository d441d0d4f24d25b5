//! The engine's one error type: a reading it refused, and why. A refused reading leaves the
//! detector's state exactly as it was, so the caller can skip it and go on.

/// Why a reading was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnomalyError {
    /// The value is NaN or infinite.
    #[error("value {value} at {at_ms} ms is not a finite number")]
    NotFinite {
        /// The reading's time (ms since the Unix epoch).
        at_ms: i64,
        /// The value.
        value: f64,
    },
    /// The reading is not later than the one before it: the engine is causal and runs in
    /// time order per series.
    #[error("reading at {at_ms} ms is not after the previous one at {previous_ms} ms")]
    OutOfOrder {
        /// The reading's time.
        at_ms: i64,
        /// The time of the last reading accepted.
        previous_ms: i64,
    },
}

/// A persisted detector state that does not decode (written by an incompatible version, or
/// damaged): the detector must start afresh.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("detector state does not decode: {0}")]
pub struct StateError(pub String);
