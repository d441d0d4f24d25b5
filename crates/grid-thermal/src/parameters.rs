//! A transformer's thermal parameters: the cooling mode's defaults, overridden by what is
//! stored for the transformer (its heat-run test report).
//!
//! # The default table and where each value comes from
//!
//! | mode | C57.91 n | C57.91 m | IEC x | IEC y | k11 | k21 | k22 | τ_o, min | τ_w, min |
//! |---|---|---|---|---|---|---|---|---|---|
//! | ONAN | 0.8 | 0.8 | 0.8 | 1.3 | 0.5 | 2.0 | 2.0 | 210 | 10 |
//! | ONAF | 0.9 | 0.8 | 0.8 | 1.3 | 0.5 | 2.0 | 2.0 | 150 | 7 |
//! | OF (non-directed) | 0.9 | 0.8 | 1.0 | 1.3 | 1.0 | 1.3 | 1.0 | 90 | 7 |
//! | OD (directed) | 1.0 | 1.0 | 1.0 | 2.0 | 1.0 | 1.0 | 1.0 | 90 | 7 |
//!
//! - n and m: IEEE C57.91-2011 clause 7, the table of exponents per cooling mode.
//! - x, y, k11, k21, k22, τ_o, τ_w: IEC 60076-7:2018 Table 5 (recommended thermal
//!   characteristics of medium and large power transformers), as commonly quoted. C57.91 has
//!   no default time constants (clause 7 derives τ_TO,R from the unit's heat capacity), so
//!   the C57.91 model uses the same τ_o (as τ_TO,R) and τ_w.
//! - Rated rises, every mode: top oil 55 K and hot-spot over top oil 25 K. Together they
//!   are the 80 K hot-spot rise of a 65 °C average-winding-rise transformer, which puts the
//!   hot-spot at the 110 °C reference of C57.91 clause 5 at rated load and 30 °C ambient;
//!   the split is a typical one, not a standard's. Set the unit's heat-run figures.
//! - R (load losses over no-load losses at rated load) = 6: a typical value for large
//!   units (IEC 60076-7 Table 5 quotes 5–8), not a standard's.
//! - Normal insulation life: 180,000 h at the reference hot-spot (C57.91-2011 Table 2,
//!   the benchmark it recommends; IEC 60076-7 uses the same figure for upgraded paper).

use grid_model::{InsulationPaper, ThermalMethod, ThermalParameters};
use serde::{Deserialize, Serialize};

use crate::error::ThermalError;

/// Default top-oil rise over ambient at rated load, K (see the module's notes).
pub const RATED_TOP_OIL_RISE_K: f64 = 55.0;

/// Default hot-spot rise over top oil at rated load, K (see the module's notes).
pub const RATED_HOT_SPOT_GRADIENT_K: f64 = 25.0;

/// Default ratio of load losses to no-load losses at rated load (see the module's notes).
pub const LOSS_RATIO: f64 = 6.0;

/// Normal insulation life at the reference hot-spot temperature, hours (C57.91-2011 Table 2).
pub const NORMAL_INSULATION_LIFE_HOURS: f64 = 180_000.0;

/// The cooling modes the default table covers, from the IEC 60076-2 four-letter code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CoolingMode {
    /// Natural oil flow, natural air (ONAN).
    Onan,
    /// Natural oil flow, forced air (ONAF).
    Onaf,
    /// Forced, non-directed oil flow (OFAN, OFAF, OFWF).
    Of,
    /// Forced, directed oil flow (ODAN, ODAF, ODWF).
    Od,
}

impl CoolingMode {
    /// Reads an IEC 60076-2 cooling code (case and surrounding spaces ignored): the second
    /// letter is the oil flow (N natural, F forced, D directed), the fourth the air or water
    /// flow. Anything else is `None`.
    pub fn parse(code: &str) -> Option<CoolingMode> {
        let code = code.trim().to_ascii_uppercase();
        let b = code.as_bytes();
        if b.len() != 4 || !matches!(b[0], b'O' | b'K' | b'L') || !matches!(b[2], b'A' | b'W') {
            return None;
        }
        match (b[1], b[3]) {
            (b'N', b'N') => Some(CoolingMode::Onan),
            (b'N', b'F') => Some(CoolingMode::Onaf),
            (b'F', b'N' | b'F') => Some(CoolingMode::Of),
            (b'D', b'N' | b'F') => Some(CoolingMode::Od),
            _ => None,
        }
    }
}

