//! A periodic profile of a series: the mean value per phase of a candidate period (a day, a
//! week), binned at the series' own cadence (at most [`MAX_BINS`] bins, so a week at
//! 5-minute cadence fits), learned with forgetting per visit of a bin. Whether the series
//! has this period is not assumed: [`super::Surprise`] uses the profile only once its
//! one-step errors are clearly smaller than those of a plain level's (the data shows the
//! period), the grid's daily and weekly load shapes being cases of this.

use serde::{Deserialize, Serialize};

/// Bins of the longest profile (a week of 5-minute bins).
pub const MAX_BINS: usize = 2016;
/// The least number of bins a profile needs to show a shape (a period of fewer sampling
/// intervals is not a period the series can show).
const MIN_BINS: usize = 8;
/// A bin's mean forgets this share per period (a visit's weight halves in two periods).
const FORGETTING_PER_VISIT: f64 = 0.3;
/// Periods of data before the profile predicts.
const PERIODS_BEFORE_USE: i64 = 2;

/// A binned periodic mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Season {
    period_ms: i64,
    /// Mean per bin; single precision keeps a week's 2,016 bins in 8 KiB.
    mean: Vec<f32>,
    /// Which bins have been visited, one bit each.
    visited: Vec<u64>,
    /// The weight of one reading: `FORGETTING_PER_VISIT` spread over the readings that fall
    /// in one bin per visit.
    weight: f32,
    first_ms: i64,
}

impl Season {
    /// A profile of period `period_ms` for a series sampled every `cadence_ms`, or `None`
    /// when the period spans too few sampling intervals to show a shape.
    pub fn new(period_ms: i64, cadence_ms: f64, first_ms: i64) -> Option<Season> {
        let bins = (period_ms as f64 / cadence_ms.max(1.0))
            .round()
            .min(MAX_BINS as f64) as usize;
        (bins >= MIN_BINS).then(|| Season {
            period_ms,
            mean: vec![0.0; bins],
            visited: vec![0; bins.div_ceil(64)],
            weight: {
                let per_visit = ((period_ms as f64 / bins as f64) / cadence_ms.max(1.0)).max(1.0);
                (1.0 - (1.0 - FORGETTING_PER_VISIT).powf(1.0 / per_visit)) as f32
            },
            first_ms,
        })
    }

    fn bin(&self, t_ms: i64) -> usize {
        let phase = t_ms.rem_euclid(self.period_ms) as f64 / self.period_ms as f64;
        ((phase * self.mean.len() as f64) as usize).min(self.mean.len() - 1)
    }

    /// The profile's value for `t_ms`, once it has seen enough periods and the bin.
    pub fn predict(&self, t_ms: i64) -> Option<f64> {
        if t_ms - self.first_ms < PERIODS_BEFORE_USE * self.period_ms {
            return None;
        }
        let b = self.bin(t_ms);
        self.is_visited(b).then(|| f64::from(self.mean[b]))
    }

    /// Learns `x` at `t_ms`.
    pub fn learn(&mut self, t_ms: i64, x: f64) {
        let b = self.bin(t_ms);
        let visited = self.is_visited(b);
        let m = &mut self.mean[b];
        if visited {
            *m += (f64::from(self.weight) * (x - f64::from(*m))) as f32;
        } else {
            *m = x as f32;
            self.visited[b / 64] |= 1 << (b % 64);
        }
    }

    fn is_visited(&self, b: usize) -> bool {
        self.visited[b / 64] & (1 << (b % 64)) != 0
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.mean.capacity() * 4 + self.visited.capacity() * 8
    }
}
