//! The detectors' parameters. None of them is per series: scales (σ of the one-step
//! residual, σ of the slow mean, the longest natural run of equal values, the sampling
//! interval) are learned from the series itself during the learning period and kept up to
//! date while it is normal, so the same defaults serve a 1-minute feeder load and a 5-minute
//! server metric.

use serde::{Deserialize, Serialize};

/// Every parameter of a [`crate::SeriesDetector`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The learning period ends after [`Config::profile_days`] of data (and, once the
    /// daily profile is ready, eight hours more for its own scales) or after this many
    /// readings, whichever comes first, and never before [`Config::min_warmup_samples`].
    pub warmup_samples: u32,
    /// The learning period's floor, in readings.
    pub min_warmup_samples: u32,
    /// z of the one-step residual beyond which a reading is a spike, its σ an exponentially
    /// weighted mean square of residuals winsorised at 4σ (not Hampel's median/MAD, which
    /// needs a window of values: the idea is the same, a scale one outlier cannot inflate).
    /// Hampel's identifier uses t = 3 on raw values; on the prewhitened residual, whose scale excludes
    /// the daily shape and the noise's memory, 4.5 keeps a clean series near one false spike
    /// in a hundred sensor-days at 1-minute cadence (Gaussian tail 6.8·10⁻⁶ per reading).
    pub spike_z: f64,
    /// CUSUM reference value k, in σ of the one-step residual (Page 1954; k = δ/2 for a
    /// design shift δ = 1σ of the prewhitened residual).
    pub shift_k: f64,
    /// CUSUM decision interval h, in the same units (two-sided; h = 10 with k = 0.5 gives an
    /// in-control average run length of about 7·10⁴ readings by Siegmund's approximation).
    pub shift_h: f64,
    /// The slow mean's time constant, in seconds (drift: an EWMA of the residual from the
    /// expected value).
    pub drift_tau_s: f64,
    /// How many of its own learned σ the slow mean may wander before it is a drift.
    pub drift_sigmas: f64,
    /// Variance CUSUM reference value on z² (the log-likelihood ratio of a ×4 variance
    /// change is 0.375·z² − 0.693 per reading: k = 1.85).
    pub noise_k: f64,
    /// Variance CUSUM decision interval, on z² (winsorised at 9, so a spike, which enters
    /// the differenced residual twice, adds at most 14).
    pub noise_h: f64,
    /// A run of exactly equal values this long (or twice the longest natural run seen,
    /// whichever is longer) is stuck.
    pub stuck_min_run: u32,
    /// Whether a run of exact zeros counts as stuck. Grid quantities read exactly 0 when
    /// de-energised (an outage, not a frozen transducer), so the grid sets this `false`.
    pub zero_can_be_stuck: bool,
    /// The largest change per second the quantity can physically make (`None`: no limit
    /// known, e.g. a series from a CSV file).
    pub max_rate_per_s: Option<f64>,
    /// Readings in a row below threshold that close an episode (the off-delay of ISA-18.2
    /// alarm practice, so one fault is one episode and not a chatter of many).
    pub hold_samples: u32,
    /// A gap longer than this many sampling intervals restarts the short-term state (the
    /// residual's memory, the CUSUMs, the equal-value run).
    pub max_gap_intervals: f64,
    /// Days of data before the daily profile may serve as the expected value (two: a profile
    /// learned from one day still carries a third of the noise's σ of error at a sharp
    /// evening peak, which the shift detector would read as shifts).
    pub profile_days: f64,
    /// The daily profile's forgetting per day a bin is visited (0.3: a day's weight halves
    /// in about two days).
    pub profile_forgetting: f64,
    /// After an episode has lasted this long (seconds) the engine starts learning again, so
    /// a lasting change becomes the new normal instead of one endless episode.
    pub adapt_after_s: f64,
}

impl Config {
    /// The defaults, as a constant.
    pub const DEFAULT: Config = Config {
        warmup_samples: 10_000,
        min_warmup_samples: 100,
        spike_z: 4.5,
        shift_k: 0.5,
        shift_h: 10.0,
        drift_tau_s: 3600.0,
        drift_sigmas: 4.5,
        noise_k: 1.85,
        noise_h: 30.0,
        stuck_min_run: 10,
        zero_can_be_stuck: true,
        max_rate_per_s: None,
        hold_samples: 10,
        max_gap_intervals: 30.0,
        profile_days: 2.0,
        profile_forgetting: 0.3,
        adapt_after_s: 86_400.0,
    };
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}
