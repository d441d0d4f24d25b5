//! The ranking score: how surprising each reading is under what the series itself has
//! shown, as one number in [0, 1) that is comparable across series of any cadence and unit.
//!
//! Several predictions of the next value run side by side ([`view`]): a slow level, a fast
//! level (the last few readings), and a daily and a weekly profile ([`season`]) once the
//! data shows that period (their one-step errors clearly below the slow level's). Each
//! prediction's error is judged against that prediction's own history of errors, twice:
//! the error's tail rank among all earlier errors, and the recent mean error against its
//! long-run mean. A value outside everything the series has ever shown is judged too
//! (past the seen range by more than a twentieth of it; the "spatial" novelty of Numenta's
//! detector). Each judgement is `−log₁₀ p` ("decades"); the largest, less the decades
//! its number of tries explains (Bonferroni), is the reading's surprise.
//!
//! Time is counted in time, not readings: the sampling interval is the caller's online
//! estimate, and every memory is a time constant derived from it — the adaptation
//! horizon is a day or 500 intervals, whichever is longer (a series at a new normal is no
//! longer surprising after about that long), the error tail remembers seven horizons, the
//! fast level three intervals. Nothing freezes while a series is anomalous: errors enter
//! the scales winsorised instead of skipped.
//!
//! The score is `d / (d + 5)` of the surprise `d` in decades (0.5 at p = 10⁻⁵), so it never
//! saturates and ranks every reading. It is highest at the onset of a condition: a reading
//! no more surprising than the decayed peak of recent surprise (half-life 300 intervals)
//! counts half its decades, so a known episode's readings score lower than its start.

pub mod season;
pub mod view;

use serde::{Deserialize, Serialize};

use season::Season;
use view::ErrorView;

const DAY_MS: f64 = 86_400_000.0;
const WEEK_MS: i64 = 7 * 86_400_000;
/// The adaptation horizon: this many sampling intervals, or a day if longer.
const HORIZON_INTERVALS: f64 = 500.0;
/// The error tail's memory, in horizons.
const TAIL_HORIZONS: i32 = 7;
/// The fast level's time constant, in sampling intervals.
const FAST_INTERVALS: f64 = 3.0;
/// Readings before the profiles are laid out (the sampling interval is known by then).
const SEASONS_AFTER: u64 = 16;
/// Readings before the range is judged.
const RANGE_AFTER: u64 = 50;
/// How far past the seen range a value must go, as a share of the range, to be novel…
const RANGE_MARGIN: f64 = 0.05;
/// …and the decades that is worth: 5 at the margin, `10·ln(1 + b)` more for `b` ranges
/// beyond (near 10 per range for small steps past it, and still finite for a first burst
/// on a series that never moved).
const RANGE_EDGE_DECADES: f64 = 5.0;
const RANGE_DECADES_PER_LOG: f64 = 10.0;
/// A profile is used once its mean square one-step error is below this share of the slow
/// level's (it explains a fifth of the variance the level leaves).
const SEASON_SUPPORT: f64 = 0.8;
/// The surprise, in decades, that scores 0.5.
const HALF_SCORE_DECADES: f64 = 5.0;
/// The onset emphasis: the peak of recent surprise halves in this many intervals, and a
/// reading not above it keeps this share of its decades.
const ONSET_HALF_LIFE_INTERVALS: f64 = 300.0;
const REPEAT_SHARE: f64 = 0.5;
/// The peak the emphasis remembers is at most this many decades, so one extreme event
/// (a first burst on a series that never moved) cannot quiet the next ones for long.
const PEAK_CAP_DECADES: f64 = 20.0;
/// The scale's floor relative to the level (a noise-free series is judged on a millionth of
/// its level when it has no resolution yet).
const LEVEL_FLOOR: f64 = 1e-6;

/// Indices into `views`, in the order slow level, fast level, daily, weekly: the slow level's
/// (what a profile must beat) and the first profile's.
const SLOW: usize = 0;
const DAILY: usize = 2;

/// The ranking score's state for one series (about 10 KiB with a weekly profile).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Surprise {
    readings: u64,
    last_ms: Option<i64>,
    slow: f64,
    fast: f64,
    low: f64,
    high: f64,
    /// The smallest non-zero step between consecutive values seen (infinite until one is).
    resolution: f64,
    last_x: Option<f64>,
    daily: Option<Season>,
    weekly: Option<Season>,
    views: [ErrorView; 4],
    peak: f64,
}

impl Default for Surprise {
    fn default() -> Self {
        Surprise {
            readings: 0,
            last_ms: None,
            slow: 0.0,
            fast: 0.0,
            low: f64::INFINITY,
            high: f64::NEG_INFINITY,
            resolution: f64::INFINITY,
            last_x: None,
            daily: None,
            weekly: None,
            views: Default::default(),
            peak: 0.0,
        }
    }
}

