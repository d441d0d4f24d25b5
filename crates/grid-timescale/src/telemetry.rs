//! The metrics this crate records (through the `metrics` facade: nothing happens until a
//! program installs a recorder, e.g. grid-service's Prometheus exporter). The names are
//! owned here.

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
