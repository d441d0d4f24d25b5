//! The JSON API and the operational endpoints, on axum, over the async facade:
//!
//! | route | answer |
//! |---|---|
//! | `GET /health` | [`crate::Health`] (503 when the database does not answer) |
//! | `GET /metrics` | Prometheus text |
//! | `GET /latest?zone=nairobi` | the latest reading of each sensor (of a zone) |
//! | `GET /series?sensor=TAG-OR-UUID&from=…&to=…&width_s=3600` | a series |
//! | `GET /alerts?offset=0&limit=100` | a page of the active alerts |
//! | `GET /sensors?offset=0&limit=100` | a page of the sensors |
//! | `POST /alerts/{id}/acknowledge` `{"notes": "…"}` with `Authorization: Bearer <token>` | the alert after the step, acknowledged by the token's user |
//! | `POST /alarms/{sensor}/shelve` `{"until": "…", "reason": "…"}`, `…/unshelve` `{}`, `…/out-of-service` `{"reason": "…"}`, `…/in-service` `{}`, with `Authorization: Bearer <token>` | `{"sensor_id", "action", "by"}`: the point's limit alarm shelved (silent until then, announced after if still raised), taken out of service or back, by the token's user (an operator or engineer of the sensor's zone), recorded append-only |
//! | `GET /statistics/{date}` | the stored daily statistics of a local date |
//!
//! Every answer is bounded before work starts (`http.*` in grid-config: buckets, rows,
//! bytes, body size, time, queries at once); a request past a bound is refused with 400
//! naming the key. Every parameter is range-checked (times and dates within the years
//! readings may have, 1900–2199; widths 60 s to 1 day; pages of 1 to 1,000), an unknown
//! parameter is refused, and every refusal is the JSON error of [`ApiError`]: 4xx for bad
//! input, 503 with `Retry-After` only when the server is busy or the database cannot be
//! reached, never 500 for any input. Who acknowledges is the bearer token's user
//! (`sentinel users token`), never a field of the body; so is who shelves a point. Headers are bounded by hyper's
//! defaults (100 headers, about 400 KiB of head).

mod error;
mod extract;
mod points;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use grid_config::HttpConfig;
use grid_model::GridZone;
use grid_timescale::ingest::PLAUSIBLE_YEARS;
use grid_timescale::query::{Scope, SeriesTarget, bucket_count};
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

pub use error::ApiError;
use extract::{Body, Caller, Params, PathParam};

use crate::facade::{PageRequest, Sentinel};

/// The API's state: the facade, its bounds, and the turns of database work.
#[derive(Clone)]
pub struct Api {
    sentinel: Sentinel,
    limits: Arc<HttpConfig>,
    turns: Arc<Semaphore>,
}

