//! `grid-scada-poller`: polls the configured Modbus TCP devices into the database until
//! SIGTERM or Ctrl-C.
//!
//! ```text
//! grid-scada-poller --config scada.toml --spool /var/lib/gridsentinel/spool \
//!     [--database-url URL | DATABASE_URL=…] [--spool-max-bytes N] [--status-every-ms N] \
//!     [--anomaly-detection]
//! ```
//!
//! `--anomaly-detection` scores every reading with the anomaly engine (grid-detect) before
//! it is stored: episodes, marked readings and their alerts commit with each batch.
//!
//! Prints a status line (`status polls_ok=… readings_stored=… …`) at the given interval.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use grid_scada::ScadaConfig;
use grid_scada::runtime::{Counters, PollerOptions, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut config: Option<PathBuf> = None;
    let mut spool: Option<PathBuf> = None;
    let mut url = std::env::var("DATABASE_URL").ok();
    let mut max_bytes: u64 = 1 << 30;
    let mut status_ms: u64 = 1000;
    let mut anomalies = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().with_context(|| format!("{a} needs a value"));
        if a == "--anomaly-detection" {
            anomalies = true;
            continue;
        }
        match a.as_str() {
            "--config" => config = Some(value()?.into()),
            "--spool" => spool = Some(value()?.into()),
            "--database-url" => url = Some(value()?),
            "--spool-max-bytes" => max_bytes = value()?.parse().context("--spool-max-bytes")?,
            "--status-every-ms" => status_ms = value()?.parse().context("--status-every-ms")?,
            other => bail!("unknown argument {other:?}"),
        }
    }
    let config_path = config.context("--config FILE is required")?;
    let text = std::fs::read_to_string(&config_path)
        .with_context(|| format!("reading {}", config_path.display()))?;
    let config =
        ScadaConfig::from_toml(&text).with_context(|| format!("{}", config_path.display()))?;
    let opts = PollerOptions {
        database_url: url.context("--database-url or DATABASE_URL is required")?,
        spool_dir: spool.context("--spool DIR is required")?,
        spool_max_bytes: max_bytes,
        limits: Default::default(),
        anomaly_detection: anomalies.then(grid_detect::AlertPolicy::default),
    };
    let counters = Arc::new(Counters::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let status = {
        let counters = counters.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(status_ms)).await;
                println!("status {}", counters.line());
            }
        })
    };
    let poller = tokio::spawn(run(config, opts, stop_rx, counters.clone()));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    let _ = stop_tx.send(true);
    poller.await??;
    status.abort();
    println!("stopped {}", counters.line());
    Ok(())
}
