#![doc = include_str!("../README.md")]

pub mod alerts;
pub mod config;
pub mod episodes;
pub mod error;
pub mod fleet;
pub mod history;
pub mod online;
mod subject;

pub use config::{AlertPolicy, engine_config};
pub use error::{DetectError, DetectResult};
pub use history::{DetectReport, TrainingSeries, detect_range, reset_states, train};
pub use online::OnlineDetector;
