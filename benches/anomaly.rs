//! Throughput of the anomaly engine in memory, on one core.
//!
//! ```text
//! cargo bench --bench anomaly                 # everything
//! cargo bench --bench anomaly -- memory       # the detectors in memory, one core
//! cargo bench --bench anomaly -- database     # a stored demo day detected and written
//! ```
//!
//! Targets (the issue's): all detectors together ≥ 1M readings/s; the O(1) building blocks
//! (CUSUM, variance CUSUM, equal-value run) ≥ 5M/s each; a stored demo day (430,560 readings
//! of 299 sensors) detected and written in ≤ 2 s. In memory: a week of 1-minute readings of a
//! daily load shape with noise, 100 sensors (1,008,000 readings). The database part runs the
//! demo (which scores its day in the ingest path), clears what that wrote, trains the
//! detectors on the demo's quiet days and times `grid_detect::detect_range` over the stored
//! day: read, detected, episodes and marks and states and alerts written. `DATABASE_URL`
//! (a superuser URL) or a throwaway cluster (`GRID_BENCH_MODE=plain|apache|community`).
//! Medians of 5 repetitions.

use std::hint::black_box;
use std::time::Instant;

use anyhow::Context;
use diesel::connection::SimpleConnection;

use grid_anomaly::detectors::{Cusum, EqualRun, VarianceCusum};
use grid_anomaly::{Config, SeriesDetector};

mod common;

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

fn memory() {
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

fn database() -> anyhow::Result<()> {
    let (db, mut conn, demo) = common::demo_day("bench_anomaly")?;
    let (from, until) = (demo.day_start, demo.day_start + chrono::Duration::days(1));
    let quiet = grid_demo::simulate::quiet_days_before(&demo.grid, from, demo.zone, 5);
    // What the demo's ingest path scored, cleared once.
    conn.batch_execute(
        "UPDATE sensor_readings SET is_anomaly = false, anomaly_score = NULL
          WHERE is_anomaly OR anomaly_score IS NOT NULL",
    )?;
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let kinds = format!(
            "'{}', '{}'",
            grid_model::AlertKind::SensorAnomaly,
            grid_model::AlertKind::AnomalyStorm
        );
        conn.batch_execute(&format!(
            "UPDATE sensor_readings SET is_anomaly = false, anomaly_score = NULL WHERE is_anomaly;
             DELETE FROM alert_transitions WHERE alert_id IN (SELECT id FROM grid_alerts
                     WHERE alert_type IN ({kinds}));
             DELETE FROM grid_alerts WHERE alert_type IN ({kinds});
             DELETE FROM anomaly_detections;"
        ))?;
        grid_detect::reset_states(&mut conn)?;
        grid_detect::train(&mut conn, &quiet)?;
        let t = Instant::now();
        let report = grid_detect::detect_range(&mut conn, from, until, &Default::default())?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        last = Some(report);
    }
    let report = last.context("a run")?;
    let server = grid_timescale::capabilities::detect(&mut conn)?;
    println!(
        "database ({server}): the stored demo day, {} readings of {} sensors, detected and written ({} episodes, {} readings marked, {} alerts): median {:.0} ms (min {:.0}, max {:.0}; target <= 2000)",
        report.readings,
        demo.grid.sensors.len(),
        report.opened,
        report.marked,
        report.alerts.raised + report.alerts.storms,
        median(times.clone()),
        times.iter().copied().fold(f64::MAX, f64::min),
        times.iter().copied().fold(0.0, f64::max),
    );
    drop(conn);
    drop(db);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let what = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let all = what.is_none();
    let is = |w: &str| all || what.as_deref() == Some(w);
    if is("memory") {
        memory();
    }
    if is("database") {
        database()?;
    }
    Ok(())
}
