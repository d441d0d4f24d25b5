//! Benchmarks of grid-timescale against the references named in the issue, side by side on
//! the same server in one run.
//!
//! ```text
//! cargo bench --bench timescale               # everything
//! cargo bench --bench timescale -- ingest     # 1M readings: ours (1 and 4 writers) vs psql vs Diesel INSERT
//! cargo bench --bench timescale -- queries    # 10M readings over 31 daily chunks; peak RSS
//! cargo bench --bench timescale -- daily      # daily statistics of 8 zones, 1.44M readings,
//!                                             # cascades and reclosing sequences
//! ```
//!
//! For profiling by hand against `DATABASE_URL`: `… -- prepare NAME` makes a database with
//! the sensors and prints its URL; `… -- load N URL` ingests N readings into it.
//!
//! Uses `DATABASE_URL` (a superuser URL; the bench makes and drops its own databases) or a
//! throwaway cluster in the best mode installed (`GRID_BENCH_MODE=plain|apache|community`
//! to choose). Protocol for every comparison: same server,
//! same table state and triggers (tables emptied before each run), alternating order, 5
//! repetitions, median reported.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use grid_model::*;
use grid_store::schema::sensor_readings;
use grid_store::{AlertRepository, SensorRepository, SubstationRepository};
use grid_testdb::{Cluster, ClusterOptions, PgInstall, best_local_mode, with_database};
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, TimePolicy};
use grid_timescale::query::{
    Scope, SeriesTarget, SourcePreference, latest, latest_from_raw, series,
};
use grid_timescale::{OperatingLimits, TimescaleConfig, capabilities};
use uuid::Uuid;

const SENSORS: usize = 1_000;
const REPS: usize = 5;
/// Concurrent writers in the ingest benchmark's concurrent case.
const WRITERS: usize = 4;

struct Server {
    _cluster: Option<Cluster>,
    admin_url: String,
    psql: PathBuf,
}

fn server() -> anyhow::Result<Server> {
    let psql = PgInstall::locate()
        .map(|i| i.bin("psql"))
        .unwrap_or_else(|_| "psql".into());
    if let Ok(url) = std::env::var("DATABASE_URL") {
        return Ok(Server {
            _cluster: None,
            admin_url: url,
            psql,
        });
    }
    // GRID_BENCH_MODE=plain|apache|community picks the throwaway server's mode.
    let mode = match std::env::var("GRID_BENCH_MODE") {
        Ok(m) => m.parse()?,
        Err(_) => best_local_mode()?,
    };
    let cluster = Cluster::start(&ClusterOptions::for_tests(mode))?;
    Ok(Server {
        admin_url: cluster.url("postgres"),
        _cluster: Some(cluster),
        psql,
    })
}

/// A new database, migrated and set up, with 1,000 load sensors in 40 substations over the
/// 8 zones. Returns its URL and the sensor ids (zone by zone).
fn prepare(server: &Server, name: &str) -> anyhow::Result<(String, Vec<Uuid>)> {
    let mut admin = PgConnection::establish(&server.admin_url)?;
    // One statement per call: several would form an implicit transaction block.
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
    let url = with_database(&server.admin_url, name);
    let mut conn = PgConnection::establish(&url)?;
    let preloaded: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
        "current_setting('shared_preload_libraries') LIKE '%timescaledb%'",
    ))
    .get_result(&mut conn)?;
    if preloaded {
        grid_testdb::create_timescaledb(&mut conn)?;
    }
    grid_store::migrations::run_pending(&mut conn)?;
    grid_timescale::setup(&mut conn, &TimescaleConfig::default())?;
    let mut ids = Vec::with_capacity(SENSORS);
    for (z, zone) in GridZone::ALL.iter().enumerate() {
        for sub in 0..5 {
            let code = format!("B-{z}-{sub}");
            let d = SubstationDraft::new(
                format!("Bench {code}"),
                &code,
                *zone,
                (-1.0, 37.0),
                33,
                60.0,
            );
            let s = conn.insert_substation(&NewSubstation::new(d)?)?;
            for k in 0..SENSORS / 40 {
                let d = SensorDraft::new(s.id, format!("{code}-L{k:02}"), SensorType::Load);
                ids.push(conn.insert_sensor(&NewSensor::new(d)?)?.id);
            }
        }
    }
    Ok((url, ids))
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// The i-th of a deterministic stream: sensors in turn, `step` apart per round.
fn reading(i: u64, ids: &[Uuid], step: Duration) -> Reading {
    let n = ids.len() as u64;
    let ts = start() + step * (i / n) as i32;
    let value = 10.0 + ((i.wrapping_mul(7919)) % 1000) as f64 / 10.0;
    Reading::new(ids[(i % n) as usize], ts, value)
}