/// Every value a thermal model needs, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelParameters {
    /// Which model runs.
    pub method: ThermalMethod,
    /// Which ageing law applies.
    pub insulation: InsulationPaper,
    /// Top-oil rise over ambient at rated load, K.
    pub rated_top_oil_rise_k: f64,
    /// Hot-spot rise over top oil at rated load, K.
    pub rated_hot_spot_gradient_k: f64,
    /// Load losses over no-load losses at rated load (R).
    pub loss_ratio: f64,
    /// Oil exponent (n or x).
    pub oil_exponent: f64,
    /// Winding exponent (C57.91 m, used as K^2m; IEC y, used as K^y).
    pub winding_exponent: f64,
    /// Oil time constant, minutes.
    pub oil_time_constant_min: f64,
    /// Winding time constant, minutes.
    pub winding_time_constant_min: f64,
    /// IEC k11.
    pub k11: f64,
    /// IEC k21.
    pub k21: f64,
    /// IEC k22.
    pub k22: f64,
    /// Normal insulation life, hours.
    pub normal_life_hours: f64,
}

impl ModelParameters {
    /// The default table's values for `mode` (see the module's table).
    pub fn defaults(mode: CoolingMode, method: ThermalMethod) -> ModelParameters {
        // (C57 n, C57 m, IEC x, IEC y, k11, k21, k22, τ_o, τ_w)
        let (n, m, x, y, k11, k21, k22, tau_o, tau_w) = match mode {
            CoolingMode::Onan => (0.8, 0.8, 0.8, 1.3, 0.5, 2.0, 2.0, 210.0, 10.0),
            CoolingMode::Onaf => (0.9, 0.8, 0.8, 1.3, 0.5, 2.0, 2.0, 150.0, 7.0),
            CoolingMode::Of => (0.9, 0.8, 1.0, 1.3, 1.0, 1.3, 1.0, 90.0, 7.0),
            CoolingMode::Od => (1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0, 90.0, 7.0),
        };
        let (oil_exponent, winding_exponent) = match method {
            ThermalMethod::IeeeC5791 => (n, m),
            ThermalMethod::Iec600767 => (x, y),
        };
        ModelParameters {
            method,
            insulation: InsulationPaper::ThermallyUpgraded,
            rated_top_oil_rise_k: RATED_TOP_OIL_RISE_K,
            rated_hot_spot_gradient_k: RATED_HOT_SPOT_GRADIENT_K,
            loss_ratio: LOSS_RATIO,
            oil_exponent,
            winding_exponent,
            oil_time_constant_min: tau_o,
            winding_time_constant_min: tau_w,
            k11,
            k21,
            k22,
            normal_life_hours: NORMAL_INSULATION_LIFE_HOURS,
        }
    }

