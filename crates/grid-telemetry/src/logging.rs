//! Logs: `tracing` events to stderr through one subscriber, human lines or JSON, filtered by
//! `RUST_LOG`.

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Human,
    /// One JSON object per event (for a log shipper).
    Json,
}

/// Installs the process's log subscriber with the default level `info`: `RUST_LOG` filters,
/// events go to stderr. Call once, first thing in `main`.
pub fn init_logging(format: LogFormat) {
    init_logging_at(format, "info");
}

/// As [`init_logging`], with `default` as the filter when `RUST_LOG` is unset (`warn` for a
/// program whose standard output is its result and whose stderr should stay quiet).
pub fn init_logging_at(format: LogFormat, default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second call (tests that run main twice) keeps the first subscriber.
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
