//! One alert per episode, or one per substation storm, through the alert lifecycle: raised
//! when an episode of at least warning severity reaches the on-delay's count of anomalous
//! readings (so a spike never alerts), linked from the episode's row, and resolved when the
//! episode closes (a storm's when its last episode does). A repeated run finds the alerts it
//! raised before ([`grid_store::alerts::find_raised`]).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use grid_model::{AlertAction, AlertDraft, AlertKind, AlertStatus, AlertTransition, NewAlert};
use grid_store::{alerts, anomalies};
use uuid::Uuid;

use crate::config::{ACTOR, AlertPolicy};
use crate::episodes::{Written, time_of};
use crate::error::DetectResult;
use crate::fleet::FleetSubstation;

/// What the alert step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlertCounts {
    /// Alerts raised for one episode.
    pub raised: usize,
    /// Storm alerts raised.
    pub storms: usize,
    /// Episodes linked to a storm alert (new or already open).
    pub joined_storm: usize,
    /// Alerts resolved.
    pub resolved: usize,
}

fn active(status: AlertStatus) -> bool {
    matches!(
        status,
        AlertStatus::Open | AlertStatus::Acknowledged | AlertStatus::InProgress
    )
}

fn due(w: &Written, policy: &AlertPolicy) -> bool {
    w.meta.alert_id.is_none()
        && w.episode.severity >= policy.min_severity
        && w.episode.anomalous_readings >= policy.min_readings
}

/// The due episodes (indices into `written`) that form a storm: the largest set of distinct
/// sensors whose episodes start within one window, if it reaches the storm size.
fn storm(written: &[Written], due: &[usize], policy: &AlertPolicy) -> Vec<usize> {
    let mut order = due.to_vec();
    order.sort_by_key(|&i| written[i].episode.start_ms);
    let window = policy.storm_window.num_milliseconds();
    let mut best: Vec<usize> = Vec::new();
    for (a, &i) in order.iter().enumerate() {
        let start = written[i].episode.start_ms;
        let members: Vec<usize> = order[a..]
            .iter()
            .copied()
            .take_while(|&j| written[j].episode.start_ms - start <= window)
            .collect();
        let sensors: BTreeSet<Uuid> = members.iter().map(|&j| written[j].sensor_id).collect();
        if sensors.len() >= policy.storm_sensors && members.len() > best.len() {
            best = members;
        }
    }
    best
}

fn link(conn: &mut PgConnection, w: &mut Written, alert_id: Uuid) -> DetectResult<()> {
    w.meta.alert_id = Some(alert_id);
    let mut metadata = anomalies::get(conn, w.anomaly_id)?.metadata;
    w.meta.merge_into(&mut metadata);
    anomalies::set_metadata(conn, w.anomaly_id, &metadata)?;
    Ok(())
}

fn raise_once(
    conn: &mut PgConnection,
    draft: AlertDraft,
) -> DetectResult<(grid_model::Alert, bool)> {
    let sub = draft.substation_id.unwrap_or_default();
    if let Some(a) =
        alerts::find_raised(conn, &draft.alert_type, sub, &draft.title, draft.raised_at)?
    {
        return Ok((a, false));
    }
    let new = NewAlert::new(draft).map_err(grid_store::StoreError::from)?;
    Ok((alerts::raise(conn, &new)?, true))
}

fn resolve(
    conn: &mut PgConnection,
    id: Uuid,
    at: DateTime<Utc>,
    notes: String,
) -> DetectResult<bool> {
    let a = alerts::get(conn, id)?;
    if !active(a.status) {
        return Ok(false);
    }
    let at = at.max(a.created_at);
    let step = AlertTransition::now(AlertAction::Resolve { notes: Some(notes) }, ACTOR).at(at);
    alerts::transition(conn, id, &step)?;
    Ok(true)
}

