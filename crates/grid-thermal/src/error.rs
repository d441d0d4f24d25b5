//! What can go wrong in a thermal computation, typed.

use grid_model::UnknownVariant;

/// A thermal computation that cannot run, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThermalError {
    /// The transformer's cooling class is not one this crate has defaults for, and its
    /// stored parameters do not give every value the model needs.
    #[error(
        "cooling type {cooling_type:?} is not one of ONAN, ONAF, OFAN, OFAF, OFWF, ODAN, ODAF, ODWF \
         and the transformer's thermal parameters lack {missing}"
    )]
    UnknownCooling {
        /// The stored cooling type (`None`: not recorded).
        cooling_type: Option<String>,
        /// The parameters that would be needed, comma separated.
        missing: String,
    },
    /// An input value the model cannot use (NaN, a negative load or time step).
    #[error("{what} must be {expected} (got {value})")]
    BadInput {
        /// Which input.
        what: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What was given.
        value: f64,
    },
    /// Text that names no method or paper.
    #[error(transparent)]
    Unknown(#[from] UnknownVariant),
}
