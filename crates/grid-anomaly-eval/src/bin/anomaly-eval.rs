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
}

fn main() {
    let which = <Args as clap::Parser>::parse().which;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
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
