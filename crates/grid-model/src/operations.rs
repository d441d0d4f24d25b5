//! Maintenance, load forecasts, anomaly detections, SCADA security events and daily grid
//! statistics.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::{AlertSeverity, GridZone, MaintenanceType, UnknownVariant};
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

/// A load forecast as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadForecast {
    /// Identifier.
    pub id: Uuid,
    /// Zone forecast.
    pub zone: GridZone,
    /// The time the forecast is for.
    pub forecast_timestamp: DateTime<Utc>,
    /// Predicted load, MW.
    pub predicted_load_mw: f64,
    /// Lower bound of the interval, MW.
    pub confidence_interval_lower: Option<f64>,
    /// Upper bound of the interval, MW.
    pub confidence_interval_upper: Option<f64>,
    /// Confidence of the interval, % in (0, 100).
    pub confidence_percentage: f64,
    /// Model version.
    pub model_version: Option<String>,
    /// Model's MAPE, %.
    pub prediction_error_mape: Option<f64>,
    /// Actual load once known, MW.
    pub actual_load_mw: Option<f64>,
    /// When the actual was recorded.
    pub actual_recorded_at: Option<DateTime<Utc>>,
    /// Free-form attributes.
    pub metadata: Value,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
}

/// The fields of a new forecast, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastDraft {
    /// See [`LoadForecast::zone`].
    pub zone: GridZone,
    /// See [`LoadForecast::forecast_timestamp`].
    pub forecast_timestamp: DateTime<Utc>,
    /// See [`LoadForecast::predicted_load_mw`].
    pub predicted_load_mw: f64,
    /// See [`LoadForecast::confidence_interval_lower`].
    pub confidence_interval_lower: Option<f64>,
    /// See [`LoadForecast::confidence_interval_upper`].
    pub confidence_interval_upper: Option<f64>,
    /// See [`LoadForecast::confidence_percentage`].
    pub confidence_percentage: f64,
    /// See [`LoadForecast::model_version`].
    pub model_version: Option<String>,
    /// See [`LoadForecast::prediction_error_mape`].
    pub prediction_error_mape: Option<f64>,
    /// See [`LoadForecast::metadata`].
    pub metadata: Value,
}

impl ForecastDraft {
    /// A forecast with a 95 % default confidence.
    pub fn new(zone: GridZone, at: DateTime<Utc>, predicted_load_mw: f64) -> Self {
        ForecastDraft {
            zone,
            forecast_timestamp: at,
            predicted_load_mw,
            confidence_interval_lower: None,
            confidence_interval_upper: None,
            confidence_percentage: 95.0,
            model_version: None,
            prediction_error_mape: None,
            metadata: Value::Object(Default::default()),
        }
    }

    fn validate(&self) -> Result<(), crate::ValidationErrors> {
        let p = self.predicted_load_mw;
        Checker::new("load forecast")
            .non_negative("predicted_load_mw", p)
            .ensure(
                self.confidence_interval_lower
                    .is_none_or(|l| l.is_finite() && l <= p),
                "confidence_interval_lower",
                || {
                    format!(
                        "must be finite and at most the prediction {p} (got {:?})",
                        self.confidence_interval_lower
                    )
                },
            )
            .ensure(
                self.confidence_interval_upper
                    .is_none_or(|u| u.is_finite() && u >= p),
                "confidence_interval_upper",
                || {
                    format!(
                        "must be finite and at least the prediction {p} (got {:?})",
                        self.confidence_interval_upper
                    )
                },
            )
            .ensure(
                self.confidence_percentage > 0.0 && self.confidence_percentage < 100.0,
                "confidence_percentage",
                || {
                    format!(
                        "must be within (0, 100) (got {})",
                        self.confidence_percentage
                    )
                },
            )
            .text_opt("model_version", self.model_version.as_deref(), 50)
            .non_negative_opt("prediction_error_mape", self.prediction_error_mape)
            .object("metadata", &self.metadata)
            .finish()
    }
}

validated! {
    /// A validated new load forecast.
    NewForecast(ForecastDraft)
}

