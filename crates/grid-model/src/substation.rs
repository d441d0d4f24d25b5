//! Substations and the grid's voltage levels.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::GridZone;
use crate::validation::{Checker, empty_object, validated};

/// Voltage levels of the Kenyan grid, kV: distribution 11/33/66, transmission 132/220/400.
pub const VOLTAGE_LEVELS_KV: [i32; 6] = [11, 33, 66, 132, 220, 400];

/// A substation as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Substation {
    /// Identifier.
    pub id: Uuid,
    /// Unique name, e.g. "Nairobi West Substation".
    pub name: String,
    /// Unique code, e.g. "NRB-WEST-001".
    pub code: String,
    /// Grid zone.
    pub zone: GridZone,
    /// Degrees, −90..=90.
    pub latitude: f64,
    /// Degrees, −180..=180.
    pub longitude: f64,
    /// Street address.
    pub address: Option<String>,
    /// County.
    pub county: Option<String>,
    /// Highest voltage level, kV (one of [`VOLTAGE_LEVELS_KV`]).
    pub voltage_level_kv: i32,
    /// Rating, MVA.
    pub capacity_mva: f64,
    /// Number of transformers (as recorded; the transformer rows are authoritative).
    pub num_transformers: i32,
    /// Number of outgoing feeders.
    pub num_feeders: i32,
    /// Customers supplied through this substation: N_T of SAIDI/SAIFI.
    pub customers_served: i32,
    /// In service.
    pub is_active: bool,
    /// Commissioning date.
    pub commissioned_date: Option<DateTime<Utc>>,
    /// Last maintenance.
    pub last_maintenance_date: Option<DateTime<Utc>>,
    /// Free-form attributes (a JSON object).
    pub metadata: Value,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row's content last changed (kept by the database).
    pub updated_at: DateTime<Utc>,
}

/// The fields of a new substation, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubstationDraft {
    /// See [`Substation::name`].
    pub name: String,
    /// See [`Substation::code`].
    pub code: String,
    /// See [`Substation::zone`].
    pub zone: GridZone,
    /// See [`Substation::latitude`].
    pub latitude: f64,
    /// See [`Substation::longitude`].
    pub longitude: f64,
    /// See [`Substation::address`].
    pub address: Option<String>,
    /// See [`Substation::county`].
    pub county: Option<String>,
    /// See [`Substation::voltage_level_kv`].
    pub voltage_level_kv: i32,
    /// See [`Substation::capacity_mva`].
    pub capacity_mva: f64,
    /// See [`Substation::num_transformers`].
    pub num_transformers: i32,
    /// See [`Substation::num_feeders`].
    pub num_feeders: i32,
    /// See [`Substation::customers_served`].
    pub customers_served: i32,
    /// See [`Substation::is_active`].
    pub is_active: bool,
    /// See [`Substation::commissioned_date`].
    pub commissioned_date: Option<DateTime<Utc>>,
    /// See [`Substation::last_maintenance_date`].
    pub last_maintenance_date: Option<DateTime<Utc>>,
    /// See [`Substation::metadata`].
    pub metadata: Value,
}

impl SubstationDraft {
    /// A draft with the required fields; the rest take the reference's defaults.
    pub fn new(
        name: impl Into<String>,
        code: impl Into<String>,
        zone: GridZone,
        (latitude, longitude): (f64, f64),
        voltage_level_kv: i32,
        capacity_mva: f64,
    ) -> Self {
        SubstationDraft {
            name: name.into(),
            code: code.into(),
            zone,
            latitude,
            longitude,
            address: None,
            county: None,
            voltage_level_kv,
            capacity_mva,
            num_transformers: 0,
            num_feeders: 0,
            customers_served: 0,
            is_active: true,
            commissioned_date: None,
            last_maintenance_date: None,
            metadata: empty_object(),
        }
    }

    fn validate(&self) -> Result<(), crate::ValidationErrors> {
        Checker::new("substation")
            .text("name", &self.name, 255)
            .text("code", &self.code, 50)
            .range("latitude", self.latitude, -90.0, 90.0)
            .range("longitude", self.longitude, -180.0, 180.0)
            .text_opt("address", self.address.as_deref(), 500)
            .text_opt("county", self.county.as_deref(), 100)
            .ensure(
                VOLTAGE_LEVELS_KV.contains(&self.voltage_level_kv),
                "voltage_level_kv",
                || {
                    format!(
                        "must be one of {VOLTAGE_LEVELS_KV:?} kV (got {})",
                        self.voltage_level_kv
                    )
                },
            )
            .positive("capacity_mva", self.capacity_mva)
            .count("num_transformers", self.num_transformers)
            .count("num_feeders", self.num_feeders)
            .count("customers_served", self.customers_served)
            .object("metadata", &self.metadata)
            .finish()
    }
}

validated! {
    /// A validated new substation.
    NewSubstation(SubstationDraft)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nairobi_west() -> SubstationDraft {
        SubstationDraft::new(
            "Nairobi West Substation",
            "NRB-WEST-001",
            GridZone::Nairobi,
            (-1.3031, 36.7833),
            220,
            100.0,
        )
    }

    #[test]
    fn a_good_substation_passes() {
        let s = NewSubstation::new(nairobi_west()).unwrap();
        assert_eq!(s.code, "NRB-WEST-001");
    }

    #[test]
    fn every_offending_substation_field_is_listed() {
        let mut d = nairobi_west();
        d.latitude = 91.0;
        d.longitude = f64::NAN;
        d.voltage_level_kv = 110;
        d.capacity_mva = 0.0;
        d.customers_served = -1;
        d.name = "  ".into();
        d.metadata = serde_json::json!([1]);
        let err = NewSubstation::new(d).unwrap_err();
        assert_eq!(
            err.fields(),
            [
                "name",
                "latitude",
                "longitude",
                "voltage_level_kv",
                "capacity_mva",
                "customers_served",
                "metadata"
            ]
        );
        assert!(
            err.to_string()
                .starts_with("invalid substation: name: must not be empty")
        );
    }
}
