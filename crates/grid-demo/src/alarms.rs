//! What the demo day's readings and events raise in the store: one alert per condition
//! (resolved by the system when it clears; one overheating alarm taken through the whole
//! lifecycle by an operator) and the outage as protection reports it. Anomaly episodes and
//! their alerts are the anomaly engine's (grid-detect), in the ingest path.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use grid_analytics::alerting::{AlertEvent, policy};
use grid_model::*;
use grid_store::AlertRepository;

use crate::error::DemoError;
use crate::grid::DemoGrid;
use crate::simulate::{Event, EventKind};

/// Raises and resolves the alerts of the detectors' events; returns how many were raised.
pub(crate) fn raise_alerts(
    conn: &mut PgConnection,
    grid: &DemoGrid,
    fired: &[(usize, AlertEvent)],
) -> Result<usize, DemoError> {
    let mut open: std::collections::BTreeMap<usize, Alert> = Default::default();
    let mut raised = 0;
    let mut overheating: Option<Alert> = None;
    for (i, e) in fired {
        let s = &grid.sensors[*i];
        match *e {
            AlertEvent::Raise {
                condition,
                at,
                value,
                threshold,
            } => {
                let kind = policy::alert_kind(s.sensor.sensor_type, condition);
                let severity = policy::severity(&kind, value, s.nominal);
                let title = format!("{} {kind} on {}", s.substation, s.sensor.tag);
                let mut d = AlertDraft::new(kind.clone(), severity, title);
                d.substation_id = Some(s.sensor.substation_id);
                d.sensor_id = Some(s.sensor.id);
                d.current_value = Some(value);
                d.threshold_value = Some(threshold);
                d.deviation_percentage =
                    Some((value - threshold) / threshold.abs().max(1e-9) * 100.0);
                d.raised_at = at;
                d.raised_by = Some("alerting-rule".into());
                let a = conn.raise_alert(&NewAlert::new(d)?)?;
                raised += 1;
                if kind == AlertKind::Overheating
                    && s.sensor.sensor_type == SensorType::TransformerOil
                    && overheating.is_none()
                {
                    overheating = Some(take_up(conn, &a, at)?);
                }
                open.insert(*i, a);
            }
            AlertEvent::Clear { at, worst, .. } => {
                let Some(a) = open.remove(i) else { continue };
                let ours = overheating.as_ref().is_some_and(|o| o.id == a.id);
                let (actor, notes) = if ours {
                    (
                        "Rabai maintenance crew 4",
                        format!("cooling fans restored; worst {worst:.1}"),
                    )
                } else {
                    ("system", format!("cleared; worst value {worst:.2}"))
                };
                let step =
                    AlertTransition::now(AlertAction::Resolve { notes: Some(notes) }, actor).at(at);
                conn.transition_alert(a.id, &step)?;
                if ours {
                    let close = AlertTransition::now(AlertAction::Close, "shift supervisor")
                        .at(at + Duration::minutes(30));
                    conn.transition_alert(a.id, &close)?;
                }
            }
        }
    }
    Ok(raised)
}

/// An operator acknowledges the alarm and sends a crew.
fn take_up(conn: &mut PgConnection, a: &Alert, at: DateTime<Utc>) -> Result<Alert, DemoError> {
    let ack = AlertTransition::now(AlertAction::Acknowledge, "wanjiku (control room)")
        .at(at + Duration::minutes(4));
    conn.transition_alert(a.id, &ack)?;
    let work = AlertTransition::now(
        AlertAction::StartWork {
            assignee: "Rabai maintenance crew 4".into(),
        },
        "wanjiku (control room)",
    )
    .at(at + Duration::minutes(12));
    Ok(conn.transition_alert(a.id, &work)?)
}

/// The outages, as protection reports them: start, customers, restoration.
pub(crate) fn raise_outages(
    conn: &mut PgConnection,
    grid: &DemoGrid,
    events: &[Event],
) -> Result<usize, DemoError> {
    let mut raised = 0;
    for e in events.iter().filter(|e| e.kind == EventKind::Outage) {
        let s = grid.substation(e.substation);
        let mut d = AlertDraft::new(
            AlertKind::Outage,
            AlertSeverity::Emergency,
            format!("Supply lost at {}", s.name),
        );
        d.substation_id = Some(s.id);
        d.affected_customers = e.customers;
        d.raised_at = e.start;
        d.raised_by = Some("protection".into());
        d.description = Some(e.description.into());
        let a = conn.raise_alert(&NewAlert::new(d)?)?;
        let r = AlertTransition::now(
            AlertAction::Resolve {
                notes: Some("feeder re-energised".into()),
            },
            "control room",
        )
        .at(e.end);
        conn.transition_alert(a.id, &r)?;
        raised += 1;
    }
    Ok(raised)
}