fn readings(n: u64, ids: &[Uuid], step: Duration) -> impl Iterator<Item = Reading> + '_ {
    (0..n).map(move |i| reading(i, ids, step))
}

fn backfill() -> IngestOptions {
    IngestOptions {
        time_policy: TimePolicy::backfill(
            start() - Duration::days(1),
            start() + Duration::days(60),
        ),
        ..Default::default()
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn reset(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.batch_execute(
        "TRUNCATE sensor_readings, sensor_latest_readings, grid_timescale_invalidations;
         UPDATE grid_sensors SET last_reading_at = NULL;
         CHECKPOINT;",
    )?;
    Ok(())
}

fn psql(server: &Server, url: &str, script: &str) -> anyhow::Result<()> {
    let out = Command::new(&server.psql)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", script])
        .output()
        .context("running psql")?;
    if !out.status.success() {
        bail!("psql failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

fn bench_ingest(server: &Server, mode: &str) -> anyhow::Result<()> {
    const N: u64 = 1_000_000;
    let (url, ids) = prepare(server, "gs_bench_ingest")?;
    let step = Duration::seconds(60);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir)?;
    // psql runs as this user and reads the files itself (\copy is client side).
    let csv = dir.join("readings.csv");
    let bin = dir.join("readings.bin");
    {
        let mut w = BufWriter::new(std::fs::File::create(&csv)?);
        for r in readings(N, &ids, step) {
            writeln!(
                w,
                "{},{},{}",
                r.sensor_id,
                r.timestamp.to_rfc3339(),
                r.value_raw
            )?;
        }
    }
    // The same rows in binary COPY format, made by PostgreSQL itself (psql -c takes either
    // SQL or one backslash command, hence one call each).
    psql(
        server,
        &url,
        "CREATE TABLE bench_src (sensor_id uuid, \"timestamp\" timestamptz, value float8)",
    )?;
    psql(
        server,
        &url,
        &format!(
            "\\copy bench_src FROM '{}' WITH (FORMAT csv)",
            csv.display()
        ),
    )?;
    psql(
        server,
        &url,
        &format!(
            "\\copy bench_src TO '{}' WITH (FORMAT binary)",
            bin.display()
        ),
    )?;
    psql(server, &url, "DROP TABLE bench_src")?;

    let mut conn = PgConnection::establish(&url)?;
    type Method<'a> = (
        &'static str,
        Box<dyn Fn(&mut PgConnection) -> anyhow::Result<()> + 'a>,
    );
    let ids_ref = &ids;
    let methods: Vec<Method> = vec![
        (
            "grid-timescale ingest (binary COPY, validated, idempotent)",
            Box::new(move |c: &mut PgConnection| {
                let mut ing = Ingester::new(c, OperatingLimits::default(), backfill())?;
                let r = ing
                    .ingest_stream(c, readings(N, ids_ref, step), 100_000, |_| {})
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                anyhow::ensure!(r.report.inserted == N, "inserted {}", r.report.inserted);
                Ok(())
            }),
        ),
        (
            "grid-timescale ingest, 4 writers at once, overlapping (~2.5 % of keys twice)",
            Box::new(|_c: &mut PgConnection| {
                // Writer w takes readings i with i % 4 == w, and every tenth of writer
                // w + 1's as well: every key is written, some by two writers at once.
                let handles: Vec<_> = (0..WRITERS as u64)
                    .map(|w| {
                        let (url, ids) = (url.clone(), ids_ref.clone());
                        std::thread::spawn(move || -> anyhow::Result<()> {
                            let mut c = PgConnection::establish(&url)?;
                            let mut ing =
                                Ingester::new(&mut c, OperatingLimits::default(), backfill())?;
                            let mine = readings(N, &ids, step).enumerate().filter_map(|(i, r)| {
                                let i = i as u64;
                                let own = i % WRITERS as u64 == w;
                                let shared =
                                    i % WRITERS as u64 == (w + 1) % WRITERS as u64 && i % 10 == 0;
                                (own || shared).then_some(r)
                            });
                            ing.ingest_stream(&mut c, mine, 100_000, |_| {})
                                .map_err(|e| anyhow::anyhow!("{e}"))?;
                            Ok(())
                        })
                    })
                    .collect();
                for h in handles {
                    h.join()
                        .map_err(|_| anyhow::anyhow!("a writer panicked"))??;
                }
                Ok(())
            }),
        ),
        (
            "psql: binary \\copy to staging + INSERT ON CONFLICT DO NOTHING",
            Box::new(|_c: &mut PgConnection| {
                let script = dir.join("staged.sql");
                std::fs::write(
                    &script,
                    format!(
                        "CREATE TEMP TABLE staging (sensor_id uuid, \"timestamp\" timestamptz, value float8);\n\
                     \\copy staging FROM '{}' WITH (FORMAT binary)\n\
                     INSERT INTO sensor_readings (sensor_id, \"timestamp\", value)\n\
                       SELECT sensor_id, \"timestamp\", value FROM staging ON CONFLICT DO NOTHING;\n",
                        bin.display()
                    ),
                )?;
                let out = Command::new(&server.psql)
                    .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-f"])
                    .arg(&script)
                    .output()?;
                anyhow::ensure!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                Ok(())
            }),
        ),
        (
            "psql: \\copy CSV straight into the table (not idempotent)",
            Box::new(|_c: &mut PgConnection| {
                psql(
                    server,
                    &url,
                    &format!(
                        "\\copy sensor_readings (sensor_id, \"timestamp\", value) FROM '{}' WITH (FORMAT csv)",
                        csv.display()
                    ),
                )
            }),
        ),
        (
            "Diesel multi-row INSERT … ON CONFLICT DO NOTHING, 10,000 rows a statement",
            Box::new(move |c: &mut PgConnection| {
                let mut it = readings(N, ids_ref, step).peekable();
                while it.peek().is_some() {
                    let chunk: Vec<_> = it
                        .by_ref()
                        .take(10_000)
                        .map(|r| {
                            (
                                sensor_readings::sensor_id.eq(r.sensor_id),
                                sensor_readings::timestamp.eq(r.timestamp),
                                sensor_readings::value.eq(r.value_raw),
                            )
                        })
                        .collect();
                    diesel::insert_into(sensor_readings::table)
                        .values(&chunk)
                        .on_conflict_do_nothing()
                        .execute(c)?;
                }
                Ok(())
            }),
        ),
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); methods.len()];
    for rep in 0..REPS {
        let order: Vec<usize> = if rep % 2 == 0 {
            (0..methods.len()).collect()
        } else {
            (0..methods.len()).rev().collect()
        };
        for i in order {
            reset(&mut conn)?;
            let t0 = Instant::now();
            (methods[i].1)(&mut conn)?;
            let secs = t0.elapsed().as_secs_f64();
            let stored: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT count(*) FROM sensor_readings)",
            ))
            .get_result(&mut conn)?;
            anyhow::ensure!(stored == N as i64, "{}: stored {stored}", methods[i].0);
            eprintln!("  rep {rep}: {:<70} {secs:7.2} s", methods[i].0);
            times[i].push(secs);
        }
    }
    println!(
        "\n== ingest of {N} readings ({SENSORS} sensors), mode {mode}, median of {REPS}, alternating order"
    );
    let med: Vec<f64> = times.into_iter().map(median).collect();
    for (i, (name, _)) in methods.iter().enumerate() {
        println!(
            "  {:<72} {:7.2} s {:>10.0} rows/s",
            name,
            med[i],
            N as f64 / med[i]
        );
    }
    println!(
        "  ratio (rows/s) ours / psql staging+ON CONFLICT = {:.2} (target >= 1.0); ours / psql CSV = {:.2} (target >= 1.0)",
        med[2] / med[0],
        med[3] / med[0]
    );
    println!(
        "  {WRITERS} overlapping writers at once / one writer (rows/s) = {:.2}",
        med[0] / med[1]
    );
    let mut admin = PgConnection::establish(&server.admin_url)?;
    drop(conn);
    admin.batch_execute("DROP DATABASE gs_bench_ingest WITH (FORCE)")?;
    Ok(())
}

