//! What the database benchmarks share.

use anyhow::Context;
use diesel::PgConnection;
use grid_demo::DemoSummary;
use grid_testdb::BenchDatabase;

/// A fresh database `name` holding the demo day of 2026-03-10 (run as `scripts/sentinel`
/// runs it), a connection to it and the demo's summary.
pub fn demo_day(name: &str) -> anyhow::Result<(BenchDatabase, PgConnection, DemoSummary)> {
    let db = BenchDatabase::create(name)?;
    let mut conn = db.conn()?;
    grid_demo::prepare(&mut conn, &Default::default())?;
    let svg = std::env::temp_dir().join(format!("{name}.svg"));
    let date = chrono::NaiveDate::from_ymd_opt(2026, 3, 10).context("a date")?;
    let demo = grid_demo::run(
        &mut conn,
        &grid_demo::DemoOptions {
            date: Some(date),
            svg_path: svg.clone(),
            ..Default::default()
        },
    )?;
    let _ = std::fs::remove_file(svg);
    Ok((db, conn, demo))
}
