//! One way of explaining a series: an expected value (a slow level, or the daily profile)
//! plus AR(1) noise around it. The residual from the expected value is prewhitened by the
//! learned AR(1) coefficient (Alwan & Roberts 1988: control charts on the one-step residuals
//! of a time-series model, so the noise's memory does not read as a shift) and scaled by the
//! learned σ of that one-step residual; the spike, shift and noise detectors read the
//! standardised one-step residual `z`, the drift detector the slow mean of the residual.

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::detectors::{Cusum, Ewma, SlowMean, VarianceCusum};

/// Forgetting of the learned scales per reading for a caller that counts readings (the
/// imbalance detector, one sum per timestamp); a series passes its own, in time
/// ([`crate::SeriesDetector`]: 2,000 readings at 1-minute cadence).
pub const SCALE_ALPHA_PER_READING: f64 = 1.0 / 2000.0;
/// The one-step residual's scale forgets this many times faster than the other scales.
const INNOVATION_SPEEDUP: i32 = 4;
/// The slow mean's input is capped at this many times its limit: past it a change is
/// already found, and a capped mean falls back under the limit within half an hour of a
/// step that ends (an outage restored), instead of hours.
const SLOW_CEILING: f64 = 1.5;
/// Consecutive outliers replaced by their prediction before a new level is accepted.
const MAX_REPLACED: u8 = 3;

/// What a track makes of one reading.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Verdict {
    /// The standardised one-step residual.
    pub z: f64,
    /// The one-step prediction of the residual (add the expected value for the value).
    pub predicted_residual: f64,
    /// Spike detector: |z| over its threshold.
    pub spike: f64,
    /// Shift detector: the CUSUM over its decision interval.
    pub shift: f64,
    /// Drift detector: the slow mean over its limit.
    pub drift: f64,
    /// Noise detector: the variance CUSUM over its decision interval.
    pub noise: f64,
}

/// A residual model and its detectors.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Track {
    lag_product: Ewma,
    lag_square: Ewma,
    previous: Option<f64>,
    previous_raw: Option<f64>,
    replaced: u8,
    innovation_var: Ewma,
    /// The last reading's one-step residual² (for the daily scale).
    last_e2: f64,
    /// The mean square residual from the expected value while normal.
    pub residual_var: Ewma,
    shift: Cusum,
    noise: VarianceCusum,
    previous_z: Option<f64>,
    /// The mean square of the differenced z while normal (1 for white z; more or less when
    /// the AR(1) model leaves memory in z, e.g. on the level track of a smooth series).
    dz_var: Ewma,
    last_dz: f64,
    slow: SlowMean,
}

impl Track {
    fn phi(&self) -> f64 {
        if self.lag_square.value > 0.0 {
            (self.lag_product.value / self.lag_square.value).clamp(0.0, 0.98)
        } else {
            0.0
        }
    }

