//! The analytics' error policy: every function returns [`AnalyticsResult`]. Bad
//! configuration is named ([`AnalyticsError::TimeZoneMismatch`]); what the layers below
//! refuse is passed on with their own typed error; nothing is answered silently wrong.

use grid_store::StoreError;
use grid_timescale::TimescaleError;

/// The result of an analytics call.
pub type AnalyticsResult<T> = Result<T, AnalyticsError>;

/// What went wrong in an analytics call.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// The configuration names another local time zone than the database was set up with:
    /// local days would not line up with the daily rollup's buckets.
    #[error(
        "time zone mismatch: the analytics configuration says {configured:?}, but this database was set up for {database:?}; leave AnalyticsConfig::time_zone unset to use the database's"
    )]
    TimeZoneMismatch {
        /// The zone the configuration names.
        configured: String,
        /// The zone the database was set up with.
        database: String,
    },
    /// The time-series layer refused (not set up, a refresh failed, …).
    #[error(transparent)]
    Timescale(#[from] TimescaleError),
    /// The store refused (a row failed validation, the database is away, …).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for AnalyticsError {
    fn from(e: diesel::result::Error) -> Self {
        AnalyticsError::Store(e.into())
    }
}
