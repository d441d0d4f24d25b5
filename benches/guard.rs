//! The SCADA guard's cost: requests per second through the guard against direct access to
//! the same device, and the latency it adds (p50, p99) at 1,000 requests per second, on
//! loopback, in the same run.
//!
//! ```text
//! cargo bench --bench guard [-- SECONDS]    # default 5 s per phase
//! ```
//!
//! The device is grid-scada's `tokio-modbus` simulator in this process (pymodbus cannot
//! serve this rate on 2 cores); clients are `tokio-modbus` clients reading 10 holding
//! registers. Targets: ≥ 10,000 requests/s through the guard, ≤ 1 ms added at p99.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use grid_scada::security;
use grid_scada_guard::policy::GuardPolicy;
use grid_scada_guard::proxy::{self, GuardCounters};
use tokio_modbus::prelude::*;

const CLIENTS: usize = 16;

/// Requests per second over `seconds` with `CLIENTS` connections reading as fast as they can.
async fn throughput(addr: SocketAddr, seconds: u64) -> anyhow::Result<f64> {
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let mut ctx = tcp::connect_slave(addr, Slave(1)).await?;
            while Instant::now() < until {
                ctx.read_holding_registers(0, 10).await??;
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    let started = Instant::now();
    for t in tasks {
        t.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// Latencies of requests paced at `rate` per second over `seconds`, sorted, in µs.
async fn paced(addr: SocketAddr, rate: u64, seconds: u64) -> anyhow::Result<Vec<f64>> {
    let mut ctx = tcp::connect_slave(addr, Slave(1)).await?;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    let mut out = Vec::new();
    for _ in 0..rate * seconds {
        tick.tick().await;
        let t = Instant::now();
        ctx.read_holding_registers(0, 10).await??;
        out.push(t.elapsed().as_secs_f64() * 1e6);
    }
    out.sort_by(f64::total_cmp);
    Ok(out)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let seconds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let device =
        grid_scada::simulator::spawn(Arc::new(std::sync::Mutex::new((0..100).collect()))).await?;
    let policy = GuardPolicy::from_toml(&format!(
        r#"
[[device]]
name = "bench"
listen = "127.0.0.1:0"
upstream = "{device}"
max_upstream = {CLIENTS}
[[device.client]]
name = "bench"
addresses = ["127.0.0.1"]
functions = [3]
read = [{{ table = "holding", from = 0, to = 99 }}]
"#
    ))?;
    // Nothing is refused here, so no event is written: the sink never reaches for a database.
    let spool = std::env::temp_dir().join(format!("gs-bench-guard-{}", std::process::id()));
    let (sink, _writer) = security::start(
        "postgres://unused".into(),
        Default::default(),
        spool.clone(),
        security::Folding::default(),
        Arc::new(security::EventCounters::default()),
    )?;
    let counters = Arc::new(GuardCounters::default());
    let running = proxy::start(policy, sink, counters.clone()).await?;
    let guard = running.addr("bench").expect("listening");

    println!("\n== SCADA guard, {CLIENTS} clients reading 10 registers, {seconds} s per phase");
    let direct = throughput(device, seconds).await?;
    let through = throughput(guard, seconds).await?;
    println!(
        "  requests/s: direct {direct:.0}, through the guard {through:.0} ({:.0} %) (target >= 10,000)",
        through / direct * 100.0
    );
    let d = paced(device, 1000, seconds).await?;
    let g = paced(guard, 1000, seconds).await?;
    let (d50, d99, g50, g99) = (
        quantile(&d, 0.5),
        quantile(&d, 0.99),
        quantile(&g, 0.5),
        quantile(&g, 0.99),
    );
    println!(
        "  at 1,000 requests/s: direct p50 {d50:.0} µs p99 {d99:.0} µs; through the guard p50 {g50:.0} µs p99 {g99:.0} µs; added p50 {:.0} µs, p99 {:.0} µs (target <= 1,000 µs at p99)",
        g50 - d50,
        g99 - d99
    );
    println!("  guard: {}", counters.line());
    running.stop().await;
    let _ = std::fs::remove_dir_all(spool);
    Ok(())
}
