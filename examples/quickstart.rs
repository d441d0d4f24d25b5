//! Quickstart: connect, migrate, add a substation and a sensor, ingest readings, and query
//! the latest value and an hourly series.
//!
//! ```text
//! cargo run --example quickstart          # a throwaway PostgreSQL, or DATABASE_URL
//! ```

use chrono::{Duration, Utc};
use grid_model::*;
use grid_store::{SensorRepository, SubstationRepository};
use grid_timescale::ingest::{IngestOptions, Ingester, Reading};
use grid_timescale::query::{Scope, SeriesTarget, SourcePreference, latest, series};
use grid_timescale::{OperatingLimits, TimescaleConfig};

fn main() -> anyhow::Result<()> {
    // 1. A database: DATABASE_URL, or a throwaway server removed when we exit.
    let (_server, url) = grid_testdb::database_url_or_throwaway()?;
    let mut conn = grid_store::establish(&url)?;

    // 2. The schema (idempotent) and the time-series layer (hypertable where TimescaleDB is).
    grid_store::migrations::run_pending(&mut conn)?;
    let setup = grid_timescale::setup(&mut conn, &TimescaleConfig::default())?;
    println!("Server mode: {}", setup.capabilities);

    // 3. A substation and a sensor: drafts are validated before anything is written.
    let draft = SubstationDraft::new(
        "Ruaraka Substation",
        "QS-RUA",
        GridZone::Nairobi,
        (-1.2345, 36.8815),
        132,
        90.0,
    );
    let substation = conn.insert_substation(&NewSubstation::new(draft)?)?;
    let mut s = SensorDraft::new(substation.id, "QS-RUA-HZ", SensorType::Frequency);
    s.measurement_unit = Some("Hz".into());
    let sensor = conn.insert_sensor(&NewSensor::new(s)?)?;

    // 4. Three hours of readings, one a minute, ending now (live ingest accepts the last 24 h).
    let now = Utc::now();
    let readings = (0..180).map(|m| {
        let t = now - Duration::minutes(180 - m);
        Reading::new(sensor.id, t, 50.0 + 0.02 * ((m as f64) / 7.0).sin())
    });
    let mut ingester = Ingester::new(
        &mut conn,
        OperatingLimits::default(),
        IngestOptions::default(),
    )?;
    let report = ingester.ingest_batch(&mut conn, readings)?;
    println!(
        "Ingested {} readings ({} rejected)",
        report.inserted, report.rejected
    );

    // 5. The latest value, and an hourly series (from the rollups once refreshed).
    grid_timescale::refresh(&mut conn)?;
    for l in latest(&mut conn, Scope::Substation(substation.id))? {
        println!("Latest {}: {:.3} Hz at {}", l.tag, l.value, l.timestamp);
    }
    let hourly = series(
        &mut conn,
        SeriesTarget::sensor(sensor.id),
        now - Duration::hours(3), // lint-ok: a span of three hours, not a zone offset
        now,
        Duration::hours(1),
        SourcePreference::Auto,
    )?;
    println!("Hourly series ({:?}):", hourly.source);
    for b in &hourly.buckets {
        match b.avg {
            Some(avg) => println!(
                "  {}  n={:>3}  avg {avg:.4}  min {:.4}  max {:.4}",
                b.start,
                b.count,
                b.min.unwrap_or_default(),
                b.max.unwrap_or_default()
            ),
            None => println!("  {}  (no readings)", b.start),
        }
    }
    Ok(())
}
