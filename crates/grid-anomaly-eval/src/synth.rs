//! Labelled synthetic grid signals: a daily load shape (night trough, morning and evening
//! peaks, as a Kenyan distribution feeder shows), AR(1) noise, 2 % of readings missing, one
//! reading a minute, and faults injected at known windows.

use grid_model::AnomalyKind;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// One minute, ms.
pub const MINUTE_MS: i64 = 60_000;
/// One day, ms.
pub const DAY_MS: i64 = 86_400_000;
/// Days per series.
pub const DAYS: i64 = 7;
/// Faults start from this day on (the engine learns for two days and eight hours).
pub const FIRST_FAULT_DAY: i64 = 3;
/// The series start: Monday 2026-01-05 00:00 UTC.
pub const START_MS: i64 = 1_767_571_200_000;
/// Share of readings missing.
pub const MISSING: f64 = 0.02;

/// A labelled fault.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fault {
    /// What was injected.
    pub kind: AnomalyKind,
    /// Its first affected reading (ms since the Unix epoch).
    pub start_ms: i64,
    /// Its window's end (exclusive).
    pub end_ms: i64,
}

impl Fault {
    /// The window's length, ms (at least one reading).
    pub fn len_ms(&self) -> i64 {
        (self.end_ms - self.start_ms).max(MINUTE_MS)
    }
}

/// A labelled series.
#[derive(Debug, Clone)]
pub struct Series {
    /// `(t_ms, value)` in time order, with gaps.
    pub readings: Vec<(i64, f64)>,
    /// The faults injected.
    pub faults: Vec<Fault>,
}

/// The daily load shape at `t_ms`, as a multiple of the series' mean level.
pub fn shape(t_ms: i64) -> f64 {
    let h = (t_ms.rem_euclid(DAY_MS)) as f64 / 3_600_000.0;
    let bump = |centre: f64, width: f64| {
        let d = (h - centre + 12.0).rem_euclid(24.0) - 12.0;
        (-(d / width).powi(2)).exp()
    };
    0.7 + 0.25 * bump(8.0, 2.0) + 0.4 * bump(19.5, 2.2) + 0.1 * bump(13.0, 3.0)
}

/// The random draws of one series.
pub struct Generator {
    rng: ChaCha8Rng,
    /// The series' mean level.
    pub level: f64,
    /// The noise's standard deviation (of the AR(1) process itself).
    pub sigma: f64,
    /// The noise's AR(1) coefficient.
    pub phi: f64,
}

impl Generator {
    /// A series' parameters from `seed`: level 50–500, σ 1.5–3 % of it, φ 0.4–0.7.
    pub fn new(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let level = rng.random_range(50.0..500.0);
        let sigma = level * rng.random_range(0.015..0.03);
        let phi = rng.random_range(0.4..0.7);
        Generator {
            rng,
            level,
            sigma,
            phi,
        }
    }

    /// A standard normal draw.
    pub fn normal(&mut self) -> f64 {
        StandardNormal.sample(&mut self.rng)
    }

    /// A uniform draw in `range`.
    pub fn uniform(&mut self, range: std::ops::Range<f64>) -> f64 {
        self.rng.random_range(range)
    }

    /// A coin with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    /// The AR(1) noise for every minute of the series.
    pub fn noise(&mut self, minutes: usize) -> Vec<f64> {
        let innovation = self.sigma * (1.0 - self.phi * self.phi).sqrt();
        let mut n = self.sigma * self.normal();
        (0..minutes)
            .map(|_| {
                n = self.phi * n + innovation * self.normal();
                n
            })
            .collect()
    }
}

/// Fault windows: two a day from [`FIRST_FAULT_DAY`], each starting at a random time in its
/// half-day and lasting `len` minutes (drawn per fault).
fn windows(g: &mut Generator, len: impl Fn(&mut Generator) -> i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for half in 2 * FIRST_FAULT_DAY..2 * DAYS {
        let minutes = len(g);
        let room = 720 - minutes - 60;
        let offset = 30 + g.uniform(0.0..room.max(1) as f64) as i64;
        let start = START_MS + half * 720 * MINUTE_MS + offset * MINUTE_MS;
        out.push((start, start + minutes * MINUTE_MS));
    }
    out
}

