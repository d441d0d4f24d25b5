//! `grid-scada-poller`: polls the configured Modbus TCP devices into the database until
//! SIGTERM or Ctrl-C. `grid-scada-poller --help` lists the options.
//!
//! The database URL comes from `DATABASE_URL` or `--database-url-file` (a file only its
//! owner reads); `--database-url` is refused when it carries a password (`ps` shows it to
//! every user), and then libpq finds one in `PGPASSWORD` or `PGPASSFILE`.
//! `--anomaly-detection` scores every reading with the anomaly engine (grid-detect) before
//! it is stored: episodes, marked readings and their alerts commit with each batch.
//!
//! `--metrics-listen ADDR` serves `/metrics` (the counters below and ingest's, Prometheus
//! text) and `/health` (200 while polls succeed or the spool holds what the database could
//! not take; 503 when every device fails). `--sentinel-config` (or `SENTINEL_CONFIG`) reads
//! SmartGrid Sentinel's configuration: operating limits, session limits (the poller role's
//! by default), the URL's file.
//!
//! Prints a status line (`status polls_ok=… readings_stored=… …`) at the given interval on
//! stdout; logs go to stderr through `tracing` (`RUST_LOG`, `--log-format json`).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use grid_scada::ScadaConfig;
use grid_scada::cli::{
    LogFormat, init_logging, print_status, read_file, sentinel_config, serve_operational,
    stop_signal,
};
use grid_scada::runtime::{Counters, PollerOptions, run};

/// Polls Modbus TCP devices (read-only) into the SmartGrid Sentinel database, spooling to
/// disk while the database is away.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The devices and their points (TOML).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The spool's directory (created if missing).
    #[arg(long, value_name = "DIR")]
    spool: PathBuf,
    /// The database URL without a password (`ps` shows arguments to every user): the URL
    /// with its password goes in DATABASE_URL or --database-url-file, or the password in
    /// PGPASSWORD / PGPASSFILE.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// A file whose first line is the database URL.
    #[arg(long, value_name = "FILE")]
    database_url_file: Option<PathBuf>,
    /// The spool's size limit in bytes; the oldest segments are dropped (and counted) past it.
    #[arg(long, default_value_t = 1 << 30)]
    spool_max_bytes: u64,
    /// How often the status line is printed, milliseconds.
    #[arg(long, default_value_t = 1000)]
    status_every_ms: u64,
    /// Score every reading with the anomaly engine before it is stored (its alerts by the
    /// configuration's alarms.anomaly).
    #[arg(long)]
    anomaly_detection: bool,
    /// Do not evaluate the limit alarms (voltage, frequency, temperature bands of the
    /// configuration's `limits` and `alarms`) on each batch.
    #[arg(long)]
    no_alarms: bool,
    /// Log lines as readable text or JSON (filter with RUST_LOG).
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    /// SmartGrid Sentinel's configuration (grid-config: operating limits, session limits,
    /// the database URL's file); the environment overrides it.
    #[arg(long, value_name = "FILE", env = "SENTINEL_CONFIG")]
    sentinel_config: Option<PathBuf>,
    /// Serve /metrics (Prometheus) and /health on this address.
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<std::net::SocketAddr>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    init_logging(args.log_format);
    // The poller runs as grid-access's poller role unless the configuration says otherwise.
    let (sentinel, url) = sentinel_config(
        args.sentinel_config.as_deref(),
        grid_config::Role::Poller,
        (args.database_url, args.database_url_file),
    )?;
    let text = read_file(&args.config)?;
    let config =
        ScadaConfig::from_toml(&text).with_context(|| format!("{}", args.config.display()))?;
    let opts = PollerOptions {
        database_url: url,
        spool_dir: args.spool,
        spool_max_bytes: args.spool_max_bytes,
        limits: sentinel.limits.clone(),
        anomaly_detection: args.anomaly_detection.then_some(sentinel.alarms.anomaly),
        alarms: (!args.no_alarms).then(|| sentinel.alarm_settings()),
        session_limits: sentinel.session_limits(),
    };
    tracing::info!(
        devices = config.devices.len(),
        spool = %opts.spool_dir.display(),
        anomaly_detection = args.anomaly_detection,
        "poller starting"
    );
    let counters = Arc::new(Counters::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let status = {
        let counters = counters.clone();
        print_status(args.status_every_ms, move || counters.line())
    };
    let endpoints = match args.metrics_listen {
        Some(addr) => {
            let recorder = grid_telemetry::prometheus::install();
            let (m, h) = (counters.clone(), counters.clone());
            Some(
                serve_operational(
                    addr,
                    move || {
                        let mut text = m.prometheus();
                        if let Some(r) = &recorder {
                            text.push_str(&r.render());
                        }
                        text
                    },
                    move || h.health(),
                )
                .await?,
            )
        }
        None => None,
    };
    let mut poller = tokio::spawn(run(config, opts, stop_rx, counters.clone()));
    // A poller that cannot start (no database and no cached sensor map, a spool it cannot
    // open) ends the program at once with its error, rather than waiting for a signal.
    tokio::select! {
        stopped = stop_signal() => {
            stopped?;
            tracing::info!("stopping");
            let _ = stop_tx.send(true);
            poller.await??;
        }
        ended = &mut poller => {
            ended??;
        }
    }
    status.abort();
    if let Some(e) = endpoints {
        e.abort();
    }
    println!("stopped {}", counters.line());
    Ok(())
}
