//! Alerts and their lifecycle.
//!
//! ```text
//! open ──acknowledge──▶ acknowledged ──start work──▶ in_progress ──resolve──▶ resolved ──close──▶ closed
//!   │                        │                                                 ▲
//!   └────────resolve─────────┴──────── (a condition that clears by itself) ─────┘
//! ```
//!
//! Every step carries who did it and an explicit event time: alarms are often recorded after
//! the fact (SCADA replay, backfill, a simulated day).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::alert_kind::AlertKind;
use crate::enums::{AlertSeverity, AlertStatus};
use crate::validation::{Checker, validated};

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Identifier.
    pub id: Uuid,
    /// Substation concerned (cleared if the substation is deleted).
    pub substation_id: Option<Uuid>,
    /// Sensor concerned (cleared if the sensor is deleted).
    pub sensor_id: Option<Uuid>,
    /// What it is about.
    pub alert_type: AlertKind,
    /// Severity.
    pub severity: AlertSeverity,
    /// One-line summary.
    pub title: String,
    /// Details.
    pub description: Option<String>,
    /// Lifecycle state.
    pub status: AlertStatus,
    /// The value that raised it.
    pub current_value: Option<f64>,
    /// The limit crossed.
    pub threshold_value: Option<f64>,
    /// How far past the limit, %.
    pub deviation_percentage: Option<f64>,
    /// Who works on it.
    pub assigned_to: Option<String>,
    /// When work was assigned.
    pub assigned_at: Option<DateTime<Utc>>,
    /// When it was acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// When the condition ended (for an outage: supply restored).
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who resolved it (or `system` for a self-clearing condition).
    pub resolved_by: Option<String>,
    /// How it was resolved.
    pub resolution_notes: Option<String>,
    /// Customers without supply (outages).
    pub affected_customers: i32,
    /// Estimated revenue lost.
    pub estimated_revenue_loss: Option<f64>,
    /// SMS notification sent.
    pub sms_sent: bool,
    /// E-mail notification sent.
    pub email_sent: bool,
    /// Webhook notification sent.
    pub webhook_sent: bool,
    /// Free-form attributes (a JSON object).
    pub metadata: Value,
    /// When the condition began (an event time; for an outage, the interruption's start).
    pub created_at: DateTime<Utc>,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
}

/// The fields of a new alert, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertDraft {
    /// See [`Alert::substation_id`].
    pub substation_id: Option<Uuid>,
    /// See [`Alert::sensor_id`].
    pub sensor_id: Option<Uuid>,
    /// See [`Alert::alert_type`].
    pub alert_type: AlertKind,
    /// See [`Alert::severity`].
    pub severity: AlertSeverity,
    /// See [`Alert::title`].
    pub title: String,
    /// See [`Alert::description`].
    pub description: Option<String>,
    /// See [`Alert::current_value`].
    pub current_value: Option<f64>,
    /// See [`Alert::threshold_value`].
    pub threshold_value: Option<f64>,
    /// See [`Alert::deviation_percentage`].
    pub deviation_percentage: Option<f64>,
    /// See [`Alert::affected_customers`].
    pub affected_customers: i32,
    /// See [`Alert::estimated_revenue_loss`].
    pub estimated_revenue_loss: Option<f64>,
    /// See [`Alert::metadata`].
    pub metadata: Value,
    /// When the condition began: stored as `created_at`. Defaults to now.
    pub raised_at: DateTime<Utc>,
    /// Who or what raised it (recorded in the transition history).
    pub raised_by: Option<String>,
}

impl AlertDraft {
    /// A draft raised now; set `raised_at` for an alarm recorded after the fact.
    pub fn new(alert_type: AlertKind, severity: AlertSeverity, title: impl Into<String>) -> Self {
        AlertDraft {
            substation_id: None,
            sensor_id: None,
            alert_type,
            severity,
            title: title.into(),
            description: None,
            current_value: None,
            threshold_value: None,
            deviation_percentage: None,
            affected_customers: 0,
            estimated_revenue_loss: None,
            metadata: Value::Object(Default::default()),
            raised_at: Utc::now(),
            raised_by: None,
        }
    }