/// Child mode: ingest `n` readings spread over 30 days into `url`, print the peak RSS.
fn load(n: u64, url: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(url)?;
    let ids: Vec<Uuid> = grid_store::schema::grid_sensors::table
        .select(grid_store::schema::grid_sensors::id)
        .order(grid_store::schema::grid_sensors::sensor_id)
        .load(&mut conn)?;
    // 10,000 readings per sensor over 30 days (+ a little) at any n: 31 daily chunks.
    let per_sensor = (n / ids.len() as u64).max(1);
    let step = Duration::seconds((30 * 86_400 / per_sensor as i64).max(1) + 1);
    let mut ing = Ingester::new(&mut conn, OperatingLimits::default(), backfill())?;
    let t0 = Instant::now();
    let r = ing
        .ingest_stream(&mut conn, readings(n, &ids, step), 100_000, |_| {})
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let secs = t0.elapsed().as_secs_f64();
    let hwm = std::fs::read_to_string("/proc/self/status")?
        .lines()
        .find_map(|l| {
            l.strip_prefix("VmHWM:")
                .map(|v| v.trim().trim_end_matches(" kB").trim().to_owned())
        })
        .unwrap_or_default();
    println!(
        "inserted={} seconds={secs:.2} peak_rss_kb={hwm}",
        r.report.inserted
    );
    Ok(())
}

