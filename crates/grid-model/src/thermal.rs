//! What the thermal assessment of transformers stores: the parameters a transformer's
//! nameplate and heat-run test give where they differ from its cooling mode's defaults, and
//! one day of thermal history. The formulas and defaults are grid-thermal's.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::enums::{InsulationPaper, ThermalAmbientSource, ThermalLoadSource, ThermalMethod};
use crate::validation::{Checker, validated};

/// A transformer's thermal parameters; `None` takes the default of its cooling mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThermalParameters {
    /// The transformer.
    pub transformer_id: Uuid,
    /// Which standard's model to run.
    pub method: ThermalMethod,
    /// The winding paper (the ageing law).
    pub insulation: InsulationPaper,
    /// Top-oil rise over ambient at rated load, K (Δθ_TO,R; IEC Δθ_or).
    pub rated_top_oil_rise_k: Option<f64>,
    /// Hot-spot rise over top oil at rated load, K (Δθ_H,R; IEC H·g_r).
    pub rated_hot_spot_gradient_k: Option<f64>,
    /// Load losses at rated load over no-load losses (R).
    pub loss_ratio: Option<f64>,
    /// Oil exponent (C57.91 n; IEC x).
    pub oil_exponent: Option<f64>,
    /// Winding exponent (C57.91 m, applied to K^2m; IEC y, applied to K^y).
    pub winding_exponent: Option<f64>,
    /// Oil time constant at rated load, minutes (τ_TO,R; IEC τ_o).
    pub oil_time_constant_min: Option<f64>,
    /// Winding time constant, minutes (τ_w).
    pub winding_time_constant_min: Option<f64>,
    /// IEC 60076-7 thermal-model constant k11.
    pub k11: Option<f64>,
    /// IEC 60076-7 thermal-model constant k21.
    pub k21: Option<f64>,
    /// IEC 60076-7 thermal-model constant k22.
    pub k22: Option<f64>,
    /// Normal insulation life, hours at the reference hot-spot.
    pub normal_life_hours: Option<f64>,
}

impl ThermalParameters {
    /// The defaults of the transformer's cooling mode for everything, C57.91, upgraded paper.
    pub fn defaults_for(transformer_id: Uuid) -> ThermalParameters {
        ThermalParameters {
            transformer_id,
            method: ThermalMethod::IeeeC5791,
            insulation: InsulationPaper::ThermallyUpgraded,
            rated_top_oil_rise_k: None,
            rated_hot_spot_gradient_k: None,
            loss_ratio: None,
            oil_exponent: None,
            winding_exponent: None,
            oil_time_constant_min: None,
            winding_time_constant_min: None,
            k11: None,
            k21: None,
            k22: None,
            normal_life_hours: None,
        }
    }

    fn validate(&self) -> Result<(), crate::ValidationErrors> {
        let within = |v: Option<f64>, hi: f64| v.is_none_or(|v| v.is_finite() && v > 0.0 && v < hi);
        let mut c = Checker::new("thermal parameters");
        for (field, v, hi) in [
            ("rated_top_oil_rise_k", self.rated_top_oil_rise_k, 150.0),
            (
                "rated_hot_spot_gradient_k",
                self.rated_hot_spot_gradient_k,
                150.0,
            ),
            ("loss_ratio", self.loss_ratio, 100.0),
            ("oil_exponent", self.oil_exponent, 2.0 + f64::EPSILON),
            (
                "winding_exponent",
                self.winding_exponent,
                3.0 + f64::EPSILON,
            ),
            (
                "oil_time_constant_min",
                self.oil_time_constant_min,
                10_000.0,
            ),
            (
                "winding_time_constant_min",
                self.winding_time_constant_min,
                1_000.0,
            ),
            ("k11", self.k11, 10.0),
            ("k21", self.k21, 10.0),
            ("k22", self.k22, 10.0),
            ("normal_life_hours", self.normal_life_hours, f64::INFINITY),
        ] {
            c.ensure(within(v, hi), field, || {
                format!("must be greater than 0 and below {hi} (got {v:?})")
            });
        }
        c.finish()
    }
}

validated! {
    /// Validated thermal parameters, ready to store.
    NewThermalParameters(ThermalParameters)
}

/// One transformer's thermal history for one local day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThermalDay {
    /// The transformer.
    pub transformer_id: Uuid,
    /// The local day.
    pub day: NaiveDate,
    /// The model that computed it.
    pub method: ThermalMethod,
    /// Where the load came from.
    pub load_source: ThermalLoadSource,
    /// Where the ambient temperature came from.
    pub ambient_source: ThermalAmbientSource,
    /// Hours of the day the data covered (the rest were gaps, not interpolated).
    pub covered_hours: f64,
    /// How many unbroken spans of data the day had (a gap ends one).
    pub spans: i32,
    /// Highest load, per unit of rating.
    pub peak_load_pu: Option<f64>,
    /// Highest top-oil temperature used (measured where a sensor gave one), °C.
    pub peak_top_oil_c: Option<f64>,
    /// Highest hot-spot temperature, °C.
    pub peak_hot_spot_c: Option<f64>,
    /// When the hot-spot peaked.
    pub peak_hot_spot_at: Option<DateTime<Utc>>,
    /// F_EQA over the covered hours (IEEE C57.91 eq. 3); `None` with no covered hours.
    pub equivalent_ageing_factor: Option<f64>,
    /// Insulation life consumed during the covered hours, hours at the reference temperature.
    pub loss_of_life_hours: f64,
    /// Life consumed since manufacture at the day's end, hours; `None` when unknown (no
    /// ageing history since manufacture and no starting condition: see grid-health).
    pub life_consumed_hours: Option<f64>,
    /// Hours with the hot-spot above 110 °C.
    pub hours_above_110c: f64,
    /// Hours above 120 °C.
    pub hours_above_120c: f64,
    /// Hours above 140 °C.
    pub hours_above_140c: f64,
    /// Mean of measured − modelled top oil, K (`None`: no top-oil sensor).
    pub top_oil_residual_mean_k: Option<f64>,
    /// Largest |measured − modelled| top oil, K, signed.
    pub top_oil_residual_max_k: Option<f64>,
    /// Mean of measured − modelled hot-spot, K (`None`: no hot-spot sensor).
    pub hot_spot_residual_mean_k: Option<f64>,
    /// Largest |measured − modelled| hot-spot, K, signed.
    pub hot_spot_residual_max_k: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_out_of_range_are_named() {
        let mut p = ThermalParameters::defaults_for(Uuid::new_v4());
        assert!(NewThermalParameters::new(p.clone()).is_ok());
        p.oil_exponent = Some(0.0);
        p.k21 = Some(f64::NAN);
        p.rated_top_oil_rise_k = Some(55.0);
        let err = NewThermalParameters::new(p).unwrap_err();
        assert_eq!(err.fields(), ["oil_exponent", "k21"]);
    }
}
