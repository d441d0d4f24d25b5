//! Episodes: consecutive anomalous readings of one series, closed after an off-delay of
//! normal readings, typed by which detectors fired and in what order.

use grid_model::{AlertSeverity, AnomalyKind};
use serde::{Deserialize, Serialize};

use crate::catalogue;

/// The detectors, as named in an episode's contributing factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detector {
    /// z of the one-step residual on a winsorised exponentially weighted scale (a spike
    /// cannot inflate the scale it is judged by).
    Spike,
    /// Two-sided CUSUM of the one-step residual (level shift).
    Shift,
    /// Slow EWMA of the residual from the expected value (drift).
    Drift,
    /// CUSUM of the squared one-step residual (variance rise).
    Noise,
    /// Run of exactly equal values (stuck).
    Stuck,
    /// Change per second beyond what the quantity can do.
    Rate,
    /// Feeders against their incomers.
    Imbalance,
    /// The day's shape displaced in time against the profile.
    Pattern,
}

impl Detector {
    /// Every detector, in the order ties are broken.
    pub const ALL: [Detector; 8] = [
        Detector::Stuck,
        Detector::Imbalance,
        Detector::Pattern,
        Detector::Rate,
        Detector::Spike,
        Detector::Noise,
        Detector::Shift,
        Detector::Drift,
    ];
}

/// One detector's part in an episode.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectorHit {
    /// Which detector.
    pub detector: Detector,
    /// When it first passed its threshold (ms since the Unix epoch).
    pub first_ms: i64,
    /// Its largest statistic over its threshold (≥ 1).
    pub peak: f64,
}

/// An anomaly episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    /// What kind of anomaly.
    pub kind: AnomalyKind,
    /// How urgent.
    pub severity: AlertSeverity,
    /// The first anomalous reading (ms since the Unix epoch).
    pub start_ms: i64,
    /// The last anomalous reading.
    pub end_ms: i64,
    /// Whether it was still open when this was written.
    pub ongoing: bool,
    /// The largest score of its readings.
    pub peak_score: f64,
    /// How many of its readings were anomalous.
    pub anomalous_readings: u32,
    /// The value at the most anomalous reading.
    pub actual: f64,
    /// What was expected there (the series' own profile or level).
    pub expected: Option<f64>,
    /// The detectors that fired, in the order they first did.
    pub detectors: Vec<DetectorHit>,
    /// For a pattern break: by how many minutes the day's shape is displaced.
    pub pattern_shift_minutes: Option<i32>,
}

impl Episode {
    /// (actual − expected) / |expected|, %; `None` without an expected value or near zero.
    pub fn deviation_percent(&self) -> Option<f64> {
        let e = self.expected?;
        (e.abs() > 1e-9).then(|| (self.actual - e) / e.abs() * 100.0)
    }

    /// The table's probable causes for this kind (see [`catalogue`]).
    pub fn potential_causes(&self) -> &'static [&'static str] {
        catalogue::entry(self.kind).causes
    }

    /// The table's recommended actions for this kind.
    pub fn recommended_actions(&self) -> &'static [&'static str] {
        catalogue::entry(self.kind).actions
    }
}

/// The running state of an open episode.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Open {
    start_ms: i64,
    end_ms: i64,
    peak_score: f64,
    readings: u32,
    worst_u: f64,
    actual: f64,
    expected: Option<f64>,
    hits: Vec<DetectorHit>,
    /// Sum of the residuals from the expected value over the episode's readings.
    residual_sum: f64,
    /// Readings summed (anomalous or not, while open).
    residual_count: u32,
    /// Sum and count of the residuals of the episode's first readings.
    early_sum: f64,
    early_count: u32,
    /// Sums for the residual's trend over the episode (time in hours from its start).
    trend: Trend,
    /// The residual's usual spread (σ while normal).
    residual_scale: f64,
    /// The mean residual 90 to 30 minutes before the start (set by the series detector).
    pub(crate) before_mean: Option<f64>,
    pub(crate) pattern_shift_minutes: Option<i32>,
}

/// What one reading did to the episode.
#[derive(Debug, Clone, PartialEq)]
pub enum EpisodeEvent {
    /// An episode began at this reading (`ongoing` is true; its kind is provisional).
    Opened(Episode),
    /// An episode ended: the last anomalous reading is `end_ms`.
    Closed(Episode),
}