    fn validate(&self) -> Result<(), crate::ValidationErrors> {
        Checker::new("alert")
            .text("alert_type", self.alert_type.as_str(), 100)
            .text("title", &self.title, 255)
            .finite_opt("current_value", self.current_value)
            .finite_opt("threshold_value", self.threshold_value)
            .finite_opt("deviation_percentage", self.deviation_percentage)
            .count("affected_customers", self.affected_customers)
            .non_negative_opt("estimated_revenue_loss", self.estimated_revenue_loss)
            .object("metadata", &self.metadata)
            .text_opt("raised_by", self.raised_by.as_deref(), 100)
            .finish()
    }
}

validated! {
    /// A validated new alert.
    NewAlert(AlertDraft)
}

/// A step of the lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlertAction {
    /// open → acknowledged.
    Acknowledge,
    /// acknowledged → in_progress, assigning the work.
    StartWork {
        /// Who works on it.
        assignee: String,
    },
    /// in_progress, open or acknowledged → resolved.
    Resolve {
        /// How it was resolved.
        notes: Option<String>,
    },
    /// resolved → closed.
    Close,
}

impl AlertAction {
    /// The state this action leads to.
    pub fn target(&self) -> AlertStatus {
        match self {
            AlertAction::Acknowledge => AlertStatus::Acknowledged,
            AlertAction::StartWork { .. } => AlertStatus::InProgress,
            AlertAction::Resolve { .. } => AlertStatus::Resolved,
            AlertAction::Close => AlertStatus::Closed,
        }
    }

    /// Whether the lifecycle allows this action from `from`.
    pub fn allowed_from(&self, from: AlertStatus) -> bool {
        use AlertStatus::*;
        matches!(
            (from, self),
            (Open, AlertAction::Acknowledge)
                | (Acknowledged, AlertAction::StartWork { .. })
                | (
                    Open | Acknowledged | InProgress,
                    AlertAction::Resolve { .. }
                )
                | (Resolved, AlertAction::Close)
        )
    }
}

/// A transition request: what, by whom, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertTransition {
    /// The step.
    pub action: AlertAction,
    /// Who takes it (operator name, or `system` for automation).
    pub actor: String,
    /// When it happened (an event time; defaults to now).
    pub at: DateTime<Utc>,
    /// A note for the history.
    pub note: Option<String>,
}

impl AlertTransition {
    /// A transition happening now.
    pub fn now(action: AlertAction, actor: impl Into<String>) -> Self {
        AlertTransition {
            action,
            actor: actor.into(),
            at: Utc::now(),
            note: None,
        }
    }

    /// The same transition at an explicit event time.
    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        self.at = at;
        self
    }

    /// The same transition with a note for the history.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The lifecycle has no such step from the current state.
    #[error("an alert cannot go from {from} to {to}")]
    NotAllowed {
        /// Current state.
        from: AlertStatus,
        /// Requested state.
        to: AlertStatus,
    },
    /// The event time precedes the alert's start.
    #[error("event time {at} is before the alert began ({created_at})")]
    BeforeCreation {
        /// The requested event time.
        at: DateTime<Utc>,
        /// When the alert began.
        created_at: DateTime<Utc>,
    },
    /// A field of the transition is unusable.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// The columns a transition sets, for the store to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertChange {
    /// The state before.
    pub from: AlertStatus,
    /// The state after.
    pub to: AlertStatus,
    /// `(assigned_to, assigned_at)` when work starts.
    pub assigned: Option<(String, DateTime<Utc>)>,
    /// `(acknowledged_by, acknowledged_at)` when acknowledged.
    pub acknowledged: Option<(String, DateTime<Utc>)>,
    /// `(resolved_by, resolved_at, resolution_notes)` when resolved.
    pub resolved: Option<(String, DateTime<Utc>, Option<String>)>,
}

impl Alert {
    /// Checks `t` against the lifecycle and returns what it changes.
    pub fn plan(&self, t: &AlertTransition) -> Result<AlertChange, TransitionError> {
        plan_transition(self.status, self.created_at, t)
    }
}

