//! The guard's policy: a TOML file of devices, each with the clients that may reach it and
//! what each may do. Deny by default: a client not listed is refused at connect, a function
//! not listed is refused, a read outside the listed ranges is refused, a write is allowed only
//! to listed registers (optionally with a value range and a maintenance window). Diagnostics
//! (function 8) and function 21 can never be allowed: their sub-functions restart or silence
//! a device. Errors name the line or the field (grid-scada's `ConfigError`).
//!
//! ```toml
//! [guard]
//! idle_timeout_ms = 60000     # a client silent this long is disconnected
//! frame_timeout_ms = 2000     # a started frame must complete within this
//! request_timeout_ms = 2000   # the device must answer within this
//! fold_window_s = 600         # repeats of one event within this are one row
//! new_rows_per_source_per_minute = 20  # past it, one source's new kinds of event share a row
//! max_connections = 512       # client connections at once, all devices together
//! max_connections_per_client = 16  # from one address at once
//! pressure_idle_timeout_ms = 5000  # the idle timeout once 3/4 of the connections are taken
//! time_zone = "Africa/Nairobi"  # required when a write rule has a window
//!
//! [scan]                      # one source, within window_ms: a scan is
//! window_ms = 10000
//! unit_ids = 5                # this many distinct unit ids,
//! addresses = 20              # or this many refused addresses,
//! connections = 20            # or this many connections
//!
//! [[device]]
//! name = "rtu-nrb-emb"
//! listen = "0.0.0.0:1502"     # where clients connect
//! upstream = "10.20.0.15:502" # the device
//! unit_ids = [1]
//! max_upstream = 4            # connections to the device at most
//!
//! [[device.client]]
//! name = "scada-poller"
//! addresses = ["10.1.0.5", "10.1.2.0/24"]
//! functions = [3, 4]
//! read = [{ table = "holding", from = 0, to = 99 }, { table = "input", from = 0, to = 9 }]
//!
//! [[device.client]]
//! name = "eng-ws-1"
//! addresses = ["10.1.5.20"]
//! functions = [3, 6, 16]
//! read = [{ table = "holding", from = 0, to = 199 }]
//! write = [{ table = "holding", from = 100, to = 109, min = 0, max = 5000, window = "22:00-04:00" }]
//! ```

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};

use chrono::{DateTime, NaiveTime, Utc};
use grid_scada::config::ConfigError;
use ipnetwork::IpNetwork;
use serde::Deserialize;

use crate::frame::Table;

/// Functions a policy may allow: reads 1–4, writes 5, 6, 15, 16, 22, 23 and device
/// identification 43 (MEI 14).
pub const ALLOWABLE_FUNCTIONS: [u8; 11] = [1, 2, 3, 4, 5, 6, 15, 16, 22, 23, 43];

fn d_unit_ids() -> Vec<u8> {
    vec![1]
}
fn d_max_upstream() -> usize {
    4
}

mod settings;
pub use settings::{GuardSettings, ScanSettings};

/// A range of addresses of one table, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// The table.
    pub table: Table,
    /// First address (0-based protocol address).
    pub from: u16,
    /// Last address.
    pub to: u16,
}

impl Range {
    /// Whether `[start, start + count)` of `table` lies inside.
    pub fn covers(&self, table: Table, start: u16, count: u16) -> bool {
        let end = u32::from(start) + u32::from(count.max(1)) - 1;
        self.table == table && start >= self.from && end <= u32::from(self.to)
    }
}

/// Registers a client may write.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteRule {
    /// `holding` or `coil`.
    pub table: Table,
    /// First address.
    pub from: u16,
    /// Last address.
    pub to: u16,
    /// Lowest value allowed.
    #[serde(default)]
    pub min: Option<u16>,
    /// Highest value allowed.
    #[serde(default)]
    pub max: Option<u16>,
    /// A daily maintenance window, `HH:MM-HH:MM` in the guard's time zone (may cross
    /// midnight).
    #[serde(default)]
    pub window: Option<String>,
}

impl WriteRule {
    /// Whether the rule covers `address` of `table`.
    pub fn covers(&self, table: Table, address: u16) -> bool {
        self.table == table && (self.from..=self.to).contains(&address)
    }

    /// Whether `value` is in the rule's range.
    pub fn admits(&self, value: u16) -> bool {
        self.min.is_none_or(|m| value >= m) && self.max.is_none_or(|m| value <= m)
    }