/// Groups anomalous readings into episodes with an off-delay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpisodeTracker {
    pub(crate) open: Option<Open>,
    quiet: u32,
}

/// One reading's verdict, as the tracker needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reading<'a> {
    pub t_ms: i64,
    pub x: f64,
    pub expected: Option<f64>,
    /// The value less its expected value (profile or level, without the noise's memory).
    pub residual: f64,
    /// The residual's usual spread.
    pub scale: f64,
    pub score: f64,
    /// Each detector's statistic over its threshold.
    pub ratios: &'a [(Detector, f64)],
}

impl EpisodeTracker {
    /// Whether an episode is open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// When the open episode started.
    pub fn start_ms(&self) -> Option<i64> {
        self.open.as_ref().map(|o| o.start_ms)
    }

    /// Readings since the open episode started that were anomalous.
    pub fn readings(&self) -> u32 {
        self.open.as_ref().map_or(0, |o| o.readings)
    }

    /// How long the open episode has lasted at `t_ms`, in ms.
    pub fn age_ms(&self, t_ms: i64) -> Option<i64> {
        self.open.as_ref().map(|o| t_ms - o.start_ms)
    }

    /// Takes one reading; `hold` normal readings close an episode.
    pub(crate) fn observe(&mut self, r: Reading<'_>, hold: u32) -> Option<EpisodeEvent> {
        let anomalous = r.ratios.iter().any(|&(_, u)| u >= 1.0);
        if anomalous {
            self.quiet = 0;
            let opened = self.open.is_none();
            let o = self.open.get_or_insert_with(|| Open {
                start_ms: r.t_ms,
                ..Open::default()
            });
            o.end_ms = r.t_ms;
            o.readings += 1;
            o.residual_sum += r.residual;
            o.residual_count += 1;
            o.trend
                .add((r.t_ms - o.start_ms) as f64 / 3.6e6, r.residual);
            if o.early_count < EARLY_READINGS {
                o.early_sum += r.residual;
                o.early_count += 1;
            }
            o.residual_scale = r.scale;
            o.peak_score = o.peak_score.max(r.score);
            for &(d, u) in r.ratios.iter().filter(|&&(_, u)| u >= 1.0) {
                match o.hits.iter_mut().find(|h| h.detector == d) {
                    Some(h) => h.peak = h.peak.max(u),
                    None => o.hits.push(DetectorHit {
                        detector: d,
                        first_ms: r.t_ms,
                        peak: u,
                    }),
                }
            }
            let u = r.ratios.iter().map(|&(_, u)| u).fold(0.0, f64::max);
            if u > o.worst_u {
                o.worst_u = u;
                o.actual = r.x;
                o.expected = r.expected;
            }
            return opened.then(|| EpisodeEvent::Opened(self.snapshot(true).expect("open")));
        }
        if let Some(o) = self.open.as_mut() {
            o.residual_sum += r.residual;
            o.residual_count += 1;
            self.quiet += 1;
            if self.quiet >= hold {
                return self.close().map(EpisodeEvent::Closed);
            }
        }
        None
    }

    /// Closes the open episode, if any.
    pub fn close(&mut self) -> Option<Episode> {
        let e = self.snapshot(false);
        self.open = None;
        self.quiet = 0;
        e
    }

    /// The open episode as it stands (`ongoing`).
    pub fn snapshot(&self, ongoing: bool) -> Option<Episode> {
        let o = self.open.as_ref()?;
        let kind = classify(o);
        Some(Episode {
            kind,
            severity: catalogue::severity(kind, o.hits.iter().map(|h| h.peak).fold(0.0, f64::max)),
            start_ms: o.start_ms,
            end_ms: o.end_ms,
            ongoing,
            peak_score: o.peak_score,
            anomalous_readings: o.readings,
            actual: o.actual,
            expected: o.expected,
            detectors: o.hits.clone(),
            pattern_shift_minutes: o.pattern_shift_minutes,
        })
    }
}

/// Least-squares sums of the residual against time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
struct Trend {
    n: f64,
    t: f64,
    r: f64,
    tt: f64,
    tr: f64,
}

