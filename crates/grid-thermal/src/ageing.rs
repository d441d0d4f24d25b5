//! Insulation ageing.
//!
//! - Thermally upgraded paper: F_AA = exp(15000/383 − 15000/(θ_H + 273)), 1 at the 110 °C
//!   reference (IEEE C57.91-2011 clause 5.2, eq. 2; IEC 60076-7:2018 clause 6.3).
//! - Non-upgraded paper: V = 2^((θ_h − 98)/6), 1 at the 98 °C reference, doubling every 6 K
//!   (IEC 60076-7:2018 clause 6.3).
//! - Equivalent ageing over a period: F_EQA = Σ F_AA·Δt / Σ Δt (C57.91 eq. 3); the life it
//!   consumed is F_EQA·t hours of normal life, and in per cent of the normal insulation life
//!   F_EQA·t·100 / life (C57.91 eq. 4).

use grid_model::InsulationPaper;
use serde::{Deserialize, Serialize};

/// The relative ageing rate of `insulation` at hot-spot temperature `hot_spot_c` (1 = the
/// normal rate at the paper's reference temperature).
#[inline]
pub fn ageing_factor(insulation: InsulationPaper, hot_spot_c: f64) -> f64 {
    match insulation {
        InsulationPaper::ThermallyUpgraded => {
            (15000.0 / 383.0 - 15000.0 / (hot_spot_c + 273.0)).exp()
        }
        InsulationPaper::NonUpgraded => ((hot_spot_c - 98.0) / 6.0).exp2(),
    }
}

/// The hot-spot thresholds the history counts hours above, °C: the reference of upgraded
/// paper (C57.91 clause 5), the normal-cyclic limit (IEC 60076-7 Table 3) and the long-time
/// emergency limit (C57.91 Table 7).
pub const HOT_SPOT_THRESHOLDS_C: [f64; 3] = [110.0, 120.0, 140.0];

/// Ageing summed over the covered intervals of a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct AgeingTotals {
    /// Minutes covered by data.
    pub covered_min: f64,
    /// Σ F_AA·Δt, minutes of normal life consumed.
    pub aged_min: f64,
    /// Minutes with the hot-spot above each of [`HOT_SPOT_THRESHOLDS_C`].
    pub above_min: [f64; 3],
}

impl AgeingTotals {
    /// Adds an interval of `dt_min` minutes ending at hot-spot `hot_spot_c` with ageing
    /// factor `factor`.
    #[inline]
    pub fn add(&mut self, dt_min: f64, hot_spot_c: f64, factor: f64) {
        self.covered_min += dt_min;
        self.aged_min += factor * dt_min;
        for (above, limit) in self.above_min.iter_mut().zip(HOT_SPOT_THRESHOLDS_C) {
            if hot_spot_c > limit {
                *above += dt_min;
            }
        }
    }

    /// F_EQA over the covered time; `None` when nothing was covered.
    pub fn equivalent_ageing_factor(&self) -> Option<f64> {
        (self.covered_min > 0.0).then(|| self.aged_min / self.covered_min)
    }

    /// Life consumed, hours of normal life.
    pub fn loss_of_life_hours(&self) -> f64 {
        self.aged_min / 60.0
    }

    /// Life consumed in per cent of a normal insulation life of `normal_life_hours`.
    pub fn loss_of_life_percent(&self, normal_life_hours: f64) -> f64 {
        self.loss_of_life_hours() * 100.0 / normal_life_hours
    }
}
