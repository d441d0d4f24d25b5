//! Metrics: one Prometheus recorder per process for what every crate records through the
//! `metrics` facade (grid-timescale's ingest and refresh, grid-service's requests), with the
//! same histogram buckets in every program, so a dashboard reads the poller's and the
//! service's latencies alike.

use std::sync::OnceLock;

use metrics_exporter_prometheus::PrometheusBuilder;
pub use metrics_exporter_prometheus::PrometheusHandle;

/// Histogram buckets, seconds: 1 ms to 10 s (an ingest batch, a poll-to-commit, an HTTP
/// request, a refresh).
pub const BUCKETS_S: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder (once per process; later calls return the same handle)
/// and returns its handle; `None` when another recorder was installed first (the host's:
/// its exposition is the host's too).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&BUCKETS_S)
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
