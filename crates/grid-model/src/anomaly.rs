//! Anomaly detections.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::AlertSeverity;
use crate::validation::{Checker, validated};

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