    /// The parameters of a transformer with stored cooling type `cooling_type` and stored
    /// parameters `stored`: each stored value overrides the default of the cooling mode. An
    /// unknown cooling type is an error unless `stored` gives every value the method needs.
    pub fn resolve(
        cooling_type: Option<&str>,
        stored: Option<&ThermalParameters>,
    ) -> Result<ModelParameters, ThermalError> {
        let method = stored.map_or(ThermalMethod::IeeeC5791, |s| s.method);
        let base = cooling_type
            .and_then(CoolingMode::parse)
            .map(|m| ModelParameters::defaults(m, method));
        let mut missing = Vec::new();
        // The stored value, else the mode's default, else missing.
        let mut pick = |name: &'static str,
                        stored_value: fn(&ThermalParameters) -> Option<f64>,
                        default: fn(&ModelParameters) -> f64| {
            stored
                .and_then(stored_value)
                .or(base.as_ref().map(default))
                .unwrap_or_else(|| {
                    missing.push(name);
                    f64::NAN
                })
        };
        let rated_top_oil_rise_k = stored
            .and_then(|s| s.rated_top_oil_rise_k)
            .unwrap_or(RATED_TOP_OIL_RISE_K);
        let rated_hot_spot_gradient_k = stored
            .and_then(|s| s.rated_hot_spot_gradient_k)
            .unwrap_or(RATED_HOT_SPOT_GRADIENT_K);
        let loss_ratio = stored.and_then(|s| s.loss_ratio).unwrap_or(LOSS_RATIO);
        let oil_exponent = pick("oil_exponent", |s| s.oil_exponent, |b| b.oil_exponent);
        let winding_exponent = pick(
            "winding_exponent",
            |s| s.winding_exponent,
            |b| b.winding_exponent,
        );
        let oil_time_constant_min = pick(
            "oil_time_constant_min",
            |s| s.oil_time_constant_min,
            |b| b.oil_time_constant_min,
        );
        let winding_time_constant_min = pick(
            "winding_time_constant_min",
            |s| s.winding_time_constant_min,
            |b| b.winding_time_constant_min,
        );
        // k11, k21 and k22 are IEC's; the C57.91 model does not read them.
        let (k11, k21, k22) = if method == ThermalMethod::Iec600767 {
            (
                pick("k11", |s| s.k11, |b| b.k11),
                pick("k21", |s| s.k21, |b| b.k21),
                pick("k22", |s| s.k22, |b| b.k22),
            )
        } else {
            (1.0, 1.0, 1.0)
        };
        let p = ModelParameters {
            method,
            insulation: stored.map_or(InsulationPaper::ThermallyUpgraded, |s| s.insulation),
            rated_top_oil_rise_k,
            rated_hot_spot_gradient_k,
            loss_ratio,
            oil_exponent,
            winding_exponent,
            oil_time_constant_min,
            winding_time_constant_min,
            k11,
            k21,
            k22,
            normal_life_hours: stored
                .and_then(|s| s.normal_life_hours)
                .unwrap_or(NORMAL_INSULATION_LIFE_HOURS),
        };
        if missing.is_empty() {
            Ok(p)
        } else {
            Err(ThermalError::UnknownCooling {
                cooling_type: cooling_type.map(str::to_owned),
                missing: missing.join(", "),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooling_codes_of_iec_60076_2() {
        assert_eq!(CoolingMode::parse(" onan "), Some(CoolingMode::Onan));
        assert_eq!(CoolingMode::parse("ONAF"), Some(CoolingMode::Onaf));
        assert_eq!(CoolingMode::parse("OFAF"), Some(CoolingMode::Of));
        assert_eq!(CoolingMode::parse("ODWF"), Some(CoolingMode::Od));
        assert_eq!(CoolingMode::parse("OA/FA"), None);
        assert_eq!(CoolingMode::parse("AN"), None);
    }

    #[test]
    fn an_unknown_cooling_type_is_an_error_unless_the_parameters_are_given() {
        let err = ModelParameters::resolve(Some("dry"), None).unwrap_err();
        assert!(
            matches!(&err, ThermalError::UnknownCooling { cooling_type: Some(c), missing } if c == "dry"
                && missing == "oil_exponent, winding_exponent, oil_time_constant_min, winding_time_constant_min"),
            "{err}"
        );
        let mut s = ThermalParameters::defaults_for(Default::default());
        s.oil_exponent = Some(0.8);
        s.winding_exponent = Some(0.8);
        s.oil_time_constant_min = Some(180.0);
        s.winding_time_constant_min = Some(5.0);
        let p = ModelParameters::resolve(None, Some(&s)).unwrap();
        assert_eq!(p.oil_time_constant_min, 180.0);
        assert_eq!(p.rated_top_oil_rise_k, 55.0);
        // Stored values override a known mode's defaults.
        s.winding_time_constant_min = Some(4.0);
        let p = ModelParameters::resolve(Some("ONAF"), Some(&s)).unwrap();
        assert_eq!((p.oil_exponent, p.winding_time_constant_min), (0.8, 4.0));
    }
}
