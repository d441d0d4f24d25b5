//! Bulk-loads a CSV file of readings with a progress bar and prints the ingest report; every
//! refused line is counted by reason, the first shown with its line number, and all of them
//! written to a report file beside the input (`<file>.refused.csv`).
//!
//! ```text
//! cargo run --release --example ingest_csv -- readings.csv
//! cargo run --example ingest_csv             # writes and loads a sample file with bad rows
//! ```
//!
//! The file: the header `sensor_tag,timestamp,value[,quality]`, then one reading per record
//! (RFC 3339 timestamps, values as the device reports them, before calibration; fields may
//! be quoted). The load is a backfill: every timestamp is accepted, and re-running the same
//! file inserts nothing. See `grid_timescale::csv_load` for the format's rules.

use diesel::PgConnection;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{Duration, TimeZone, Utc};
use grid_model::*;
use grid_store::{SensorRepository, SubstationRepository};
use grid_timescale::csv_load::load_csv;
use grid_timescale::ingest::{IngestOptions, Ingester, TimePolicy};
use grid_timescale::{OperatingLimits, TimescaleConfig};
use uuid::Uuid;

/// Readings per atomic batch.
const BATCH: usize = 50_000;

fn main() -> anyhow::Result<()> {
    let (_server, url) = grid_testdb::database_url_or_throwaway()?;
    let mut conn = grid_store::establish(&url)?;
    grid_store::migrations::run_pending(&mut conn)?;
    grid_timescale::setup(&mut conn, &TimescaleConfig::default())?;

    let path = match std::env::args().nth(1) {
        Some(p) => PathBuf::from(p),
        None => write_sample(&mut conn)?,
    };
    let tags: HashMap<String, Uuid> = conn.sensors()?.into_iter().map(|s| (s.tag, s.id)).collect();

    let size = std::fs::metadata(&path)
        .with_context(|| format!("opening {}", path.display()))?
        .len();
    let file = std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let report_path = PathBuf::from(format!("{}.refused.csv", path.display()));
    let mut report_file = std::io::BufWriter::new(
        std::fs::File::create(&report_path)
            .with_context(|| format!("creating {}", report_path.display()))?,
    );

    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{bar:40} {msg} readings",
    )?);
    let options = IngestOptions {
        time_policy: TimePolicy::backfill(
            Utc.timestamp_opt(0, 0).unwrap(),
            Utc::now() + Duration::days(1),
        ),
        // Every refusal of a batch described, so that the report file lists them all.
        max_rejection_details: BATCH,
        ..Default::default()
    };
    let mut ingester = Ingester::new(&mut conn, OperatingLimits::default(), options)?;
    let loaded = load_csv(
        &mut conn,
        &mut ingester,
        std::io::BufReader::new(file),
        &tags,
        BATCH,
        Some(&mut report_file),
        |p| bar.set_message(p.position.to_string()),
    );
    bar.finish_and_clear();
    report_file.flush()?;
    let loaded = loaded.with_context(|| format!("loading {}", path.display()))?;

    let r = &loaded.ingest.report;
    println!(
        "{}: {} records, {} readings in {} batches",
        path.display(),
        loaded.records,
        r.received,
        loaded.ingest.batches
    );
    println!(
        "  inserted {}, duplicates {}, conflicts {}, out of range {}",
        r.inserted, r.duplicates, r.conflicts, r.out_of_range
    );
    println!(
        "  refused lines {}: {:?}",
        loaded.refused, loaded.refused_by_reason
    );
    for l in &loaded.first_refused {
        println!("  line {}: {} ({})", l.line, l.reason, l.detail);
    }
    let more = loaded.refused - loaded.first_refused.len() as u64;
    if more > 0 {
        println!("  … and {more} more");
    }
    if loaded.refused > 0 {
        println!("  every refused line: {}", report_path.display());
    }
    Ok(())
}

/// A sample: two sensors, a day at 1-minute resolution, and a few bad rows.
fn write_sample(conn: &mut PgConnection) -> anyhow::Result<PathBuf> {
    let draft = SubstationDraft::new(
        "Lanet Substation",
        "CSV-LAN",
        GridZone::Nakuru,
        (-0.296, 36.145),
        132,
        90.0,
    );
    let s = conn.insert_substation(&NewSubstation::new(draft)?)?;
    for (tag, kind) in [
        ("CSV-LAN-V", SensorType::Voltage),
        ("CSV-LAN-HZ", SensorType::Frequency),
    ] {
        conn.insert_sensor(&NewSensor::new(SensorDraft::new(s.id, tag, kind))?)?;
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/sample-readings.csv");
    std::fs::create_dir_all(path.parent().unwrap())?;
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path)?);
    writeln!(w, "sensor_tag,timestamp,value,quality")?;
    let start = Utc::now() - Duration::days(2);
    for m in 0..1440 {
        let t = (start + Duration::minutes(m)).to_rfc3339();
        writeln!(
            w,
            "CSV-LAN-V,{t},{:.3},1",
            132.0 + 0.5 * ((m as f64) / 30.0).sin()
        )?;
        writeln!(
            w,
            "CSV-LAN-HZ,{t},{:.3}",
            50.0 + 0.02 * ((m as f64) / 11.0).cos()
        )?;
    }
    writeln!(w, "CSV-LAN-V,not-a-time,132")?;
    writeln!(w, "CSV-LAN-V,{},NaN", start.to_rfc3339())?;
    writeln!(w, "NO-SUCH-SENSOR,{},1.0", start.to_rfc3339())?;
    writeln!(w, "CSV-LAN-HZ,{},50.0,1.7", start.to_rfc3339())?;
    writeln!(w, "CSV-LAN-V,{},1e308", start.to_rfc3339())?;
    writeln!(w, "CSV-LAN-V,{},132,1,extra", start.to_rfc3339())?;
    // A quoted field, and a second value for a time already in the file: a conflict.
    writeln!(w, "\"CSV-LAN-HZ\",\"{}\",\"49.9\"", start.to_rfc3339())?;
    Ok(path)
}