fn child_load(n: u64, url: &str) -> anyhow::Result<(f64, u64)> {
    let out = Command::new(std::env::current_exe()?)
        .args(["load", &n.to_string(), url])
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "load {n}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |k: &str| -> Option<String> {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(k).map(str::to_owned))
    };
    let secs: f64 = field("seconds=").context("no seconds")?.parse()?;
    let rss: u64 = field("peak_rss_kb=").context("no rss")?.parse()?;
    Ok((secs, rss))
}

fn time_median<T>(
    runs: usize,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(f64, T)> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t0 = Instant::now();
        last = Some(f()?);
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((median(times), last.unwrap()))
}

/// Refreshes the rollups of a loaded database and times the control room's queries on it.
fn measure_queries(url: &str, mode: &str, ids: &[Uuid]) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(url)?;
    let t0 = Instant::now();
    grid_timescale::refresh(&mut conn)?;
    let refresh_s = t0.elapsed().as_secs_f64();
    conn.batch_execute("VACUUM ANALYZE")?;
    let chunks: i64 = if mode == "plain" {
        0
    } else {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM show_chunks('sensor_readings'))",
        ))
        .get_result(&mut conn)?
    };
    let caps = capabilities::detect(&mut conn)?;
    let rows: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM sensor_readings)",
    ))
    .get_result(&mut conn)?;
    println!(
        "\n== queries over {rows} readings ({chunks} daily chunks), {caps}; median of 21 runs"
    );
    println!("  (rollup refresh of the whole load took {refresh_s:.1} s)");
    let (fast, a) = time_median(21, || Ok(latest(&mut conn, Scope::Grid)?))?;
    let (slow, b) = time_median(21, || Ok(latest_from_raw(&mut conn, Scope::Grid)?))?;
    anyhow::ensure!(a == b && a.len() == SENSORS, "latest answers differ");
    println!(
        "  latest reading of {SENSORS} sensors: latest-value table {fast:7.2} ms (target <= 10); LATERAL over raw {slow:7.2} ms"
    );
    let from = start();
    let to = from + Duration::days(30);
    let one = SeriesTarget::sensor(ids[0]);
    let (h_roll, sr) = time_median(21, || {
        Ok(series(
            &mut conn,
            one,
            from,
            to,
            Duration::hours(1),
            SourcePreference::Auto,
        )?)
    })?;
    let (h_raw, _) = time_median(21, || {
        Ok(series(
            &mut conn,
            one,
            from,
            to,
            Duration::hours(1),
            SourcePreference::Raw,
        )?)
    })?;
    println!(
        "  hourly series of one sensor over 30 days ({} buckets, {:?}): {h_roll:7.2} ms (target <= 5); raw {h_raw:7.2} ms",
        sr.buckets.len(),
        sr.source
    );
    let zone = SeriesTarget::zone(GridZone::Nairobi, SensorType::Load);
    let (d_roll, dr) = time_median(21, || {
        Ok(series(
            &mut conn,
            zone,
            from,
            to,
            Duration::days(1),
            SourcePreference::Auto,
        )?)
    })?;
    let (d_raw, _) = time_median(5, || {
        Ok(series(
            &mut conn,
            zone,
            from,
            to,
            Duration::days(1),
            SourcePreference::Raw,
        )?)
    })?;
    println!(
        "  daily series of a zone ({} sensors) over 30 days ({:?}): {d_roll:7.2} ms (target <= 20); raw {d_raw:7.2} ms",
        SENSORS / 8,
        dr.source
    );
    Ok(())
}