/// A reading's surprise.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SurpriseScore {
    /// The score in [0, 1): `d / (d + 5)` of the decades `d` after the onset emphasis.
    pub score: f64,
    /// The surprise in decades (`−log₁₀ p`, Bonferroni-corrected), before the emphasis.
    pub decades: f64,
}

impl Surprise {
    /// Judges `x` at `t_ms` (later than the reading before), the series sampled every
    /// `interval_ms` (the caller's estimate), then learns from it.
    pub fn observe(&mut self, t_ms: i64, x: f64, interval_ms: f64) -> SurpriseScore {
        let interval = interval_ms.max(1.0);
        let dt = self.last_ms.map_or(interval, |p| (t_ms - p).max(1) as f64);
        let horizon = DAY_MS.max(HORIZON_INTERVALS * interval);
        // One exponential for both memories (the tail's is seven horizons long).
        let keep = (-dt / (f64::from(TAIL_HORIZONS) * horizon)).exp();
        let alpha = 1.0 - keep.powi(TAIL_HORIZONS);
        self.readings += 1;
        if self.readings == 1 {
            self.slow = x;
            self.fast = x;
        }
        if self.readings == SEASONS_AFTER {
            self.daily = Season::new(DAY_MS as i64, interval, t_ms);
            self.weekly = Season::new(WEEK_MS, interval, t_ms);
        }

        let range = self.range_decades(x);
        // A noise-free or quantised series is judged on its resolution (half its smallest
        // step) or a millionth of its level, so its errors stay finite and ranked.
        let level_floor = (LEVEL_FLOOR * self.slow.abs()).max(1e-12);
        let floor = if self.resolution.is_finite() {
            (0.5 * self.resolution).max(level_floor)
        } else {
            level_floor
        };
        let guesses = [
            Some(self.slow),
            Some(self.fast),
            self.daily.as_ref().and_then(|s| s.predict(t_ms)),
            self.weekly.as_ref().and_then(|s| s.predict(t_ms)),
        ];
        let slow_ms = self.views[SLOW].mean_square();
        let mut best = 0.0f64;
        let mut tries = 0u32;
        for (i, guess) in guesses.iter().enumerate() {
            let Some(g) = guess else { continue };
            let supported = i < DAILY || self.views[i].mean_square() < SEASON_SUPPORT * slow_ms;
            let v = self.views[i].observe(x - g, alpha, keep, floor);
            if supported {
                tries += 2;
                best = best.max(v.point).max(v.sustained);
            }
        }
        let combined = (best - f64::from(tries.max(1)).log10()).max(0.0);
        let decades = combined.max(range);

        if self.peak > 0.0 {
            let half_life = ONSET_HALF_LIFE_INTERVALS * interval;
            self.peak *= (-std::f64::consts::LN_2 * dt / half_life).exp();
            if self.peak < 0.01 {
                self.peak = 0.0; // forgotten: no more decay to compute
            }
        }
        let emphasised = if decades > self.peak {
            decades
        } else {
            REPEAT_SHARE * decades
        };
        self.peak = self.peak.max(decades.min(PEAK_CAP_DECADES));

        self.learn(t_ms, x, dt, alpha, interval);
        SurpriseScore {
            score: emphasised / (emphasised + HALF_SCORE_DECADES),
            decades,
        }
    }

    /// Decades for a value past the range seen so far (0 inside it or its margin).
    fn range_decades(&self, x: f64) -> f64 {
        if self.readings <= RANGE_AFTER || self.high < self.low {
            return 0.0;
        }
        let width = (self.high - self.low).max(1e-12);
        let beyond = (x - self.high).max(self.low - x);
        if beyond > RANGE_MARGIN * width {
            RANGE_EDGE_DECADES + RANGE_DECADES_PER_LOG * (beyond / width).ln_1p()
        } else {
            0.0
        }
    }

    fn learn(&mut self, t_ms: i64, x: f64, dt: f64, alpha: f64, interval: f64) {
        self.slow += alpha * (x - self.slow);
        self.fast += (1.0 - (-dt / (FAST_INTERVALS * interval)).exp()) * (x - self.fast);
        for season in [&mut self.daily, &mut self.weekly].into_iter().flatten() {
            season.learn(t_ms, x);
        }
        self.low = self.low.min(x);
        self.high = self.high.max(x);
        if let Some(step) = self.last_x.map(|p| (x - p).abs()).filter(|&s| s > 0.0) {
            self.resolution = self.resolution.min(step);
        }
        self.last_x = Some(x);
        self.last_ms = Some(t_ms);
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.views.iter().map(ErrorView::heap_bytes).sum::<usize>()
            + [&self.daily, &self.weekly]
                .into_iter()
                .flatten()
                .map(Season::heap_bytes)
                .sum::<usize>()
    }
}
