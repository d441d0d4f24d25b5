//! The IEEE C57.91-2011 clause 7 model.
//!
//! - Ultimate top-oil rise: Δθ_TO,U = Δθ_TO,R · [(K²R + 1)/(R + 1)]^n.
//! - Ultimate hot-spot rise over top oil: Δθ_H,U = Δθ_H,R · K^(2m).
//! - Each rise moves toward its ultimate value exponentially: Δθ = Δθ_U + (Δθ_i − Δθ_U)·e^(−t/τ),
//!   with τ_w for the hot-spot and, for the top oil, the clause's load-dependent time constant
//!   τ_TO = τ_TO,R · (u − i) / (u^(1/n) − i^(1/n)) with u = Δθ_TO,U/Δθ_TO,R and
//!   i = Δθ_TO,i/Δθ_TO,R (its limit n·u^(1−1/n)·τ_TO,R when u = i; τ_TO,R when n = 1).
//! - θ_TO = θ_A + Δθ_TO; θ_H = θ_TO + Δθ_H.

use crate::model::{Decay, ThermalModel};
use crate::parameters::ModelParameters;

/// The C57.91 model of one transformer.
#[derive(Debug, Clone)]
pub struct C5791 {
    top_oil_rise_r: f64,
    hot_spot_rise_r: f64,
    r: f64,
    n: f64,
    two_m: f64,
    tau_to_r: f64,
    winding: Decay,
}

/// The C57.91 state: the two rises (the ambient is an input of each step).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct C5791State {
    /// Top-oil rise over ambient, K.
    pub top_oil_rise_k: f64,
    /// Hot-spot rise over top oil, K.
    pub hot_spot_rise_k: f64,
    /// The ambient of the last step, °C.
    pub ambient_c: f64,
}

impl C5791 {
    /// The model with `p`'s rated rises, R, n, m (p.winding_exponent) and time constants.
    pub fn new(p: &ModelParameters) -> C5791 {
        C5791 {
            top_oil_rise_r: p.rated_top_oil_rise_k,
            hot_spot_rise_r: p.rated_hot_spot_gradient_k,
            r: p.loss_ratio,
            n: p.oil_exponent,
            two_m: 2.0 * p.winding_exponent,
            tau_to_r: p.oil_time_constant_min,
            winding: Decay::new(p.winding_time_constant_min),
        }
    }

    /// Δθ_TO,U at per-unit load `k`, K.
    #[inline]
    pub fn ultimate_top_oil_rise_k(&self, k: f64) -> f64 {
        self.top_oil_rise_r * ((k * k * self.r + 1.0) / (self.r + 1.0)).powf(self.n)
    }

    /// Δθ_H,U at per-unit load `k`, K.
    #[inline]
    pub fn ultimate_hot_spot_rise_k(&self, k: f64) -> f64 {
        self.hot_spot_rise_r * k.powf(self.two_m)
    }

    /// The clause's top-oil time constant, min, moving from the relative rise `i` toward the
    /// relative ultimate rise `u` (both over Δθ_TO,R); `u_root` is u^(1/n), which the caller
    /// has already (it is the loss ratio (K²R + 1)/(R + 1)), so one power is saved per step.
    #[inline]
    fn top_oil_tau(&self, u: f64, u_root: f64, i: f64) -> f64 {
        if self.n == 1.0 {
            return self.tau_to_r;
        }
        // A rise at or below zero (the ambient jumped above the oil) is taken as a tiny
        // positive one, where the formula stays finite.
        let u = u.max(1e-9);
        let i = i.max(1e-9);
        if (u - i).abs() <= 1e-9 * u {
            // The limit of (u − i)/(u^(1/n) − i^(1/n)) as i → u: n·u^(1 − 1/n) = n·u/u^(1/n).
            return self.tau_to_r * self.n * u / u_root;
        }
        self.tau_to_r * (u - i) / (u_root - i.powf(1.0 / self.n))
    }
}

impl ThermalModel for C5791 {
    type State = C5791State;

    fn steady(&self, k: f64, ambient_c: f64) -> C5791State {
        C5791State {
            top_oil_rise_k: self.ultimate_top_oil_rise_k(k),
            hot_spot_rise_k: self.ultimate_hot_spot_rise_k(k),
            ambient_c,
        }
    }

    #[inline]
    fn advance(&mut self, s: &mut C5791State, dt_min: f64, k: f64, ambient_c: f64) {
        let ratio = (k * k * self.r + 1.0) / (self.r + 1.0);
        let u = ratio.powf(self.n);
        let top_u = self.top_oil_rise_r * u;
        let tau = self.top_oil_tau(u, ratio, s.top_oil_rise_k / self.top_oil_rise_r);
        s.top_oil_rise_k = top_u + (s.top_oil_rise_k - top_u) * (-dt_min / tau).exp();
        let hot_u = self.ultimate_hot_spot_rise_k(k);
        s.hot_spot_rise_k = hot_u + (s.hot_spot_rise_k - hot_u) * self.winding.at(dt_min);
        s.ambient_c = ambient_c;
    }

    fn top_oil_c(&self, s: &C5791State) -> f64 {
        s.ambient_c + s.top_oil_rise_k
    }

    fn hot_spot_rise_k(&self, s: &C5791State) -> f64 {
        s.hot_spot_rise_k
    }
}