fn bench_queries(server: &Server, mode: &str) -> anyhow::Result<()> {
    // Peak RSS of the 1M and 10M ingests, each in a process of its own.
    let (url1, _) = prepare(server, "gs_bench_1m")?;
    let (s1, rss1) = child_load(1_000_000, &url1)?;
    let (url10, ids) = prepare(server, "gs_bench_10m")?;
    let (s10, rss10) = child_load(10_000_000, &url10)?;
    println!("\n== streaming ingest, mode {mode} (batches of 100,000)");
    println!(
        "  1,000,000 readings: {s1:7.1} s {:>9.0} rows/s, peak RSS {:6.1} MiB",
        1e6 / s1,
        rss1 as f64 / 1024.0
    );
    println!(
        "  10,000,000 readings: {s10:6.1} s {:>9.0} rows/s, peak RSS {:6.1} MiB",
        1e7 / s10,
        rss10 as f64 / 1024.0
    );
    println!(
        "  peak RSS difference: {:.1} MiB (target < 50)",
        (rss10 as f64 - rss1 as f64) / 1024.0
    );

    measure_queries(&url10, mode, &ids)?;
    let mut admin = PgConnection::establish(&server.admin_url)?;
    admin.batch_execute("DROP DATABASE gs_bench_1m WITH (FORCE)")?;
    admin.batch_execute("DROP DATABASE gs_bench_10m WITH (FORCE)")?;
    Ok(())
}