    /// Scores residual `full` (value less expected value), `steps` sampling intervals after
    /// the previous reading (1 for consecutive readings, more across missing ones). The
    /// spike, shift and noise detectors read it less `offset` (a local level the caller
    /// keeps; 0 for none), the drift detector reads it whole. `factor` scales the noise
    /// variance for the expected value ([`crate::detectors::NoiseModel`]).
    pub fn score(
        &mut self,
        full: f64,
        offset: f64,
        factor: f64,
        steps: f64,
        cfg: &Config,
        drift_alpha: f64,
    ) -> Verdict {
        let r = full - offset;
        let phi = self.phi();
        let phik = phi.powf(steps);
        let predicted = self.previous.map_or(0.0, |p| phik * p);
        // The one-step residual's variance grows across missing readings: the k-step
        // prediction error of an AR(1) has variance σ²(1 − φ^2k)/(1 − φ²).
        let growth = match self.previous {
            Some(_) => (1.0 - phik * phik) / (1.0 - phi * phi),
            None => 1.0 / (1.0 - phi * phi),
        };
        let floor = 1e-9 * r.abs().max(1.0);
        let sigma = (self.innovation_var.value * factor * growth)
            .sqrt()
            .max(floor);
        let z = (r - predicted) / sigma;
        self.last_e2 = (r - predicted).powi(2) / growth;
        // A reading the robust filter replaces (a spike, so far) is the spike detector's: it
        // adds nothing to the shift evidence, so a spike cannot tip the CUSUM into a false
        // shift later. A fourth outlier in a row is a new level and counts.
        let outlier = z.abs() > cfg.spike_z;
        let replacing = outlier && self.replaced < MAX_REPLACED;
        let zc = if replacing { 0.0 } else { z.clamp(-4.0, 4.0) };
        let shift = self.shift.update(zc, cfg.shift_k, 3.0 * cfg.shift_h);
        // The variance detector reads the difference of consecutive z (divided by √2 to keep
        // unit variance): a shift of the mean, which the shift detector owns, cancels out of it.
        let dz = self
            .previous_z
            .map_or(0.0, |p| (z - p) / std::f64::consts::SQRT_2);
        self.previous_z = Some(z.clamp(-cfg.spike_z, cfg.spike_z));
        self.last_dz = dz;
        let dz_scale = if self.dz_var.n > 30 {
            self.dz_var.value.sqrt()
        } else {
            1.0
        };
        let noise = self
            .noise
            .update(dz / dz_scale.max(1e-6), cfg.noise_k, 3.0 * cfg.noise_h);
        // The slow mean takes the residual winsorised at the spike threshold, so a single
        // outlier cannot move it (at a 5-minute cadence one reading weighs 8 %).
        let bounded = offset + predicted + z.clamp(-cfg.spike_z, cfg.spike_z) * sigma;
        let drift_z = self.slow.update(
            bounded,
            1.0 - (1.0 - drift_alpha).powf(steps),
            SLOW_CEILING * cfg.drift_sigmas,
        );
        // A spike does not carry into the next prediction (a robust filter), unless it
        // repeats: then it is the new level.
        self.previous_raw = Some(r);
        self.previous = if replacing {
            self.replaced += 1;
            Some(predicted)
        } else {
            self.replaced = 0;
            Some(r)
        };
        Verdict {
            z,
            predicted_residual: predicted,
            spike: z.abs() / cfg.spike_z,
            shift: shift / cfg.shift_h,
            drift: drift_z / cfg.drift_sigmas,
            noise: noise / cfg.noise_h,
        }
    }

    /// Learns from a reading judged normal (the one just scored, with the same `factor`): `r`
    /// its residual less the offset, `full` without, `last` the residual before it (less its
    /// offset), `z` its standardised one-step residual; `alpha` the scales' forgetting for
    /// this step.
    #[allow(clippy::too_many_arguments)]
    pub fn learn(
        &mut self,
        r: f64,
        full: f64,
        factor: f64,
        last: Option<f64>,
        z: f64,
        steps: f64,
        alpha: f64,
    ) {
        if let Some(p) = last.filter(|_| steps < 1.5) {
            self.lag_product.learn(r * p, alpha);
            self.lag_square.learn(p * p, alpha);
        }
        // Back from z to the one-step residual, winsorised at 4σ.
        let sigma2 = self.innovation_var.value;
        let e2 = if self.innovation_var.n > 30 {
            z.clamp(-4.0, 4.0).powi(2) * sigma2
        } else {
            let phi = self.phi();
            let a = r - last.map_or(0.0, |p| phi * p);
            a * a / factor.max(1e-12)
        };
        let fast = 1.0 - (1.0 - alpha).powi(INNOVATION_SPEEDUP);
        self.innovation_var.learn(e2, fast);
        self.residual_var.learn(full * full, alpha);
        let cap = if self.dz_var.n > 30 {
            9.0 * self.dz_var.value
        } else {
            9.0
        };
        self.dz_var
            .learn((self.last_dz * self.last_dz).min(cap), alpha);
        self.slow.learn(alpha);
    }

    /// The last scored reading's one-step residual².
    pub fn last_e2(&self) -> f64 {
        self.last_e2
    }

    /// Readings learned from.
    pub fn learned(&self) -> u32 {
        self.innovation_var.n
    }

    /// The raw residual before the current one (for learning).
    pub fn last_residual(&self) -> Option<f64> {
        self.previous_raw
    }

    /// Forgets the short-term state (after a gap): the residual's memory.
    pub fn restart(&mut self) {
        self.previous = None;
        self.previous_raw = None;
        self.previous_z = None;
        self.replaced = 0;
    }

    /// Clears the accumulated evidence (at the end of learning, or when this track takes
    /// over).
    pub fn clear_evidence(&mut self) {
        self.shift = Cusum::default();
        self.noise = VarianceCusum::default();
        self.slow.mean = 0.0;
    }
}
