//! The limit alarm engine's cost: in memory on one core, and in `sentinel ingest`'s path
//! beside the same ingest without it.
//!
//! ```text
//! cargo bench --bench alarms                  # everything
//! cargo bench --bench alarms -- memory        # the point rule in memory, one core
//! cargo bench --bench alarms -- ingest        # 1M readings from a CSV, with and without
//! ```
//!
//! Targets (issue 27's): ≥ 5M readings/s in memory on one core; the engine adds ≤ 10 % to the
//! ingest of 1M readings. In memory: 1,000 voltage points at 132 kV, 1,000 one-minute samples
//! each (1M readings) around 1.0 pu with ±1 % noise and, on every tenth point, a ten-minute
//! sag to 0.83 pu (a LoLo alarm raised and cleared): once point by point, once interleaved
//! as a batch arrives (each reading's point found by its sensor id in a hash map, as the
//! engine does). Ingest: the same shape as a CSV of tags (1,000 sensors, 800 voltage at
//! 11–400 kV and 200 frequency, in 40 substations over the 8 zones), loaded as `sentinel
//! ingest` loads it (the configuration's defaults: batches of 10,000, replay policy), with
//! `grid_alarms_store::AlarmEngine` as the batches' scorer and without; tables emptied
//! before each run, alternating order. `DATABASE_URL` (a superuser URL) or a throwaway
//! cluster (`GRID_BENCH_MODE=plain|apache|community`). Medians of 5 repetitions.

use std::collections::HashMap;
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use grid_alarms::{PointAlarm, ThresholdPolicy};
use grid_alarms_store::AlarmEngine;
use grid_config::SentinelConfig;
use grid_model::*;
use grid_store::{SensorRepository, SubstationRepository};
use grid_testdb::BenchDatabase;
use grid_timescale::OperatingLimits;
use grid_timescale::csv_load::{load_csv, load_csv_scored};
use grid_timescale::ingest::{IngestOptions, Ingester, ScoreInput, Scorer, TimePolicy};
use uuid::Uuid;

const REPS: usize = 5;
const POINTS: usize = 1_000;
const SAMPLES: usize = 1_000;
/// Every this many points, one sags.
const SAG_EVERY: usize = 10;
/// The sag: from this sample, for ten.
const SAG_AT: usize = 400;
const SAG_PU: f64 = 0.83;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// Deterministic noise in [-1, 1).
fn noise(k: usize, i: usize) -> f64 {
    let mut z = (k * SAMPLES + i) as u64;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    2.0 * ((z >> 11) as f64 / (1u64 << 53) as f64) - 1.0
}

/// Point `k`'s sample `i` in per unit.
fn pu(k: usize, i: usize) -> f64 {
    if k % SAG_EVERY == 0 && (SAG_AT..SAG_AT + 10).contains(&i) {
        SAG_PU
    } else {
        1.0 + 0.01 * noise(k, i)
    }
}

fn memory() -> anyhow::Result<()> {
    let nominal = 132.0;
    let limits = OperatingLimits::default().graded_for(SensorType::Voltage, Some(nominal), None);
    let rule = ThresholdPolicy::default()
        .rule_for(SensorType::Voltage, limits, nominal)
        .context("a 132 kV voltage rule")?;
    let times: Vec<DateTime<Utc>> = (0..SAMPLES)
        .map(|i| start() + Duration::minutes(i as i64))
        .collect();
    let values: Vec<Vec<f64>> = (0..POINTS)
        .map(|k| (0..SAMPLES).map(|i| pu(k, i) * nominal).collect())
        .collect();
    let expected = POINTS / SAG_EVERY;
    let ids: Vec<Uuid> = (0..POINTS).map(|_| Uuid::new_v4()).collect();
    println!("In memory, one core: {POINTS} points × {SAMPLES} samples, {expected} sags");
    type Case<'a> = (&'static str, Box<dyn Fn() -> usize + 'a>);
    let cases: Vec<Case> = vec![
        (
            "PointAlarm::observe, point by point",
            Box::new(|| {
                let mut events = 0;
                for v in &values {
                    let mut a = PointAlarm::new(rule);
                    for (t, x) in times.iter().zip(v) {
                        events += black_box(a.observe(*t, *x)).len();
                    }
                }
                events
            }),
        ),
        (
            "interleaved, each point found by sensor id",
            Box::new(|| {
                let mut points: HashMap<Uuid, PointAlarm> =
                    ids.iter().map(|id| (*id, PointAlarm::new(rule))).collect();
                let mut events = 0;
                for (i, t) in times.iter().enumerate() {
                    for (k, id) in ids.iter().enumerate() {
                        let a = points.get_mut(id).expect("a point");
                        events += black_box(a.observe(*t, values[k][i])).len();
                    }
                }
                events
            }),
        ),
    ];
    for (name, f) in &cases {
        let mut rates = Vec::new();
        for _ in 0..REPS {
            let t = Instant::now();
            let events = f();
            rates.push((POINTS * SAMPLES) as f64 / t.elapsed().as_secs_f64());
            // Each sag is raised once and cleared once.
            anyhow::ensure!(events == 2 * expected, "{name}: {events} events");
        }
        println!("  {name:<44} {:>8.2}M readings/s", median(rates) / 1e6);
    }
    Ok(())
}

