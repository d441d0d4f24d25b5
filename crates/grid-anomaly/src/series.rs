//! One series' detector: every reading in time order gets a score in [0, 1] and may open or
//! close an episode. Its whole state is this struct (serialisable, a few KiB), so it can be
//! persisted and restored between batches or across a restart.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::detectors::{EqualRun, Ewma, NoiseModel, rate_ratio};
use crate::episode::{Detector, EpisodeEvent, EpisodeTracker, Reading};
use crate::error::AnomalyError;
use crate::profile::{Pattern, Profile};
use crate::surprise::Surprise;
use crate::track::{Track, Verdict};

const DAY_MS: i64 = 86_400_000;
/// The tag before a persisted state: the format's version. States written before the
/// ranking score (issue 26) carry none; a change of layout changes the tag.
pub const STATE_FORMAT: &[u8; 4] = b"SGA2";
/// Recent residuals kept to see whether a change was building before its episode (two hours
/// at 1-minute cadence).
const RECENT: usize = 120;
/// Gaps remembered to estimate the sampling interval.
const GAPS: usize = 15;
/// The profile track takes over when it leaves less than this share of the level track's
/// residual variance (it explains at least half the series' slow movement)…
const PROFILE_ON: f64 = 0.45;
/// …and hands back above this share (hysteresis).
const PROFILE_OFF: f64 = 0.55;
/// How long the profile track learns before it may take over: eight hours of readings,
/// between 100 and 500 readings.
const PROFILE_LEARNING_MS: f64 = 8.0 * 3_600_000.0;
/// The slow level's memory: a day or 500 sampling intervals, whichever is longer (in time,
/// so a 5-minute or an hourly series forgets at the same pace as a 1-minute one, not five
/// or sixty times slower).
const LEVEL_HORIZON_INTERVALS: f64 = 500.0;
/// The learned scales' memory, in level horizons (2,000 readings at 1-minute cadence).
const SCALE_HORIZONS: f64 = 2000.0 / 1440.0;

/// A reading's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Anomaly score in [0, 1]: `u / (1 + u)`, `u` the largest detector statistic over its
    /// threshold, so 0.5 is exactly at a threshold and a reading is anomalous from 0.5 up.
    /// 0 during the learning period.
    pub score: f64,
    /// Whether a detector is at or past its threshold.
    pub anomalous: bool,
    /// The ranking score in [0, 1): how surprising the reading is under what the series has
    /// shown ([`crate::surprise`]), comparable across series; 0.5 at a chance of 10⁻⁵.
    /// Scored from the 50th reading, with no learning period of its own.
    pub surprise: f64,
    /// The one-step prediction of the value (`None` during the learning period).
    pub expected: Option<f64>,
    /// Episodes this reading opened or closed (a long gap can close one and the reading
    /// after it open the next).
    pub events: Vec<EpisodeEvent>,
}

/// The detector of one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesDetector {
    cfg: Config,
    readings: u64,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
    last_value: Option<f64>,
    gaps: VecDeque<i64>,
    interval_ms: f64,
    learning: bool,
    level: Ewma,
    profile: Profile,
    flat: Track,
    shaped: Track,
    using_profile: bool,
    profile_was_ready: bool,
    run: EqualRun,
    pattern: Pattern,
    noise: NoiseModel,
    /// (minute since the epoch, residual): minutes keep the persisted state small.
    recent: VecDeque<(i32, f32)>,
    episodes: EpisodeTracker,
    surprise: Surprise,
}

impl SeriesDetector {
    /// A detector with `cfg`, in its learning period.
    pub fn new(cfg: Config) -> Self {
        SeriesDetector {
            cfg,
            readings: 0,
            first_ms: None,
            last_ms: None,
            last_value: None,
            gaps: VecDeque::with_capacity(GAPS),
            interval_ms: 0.0,
            learning: true,
            level: Ewma::default(),
            profile: Profile::default(),
            flat: Track::default(),
            shaped: Track::default(),
            using_profile: false,
            profile_was_ready: false,
            run: EqualRun::default(),
            pattern: Pattern::default(),
            noise: NoiseModel::default(),
            recent: VecDeque::with_capacity(RECENT),
            episodes: EpisodeTracker::default(),
            surprise: Surprise::default(),
        }
    }

