//! Benchmarks of the transformer thermal assessment, with the reference run in the same
//! process tree and the same session.
//!
//! ```text
//! cargo bench --bench thermal                 # everything
//! cargo bench --bench thermal -- memory       # a year of 1-minute data, 100 transformers, one core
//! cargo bench --bench thermal -- reference    # transformer-thermal-model (Python) on one transformer-year
//! cargo bench --bench thermal -- database     # one stored day of the demo grid (46 transformers)
//! ```
//!
//! Targets (the issue's): ≥ 10M steps/s in memory on one core; ≤ 300 ms for the demo day
//! from the database. The database part uses `DATABASE_URL` (a superuser URL) or a throwaway
//! cluster (`GRID_BENCH_MODE=plain|apache|community`). Medians of 5 repetitions.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use grid_health::{HealthConfig, Outcome, assess_day};
use grid_model::ThermalMethod;
use grid_thermal::{AgeingTotals, CoolingMode, ModelParameters, RunOptions, Sample, run_with};

mod common;

const REPS: usize = 5;
const TRANSFORMERS: usize = 100;
const YEAR_MIN: usize = 365 * 24 * 60;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One transformer-year at 1-minute steps: the evening-peak day of the demo scaled per
/// transformer, and a daily ambient swing.
fn year(k: usize, out: &mut Vec<Sample>) {
    out.clear();
    let scale = 0.7 + 0.6 * (k as f64 / TRANSFORMERS as f64);
    out.extend((0..YEAR_MIN).map(|m| {
        let h = (m as f64 / 60.0) % 24.0;
        Sample {
            minutes: m as f64,
            load_pu: scale * (0.55 + 0.5 * (-(h - 20.0).powi(2) / 4.0).exp()),
            ambient_c: 24.0 - 7.0 * ((h - 3.0) / 24.0 * std::f64::consts::TAU).cos(),
            top_oil_c: None,
            hot_spot_c: None,
        }
    }));
}

fn memory() -> anyhow::Result<()> {
    let modes = [
        CoolingMode::Onan,
        CoolingMode::Onaf,
        CoolingMode::Of,
        CoolingMode::Od,
    ];
    let mut samples = Vec::with_capacity(YEAR_MIN);
    for method in [ThermalMethod::IeeeC5791, ThermalMethod::Iec600767] {
        let mut rates = Vec::new();
        let mut check = 0.0;
        for _ in 0..3 {
            let (mut steps, mut busy) = (0usize, 0.0f64);
            for k in 0..TRANSFORMERS {
                year(k, &mut samples);
                let p = ModelParameters::defaults(modes[k % 4], method);
                let mut totals = AgeingTotals::default();
                let t = Instant::now();
                run_with(&p, &samples, RunOptions::default(), |pt| {
                    totals.add(pt.covered_min, pt.hot_spot_c, pt.ageing_factor)
                })?;
                busy += t.elapsed().as_secs_f64();
                steps += samples.len();
                check += totals.loss_of_life_hours();
            }
            rates.push(steps as f64 / busy);
        }
        println!(
            "memory {method}: {TRANSFORMERS} transformers × {YEAR_MIN} 1-minute steps = {:.1}M steps, median {:.1}M steps/s on one core (ageing included; checksum {check:.3e} h)",
            (TRANSFORMERS * YEAR_MIN) as f64 / 1e6,
            median(rates) / 1e6
        );
    }
    Ok(())
}

fn reference() -> anyhow::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("target/thermal-venv/bin/python");
    if !python.exists() {
        bail!("{} is missing: run scripts/install-deps", python.display());
    }
    let out = Command::new(&python)
        .arg(root.join("benches/thermal_reference.py"))
        .output()
        .context("running the reference")?;
    if !out.status.success() {
        bail!("reference failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> anyhow::Result<f64> {
        Ok(text
            .split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .context("reference output")?
            .parse()?)
    };
    let (steps, secs) = (field("steps=")?, field("seconds=")?);
    println!(
        "reference transformer-thermal-model 0.6.0 (IEC 60076-7, Python): {steps:.0} steps in {secs:.2} s = {:.2}M steps/s",
        steps / secs / 1e6
    );
    // Ours on the same single transformer-year, IEC, for the same comparison.
    let mut samples = Vec::with_capacity(YEAR_MIN);
    year(TRANSFORMERS / 2, &mut samples);
    let p = ModelParameters::defaults(CoolingMode::Onaf, ThermalMethod::Iec600767);
    // The reference computes the two temperatures and nothing else; so does this run (their
    // sum is printed, so the work cannot be optimised away).
    let mut sum = 0.0;
    let t = Instant::now();
    run_with(&p, &samples, RunOptions::default(), |pt| {
        sum += pt.top_oil_c + pt.hot_spot_c
    })?;
    let ours = t.elapsed().as_secs_f64();
    println!(
        "ours on one transformer-year (IEC 60076-7): {:.3} s = {:.1}M steps/s, {:.0}× the reference (checksum {sum:.6e})",
        ours,
        YEAR_MIN as f64 / ours / 1e6,
        secs / ours
    );
    Ok(())
}

fn database() -> anyhow::Result<()> {
    let (db, mut conn, demo) = common::demo_day("bench_thermal")?;
    let mut times = Vec::new();
    let mut assessed = 0;
    for _ in 0..REPS {
        let t = Instant::now();
        let a = assess_day(&mut conn, demo.date, &HealthConfig::default())?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assessed = a
            .transformers
            .iter()
            .filter(|o| matches!(o.outcome, Outcome::Assessed(_)))
            .count();
    }
    let server = grid_timescale::capabilities::detect(&mut conn)?;
    println!(
        "database ({server}): the demo day ({} readings) assessed for {assessed} transformers, read, computed and written: median {:.0} ms (min {:.0}, max {:.0})",
        demo.ingest.report.inserted,
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
        memory()?;
    }
    if is("reference") {
        reference()?;
    }
    if is("database") {
        database()?;
    }
    Ok(())
}
