//! How every program logs: grid-logging's subscriber (human lines or JSON to stderr,
//! filtered by `RUST_LOG`), named here so that a program reading the configuration finds it
//! beside it.

pub use grid_telemetry::logging::{LogFormat, init_logging, init_logging_at};
