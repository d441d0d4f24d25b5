//! The outages of the demo day, as protection reports them, and one of them taken through
//! the whole lifecycle by the control room: acknowledged, a crew sent, resolved when the
//! feeder is re-energised, closed by the shift supervisor. The limit alarms are the alarm
//! engine's (grid-alarms-store) and the anomaly alerts the anomaly engine's (grid-detect),
//! both in the ingest path.

use chrono::Duration;
use diesel::PgConnection;
use grid_model::*;
use grid_store::AlertRepository;

use crate::error::DemoError;
use crate::grid::DemoGrid;
use crate::simulate::{Event, EventKind};

/// The outages, as protection reports them (start, customers, restoration), and the control
/// room's steps on them; returns how many were raised.
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
        let operator = "wanjiku (control room)";
        let crew = "Kisumu line crew 2";
        let steps = [
            AlertTransition::now(AlertAction::Acknowledge, operator)
                .at(e.start + Duration::minutes(4))
                .with_note("breaker trip seen; dispatching"),
            AlertTransition::now(
                AlertAction::StartWork {
                    assignee: crew.into(),
                },
                operator,
            )
            .at(e.start + Duration::minutes(12)),
            AlertTransition::now(
                AlertAction::Resolve {
                    notes: Some("feeder re-energised after patrol".into()),
                },
                crew,
            )
            .at(e.end),
            AlertTransition::now(AlertAction::Close, "shift supervisor")
                .at(e.end + Duration::minutes(30)),
        ];
        for step in &steps {
            conn.transition_alert(a.id, step)?;
        }
        raised += 1;
    }
    Ok(raised)
}