    /// Whether `now` is inside the maintenance window (always, without one).
    pub fn open_at(&self, now: DateTime<Utc>, zone: Option<chrono_tz::Tz>) -> bool {
        let (Some(w), Some(zone)) = (&self.window, zone) else {
            return self.window.is_none();
        };
        let Some((from, to)) = parse_window(w) else {
            return false;
        };
        let t = now.with_timezone(&zone).time();
        if from <= to {
            t >= from && t < to
        } else {
            t >= from || t < to
        }
    }
}

fn parse_window(w: &str) -> Option<(NaiveTime, NaiveTime)> {
    let (a, b) = w.split_once('-')?;
    let t = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").ok();
    Some((t(a)?, t(b)?))
}

/// One client (or network of clients) of a device.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientPolicy {
    /// A name for events.
    pub name: String,
    /// Addresses or networks (`10.1.2.0/24`).
    pub addresses: Vec<String>,
    /// Function codes allowed.
    #[serde(default)]
    pub functions: Vec<u8>,
    /// What it may read.
    #[serde(default)]
    pub read: Vec<Range>,
    /// What it may write.
    #[serde(default)]
    pub write: Vec<WriteRule>,
    #[serde(skip)]
    networks: Vec<IpNetwork>,
}

impl ClientPolicy {
    /// Whether `ip` is this client.
    pub fn matches(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(ip))
    }
}

/// One protected device.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevicePolicy {
    /// A name for logs and events.
    pub name: String,
    /// Where clients connect to reach it through the guard.
    pub listen: String,
    /// The device.
    pub upstream: String,
    /// Unit ids it serves (never 0, the broadcast id).
    #[serde(default = "d_unit_ids")]
    pub unit_ids: Vec<u8>,
    /// Connections to the device at most.
    #[serde(default = "d_max_upstream")]
    pub max_upstream: usize,
    /// Its clients.
    #[serde(default, rename = "client")]
    pub clients: Vec<ClientPolicy>,
}

impl DevicePolicy {
    /// The client `ip` is, if listed.
    pub fn client(&self, ip: IpAddr) -> Option<&ClientPolicy> {
        self.clients.iter().find(|c| c.matches(ip))
    }

    /// The listening address.
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen.parse().unwrap_or_else(|_| unreachable_addr())
    }

    /// The device's address.
    pub fn upstream_addr(&self) -> SocketAddr {
        self.upstream.parse().unwrap_or_else(|_| unreachable_addr())
    }
}

/// Only after a failed validation (which `from_toml` never returns).
fn unreachable_addr() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 0))
}

/// The whole policy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardPolicy {
    /// Timeouts and folding.
    #[serde(default)]
    pub guard: GuardSettings,
    /// Scan thresholds.
    #[serde(default)]
    pub scan: ScanSettings,
    /// The devices.
    #[serde(rename = "device")]
    pub devices: Vec<DevicePolicy>,
}

impl GuardPolicy {
    /// Parses and validates a policy.
    ///
    /// ```
    /// use grid_scada_guard::policy::GuardPolicy;
    ///
    /// let text = r#"
    /// [[device]]
    /// name = "rtu-nrb-emb"
    /// listen = "127.0.0.1:1502"
    /// upstream = "10.20.0.15:502"
    /// [[device.client]]
    /// name = "scada-poller"
    /// addresses = ["10.1.0.5"]
    /// functions = [3]
    /// read = [{ table = "holding", from = 0, to = 99 }]
    /// "#;
    /// let policy = GuardPolicy::from_toml(text).unwrap();
    /// assert_eq!(policy.devices[0].clients[0].name, "scada-poller");
    /// // An address that is not one is refused, naming it.
    /// let bad = text.replace("10.1.0.5", "10.1.0.500");
    /// assert!(GuardPolicy::from_toml(&bad).unwrap_err().to_string().contains("10.1.0.500"));
    /// ```
    pub fn from_toml(text: &str) -> Result<GuardPolicy, ConfigError> {
        let mut p: GuardPolicy = toml::from_str(text).map_err(|e| ConfigError::syntax(text, &e))?;
        p.validate()?;
        Ok(p)
    }

    /// The time zone of maintenance windows.
    pub fn zone(&self) -> Option<chrono_tz::Tz> {
        self.guard.time_zone.as_deref().and_then(|z| z.parse().ok())
    }

