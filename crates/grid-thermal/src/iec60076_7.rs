//! The IEC 60076-7:2018 clause 8.2 model (the differential equations; Annex B shows them as
//! difference equations), solved exactly over each step.
//!
//! - Top oil: τ_o·k11·dθ_o/dt = [(1 + K²R)/(1 + R)]^x·Δθ_or − (θ_o − θ_a).
//! - Hot-spot rise over top oil Δθ_h = Δθ_h1 − Δθ_h2, with
//!   k22·τ_w·dΔθ_h1/dt = k21·K^y·Δθ_hr − Δθ_h1 and
//!   (τ_o/k22)·dΔθ_h2/dt = (k21 − 1)·K^y·Δθ_hr − Δθ_h2 (the oil-flow overshoot).
//! - θ_h = θ_o + Δθ_h.

use crate::model::{Decay, ThermalModel};
use crate::parameters::ModelParameters;

/// The IEC 60076-7 model of one transformer.
#[derive(Debug, Clone)]
pub struct Iec600767 {
    top_oil_rise_r: f64,
    hot_spot_rise_r: f64,
    r: f64,
    x: f64,
    y: f64,
    k21: f64,
    oil: Decay,
    winding: Decay,
    overshoot: Decay,
}

/// The IEC state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Iec600767State {
    /// Top-oil temperature, °C.
    pub top_oil_c: f64,
    /// Δθ_h1, K.
    pub rise_1_k: f64,
    /// Δθ_h2, K.
    pub rise_2_k: f64,
}

impl Iec600767 {
    /// The model with `p`'s rated rises (Δθ_or, H·g_r), R, x, y, k11, k21, k22, τ_o, τ_w.
    pub fn new(p: &ModelParameters) -> Iec600767 {
        Iec600767 {
            top_oil_rise_r: p.rated_top_oil_rise_k,
            hot_spot_rise_r: p.rated_hot_spot_gradient_k,
            r: p.loss_ratio,
            x: p.oil_exponent,
            y: p.winding_exponent,
            k21: p.k21,
            oil: Decay::new(p.k11 * p.oil_time_constant_min),
            winding: Decay::new(p.k22 * p.winding_time_constant_min),
            overshoot: Decay::new(p.oil_time_constant_min / p.k22),
        }
    }

    /// The ultimate top-oil rise over ambient at per-unit load `k`, K.
    #[inline]
    pub fn ultimate_top_oil_rise_k(&self, k: f64) -> f64 {
        self.top_oil_rise_r * ((1.0 + k * k * self.r) / (1.0 + self.r)).powf(self.x)
    }

    /// The ultimate hot-spot rise over top oil at per-unit load `k`, K.
    #[inline]
    pub fn ultimate_hot_spot_rise_k(&self, k: f64) -> f64 {
        self.hot_spot_rise_r * k.powf(self.y)
    }
}

impl ThermalModel for Iec600767 {
    type State = Iec600767State;

    fn steady(&self, k: f64, ambient_c: f64) -> Iec600767State {
        let h = self.ultimate_hot_spot_rise_k(k);
        Iec600767State {
            top_oil_c: ambient_c + self.ultimate_top_oil_rise_k(k),
            rise_1_k: self.k21 * h,
            rise_2_k: (self.k21 - 1.0) * h,
        }
    }

    #[inline]
    fn advance(&mut self, s: &mut Iec600767State, dt_min: f64, k: f64, ambient_c: f64) {
        let top_u = ambient_c + self.ultimate_top_oil_rise_k(k);
        s.top_oil_c = top_u + (s.top_oil_c - top_u) * self.oil.at(dt_min);
        let h = self.ultimate_hot_spot_rise_k(k);
        let (u1, u2) = (self.k21 * h, (self.k21 - 1.0) * h);
        s.rise_1_k = u1 + (s.rise_1_k - u1) * self.winding.at(dt_min);
        s.rise_2_k = u2 + (s.rise_2_k - u2) * self.overshoot.at(dt_min);
    }

    fn top_oil_c(&self, s: &Iec600767State) -> f64 {
        s.top_oil_c
    }

    fn hot_spot_rise_k(&self, s: &Iec600767State) -> f64 {
        s.rise_1_k - s.rise_2_k
    }
}
