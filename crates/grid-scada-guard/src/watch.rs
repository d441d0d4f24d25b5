//! What one source does over time: unit-id sweeps, address sweeps and connection floods
//! become one `scan` event each (its count growing as the sweep goes on) instead of a row per
//! request; requests to unknown unit ids below the scan threshold become one `unknown_unit`
//! event per source and window. Pure: instants come in, events go out.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use grid_model::{AlertSeverity, SecurityEventKind};
use grid_scada::security::Emit;

use crate::frame::Table;
use crate::policy::ScanSettings;

/// Who detects: the `detected_by` of every event the guard records.
pub const DETECTED_BY: &str = "grid-scada-guard";

/// A guard event of `kind` from `source` against `device`.
pub fn emit(
    kind: SecurityEventKind,
    severity: AlertSeverity,
    (source, device): (IpAddr, &str),
    detail: &str,
    at: DateTime<Utc>,
) -> Emit {
    Emit::new(
        kind,
        severity,
        (Some(source), device),
        detail,
        at,
        DETECTED_BY,
    )
}

#[derive(Debug)]
struct Sweep<K: Ord> {
    /// Distinct keys and when each was last seen.
    seen: BTreeMap<K, DateTime<Utc>>,
    /// How many the declared scan has counted (`None`: not declared).
    declared: Option<usize>,
}

impl<K: Ord> Default for Sweep<K> {
    fn default() -> Self {
        Sweep {
            seen: BTreeMap::new(),
            declared: None,
        }
    }
}

impl<K: Ord + Copy> Sweep<K> {
    fn prune(&mut self, before: DateTime<Utc>) {
        self.seen.retain(|_, t| *t >= before);
        if self.seen.is_empty() {
            self.declared = None;
        }
    }

    /// Records `key`; returns how many new distinct keys a scan should count now (all of
    /// them when it is declared by this one, one for each new key after).
    fn add(&mut self, key: K, at: DateTime<Utc>, threshold: usize, may_declare: bool) -> usize {
        let new = self.seen.insert(key, at).is_none();
        match self.declared {
            Some(n) if new => {
                self.declared = Some(n + 1);
                1
            }
            Some(_) => 0,
            None if may_declare && self.seen.len() >= threshold => {
                self.declared = Some(self.seen.len());
                self.seen.len()
            }
            None => 0,
        }
    }
}

#[derive(Debug, Default)]
struct Source {
    units: Sweep<u8>,
    /// Requests to unit ids the device does not serve, not yet reported.
    probes: Vec<(DateTime<Utc>, String)>,
    addresses: Sweep<(Table, u16)>,
    connects: VecDeque<DateTime<Utc>>,
    connect_scan: Option<usize>,
}

/// The watch over every source.
#[derive(Debug)]
pub struct Watch {
    settings: ScanSettings,
    sources: HashMap<(IpAddr, String), Source>,
}

impl Watch {
    /// A watch with these thresholds.
    pub fn new(settings: ScanSettings) -> Watch {
        Watch {
            settings,
            sources: HashMap::new(),
        }
    }

    fn window(&self) -> Duration {
        Duration::milliseconds(self.settings.window_ms as i64)
    }

    fn source(&mut self, ip: IpAddr, device: &str, now: DateTime<Utc>) -> &mut Source {
        let before = now - self.window();
        let s = self.sources.entry((ip, device.to_owned())).or_default();
        s.units.prune(before);
        s.addresses.prune(before);
        while s.connects.front().is_some_and(|t| *t < before) {
            s.connects.pop_front();
        }
        if s.connects.is_empty() {
            s.connect_scan = None;
        }
        s
    }

    fn scan(
        &self,
        (ip, device): (IpAddr, &str),
        what: &str,
        n: usize,
        command: String,
        now: DateTime<Utc>,
    ) -> Emit {
        let mut e = emit(
            SecurityEventKind::Scan,
            AlertSeverity::Critical,
            (ip, device),
            what,
            now,
        );
        e.occurrences = n as i32;
        e.draft = e.draft.command(&command);
        e.draft.detection_method = Some(format!(
            "{what} sweep: at least {} within {} ms from one source",
            match what {
                "unit_ids" => self.settings.unit_ids,
                "addresses" => self.settings.addresses,
                _ => self.settings.connections,
            },
            self.settings.window_ms
        ));
        e.draft.description = Some(format!("scan of {what} from {ip} against {device}"));
        e.draft.is_blocked = what != "connections";
        e.draft.response_action = Some(if what == "connections" {
            "connections counted; unknown clients closed".into()
        } else {
            "refused with an exception, never forwarded".into()
        });
        e
    }

    /// A request for `unit`; `probe` (its command in words) when the device does not serve
    /// that unit id and the request was refused.
    pub fn unit(
        &mut self,
        (ip, device): (IpAddr, &str),
        unit: u8,
        probe: Option<String>,
        now: DateTime<Utc>,
    ) -> Vec<Emit> {
        let threshold = self.settings.unit_ids;
        let s = self.source(ip, device, now);
        let is_probe = probe.is_some();
        if let Some(cmd) = probe {
            s.probes.push((now, cmd));
        }
        let may_declare = !s.probes.is_empty() || s.units.declared.is_some();
        let n = s.units.add(unit, now, threshold, may_declare || is_probe);
        if n == 0 {
            return Vec::new();
        }
        // The sweep's requests are the scan, not rows of their own.
        s.probes.clear();
        let units: Vec<String> = s.units.seen.keys().map(u8::to_string).collect();
        let command = format!("unit ids probed: {}", units.join(", "));
        vec![self.scan((ip, device), "unit_ids", n, command, now)]
    }

