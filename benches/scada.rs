//! End-to-end SCADA ingest: 100 simulated Modbus TCP devices of 250 points each, polled at
//! 1 Hz (25,000 points/s, half of a national grid's 50,000), through the poller into the
//! database; points/s stored and poll-to-commit latency (p50/p99), and the CPU per million
//! points of the poller process and of the whole ingest path (the poller and the PostgreSQL
//! server's processes together) without and with the anomaly engine in its path (two runs;
//! the issue's target is the whole path with the engine at most 1.15× without it).
//!
//! ```text
//! cargo bench --bench scada [-- SECONDS [POLL_INTERVAL_MS]]   # default 30 s, 1000 ms
//! ```
//!
//! Devices are `tokio-modbus` servers in this process (pymodbus would be the bottleneck);
//! everything shares the machine's cores with PostgreSQL. `DATABASE_URL` or a throwaway
//! cluster (`GRID_BENCH_MODE` to choose its mode).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use grid_model::*;
use grid_scada::ScadaConfig;
use grid_scada::runtime::{Counters, PollerOptions, run};
use grid_store::SubstationRepository;
use grid_store::schema::grid_sensors;
use grid_store::sensors::NewSensorRow;

const DEVICES: usize = 100;
/// Seconds of each run before measuring: long enough for the engine's first checkpoint of
/// every sensor's state (500 a batch, five batches a second: 25,000 states in 10 s).
const WARM_UP_S: u64 = 15;
const POINTS: usize = 250;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let seconds = args.first().copied().unwrap_or(30);
    let interval_ms = args.get(1).copied().unwrap_or(1000);
    let offered = (DEVICES * POINTS) as f64 * 1000.0 / interval_ms as f64;
    let db = grid_testdb::BenchDatabase::create("gs_bench_scada")?;
    let url = db.url.clone();
    let mut conn = db.conn()?;
    grid_store::migrations::run_pending(&mut conn)?;
    grid_timescale::setup(&mut conn, &Default::default())?;
    let caps = grid_timescale::capabilities::detect(&mut conn)?;

    // 100 substations (one RTU each) with 250 load sensors, inserted in bulk.
    let mut config = String::from("[batch]\nmax_readings = 5000\nmax_delay_ms = 500\n");
    for d in 0..DEVICES {
        let code = format!("BS-{d:03}");
        let draft = SubstationDraft::new(
            format!("Bench {code}"),
            &code,
            GridZone::ALL[d % 8],
            (-1.0, 37.0),
            33,
            60.0,
        );
        let s = conn.insert_substation(&NewSubstation::new(draft)?)?;
        let rows: Vec<NewSensorRow> = (0..POINTS)
            .map(|p| {
                let mut sd = SensorDraft::new(s.id, format!("{code}-P{p:03}"), SensorType::Load);
                sd.sampling_rate_hz = 1.0;
                NewSensorRow::from(&NewSensor::new(sd).unwrap())
            })
            .collect();
        diesel::insert_into(grid_sensors::table)
            .values(&rows)
            .execute(&mut conn)?;
        let registers = Arc::new(Mutex::new(
            (0..POINTS as u16).map(|p| 100 + p).collect::<Vec<u16>>(),
        ));
        let regs = registers.clone();
        tokio::spawn(async move {
            // Values move every second, as live measurements would.
            let mut k = 0u16;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                k = k.wrapping_add(1);
                let mut r = regs.lock().unwrap_or_else(|e| e.into_inner());
                for (i, v) in r.iter_mut().enumerate() {
                    *v = 100 + ((i as u16).wrapping_add(k) % 500);
                }
            }
        });
        let addr = grid_scada::simulator::spawn(registers).await?;
        config.push_str(&format!(
            "\n[[device]]\nname = \"rtu-{d:03}\"\naddress = \"{addr}\"\npoll_interval_ms = {interval_ms}\ntimeout_ms = 2000\n"
        ));
        for p in 0..POINTS {
            config.push_str(&format!(
                "[[device.point]]\nsensor = \"{code}-P{p:03}\"\nregister = \"holding\"\naddress = {p}\ntype = \"u16\"\n"
            ));
        }
    }
    let config = ScadaConfig::from_toml(&config)?;
    // The server's processes: the postmaster is the parent of this connection's backend
    // (a server on another machine cannot be measured: its share is then unknown).
    let backend: i32 = diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>(
        "pg_backend_pid()",
    ))
    .get_result(&mut conn)?;
    let postmaster = parent_pid(backend);
    println!("== SCADA ingest, {caps}");
    println!(
        "  {DEVICES} devices × {POINTS} points every {interval_ms} ms (offered {offered:.0} points/s), each run measured over {seconds} s after {WARM_UP_S} s of warm-up"
    );
    let plain = phase(&config, &url, seconds, None, postmaster).await?;
    let engine = phase(
        &config,
        &url,
        seconds,
        Some(grid_detect::AlertPolicy::default()),
        postmaster,
    )
    .await?;
    for (name, p) in [
        ("without the anomaly engine", &plain),
        ("with the anomaly engine", &engine),
    ] {
        println!(
            "  {name}: stored {:.0} points/s (target >= 25,000); poll-to-commit p50 {:?}, p99 {:?} (target p99 <= 2 s); poller process CPU {:.2} s per million points",
            p.rate, p.p50, p.p99, p.cpu_per_million
        );
    }
    println!(
        "  the engine's share: +{:.1} % poller process CPU per point",
        (engine.cpu_per_million / plain.cpu_per_million - 1.0) * 100.0
    );
    match (plain.path_cpu_per_million, engine.path_cpu_per_million) {
        (Some(a), Some(b)) => println!(
            "  whole ingest path (poller + PostgreSQL) CPU per million points: {a:.2} s without, {b:.2} s with the engine: {:.3}× (target <= 1.15×)",
            b / a
        ),
        _ => println!(
            "  whole ingest path CPU: unknown (the server's processes are not on this machine)"
        ),
    }
    drop(conn);
    drop(db);
    Ok(())
}

