#![doc = include_str!("../README.md")]

pub mod bootstrap;
pub mod cli;
pub mod error;
pub mod facade;
pub mod health;
pub mod http;
pub mod metrics;

pub use bootstrap::{BootstrapReport, bootstrap};
pub use error::{ServiceError, ServiceResult};
pub use facade::{Page, PageRequest, Sentinel};
/// The one configuration (grid-config), re-exported.
pub use grid_config as config;
pub use grid_config::{ConfigError, SentinelConfig};
pub use health::{Health, health};
