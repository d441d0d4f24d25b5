//! Running a model over a series: data gaps, measured temperatures and their residuals.

use grid_model::InsulationPaper;
use serde::{Deserialize, Serialize};

use crate::ageing::ageing_factor;
use crate::error::ThermalError;
use crate::model::ThermalModel;

/// One input sample: the interval that ends at `minutes`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Time, minutes from any origin; strictly increasing.
    pub minutes: f64,
    /// Load, per unit of the rating (K).
    pub load_pu: f64,
    /// Ambient temperature, °C.
    pub ambient_c: f64,
    /// A measured top-oil temperature, °C, where a sensor gave one.
    pub top_oil_c: Option<f64>,
    /// A measured hot-spot temperature, °C, where a sensor gave one.
    pub hot_spot_c: Option<f64>,
}

/// One output point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The sample's time, minutes.
    pub minutes: f64,
    /// The sample's load, per unit.
    pub load_pu: f64,
    /// Minutes of data this point closes (0 where a span starts: nothing before it counts).
    pub covered_min: f64,
    /// The model's top oil, °C.
    pub model_top_oil_c: f64,
    /// The model's hot-spot, °C.
    pub model_hot_spot_c: f64,
    /// The top oil used: measured where measured, else the model's, °C.
    pub top_oil_c: f64,
    /// The hot-spot used: measured where measured, else the top oil used plus the model's
    /// hot-spot rise, °C.
    pub hot_spot_c: f64,
    /// Measured − modelled top oil, K.
    pub top_oil_residual_k: Option<f64>,
    /// Measured − modelled hot-spot, K.
    pub hot_spot_residual_k: Option<f64>,
    /// The ageing factor at the hot-spot used.
    pub ageing_factor: f64,
}

/// How a run treats its input.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    /// A gap longer than this, minutes, ends a span: the next sample starts a new one from
    /// the steady state of its own load, and the gap is not counted (not interpolated).
    pub max_gap_min: f64,
}

impl Default for RunOptions {
    /// 15 minutes: a SCADA scan of 1–5 minutes may drop a few samples, but over a quarter
    /// hour the load is unknown for longer than the winding time constant (7–10 minutes), so
    /// the hot-spot after it would be a guess.
    fn default() -> Self {
        RunOptions { max_gap_min: 15.0 }
    }
}

/// What a run saw of its input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Unbroken spans of data.
    pub spans: u32,
    /// Minutes covered.
    pub covered_min: f64,
}

fn check(
    what: &'static str,
    expected: &'static str,
    ok: bool,
    value: f64,
) -> Result<(), ThermalError> {
    if ok {
        Ok(())
    } else {
        Err(ThermalError::BadInput {
            what,
            expected,
            value,
        })
    }
}

/// Runs `model` over `samples` and hands each point to `out`. Every sample is checked first:
/// a bad one is a typed error and nothing is computed.
pub fn run<M: ThermalModel>(
    model: &mut M,
    insulation: InsulationPaper,
    samples: &[Sample],
    options: RunOptions,
    mut out: impl FnMut(&Point),
) -> Result<RunSummary, ThermalError> {
    let mut last = f64::NEG_INFINITY;
    for s in samples {
        check(
            "time",
            "finite and strictly increasing",
            s.minutes.is_finite() && s.minutes > last,
            s.minutes,
        )?;
        check(
            "load (per unit)",
            "finite and 0 or more",
            s.load_pu.is_finite() && s.load_pu >= 0.0,
            s.load_pu,
        )?;
        check(
            "ambient temperature",
            "finite",
            s.ambient_c.is_finite(),
            s.ambient_c,
        )?;
        for t in [s.top_oil_c, s.hot_spot_c].into_iter().flatten() {
            check("measured temperature", "finite", t.is_finite(), t)?;
        }
        last = s.minutes;
    }
    let mut summary = RunSummary::default();
    let mut state = None;
    let mut previous = f64::NEG_INFINITY;
    for s in samples {
        let dt = s.minutes - previous;
        previous = s.minutes;
        let covered = match state.as_mut() {
            Some(st) if dt <= options.max_gap_min => {
                model.advance(st, dt, s.load_pu, s.ambient_c);
                dt
            }
            _ => {
                state = Some(model.steady(s.load_pu, s.ambient_c));
                summary.spans += 1;
                0.0
            }
        };
        let st = state.as_ref().expect("set above");
        let model_top = model.top_oil_c(st);
        let rise = model.hot_spot_rise_k(st);
        let top = s.top_oil_c.unwrap_or(model_top);
        let hot = s.hot_spot_c.unwrap_or(top + rise);
        summary.covered_min += covered;
        out(&Point {
            minutes: s.minutes,
            load_pu: s.load_pu,
            covered_min: covered,
            model_top_oil_c: model_top,
            model_hot_spot_c: model_top + rise,
            top_oil_c: top,
            hot_spot_c: hot,
            top_oil_residual_k: s.top_oil_c.map(|m| m - model_top),
            hot_spot_residual_k: s.hot_spot_c.map(|m| m - (model_top + rise)),
            ageing_factor: ageing_factor(insulation, hot),
        });
    }
    Ok(summary)
}
