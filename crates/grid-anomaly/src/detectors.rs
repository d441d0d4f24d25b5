//! The detectors' building blocks, each O(1) in time and memory per reading. They work on
//! standardised residuals; [`crate::track`] builds those, [`crate::SeriesDetector`] combines
//! the verdicts.

use serde::{Deserialize, Serialize};

/// An exponentially weighted mean whose weight is the plain mean's (1/n) until `1/n` falls
/// below `alpha`: the first readings count fully, later ones are forgotten at `alpha`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Ewma {
    /// The current mean.
    pub value: f64,
    /// Readings learned (saturating).
    pub n: u32,
}

impl Ewma {
    /// Learns `x` with forgetting `alpha`.
    pub fn learn(&mut self, x: f64, alpha: f64) {
        self.n = self.n.saturating_add(1);
        let a = alpha.max(1.0 / self.n as f64);
        self.value += a * (x - self.value);
    }
}

/// Two-sided CUSUM (Page, *Continuous inspection schemes*, Biometrika 1954) on standardised
/// residuals: `up` accumulates `z − k`, `down` accumulates `−z − k`, both floored at 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Cusum {
    /// Evidence of an upward shift.
    pub up: f64,
    /// Evidence of a downward shift.
    pub down: f64,
}

impl Cusum {
    /// Adds `z` with reference value `k`; neither side grows past `cap` (so the statistic
    /// falls back soon after the shift ends). Returns the larger side.
    pub fn update(&mut self, z: f64, k: f64, cap: f64) -> f64 {
        self.up = (self.up + z - k).clamp(0.0, cap);
        self.down = (self.down - z - k).clamp(0.0, cap);
        self.up.max(self.down)
    }
}

/// One-sided CUSUM of z² for a rise in variance (the Gaussian log-likelihood ratio of a
/// variance change is linear in z²). z² is winsorised at 9 so a single spike cannot trip it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct VarianceCusum {
    /// Accumulated evidence.
    pub s: f64,
}

impl VarianceCusum {
    /// Adds `z`; returns the statistic.
    pub fn update(&mut self, z: f64, k: f64, cap: f64) -> f64 {
        self.s = (self.s + (z * z).min(9.0) - k).clamp(0.0, cap);
        self.s
    }
}

/// A slow exponentially weighted mean of the residual from the expected value, and the
/// spread it shows while the series is normal: a drift is the slow mean wandering further
/// than that spread allows (the EWMA chart of Roberts 1959, its limits learned).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SlowMean {
    /// The slow mean.
    pub mean: f64,
    /// Its learned mean square while normal.
    pub spread: Ewma,
}

impl SlowMean {
    /// Moves the mean toward `r` (capped at `ceiling` learned standard deviations) with
    /// weight `alpha`; returns how many learned standard deviations it is away from zero (0
    /// until a spread is learned).
    pub fn update(&mut self, r: f64, alpha: f64, ceiling: f64) -> f64 {
        let sd = self.spread.value.sqrt();
        let r = if self.spread.n > 50 && sd > 0.0 {
            r.clamp(-ceiling * sd, ceiling * sd)
        } else {
            r
        };
        self.mean += alpha * (r - self.mean);
        if sd > 0.0 { self.mean.abs() / sd } else { 0.0 }
    }

    /// Learns the spread (winsorised at 3 of its own deviations so a slow fault that has
    /// not yet tripped does not widen the limits much).
    pub fn learn(&mut self, alpha: f64) {
        let cap = if self.spread.n > 50 {
            9.0 * self.spread.value
        } else {
            f64::INFINITY
        };
        self.spread.learn((self.mean * self.mean).min(cap), alpha);
    }
}

/// A run of exactly equal values (a frozen transducer or front end repeats its last value
/// bit for bit), and the longest run the series shows while normal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EqualRun {
    /// The repeated value.
    pub value: f64,
    /// Readings in the current run.
    pub len: u32,
    /// Longest run seen while the series was normal.
    pub longest_normal: u32,
}

impl EqualRun {
    /// Adds `x`; `counts` is false for a value that cannot be stuck (exact zero on a
    /// de-energised circuit). Returns the run's length and, when `x` ended a run of two or
    /// more, that run's length.
    pub fn update(&mut self, x: f64, counts: bool) -> (u32, Option<u32>) {
        if counts && self.len > 0 && x == self.value {
            self.len += 1;
            return (self.len, None);
        }
        let ended = (self.len >= 2).then_some(self.len);
        self.value = x;
        self.len = u32::from(counts);
        (self.len, ended)
    }