    /// A request refused for its address.
    pub fn address(
        &mut self,
        (ip, device): (IpAddr, &str),
        table: Table,
        start: u16,
        now: DateTime<Utc>,
    ) -> Vec<Emit> {
        let threshold = self.settings.addresses;
        let s = self.source(ip, device, now);
        let n = s.addresses.add((table, start), now, threshold, true);
        if n == 0 {
            return Vec::new();
        }
        let command = format!(
            "{} refused addresses, from {}",
            s.addresses.seen.len(),
            s.addresses
                .seen
                .keys()
                .next()
                .map(|(t, a)| t.number(*a))
                .unwrap_or_default()
        );
        vec![self.scan((ip, device), "addresses", n, command, now)]
    }

    /// A connection.
    pub fn connect(&mut self, (ip, device): (IpAddr, &str), now: DateTime<Utc>) -> Vec<Emit> {
        let threshold = self.settings.connections;
        let s = self.source(ip, device, now);
        s.connects.push_back(now);
        let n = match s.connect_scan {
            Some(k) => {
                s.connect_scan = Some(k + 1);
                1
            }
            None if s.connects.len() >= threshold => {
                s.connect_scan = Some(s.connects.len());
                s.connects.len()
            }
            None => 0,
        };
        if n == 0 {
            return Vec::new();
        }
        let command = format!("{} connections", s.connects.len());
        vec![self.scan((ip, device), "connections", n, command, now)]
    }

    /// Reports probes of unknown unit ids that did not become a scan within the window (one
    /// event per source and device), and forgets quiet sources.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Emit> {
        let before = now - self.window();
        let mut out = Vec::new();
        let keys: Vec<(IpAddr, String)> = self.sources.keys().cloned().collect();
        for (ip, device) in keys {
            let s = self.source(ip, &device, now);
            if s.units.declared.is_none() && s.probes.first().is_some_and(|(t, _)| *t < before) {
                let probes = std::mem::take(&mut s.probes);
                let mut e = emit(
                    SecurityEventKind::UnknownUnit,
                    AlertSeverity::Warning,
                    (ip, &device),
                    "",
                    probes[0].0,
                );
                e.occurrences = probes.len() as i32;
                e.draft = e.draft.command(&probes[0].1);
                e.draft.is_blocked = true;
                e.draft.response_action = Some("refused with exception 0A".into());
                e.draft.detection_method = Some("a unit id the device does not serve".into());
                out.push(e);
            }
            let quiet = s.units.seen.is_empty()
                && s.addresses.seen.is_empty()
                && s.connects.is_empty()
                && s.probes.is_empty();
            if quiet {
                self.sources.remove(&(ip, device));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(ms: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 8, 0, 0).unwrap() + Duration::milliseconds(ms)
    }

    fn total(events: &[Emit], kind: SecurityEventKind) -> i32 {
        events
            .iter()
            .filter(|e| e.draft.event_type == kind.as_str())
            .map(|e| e.occurrences)
            .sum()
    }

    #[test]
    fn a_sweep_of_50_unit_ids_is_one_scan_counting_50() {
        let mut w = Watch::new(ScanSettings::default());
        let src = ("10.9.9.9".parse().unwrap(), "rtu-1");
        let mut events = Vec::new();
        for unit in 1..=50u8 {
            // Unit 1 is served (forwarded); the rest are probes.
            let probe = (unit != 1).then(|| format!("FC03 read, unit {unit}"));
            events.extend(w.unit(src, unit, probe, at(i64::from(unit) * 20)));
        }
        events.extend(w.tick(at(60_000)));
        assert_eq!(total(&events, SecurityEventKind::Scan), 50);
        assert_eq!(total(&events, SecurityEventKind::UnknownUnit), 0);
        let keys: std::collections::BTreeSet<&str> =
            events.iter().map(|e| e.fold_key.as_str()).collect();
        assert_eq!(keys.len(), 1, "one row: {keys:?}");
    }

    #[test]
    fn a_few_probes_and_a_served_gateway_are_not_scans() {
        let mut w = Watch::new(ScanSettings::default());
        let src = ("10.9.9.9".parse().unwrap(), "rtu-1");
        // A client polling its 10 served units: no probe, no scan.
        let mut events = Vec::new();
        for unit in 1..=10u8 {
            events.extend(w.unit(src, unit, None, at(i64::from(unit))));
        }
        assert!(events.is_empty());
        // Two probes of unit 99 from another source: one unknown_unit row counting 2, after
        // the window.
        let other = ("10.9.9.8".parse().unwrap(), "rtu-1");
        events.extend(w.unit(other, 99, Some("FC03 read, unit 99".into()), at(100)));
        events.extend(w.unit(other, 99, Some("FC03 read, unit 99".into()), at(200)));
        assert!(w.tick(at(5_000)).is_empty(), "not before the window ends");
        events.extend(w.tick(at(20_000)));
        assert_eq!(events.len(), 1);
        assert_eq!(total(&events, SecurityEventKind::UnknownUnit), 2);
    }

    #[test]
    fn address_sweeps_and_connection_floods_are_scans() {
        let mut w = Watch::new(ScanSettings::default());
        let src = ("10.9.9.9".parse().unwrap(), "rtu-1");
        let mut events = Vec::new();
        for a in 0..30u16 {
            events.extend(w.address(src, Table::Holding, 1000 + a, at(i64::from(a))));
        }
        for i in 0..25 {
            events.extend(w.connect(src, at(100 + i)));
        }
        let scans: Vec<&Emit> = events.iter().collect();
        let sum = |what: &str| -> i32 {
            scans
                .iter()
                .filter(|e| e.fold_key.ends_with(what))
                .map(|e| e.occurrences)
                .sum()
        };
        assert_eq!((sum("addresses"), sum("connections")), (30, 25));
    }
}