/// An anomaly detection as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// Identifier.
    pub id: Uuid,
    /// Sensor whose readings are anomalous.
    pub sensor_id: Uuid,
    /// spike, drift, outlier, pattern_break…
    pub anomaly_type: String,
    /// When the anomaly was seen (event time).
    pub detected_at: DateTime<Utc>,
    /// Score (0–1 or a z-score, per detector).
    pub anomaly_score: f64,
    /// Severity.
    pub severity: AlertSeverity,
    /// Expected value.
    pub expected_value: Option<f64>,
    /// Actual value.
    pub actual_value: Option<f64>,
    /// Deviation, %.
    pub deviation_percentage: Option<f64>,
    /// Contributing factors (a JSON object).
    pub contributing_factors: Value,
    /// Potential causes.
    pub potential_causes: Vec<String>,
    /// Recommended actions.
    pub recommended_actions: Vec<String>,
    /// Judged a false positive.
    pub is_false_positive: Option<bool>,
    /// Looked at by a person.
    pub investigated: bool,
    /// Investigation notes.
    pub investigation_notes: Option<String>,
    /// Free-form attributes.
    pub metadata: Value,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
}

/// The fields of a new anomaly, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnomalyDraft {
    /// See [`Anomaly::sensor_id`].
    pub sensor_id: Uuid,
    /// See [`Anomaly::anomaly_type`].
    pub anomaly_type: String,
    /// See [`Anomaly::detected_at`].
    pub detected_at: DateTime<Utc>,
    /// See [`Anomaly::anomaly_score`].
    pub anomaly_score: f64,
    /// See [`Anomaly::severity`].
    pub severity: AlertSeverity,
    /// See [`Anomaly::expected_value`].
    pub expected_value: Option<f64>,
    /// See [`Anomaly::actual_value`].
    pub actual_value: Option<f64>,
    /// See [`Anomaly::deviation_percentage`].
    pub deviation_percentage: Option<f64>,
    /// See [`Anomaly::contributing_factors`].
    pub contributing_factors: Value,
    /// See [`Anomaly::potential_causes`].
    pub potential_causes: Vec<String>,
    /// See [`Anomaly::recommended_actions`].
    pub recommended_actions: Vec<String>,
    /// See [`Anomaly::metadata`].
    pub metadata: Value,
}

impl AnomalyDraft {
    /// An anomaly with the required fields.
    pub fn new(
        sensor_id: Uuid,
        anomaly_type: impl Into<String>,
        detected_at: DateTime<Utc>,
        anomaly_score: f64,
        severity: AlertSeverity,
    ) -> Self {
        AnomalyDraft {
            sensor_id,
            anomaly_type: anomaly_type.into(),
            detected_at,
            anomaly_score,
            severity,
            expected_value: None,
            actual_value: None,
            deviation_percentage: None,
            contributing_factors: Value::Object(Default::default()),
            potential_causes: Vec::new(),
            recommended_actions: Vec::new(),
            metadata: Value::Object(Default::default()),
        }
    }

    fn validate(&self) -> Result<(), crate::ValidationErrors> {
        Checker::new("anomaly")
            .text("anomaly_type", &self.anomaly_type, 100)
            .finite("anomaly_score", self.anomaly_score)
            .finite_opt("expected_value", self.expected_value)
            .finite_opt("actual_value", self.actual_value)
            .finite_opt("deviation_percentage", self.deviation_percentage)
            .object("contributing_factors", &self.contributing_factors)
            .object("metadata", &self.metadata)
            .finish()
    }
}

validated! {
    /// A validated new anomaly.
    NewAnomaly(AnomalyDraft)
}

