#![doc = include_str!("../README.md")]

pub mod alerts;
pub mod anomalies;
pub mod anomaly_states;
pub mod constraints;
pub mod enums;
pub mod error;
pub mod forecasts;
pub mod maintenance;
pub mod migrations;
#[allow(missing_docs)]
pub mod schema;
pub mod security;
pub mod seed;
pub mod sensors;
pub mod session;
pub mod statistics;
pub mod store;
pub mod substations;
pub mod thermal;
pub mod transformers;
pub mod users;

pub use alerts::AlertRepository;
pub use anomalies::AnomalyRepository;
/// Diesel, so that users name `grid_store::diesel::PgConnection` without a dependency of
/// their own (and at the same version).
pub use diesel;
pub use diesel::PgConnection;
pub use error::{StoreError, StoreResult};
pub use forecasts::ForecastRepository;
pub use maintenance::MaintenanceRepository;
pub use security::SecurityEventRepository;
pub use sensors::SensorRepository;
pub use session::SessionLimits;
pub use statistics::StatisticsRepository;
pub use store::{PgPool, PgPooled, PgStore, WithConnection, establish, establish_with};
pub use substations::SubstationRepository;
pub use thermal::ThermalRepository;
pub use transformers::TransformerRepository;
