#![doc = include_str!("../README.md")]

pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod error;
pub mod facade;
pub mod health;
pub mod http;
pub mod metrics;

pub use bootstrap::{BootstrapReport, bootstrap};
pub use config::SentinelConfig;
pub use error::{ServiceError, ServiceResult};
pub use facade::{Page, PageRequest, Sentinel};
pub use health::{Health, health};
