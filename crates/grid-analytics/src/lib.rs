#![doc = include_str!("../README.md")]

pub mod alerting;
pub mod compute;
pub mod daily;
pub mod period;
pub mod reliability;

pub use compute::{AnalyticsConfig, compute_days};
