//! Detection over stored readings: a range a local-independent day at a time, each
//! substation's day in one transaction (its sensors' episodes, the marked readings, the
//! imbalance groups, the detector states and the alerts commit together or not at all).
//! Resumable and repeatable: each sensor starts after the last reading its stored state took,
//! so a run that stopped goes on where it stopped, and a run over a range already done
//! changes nothing.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use grid_anomaly::EpisodeEvent;
use grid_model::EpisodeMetadata;
use grid_store::anomaly_states;
use grid_timescale::marks;
use uuid::Uuid;

use crate::alerts::{self, AlertCounts};
use crate::config::AlertPolicy;
use crate::episodes::Written;
use crate::error::DetectResult;
use crate::fleet::{self, FleetSubstation};
use crate::subject::{GroupSlot, SensorSlot, count, write_events, write_group_events};

/// What a run did.
#[derive(Debug, Default)]
pub struct DetectReport {
    /// Substation-days processed (committed).
    pub units: usize,
    /// Readings scored.
    pub readings: u64,
    /// Readings the engine refused (not finite, out of order), skipped.
    pub refused: u64,
    /// Readings marked anomalous.
    pub marked: u64,
    /// Episodes opened.
    pub opened: usize,
    /// Episodes closed.
    pub closed: usize,
    /// Imbalance groups compared.
    pub groups_compared: u64,
    /// The alert step's counts.
    pub alerts: AlertCounts,
    /// Substation-days that failed (code, day, error), each rolled back whole; the others
    /// went on.
    pub failed: Vec<(String, DateTime<Utc>, crate::DetectError)>,
}

/// Detects over the readings in `[from, until)` (each sensor from after the last reading its
/// state took, if later), a day at a time.
pub fn detect_range(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    policy: &AlertPolicy,
) -> DetectResult<DetectReport> {
    let fleet = fleet::load(conn)?;
    let mut report = DetectReport::default();
    let mut day_start = from;
    while day_start < until {
        let day_end = (day_start + Duration::days(1)).min(until);
        for sub in &fleet {
            let mut part = DetectReport::default();
            let result =
                conn.transaction(|c| detect_unit(c, sub, day_start, day_end, policy, &mut part));
            match result {
                Ok(()) => {
                    report.units += 1;
                    report.readings += part.readings;
                    report.refused += part.refused;
                    report.marked += part.marked;
                    report.opened += part.opened;
                    report.closed += part.closed;
                    report.groups_compared += part.groups_compared;
                    report.alerts.raised += part.alerts.raised;
                    report.alerts.storms += part.alerts.storms;
                    report.alerts.joined_storm += part.alerts.joined_storm;
                    report.alerts.resolved += part.alerts.resolved;
                }
                Err(e) => {
                    tracing::warn!(substation = %sub.code, day = %day_start, error = %e, "anomaly detection rolled back");
                    report.failed.push((sub.code.clone(), day_start, e));
                }
            }
        }
        day_start = day_end;
    }
    Ok(report)
}

fn detect_unit(
    conn: &mut PgConnection,
    sub: &FleetSubstation,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    policy: &AlertPolicy,
    report: &mut DetectReport,
) -> DetectResult<()> {
    let ids: Vec<Uuid> = sub.sensors.iter().map(|s| s.id).collect();
    let stored: HashMap<Uuid, _> = anomaly_states::sensor_states(conn, &ids)?
        .into_iter()
        .map(|r| (r.sensor_id, r))
        .collect();
    let mut slots: Vec<SensorSlot> = sub
        .sensors
        .iter()
        .map(|s| match stored.get(&s.id) {
            Some(row) => SensorSlot::from_row(row, s.kind),
            None => Ok(SensorSlot::fresh(s.kind)),
        })
        .collect::<DetectResult<_>>()?;
    // From the earliest reading any sensor still needs (each skips what its state took).
    let next = |last: Option<DateTime<Utc>>| {
        last.map_or(from, |l| (l + Duration::microseconds(1)).max(from))
    };
    let first = slots.iter().map(|s| next(s.last())).min().unwrap_or(from);
    if first >= until {
        return Ok(());
    }
    let readings = marks::readings_between(conn, &ids, first, until)?;
    let mut by_sensor: HashMap<Uuid, Vec<(DateTime<Utc>, f64)>> = HashMap::new();
    for (id, t, v) in &readings {
        by_sensor.entry(*id).or_default().push((*t, *v));
    }
    let mut written: Vec<Written> = Vec::new();
    for (sensor, slot) in sub.sensors.iter().zip(slots.iter_mut()) {
        let Some(series) = by_sensor.get(&sensor.id) else {
            continue;
        };
        let last = slot.last();
        let mut events: Vec<EpisodeEvent> = Vec::new();
        let mut marked: Vec<(DateTime<Utc>, f64)> = Vec::new();
        for &(t, v) in series.iter().filter(|(t, _)| last.is_none_or(|l| *t > l)) {
            match slot.detector.observe(t.timestamp_millis(), v) {
                Ok(s) => {
                    report.readings += 1;
                    if s.anomalous {
                        marked.push((t, s.score));
                    }
                    events.extend(s.events);
                }
                Err(_) => report.refused += 1,
            }
        }
        let (opened, closed) = count(&events);
        report.opened += opened;
        report.closed += closed;
        let still_open = slot.detector.open_episode();
        written.extend(write_events(
            conn,
            sensor.id,
            &mut slot.open_id,
            &events,
            still_open,
            &EpisodeMetadata::default(),
        )?);
        report.marked += marks::mark_anomalous(conn, sensor.id, &marked)? as u64;
    }
    let rows: Vec<_> = sub
        .sensors
        .iter()
        .zip(&slots)
        .filter_map(|(s, slot)| slot.to_row(s.id))
        .collect();
    anomaly_states::save_sensor_states(conn, &rows)?;

    written.extend(detect_groups(conn, sub, &by_sensor, report)?);
    report.alerts = alerts::apply(conn, sub, &mut written, policy)?;
    Ok(())
}