impl Api {
    /// A turn of database work: at most `http.max_concurrent_queries` at once, a request
    /// waiting longer than `http.queue_timeout_ms` is answered 503.
    async fn turn(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        let wait = Duration::from_millis(self.limits.queue_timeout_ms);
        match tokio::time::timeout(wait, self.turns.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError {
                limit: Some("http.max_concurrent_queries"),
                ..ApiError::unavailable("busy: every query turn is taken; retry shortly")
            }),
        }
    }

    /// `value` as JSON, within `http.max_response_bytes`.
    fn json<T: Serialize>(&self, value: &T) -> Result<Response, ApiError> {
        let body = serde_json::to_vec(value)
            .map_err(|e| ApiError::with_status(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        if body.len() as u64 > self.limits.max_response_bytes {
            return Err(ApiError::over(
                "http.max_response_bytes",
                format!(
                    "the answer holds {} bytes, over the {} allowed: ask for less",
                    body.len(),
                    self.limits.max_response_bytes
                ),
            ));
        }
        Ok((
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response())
    }
}

/// The routes over `sentinel`, bounded by its configuration's `http` settings.
pub fn router(sentinel: Sentinel) -> Router {
    grid_telemetry::prometheus::install();
    let limits = Arc::new(sentinel.config().http.clone());
    let api = Api {
        turns: Arc::new(Semaphore::new(limits.max_concurrent_queries as usize)),
        limits: limits.clone(),
        sentinel,
    };
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/latest", get(latest))
        .route("/series", get(series))
        .route("/alerts", get(alerts))
        .route("/sensors", get(sensors))
        .route("/alerts/{id}/acknowledge", post(acknowledge))
        .route("/alarms/{sensor}/shelve", post(points::shelve))
        .route("/alarms/{sensor}/unshelve", post(points::unshelve))
        .route(
            "/alarms/{sensor}/out-of-service",
            post(points::out_of_service),
        )
        .route("/alarms/{sensor}/in-service", post(points::in_service))
        .route("/statistics/{date}", get(statistics))
        .fallback(|| async { ApiError::with_status(StatusCode::NOT_FOUND, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::with_status(StatusCode::METHOD_NOT_ALLOWED, "method not allowed here")
        })
        .layer(DefaultBodyLimit::max(
            usize::try_from(limits.max_body_bytes).unwrap_or(usize::MAX),
        ))
        .layer(middleware::from_fn_with_state(api.clone(), deadline))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .with_state(api)
}

/// Bounds a request's time (`http.request_timeout_s`, then 503) and counts it.
async fn deadline(State(api): State<Api>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let limit = Duration::from_secs(api.limits.request_timeout_s);
    let response = match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError {
            limit: Some("http.request_timeout_s"),
            ..ApiError::unavailable(format!("no answer within {} s", limit.as_secs()))
        }
        .into_response(),
    };
    let status = response.status().as_u16().to_string();
    metrics::counter!(crate::metrics::HTTP_REQUESTS, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(crate::metrics::HTTP_SECONDS, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// A handler that panicked: a fault of ours, logged, answered (the connection is kept).
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("?");
    tracing::error!(panic = what, "a request's handler panicked");
    ApiError::with_status(StatusCode::INTERNAL_SERVER_ERROR, "internal error (logged)")
        .into_response()
}

async fn health(State(api): State<Api>) -> Response {
    match api.sentinel.health().await {
        Ok(h) => Json(h).into_response(),
        Err(e) => {
            let body = serde_json::json!({"status": "unavailable", "error": e.to_string()});
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

async fn metrics() -> String {
    grid_telemetry::prometheus::render()
}

/// A time or date a reading may have (1900–2199): beyond, the database's own range ends
/// before chrono's, and no answer there means anything.
fn plausible(name: &str, year: i32) -> Result<(), ApiError> {
    if PLAUSIBLE_YEARS.contains(&year) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "{name}: year {year} is outside {}..{}",
            PLAUSIBLE_YEARS.start, PLAUSIBLE_YEARS.end
        )))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LatestQuery {
    zone: Option<GridZone>,
}

async fn latest(
    State(api): State<Api>,
    Params(q): Params<LatestQuery>,
) -> Result<Response, ApiError> {
    let _turn = api.turn().await?;
    let rows = api.sentinel.sensor_count(q.zone).await?;
    if rows > i64::from(api.limits.max_rows) {
        return Err(ApiError::over(
            "http.max_rows",
            format!(
                "{rows} sensors, over the {} rows allowed: ask for one zone",
                api.limits.max_rows
            ),
        ));
    }
    let scope = q.zone.map_or(Scope::Grid, Scope::Zone);
    api.json(&api.sentinel.latest(scope).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeriesQuery {
    sensor: String,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    width_s: i64,
}

async fn series(
    State(api): State<Api>,
    Params(q): Params<SeriesQuery>,
) -> Result<Response, ApiError> {
    plausible("from", q.from.year())?;
    plausible("to", q.to.year())?;
    if !(60..=86_400).contains(&q.width_s) {
        return Err(ApiError::bad_request(format!(
            "width_s must be 60 to 86400 seconds (got {})",
            q.width_s
        )));
    }
    if q.to <= q.from {
        return Err(ApiError::bad_request("to must be after from"));
    }
    let width = chrono::Duration::seconds(q.width_s);
    let buckets = bucket_count(q.from, q.to, width);
    if buckets > i64::from(api.limits.max_buckets) {
        return Err(ApiError::over(
            "http.max_buckets",
            format!(
                "{buckets} buckets, over the {} allowed: a wider width_s or a shorter range",
                api.limits.max_buckets
            ),
        ));
    }
    if q.sensor.is_empty()
        || q.sensor.chars().count() > 100
        || q.sensor.chars().any(char::is_control)
    {
        return Err(ApiError::bad_request(
            "sensor: a tag or an id, 1 to 100 characters without control characters",
        ));
    }
    let _turn = api.turn().await?;
    let id = api.sentinel.sensor_id(q.sensor).await?;
    let s = api
        .sentinel
        .series(SeriesTarget::sensor(id), q.from, q.to, width)
        .await?;
    api.json(&s)
}

/// A page's bounds: 1 to 1,000 items.
fn page(p: PageRequest) -> Result<PageRequest, ApiError> {
    if (1..=1000).contains(&p.limit) {
        Ok(p)
    } else {
        Err(ApiError::bad_request(format!(
            "limit must be 1 to 1000 (got {})",
            p.limit
        )))
    }
}

async fn alerts(
    State(api): State<Api>,
    Params(p): Params<PageRequest>,
) -> Result<Response, ApiError> {
    let p = page(p)?;
    let _turn = api.turn().await?;
    api.json(&api.sentinel.open_alerts(p).await?)
}

async fn sensors(
    State(api): State<Api>,
    Params(p): Params<PageRequest>,
) -> Result<Response, ApiError> {
    let p = page(p)?;
    let _turn = api.turn().await?;
    api.json(&api.sentinel.sensors(p).await?)
}

/// An acknowledgement's body: a note at most. Who acknowledges is the caller.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Acknowledge {
    notes: Option<String>,
}

async fn acknowledge(
    State(api): State<Api>,
    Caller(user): Caller,
    PathParam(id): PathParam<Uuid>,
    Body(body): Body<Acknowledge>,
) -> Result<Response, ApiError> {
    let _turn = api.turn().await?;
    api.json(&api.sentinel.acknowledge_as(user, id, body.notes).await?)
}

async fn statistics(
    State(api): State<Api>,
    PathParam(date): PathParam<NaiveDate>,
) -> Result<Response, ApiError> {
    plausible("date", date.year())?;
    let _turn = api.turn().await?;
    api.json(&api.sentinel.daily_statistics(date).await?)
}
