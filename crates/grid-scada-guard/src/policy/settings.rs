//! The guard's own settings (`[guard]`) and when one source's activity is a scan
//! (`[scan]`), with their defaults.

use serde::Deserialize;

fn d_idle() -> u64 {
    60_000
}
fn d_frame() -> u64 {
    2_000
}
fn d_request() -> u64 {
    2_000
}
fn d_fold() -> u64 {
    600
}
fn d_new_rows() -> usize {
    20
}
fn d_max_connections() -> usize {
    512
}
fn d_per_client() -> usize {
    16
}
fn d_pressure_idle() -> u64 {
    5_000
}
fn d_window() -> u64 {
    10_000
}
fn d_units() -> usize {
    5
}
fn d_addresses() -> usize {
    20
}
fn d_connections() -> usize {
    20
}

/// Timeouts and folding.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardSettings {
    /// A client silent this long is disconnected, ms.
    #[serde(default = "d_idle")]
    pub idle_timeout_ms: u64,
    /// A started frame must complete within this, ms (a slow client is cut off).
    #[serde(default = "d_frame")]
    pub frame_timeout_ms: u64,
    /// The device must answer within this, ms.
    #[serde(default = "d_request")]
    pub request_timeout_ms: u64,
    /// Repeats of one event within this are folded into one row, s.
    #[serde(default = "d_fold")]
    pub fold_window_s: u64,
    /// Distinct events one source may open rows for in a minute; its further ones fold into
    /// one overflow row.
    #[serde(default = "d_new_rows")]
    pub new_rows_per_source_per_minute: usize,
    /// Client connections at once, all devices together; past it a connection is refused
    /// (closed at once, counted, a security event).
    #[serde(default = "d_max_connections")]
    pub max_connections: usize,
    /// Client connections from one address at once.
    #[serde(default = "d_per_client")]
    pub max_connections_per_client: usize,
    /// A client silent this long is disconnected while three quarters of the connections are
    /// taken (never longer than `idle_timeout_ms`), ms.
    #[serde(default = "d_pressure_idle")]
    pub pressure_idle_timeout_ms: u64,
    /// The IANA zone maintenance windows are written in.
    #[serde(default)]
    pub time_zone: Option<String>,
}

impl Default for GuardSettings {
    fn default() -> Self {
        GuardSettings {
            idle_timeout_ms: d_idle(),
            frame_timeout_ms: d_frame(),
            request_timeout_ms: d_request(),
            fold_window_s: d_fold(),
            new_rows_per_source_per_minute: d_new_rows(),
            max_connections: d_max_connections(),
            max_connections_per_client: d_per_client(),
            pressure_idle_timeout_ms: d_pressure_idle(),
            time_zone: None,
        }
    }
}

/// When one source's activity is a scan.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSettings {
    /// The window, ms.
    #[serde(default = "d_window")]
    pub window_ms: u64,
    /// Distinct unit ids within the window.
    #[serde(default = "d_units")]
    pub unit_ids: usize,
    /// Distinct refused addresses within the window.
    #[serde(default = "d_addresses")]
    pub addresses: usize,
    /// Connections within the window.
    #[serde(default = "d_connections")]
    pub connections: usize,
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            window_ms: d_window(),
            unit_ids: d_units(),
            addresses: d_addresses(),
            connections: d_connections(),
        }
    }
}
