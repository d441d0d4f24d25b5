#![doc = include_str!("../README.md")]

pub mod config;
pub mod decode;
pub mod plan;

pub use config::{ConfigError, DataType, DeviceConfig, PointConfig, RegisterKind, ScadaConfig, WordOrder};
