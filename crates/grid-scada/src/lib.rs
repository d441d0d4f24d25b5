#![doc = include_str!("../README.md")]

pub mod cli;
pub mod client;
pub mod config;
pub mod decode;
pub mod plan;
pub mod poll;
pub mod runtime;
pub mod security;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod spool;
pub mod store_devices;

pub use config::{
    ConfigError, DataType, DeviceConfig, PointConfig, RegisterKind, ScadaConfig, WordOrder,
};
