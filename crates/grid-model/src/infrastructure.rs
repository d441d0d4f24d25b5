//! Substations, transformers and sensors.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::{GridZone, SensorStatus, SensorType};
use crate::validation::{Checker, validated};

/// Voltage levels of the Kenyan grid, kV: distribution 11/33/66, transmission 132/220/400.
pub const VOLTAGE_LEVELS_KV: [i32; 6] = [11, 33, 66, 132, 220, 400];

fn empty_object() -> Value {
    Value::Object(Default::default())
}

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

/// A monitoring sensor as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensor {
    /// Identifier (what readings reference).
    pub id: Uuid,
    /// The substation it is installed in.
    pub substation_id: Uuid,
    /// The transformer it is mounted on, if any.
    pub transformer_id: Option<Uuid>,
    /// The unique tag, e.g. "SENSOR-NRB-W-001".
    pub sensor_id: String,
    /// What it measures.
    pub sensor_type: SensorType,
    /// Model.
    pub sensor_model: Option<String>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Where it is mounted.
    pub location_description: Option<String>,
    /// Installation date.
    pub installation_date: Option<DateTime<Utc>>,
    /// Unit of its values: kV, A, Hz, °C, MW…
    pub measurement_unit: Option<String>,
    /// Samples per second (> 0).
    pub sampling_rate_hz: f64,
    /// Decimals reported, 0..=15.
    pub precision_decimals: i32,
    /// Added after scaling: value = raw × scale + offset.
    pub calibration_offset: f64,
    /// Multiplies the raw value; never 0.
    pub calibration_scale: f64,
    /// Last calibration.
    pub last_calibration_date: Option<DateTime<Utc>>,
    /// Next calibration due.
    pub next_calibration_date: Option<DateTime<Utc>>,
    /// Operational status.
    pub status: SensorStatus,
    /// Critical for grid operation.
    pub is_critical: bool,
    /// Device address.
    pub ip_address: Option<IpAddr>,
    /// Device port, 1..=65535.
    pub port: Option<i32>,
    /// Protocol: Modbus, DNP3, IEC 61850…
    pub protocol: Option<String>,
    /// Free-form attributes (a JSON object).
    pub metadata: Value,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row's content last changed (not moved by new readings).
    pub updated_at: DateTime<Utc>,
    /// Time of the newest reading stored (moves forward only).
    pub last_reading_at: Option<DateTime<Utc>>,
}

/// The fields of a new sensor, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorDraft {
    /// See [`Sensor::substation_id`].
    pub substation_id: Uuid,
    /// See [`Sensor::transformer_id`].
    pub transformer_id: Option<Uuid>,
    /// See [`Sensor::sensor_id`].
    pub sensor_id: String,
    /// See [`Sensor::sensor_type`].
    pub sensor_type: SensorType,
    /// See [`Sensor::sensor_model`].
    pub sensor_model: Option<String>,
    /// See [`Sensor::manufacturer`].
    pub manufacturer: Option<String>,
    /// See [`Sensor::location_description`].
    pub location_description: Option<String>,
    /// See [`Sensor::installation_date`].
    pub installation_date: Option<DateTime<Utc>>,
    /// See [`Sensor::measurement_unit`].
    pub measurement_unit: Option<String>,
    /// See [`Sensor::sampling_rate_hz`].
    pub sampling_rate_hz: f64,
    /// See [`Sensor::precision_decimals`].
    pub precision_decimals: i32,
    /// See [`Sensor::calibration_offset`].
    pub calibration_offset: f64,
    /// See [`Sensor::calibration_scale`].
    pub calibration_scale: f64,
    /// See [`Sensor::last_calibration_date`].
    pub last_calibration_date: Option<DateTime<Utc>>,
    /// See [`Sensor::next_calibration_date`].
    pub next_calibration_date: Option<DateTime<Utc>>,
    /// See [`Sensor::status`].
    pub status: SensorStatus,
    /// See [`Sensor::is_critical`].
    pub is_critical: bool,
    /// See [`Sensor::ip_address`].
    pub ip_address: Option<IpAddr>,
    /// See [`Sensor::port`].
    pub port: Option<i32>,
    /// See [`Sensor::protocol`].
    pub protocol: Option<String>,
    /// See [`Sensor::metadata`].
    pub metadata: Value,
}

impl SensorDraft {
    /// A draft with the required fields; the rest take the reference's defaults.
    pub fn new(substation_id: Uuid, sensor_id: impl Into<String>, sensor_type: SensorType) -> Self {
        SensorDraft {
            substation_id,
            transformer_id: None,
            sensor_id: sensor_id.into(),
            sensor_type,
            sensor_model: None,
            manufacturer: None,
            location_description: None,
            installation_date: None,
            measurement_unit: None,
            sampling_rate_hz: 1.0,
            precision_decimals: 2,
            calibration_offset: 0.0,
            calibration_scale: 1.0,
            last_calibration_date: None,
            next_calibration_date: None,
            status: SensorStatus::Active,
            is_critical: false,
            ip_address: None,
            port: None,
            protocol: None,
            metadata: empty_object(),
        }
    }

    fn validate(&self) -> Result<(), crate::ValidationErrors> {
        Checker::new("sensor")
            .text("sensor_id", &self.sensor_id, 100)
            .text_opt("sensor_model", self.sensor_model.as_deref(), 100)
            .text_opt("manufacturer", self.manufacturer.as_deref(), 100)
            .text_opt(
                "location_description",
                self.location_description.as_deref(),
                255,
            )
            .text_opt("measurement_unit", self.measurement_unit.as_deref(), 20)
            .positive("sampling_rate_hz", self.sampling_rate_hz)
            .ensure(
                (0..=15).contains(&self.precision_decimals),
                "precision_decimals",
                || format!("must be within 0..=15 (got {})", self.precision_decimals),
            )
            .finite("calibration_offset", self.calibration_offset)
            .ensure(
                self.calibration_scale.is_finite() && self.calibration_scale != 0.0,
                "calibration_scale",
                || format!("must be finite and not 0 (got {})", self.calibration_scale),
            )
            .ensure(
                self.port.is_none_or(|p| (1..=65535).contains(&p)),
                "port",
                || format!("must be within 1..=65535 (got {:?})", self.port),
            )
            .text_opt("protocol", self.protocol.as_deref(), 50)
            .object("metadata", &self.metadata)
            .finish()
    }
}

validated! {
    /// A validated new sensor.
    NewSensor(SensorDraft)
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

    #[test]
    fn sensor_scale_port_and_rate_are_checked() {
        let mut d = SensorDraft::new(Uuid::new_v4(), "S-1", SensorType::Voltage);
        d.calibration_scale = 0.0;
        d.port = Some(70000);
        d.sampling_rate_hz = 0.0;
        let err = NewSensor::new(d.clone()).unwrap_err();
        assert_eq!(
            err.fields(),
            ["sampling_rate_hz", "calibration_scale", "port"]
        );
        d.calibration_scale = -2.0;
        d.port = Some(502);
        d.sampling_rate_hz = 1.0 / 60.0;
        assert!(NewSensor::new(d).is_ok());
    }
}
