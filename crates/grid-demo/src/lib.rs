#![doc = include_str!("../README.md")]

mod alarms;
pub mod error;
pub mod grid;
pub mod report;
pub mod run;
pub mod simulate;
pub mod summary;
mod thermal;

pub use run::{DemoError, DemoOptions, DemoSummary, prepare, run};