    /// The whole state, compactly (postcard after [`STATE_FORMAT`]), for a caller to persist
    /// (about 10 KiB with a week's profile, at most 64 KiB).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = STATE_FORMAT.to_vec();
        bytes.extend(postcard::to_allocvec(self).unwrap_or_default());
        bytes
    }

    /// A detector from [`SeriesDetector::to_bytes`]'s output.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, crate::StateError> {
        let body = bytes.strip_prefix(STATE_FORMAT).ok_or_else(|| {
            crate::StateError("written by an earlier engine version (no format tag)".into())
        })?;
        postcard::from_bytes(body).map_err(|e| crate::StateError(e.to_string()))
    }

    /// Whether `bytes` are a state in this version's format (else an earlier version wrote
    /// them, and the series must learn afresh: its layout is not this one).
    pub fn is_current_state(bytes: &[u8]) -> bool {
        bytes.starts_with(STATE_FORMAT)
    }

    /// Bytes the detector holds in memory: the struct and its buffers (an open episode's
    /// few detector hits aside).
    pub fn memory_bytes(&self) -> usize {
        size_of::<Self>()
            + self.profile.heap_bytes()
            + self.recent.capacity() * size_of::<(i32, f32)>()
            + self.gaps.capacity() * 8
            + self.surprise.heap_bytes()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Whether the detector is still learning (no scores yet).
    pub fn is_learning(&self) -> bool {
        self.learning
    }

    /// The time of the last reading accepted (ms since the Unix epoch).
    pub fn last_ms(&self) -> Option<i64> {
        self.last_ms
    }

    /// Whether the daily profile is the expected value (else a slow level).
    pub fn uses_profile(&self) -> bool {
        self.using_profile
    }

    /// The estimated sampling interval, ms.
    pub fn interval_ms(&self) -> f64 {
        self.interval_ms
    }

    /// Whether an episode is open.
    pub fn has_open_episode(&self) -> bool {
        self.episodes.is_open()
    }

    /// The open episode as it stands, if any.
    pub fn open_episode(&self) -> Option<crate::Episode> {
        self.episodes.snapshot(true)
    }

    fn profile_learning(&self) -> u32 {
        (PROFILE_LEARNING_MS / self.interval_ms.max(1.0)).clamp(100.0, 500.0) as u32
    }

    fn update_interval(&mut self, gap: i64) {
        if self.gaps.len() == GAPS {
            self.gaps.pop_front();
        }
        self.gaps.push_back(gap);
        let mut sorted = [0i64; GAPS];
        let n = self.gaps.len();
        for (slot, g) in sorted.iter_mut().zip(&self.gaps) {
            *slot = *g;
        }
        sorted[..n].sort_unstable();
        self.interval_ms = sorted[n / 2] as f64;
    }

    /// Scores one reading: `t_ms` since the Unix epoch, later than the last one.
    pub fn observe(&mut self, t_ms: i64, x: f64) -> Result<Scored, AnomalyError> {
        if !x.is_finite() {
            return Err(AnomalyError::NotFinite {
                at_ms: t_ms,
                value: x,
            });
        }
        if let Some(previous_ms) = self.last_ms.filter(|&p| t_ms <= p) {
            return Err(AnomalyError::OutOfOrder {
                at_ms: t_ms,
                previous_ms,
            });
        }
        let mut events = Vec::new();
        let gap = self.last_ms.map(|p| t_ms - p);
        // The median of recent gaps: the sampling interval, whatever the cadence; a missing
        // reading or two does not move it.
        if let Some(g) = gap {
            if self.readings < 64 || (g as f64) < 3.0 * self.interval_ms {
                self.update_interval(g);
            }
        }
        let steps = match gap {
            Some(g) if self.interval_ms > 0.0 => (g as f64 / self.interval_ms).max(1.0),
            _ => 1.0,
        };
        if gap.is_some() && steps > self.cfg.max_gap_intervals {
            self.flat.restart();
            self.shaped.restart();
            self.run.restart();
            self.last_value = None;
            events.extend(self.episodes.close().map(EpisodeEvent::Closed));
        }
        self.readings += 1;
        self.first_ms.get_or_insert(t_ms);
        let surprise = self.surprise.observe(t_ms, x, self.interval_ms).score;

        let level = if self.level.n == 0 {
            x
        } else {
            self.level.value
        };
        let profile_ready = self.profile.ready(t_ms, self.cfg.profile_days);
        let profiled = if profile_ready {
            self.profile.expected(t_ms)
        } else {
            level
        };
        let drift_alpha = (self.interval_ms.max(1.0) / 1000.0 / self.cfg.drift_tau_s).min(1.0);
        let (last_flat, last_shaped) = (self.flat.last_residual(), self.shaped.last_residual());
        // The noise model's factor at the expected value of the track in use.
        let factor = self
            .noise
            .factor(if self.using_profile { profiled } else { level });
        let flat = self
            .flat
            .score(x - level, 0.0, factor, steps, &self.cfg, drift_alpha);
        let shaped = self
            .shaped
            .score(x - profiled, 0.0, factor, steps, &self.cfg, drift_alpha);

        // The profile track learns its own scales only from when the profile is ready (its
        // residuals before that are the level track's), and may take over once it has.
        if profile_ready && !self.profile_was_ready {
            self.profile_was_ready = true;
            self.shaped = Track::default();
        }
        let share = self.shaped.residual_var.value / self.flat.residual_var.value.max(1e-300);
        let want_profile = profile_ready
            && self.shaped.learned() >= self.profile_learning()
            && if self.using_profile {
                share < PROFILE_OFF
            } else {
                share < PROFILE_ON
            };
        if want_profile != self.using_profile {
            self.using_profile = want_profile;
            let taking_over = if want_profile {
                &mut self.shaped
            } else {
                &mut self.flat
            };
            taking_over.clear_evidence();
        }
        let (verdict, expected_base): (Verdict, f64) = if self.using_profile {
            (shaped, profiled)
        } else {
            (flat, level)
        };

        let counts = self.cfg.zero_can_be_stuck || x != 0.0;
        let (run, ended) = self.run.update(x, counts);
        let seconds = gap.map_or(0.0, |g| g as f64 / 1000.0);
        let rate = rate_ratio(self.last_value, x, seconds, self.cfg.max_rate_per_s);

        let elapsed = t_ms - self.first_ms.unwrap_or(t_ms);
        // Once the profile is ready, learning lasts until its track has learned its scales
        // too, so scoring never starts on the level track of a series with a daily shape.
        let profile_learning = profile_ready && self.shaped.learned() < self.profile_learning();
        if self.learning
            && self.readings >= u64::from(self.cfg.min_warmup_samples)
            && (elapsed as f64 >= self.cfg.profile_days * DAY_MS as f64
                || self.readings >= u64::from(self.cfg.warmup_samples))
            && !profile_learning
        {
            self.learning = false;
            self.flat.clear_evidence();
            self.shaped.clear_evidence();
        }

        let pattern = if self.using_profile {
            self.pattern.update(
                &self.profile,
                t_ms,
                x,
                drift_alpha,
                steps,
                self.shaped.residual_var.value,
            )
        } else {
            0.0
        };
        let ratios = if self.learning {
            [(Detector::Spike, 0.0); 7]
        } else {
            let stuck = if run >= 2 {
                f64::from(run) / f64::from(self.run.threshold(self.cfg.stuck_min_run))
            } else {
                0.0
            };
            [
                (Detector::Stuck, stuck),
                (Detector::Rate, rate.unwrap_or(0.0)),
                (Detector::Spike, verdict.spike),
                (Detector::Noise, verdict.noise),
                (Detector::Shift, verdict.shift),
                (Detector::Drift, verdict.drift),
                (Detector::Pattern, pattern),
            ]
        };
        let u = ratios.iter().map(|&(_, u)| u).fold(0.0, f64::max);
        let score = u / (1.0 + u);
        let anomalous = u >= 1.0;
        let expected = (!self.learning).then_some(expected_base + verdict.predicted_residual);

        let residual_scale = if self.using_profile {
            self.shaped.residual_var.value.sqrt()
        } else {
            self.flat.residual_var.value.sqrt()
        };
        let event = self.episodes.observe(
            Reading {
                t_ms,
                x,
                expected: Some(expected_base),
                residual: x - expected_base,
                scale: residual_scale,
                score,
                ratios: &ratios,
            },
            self.cfg.hold_samples,
        );
        if pattern >= 1.0 && !self.learning {
            if let Some(open) = self.episodes.open.as_mut() {
                open.pattern_shift_minutes
                    .replace(self.pattern.best_minutes() as i32);
            }
        }
        if let Some(EpisodeEvent::Opened(_)) = &event {
            let before = self.mean_residual_before(t_ms);
            if let Some(open) = self.episodes.open.as_mut() {
                open.before_mean = before;
            }
        }
        events.extend(event);

        let adapting = self
            .episodes
            .age_ms(t_ms)
            .is_some_and(|age| age as f64 >= self.cfg.adapt_after_s * 1000.0);
        let normal = self.learning || (!anomalous && !self.episodes.is_open()) || adapting;
        if normal {
            // Forgetting in time: this step's share of the level's and the scales' memories.
            let horizon_ms = (DAY_MS as f64).max(LEVEL_HORIZON_INTERVALS * self.interval_ms);
            let step_ms = steps * self.interval_ms.max(1.0);
            let level_alpha = 1.0 - (-step_ms / horizon_ms).exp();
            let scale_alpha = 1.0 - (-step_ms / (SCALE_HORIZONS * horizon_ms)).exp();
            // The noise model learns from the level track's one-step residual (there from
            // the first reading, on every kind of series) against the value itself.
            self.noise.learn(x, self.flat.last_e2());
            self.flat.learn(
                x - level,
                x - level,
                factor,
                last_flat,
                flat.z,
                steps,
                scale_alpha,
            );
            if profile_ready {
                self.shaped.learn(
                    x - profiled,
                    x - profiled,
                    factor,
                    last_shaped,
                    shaped.z,
                    steps,
                    scale_alpha,
                );
            }
            if verdict.spike < 1.0 {
                self.profile.learn(
                    t_ms,
                    x,
                    self.cfg.profile_forgetting,
                    self.interval_ms.max(1.0),
                );
                self.level.learn(x, level_alpha);
            }
        }
        if let (true, Some(len)) = (normal, ended) {
            // A run that ended while the series was normal was a natural one.
            self.run.longest_normal = self.run.longest_normal.max(len);
        }

        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        // The residual as scored then: the profile learns on, and would hide a slow change
        // from itself if the residual were taken again later.
        self.recent
            .push_back((t_ms.div_euclid(60_000) as i32, (x - expected_base) as f32));
        self.last_ms = Some(t_ms);
        self.last_value = Some(x);
        Ok(Scored {
            score,
            anomalous,
            surprise,
            expected,
            events,
        })
    }

    /// Closes the open episode now (the end of a history run that should not leave one
    /// open, or a sensor taken out of service).
    pub fn close_episode(&mut self) -> Option<crate::Episode> {
        self.episodes.close()
    }

    /// The mean residual from the expected value 90 to 30 minutes before `t_ms`, from the
    /// recent readings (`None` with fewer than ten there).
    fn mean_residual_before(&self, t_ms: i64) -> Option<f64> {
        let minute = t_ms.div_euclid(60_000) as i32;
        let (from, to) = (minute - 90, minute - 30);
        let (mut sum, mut n) = (0.0, 0u32);
        for &(_, r) in self.recent.iter().filter(|&&(t, _)| t >= from && t < to) {
            sum += f64::from(r);
            n += 1;
        }
        (n >= 10).then(|| sum / f64::from(n))
    }
}
