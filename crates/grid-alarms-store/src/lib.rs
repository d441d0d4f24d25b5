#![doc = include_str!("../README.md")]

pub mod engine;
pub mod error;
pub mod fleet;
pub mod history;
pub mod kpi;
pub mod points;
pub mod settings;
mod state;
mod write;

pub use engine::{AlarmCounts, AlarmEngine};
pub use error::{AlarmError, AlarmResult};
pub use history::evaluate_range;
pub use kpi::zone_kpis;
pub use points::{Action, act};
pub use settings::AlarmSettings;
pub use write::ACTOR;
