#![doc = include_str!("../README.md")]

pub mod alarms;
pub mod assess;
pub mod config;
pub mod error;
pub mod fleet;
pub mod samples;
pub mod summary;

pub use assess::{DayAssessment, Outcome, TransformerDay, TransformerOutcome, assess_day};
pub use config::{
    AmbientProfile, HealthConfig, StartingCondition, StartingConditions, ThermalAlarmConfig,
    default_ambient,
};
pub use error::{HealthError, HealthResult};
pub use summary::CurvePoint;
