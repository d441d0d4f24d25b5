//! The metrics this crate records (through the `metrics` facade; grid-telemetry's
//! Prometheus recorder exposes them with everyone else's on `/metrics`). The names are owned
//! here.

/// HTTP requests served per route and status.
pub const HTTP_REQUESTS: &str = "grid_http_requests_total";
/// Seconds per HTTP request (histogram).
pub const HTTP_SECONDS: &str = "grid_http_request_seconds";
