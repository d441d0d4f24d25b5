//! Episode matching and the figures per fault type (the episode-level evaluation the
//! anomaly-detection literature recommends over per-reading accuracy: precision, recall, F1,
//! detection delay, and false episodes per sensor-day on clean data).

use std::collections::BTreeMap;

use grid_anomaly::baseline::RollingZScore;
use grid_anomaly::{Config, EpisodeEvent, ImbalanceDetector, SeriesDetector};
use grid_model::AnomalyKind;

use crate::synth::{DAY_MS, FIRST_FAULT_DAY, Fault, Group, START_MS, Series};

/// Episodes are counted from this time on (faults are only injected from then on, and the
/// engine's learning period is over).
pub const SCORED_FROM_MS: i64 = START_MS + FIRST_FAULT_DAY * DAY_MS;

/// A detected episode: its start and (for the engine) its kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    /// First anomalous reading.
    pub start_ms: i64,
    /// The engine's type (`None` for the baseline, which does not type).
    pub kind: Option<AnomalyKind>,
}

/// Which detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// This crate's engine.
    Engine,
    /// The rolling 3-sigma z-score over the previous 60 readings.
    Baseline,
}

fn collect(events: impl IntoIterator<Item = EpisodeEvent>, out: &mut Vec<Found>, typed: bool) {
    for e in events {
        if let EpisodeEvent::Closed(ep) = e {
            out.push(Found {
                start_ms: ep.start_ms,
                kind: typed.then_some(ep.kind),
            });
        }
    }
}

/// The episodes `method` finds in `series`.
pub fn detect(method: Method, series: &Series) -> Vec<Found> {
    let mut found = Vec::new();
    match method {
        Method::Engine => {
            let mut d = SeriesDetector::new(Config::default());
            for &(t, x) in &series.readings {
                let scored = d.observe(t, x).expect("synthetic readings are valid");
                collect(scored.events, &mut found, true);
            }
            if let Some(ep) = d.close_episode() {
                collect([EpisodeEvent::Closed(ep)], &mut found, true);
            }
        }
        Method::Baseline => {
            let mut d = RollingZScore::new(60, 3.0, Config::default().hold_samples);
            for &(t, x) in &series.readings {
                collect(d.observe(t, x), &mut found, false);
            }
            if let Some(ep) = d.close_episode() {
                collect([EpisodeEvent::Closed(ep)], &mut found, false);
            }
        }
    }
    found.retain(|f| f.start_ms >= SCORED_FROM_MS);
    found
}

/// The groups' totals at the minutes every member reported.
pub fn totals(group: &Group) -> Vec<(i64, f64, f64)> {
    let mut sums: BTreeMap<i64, (f64, f64, usize)> = BTreeMap::new();
    for &(t, x) in &group.incomer {
        sums.entry(t).or_default().0 += x;
        sums.entry(t).or_default().2 += 1;
    }
    for feeder in &group.feeders {
        for &(t, x) in feeder {
            let e = sums.entry(t).or_default();
            e.1 += x;
            e.2 += 1;
        }
    }
    let members = 1 + group.feeders.len();
    sums.into_iter()
        .filter(|(_, (_, _, n))| *n == members)
        .map(|(t, (i, f, _))| (t, i, f))
        .collect()
}

/// The imbalance episodes `method` finds in `group` (the baseline runs on the mismatch).
pub fn detect_group(method: Method, group: &Group) -> Vec<Found> {
    let mut found = Vec::new();
    let rows = totals(group);
    match method {
        Method::Engine => {
            let mut d = ImbalanceDetector::default();
            for (t, i, f) in rows {
                if let Some(s) = d.observe(t, i, f).expect("valid") {
                    collect(s.event, &mut found, true);
                }
            }
            collect(
                d.close_episode().map(EpisodeEvent::Closed),
                &mut found,
                true,
            );
        }
        Method::Baseline => {
            let mut d = RollingZScore::new(60, 3.0, Config::default().hold_samples);
            for (t, i, f) in rows {
                collect(d.observe(t, (f - i) / i), &mut found, false);
            }
            collect(
                d.close_episode().map(EpisodeEvent::Closed),
                &mut found,
                false,
            );
        }
    }
    found.retain(|f| f.start_ms >= SCORED_FROM_MS);
    found
}

/// Counts for one fault type and method.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Faults injected.
    pub faults: usize,
    /// Faults with a matching episode.
    pub detected: usize,
    /// Faults with a matching episode of the fault's type.
    pub typed: usize,
    /// Episodes found.
    pub episodes: usize,
    /// Episodes that match a fault.
    pub matched_episodes: usize,
    /// Detection delays, minutes.
    pub delays: Vec<f64>,
}

impl Tally {
    /// Adds one series' faults and episodes: an episode matches a fault when it starts
    /// inside the fault's window or within one window length after it; the delay is from
    /// the fault's start to the first matching episode's start.
    pub fn add(&mut self, faults: &[Fault], found: &[Found]) {
        let matches = |f: &Fault, e: &Found| {
            e.start_ms >= f.start_ms
                && e.start_ms < f.end_ms.max(f.start_ms + f.len_ms()) + f.len_ms()
        };
        self.faults += faults.len();
        self.episodes += found.len();
        self.matched_episodes += found
            .iter()
            .filter(|e| faults.iter().any(|f| matches(f, e)))
            .count();
        for f in faults {
            if let Some(first) = found
                .iter()
                .filter(|e| matches(f, e))
                .min_by_key(|e| e.start_ms)
            {
                self.detected += 1;
                self.delays
                    .push((first.start_ms - f.start_ms) as f64 / 60_000.0);
                if found
                    .iter()
                    .any(|e| matches(f, e) && e.kind == Some(f.kind))
                {
                    self.typed += 1;
                }
            }
        }
    }

    /// Matched episodes over episodes (1 when none was found).
    pub fn precision(&self) -> f64 {
        if self.episodes == 0 {
            1.0
        } else {
            self.matched_episodes as f64 / self.episodes as f64
        }
    }

    /// Detected faults over faults.
    pub fn recall(&self) -> f64 {
        if self.faults == 0 {
            1.0
        } else {
            self.detected as f64 / self.faults as f64
        }
    }

    /// The harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// The median detection delay, minutes.
    pub fn median_delay(&self) -> Option<f64> {
        let mut d = self.delays.clone();
        d.sort_by(f64::total_cmp);
        (!d.is_empty()).then(|| {
            let n = d.len();
            if n % 2 == 1 {
                d[n / 2]
            } else {
                (d[n / 2 - 1] + d[n / 2]) / 2.0
            }
        })
    }

    /// Share of detected faults typed right.
    pub fn type_accuracy(&self) -> f64 {
        if self.detected == 0 {
            0.0
        } else {
            self.typed as f64 / self.detected as f64
        }
    }
}
