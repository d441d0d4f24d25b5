//! The metrics this crate records (through the `metrics` facade: nothing happens until a
//! program installs a recorder, e.g. grid-service's Prometheus exporter). The names are
//! owned here.

use std::time::Duration;

use crate::ingest::IngestReport;
use crate::refresh::RefreshReport;

/// Readings per ingest outcome (`outcome`: inserted, duplicate, conflict, replaced,
/// rejected, out_of_range).
pub const INGEST_READINGS: &str = "grid_ingest_readings_total";
/// Refused readings per reason (`reason`).
pub const INGEST_REJECTIONS: &str = "grid_ingest_rejections_total";
/// Seconds per ingest batch (histogram).
pub const INGEST_BATCH_SECONDS: &str = "grid_ingest_batch_seconds";
/// Hours recomputed by refreshes.
pub const REFRESH_HOURS: &str = "grid_rollup_refreshed_hours_total";
/// Hours set aside by refreshes.
pub const REFRESH_SET_ASIDE: &str = "grid_rollup_set_aside_hours_total";
/// Seconds per refresh (histogram).
pub const REFRESH_SECONDS: &str = "grid_rollup_refresh_seconds";
/// Hours left in the invalidation log after a refresh (gauge; left to the owner or set aside).
pub const ROLLUP_BACKLOG_HOURS: &str = "grid_rollup_backlog_hours";

pub(crate) fn ingested(report: &IngestReport, took: Duration) {
    for (outcome, n) in [
        ("inserted", report.inserted),
        ("duplicate", report.duplicates),
        ("conflict", report.conflicts),
        ("replaced", report.replaced),
        ("rejected", report.rejected),
        ("out_of_range", report.out_of_range),
    ] {
        if n > 0 {
            metrics::counter!(INGEST_READINGS, "outcome" => outcome).increment(n);
        }
    }
    for (reason, n) in &report.rejected_by_reason {
        metrics::counter!(INGEST_REJECTIONS, "reason" => format!("{reason:?}")).increment(*n);
    }
    metrics::histogram!(INGEST_BATCH_SECONDS).record(took.as_secs_f64());
}

pub(crate) fn refreshed(report: &RefreshReport, took: Duration) {
    metrics::counter!(REFRESH_HOURS).increment(report.hours as u64);
    metrics::counter!(REFRESH_SET_ASIDE).increment(report.set_aside.len() as u64);
    metrics::histogram!(REFRESH_SECONDS).record(took.as_secs_f64());
    metrics::gauge!(ROLLUP_BACKLOG_HOURS)
        .set((report.left_to_owner + report.still_set_aside) as f64);
}
