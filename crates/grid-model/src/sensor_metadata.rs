//! The keys of `grid_sensors.metadata` this product reads, and what each holds: the one
//! definition every crate asks. Other keys are kept as they are.
//!
//! Reading is per key and forgiving where the product has a fallback (a malformed
//! `nominal_kv` falls back to the substation's level, a malformed `limits` to the type's
//! band), so one bad key never hides the others. `physical_bounds` and `modbus` are handed
//! on as JSON to the crate that checks them and reports a typed error of its own.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a sensor measures where its type alone does not say: for a load sensor, what it
/// covers (summing a substation's load without double counting: an incomer carries the sum
/// of the feeders behind it); for a temperature sensor, where it sits (the thermal model of
/// grid-thermal takes its ambient, top-oil and hot-spot inputs from these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasurementRole {
    /// Measures the whole substation.
    Incomer,
    /// Measures one outgoing feeder.
    Feeder,
    /// Outdoor air temperature at the substation (the transformers' cooling air).
    Ambient,
    /// A transformer's top-oil temperature (the type `transformer_oil` says so too).
    TopOil,
    /// A transformer's winding hot-spot temperature (a fibre-optic probe or a winding
    /// temperature indicator).
    HotSpot,
}

/// What a vibration sensor measures, and so its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VibrationBasis {
    /// Velocity, RMS over the measurement band, mm/s (ISO 20816-1).
    VelocityRms,
    /// Acceleration, m/s².
    Acceleration,
}

impl VibrationBasis {
    /// Its unit as `measurement_unit` spells it.
    pub fn unit(self) -> &'static str {
        match self {
            VibrationBasis::VelocityRms => "mm/s",
            VibrationBasis::Acceleration => "m/s²",
        }
    }
}

/// A band given in metadata; either end may be missing (then the type's end applies).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MetadataBand {
    /// Lower end, in the sensor's unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Upper end, in the sensor's unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// A sensor's metadata, typed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SensorMetadata {
    /// The sensor's own operating band (out of range at ingest, alarms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<MetadataBand>,
    /// The nominal voltage of what a voltage sensor measures, kV (a sensor may sit on a
    /// transformer's secondary); else its substation's level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nominal_kv: Option<f64>,
    /// What a load sensor measures; a sensor without one counts as a feeder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement_role: Option<MeasurementRole>,
    /// The phase a sensor measures where it measures one (e.g. `a`, `b`, `c` or `L1`…):
    /// anomaly detection compares a substation's feeders with its incomers per phase set
    /// only where every sensor of the group names its phase, else the totals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The sensor's own physical bounds (`{"min", "max"}`), checked at ingest by
    /// grid-timescale, which refuses a bad one with a typed reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_bounds: Option<Value>,
    /// Where a Modbus poller reads the sensor, decoded (and checked) by grid-scada.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modbus: Option<Value>,
    /// What a vibration sensor measures (velocity RMS or acceleration), and so its unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vibration_basis: Option<VibrationBasis>,
    /// Every other key, as stored.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl SensorMetadata {
    /// Reads stored metadata; each known key that does not parse is left unset (see the
    /// module's note) and everything else is kept in [`other`](Self::other).
    pub fn from_json(value: &Value) -> SensorMetadata {
        let Value::Object(map) = value else {
            return SensorMetadata::default();
        };
        let mut other = map.clone();
        let mut take = |key: &str| other.remove(key);
        // Each end on its own: an end that is not a number is as good as absent.
        let limits = take(keys::LIMITS).map(|l| MetadataBand {
            min: l.get("min").and_then(Value::as_f64),
            max: l.get("max").and_then(Value::as_f64),
        });
        let nominal_kv = take(keys::NOMINAL_KV).and_then(|v| v.as_f64());
        let measurement_role =
            take(keys::MEASUREMENT_ROLE).and_then(|v| serde_json::from_value(v).ok());
        let phase = take(keys::PHASE)
            .and_then(|v| v.as_str().map(str::trim).map(str::to_owned))
            .filter(|p| !p.is_empty());
        let physical_bounds = take(keys::PHYSICAL_BOUNDS);
        let modbus = take(keys::MODBUS);
        let vibration_basis =
            take(keys::VIBRATION_BASIS).and_then(|v| serde_json::from_value(v).ok());
        SensorMetadata {
            limits,
            nominal_kv,
            measurement_role,
            phase,
            physical_bounds,
            modbus,
            vibration_basis,
            other,
        }
    }

    /// The JSON object to store.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| Value::Object(Map::new()))
    }

    /// The role a load sensor counts with ([`MeasurementRole::Feeder`] unless set).
    pub fn role(&self) -> MeasurementRole {
        self.measurement_role.unwrap_or(MeasurementRole::Feeder)
    }
}

/// The key names, spelled once: serde derives the same names from the fields above (a test
/// holds the two together); these are for code that must name a key itself.
mod keys {
    pub(super) const LIMITS: &str = "limits";
    pub(super) const NOMINAL_KV: &str = "nominal_kv";
    pub(super) const MEASUREMENT_ROLE: &str = "measurement_role";
    pub(super) const PHASE: &str = "phase";
    pub(super) const PHYSICAL_BOUNDS: &str = "physical_bounds";
    pub(super) const MODBUS: &str = "modbus";
    pub(super) const VIBRATION_BASIS: &str = "vibration_basis";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_names_are_the_field_names() {
        let full = SensorMetadata {
            limits: Some(MetadataBand::default()),
            nominal_kv: Some(11.0),
            measurement_role: Some(MeasurementRole::Incomer),
            phase: Some("a".into()),
            physical_bounds: Some(Value::Null),
            modbus: Some(Value::Null),
            vibration_basis: Some(VibrationBasis::VelocityRms),
            other: Map::new(),
        };
        let json = full.to_json();
        let mut names: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        names.sort();
        let mut expected = [
            keys::LIMITS,
            keys::NOMINAL_KV,
            keys::MEASUREMENT_ROLE,
            keys::PHASE,
            keys::PHYSICAL_BOUNDS,
            keys::MODBUS,
            keys::VIBRATION_BASIS,
        ];
        expected.sort();
        assert_eq!(names, expected);
        assert_eq!(SensorMetadata::from_json(&json), full);
    }

    #[test]
    fn a_bad_key_leaves_the_others_readable() {
        let m = SensorMetadata {
            nominal_kv: Some(33.0),
            ..Default::default()
        };
        let mut json = m.to_json();
        json.as_object_mut()
            .unwrap()
            .insert(keys::MEASUREMENT_ROLE.into(), Value::from("busbar"));
        json.as_object_mut()
            .unwrap()
            .insert("vendor".into(), Value::from("ABB"));
        let read = SensorMetadata::from_json(&json);
        assert_eq!(read.nominal_kv, Some(33.0));
        assert_eq!(read.role(), MeasurementRole::Feeder);
        assert_eq!(read.other["vendor"], "ABB");
        assert_eq!(
            SensorMetadata::from_json(&Value::Null),
            SensorMetadata::default()
        );
    }
}