    /// The run length that is stuck: `min_run`, or twice the longest natural run plus one.
    pub fn threshold(&self, min_run: u32) -> u32 {
        min_run.max(2 * self.longest_normal + 1)
    }

    /// Forgets the current run (after a gap).
    pub fn restart(&mut self) {
        self.len = 0;
    }
}

/// The noise's variance as a function of the expected value: `σ² = a + b·m²` (an offset
/// and a share of the reading, as a meter's accuracy class is stated), fitted by
/// exponentially weighted least squares of the squared one-step residual on `m²`. Noise
/// that grows with the load is then neither a variance change nor a shift at the evening
/// peak; for noise that does not depend on the level, `b` ≈ 0 and the factor is 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct NoiseModel {
    m2: Ewma,
    m4: Ewma,
    e2: Ewma,
    e2m2: Ewma,
}

/// The noise model's forgetting floor per reading (about two days at 1-minute cadence).
const NOISE_ALPHA: f64 = 1.0 / 3000.0;

impl NoiseModel {
    fn coefficients(&self) -> Option<(f64, f64)> {
        let var_m2 = self.m4.value - self.m2.value * self.m2.value;
        // Only where the expected value itself moves (m² varying by 10 % or more): a steady
        // series gives the regression nothing to stand on.
        if self.e2.n < 200 || var_m2 <= 0.01 * self.m2.value * self.m2.value {
            return None;
        }
        let b = ((self.e2m2.value - self.m2.value * self.e2.value) / var_m2).max(0.0);
        // At least a tenth of the mean stays constant (no variance of zero at m = 0).
        let a = (self.e2.value - b * self.m2.value).max(0.1 * self.e2.value);
        Some((a, b))
    }

    /// The variance at expected value `m` over the mean variance (1 until learned).
    pub fn factor(&self, m: f64) -> f64 {
        match self.coefficients() {
            Some((a, b)) if self.e2.value > 0.0 => {
                ((a + b * m * m) / self.e2.value).clamp(0.05, 20.0)
            }
            _ => 1.0,
        }
    }

    /// Learns a normal reading's squared one-step residual `e2` at expected value `m`.
    pub fn learn(&mut self, m: f64, e2: f64) {
        let e2 = if self.e2.n > 30 {
            e2.min(16.0 * self.e2.value * self.factor(m))
        } else {
            e2
        };
        let m2 = m * m;
        self.m2.learn(m2, NOISE_ALPHA);
        self.m4.learn(m2 * m2, NOISE_ALPHA);
        self.e2.learn(e2, NOISE_ALPHA);
        self.e2m2.learn(e2 * m2, NOISE_ALPHA);
    }
}

/// The change per second between two readings against what the quantity can physically
/// do; `None` without a previous reading or a limit.
pub fn rate_ratio(previous: Option<f64>, x: f64, seconds: f64, limit: Option<f64>) -> Option<f64> {
    let (p, limit) = (previous?, limit?);
    (seconds > 0.0 && limit > 0.0).then(|| ((x - p) / seconds).abs() / limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cusum_accumulates_a_shift_and_not_noise_around_zero() {
        let mut c = Cusum::default();
        for z in [0.4, -0.3, 0.2, -0.5] {
            assert_eq!(c.update(z, 0.5, 30.0), 0.0);
        }
        let stats: Vec<f64> = (0..5).map(|_| c.update(1.5, 0.5, 30.0)).collect();
        assert_eq!(stats, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(c.update(-3.0, 0.5, 30.0), 2.5);
        assert_eq!((c.up, c.down), (1.5, 2.5));
    }

    #[test]
    fn an_equal_run_counts_repeats_and_zero_can_be_excluded() {
        let mut r = EqualRun::default();
        assert_eq!(r.update(1.0, true), (1, None));
        assert_eq!(r.update(1.0, true), (2, None));
        assert_eq!(r.update(2.0, true), (1, Some(2)));
        assert_eq!(r.update(0.0, false), (0, None));
        assert_eq!(r.update(0.0, false), (0, None));
        r.update(3.0, true);
        r.update(3.0, true);
        assert_eq!(r.threshold(10), 10);
        r.longest_normal = 7;
        assert_eq!(r.threshold(10), 15);
    }

    #[test]
    fn rate_is_the_change_per_second_over_the_limit() {
        assert_eq!(rate_ratio(Some(50.0), 49.0, 0.5, Some(1.0)), Some(2.0));
        assert_eq!(rate_ratio(None, 49.0, 0.5, Some(1.0)), None);
        assert_eq!(rate_ratio(Some(50.0), 49.0, 0.5, None), None);
    }
}