/// What one run of the poller measured.
struct Phase {
    rate: f64,
    p50: Duration,
    p99: Duration,
    cpu_per_million: f64,
    /// The poller and the server's processes together (`None` when the server is elsewhere).
    path_cpu_per_million: Option<f64>,
}

/// Fields of `/proc/PID/stat` after the command name (the 3rd field of the file is index 0).
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

fn parent_pid(pid: i32) -> Option<i32> {
    stat_fields(pid)?.get(1)?.parse().ok()
}

/// CPU seconds of a PostgreSQL server so far: the postmaster's own and its reaped children's
/// (utime, stime, cutime, cstime), and its live children's (backends, WAL writer,
/// checkpointer, …), from `/proc`.
fn server_cpu_seconds(postmaster: i32) -> Option<f64> {
    let ticks = |f: &[String], from: usize, n: usize| -> f64 {
        f[from..from + n]
            .iter()
            .filter_map(|x| x.parse::<f64>().ok())
            .sum()
    };
    let own = stat_fields(postmaster)?;
    let mut total = ticks(&own, 11, 4);
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if let Some(f) =
            stat_fields(pid).filter(|f| f.get(1).and_then(|p| p.parse().ok()) == Some(postmaster))
        {
            total += ticks(&f, 11, 2);
        }
    }
    Some(total / 100.0)
}

/// This process's CPU time so far (user + system), from `/proc/self/stat` (clock ticks of
/// 1/100 s, the Linux default `USER_HZ`).
fn process_cpu_seconds() -> anyhow::Result<f64> {
    // utime and stime are the 14th and 15th fields of the file.
    let f = stat_fields(std::process::id() as i32)
        .ok_or_else(|| anyhow::anyhow!("/proc/self/stat is unreadable"))?;
    let ticks: f64 = f[11].parse::<f64>()? + f[12].parse::<f64>()?;
    Ok(ticks / 100.0)
}

/// Runs the poller over the devices for [`WARM_UP_S`] of warm-up and `seconds` measured, with or
/// without the anomaly engine in its path. The devices are in this process too, alike in
/// both runs, so the difference in process CPU is the engine's.
async fn phase(
    config: &ScadaConfig,
    url: &str,
    seconds: u64,
    anomaly_detection: Option<grid_detect::AlertPolicy>,
    postmaster: Option<i32>,
) -> anyhow::Result<Phase> {
    let spool = std::env::temp_dir().join(format!("gs-bench-scada-{}", std::process::id()));
    let opts = PollerOptions {
        database_url: url.to_owned(),
        spool_dir: spool.clone(),
        spool_max_bytes: 1 << 30,
        limits: Default::default(),
        anomaly_detection,
        // The engines compared here are the anomaly engine's; the limit alarms are measured
        // on `sentinel ingest` (benches/alarms.rs).
        alarms: None,
        session_limits: Default::default(),
    };
    let counters = Arc::new(Counters::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let poller = tokio::spawn(run(config.clone(), opts, stop_rx, counters.clone()));
    tokio::time::sleep(Duration::from_secs(WARM_UP_S)).await;
    let stored0 = counters.readings_stored.load(Ordering::Relaxed);
    let cpu0 = process_cpu_seconds()?;
    let server0 = postmaster.and_then(server_cpu_seconds);
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let stored1 = counters.readings_stored.load(Ordering::Relaxed);
    let cpu1 = process_cpu_seconds()?;
    let server1 = postmaster.and_then(server_cpu_seconds);
    let elapsed = t0.elapsed().as_secs_f64();
    stop_tx.send(true)?;
    poller.await??;
    let _ = std::fs::remove_dir_all(spool);
    let stored = (stored1 - stored0) as f64;
    Ok(Phase {
        rate: stored / elapsed,
        p50: counters.latency.quantile(0.50).unwrap_or_default(),
        p99: counters.latency.quantile(0.99).unwrap_or_default(),
        cpu_per_million: (cpu1 - cpu0) / stored.max(1.0) * 1e6,
        path_cpu_per_million: server0
            .zip(server1)
            .map(|(a, b)| (cpu1 - cpu0 + b - a) / stored.max(1.0) * 1e6),
    })
}
