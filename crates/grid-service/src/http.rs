//! The JSON API and the operational endpoints, on axum, over the async facade:
//!
//! | route | answer |
//! |---|---|
//! | `GET /health` | [`crate::Health`] (503 when the database does not answer) |
//! | `GET /metrics` | Prometheus text |
//! | `GET /latest?zone=nairobi` | the latest reading of each sensor (of a zone) |
//! | `GET /series?sensor=UUID&from=…&to=…&width_s=3600` | a series |
//! | `GET /alerts?offset=0&limit=100` | a page of the active alerts |
//! | `GET /sensors?offset=0&limit=100` | a page of the sensors |
//! | `POST /alerts/{id}/acknowledge` `{"by": "…", "notes": "…"}` | the alert after the step |
//! | `GET /statistics/{date}` | the stored daily statistics of a local date |
//!
//! Errors are `{"error": "…", "retryable": bool}` with the status of
//! [`ServiceError::http_status`].

use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use grid_model::GridZone;
use grid_timescale::query::{Scope, SeriesTarget};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::ServiceError;
use crate::facade::{PageRequest, Sentinel};

/// The routes over `sentinel`.
pub fn router(sentinel: Sentinel) -> Router {
    grid_telemetry::prometheus::install();
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/latest", get(latest))
        .route("/series", get(series))
        .route("/alerts", get(alerts))
        .route("/sensors", get(sensors))
        .route("/alerts/{id}/acknowledge", post(acknowledge))
        .route("/statistics/{date}", get(statistics))
        .with_state(sentinel)
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({"error": self.to_string(), "retryable": self.is_retryable()});
        (status, Json(body)).into_response()
    }
}

fn counted<T: serde::Serialize>(
    route: &'static str,
    started: Instant,
    result: Result<T, ServiceError>,
) -> Response {
    let response = match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    };
    let status = response.status().as_u16().to_string();
    metrics::counter!(crate::metrics::HTTP_REQUESTS, "route" => route, "status" => status)
        .increment(1);
    metrics::histogram!(crate::metrics::HTTP_SECONDS, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

async fn health(State(s): State<Sentinel>) -> Response {
    let started = Instant::now();
    match s.health().await {
        Ok(h) => counted("health", started, Ok(h)),
        Err(e) => {
            let body = serde_json::json!({"status": "unavailable", "error": e.to_string()});
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

async fn metrics() -> String {
    grid_telemetry::prometheus::render()
}

#[derive(Deserialize)]
struct LatestQuery {
    zone: Option<GridZone>,
}

async fn latest(State(s): State<Sentinel>, Query(q): Query<LatestQuery>) -> Response {
    let started = Instant::now();
    let scope = q.zone.map_or(Scope::Grid, Scope::Zone);
    counted("latest", started, s.latest(scope).await)
}

#[derive(Deserialize)]
struct SeriesQuery {
    sensor: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    width_s: i64,
}

async fn series(State(s): State<Sentinel>, Query(q): Query<SeriesQuery>) -> Response {
    let started = Instant::now();
    let result = s
        .series(
            SeriesTarget::sensor(q.sensor),
            q.from,
            q.to,
            chrono::Duration::seconds(q.width_s),
        )
        .await;
    counted("series", started, result)
}

async fn alerts(State(s): State<Sentinel>, Query(page): Query<PageRequest>) -> Response {
    let started = Instant::now();
    counted("alerts", started, s.open_alerts(page).await)
}

async fn sensors(State(s): State<Sentinel>, Query(page): Query<PageRequest>) -> Response {
    let started = Instant::now();
    counted("sensors", started, s.sensors(page).await)
}

#[derive(Deserialize)]
struct Acknowledge {
    by: String,
    notes: Option<String>,
}

async fn acknowledge(
    State(s): State<Sentinel>,
    Path(id): Path<Uuid>,
    Json(body): Json<Acknowledge>,
) -> Response {
    let started = Instant::now();
    counted(
        "acknowledge",
        started,
        s.acknowledge(id, body.by, body.notes).await,
    )
}

async fn statistics(State(s): State<Sentinel>, Path(date): Path<NaiveDate>) -> Response {
    let started = Instant::now();
    counted("statistics", started, s.daily_statistics(date).await)
}
