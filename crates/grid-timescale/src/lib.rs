#![doc = include_str!("../README.md")]

pub mod bounds;
pub mod capabilities;
mod chunks;
pub mod compression;
pub mod csv_load;
pub mod error;
pub mod ingest;
mod latest;
pub mod ledger;
pub mod limits;
pub mod marks;
pub mod query;
pub mod refresh;
pub mod relations;
pub mod retention;
pub mod rollup;
mod scope;
pub mod set_aside;
pub mod setup;
pub mod stale;
pub mod telemetry;

pub use bounds::PhysicalBounds;
pub use capabilities::{Capabilities, ServerMode};
pub use error::{TimescaleError, TsResult};
pub use ledger::{LocalZone, RollupKind, SetupState, local_zone, state};
pub use limits::{Band, LevelLimits, OperatingLimits, PuBand, VoltageLimits};
pub use refresh::{RefreshReport, refresh};
pub use setup::{SetupReport, TimescaleConfig, setup, teardown};
