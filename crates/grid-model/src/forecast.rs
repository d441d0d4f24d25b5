//! Load forecasts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::GridZone;
use crate::validation::{Checker, validated};

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
}
