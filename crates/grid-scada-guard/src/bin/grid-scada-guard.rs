//! `grid-scada-guard`: the Modbus TCP policy proxy. `grid-scada-guard --help` lists the
//! options. Security events go to the database (`DATABASE_URL`, `--database-url-file` or
//! the `--sentinel-config` configuration's `database.url_file`), as grid-access's poller role
//! (the role that records security events; its session limits) unless the configuration
//! names another, spooled under `--spool` while the database is away; logs to stderr
//! (`RUST_LOG`, `--log-format`).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use grid_scada::cli::{
    LogFormat, init_logging, print_status, prometheus_from_line, read_file, sentinel_config,
    serve_operational, stop_signal,
};
use grid_scada::security::{self as events, EventCounters};
use grid_scada_guard::policy::GuardPolicy;
use grid_scada_guard::proxy::{self, GuardCounters};

/// Passes what each device's policy allows, refuses the rest with the fitting Modbus
/// exception, and records every security event.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The policy (TOML).
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,
    /// Where security events wait while the database is away.
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
    /// How often the status line is printed, milliseconds.
    #[arg(long, default_value_t = 10_000)]
    status_every_ms: u64,
    /// Log lines as readable text or JSON (filter with RUST_LOG).
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    /// Serve /metrics (Prometheus) and /health on this address.
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// SmartGrid Sentinel's configuration (grid-config: the database URL's file, the role and
    /// its session limits); the environment overrides it.
    #[arg(long, value_name = "FILE", env = "SENTINEL_CONFIG")]
    sentinel_config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    init_logging(args.log_format);
    let (sentinel, url) = sentinel_config(
        args.sentinel_config.as_deref(),
        grid_config::Role::Poller,
        (args.database_url, args.database_url_file),
    )?;
    let text = read_file(&args.policy)?;
    let policy =
        GuardPolicy::from_toml(&text).with_context(|| format!("{}", args.policy.display()))?;
    let folding = events::Folding {
        window: chrono::Duration::seconds(policy.guard.fold_window_s as i64),
        new_rows_per_source_per_minute: policy.guard.new_rows_per_source_per_minute,
    };
    let event_counters = Arc::new(EventCounters::default());
    let (sink, writer) = events::start(
        url,
        sentinel.session_limits(),
        args.spool.clone(),
        folding,
        event_counters.clone(),
    )
    .with_context(|| format!("spool {}", args.spool.display()))?;
    let counters = Arc::new(GuardCounters::default());
    let running = proxy::start(policy, sink, counters.clone())
        .await
        .context("binding the devices' listeners")?;
    for (device, addr) in &running.listening {
        tracing::info!(device, %addr, "guarding");
    }
    let endpoints = match args.metrics_listen {
        Some(addr) => {
            let (c, e) = (counters.clone(), event_counters.clone());
            let (hc, he) = (counters.clone(), event_counters.clone());
            Some(
                serve_operational(
                    addr,
                    move || {
                        prometheus_from_line("grid_guard", &c.line())
                            + &prometheus_from_line("grid_guard_events", &e.line())
                    },
                    move || {
                        // Unhealthy once a security event was lost (queue or spool full).
                        let lost = he.lost.load(std::sync::atomic::Ordering::Relaxed);
                        let body = serde_json::json!({
                            "status": if lost == 0 { "ok" } else { "degraded" },
                            "counters": hc.line(),
                            "events": he.line(),
                        });
                        (lost == 0, body)
                    },
                )
                .await?,
            )
        }
        None => None,
    };
    let status = {
        let (c, e) = (counters.clone(), event_counters.clone());
        print_status(args.status_every_ms, move || {
            format!("{} {}", c.line(), e.line())
        })
    };
    stop_signal().await?;
    tracing::info!("stopping");
    running.stop().await;
    status.abort();
    if let Some(e) = endpoints {
        e.abort();
    }
    // The proxy's sinks are gone: the writer records (or spools) what it holds and ends.
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    println!("stopped {} {}", counters.line(), event_counters.line());
    Ok(())
}
