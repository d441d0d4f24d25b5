//! The main job of SmartGrid Sentinel: a day of a Kenyan grid through every crate.
//!
//! ```text
//! cargo run --release --example sentinel [-- --date YYYY-MM-DD] [--svg PATH] [--force]
//! ```
//!
//! Uses `DATABASE_URL` when set (it must not hold another grid unless `--force`); otherwise
//! starts a throwaway PostgreSQL (with TimescaleDB when installed), which is removed when the
//! program ends. Migrates, sets up the time series, seeds the demo grid, simulates the
//! previous local day of SCADA readings with injected events, ingests them, raises and
//! resolves alerts, refreshes the rollups, computes the daily statistics, prints the
//! operator's report and writes an SVG of each zone's load curve.

use std::path::PathBuf;

use anyhow::{Context, bail};
use grid_demo::{DemoOptions, prepare, run};
use grid_testdb::{database_url_or_throwaway, redact};

fn main() -> anyhow::Result<()> {
    let mut opts = DemoOptions {
        date: None,
        svg_path: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/sentinel-load-by-zone.svg"),
        force: false,
        progress: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--force" => opts.force = true,
            "--date" => {
                opts.date = Some(
                    args.next()
                        .context("--date needs YYYY-MM-DD")?
                        .parse()
                        .context("--date")?,
                )
            }
            "--svg" => opts.svg_path = args.next().context("--svg needs a path")?.into(),
            "--no-progress" => opts.progress = false,
            "--help" | "-h" => {
                println!(
                    "usage: sentinel [--date YYYY-MM-DD] [--svg PATH] [--force] [--no-progress]"
                );
                return Ok(());
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    let (_cluster, url) = database_url_or_throwaway()?;
    let mut conn =
        grid_store::establish(&url).with_context(|| format!("connecting to {}", redact(&url)))?;
    let applied = prepare(&mut conn).context("migrating and setting up")?;
    println!("Migrations applied now: {}", applied.len());
    if let Some(dir) = opts.svg_path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let started = std::time::Instant::now();
    let summary = run(&mut conn, &opts)?;
    println!("\n{}", summary.report);
    println!("Done in {:.1} s.", started.elapsed().as_secs_f64());
    Ok(())
}
