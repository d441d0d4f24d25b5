//! Power transformers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{Checker, validated};

/// A power transformer as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transformer {
    /// Identifier.
    pub id: Uuid,
    /// The substation it stands in.
    pub substation_id: Uuid,
    /// Name, e.g. "T1".
    pub name: String,
    /// Manufacturer's serial number, unique.
    pub serial_number: Option<String>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Year of manufacture.
    pub year_manufactured: Option<i32>,
    /// Rating, MVA.
    pub capacity_mva: f64,
    /// Primary voltage, kV.
    pub voltage_primary_kv: f64,
    /// Secondary voltage, kV.
    pub voltage_secondary_kv: f64,
    /// Cooling class (IEC 60076-2), e.g. ONAN, ONAF, OFAF, ODAF.
    pub cooling_type: Option<String>,
    /// Present load, MVA.
    pub current_load_mva: f64,
    /// Present load in % of rating: 0..=200 (overload above 100 % is recorded, not refused).
    pub load_percentage: f64,
    /// Top-oil temperature, °C.
    pub oil_temperature_celsius: Option<f64>,
    /// Winding (hot-spot) temperature, °C.
    pub winding_temperature_celsius: Option<f64>,
    /// Oil level, %.
    pub oil_level_percentage: f64,
    /// Health score, 0..=100.
    pub health_score: f64,
    /// Estimated remaining life, years.
    pub estimated_remaining_life_years: Option<f64>,
    /// Probability of failure within 7 days, 0..=1.
    pub failure_probability_7days: f64,
    /// Probability of failure within 30 days, 0..=1.
    pub failure_probability_30days: f64,
    /// In service.
    pub is_operational: bool,
    /// Last maintenance.
    pub last_maintenance_date: Option<DateTime<Utc>>,
    /// Next maintenance due.
    pub next_maintenance_date: Option<DateTime<Utc>>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row's content last changed.
    pub updated_at: DateTime<Utc>,
}

/// The fields of a new transformer, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransformerDraft {
    /// See [`Transformer::substation_id`].
    pub substation_id: Uuid,
    /// See [`Transformer::name`].
    pub name: String,
    /// See [`Transformer::serial_number`].
    pub serial_number: Option<String>,
    /// See [`Transformer::manufacturer`].
    pub manufacturer: Option<String>,
    /// See [`Transformer::year_manufactured`].
    pub year_manufactured: Option<i32>,
    /// See [`Transformer::capacity_mva`].
    pub capacity_mva: f64,
    /// See [`Transformer::voltage_primary_kv`].
    pub voltage_primary_kv: f64,
    /// See [`Transformer::voltage_secondary_kv`].
    pub voltage_secondary_kv: f64,
    /// See [`Transformer::cooling_type`].
    pub cooling_type: Option<String>,
    /// See [`Transformer::current_load_mva`].
    pub current_load_mva: f64,
    /// See [`Transformer::load_percentage`].
    pub load_percentage: f64,
    /// See [`Transformer::oil_temperature_celsius`].
    pub oil_temperature_celsius: Option<f64>,
    /// See [`Transformer::winding_temperature_celsius`].
    pub winding_temperature_celsius: Option<f64>,
    /// See [`Transformer::oil_level_percentage`].
    pub oil_level_percentage: f64,
    /// See [`Transformer::health_score`].
    pub health_score: f64,
    /// See [`Transformer::estimated_remaining_life_years`].
    pub estimated_remaining_life_years: Option<f64>,
    /// See [`Transformer::failure_probability_7days`].
    pub failure_probability_7days: f64,
    /// See [`Transformer::failure_probability_30days`].
    pub failure_probability_30days: f64,
    /// See [`Transformer::is_operational`].
    pub is_operational: bool,
    /// See [`Transformer::last_maintenance_date`].
    pub last_maintenance_date: Option<DateTime<Utc>>,
    /// See [`Transformer::next_maintenance_date`].
    pub next_maintenance_date: Option<DateTime<Utc>>,
}

impl TransformerDraft {
    /// A draft with the required fields; the rest take the reference's defaults.
    pub fn new(
        substation_id: Uuid,
        name: impl Into<String>,
        capacity_mva: f64,
        voltage_primary_kv: f64,
        voltage_secondary_kv: f64,
    ) -> Self {
        TransformerDraft {
            substation_id,
            name: name.into(),
            serial_number: None,
            manufacturer: None,
            year_manufactured: None,
            capacity_mva,
            voltage_primary_kv,
            voltage_secondary_kv,
            cooling_type: None,
            current_load_mva: 0.0,
            load_percentage: 0.0,
            oil_temperature_celsius: None,
            winding_temperature_celsius: None,
            oil_level_percentage: 100.0,
            health_score: 100.0,
            estimated_remaining_life_years: None,
            failure_probability_7days: 0.0,
            failure_probability_30days: 0.0,
            is_operational: true,
            last_maintenance_date: None,
            next_maintenance_date: None,
        }
    }

    fn validate(&self) -> Result<(), crate::ValidationErrors> {
        Checker::new("transformer")
            .text("name", &self.name, 255)
            .text_opt("serial_number", self.serial_number.as_deref(), 100)
            .text_opt("manufacturer", self.manufacturer.as_deref(), 100)
            .ensure(
                self.year_manufactured
                    .is_none_or(|y| (1880..=2200).contains(&y)),
                "year_manufactured",
                || {
                    format!(
                        "must be a plausible year (got {:?})",
                        self.year_manufactured
                    )
                },
            )
            .positive("capacity_mva", self.capacity_mva)
            .positive("voltage_primary_kv", self.voltage_primary_kv)
            .positive("voltage_secondary_kv", self.voltage_secondary_kv)
            .text_opt("cooling_type", self.cooling_type.as_deref(), 50)
            .non_negative("current_load_mva", self.current_load_mva)
            .range("load_percentage", self.load_percentage, 0.0, 200.0)
            .finite_opt("oil_temperature_celsius", self.oil_temperature_celsius)
            .finite_opt(
                "winding_temperature_celsius",
                self.winding_temperature_celsius,
            )
            .range(
                "oil_level_percentage",
                self.oil_level_percentage,
                0.0,
                100.0,
            )
            .range("health_score", self.health_score, 0.0, 100.0)
            .non_negative_opt(
                "estimated_remaining_life_years",
                self.estimated_remaining_life_years,
            )
            .range(
                "failure_probability_7days",
                self.failure_probability_7days,
                0.0,
                1.0,
            )
            .range(
                "failure_probability_30days",
                self.failure_probability_30days,
                0.0,
                1.0,
            )
            .finish()
    }
}

validated! {
    /// A validated new transformer.
    NewTransformer(TransformerDraft)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transformer_overload_up_to_200_percent_is_recorded() {
        let id = Uuid::new_v4();
        let mut d = TransformerDraft::new(id, "T1", 45.0, 132.0, 33.0);
        d.load_percentage = 135.0;
        assert!(NewTransformer::new(d.clone()).is_ok());
        d.load_percentage = 200.5;
        d.failure_probability_7days = 1.5;
        d.health_score = -1.0;
        let err = NewTransformer::new(d).unwrap_err();
        assert_eq!(
            err.fields(),
            [
                "load_percentage",
                "health_score",
                "failure_probability_7days"
            ]
        );
    }
}
