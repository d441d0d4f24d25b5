//! Operating limits: when a reading is out of range.
//!
//! The Kenya Grid Code's exact bands are unconfirmed here, so every limit is configuration
//! with a documented default. Limits for voltage are per unit of each sensor's nominal
//! voltage, which is `metadata.nominal_kv` of the sensor when set (a sensor may sit on a
//! transformer's secondary side) and its substation's `voltage_level_kv` otherwise, in four
//! grades per level inside Um ([`VoltageLimits`]). Any sensor can override its band
//! with `metadata.limits = {"min": …, "max": …}` in its own unit.

use std::collections::{BTreeMap, HashMap};

use grid_model::alarm::GradedLimits;
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

/// A band per unit of nominal: its lower and upper limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PuBand {
    /// Lower limit, pu.
    pub lo: f64,
    /// Upper limit, pu.
    pub hi: f64,
}

/// The voltage limits per unit of the sensor's nominal voltage, by level, in four grades:
/// the **statutory** band (Lo, Hi), which a reading is out of range beyond, and the
/// **emergency** band (LoLo, HiHi), each limit inside the insulation's design maximum Um
/// (IEC 60038) so that an alarm warns before Um, never at it:
///
/// - HiHi = Um / nominal − `margin_pu` (default margin 0.5 % of nominal: 400 kV → 418 kV);
/// - Hi = the statutory upper limit, at most HiHi − `margin_pu` (400 kV → 416 kV);
/// - Lo = the statutory lower limit; LoLo = the emergency lower limit.
///
/// Statutory bands: transmission (132 kV and above) ±5 % (`transmission`), distribution
/// (below 132 kV) EN 50160's ±10 % (`distribution`); emergency lower limits 0.90 pu at
/// transmission and 0.85 pu at distribution levels (this project's defaults: the Kenya Grid
/// Code's and the 2021 Regulations' figures are unconfirmed here, so all are configuration).
/// `by_level` sets any limit of a level (kV as written, e.g. `"132"`), pu; a limit at or
/// above Um, or a HiHi above Um − margin, is refused by [`VoltageLimits::validate`]. A level
/// IEC 60038 does not list takes Um = `unlisted_um_pu` × nominal (1.10 at 36 kV and below,
/// EN 50160's; 1.05 above, the table's tightest ratio).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoltageLimits {
    /// The statutory band at 132 kV and above, pu.
    pub transmission: PuBand,
    /// The statutory band below 132 kV, pu.
    pub distribution: PuBand,
    /// LoLo at 132 kV and above, pu.
    pub transmission_emergency_lo: f64,
    /// LoLo below 132 kV, pu.
    pub distribution_emergency_lo: f64,
    /// The margin kept below Um (HiHi) and between HiHi and Hi, pu.
    pub margin_pu: f64,
    /// Um / nominal of a level IEC 60038 does not list, above 36 kV.
    pub unlisted_um_pu: f64,
    /// Limits set per nominal level (kV as written), pu: they win over the rules above.
    pub by_level: BTreeMap<String, LevelLimits>,
}

/// Limits of one level, pu; each optional (unset: the rules' value).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LevelLimits {
    /// LoLo, pu.
    pub lolo: Option<f64>,
    /// Lo, pu.
    pub lo: Option<f64>,
    /// Hi, pu.
    pub hi: Option<f64>,
    /// HiHi, pu.
    pub hihi: Option<f64>,
}

impl Default for VoltageLimits {
    fn default() -> Self {
        VoltageLimits {
            transmission: PuBand { lo: 0.95, hi: 1.05 },
            distribution: PuBand { lo: 0.90, hi: 1.10 },
            transmission_emergency_lo: 0.90,
            distribution_emergency_lo: 0.85,
            margin_pu: 0.005,
            unlisted_um_pu: 1.05,
            by_level: BTreeMap::new(),
        }
    }
}

/// The lowest transmission level: its statutory band is the transmission one.
pub const TRANSMISSION_KV: f64 = 132.0;

impl VoltageLimits {
    /// Um of a nominal level from IEC 60038, when the table lists it.
    pub fn um_kv(nominal_kv: f64) -> Option<f64> {
        IEC_60038_UM
            .iter()
            .find(|(n, _)| (n - nominal_kv).abs() < 1e-6)
            .map(|&(_, um)| um)
    }

    /// Um / nominal at `nominal_kv`: IEC 60038's, else the unlisted ratio.
    pub fn um_pu(&self, nominal_kv: f64) -> f64 {
        Self::um_kv(nominal_kv).map_or(
            if nominal_kv <= 36.0 {
                1.10
            } else {
                self.unlisted_um_pu
            },
            |um| um / nominal_kv,
        )
    }

    fn level(&self, nominal_kv: f64) -> LevelLimits {
        self.by_level
            .get(&format!("{nominal_kv}"))
            .copied()
            .unwrap_or_default()
    }

