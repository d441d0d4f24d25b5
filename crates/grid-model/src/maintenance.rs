//! Maintenance jobs and their status.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::{MaintenanceType, UnknownVariant};
use crate::validation::{Checker, validated};

/// Where a maintenance job stands (stored as text with a CHECK, as in the reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceStatus {
    /// Planned.
    Scheduled,
    /// Being done.
    InProgress,
    /// Done.
    Completed,
    /// Called off.
    Cancelled,
}

impl MaintenanceStatus {
    /// Every variant.
    pub const ALL: &'static [MaintenanceStatus] = &[
        MaintenanceStatus::Scheduled,
        MaintenanceStatus::InProgress,
        MaintenanceStatus::Completed,
        MaintenanceStatus::Cancelled,
    ];

    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            MaintenanceStatus::Scheduled => "scheduled",
            MaintenanceStatus::InProgress => "in_progress",
            MaintenanceStatus::Completed => "completed",
            MaintenanceStatus::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for MaintenanceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MaintenanceStatus {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MaintenanceStatus::ALL
            .iter()
            .copied()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownVariant {
                kind: "maintenance status",
                value: s.to_owned(),
                expected: "scheduled, in_progress, completed, cancelled".into(),
            })
    }
}

/// A maintenance record as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceRecord {
    /// Identifier.
    pub id: Uuid,
    /// Transformer worked on.
    pub transformer_id: Option<Uuid>,
    /// Kind of work.
    pub maintenance_type: MaintenanceType,
    /// Title.
    pub title: String,
    /// Details.
    pub description: Option<String>,
    /// Planned for.
    pub scheduled_date: Option<DateTime<Utc>>,
    /// Work began.
    pub started_at: Option<DateTime<Utc>>,
    /// Work ended.
    pub completed_at: Option<DateTime<Utc>>,
    /// Hours of work.
    pub duration_hours: Option<f64>,
    /// Lead technician.
    pub technician_name: Option<String>,
    /// Crew size (≥ 1).
    pub team_size: i32,
    /// Status.
    pub status: MaintenanceStatus,
    /// What was found.
    pub findings: Option<String>,
    /// What was done.
    pub actions_taken: Option<String>,
    /// Parts replaced.
    pub parts_replaced: Vec<String>,
    /// Labour cost.
    pub labor_cost: Option<f64>,
    /// Parts cost.
    pub parts_cost: Option<f64>,
    /// Total cost.
    pub total_cost: Option<f64>,
    /// Outcome.
    pub was_successful: Option<bool>,
    /// Equipment downtime, hours.
    pub downtime_hours: Option<f64>,
    /// Next maintenance due.
    pub next_maintenance_date: Option<DateTime<Utc>>,
    /// Free-form attributes.
    pub metadata: Value,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
}

/// The fields of a new maintenance record, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceDraft {
    /// See [`MaintenanceRecord::transformer_id`].
    pub transformer_id: Option<Uuid>,
    /// See [`MaintenanceRecord::maintenance_type`].
    pub maintenance_type: MaintenanceType,
    /// See [`MaintenanceRecord::title`].
    pub title: String,
    /// See [`MaintenanceRecord::description`].
    pub description: Option<String>,
    /// See [`MaintenanceRecord::scheduled_date`].
    pub scheduled_date: Option<DateTime<Utc>>,
    /// See [`MaintenanceRecord::started_at`].
    pub started_at: Option<DateTime<Utc>>,
    /// See [`MaintenanceRecord::completed_at`].
    pub completed_at: Option<DateTime<Utc>>,
    /// See [`MaintenanceRecord::duration_hours`].
    pub duration_hours: Option<f64>,
    /// See [`MaintenanceRecord::technician_name`].
    pub technician_name: Option<String>,
    /// See [`MaintenanceRecord::team_size`].
    pub team_size: i32,
    /// See [`MaintenanceRecord::status`].
    pub status: MaintenanceStatus,
    /// See [`MaintenanceRecord::findings`].
    pub findings: Option<String>,
    /// See [`MaintenanceRecord::actions_taken`].
    pub actions_taken: Option<String>,
    /// See [`MaintenanceRecord::parts_replaced`].
    pub parts_replaced: Vec<String>,
    /// See [`MaintenanceRecord::labor_cost`].
    pub labor_cost: Option<f64>,
    /// See [`MaintenanceRecord::parts_cost`].
    pub parts_cost: Option<f64>,
    /// See [`MaintenanceRecord::total_cost`].
    pub total_cost: Option<f64>,
    /// See [`MaintenanceRecord::was_successful`].
    pub was_successful: Option<bool>,
    /// See [`MaintenanceRecord::downtime_hours`].
    pub downtime_hours: Option<f64>,
    /// See [`MaintenanceRecord::next_maintenance_date`].
    pub next_maintenance_date: Option<DateTime<Utc>>,
    /// See [`MaintenanceRecord::metadata`].
    pub metadata: Value,
}

impl MaintenanceDraft {
    /// A scheduled job with the required fields.
    pub fn new(maintenance_type: MaintenanceType, title: impl Into<String>) -> Self {
        MaintenanceDraft {
            transformer_id: None,
            maintenance_type,
            title: title.into(),
            description: None,
            scheduled_date: None,
            started_at: None,
            completed_at: None,
            duration_hours: None,
            technician_name: None,
            team_size: 1,
            status: MaintenanceStatus::Scheduled,
            findings: None,
            actions_taken: None,
            parts_replaced: Vec::new(),
            labor_cost: None,
            parts_cost: None,
            total_cost: None,
            was_successful: None,
            downtime_hours: None,
            next_maintenance_date: None,
            metadata: Value::Object(Default::default()),
        }
    }

    fn validate(&self) -> Result<(), crate::ValidationErrors> {
        Checker::new("maintenance record")
            .text("title", &self.title, 255)
            .non_negative_opt("duration_hours", self.duration_hours)
            .text_opt("technician_name", self.technician_name.as_deref(), 100)
            .ensure(self.team_size >= 1, "team_size", || {
                format!("must be at least 1 (got {})", self.team_size)
            })
            .ensure(
                self.parts_replaced.iter().all(|p| !p.trim().is_empty()),
                "parts_replaced",
                || "must not hold empty names".into(),
            )
            .non_negative_opt("labor_cost", self.labor_cost)
            .non_negative_opt("parts_cost", self.parts_cost)
            .non_negative_opt("total_cost", self.total_cost)
            .non_negative_opt("downtime_hours", self.downtime_hours)
            .ensure(
                match (self.started_at, self.completed_at) {
                    (Some(s), Some(c)) => c >= s,
                    _ => true,
                },
                "completed_at",
                || "must not be before started_at".into(),
            )
            .object("metadata", &self.metadata)
            .finish()
    }
}

validated! {
    /// A validated new maintenance record.
    NewMaintenance(MaintenanceDraft)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maintenance_team_and_costs() {
        let mut d = MaintenanceDraft::new(MaintenanceType::Corrective, "Replace bushing");
        d.team_size = 0;
        d.labor_cost = Some(-1.0);
        let err = NewMaintenance::new(d).unwrap_err();
        assert_eq!(err.fields(), ["team_size", "labor_cost"]);
        assert!(MaintenanceType::Predictive.is_scheduled());
        assert!(!MaintenanceType::Emergency.is_scheduled());
    }

    #[test]
    fn maintenance_status_text() {
        for s in MaintenanceStatus::ALL {
            assert_eq!(s.as_str().parse::<MaintenanceStatus>().unwrap(), *s);
        }
        assert!("done".parse::<MaintenanceStatus>().is_err());
    }
}
