//! Prints the anomaly engine's evaluation on the development and the held-out seeds.

use grid_anomaly_eval::report::{DEVELOPMENT_SEEDS, HELD_OUT_SEEDS, evaluate, table};

/// Which seed sets to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Which {
    /// Both, reported apart.
    All,
    /// The development seeds.
    Development,
    /// The held-out seeds.
    HeldOut,
}

/// Prints the anomaly engine's evaluation (precision, recall, F1, delay per fault type,
/// false episodes per sensor-day) beside a rolling 3-sigma baseline.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Args {
    /// Which seed sets.
    #[arg(value_enum, default_value_t = Which::All)]
    which: Which,
    /// Log lines (to stderr) as human text or JSON (filter with RUST_LOG; default warn).
    #[arg(long, value_enum, default_value_t = grid_telemetry::logging::LogFormat::Human)]
    log_format: grid_telemetry::logging::LogFormat,
}

fn main() {
    let args = <Args as clap::Parser>::parse();
    grid_telemetry::logging::init_logging_at(args.log_format, "warn");
    let which = args.which;
    if which != Which::HeldOut {
        println!(
            "{}",
            table("Development seeds", &evaluate(DEVELOPMENT_SEEDS))
        );
    }
    if which != Which::Development {
        println!("{}", table("Held-out seeds", &evaluate(HELD_OUT_SEEDS)));
    }
}
