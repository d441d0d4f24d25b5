//! One way of predicting the next value and how surprising its error is, judged against the
//! series' own history of errors under that prediction: the error's tail rank among every
//! earlier error (a histogram with forgetting, so a burst that happens every day is no
//! surprise however large), and the recent mean error against its long-run mean (the
//! anomaly likelihood of Ahmad et al. 2017, on the error's size instead of a prediction's
//! miss count), each as decades of improbability, `−log₁₀ p`.

use serde::{Deserialize, Serialize};

/// Histogram bins of `log₂(1 + z)`, four per doubling, up to `z ≈ 65,000`.
const TAIL_BINS: usize = 64;
const BINS_PER_DOUBLING: i64 = 4;
/// Errors averaged for the sustained evidence (in readings, i.e. this many sampling
/// intervals of the series' own cadence).
pub const SUSTAINED: usize = 10;
/// Errors seen before a view judges (its scale and history need a few).
const FIRST_JUDGED: u32 = 50;
/// Judgements before their history is trusted for the sustained evidence and the tail.
const HISTORY_TRUSTED: u32 = 100;
/// A squared error enters the scale at most this many times the scale (winsorising, so a
/// spike cannot inflate the scale it is judged by).
const WINSOR: f64 = 16.0;
/// The floor of the sustained evidence's spread (in units of `ln(1 + z)`).
const SUSTAINED_SD_FLOOR: f64 = 0.1;

/// `−log₁₀` of the standard normal's upper tail at `z`, finite for every `z` (the
/// asymptotic expansion past the point where `erfc` underflows).
pub fn normal_tail_decades(z: f64) -> f64 {
    if z <= 0.0 {
        return 0.0;
    }
    if z < 37.0 {
        let p = 0.5 * libm::erfc(z / std::f64::consts::SQRT_2);
        return -p.log10();
    }
    (z * z / 2.0 + (z * (2.0 * std::f64::consts::PI).sqrt()).ln()) / std::f64::consts::LN_10
}

/// The rank of an error's size among the sizes seen before it (exponentially forgotten).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tail {
    /// Weights per bin, in units of `unit` (a lazy decay: the newest weight is `unit`, so
    /// forgetting costs one multiplication, not one per bin).
    weights: Vec<f32>,
    unit: f64,
    total: f64,
}

impl Default for Tail {
    fn default() -> Self {
        Tail {
            weights: vec![0.0; TAIL_BINS],
            unit: 1.0,
            total: 0.0,
        }
    }
}

/// The bin of `1 + z`: its binary exponent and the top two bits of its mantissa, four bins
/// per doubling (monotone in `z`, and no logarithm on the hot path).
fn tail_bin(z: f64) -> usize {
    let bits = (1.0 + z.max(0.0)).to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let quarter = ((bits >> 50) & 3) as i64;
    (exponent * BINS_PER_DOUBLING + quarter).clamp(0, TAIL_BINS as i64 - 1) as usize
}

impl Tail {
    /// Decades of improbability of an error at least this size: the forgotten share of
    /// earlier errors in its bin or above; past the largest ever seen, every further bin
    /// (a factor 2^¼ in size) halves it again, so a record ranks above its predecessors by
    /// how far it goes.
    fn decades(&self, z: f64) -> f64 {
        if self.total <= 0.0 {
            return 0.0;
        }
        let b = tail_bin(z);
        // Most errors are small: sum the few bins below and take the rest from the total
        // (no cancellation there, the share above is large); a large error sums the few above.
        let above: f64 = if b < TAIL_BINS / 8 {
            let below: f64 = self.weights[..b].iter().map(|&w| f64::from(w)).sum();
            (self.total - below).max(0.0)
        } else {
            self.weights[b..].iter().map(|&w| f64::from(w)).sum()
        };
        let n = self.total / self.unit;
        if above > 0.0 {
            return -((above / self.unit + 0.5) / (n + 1.0)).min(1.0).log10();
        }
        let top = self.weights.iter().rposition(|&w| w > 0.0).unwrap_or(0);
        -(0.5 / (n + 1.0)).log10() + (b - top) as f64 * std::f64::consts::LOG10_2
    }