/// A database of 1,000 sensors; returns their tags (voltage first, then frequency, in the
/// order the CSV takes them) and whether each is a voltage sensor with its nominal kV.
fn prepare(conn: &mut PgConnection) -> anyhow::Result<Vec<(String, Option<f64>)>> {
    grid_store::migrations::run_pending(conn)?;
    grid_timescale::setup(conn, &Default::default())?;
    let mut tags = Vec::with_capacity(POINTS);
    let per = POINTS / 40;
    for (z, zone) in GridZone::ALL.iter().enumerate() {
        for sub in 0..5 {
            let code = format!("A-{z}-{sub}");
            let level = VOLTAGE_LEVELS_KV[(z * 5 + sub) % VOLTAGE_LEVELS_KV.len()];
            let d = SubstationDraft::new(
                format!("Bench {code}"),
                &code,
                *zone,
                (-1.0, 37.0),
                level,
                60.0,
            );
            let s = conn.insert_substation(&NewSubstation::new(d)?)?;
            for k in 0..per {
                let (kind, nominal) = if k < per * 4 / 5 {
                    (SensorType::Voltage, Some(f64::from(level)))
                } else {
                    (SensorType::Frequency, None)
                };
                let tag = format!("{code}-{k:02}");
                conn.insert_sensor(&NewSensor::new(SensorDraft::new(s.id, &tag, kind))?)?;
                tags.push((tag, nominal));
            }
        }
    }
    Ok(tags)
}

/// The engine as the batches' scorer, its own time (evaluating, and storing with each
/// batch) summed.
struct Timed<'a> {
    engine: &'a mut AlarmEngine,
    score: f64,
    persist: f64,
}

impl Scorer for Timed<'_> {
    fn score(&mut self, conn: &mut PgConnection, readings: &[ScoreInput]) -> Vec<Option<f64>> {
        let t = Instant::now();
        let out = self.engine.score(conn, readings);
        self.score += t.elapsed().as_secs_f64();
        out
    }

    fn persist(&mut self, conn: &mut PgConnection) -> QueryResult<()> {
        let t = Instant::now();
        let out = self.engine.persist(conn);
        self.persist += t.elapsed().as_secs_f64();
        out
    }

    fn rollback(&mut self) {
        self.engine.rollback();
    }
}

fn reset(conn: &mut PgConnection) -> anyhow::Result<()> {
    // The bench's superuser may truncate what roles may only append to.
    conn.batch_execute(
        "TRUNCATE sensor_readings, sensor_latest_readings, grid_timescale_invalidations,
                  alarm_points, alarm_areas, alarm_actions, alert_transitions, grid_alerts
                  CASCADE;
         UPDATE grid_sensors SET last_reading_at = NULL;
         CHECKPOINT;",
    )?;
    Ok(())
}

