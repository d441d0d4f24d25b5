//! Bulk-loads a CSV file of readings with a progress bar and prints the ingest report; bad
//! rows are reported with their line numbers.
//!
//! ```text
//! cargo run --release --example ingest_csv -- readings.csv
//! cargo run --example ingest_csv             # writes and loads a sample file with bad rows
//! ```
//!
//! The file: a header, then `sensor_tag,timestamp,value[,quality]` (RFC 3339 timestamps,
//! values as the device reports them, before calibration). The load is a backfill: every
//! timestamp is accepted, and re-running the same file inserts nothing.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::{Connection, PgConnection};
use grid_model::*;
use grid_store::{SensorRepository, SubstationRepository};
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, TimePolicy};
use grid_timescale::{OperatingLimits, TimescaleConfig};
use uuid::Uuid;

fn main() -> anyhow::Result<()> {
    let (_server, url) = grid_testdb::database_url_or_throwaway()?;
    let mut conn = PgConnection::establish(&url)?;
    grid_store::migrations::run_pending(&mut conn)?;
    grid_timescale::setup(&mut conn, &TimescaleConfig::default())?;

    let path = match std::env::args().nth(1) {
        Some(p) => PathBuf::from(p),
        None => write_sample(&mut conn)?,
    };
    let tags: HashMap<String, Uuid> = conn
        .sensors()?
        .into_iter()
        .map(|s| (s.sensor_id, s.id))
        .collect();

    // Lines that cannot even be parsed are reported here and skipped; the readings keep
    // their line numbers through `lines` so ingest refusals can be traced back too.
    let file = std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let total_lines = BufReader::new(std::fs::File::open(&path)?)
        .lines()
        .count()
        .saturating_sub(1) as u64;
    let mut unparsable: Vec<(u64, String)> = Vec::new();
    let mut line_of: Vec<u64> = Vec::new();
    let readings = BufReader::new(file)
        .lines()
        .enumerate()
        .skip(1)
        .filter_map(|(i, line)| {
            let n = i as u64 + 1;
            let parsed = line
                .map_err(|e| e.to_string())
                .and_then(|l| parse(&l, &tags));
            match parsed {
                Ok(r) => {
                    line_of.push(n);
                    Some(r)
                }
                Err(why) => {
                    unparsable.push((n, why));
                    None
                }
            }
        });

    let bar = indicatif::ProgressBar::new(total_lines);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} lines {per_sec}",
    )?);
    let options = IngestOptions {
        time_policy: TimePolicy::backfill(
            Utc.timestamp_opt(0, 0).unwrap(),
            Utc::now() + Duration::days(1),
        ),
        ..Default::default()
    };
    let mut ingester = Ingester::new(&mut conn, OperatingLimits::default(), options)?;
    let result = ingester.ingest_stream(&mut conn, readings, 50_000, |p| {
        bar.set_position(p.position)
    });
    bar.finish_and_clear();
    let totals = result
        .map_err(|e| anyhow::anyhow!("{e} (resume after reading {})", e.committed.position))?;

    let r = &totals.report;
    println!(
        "{}: {} readings in {} batches",
        path.display(),
        r.received,
        totals.batches
    );
    println!(
        "  inserted {}, duplicates {}, conflicts {}, out of range {}",
        r.inserted, r.duplicates, r.conflicts, r.out_of_range
    );
    println!(
        "  refused {} {:?}; unparsable lines {}",
        r.rejected,
        r.rejected_by_reason,
        unparsable.len()
    );
    for (line, why) in unparsable.iter().take(20) {
        println!("  line {line}: {why}");
    }
    for x in &r.rejections {
        let line = line_of.get(x.index as usize).copied().unwrap_or(0);
        println!("  line {line}: {:?}", x.reason);
    }
    Ok(())
}

fn parse(line: &str, tags: &HashMap<String, Uuid>) -> Result<Reading, String> {
    let mut f = line.split(',').map(str::trim);
    let tag = f.next().filter(|t| !t.is_empty()).ok_or("no sensor tag")?;
    let ts: DateTime<Utc> = f
        .next()
        .ok_or("no timestamp")?
        .parse()
        .map_err(|e| format!("bad timestamp: {e}"))?;
    let value: f64 = f
        .next()
        .ok_or("no value")?
        .parse()
        .map_err(|e| format!("bad value: {e}"))?;
    let quality = match f.next() {
        Some(q) if !q.is_empty() => q.parse().map_err(|e| format!("bad quality: {e}"))?,
        _ => 1.0,
    };
    // An unknown tag still becomes a reading, so that ingest reports it with its reason.
    let sensor_id = tags.get(tag).copied().unwrap_or(Uuid::nil());
    Ok(Reading {
        quality,
        ..Reading::new(sensor_id, ts, value)
    })
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
    Ok(path)
}
