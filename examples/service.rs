//! A control-room service of your own on SmartGrid Sentinel: the library's router plus a route
//! of yours, every database call through the async facade (never on a runtime thread).
//!
//! ```text
//! DATABASE_URL=postgres://… cargo run --example service      # a throwaway server otherwise
//! curl localhost:9187/latest?zone=nairobi
//! curl localhost:9187/zones/nairobi/overloaded
//! ```

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use grid_model::GridZone;
use grid_service::{Sentinel, SentinelConfig, ServiceError};
use grid_timescale::query::Scope;

/// Sensors of a zone whose latest value is out of range: one call of the crates through
/// `interact`, the rest is axum.
async fn overloaded(
    State(sentinel): State<Sentinel>,
    Path(zone): Path<GridZone>,
) -> Result<Json<Vec<String>>, ServiceError> {
    let latest = sentinel.latest(Scope::Zone(zone)).await?;
    Ok(Json(
        latest
            .into_iter()
            .filter(|l| l.is_out_of_range)
            .map(|l| l.tag)
            .collect(),
    ))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    grid_service::cli::init_logging(grid_service::cli::LogFormat::Human);
    let (_cluster, url) = grid_testdb::database_url_or_throwaway()?;
    let config = SentinelConfig::load(None)?.with_database_url(url);
    let listen = config.http.listen;
    let (sentinel, report) = Sentinel::bootstrap(config).await?;
    println!("database ready ({})", report.setup.capabilities.mode);
    let app = Router::new()
        .route("/zones/{zone}/overloaded", get(overloaded))
        .with_state(sentinel.clone())
        .merge(grid_service::http::router(sentinel));
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
