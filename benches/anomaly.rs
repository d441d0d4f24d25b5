//! Throughput of the anomaly engine in memory, on one core.
//!
//! ```text
//! cargo bench --bench anomaly
//! ```
//!
//! Targets (the issue's): all detectors together ≥ 1M readings/s; the O(1) building blocks
//! (CUSUM, variance CUSUM, equal-value run) ≥ 5M/s each. The series: a week of 1-minute
//! readings of a daily load shape with noise, 100 sensors (1,008,000 readings). Medians of 5
//! repetitions.

use std::hint::black_box;
use std::time::Instant;

use grid_anomaly::detectors::{Cusum, EqualRun, VarianceCusum};
use grid_anomaly::{Config, SeriesDetector};

const REPS: usize = 5;
const SENSORS: usize = 100;
const MINUTES: usize = 7 * 1440;

fn value(k: usize, i: usize) -> f64 {
    let h = (i % 1440) as f64 / 60.0;
    let mut z = (k * MINUTES + i) as u64;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    let u = (z >> 11) as f64 / (1u64 << 53) as f64;
    100.0 + 30.0 * (-((h - 19.0) / 2.0).powi(2)).exp() + 2.0 * (u - 0.5)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn rate(name: &str, readings: usize, mut f: impl FnMut()) {
    let per_s = median(
        (0..REPS)
            .map(|_| {
                let start = Instant::now();
                f();
                readings as f64 / start.elapsed().as_secs_f64()
            })
            .collect(),
    );
    println!("{name:<44} {:>8.2}M readings/s", per_s / 1e6);
}

fn main() {
    let data: Vec<Vec<f64>> = (0..SENSORS)
        .map(|k| (0..MINUTES).map(|i| value(k, i)).collect())
        .collect();
    let n = SENSORS * MINUTES;
    rate("all detectors (SeriesDetector::observe)", n, || {
        for series in &data {
            let mut d = SeriesDetector::new(Config::default());
            for (i, &x) in series.iter().enumerate() {
                black_box(
                    d.observe(1_767_571_200_000 + i as i64 * 60_000, x)
                        .unwrap()
                        .score,
                );
            }
        }
    });
    rate("shift CUSUM alone", n, || {
        for series in &data {
            let mut c = Cusum::default();
            for &x in series {
                black_box(c.update((x - 100.0) / 2.0, 0.5, 30.0));
            }
        }
    });
    rate("variance CUSUM alone", n, || {
        for series in &data {
            let mut c = VarianceCusum::default();
            for &x in series {
                black_box(c.update((x - 100.0) / 2.0, 1.85, 90.0));
            }
        }
    });
    rate("equal-value run alone", n, || {
        for series in &data {
            let mut r = EqualRun::default();
            for &x in series {
                black_box(r.update(x, true));
            }
        }
    });
}
