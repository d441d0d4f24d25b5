//! Operating limits: when a reading is out of range.
//!
//! The Kenya Grid Code's exact bands are unconfirmed here, so every limit is configuration
//! with a documented default. Limits for voltage are per unit of each sensor's nominal
//! voltage, which is `metadata.nominal_kv` of the sensor when set (a sensor may sit on a
//! transformer's secondary side) and its substation's `voltage_level_kv` otherwise, and the
//! upper limit depends on the level ([`VoltageLimits`]). Any sensor can override its band
//! with `metadata.limits = {"min": …, "max": …}` in its own unit.

use std::collections::{BTreeMap, HashMap};

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

/// IEC 60038 (Table 3 and 4, series I): the highest voltage for equipment Um of each
/// standard nominal system voltage, kV. Equipment at a level is insulated for Um, so no
/// operating band may allow more.
pub const IEC_60038_UM: [(f64, f64); 14] = [
    (3.3, 3.6),
    (6.6, 7.2),
    (11.0, 12.0),
    (22.0, 24.0),
    (33.0, 36.0),
    (66.0, 72.5),
    (110.0, 123.0),
    (132.0, 145.0),
    (150.0, 170.0),
    (220.0, 245.0),
    (330.0, 362.0),
    (400.0, 420.0),
    (500.0, 550.0),
    (765.0, 800.0),
];

/// The voltage band, per unit of the sensor's nominal voltage, by level.
///
/// - **Lower**: `min_pu` at every level (default 0.90, EN 50160's −10 %).
/// - **Upper**, unless `max_pu_by_level` names the level: at 36 kV and below EN 50160's
///   +10 % (`distribution_max_pu`), capped by Um / nominal; above 36 kV, Um / nominal from
///   IEC 60038 ([`IEC_60038_UM`]): 400 kV 1.050, 220 kV 1.114, 132 kV 1.098, 66 kV 1.098,
///   33 kV 1.091, 11 kV 1.091. A level above 36 kV that the table does not list gets
///   `unlisted_max_pu` (default 1.05, the tightest ratio of the table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoltageLimits {
    /// Lower limit, pu, at every level.
    pub min_pu: f64,
    /// Upper limit at 36 kV and below before the Um cap, pu (EN 50160: 1.10).
    pub distribution_max_pu: f64,
    /// Upper limit of an unlisted level above 36 kV, pu.
    pub unlisted_max_pu: f64,
    /// Upper limits set per nominal level (kV, as written, e.g. `"132"`), pu: they win.
    pub max_pu_by_level: BTreeMap<String, f64>,
}

impl Default for VoltageLimits {
    fn default() -> Self {
        VoltageLimits {
            min_pu: 0.90,
            distribution_max_pu: 1.10,
            unlisted_max_pu: 1.05,
            max_pu_by_level: BTreeMap::new(),
        }
    }
}

impl VoltageLimits {
    /// Um of a nominal level from IEC 60038, when the table lists it.
    pub fn um_kv(nominal_kv: f64) -> Option<f64> {
        IEC_60038_UM
            .iter()
            .find(|(n, _)| (n - nominal_kv).abs() < 1e-6)
            .map(|&(_, um)| um)
    }

    /// The upper limit at `nominal_kv`, pu.
    pub fn max_pu(&self, nominal_kv: f64) -> f64 {
        let key = format!("{nominal_kv}");
        if let Some(&pu) = self.max_pu_by_level.get(&key) {
            return pu;
        }
        let um_pu = Self::um_kv(nominal_kv).map(|um| um / nominal_kv);
        if nominal_kv <= 36.0 {
            um_pu.map_or(self.distribution_max_pu, |u| {
                u.min(self.distribution_max_pu)
            })
        } else {
            um_pu.unwrap_or(self.unlisted_max_pu)
        }
    }

    /// The band in kV at `nominal_kv`.
    pub fn band_kv(&self, nominal_kv: f64) -> Band {
        Band::new(
            self.min_pu * nominal_kv,
            self.max_pu(nominal_kv) * nominal_kv,
        )
    }
}

/// The configured limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatingLimits {
    /// The voltage band per unit of nominal, by level.
    pub voltage: VoltageLimits,
    /// Bands in the sensor's own unit, per type (voltage excluded: see `voltage`).
    pub by_type: HashMap<SensorType, Band>,
}

impl Default for OperatingLimits {
    /// Defaults: voltage per [`VoltageLimits`]; frequency 49.5–50.5 Hz (50 Hz nominal);
    /// power factor 0.85–1.0; temperature −10–110 °C (winding hot spot, IEEE C57.91's 110 °C
    /// reference); transformer oil 0–95 °C (top oil); current and load ≥ 0 (ratings vary by
    /// asset: set `metadata.limits` per sensor). Vibration has no default band: the usual
    /// 7.1 mm/s is ISO 10816-3's zone C/D boundary for rotating machines, and no standard
    /// gives one for a transformer's tank; set `metadata.limits` from the unit's own
    /// commissioning baseline.
    fn default() -> Self {
        let by_type = HashMap::from([
            (SensorType::Frequency, Band::new(49.5, 50.5)),
            (SensorType::PowerFactor, Band::new(0.85, 1.0)),
            (SensorType::Temperature, Band::new(-10.0, 110.0)),
            (SensorType::TransformerOil, Band::new(0.0, 95.0)),
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
            voltage: VoltageLimits::default(),
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
                Some(kv) => self.voltage.band_kv(kv),
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
    fn the_upper_voltage_limit_is_um_at_each_level() {
        let l = OperatingLimits::default();
        // 400 kV: Um 420 kV = 1.05 pu, so a bus at 1.06 pu (424 kV) is out of range, where
        // 1.10 pu would have allowed 440 kV.
        let b = l.band_for(SensorType::Voltage, Some(400.0), None);
        assert!(b.excludes(1.06 * 400.0) && !b.excludes(420.0) && b.excludes(420.1));
        // 132 kV: 145 kV (1.0985 pu), not 1.10 × 132 = 145.2.
        let b = l.band_for(SensorType::Voltage, Some(132.0), None);
        assert!(!b.excludes(145.0) && b.excludes(145.2));
        // Lower band 0.90 pu: 118.8 kV at 132 kV.
        assert!(!b.excludes(118.8) && b.excludes(118.7));
        // 220 kV 245/220 = 1.1136; 66 kV 72.5/66 = 1.0985; 33 kV 36/33 = 1.0909 (below EN
        // 50160's 1.10); 11 kV 12/11 = 1.0909.
        let pu = |kv: f64| l.voltage.max_pu(kv);
        assert!((pu(220.0) - 1.1136).abs() < 1e-4 && (pu(66.0) - 1.0985).abs() < 1e-4);
        assert!((pu(33.0) - 1.0909).abs() < 1e-4 && (pu(11.0) - 1.0909).abs() < 1e-4);
        // At 36 kV and below an unlisted level takes EN 50160's +10 %; above, 1.05.
        assert_eq!((pu(15.0), pu(90.0)), (1.10, 1.05));
        // A level set in the configuration wins.
        let mut custom = VoltageLimits::default();
        custom.max_pu_by_level.insert("132".into(), 1.05);
        assert_eq!(custom.max_pu(132.0), 1.05);
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
        assert_eq!(
            l.band_for(SensorType::Vibration, None, None),
            Band {
                min: None,
                max: None
            },
            "no default band for a transformer's vibration"
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