/// A SCADA cyber-security event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityEvent {
    /// Identifier.
    pub id: Uuid,
    /// failed_login, unusual_command, unauthorized_access…
    pub event_type: String,
    /// Severity.
    pub severity: AlertSeverity,
    /// Source address.
    pub source_ip: Option<IpAddr>,
    /// Source user.
    pub source_user: Option<String>,
    /// System targeted.
    pub target_system: Option<String>,
    /// Details.
    pub description: Option<String>,
    /// Command attempted.
    pub command_attempted: Option<String>,
    /// Access level the command needs.
    pub access_level_required: Option<String>,
    /// agent, IDS, manual.
    pub detected_by: Option<String>,
    /// How it was detected.
    pub detection_method: Option<String>,
    /// Blocked.
    pub is_blocked: bool,
    /// Response.
    pub response_action: Option<String>,
    /// Looked at by a person.
    pub investigated: bool,
    /// Judged a threat.
    pub is_threat: Option<bool>,
    /// Free-form attributes.
    pub metadata: Value,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was detected.
    pub detected_at: DateTime<Utc>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
}

/// The fields of a new security event, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityEventDraft {
    /// See [`SecurityEvent::event_type`].
    pub event_type: String,
    /// See [`SecurityEvent::severity`].
    pub severity: AlertSeverity,
    /// See [`SecurityEvent::source_ip`].
    pub source_ip: Option<IpAddr>,
    /// See [`SecurityEvent::source_user`].
    pub source_user: Option<String>,
    /// See [`SecurityEvent::target_system`].
    pub target_system: Option<String>,
    /// See [`SecurityEvent::description`].
    pub description: Option<String>,
    /// See [`SecurityEvent::command_attempted`].
    pub command_attempted: Option<String>,
    /// See [`SecurityEvent::access_level_required`].
    pub access_level_required: Option<String>,
    /// See [`SecurityEvent::detected_by`].
    pub detected_by: Option<String>,
    /// See [`SecurityEvent::detection_method`].
    pub detection_method: Option<String>,
    /// See [`SecurityEvent::is_blocked`].
    pub is_blocked: bool,
    /// See [`SecurityEvent::response_action`].
    pub response_action: Option<String>,
    /// See [`SecurityEvent::metadata`].
    pub metadata: Value,
    /// See [`SecurityEvent::occurred_at`].
    pub occurred_at: DateTime<Utc>,
    /// See [`SecurityEvent::detected_at`]; defaults to now.
    pub detected_at: DateTime<Utc>,
}

impl SecurityEventDraft {
    /// An event with the required fields, detected now.
    pub fn new(
        event_type: impl Into<String>,
        severity: AlertSeverity,
        occurred_at: DateTime<Utc>,
    ) -> Self {
        SecurityEventDraft {
            event_type: event_type.into(),
            severity,
            source_ip: None,
            source_user: None,
            target_system: None,
            description: None,
            command_attempted: None,
            access_level_required: None,
            detected_by: None,
            detection_method: None,
            is_blocked: false,
            response_action: None,
            metadata: Value::Object(Default::default()),
            occurred_at,
            detected_at: Utc::now(),
        }
    }

    fn validate(&self) -> Result<(), crate::ValidationErrors> {
        Checker::new("security event")
            .text("event_type", &self.event_type, 100)
            .text_opt("source_user", self.source_user.as_deref(), 100)
            .text_opt("target_system", self.target_system.as_deref(), 100)
            .text_opt("command_attempted", self.command_attempted.as_deref(), 500)
            .text_opt(
                "access_level_required",
                self.access_level_required.as_deref(),
                50,
            )
            .text_opt("detected_by", self.detected_by.as_deref(), 100)
            .text_opt("detection_method", self.detection_method.as_deref(), 100)
            .text_opt("response_action", self.response_action.as_deref(), 100)
            .object("metadata", &self.metadata)
            .finish()
    }
}

validated! {
    /// A validated new security event.
    NewSecurityEvent(SecurityEventDraft)
}