    /// The four limits at `nominal_kv`, pu.
    pub fn graded_pu(&self, nominal_kv: f64) -> GradedLimits {
        let own = self.level(nominal_kv);
        let (band, emergency_lo) = if nominal_kv >= TRANSMISSION_KV {
            (self.transmission, self.transmission_emergency_lo)
        } else {
            (self.distribution, self.distribution_emergency_lo)
        };
        let hihi = own.hihi.unwrap_or(self.um_pu(nominal_kv) - self.margin_pu);
        let hi = own.hi.unwrap_or(band.hi.min(hihi - self.margin_pu));
        GradedLimits {
            lolo: Some(own.lolo.unwrap_or(emergency_lo)),
            lo: Some(own.lo.unwrap_or(band.lo)),
            hi: Some(hi),
            hihi: Some(hihi),
        }
    }

    /// The four limits at `nominal_kv`, kV.
    pub fn graded_kv(&self, nominal_kv: f64) -> GradedLimits {
        let pu = self.graded_pu(nominal_kv);
        let kv = |v: Option<f64>| v.map(|v| v * nominal_kv);
        GradedLimits {
            lolo: kv(pu.lolo),
            lo: kv(pu.lo),
            hi: kv(pu.hi),
            hihi: kv(pu.hihi),
        }
    }

    /// The statutory band (Lo, Hi) in kV at `nominal_kv`: out of range beyond it.
    pub fn band_kv(&self, nominal_kv: f64) -> Band {
        let g = self.graded_kv(nominal_kv);
        Band {
            min: g.lo,
            max: g.hi,
        }
    }

    /// Checks every level IEC 60038 lists and every level set in `by_level`: each limit
    /// below Um, HiHi at most Um − margin, the four in order. The error names the key
    /// (`limits.voltage.…`) and the bound.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("margin_pu", self.margin_pu),
            ("unlisted_um_pu", self.unlisted_um_pu),
            ("transmission_emergency_lo", self.transmission_emergency_lo),
            ("distribution_emergency_lo", self.distribution_emergency_lo),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(format!(
                    "limits.voltage.{name}: {v} is not a finite value ≥ 0"
                ));
            }
        }
        let mut levels: Vec<f64> = IEC_60038_UM.iter().map(|(n, _)| *n).collect();
        for key in self.by_level.keys() {
            match key.parse::<f64>() {
                Ok(kv) if kv > 0.0 && kv.is_finite() => levels.push(kv),
                _ => {
                    return Err(format!(
                        "limits.voltage.by_level.{key}: not a nominal level in kV"
                    ));
                }
            }
        }
        for kv in levels {
            let key = if self.by_level.contains_key(&format!("{kv}")) {
                format!("limits.voltage.by_level.{kv}")
            } else {
                format!("limits.voltage (at {kv} kV)")
            };
            let um = self.um_pu(kv);
            let g = self.graded_pu(kv);
            for (grade, v) in [
                ("lolo", g.lolo),
                ("lo", g.lo),
                ("hi", g.hi),
                ("hihi", g.hihi),
            ] {
                if let Some(v) = v
                    && (!v.is_finite() || v <= 0.0 || v >= um)
                {
                    return Err(format!(
                        "{key}.{grade}: {:.4} pu ({:.2} kV) is not below Um {:.2} kV (IEC 60038)",
                        v,
                        v * kv,
                        um * kv
                    ));
                }
            }
            if let Some(hihi) = g.hihi
                && hihi > um - self.margin_pu + 1e-12
            {
                return Err(format!(
                    "{key}.hihi: {:.2} kV is above Um {:.2} kV less the margin ({:.2} kV)",
                    hihi * kv,
                    um * kv,
                    self.margin_pu * kv
                ));
            }
            g.validate().map_err(|e| format!("{key}: {e}"))?;
        }
        Ok(())
    }
}

/// The configured limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
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

    /// The graded limits of a sensor (its alarm's): voltage in four grades per level
    /// ([`VoltageLimits::graded_kv`]); any other type, and a sensor's own band, as Lo and Hi
    /// only (no standard this project can cite gives their emergency band).
    pub fn graded_for(
        &self,
        kind: SensorType,
        nominal_kv: Option<f64>,
        own: Option<Band>,
    ) -> GradedLimits {
        match (kind, nominal_kv, own) {
            (SensorType::Voltage, Some(kv), None) => self.voltage.graded_kv(kv),
            _ => {
                let b = self.band_for(kind, nominal_kv, own);
                GradedLimits {
                    lo: b.min,
                    hi: b.max,
                    ..Default::default()
                }
            }
        }
    }

    /// Checks the limits: the voltage levels ([`VoltageLimits::validate`]) and every band
    /// ordered; the error names the key.
    pub fn validate(&self) -> Result<(), String> {
        self.voltage.validate()?;
        for (kind, b) in &self.by_type {
            if let (Some(lo), Some(hi)) = (b.min, b.max)
                && lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less)
            {
                return Err(format!(
                    "limits.by_type.{kind}: min {lo} must be below max {hi}"
                ));
            }
        }
        Ok(())
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
mod tests;
