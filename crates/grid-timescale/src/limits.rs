//! Operating limits: when a reading is out of range.
//!
//! The Kenya Grid Code's exact bands are unconfirmed here, so every limit is configuration
//! with a documented default. Limits for voltage are per unit of each sensor's nominal
//! voltage, which is `metadata.nominal_kv` of the sensor when set (a sensor may sit on a
//! transformer's secondary side) and its substation's `voltage_level_kv` otherwise. Any
//! sensor can override its band with `metadata.limits = {"min": …, "max": …}` in its own unit.

use std::collections::HashMap;

use grid_model::{SensorMetadata, SensorType};
use serde::{Deserialize, Serialize};

/// An allowed band, inclusive; `None` is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Lowest allowed value.
    pub min: Option<f64>,
    /// Highest allowed value.
    pub max: Option<f64>,
}

impl Band {
    /// A band from `min` to `max`.
    pub const fn new(min: f64, max: f64) -> Band {
        Band {
            min: Some(min),
            max: Some(max),
        }
    }

    /// Whether `v` lies outside the band.
    pub fn excludes(&self, v: f64) -> bool {
        self.min.is_some_and(|m| v < m) || self.max.is_some_and(|m| v > m)
    }
}

/// The configured limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatingLimits {
    /// Voltage band in per unit of nominal. Default 0.90–1.10 pu.
    pub voltage_pu: Band,
    /// Bands in the sensor's own unit, per type (voltage excluded: see `voltage_pu`).
    pub by_type: HashMap<SensorType, Band>,
}

impl Default for OperatingLimits {
    /// Defaults: voltage 0.90–1.10 pu; frequency 49.5–50.5 Hz (50 Hz nominal);
    /// power factor 0.85–1.0; temperature −10–110 °C (winding hot spot, IEEE C57.91's 110 °C
    /// reference); transformer oil 0–95 °C (top oil); vibration 0–7.1 mm/s; current and load
    /// ≥ 0 (ratings vary by asset: set `metadata.limits` per sensor).
    fn default() -> Self {
        let by_type = HashMap::from([
            (SensorType::Frequency, Band::new(49.5, 50.5)),
            (SensorType::PowerFactor, Band::new(0.85, 1.0)),
            (SensorType::Temperature, Band::new(-10.0, 110.0)),
            (SensorType::TransformerOil, Band::new(0.0, 95.0)),
            (SensorType::Vibration, Band::new(0.0, 7.1)),
            (
                SensorType::Current,
                Band {
                    min: Some(0.0),
                    max: None,
                },
            ),
            (
                SensorType::Load,
                Band {
                    min: Some(0.0),
                    max: None,
                },
            ),
        ]);
        OperatingLimits {
            voltage_pu: Band::new(0.90, 1.10),
            by_type,
        }
    }
}

impl OperatingLimits {
    /// The band, in the sensor's unit, for a sensor of `kind` with `nominal_kv` (voltage) and
    /// an optional per-sensor override.
    pub fn band_for(&self, kind: SensorType, nominal_kv: Option<f64>, own: Option<Band>) -> Band {
        if let Some(b) = own {
            return b;
        }
        match kind {
            SensorType::Voltage => match nominal_kv {
                Some(kv) => Band {
                    min: self.voltage_pu.min.map(|pu| pu * kv),
                    max: self.voltage_pu.max.map(|pu| pu * kv),
                },
                None => Band {
                    min: None,
                    max: None,
                },
            },
            k => self.by_type.get(&k).copied().unwrap_or(Band {
                min: None,
                max: None,
            }),
        }
    }

    /// A sensor's own band, from its metadata ([`SensorMetadata::limits`]).
    pub fn own_band(metadata: &SensorMetadata) -> Option<Band> {
        metadata.limits.map(|l| Band {
            min: l.min,
            max: l.max,
        })
    }

    /// A sensor's nominal voltage: its [`SensorMetadata::nominal_kv`], else the substation's
    /// level.
    pub fn nominal_kv(metadata: &SensorMetadata, substation_kv: i32) -> f64 {
        metadata.nominal_kv.unwrap_or(f64::from(substation_kv))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voltage_is_per_unit_of_the_sensors_nominal() {
        let l = OperatingLimits::default();
        let b = l.band_for(SensorType::Voltage, Some(132.0), None);
        assert!(!b.excludes(132.0) && !b.excludes(118.8) && !b.excludes(145.2));
        assert!(b.excludes(118.7) && b.excludes(145.3));
        // An 11 kV secondary-side sensor in a 132 kV substation.
        let meta = SensorMetadata {
            nominal_kv: Some(11.0),
            ..Default::default()
        };
        let kv = OperatingLimits::nominal_kv(&meta, 132);
        assert!(
            !l.band_for(SensorType::Voltage, Some(kv), None)
                .excludes(11.2)
        );
    }

    #[test]
    fn defaults_and_overrides() {
        let l = OperatingLimits::default();
        assert!(l.band_for(SensorType::Frequency, None, None).excludes(49.4));
        assert!(!l.band_for(SensorType::Frequency, None, None).excludes(50.0));
        let own = OperatingLimits::own_band(&SensorMetadata {
            limits: Some(grid_model::MetadataBand {
                min: None,
                max: Some(400.0),
            }),
            ..Default::default()
        });
        let b = l.band_for(SensorType::Current, None, own);
        assert!(b.excludes(401.0) && !b.excludes(-5.0));
    }
}
