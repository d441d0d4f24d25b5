//! The expected value for a time of day and weekday: a daily profile of 288 five-minute bins
//! (read between bin centres by linear interpolation) and a weekday correction per four-hour
//! block, both learned with exponential forgetting so a season's slow change is followed.
//! Time of day is taken on the series' own clock (UTC for stored readings: Kenya keeps UTC+3
//! all year, so a day's bins line up every day).

use serde::{Deserialize, Serialize};

/// Bins in a day (five minutes each: the smoothing of a bin and the interpolation between
/// bin centres bias a sharp evening peak by about a twentieth of what ten-minute bins do).
pub const BINS: usize = 288;
const DAY_MS: i64 = 86_400_000;
const BIN_MS: i64 = DAY_MS / BINS as i64;
const BLOCKS: usize = 6;
const BLOCK_MS: i64 = DAY_MS / BLOCKS as i64;
/// Weeks a weekday block must have been seen before its correction is used.
const WEEKLY_MIN_VISITS: u16 = 2;

/// A daily profile with weekday corrections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    // Single precision: seven significant digits are far finer than any meter, and they
    // keep the persisted state well under its 16 KiB bound.
    mean: Vec<f32>,
    weight: Vec<f32>,
    weekday: Vec<f64>,
    weekday_visits: Vec<u16>,
    weekday_last_day: Vec<i32>,
    first_ms: Option<i64>,
    /// Bins with any weight.
    covered: u16,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            mean: vec![0.0; BINS],
            weight: vec![0.0; BINS],
            weekday: vec![0.0; 7 * BLOCKS],
            weekday_visits: vec![0; 7 * BLOCKS],
            weekday_last_day: vec![i32::MIN; 7 * BLOCKS],
            first_ms: None,
            covered: 0,
        }
    }
}

fn bin_pair(t_ms: i64) -> (usize, usize, f64) {
    let pos = t_ms.rem_euclid(DAY_MS) as f64 / BIN_MS as f64 - 0.5;
    let lower = pos.floor();
    let frac = pos - lower;
    let i0 = (lower as i64).rem_euclid(BINS as i64) as usize;
    (i0, (i0 + 1) % BINS, frac)
}

fn day_index(t_ms: i64) -> i64 {
    t_ms.div_euclid(DAY_MS)
}

fn weekday_cell(t_ms: i64) -> usize {
    // 1970-01-01 was a Thursday; the cell's weekday only needs to be consistent.
    let weekday = day_index(t_ms).rem_euclid(7) as usize;
    let block = (t_ms.rem_euclid(DAY_MS) / BLOCK_MS) as usize;
    weekday * BLOCKS + block
}

/// Forgetting per reading that gives `per_visit` per visit of a window `window_ms` long at
/// `interval_ms` between readings.
fn per_reading(per_visit: f64, window_ms: i64, interval_ms: f64) -> f64 {
    let readings = (window_ms as f64 / interval_ms.max(1.0)).max(1.0);
    1.0 - (1.0 - per_visit).powf(1.0 / readings)
}

impl Profile {
    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.mean.capacity() * 4
            + self.weight.capacity() * 4
            + self.weekday.capacity() * 8
            + self.weekday_visits.capacity() * 2
            + self.weekday_last_day.capacity() * 4
    }

    /// Whether the profile has seen `days` of data and nine bins in ten.
    pub fn ready(&self, t_ms: i64, days: f64) -> bool {
        let Some(first) = self.first_ms else {
            return false;
        };
        (t_ms - first) as f64 >= days * DAY_MS as f64 && self.covered as usize * 10 >= BINS * 9
    }

    /// The daily profile alone at `t_ms` (no weekday correction).
    pub fn daily(&self, t_ms: i64) -> f64 {
        let (i0, i1, frac) = bin_pair(t_ms);
        f64::from(self.mean[i0]) * (1.0 - frac) + f64::from(self.mean[i1]) * frac
    }

    fn weekday_correction(&self, t_ms: i64) -> f64 {
        let c = weekday_cell(t_ms);
        if self.weekday_visits[c] >= WEEKLY_MIN_VISITS {
            self.weekday[c]
        } else {
            0.0
        }
    }

    /// The expected value at `t_ms`.
    pub fn expected(&self, t_ms: i64) -> f64 {
        self.daily(t_ms) + self.weekday_correction(t_ms)
    }

    /// Learns `x` at `t_ms`; `forgetting` is per day a bin is visited, `interval_ms` the
    /// series' sampling interval.
    pub fn learn(&mut self, t_ms: i64, x: f64, forgetting: f64, interval_ms: f64) {
        self.first_ms.get_or_insert(t_ms);
        let y = x - self.weekday_correction(t_ms);
        let alpha = per_reading(forgetting, BIN_MS, interval_ms);
        let (i0, i1, frac) = bin_pair(t_ms);
        for (i, weight) in [(i0, 1.0 - frac), (i1, frac)] {
            if weight <= 0.0 {
                continue;
            }
            // A weighted mean until the bin has enough weight, then exponential forgetting
            // (a reading between two centres counts in both, by its distance to each, so a
            // slope does not bias the bin toward whichever side came first).
            if self.weight[i] == 0.0 {
                self.covered += 1;
            }
            let total = f64::from(self.weight[i]) + weight;
            self.weight[i] = total as f32;
            let a = (weight * alpha).max(weight / total);
            let m = f64::from(self.mean[i]);
            self.mean[i] = (m + a * (y - m)) as f32;
        }
        let c = weekday_cell(t_ms);
        let day = day_index(t_ms) as i32;
        if self.weekday_last_day[c] != day {
            self.weekday_last_day[c] = day;
            self.weekday_visits[c] = self.weekday_visits[c].saturating_add(1);
        }
        let beta = per_reading(forgetting, BLOCK_MS, interval_ms);
        let r = x - self.daily(t_ms);
        self.weekday[c] += beta * (r - self.weekday[c]);
    }
}

