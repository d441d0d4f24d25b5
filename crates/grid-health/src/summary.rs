//! One transformer's day from the model's points: the thermal history row and the curve.

use chrono::{DateTime, NaiveDate, Utc};
use grid_model::{ThermalAmbientSource, ThermalDay, ThermalLoadSource, ThermalMethod};
use grid_thermal::{AgeingTotals, Point};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One point of a transformer's day, for pictures and reports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// When (the end of the step).
    pub at: DateTime<Utc>,
    /// Load, per unit.
    pub load_pu: f64,
    /// Top oil used (measured where measured), °C.
    pub top_oil_c: f64,
    /// Hot-spot used, °C.
    pub hot_spot_c: f64,
    /// The model's own top oil, °C.
    pub model_top_oil_c: f64,
    /// Whether the top oil was measured.
    pub top_oil_measured: bool,
}

/// Folds the points of one day (those closing a step inside it).
#[derive(Debug, Default)]
pub struct DaySummary {
    totals: AgeingTotals,
    spans: i32,
    seen: bool,
    peak_load: Option<f64>,
    peak_top: Option<f64>,
    peak_hot: Option<(f64, DateTime<Utc>)>,
    top_res: Residuals,
    hot_res: Residuals,
    /// The day's points.
    pub curve: Vec<CurvePoint>,
}

#[derive(Debug, Default)]
struct Residuals {
    sum: f64,
    n: u32,
    max_abs: Option<f64>,
}

impl Residuals {
    fn add(&mut self, r: Option<f64>) {
        if let Some(r) = r {
            self.sum += r;
            self.n += 1;
            if self.max_abs.is_none_or(|m: f64| r.abs() > m.abs()) {
                self.max_abs = Some(r);
            }
        }
    }

    fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

fn max(a: Option<f64>, b: f64) -> Option<f64> {
    Some(a.map_or(b, |a| a.max(b)))
}

impl DaySummary {
    /// Adds a point of the day at instant `at`.
    pub fn add(&mut self, at: DateTime<Utc>, p: &Point) {
        // A span starts at this point, or the day's first point continues one from before.
        if p.covered_min == 0.0 || !self.seen {
            self.spans += 1;
        }
        self.seen = true;
        self.totals
            .add(p.covered_min, p.hot_spot_c, p.ageing_factor);
        self.peak_load = max(self.peak_load, p.load_pu);
        self.peak_top = max(self.peak_top, p.top_oil_c);
        if self.peak_hot.is_none_or(|(h, _)| p.hot_spot_c > h) {
            self.peak_hot = Some((p.hot_spot_c, at));
        }
        self.top_res.add(p.top_oil_residual_k);
        self.hot_res.add(p.hot_spot_residual_k);
        self.curve.push(CurvePoint {
            at,
            load_pu: p.load_pu,
            top_oil_c: p.top_oil_c,
            hot_spot_c: p.hot_spot_c,
            model_top_oil_c: p.model_top_oil_c,
            top_oil_measured: p.top_oil_residual_k.is_some(),
        });
    }

    /// The ageing totals of the day.
    pub fn totals(&self) -> AgeingTotals {
        self.totals
    }

    /// The history row; `life_consumed_hours` is the caller's (it needs the stored days).
    #[allow(clippy::too_many_arguments)]
    pub fn row(
        &self,
        transformer_id: Uuid,
        day: NaiveDate,
        method: ThermalMethod,
        load_source: ThermalLoadSource,
        ambient_source: ThermalAmbientSource,
        life_consumed_hours: Option<f64>,
    ) -> ThermalDay {
        let t = &self.totals;
        ThermalDay {
            transformer_id,
            day,
            method,
            load_source,
            ambient_source,
            covered_hours: t.covered_min / 60.0,
            spans: self.spans,
            peak_load_pu: self.peak_load,
            peak_top_oil_c: self.peak_top,
            peak_hot_spot_c: self.peak_hot.map(|p| p.0),
            peak_hot_spot_at: self.peak_hot.map(|p| p.1),
            equivalent_ageing_factor: t.equivalent_ageing_factor(),
            loss_of_life_hours: t.loss_of_life_hours(),
            life_consumed_hours,
            hours_above_110c: t.above_min[0] / 60.0,
            hours_above_120c: t.above_min[1] / 60.0,
            hours_above_140c: t.above_min[2] / 60.0,
            top_oil_residual_mean_k: self.top_res.mean(),
            top_oil_residual_max_k: self.top_res.max_abs,
            hot_spot_residual_mean_k: self.hot_res.mean(),
            hot_spot_residual_max_k: self.hot_res.max_abs,
        }
    }
}
