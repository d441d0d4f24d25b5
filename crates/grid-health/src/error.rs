//! grid-health's error policy: every function returns [`HealthResult`]. What fails for one
//! transformer (no load measurement, an unknown cooling type) is that transformer's outcome
//! in the day's assessment and stops nothing else; what fails for the whole day (the time
//! zone, the database) is returned with the layer's own typed error.

use grid_analytics::AnalyticsError;
use grid_store::StoreError;
use grid_thermal::ThermalError;
use grid_timescale::TimescaleError;

/// The result of a grid-health call.
pub type HealthResult<T> = Result<T, HealthError>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    /// The transformer has no load measurement: no current or load sensor linked to it and
    /// no incomer load at its substation.
    #[error(
        "transformer {transformer}: no load measurement (no current or load sensor linked to it, no incomer load sensor at its substation)"
    )]
    NoLoad {
        /// Substation code and name, e.g. `MSA-RAB T1`.
        transformer: String,
    },
    /// The thermal model cannot run for this transformer.
    #[error("transformer {transformer}: {source}")]
    Thermal {
        /// Substation code and name.
        transformer: String,
        /// Why.
        source: ThermalError,
    },
    /// The analytics layer refused (a configured time zone other than the database's).
    #[error(transparent)]
    Analytics(#[from] AnalyticsError),
    /// The time-series layer refused (not set up, …).
    #[error(transparent)]
    Timescale(#[from] TimescaleError),
    /// The store refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for HealthError {
    fn from(e: diesel::result::Error) -> Self {
        HealthError::Store(e.into())
    }
}
