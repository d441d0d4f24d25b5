//! Physical bounds: values no sensor of a type can report, refused at ingest.
//!
//! Operating limits ([`crate::limits`]) say when a real value is *abnormal* and flag it;
//! physical bounds say when a value cannot be real at all (a garbled register, a float read
//! in the wrong word order, a calibration typo) and refuse it with a typed reason, so that
//! one such value can neither mislead an operator nor break an aggregate. They are far wider
//! than any operating band. Every stored value is also bounded in magnitude by
//! [`MAX_ABS_VALUE`], which a database CHECK enforces for writes that bypass ingest.
//!
//! A sensor can override its type's bounds with `metadata.physical_bounds =
//! {"min": …, "max": …}` in its own unit; a bound that is not a number, not finite, beyond
//! [`MAX_ABS_VALUE`], or with min ≥ max is a configuration error, and that sensor's readings
//! are refused (reason `InvalidSensorBounds`) until it is fixed: a misconfigured sensor must
//! not silently accept anything.

use std::collections::HashMap;

use grid_model::{SensorMetadata, SensorType};
use serde::{Deserialize, Serialize};

use crate::limits::Band;

/// The largest magnitude any stored `value` or `value_raw` may have. PostgreSQL's `avg()`
/// and `stddev()` over `float8` accumulate squares, which overflow past about 1.3e154; at
/// 1e15, a billion readings' squares still sum far inside `float8`'s range. The migration
/// `reading_value_bounds` holds the same number in its CHECK (a test compares them).
pub const MAX_ABS_VALUE: f64 = 1e15;

/// Why a sensor's own bounds cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("metadata.physical_bounds is invalid: {0}")]
pub struct InvalidBounds(pub String);

/// The physical bounds of each sensor type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhysicalBounds {
    /// Voltage bounds in per unit of the sensor's nominal voltage. Default −0.1…3 pu: an
    /// offset may read a dead line slightly negative; no insulation survives 3 pu for long.
    pub voltage_pu: Band,
    /// Bounds in the sensor's own unit, per type (voltage excluded). A type without an
    /// entry is bounded by [`MAX_ABS_VALUE`] only.
    pub by_type: HashMap<SensorType, Band>,
}

impl Default for PhysicalBounds {
    /// Defaults: frequency 0–100 Hz (twice the 50 Hz nominal); power factor −1.05…1.05
    /// (|pf| ≤ 1, with room for meter rounding; signed conventions exist); temperature and
    /// transformer oil −60…300 °C; vibration −1…1000; current ±1,000,000 A (fault currents
    /// stay below 100 kA); load ±100,000 MW (a national grid is a few GW).
    fn default() -> Self {
        PhysicalBounds {
            voltage_pu: Band::new(-0.1, 3.0),
            by_type: HashMap::from([
                (SensorType::Frequency, Band::new(0.0, 100.0)),
                (SensorType::PowerFactor, Band::new(-1.05, 1.05)),
                (SensorType::Temperature, Band::new(-60.0, 300.0)),
                (SensorType::TransformerOil, Band::new(-60.0, 300.0)),
                (SensorType::Vibration, Band::new(-1.0, 1000.0)),
                (SensorType::Current, Band::new(-1e6, 1e6)),
                (SensorType::Load, Band::new(-1e5, 1e5)),
            ]),
        }
    }
}

/// Bounds no value may leave, whatever its type.
const ANY: Band = Band::new(-MAX_ABS_VALUE, MAX_ABS_VALUE);

impl PhysicalBounds {
    /// The closed range a calibrated value of a sensor of `kind` must lie in; `nominal_kv`
    /// for voltage sensors, `own` from [`PhysicalBounds::own_band`]. Always finite.
    pub fn band_for(&self, kind: SensorType, nominal_kv: Option<f64>, own: Option<Band>) -> Band {
        let b = match (own, kind, nominal_kv) {
            (Some(b), _, _) => b,
            (None, SensorType::Voltage, Some(kv)) => Band {
                min: self.voltage_pu.min.map(|pu| pu * kv),
                max: self.voltage_pu.max.map(|pu| pu * kv),
            },
            (None, k, _) => self.by_type.get(&k).copied().unwrap_or(ANY),
        };
        Band {
            min: Some(b.min.unwrap_or(-MAX_ABS_VALUE).max(-MAX_ABS_VALUE)),
            max: Some(b.max.unwrap_or(MAX_ABS_VALUE).min(MAX_ABS_VALUE)),
        }
    }

    /// A sensor's own bounds from its metadata: `Ok(None)` when it sets none.
    pub fn own_band(metadata: &SensorMetadata) -> Result<Option<Band>, InvalidBounds> {
        let Some(b) = &metadata.physical_bounds else {
            return Ok(None);
        };
        let side = |name: &str| -> Result<Option<f64>, InvalidBounds> {
            match b.get(name) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(v) => {
                    let x = v
                        .as_f64()
                        .ok_or_else(|| InvalidBounds(format!("{name} is not a number: {v}")))?;
                    if !x.is_finite() || x.abs() > MAX_ABS_VALUE {
                        return Err(InvalidBounds(format!(
                            "{name} = {x} is beyond ±{MAX_ABS_VALUE:e}"
                        )));
                    }
                    Ok(Some(x))
                }
            }
        };
        if !b.is_object() {
            return Err(InvalidBounds(format!(
                "expected {{\"min\": …, \"max\": …}}, got {b}"
            )));
        }
        let (min, max) = (side("min")?, side("max")?);
        if let (Some(lo), Some(hi)) = (min, max)
            && lo >= hi
        {
            return Err(InvalidBounds(format!("min {lo} is not below max {hi}")));
        }
        Ok(Some(Band { min, max }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn voltage_is_bounded_by_a_multiple_of_nominal() {
        let b = PhysicalBounds::default().band_for(SensorType::Voltage, Some(132.0), None);
        assert!(!b.excludes(0.0) && !b.excludes(396.0));
        assert!(b.excludes(396.1) && b.excludes(-13.3));
    }

    #[test]
    fn every_type_is_bounded_and_far_wider_than_operating_limits() {
        let phys = PhysicalBounds::default();
        let ops = crate::limits::OperatingLimits::default();
        for &kind in SensorType::ALL {
            let p = phys.band_for(kind, Some(11.0), None);
            assert!(p.min.is_some() && p.max.is_some(), "{kind:?}");
            assert!(p.excludes(1e308) && p.excludes(-1e308), "{kind:?}");
            let o = ops.band_for(kind, Some(11.0), None);
            for edge in [o.min, o.max].into_iter().flatten() {
                assert!(!p.excludes(edge), "{kind:?}: operating edge {edge} refused");
            }
        }
    }

    #[test]
    fn own_bounds_override_and_bad_ones_are_named() {
        let with = |b: serde_json::Value| SensorMetadata {
            physical_bounds: Some(b),
            ..Default::default()
        };
        let own = PhysicalBounds::own_band(&with(json!({"min": 0, "max": 5}))).unwrap();
        let b = PhysicalBounds::default().band_for(SensorType::Load, None, own);
        assert!(b.excludes(5.1) && !b.excludes(5.0));
        assert_eq!(
            PhysicalBounds::own_band(&SensorMetadata::default()).unwrap(),
            None
        );
        for bad in [
            with(json!({"min": 5, "max": 5})),
            with(json!({"min": "low"})),
            with(json!({"max": 1e300})),
            with(json!([0, 1])),
        ] {
            let e = PhysicalBounds::own_band(&bad).unwrap_err();
            assert!(e.to_string().contains("metadata.physical_bounds"), "{e}");
        }
    }
}
