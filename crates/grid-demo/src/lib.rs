#![doc = include_str!("../README.md")]

pub mod grid;
pub mod report;
pub mod run;
pub mod simulate;

pub use run::{DemoError, DemoOptions, DemoSummary, prepare, run};
