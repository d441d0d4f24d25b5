//! The main job of SmartGrid Sentinel: a day of a Kenyan grid through every crate. The same
//! as `sentinel demo` (crates/grid-service), kept as an example for `cargo run --example`.
//!
//! ```text
//! cargo run --release --example sentinel [-- --date YYYY-MM-DD] [--svg PATH] [--force]
//! ```
//!
//! Uses `DATABASE_URL` when set (it must not hold another grid unless `--force`); otherwise
//! starts a throwaway PostgreSQL (with TimescaleDB when installed), which is removed when the
//! program ends. Migrates, sets up the time series, seeds the demo grid, simulates the
//! previous local day of SCADA readings with injected events, ingests them, raises and
//! resolves alerts, refreshes the rollups, computes the daily statistics, prints the
//! operator's report and writes an SVG of each zone's load curve.

fn main() -> std::process::ExitCode {
    let args = std::env::args_os().skip(1);
    grid_service::cli::run(["sentinel".into(), "demo".into()].into_iter().chain(args))
}
