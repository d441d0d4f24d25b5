//! What can stop the demo.

use std::path::PathBuf;

use grid_analytics::AnalyticsError;
use grid_model::ValidationErrors;
use grid_store::StoreError;
use grid_timescale::TimescaleError;

/// What can stop the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The database already holds a grid; the demo will not mix its data into it.
    #[error(
        "the database already holds {0} substations: the demo grid is only seeded into an empty database (pass --force to seed anyway)"
    )]
    NotEmpty(i64),
    /// The store refused something.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The time-series layer refused something.
    #[error(transparent)]
    Timescale(#[from] TimescaleError),
    /// The analytics refused something.
    #[error(transparent)]
    Analytics(#[from] AnalyticsError),
    /// The thermal assessment refused something.
    #[error(transparent)]
    Health(#[from] grid_health::HealthError),
    /// The anomaly engine refused.
    #[error(transparent)]
    Detect(#[from] grid_detect::DetectError),
    /// A migration failed.
    #[error(transparent)]
    Migration(#[from] grid_store::migrations::MigrationError),
    /// Writing the picture failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error writing it.
        source: std::io::Error,
    },
}

impl From<ValidationErrors> for DemoError {
    fn from(e: ValidationErrors) -> Self {
        DemoError::Store(e.into())
    }
}

impl From<diesel::result::Error> for DemoError {
    fn from(e: diesel::result::Error) -> Self {
        DemoError::Store(e.into())
    }
}