/// Daily statistics of one zone for one local calendar day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyStatistics {
    /// The local calendar day.
    pub date: NaiveDate,
    /// The zone.
    pub zone: GridZone,
    /// Peak of the zone's load, MW.
    pub peak_load_mw: Option<f64>,
    /// When the peak occurred.
    pub peak_load_time: Option<DateTime<Utc>>,
    /// Average load, MW.
    pub average_load_mw: Option<f64>,
    /// Minimum load, MW.
    pub min_load_mw: Option<f64>,
    /// Energy delivered, MWh.
    pub total_energy_mwh: Option<f64>,
    /// See the analytics crate for what this average holds.
    pub average_voltage_kv: Option<f64>,
    /// Voltage excursions (a contiguous out-of-limit run counts once).
    pub voltage_violations_count: i32,
    /// Frequency excursions.
    pub frequency_violations_count: i32,
    /// Sustained interruptions that began this day.
    pub total_outages: i32,
    /// Their total duration, minutes.
    pub total_outage_minutes: f64,
    /// SAIDI, minutes.
    pub saidi: Option<f64>,
    /// SAIFI, interruptions per customer.
    pub saifi: Option<f64>,
    /// Alerts raised.
    pub total_alerts: i32,
    /// Alerts raised at critical or worse.
    pub critical_alerts: i32,
    /// Alerts resolved.
    pub alerts_resolved: i32,
    /// Hours of scheduled maintenance (preventive, predictive).
    pub scheduled_maintenance_hours: f64,
    /// Hours of unscheduled maintenance (corrective, emergency).
    pub unscheduled_maintenance_hours: f64,
    /// Further figures (a JSON object).
    pub metadata: Value,
}

impl DailyStatistics {
    /// An empty day: counts zero, figures unknown.
    pub fn empty(date: NaiveDate, zone: GridZone) -> Self {
        DailyStatistics {
            date,
            zone,
            peak_load_mw: None,
            peak_load_time: None,
            average_load_mw: None,
            min_load_mw: None,
            total_energy_mwh: None,
            average_voltage_kv: None,
            voltage_violations_count: 0,
            frequency_violations_count: 0,
            total_outages: 0,
            total_outage_minutes: 0.0,
            saidi: None,
            saifi: None,
            total_alerts: 0,
            critical_alerts: 0,
            alerts_resolved: 0,
            scheduled_maintenance_hours: 0.0,
            unscheduled_maintenance_hours: 0.0,
            metadata: Value::Object(Default::default()),
        }
    }

    /// Checks every field, listing each offending one.
    pub fn validate(&self) -> Result<(), crate::ValidationErrors> {
        Checker::new("daily statistics")
            .non_negative_opt("peak_load_mw", self.peak_load_mw)
            .non_negative_opt("average_load_mw", self.average_load_mw)
            .non_negative_opt("min_load_mw", self.min_load_mw)
            .non_negative_opt("total_energy_mwh", self.total_energy_mwh)
            .finite_opt("average_voltage_kv", self.average_voltage_kv)
            .count("voltage_violations_count", self.voltage_violations_count)
            .count(
                "frequency_violations_count",
                self.frequency_violations_count,
            )
            .count("total_outages", self.total_outages)
            .non_negative("total_outage_minutes", self.total_outage_minutes)
            .non_negative_opt("saidi", self.saidi)
            .non_negative_opt("saifi", self.saifi)
            .count("total_alerts", self.total_alerts)
            .count("critical_alerts", self.critical_alerts)
            .count("alerts_resolved", self.alerts_resolved)
            .non_negative(
                "scheduled_maintenance_hours",
                self.scheduled_maintenance_hours,
            )
            .non_negative(
                "unscheduled_maintenance_hours",
                self.unscheduled_maintenance_hours,
            )
            .object("metadata", &self.metadata)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forecast_interval_must_hold_the_prediction() {
        let mut d = ForecastDraft::new(GridZone::Nairobi, Utc::now(), 100.0);
        d.confidence_interval_lower = Some(90.0);
        d.confidence_interval_upper = Some(110.0);
        assert!(NewForecast::new(d.clone()).is_ok());
        d.confidence_interval_lower = Some(101.0);
        d.confidence_interval_upper = Some(99.0);
        d.confidence_percentage = 100.0;
        let err = NewForecast::new(d).unwrap_err();
        assert_eq!(
            err.fields(),
            [
                "confidence_interval_lower",
                "confidence_interval_upper",
                "confidence_percentage"
            ]
        );
    }

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