impl Trend {
    fn add(&mut self, t: f64, r: f64) {
        self.n += 1.0;
        self.t += t;
        self.r += r;
        self.tt += t * t;
        self.tr += t * r;
    }

    /// The fitted line's rise over the span of times, as a share of the mean residual (in
    /// the mean's direction): about 0 for a step held level, well above 0 for a ramp.
    fn rise_share(&self) -> f64 {
        let var_t = self.tt - self.t * self.t / self.n;
        let mean = self.r / self.n;
        if self.n < 3.0 || var_t <= 0.0 || mean == 0.0 {
            return 0.0;
        }
        let slope = (self.tr - self.t * self.r / self.n) / var_t;
        // The span of the times, from their spread (uniform times: span = √12 · sd).
        let span = (12.0 * var_t / self.n).sqrt();
        slope * span / mean
    }
}

/// A lasting offset whose fitted line over the episode rises by at least this share of its
/// mean (in the mean's direction) is a drift, not a step held level.
const DRIFT_RISE: f64 = 0.3;

/// The episode's first readings, whose mean residual is its level at the start.
const EARLY_READINGS: u32 = 10;

/// Readings at most this many make a spike (a glitch, not a lasting change).
const SPIKE_READINGS: u32 = 3;

/// Below this many of the residual's usual σ, the episode's mean offset is no lasting
/// change of level: an episode that also tripped the variance detector is noise.
const NOISE_OFFSET: f64 = 1.0;
/// A change whose level 90 to 30 minutes before the episode had already covered this share
/// of the level at the episode's start (its first ten readings) was under way before
/// anything tripped: a drift. A step starts from zero (its detection takes minutes, not
/// half an hour).
const DRIFT_SHARE_BEFORE: f64 = 0.25;

/// The episode's kind from its detectors and its residuals: a frozen value first (the other
/// detectors react to it too), then the cross-sensor imbalance, a displaced daily shape, a
/// short glitch; then a variance rise without a lasting offset (noise); a lasting offset is
/// a drift if the slow detector fired first or the offset was already building before the
/// episode, else a level shift.
fn classify(o: &Open) -> AnomalyKind {
    let fired = |d| o.hits.iter().any(|h| h.detector == d);
    if fired(Detector::Stuck) {
        return AnomalyKind::Stuck;
    }
    if fired(Detector::Imbalance) {
        return AnomalyKind::Imbalance;
    }
    if fired(Detector::Pattern) {
        return AnomalyKind::PatternBreak;
    }
    if o.readings <= SPIKE_READINGS && (fired(Detector::Spike) || fired(Detector::Rate)) {
        return AnomalyKind::Spike;
    }
    let mean = o.residual_sum / f64::from(o.residual_count.max(1));
    let offset = mean.abs() / o.residual_scale.max(f64::MIN_POSITIVE);
    let first = |d| o.hits.iter().find(|h| h.detector == d).map(|h| h.first_ms);
    // A spike on the first reading that then lasts is a step (too big for the clipped CUSUM
    // to be first, and accepted as the new level by the robust filter), never a drift.
    let step = first(Detector::Spike) == Some(o.start_ms);
    if step && offset >= NOISE_OFFSET {
        return AnomalyKind::LevelShift;
    }
    if fired(Detector::Noise) && offset < NOISE_OFFSET {
        return AnomalyKind::Noise;
    }
    match (first(Detector::Shift), first(Detector::Drift)) {
        (None, None) if fired(Detector::Noise) => AnomalyKind::Noise,
        // Spikes in a row that never added up to a lasting change: a burst of glitches.
        (None, None) => AnomalyKind::Spike,
        (None, Some(_)) if !step => AnomalyKind::Drift,
        (Some(s), Some(d)) if d < s && !step => AnomalyKind::Drift,
        _ => {
            let early = o.early_sum / f64::from(o.early_count.max(1));
            let building = o
                .before_mean
                .is_some_and(|b| b * early > 0.0 && b.abs() >= DRIFT_SHARE_BEFORE * early.abs());
            if building || o.trend.rise_share() >= DRIFT_RISE {
                AnomalyKind::Drift
            } else {
                AnomalyKind::LevelShift
            }
        }
    }
}
