//! Defect 6 of the hardening issue: the CSV load lost a headerless file's first row,
//! accepted extra columns, did not understand quotes, and gave line numbers only to the
//! first 20 and 100 refusals (conflicts none).

mod common;

use std::collections::HashMap;

use chrono::Duration;
use common::*;
use grid_model::*;
use grid_testdb::count;
use grid_timescale::OperatingLimits;
use grid_timescale::csv_load::{CsvError, SHOWN_LINES, load_csv};
use grid_timescale::ingest::*;
use uuid::Uuid;

fn ingester(conn: &mut diesel::PgConnection, batch: usize) -> Ingester {
    let from = t(2026, 11, 1, 0, 0);
    let options = IngestOptions {
        time_policy: TimePolicy::backfill(from, from + Duration::days(60)),
        max_rejection_details: batch,
        ..Default::default()
    };
    Ingester::new(conn, OperatingLimits::default(), options).unwrap()
}

#[test]
fn a_file_without_its_header_is_refused_whole_naming_the_header_expected() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "CSV-1", GridZone::Nakuru, 132);
    let v = sensor(conn, &s, "CSV-LAN-V", SensorType::Voltage);
    let tags = HashMap::from([("CSV-LAN-V".to_owned(), v.id)]);
    let mut ing = ingester(conn, 100);
    let file = "CSV-LAN-V,2026-11-24T10:05:00Z,132.1\nCSV-LAN-V,2026-11-24T10:06:00Z,132.2\n";
    let err = load_csv(conn, &mut ing, file.as_bytes(), &tags, 100, None, |_| {}).unwrap_err();
    assert!(matches!(err, CsvError::Header { .. }), "{err}");
    assert!(
        err.to_string().contains("sensor_tag,timestamp,value"),
        "{err}"
    );
    assert_eq!(count(conn, "SELECT count(*) AS n FROM sensor_readings"), 0);
}

#[test]
fn quotes_a_bom_and_every_refused_line_with_its_number_conflicts_included() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "CSV-2", GridZone::Nakuru, 132);
    let v = sensor(conn, &s, "LAN, V \"bus\"", SensorType::Voltage);
    let tags: HashMap<String, Uuid> = HashMap::from([("LAN, V \"bus\"".to_owned(), v.id)]);
    let at = |m: i64| (t(2026, 11, 24, 0, 0) + Duration::minutes(m)).to_rfc3339();
    // A BOM, quoted tags holding a comma and quotes; 150 bad timestamps (more than any
    // screen shows), an extra column, and a conflict with a reading stored earlier.
    let mut file = String::from("\u{feff}sensor_tag,timestamp,value,quality\n");
    for m in 0..300 {
        file.push_str(&format!("\"LAN, V \"\"bus\"\"\",{},{},1\n", at(m), 132.0));
    }
    for _ in 0..150 {
        file.push_str("\"LAN, V \"\"bus\"\"\",not-a-time,132\n");
    }
    file.push_str(&format!(
        "\"LAN, V \"\"bus\"\"\",{},132,1,surplus\n",
        at(400)
    ));
    file.push_str(&format!("\"LAN, V \"\"bus\"\"\",{},131\n", at(5)));
    let mut ing = ingester(conn, 100);
    // First, one reading of the conflicting key stored on its own.
    ing.ingest_batch(conn, [Reading::new(v.id, t(2026, 11, 24, 0, 5), 132.0)])
        .unwrap();
    let mut report = Vec::new();
    let loaded = load_csv(
        conn,
        &mut ing,
        file.as_bytes(),
        &tags,
        100,
        Some(&mut report),
        |_| {},
    )
    .unwrap();
    assert_eq!(loaded.records, 452);
    assert_eq!(
        loaded.ingest.report.inserted, 299,
        "{:?}",
        loaded.ingest.report
    );
    assert_eq!(loaded.ingest.report.duplicates, 1);
    assert_eq!(loaded.refused, 152);
    assert_eq!(loaded.refused_by_reason["bad_timestamp"], 150);
    assert_eq!(loaded.refused_by_reason["extra_columns"], 1);
    assert_eq!(loaded.refused_by_reason["conflict"], 1);
    assert_eq!(loaded.first_refused.len(), SHOWN_LINES);
    let report = String::from_utf8(report).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 1 + 152, "a line per refusal, after the header");
    assert!(lines[1].starts_with("302,bad_timestamp,"), "{}", lines[1]);
    assert!(
        lines[151].starts_with("452,extra_columns,"),
        "{}",
        lines[151]
    );
    assert!(lines[152].starts_with("453,conflict,"), "{}", lines[152]);
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM sensor_readings"),
        300
    );
}