/// Daily statistics of all 8 zones for one day of 1,000 sensors of every type at 1-minute
/// resolution (1.44 million readings).
fn bench_daily(server: &Server, mode: &str) -> anyhow::Result<()> {
    use grid_analytics::compute::{AnalyticsConfig, compute_days};
    let name = "gs_bench_daily";
    let mut admin = PgConnection::establish(&server.admin_url)?;
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
    let url = with_database(&server.admin_url, name);
    let mut conn = PgConnection::establish(&url)?;
    if mode != "plain" {
        grid_testdb::create_timescaledb(&mut conn)?;
    }
    grid_store::migrations::run_pending(&mut conn)?;
    grid_timescale::setup(&mut conn, &TimescaleConfig::default())?;
    // 40 substations × 25 sensors: 3 load (an incomer and two feeders), 8 voltage,
    // 2 frequency, 4 current, 3 temperature, 2 oil, 2 power factor, 1 vibration.
    let mix: [(SensorType, usize); 8] = [
        (SensorType::Load, 3),
        (SensorType::Voltage, 8),
        (SensorType::Frequency, 2),
        (SensorType::Current, 4),
        (SensorType::Temperature, 3),
        (SensorType::TransformerOil, 2),
        (SensorType::PowerFactor, 2),
        (SensorType::Vibration, 1),
    ];
    let mut sensors: Vec<(Uuid, SensorType, f64)> = Vec::new();
    // Per zone: substation 0 feeds substation 4 (a cascade); outages below.
    let mut heads: Vec<Uuid> = Vec::new();
    for (z, zone) in GridZone::ALL.iter().enumerate() {
        for k in 0..5 {
            let code = format!("D-{z}-{k}");
            let mut d = SubstationDraft::new(
                format!("Daily {code}"),
                &code,
                *zone,
                (-1.0, 37.0),
                66,
                60.0,
            );
            d.customers_served = 20_000;
            d.fed_from = (k == 4).then(|| heads[z]);
            let s = conn.insert_substation(&NewSubstation::new(d)?)?;
            if k == 0 {
                heads.push(s.id);
            }
            for (kind, n) in mix {
                for i in 0..n {
                    let mut d = SensorDraft::new(s.id, format!("{code}-{kind}-{i}"), kind);
                    if kind == SensorType::Load {
                        let role = if i == 0 {
                            MeasurementRole::Incomer
                        } else {
                            MeasurementRole::Feeder
                        };
                        d.metadata = SensorMetadata {
                            measurement_role: Some(role),
                            ..Default::default()
                        }
                        .to_json();
                    }
                    d.sampling_rate_hz = 1.0 / 60.0;
                    let nominal = match kind {
                        SensorType::Voltage => 66.0,
                        SensorType::Frequency => 50.0,
                        SensorType::PowerFactor => 0.95,
                        SensorType::Load => 20.0,
                        SensorType::Vibration => 2.0,
                        _ => 40.0,
                    };
                    sensors.push((conn.insert_sensor(&NewSensor::new(d)?)?.id, kind, nominal));
                }
            }
        }
    }
    let date = chrono::NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
    let day_start = Utc.with_ymd_and_hms(2026, 3, 9, 21, 0, 0).unwrap();
    let window = IngestOptions {
        time_policy: TimePolicy::backfill(day_start, day_start + Duration::days(1)),
        ..Default::default()
    };
    let mut ing = Ingester::new(&mut conn, OperatingLimits::default(), window)?;
    let n = sensors.len();
    let readings = (0..1440 * n).map(|i| {
        let (id, kind, nominal) = sensors[i % n];
        let minute = (i / n) as i64;
        // A daily curve, and an excursion now and then on voltage and frequency.
        let curve = 1.0 + 0.3 * ((minute as f64 / 1440.0) * std::f64::consts::TAU).sin();
        let v = match kind {
            SensorType::Load => nominal * curve,
            SensorType::Voltage if minute % 240 == 7 => nominal * 1.15,
            SensorType::Frequency if minute % 480 == 11 => 49.2,
            _ => nominal,
        };
        Reading::new(id, day_start + Duration::minutes(minute), v)
    });
    let t0 = Instant::now();
    let r = ing
        .ingest_stream(&mut conn, readings, 100_000, |_| {})
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ingest_s = t0.elapsed().as_secs_f64();
    // Each zone's head substation: a 3-shot reclose ending in a 30-minute lockout at 10:00
    // (its outage reaches the substation it feeds), and a momentary shot at 16:00.
    for head in &heads {
        for (start_s, secs) in [(36_000, 20), (36_060, 20), (36_180, 1800), (57_600, 15)] {
            let at = day_start + Duration::seconds(start_s);
            let mut d = AlertDraft::new(AlertKind::Outage, AlertSeverity::Critical, "Supply lost");
            d.substation_id = Some(*head);
            d.raised_at = at;
            d.affected_customers = 20_000;
            let a = conn.raise_alert(&NewAlert::new(d)?)?;
            let restore = AlertTransition::now(AlertAction::Resolve { notes: None }, "bench")
                .at(at + Duration::seconds(secs));
            conn.transition_alert(a.id, &restore)?;
        }
    }
    let t0 = Instant::now();
    grid_timescale::refresh(&mut conn)?;
    let refresh_s = t0.elapsed().as_secs_f64();
    conn.batch_execute("VACUUM ANALYZE")?;
    let cfg = AnalyticsConfig::default();
    let now = day_start + Duration::days(2);
    let (ms, rows) = time_median(5, || Ok(compute_days(&mut conn, &cfg, date, date, now)?))?;
    for r in &rows {
        anyhow::ensure!(
            r.total_energy_mwh.is_some(),
            "{} {}: {}",
            r.date,
            r.zone,
            r.metadata["load"]
        );
    }
    println!(
        "\n== daily statistics, mode {mode}: 8 zones, {n} sensors, {} readings at 1-minute resolution",
        r.report.inserted
    );
    println!("  ingest {ingest_s:.1} s; rollup refresh after the load {refresh_s:.1} s");
    println!(
        "  daily statistics of the 8 zones (rollups fresh), median of 5: {ms:.0} ms (target <= 1000)"
    );
    drop(conn);
    if std::env::var_os("GRID_BENCH_KEEP").is_none() {
        admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))?;
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if args.first().map(String::as_str) == Some("load") {
        return load(args[1].parse()?, &args[2]);
    }
    let server = server()?;
    if args.first().map(String::as_str) == Some("measure") {
        // Queries only, on a database already loaded with `load`.
        let mut conn = PgConnection::establish(&args[1])?;
        let ids: Vec<Uuid> = grid_store::schema::grid_sensors::table
            .select(grid_store::schema::grid_sensors::id)
            .order(grid_store::schema::grid_sensors::sensor_id)
            .load(&mut conn)?;
        let mode = capabilities::detect(&mut conn)?.mode.to_string();
        return measure_queries(&args[1], &mode, &ids);
    }
    if args.first().map(String::as_str) == Some("prepare") {
        // For profiling by hand: a database with the bench's sensors, then `load N URL`.
        let (url, _) = prepare(&server, &args[1])?;
        println!("{url}");
        return Ok(());
    }
    let mode = {
        let mut admin = PgConnection::establish(&server.admin_url)?;
        let preloaded: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "current_setting('shared_preload_libraries') LIKE '%timescaledb%'",
        ))
        .get_result(&mut admin)?;
        if let Ok(m) = std::env::var("GRID_BENCH_MODE") {
            m
        } else if preloaded {
            best_local_mode()?.to_string()
        } else {
            "plain".to_owned()
        }
    };
    let what = args.first().map(String::as_str).unwrap_or("all");
    let started = Instant::now();
    if matches!(what, "all" | "ingest") {
        bench_ingest(&server, &mode)?;
    }
    if matches!(what, "all" | "queries") {
        bench_queries(&server, &mode)?;
    }
    if matches!(what, "all" | "daily") {
        bench_daily(&server, &mode)?;
    }
    eprintln!(
        "bench finished in {:?}",
        StdDuration::from_secs(started.elapsed().as_secs())
    );
    Ok(())
}
