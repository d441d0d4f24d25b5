//! Monitoring sensors.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::{SensorStatus, SensorType};
use crate::validation::{Checker, empty_object, validated};

/// A monitoring sensor as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensor {
    /// Identifier (what readings reference).
    pub id: Uuid,
    /// The substation it is installed in.
    pub substation_id: Uuid,
    /// The transformer it is mounted on, if any.
    pub transformer_id: Option<Uuid>,
    /// The unique tag, e.g. "SENSOR-NRB-W-001" (stored as `grid_sensors.sensor_id`, the
    /// reference's name; everywhere else in the code the uuid is `sensor_id`).
    pub tag: String,
    /// What it measures.
    pub sensor_type: SensorType,
    /// The device's model designation.
    pub sensor_model: Option<String>,
    /// Who made it.
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
    /// See [`Sensor::tag`].
    pub tag: String,
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
    pub fn new(substation_id: Uuid, tag: impl Into<String>, sensor_type: SensorType) -> Self {
        SensorDraft {
            substation_id,
            transformer_id: None,
            tag: tag.into(),
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

    /// Whether a vibration sensor's `measurement_unit`, when given, is its basis's unit.
    fn unit_fits_basis(&self) -> bool {
        if self.sensor_type != SensorType::Vibration {
            return true;
        }
        let basis = crate::SensorMetadata::from_json(&self.metadata).vibration_basis;
        match (basis, self.measurement_unit.as_deref()) {
            (Some(b), Some(u)) => u.trim() == b.unit(),
            _ => true,
        }
    }

    fn validate(&self) -> Result<(), crate::ValidationErrors> {
        Checker::new("sensor")
            // Named by its stored column, as a database error would name it.
            .text("sensor_id", &self.tag, 100)
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
            .ensure(self.unit_fits_basis(), "measurement_unit", || {
                "a vibration sensor's unit is its basis's (vibration_basis: velocity_rms in mm/s, acceleration in m/s²)".into()
            })
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

#[cfg(test)]
mod vibration_tests {
    use super::*;
    use crate::{SensorMetadata, SensorType, VibrationBasis};

    #[test]
    fn a_vibration_sensor_s_unit_is_its_basis_s() {
        let mut d = SensorDraft::new(Uuid::new_v4(), "T1-VIB", SensorType::Vibration);
        d.metadata = SensorMetadata {
            vibration_basis: Some(VibrationBasis::VelocityRms),
            ..Default::default()
        }
        .to_json();
        d.measurement_unit = Some("mm/s".into());
        assert!(NewSensor::new(d.clone()).is_ok());
        d.measurement_unit = Some("m/s²".into());
        let err = NewSensor::new(d).unwrap_err();
        assert_eq!(err.fields(), ["measurement_unit"]);
        assert_eq!(VibrationBasis::Acceleration.unit(), "m/s²");
    }
}
