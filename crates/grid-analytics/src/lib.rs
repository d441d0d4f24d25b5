#![doc = include_str!("../README.md")]

pub mod compute;
pub mod daily;
pub mod error;
mod load;
pub mod period;
pub mod reliability;
pub mod topology;

pub use compute::{AnalyticsConfig, compute_days};
pub use error::{AnalyticsError, AnalyticsResult};
