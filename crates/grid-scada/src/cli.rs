//! What the SCADA binaries share on their command lines: the database URL from the
//! environment or a file (never needed on the command line, where `ps` shows it), and
//! logging through `tracing` with a subscriber (human or JSON lines, filtered by
//! `RUST_LOG`).

use std::path::PathBuf;

use anyhow::Context;

pub use grid_config::logging::{LogFormat, init_logging};

/// The database URL: `--database-url-file` (its first line), else `--database-url` (which
/// must not carry a password: `ps` shows every argument to every user), else
/// `DATABASE_URL`. A URL without a password leaves libpq to find one in `PGPASSWORD` or
/// `PGPASSFILE` (`~/.pgpass`).
pub fn database_url(cli: Option<String>, file: Option<PathBuf>) -> anyhow::Result<String> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the database URL from {}", path.display()))?;
        let line = text.lines().next().unwrap_or_default().trim().to_owned();
        anyhow::ensure!(!line.is_empty(), "{} holds no database URL", path.display());
        return Ok(line);
    }
    if let Some(url) = cli {
        anyhow::ensure!(
            grid_secrets::passwords_of(&url).is_empty(),
            "--database-url {} carries a password, which every user can read in the process list: \
             put the URL in DATABASE_URL or a file (--database-url-file), or the password in \
             PGPASSWORD or PGPASSFILE",
            grid_secrets::redact(&url)
        );
        return Ok(url);
    }
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .context(
            "no database: set DATABASE_URL, pass --database-url-file FILE, or name \
             database.url_file in the --sentinel-config file",
        )
}

/// SmartGrid Sentinel's configuration for a SCADA program (`--sentinel-config`, the
/// environment over it) and its database URL: the flags or `DATABASE_URL` first (see
/// [`database_url`]), else the configuration's `database.url_file`. The program runs as
/// `role` (grid-access's; its session limits) unless the configuration names another.
pub fn sentinel_config(
    file: Option<&std::path::Path>,
    role: grid_config::Role,
    (url_flag, url_file): (Option<String>, Option<PathBuf>),
) -> anyhow::Result<(grid_config::SentinelConfig, String)> {
    let mut config = grid_config::SentinelConfig::load(file)?;
    config.database.role.get_or_insert(role);
    let url = match database_url(url_flag, url_file) {
        Ok(url) => url,
        Err(e) => match config.database_url() {
            Ok(u) => u.expose().to_owned(),
            Err(_) => return Err(e),
        },
    };
    Ok((config, url))
}

/// Waits for Ctrl-C or SIGTERM: how a SCADA binary is asked to stop.
pub async fn stop_signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

/// Prints `status <line()>` on standard output every `every_ms` until aborted.
pub fn print_status(
    every_ms: u64,
    line: impl Fn() -> String + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    let every = std::time::Duration::from_millis(every_ms.max(1));
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            println!("status {}", line());
        }
    })
}

/// A configuration file's text, the error naming the file.
pub fn read_file(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Serves `GET /metrics` (Prometheus text from `metrics`) and `GET /health` (`health`'s
/// status and JSON) on `addr` until the process ends: the operational endpoints of the
/// long-running SCADA programs.
pub async fn serve_operational(
    addr: std::net::SocketAddr,
    metrics: impl Fn() -> String + Clone + Send + Sync + 'static,
    health: impl Fn() -> (bool, serde_json::Value) + Clone + Send + Sync + 'static,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    use axum::http::StatusCode;
    use axum::routing::get;
    let app = axum::Router::new()
        .route("/metrics", get(move || std::future::ready(metrics())))
        .route(
            "/health",
            get(move || {
                let (ok, body) = health();
                let status = if ok {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                std::future::ready((status, axum::Json(body)))
            }),
        );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    tracing::info!(addr = %listener.local_addr()?, "serving /metrics and /health");
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "operational endpoints stopped");
        }
    }))
}

/// A status line's `name=value` pairs as Prometheus samples named `{prefix}_{name}`
/// (untyped: counters and gauges alike), for programs whose counters are a status line.
pub fn prometheus_from_line(prefix: &str, line: &str) -> String {
    line.split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .filter(|(_, v)| v.parse::<f64>().is_ok())
        .map(|(k, v)| format!("# TYPE {prefix}_{k} untyped\n{prefix}_{k} {v}\n"))
        .collect()
}