fn ingest() -> anyhow::Result<()> {
    let db = BenchDatabase::create("gs_bench_alarms")?;
    let mut conn = db.conn()?;
    let sensors = prepare(&mut conn)?;
    let config = SentinelConfig::default();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("alarms.csv");
    {
        let mut w = BufWriter::new(std::fs::File::create(&csv)?);
        writeln!(w, "sensor_tag,timestamp,value")?;
        for i in 0..SAMPLES {
            let ts = (start() + Duration::minutes(i as i64)).to_rfc3339();
            for (k, (tag, nominal)) in sensors.iter().enumerate() {
                let v = match nominal {
                    Some(kv) => pu(k, i) * kv,
                    None => 50.0 + 0.05 * noise(k, i),
                };
                writeln!(w, "{tag},{ts},{v}")?;
            }
        }
    }
    let sags = (0..POINTS)
        .filter(|k| k % SAG_EVERY == 0 && sensors[*k].1.is_some())
        .count() as u64;
    let tags: HashMap<String, Uuid> = conn.sensors()?.into_iter().map(|s| (s.tag, s.id)).collect();
    // As sentinel ingest sets it up (grid-service's cli::commands::ingest).
    let options = || IngestOptions {
        time_policy: TimePolicy::replay(),
        physical_bounds: config.ingest.physical_bounds.clone(),
        max_rejection_details: config.ingest.batch_size,
        ..IngestOptions::default()
    };
    // Seconds: the whole load, and the engine's own part (evaluating, storing).
    let run = |conn: &mut PgConnection, alarms: bool| -> anyhow::Result<(f64, f64, f64)> {
        reset(conn)?;
        let input = std::io::BufReader::new(std::fs::File::open(&csv)?);
        let t = Instant::now();
        let mut ingester = Ingester::new(conn, config.limits.clone(), options())?;
        let batch = config.ingest.batch_size;
        let mut own = (0.0, 0.0);
        let report = if alarms {
            let mut engine = AlarmEngine::new(config.alarm_settings());
            let mut timed = Timed {
                engine: &mut engine,
                score: 0.0,
                persist: 0.0,
            };
            let r = load_csv_scored(
                conn,
                &mut ingester,
                (input, &tags),
                batch,
                None,
                Some(&mut timed),
                |_| {},
            )?;
            own = (timed.score, timed.persist);
            let c = engine.counts();
            anyhow::ensure!(
                c.raised == sags && c.cleared == sags,
                "expected {sags} alarms raised and cleared, found {c:?}"
            );
            r
        } else {
            load_csv(conn, &mut ingester, input, &tags, batch, None, |_| {})?
        };
        let secs = t.elapsed().as_secs_f64();
        anyhow::ensure!(
            report.ingest.report.inserted == (POINTS * SAMPLES) as u64,
            "stored {}",
            report.ingest.report.inserted
        );
        Ok((secs, own.0, own.1))
    };
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for rep in 0..REPS {
        if rep % 2 == 0 {
            without.push(run(&mut conn, false)?);
            with.push(run(&mut conn, true)?);
        } else {
            with.push(run(&mut conn, true)?);
            without.push(run(&mut conn, false)?);
        }
    }
    let pick =
        |v: &[(f64, f64, f64)], f: fn(&(f64, f64, f64)) -> f64| median(v.iter().map(f).collect());
    let (w, wo) = (pick(&with, |r| r.0), pick(&without, |r| r.0));
    let (score, persist) = (pick(&with, |r| r.1), pick(&with, |r| r.2));
    let n = (POINTS * SAMPLES) as f64;
    println!("sentinel ingest's path, {n} readings from a CSV, {sags} sags (LoLo, late: history)");
    println!(
        "  without the alarm engine  {wo:>7.2} s  {:>9.0} readings/s",
        n / wo
    );
    println!(
        "  with the alarm engine     {w:>7.2} s  {:>9.0} readings/s",
        n / w
    );
    println!(
        "  the engine adds           {:>+7.1} %",
        (w / wo - 1.0) * 100.0
    );
    println!(
        "  the engine's own time     {:>7.2} s  ({score:.2} s evaluating, {persist:.2} s storing): {:+.1} % of the load without it",
        score + persist,
        (score + persist) / wo * 100.0
    );
    let _ = std::fs::remove_file(csv);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let what = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let is = |w: &str| what.is_none() || what.as_deref() == Some(w);
    if is("memory") {
        memory()?;
    }
    if is("ingest") {
        ingest()?;
    }
    Ok(())
}
