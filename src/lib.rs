//! SmartGrid Sentinel: the Rust data layer and SCADA ingest for monitoring a national power
//! grid. This root crate re-exports the member crates and owns the examples and benches; see
//! the workspace README for the layout.

pub use grid_analytics as analytics;
pub use grid_model as model;
pub use grid_scada as scada;
pub use grid_store as store;
pub use grid_timescale as timescale;