/// The displacements tried, minutes.
const DISPLACEMENTS: [i64; 12] = [-240, -180, -120, -90, -60, -30, 30, 60, 90, 120, 180, 240];

/// The pattern-break detector: slow means of the squared residual from the profile in place
/// and from the profile displaced by ±30, 60, 90, 120, 180 and 240 minutes. When one displacement
/// explains the recent readings four times better than the profile in place, and the misfit
/// in place is large (a mean square of 9σ²: a level shift or a drift of a few σ never gets
/// there, and no displacement explains those), the day's shape has moved in time: a clock
/// error or an unusual day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pattern {
    in_place: f64,
    displaced: [f64; DISPLACEMENTS.len()],
    best_minutes: i64,
}

/// How much better the best displacement must explain the readings.
const PATTERN_GAIN: f64 = 4.0;
/// The mean square misfit in place, in σ², from which a displacement counts.
const PATTERN_MISFIT: f64 = 9.0;

impl Pattern {
    /// Adds reading `x` at `t_ms` with forgetting `alpha` per interval over `steps`
    /// intervals; `sigma2` is the residual's variance while normal. Returns the statistic
    /// over its threshold.
    pub fn update(
        &mut self,
        p: &Profile,
        t_ms: i64,
        x: f64,
        alpha: f64,
        steps: f64,
        sigma2: f64,
    ) -> f64 {
        let a = 1.0 - (1.0 - alpha).powf(steps);
        self.in_place += a * ((x - p.expected(t_ms)).powi(2) - self.in_place);
        let mut best = (f64::INFINITY, 0);
        for (m, acc) in DISPLACEMENTS.iter().zip(self.displaced.iter_mut()) {
            *acc += a * ((x - p.expected(t_ms - m * 60_000)).powi(2) - *acc);
            if *acc < best.0 {
                best = (*acc, *m);
            }
        }
        self.best_minutes = best.1;
        let gain = self.in_place / best.0.max(f64::MIN_POSITIVE) / PATTERN_GAIN;
        let misfit = self.in_place / (PATTERN_MISFIT * sigma2).max(f64::MIN_POSITIVE);
        gain.min(misfit)
    }

    /// The displacement that explains the recent readings best, minutes.
    pub fn best_minutes(&self) -> i64 {
        self.best_minutes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_day_is_learned_and_read_between_bin_centres() {
        let mut p = Profile::default();
        let shape = |t: i64| {
            100.0 + 30.0 * ((t % DAY_MS) as f64 / DAY_MS as f64 * std::f64::consts::TAU).sin()
        };
        for minute in 0..3 * 1440 {
            let t = minute * 60_000;
            p.learn(t, shape(t), 0.3, 60_000.0);
        }
        assert!(p.ready(3 * DAY_MS, 2.0));
        assert!(!p.ready(DAY_MS, 2.0));
        for minute in (0..1440).step_by(37) {
            let t = 3 * DAY_MS + minute * 60_000;
            assert!((p.expected(t) - shape(t)).abs() < 0.3, "minute {minute}");
        }
    }
}