/// The lifecycle's rule, on the state and start time of an alert.
pub fn plan_transition(
    from: AlertStatus,
    created_at: DateTime<Utc>,
    t: &AlertTransition,
) -> Result<AlertChange, TransitionError> {
    let to = t.action.target();
    if !t.action.allowed_from(from) {
        return Err(TransitionError::NotAllowed { from, to });
    }
    if t.at < created_at {
        return Err(TransitionError::BeforeCreation {
            at: t.at,
            created_at,
        });
    }
    let actor = t.actor.trim();
    if actor.is_empty() || actor.chars().count() > 100 {
        return Err(TransitionError::Invalid {
            field: "actor",
            reason: "must be 1 to 100 characters".into(),
        });
    }
    let mut change = AlertChange {
        from,
        to,
        assigned: None,
        acknowledged: None,
        resolved: None,
    };
    match &t.action {
        AlertAction::Acknowledge => change.acknowledged = Some((actor.to_owned(), t.at)),
        AlertAction::StartWork { assignee } => {
            let assignee = assignee.trim();
            if assignee.is_empty() || assignee.chars().count() > 100 {
                return Err(TransitionError::Invalid {
                    field: "assigned_to",
                    reason: "must be 1 to 100 characters".into(),
                });
            }
            change.assigned = Some((assignee.to_owned(), t.at));
        }
        AlertAction::Resolve { notes } => {
            change.resolved = Some((actor.to_owned(), t.at, notes.clone()));
        }
        AlertAction::Close => {}
    }
    Ok(change)
}

/// One step of an alert's history, as stored (append-only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertHistoryEntry {
    /// Sequence number, increasing.
    pub id: i64,
    /// The alert.
    pub alert_id: Uuid,
    /// State before; `None` for the creation.
    pub from_status: Option<AlertStatus>,
    /// State after.
    pub to_status: AlertStatus,
    /// Who.
    pub actor: Option<String>,
    /// When it happened (event time).
    pub occurred_at: DateTime<Utc>,
    /// Note.
    pub note: Option<String>,
    /// When it was written.
    pub recorded_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlertStatus::*;
    use chrono::TimeZone;

    fn t(action: AlertAction) -> AlertTransition {
        AlertTransition::now(action, "op-1").at(Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap())
    }

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 11, 0, 0).unwrap()
    }

    #[test]
    fn the_allowed_paths() {
        let ack = t(AlertAction::Acknowledge);
        let work = t(AlertAction::StartWork {
            assignee: "crew-7".into(),
        });
        let resolve = t(AlertAction::Resolve { notes: None });
        let close = t(AlertAction::Close);
        assert_eq!(
            plan_transition(Open, start(), &ack).unwrap().to,
            Acknowledged
        );
        let c = plan_transition(Acknowledged, start(), &work).unwrap();
        assert_eq!(
            (c.to, c.assigned.unwrap().0.as_str()),
            (InProgress, "crew-7")
        );
        for from in [Open, Acknowledged, InProgress] {
            let c = plan_transition(from, start(), &resolve).unwrap();
            assert_eq!(c.to, Resolved);
            assert_eq!(c.resolved.unwrap().0, "op-1");
        }
        assert_eq!(
            plan_transition(Resolved, start(), &close).unwrap().to,
            Closed
        );
    }

    #[test]
    fn every_other_transition_is_a_typed_error() {
        let actions = [
            AlertAction::Acknowledge,
            AlertAction::StartWork {
                assignee: "x".into(),
            },
            AlertAction::Resolve { notes: None },
            AlertAction::Close,
        ];
        let mut allowed = 0;
        for from in AlertStatus::ALL.iter().copied() {
            for a in &actions {
                match plan_transition(from, start(), &t(a.clone())) {
                    Ok(_) => allowed += 1,
                    Err(TransitionError::NotAllowed { from: f, to }) => {
                        assert_eq!((f, to), (from, a.target()))
                    }
                    Err(e) => panic!("unexpected {e}"),
                }
            }
        }
        // open→ack, ack→in_progress, {open,ack,in_progress}→resolved, resolved→closed
        assert_eq!(allowed, 6);
    }

    #[test]
    fn an_event_before_the_alert_began_is_refused() {
        let early = t(AlertAction::Acknowledge).at(start() - chrono::Duration::seconds(1));
        assert!(matches!(
            plan_transition(Open, start(), &early),
            Err(TransitionError::BeforeCreation { .. })
        ));
    }

    #[test]
    fn new_alert_validation_lists_fields() {
        let mut d = AlertDraft::new(
            AlertKind::Other(String::new()),
            AlertSeverity::Critical,
            "x",
        );
        d.affected_customers = -5;
        d.current_value = Some(f64::INFINITY);
        let err = NewAlert::new(d).unwrap_err();
        assert_eq!(
            err.fields(),
            ["alert_type", "current_value", "affected_customers"]
        );
    }
}