/// The substation's imbalance groups over the unit's readings: at each time every member
/// reported, Σ incomers against Σ feeders.
fn detect_groups(
    conn: &mut PgConnection,
    sub: &FleetSubstation,
    by_sensor: &HashMap<Uuid, Vec<(DateTime<Utc>, f64)>>,
    report: &mut DetectReport,
) -> DetectResult<Vec<Written>> {
    if sub.groups.is_empty() {
        return Ok(Vec::new());
    }
    let stored: HashMap<String, _> = anomaly_states::imbalance_states(conn, sub.id)?
        .into_iter()
        .map(|r| (r.phase_set.clone(), r))
        .collect();
    let mut written = Vec::new();
    let mut rows = Vec::new();
    for g in &sub.groups {
        let mut slot = match stored.get(&g.phase_set) {
            Some(row) => GroupSlot::from_row(row)?,
            None => GroupSlot::default(),
        };
        let members = g.incomers.len() + g.feeders.len();
        let mut sums: BTreeMap<DateTime<Utc>, (f64, f64, usize)> = BTreeMap::new();
        for (id, is_incomer) in g
            .incomers
            .iter()
            .map(|i| (i, true))
            .chain(g.feeders.iter().map(|f| (f, false)))
        {
            for &(t, v) in by_sensor.get(id).map_or(&[][..], Vec::as_slice) {
                let e = sums.entry(t).or_default();
                if is_incomer {
                    e.0 += v
                } else {
                    e.1 += v
                }
                e.2 += 1;
            }
        }
        let mut events = Vec::new();
        for (t, (incomers, feeders, n)) in sums {
            if n < members || slot.last.is_some_and(|l| t <= l) {
                continue;
            }
            slot.last = Some(t);
            match slot
                .detector
                .observe(t.timestamp_millis(), incomers, feeders)
            {
                Ok(Some(s)) => {
                    report.groups_compared += 1;
                    events.extend(s.event);
                }
                Ok(None) => {}
                Err(_) => report.refused += 1,
            }
        }
        let (opened, closed) = count(&events);
        report.opened += opened;
        report.closed += closed;
        written.extend(write_group_events(conn, sub, g, &mut slot, &events)?);
        rows.extend(slot.to_row(sub.id, &g.phase_set));
    }
    anomaly_states::save_imbalance_states(conn, &rows)?;
    Ok(written)
}

/// One sensor's readings known to be normal.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingSeries {
    /// The sensor.
    pub sensor_id: Uuid,
    /// What it measures (its detector's configuration follows from it).
    pub kind: grid_model::SensorType,
    /// Its readings, in time order.
    pub readings: Vec<(DateTime<Utc>, f64)>,
}

/// Learns from readings known to be normal (e.g. a commissioning period an engineer has
/// reviewed) without storing episodes: each sensor's detector takes them in order and its
/// state is stored, so detection over what follows starts with its learning done.
pub fn train(conn: &mut PgConnection, sensors: &[TrainingSeries]) -> DetectResult<usize> {
    let mut rows = Vec::new();
    for TrainingSeries {
        sensor_id: id,
        kind,
        readings: series,
    } in sensors
    {
        let mut slot = SensorSlot::fresh(*kind);
        for &(t, v) in series {
            let _ = slot.detector.observe(t.timestamp_millis(), v);
        }
        // What was learned stays; an episode the training data opened does not.
        slot.detector.close_episode();
        rows.extend(slot.to_row(*id));
    }
    Ok(anomaly_states::save_sensor_states(conn, &rows)?)
}

/// Forgets every detector state: the next run learns again from its first reading.
pub fn reset_states(conn: &mut PgConnection) -> DetectResult<usize> {
    Ok(anomaly_states::delete_all(conn)?)
}