/// Raises, links and resolves the alerts of `written` (the episodes one unit of work wrote at
/// `substation`), in the caller's transaction.
pub fn apply(
    conn: &mut PgConnection,
    substation: &FleetSubstation,
    written: &mut [Written],
    policy: &AlertPolicy,
) -> DetectResult<AlertCounts> {
    let mut counts = AlertCounts::default();
    let due: Vec<usize> = (0..written.len())
        .filter(|&i| due(&written[i], policy))
        .collect();
    let open_storm = alerts::open_by_substation(conn, substation.id)?
        .into_iter()
        .find(|a| a.alert_type == AlertKind::AnomalyStorm);
    let (storm_members, storm_id) = match open_storm {
        Some(a) => (due.clone(), Some(a.id)),
        None => {
            let members = storm(written, &due, policy);
            if members.is_empty() {
                (members, None)
            } else {
                let first = members
                    .iter()
                    .map(|&i| written[i].episode.start_ms)
                    .min()
                    .unwrap_or(0);
                let sensors: BTreeSet<Uuid> =
                    members.iter().map(|&i| written[i].sensor_id).collect();
                let mut d = AlertDraft::new(
                    AlertKind::AnomalyStorm,
                    members
                        .iter()
                        .map(|&i| written[i].episode.severity)
                        .max()
                        .unwrap_or(grid_model::AlertSeverity::Warning),
                    format!(
                        "Anomaly storm at {}: {} sensors",
                        substation.code,
                        sensors.len()
                    ),
                );
                d.substation_id = Some(substation.id);
                d.raised_at = time_of(first);
                d.raised_by = Some(ACTOR.into());
                d.description = Some(format!(
                    "{} sensors of the substation began anomaly episodes within {} minutes: one alert for all (their rows in anomaly_detections link it)",
                    sensors.len(),
                    policy.storm_window.num_minutes()
                ));
                let (a, new) = raise_once(conn, d)?;
                counts.storms += usize::from(new);
                (members, Some(a.id))
            }
        }
    };
    if let Some(id) = storm_id {
        for &i in &storm_members {
            link(conn, &mut written[i], id)?;
            counts.joined_storm += 1;
        }
    }
    for &i in due.iter().filter(|i| !storm_members.contains(i)) {
        let w = &written[i];
        let tag = substation
            .sensors
            .iter()
            .find(|s| s.id == w.sensor_id)
            .map_or_else(|| w.sensor_id.to_string(), |s| s.tag.clone());
        let mut d = AlertDraft::new(
            AlertKind::SensorAnomaly,
            w.episode.severity,
            format!("Anomalous readings on {tag} ({})", w.episode.kind),
        );
        d.substation_id = Some(substation.id);
        d.sensor_id = Some(w.sensor_id);
        d.raised_at = time_of(w.episode.start_ms);
        d.raised_by = Some(ACTOR.into());
        d.current_value = Some(w.episode.actual);
        d.threshold_value = w.episode.expected;
        d.deviation_percentage = w.episode.deviation_percent();
        d.description = Some(format!(
            "{} episode (anomaly {}); probable causes: {}",
            w.episode.kind,
            w.anomaly_id,
            w.episode.potential_causes().join("; ")
        ));
        let (a, new) = raise_once(conn, d)?;
        counts.raised += usize::from(new);
        link(conn, &mut written[i], a.id)?;
    }
    // Closed episodes resolve their alert (a storm's once none of its episodes is open).
    for w in written.iter().filter(|w| !w.episode.ongoing) {
        let Some(id) = w.meta.alert_id else { continue };
        let notes = format!(
            "episode closed: {} ({} anomalous readings, peak score {:.2})",
            w.episode.kind, w.episode.anomalous_readings, w.episode.peak_score
        );
        let is_storm = alerts::get(conn, id)?.alert_type == AlertKind::AnomalyStorm;
        if is_storm && anomalies::ongoing_linked_to(conn, id)? > 0 {
            continue;
        }
        counts.resolved += usize::from(resolve(conn, id, time_of(w.episode.end_ms), notes)?);
    }
    Ok(counts)
}