    /// Adds an error of size `z` after forgetting by `keep` (the weight left to the past).
    fn learn(&mut self, z: f64, keep: f64) {
        self.unit /= keep.clamp(1e-12, 1.0);
        if self.unit > 1e30 {
            // Rescale before f32 loses the old weights' meaning.
            let s = self.unit;
            for w in &mut self.weights {
                *w = (f64::from(*w) / s) as f32;
            }
            self.total /= s;
            self.unit = 1.0;
        }
        self.weights[tail_bin(z)] += self.unit as f32;
        self.total += self.unit;
    }

    fn heap_bytes(&self) -> usize {
        self.weights.capacity() * 4
    }
}

/// A prediction's errors: their scale, the tail of their sizes, and the sustained evidence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorView {
    /// Mean square error, exponentially weighted in time, winsorised.
    mean_square: f64,
    seen: u32,
    tail: Tail,
    recent: [f32; SUSTAINED],
    recent_len: u8,
    recent_at: u8,
    long_mean: f64,
    long_var: f64,
    judged: u32,
}

/// What a view makes of one error.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ViewVerdict {
    /// Decades of improbability of an error this size, from the tail of earlier ones.
    pub point: f64,
    /// Decades of improbability of the recent errors' mean size.
    pub sustained: f64,
}

impl ErrorView {
    /// Judges error `e`, then learns from it: `alpha` is the scale's forgetting for this
    /// step, `keep` the tail's, `floor` the smallest scale the series' resolution allows.
    /// Learning never pauses: an anomalous error enters winsorised, so the view adapts to a
    /// new normal within the forgetting's horizon instead of freezing on the old one.
    pub fn observe(&mut self, e: f64, alpha: f64, keep: f64, floor: f64) -> ViewVerdict {
        let judging = self.seen >= FIRST_JUDGED;
        let z = e.abs() / self.mean_square.sqrt().max(floor);
        let e2 = e * e;
        self.mean_square = if self.seen == 0 {
            e2
        } else {
            let cap = if self.mean_square > 0.0 {
                WINSOR * self.mean_square
            } else {
                e2
            };
            let a = alpha.max(1.0 / f64::from(self.seen + 1));
            self.mean_square + a * (e2.min(cap) - self.mean_square)
        };
        self.seen = self.seen.saturating_add(1);
        if !judging {
            return ViewVerdict::default();
        }
        let trusted = self.judged >= HISTORY_TRUSTED;
        let point = if trusted { self.tail.decades(z) } else { 0.0 };
        self.tail.learn(z, keep);
        let size = (z.min(1e12)).ln_1p();
        self.recent[usize::from(self.recent_at)] = size as f32;
        self.recent_at = ((usize::from(self.recent_at) + 1) % SUSTAINED) as u8;
        self.recent_len = (usize::from(self.recent_len) + 1).min(SUSTAINED) as u8;
        let mean = self.recent[..usize::from(self.recent_len)]
            .iter()
            .map(|&s| f64::from(s))
            .sum::<f64>()
            / f64::from(self.recent_len);
        let sd = self.long_var.sqrt().max(SUSTAINED_SD_FLOOR);
        let excess = (mean - self.long_mean) / sd;
        // Under one standard deviation the evidence is under 0.8 decades, less than any
        // combination's correction: not worth an erfc.
        let sustained = if trusted && excess > 1.0 {
            normal_tail_decades(excess)
        } else {
            0.0
        };
        let a = alpha.max(1.0 / f64::from(self.judged + 1));
        let d = size - self.long_mean;
        self.long_mean += a * d;
        self.long_var = (1.0 - a) * (self.long_var + a * d * d);
        self.judged = self.judged.saturating_add(1);
        ViewVerdict { point, sustained }
    }

    /// The mean square error (infinite before any error).
    pub fn mean_square(&self) -> f64 {
        if self.seen == 0 {
            f64::INFINITY
        } else {
            self.mean_square
        }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.tail.heap_bytes()
    }
}