    fn validate(&mut self) -> Result<(), ConfigError> {
        fn bad(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
            ConfigError::invalid(field, reason)
        }
        if self.devices.is_empty() {
            return Err(bad("device", "a policy needs at least one device"));
        }
        if let Some(z) = &self.guard.time_zone
            && z.parse::<chrono_tz::Tz>().is_err()
        {
            return Err(bad(
                "guard.time_zone",
                format!("{z:?} is not an IANA time zone"),
            ));
        }
        for (name, v) in [
            ("guard.idle_timeout_ms", self.guard.idle_timeout_ms),
            ("guard.frame_timeout_ms", self.guard.frame_timeout_ms),
            ("guard.request_timeout_ms", self.guard.request_timeout_ms),
            (
                "guard.pressure_idle_timeout_ms",
                self.guard.pressure_idle_timeout_ms,
            ),
            ("scan.window_ms", self.scan.window_ms),
            (
                "guard.new_rows_per_source_per_minute",
                self.guard.new_rows_per_source_per_minute as u64,
            ),
            ("guard.max_connections", self.guard.max_connections as u64),
            (
                "guard.max_connections_per_client",
                self.guard.max_connections_per_client as u64,
            ),
        ] {
            if v == 0 {
                return Err(bad(name, "must be above 0"));
            }
        }
        let has_zone = self.guard.time_zone.is_some();
        let mut names = HashSet::new();
        let mut listens = HashSet::new();
        for (d, dev) in self.devices.iter_mut().enumerate() {
            let at = |f: &str| format!("device[{d}].{f}");
            if dev.name.trim().is_empty() || !names.insert(dev.name.clone()) {
                return Err(bad(at("name"), "must be a name no other device has"));
            }
            let listen: SocketAddr = dev
                .listen
                .parse()
                .map_err(|_| bad(at("listen"), "must be host:port (an IP address)"))?;
            if listen.port() != 0 && !listens.insert(listen) {
                return Err(bad(at("listen"), "another device listens there"));
            }
            dev.upstream
                .parse::<SocketAddr>()
                .map_err(|_| bad(at("upstream"), "must be host:port (an IP address)"))?;
            if dev.unit_ids.is_empty() || dev.unit_ids.contains(&0) {
                return Err(bad(
                    at("unit_ids"),
                    "must list the device's unit ids (0 is broadcast and never served)",
                ));
            }
            if dev.max_upstream == 0 {
                return Err(bad(at("max_upstream"), "must be at least 1"));
            }
            for (c, client) in dev.clients.iter_mut().enumerate() {
                let at = |f: &str| format!("device[{d}].client[{c}].{f}");
                client.networks = client
                    .addresses
                    .iter()
                    .map(|a| a.parse::<IpNetwork>())
                    .collect::<Result<_, _>>()
                    .map_err(|e| bad(at("addresses"), format!("{e}")))?;
                if client.networks.is_empty() {
                    return Err(bad(at("addresses"), "must list at least one address"));
                }
                for f in &client.functions {
                    if matches!(f, 8 | 21) {
                        return Err(bad(
                            at("functions"),
                            format!(
                                "function {f} can never be allowed (its sub-functions restart or silence a device)"
                            ),
                        ));
                    }
                    if !ALLOWABLE_FUNCTIONS.contains(f) {
                        return Err(bad(
                            at("functions"),
                            format!(
                                "function {f} is not one the guard can check (allowed: {ALLOWABLE_FUNCTIONS:?})"
                            ),
                        ));
                    }
                }
                let writes = client
                    .functions
                    .iter()
                    .any(|f| matches!(f, 5 | 6 | 15 | 16 | 22 | 23));
                if writes && client.write.is_empty() {
                    return Err(bad(
                        at("write"),
                        "write functions are allowed but no register may be written",
                    ));
                }
                for (r, range) in client.read.iter().enumerate() {
                    if range.from > range.to {
                        return Err(bad(at(&format!("read[{r}]")), "from must not exceed to"));
                    }
                }
                for (w, rule) in client.write.iter().enumerate() {
                    let at = |f: &str| format!("device[{d}].client[{c}].write[{w}].{f}");
                    if !matches!(rule.table, Table::Holding | Table::Coil) {
                        return Err(bad(
                            at("table"),
                            "only holding registers and coils are written",
                        ));
                    }
                    if rule.from > rule.to {
                        return Err(bad(at("to"), "from must not exceed to"));
                    }
                    if let (Some(lo), Some(hi)) = (rule.min, rule.max)
                        && lo > hi
                    {
                        return Err(bad(at("max"), "min must not exceed max"));
                    }
                    if let Some(w) = &rule.window {
                        if parse_window(w).is_none() {
                            return Err(bad(at("window"), "must be HH:MM-HH:MM"));
                        }
                        if !has_zone {
                            return Err(bad(
                                at("window"),
                                "a window needs guard.time_zone (the zone it is written in)",
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