/// A series with faults of `kind` (`None`: clean), from `seed`.
pub fn series(kind: Option<AnomalyKind>, seed: u64) -> Series {
    let mut g = Generator::new(seed);
    let minutes = (DAYS * 1440) as usize;
    let noise = g.noise(minutes);
    let t = |i: usize| START_MS + i as i64 * MINUTE_MS;
    let mut values: Vec<f64> = (0..minutes)
        .map(|i| g.level * shape(t(i)) + noise[i])
        .collect();
    let sigma = g.sigma;
    let index = |ms: i64| ((ms - START_MS) / MINUTE_MS) as usize;
    let mut faults = Vec::new();
    match kind {
        None => {}
        Some(AnomalyKind::Spike) => {
            for (s, _) in windows(&mut g, |_| 1) {
                let sign = if g.chance(0.5) { 1.0 } else { -1.0 };
                values[index(s)] += sign * 5.0 * sigma;
                faults.push(Fault {
                    kind: AnomalyKind::Spike,
                    start_ms: s,
                    end_ms: s + MINUTE_MS,
                });
            }
        }
        Some(AnomalyKind::LevelShift) => {
            for (s, e) in windows(&mut g, |g| g.uniform(30.0..120.0) as i64) {
                let sign = if g.chance(0.5) { 1.0 } else { -1.0 };
                for v in &mut values[index(s)..index(e)] {
                    *v += sign * 2.0 * sigma;
                }
                faults.push(Fault {
                    kind: AnomalyKind::LevelShift,
                    start_ms: s,
                    end_ms: e,
                });
            }
        }
        Some(AnomalyKind::Drift) => {
            for (s, e) in windows(&mut g, |_| 360) {
                let sign = if g.chance(0.5) { 1.0 } else { -1.0 };
                let (a, b) = (index(s), index(e));
                for (k, v) in values[a..b].iter_mut().enumerate() {
                    *v += sign * 3.0 * sigma * (k + 1) as f64 / (b - a) as f64;
                }
                faults.push(Fault {
                    kind: AnomalyKind::Drift,
                    start_ms: s,
                    end_ms: e,
                });
            }
        }
        Some(AnomalyKind::Stuck) => {
            for (s, e) in windows(&mut g, |g| g.uniform(20.0..60.0) as i64) {
                let (a, b) = (index(s), index(e));
                let frozen = values[a];
                for v in &mut values[a..b] {
                    *v = frozen;
                }
                faults.push(Fault {
                    kind: AnomalyKind::Stuck,
                    start_ms: s,
                    end_ms: e,
                });
            }
        }
        Some(AnomalyKind::Noise) => {
            for (s, e) in windows(&mut g, |g| g.uniform(30.0..120.0) as i64) {
                // Variance ×4: the noise's standard deviation doubled.
                for i in index(s)..index(e) {
                    values[i] += noise[i];
                }
                faults.push(Fault {
                    kind: AnomalyKind::Noise,
                    start_ms: s,
                    end_ms: e,
                });
            }
        }
        Some(AnomalyKind::PatternBreak) => {
            // The whole day's shape two hours late, on days 3 and 5.
            for day in [FIRST_FAULT_DAY, FIRST_FAULT_DAY + 2] {
                let s = START_MS + day * DAY_MS;
                let e = s + DAY_MS;
                for i in index(s)..index(e) {
                    values[i] = g.level * shape(t(i) - 2 * 3_600_000) + noise[i];
                }
                faults.push(Fault {
                    kind: AnomalyKind::PatternBreak,
                    start_ms: s,
                    end_ms: e,
                });
            }
        }
        Some(AnomalyKind::Imbalance) => panic!("imbalance is a group of series: see `group`"),
    }
    let readings = (0..minutes)
        .filter(|_| !g.chance(MISSING))
        .map(|i| (t(i), values[i]))
        .collect();
    Series { readings, faults }
}

/// A substation: one incomer and four feeders, the incomer carrying the feeders plus 2 %
/// losses, each meter with its own noise (σ 1.5 % of its level) and 2 % missing readings.
#[derive(Debug, Clone)]
pub struct Group {
    /// The incomer's readings.
    pub incomer: Vec<(i64, f64)>,
    /// Each feeder's readings.
    pub feeders: Vec<Vec<(i64, f64)>>,
    /// The imbalance faults.
    pub faults: Vec<Fault>,
}

/// A substation with imbalance faults (10 % of the incomer for 15–60 minutes) when
/// `faulty`, from `seed`.
pub fn group(faulty: bool, seed: u64) -> Group {
    let mut g = Generator::new(seed);
    let minutes = (DAYS * 1440) as usize;
    let t = |i: usize| START_MS + i as i64 * MINUTE_MS;
    let shares = [0.35, 0.25, 0.25, 0.15];
    let mut feeder_values: Vec<Vec<f64>> = shares
        .iter()
        .map(|share| {
            let level = g.level * share;
            let mut f = Generator::new(g.rng.random());
            f.sigma = level * 0.015;
            let noise = f.noise(minutes);
            (0..minutes)
                .map(|i| level * shape(t(i)) + noise[i])
                .collect()
        })
        .collect();
    let mut incomer_noise = Generator::new(g.rng.random());
    incomer_noise.sigma = g.level * 0.01;
    let noise = incomer_noise.noise(minutes);
    let incomer: Vec<f64> = (0..minutes)
        .map(|i| feeder_values.iter().map(|f| f[i]).sum::<f64>() * 1.02 + noise[i])
        .collect();
    let mut faults = Vec::new();
    if faulty {
        for (s, e) in windows(&mut g, |g| g.uniform(15.0..60.0) as i64) {
            let which = g.uniform(0.0..4.0) as usize;
            let sign = if g.chance(0.5) { 1.0 } else { -1.0 };
            let (a, b) = (
                ((s - START_MS) / MINUTE_MS) as usize,
                ((e - START_MS) / MINUTE_MS) as usize,
            );
            for i in a..b {
                feeder_values[which][i] += sign * 0.10 * incomer[i];
            }
            faults.push(Fault {
                kind: AnomalyKind::Imbalance,
                start_ms: s,
                end_ms: e,
            });
        }
    }
    let mut sample = |values: &[f64]| -> Vec<(i64, f64)> {
        (0..minutes)
            .filter(|_| !g.chance(MISSING))
            .map(|i| (t(i), values[i]))
            .collect()
    };
    let incomer = sample(&incomer);
    let feeders = feeder_values.iter().map(|f| sample(f)).collect();
    Group {
        incomer,
        feeders,
        faults,
    }
}
