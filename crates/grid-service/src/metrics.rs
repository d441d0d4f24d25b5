//! The Prometheus exposition of the metrics every crate records through the `metrics`
//! facade (grid-timescale's ingest and refresh, this crate's requests). One recorder per
//! process, installed on first use.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// HTTP requests served per route and status.
pub const HTTP_REQUESTS: &str = "grid_http_requests_total";
/// Seconds per HTTP request (histogram).
pub const HTTP_SECONDS: &str = "grid_http_request_seconds";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder (once per process) and returns its handle; `None` when
/// another recorder was installed first (the host's: its exposition is the host's too).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// The current metrics in Prometheus' text format (empty without a recorder of ours).
pub fn render() -> String {
    install().map(PrometheusHandle::render).unwrap_or_default()
}
