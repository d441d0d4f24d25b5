//! The CSV command on a file with gaps, a bad line and an outlier, and on repeated and
//! backwards timestamps: every row is scored, in order.

mod common;

use common::wiggle;

use std::fmt::Write as _;
use std::process::Command;

#[test]
fn the_csv_command_scores_every_row_and_names_the_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let output = dir.path().join("out.csv");
    let mut text = String::from("timestamp,value\n");
    let mut expected_rows = 0;
    for i in 0..3000u32 {
        if i % 97 == 5 {
            continue; // a gap
        }
        let t = 1_767_571_200 + i64::from(i) * 300;
        let v = 50.0 + wiggle(i as usize) + if i == 2500 { 40.0 } else { 0.0 };
        if i == 1700 {
            writeln!(text, "{t},not-a-number").unwrap();
        } else if i % 2 == 0 {
            writeln!(text, "{t},{v}").unwrap();
        } else {
            let iso = chrono::DateTime::from_timestamp(t, 0)
                .unwrap()
                .format("%Y-%m-%d %H:%M:%S");
            writeln!(text, "{iso},{v}").unwrap();
        }
        expected_rows += 1;
    }
    std::fs::write(&input, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_anomaly-csv"))
        .arg(&input)
        .arg(&output)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 1684: not_a_number (timestamp \"1768081200\", value \"not-a-number\"); scored 0.000000"),
        "{stderr}"
    );

    let mut reader = csv::Reader::from_path(&output).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec!["timestamp", "value", "anomaly_score", "label", "flag"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), expected_rows);
    let bad = rows.iter().find(|r| &r[1] == "not-a-number").unwrap();
    assert_eq!(
        (&bad[2], &bad[3], &bad[4]),
        ("0.000000", "0", "not_a_number")
    );
    let scored: Vec<(f64, &str)> = rows
        .iter()
        .map(|r| (r[2].parse::<f64>().unwrap(), &r[3]))
        .collect();
    assert_eq!(scored.len(), expected_rows);
    assert!(scored.iter().all(|(s, _)| (0.0..1.0).contains(s)));
    assert_eq!(rows.iter().filter(|r| !r[4].is_empty()).count(), 1);
    let spike_time = (1_767_571_200 + 2500 * 300).to_string();
    let spike = rows.iter().position(|r| r[0] == *spike_time).unwrap();
    assert_eq!(&rows[spike][3], "1", "the outlier is labelled");
    let top = scored
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.0.total_cmp(&b.1.0))
        .unwrap();
    assert_eq!(top.0, spike, "the outlier has the top score");
    let labelled = scored.iter().filter(|(_, l)| *l == "1").count();
    let which: Vec<&str> = rows
        .iter()
        .filter(|r| &r[3] == "1")
        .map(|r| &r[0])
        .collect();
    assert!(labelled <= 5, "{labelled} readings labelled: {which:?}");
}

#[test]
fn repeated_and_backwards_timestamps_are_scored_in_order_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let output = dir.path().join("out.csv");
    let mut text = String::from("timestamp,value\n");
    let mut flags = Vec::new();
    for i in 0..600i64 {
        let (t, flag) = match i {
            200 | 201 => (1_767_571_200 + 199 * 300, "repeated_time"),
            400 => (1_767_571_200 + 350 * 300, "backwards_time"),
            450 => (-1, "bad_time"),
            _ => (1_767_571_200 + i * 300, ""),
        };
        let v = 20.0 + wiggle(i as usize);
        if t < 0 {
            writeln!(text, "yesterday,{v}").unwrap();
        } else {
            writeln!(text, "{t},{v}").unwrap();
        }
        flags.push(flag);
    }
    std::fs::write(&input, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_anomaly-csv"))
        .arg(&input)
        .arg(&output)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 202: repeated_time"), "{stderr}");
    assert!(stderr.contains("line 402: backwards_time"), "{stderr}");
    assert!(stderr.contains("line 452: bad_time"), "{stderr}");
    assert!(stderr.contains("600 rows scored, 4 flagged"), "{stderr}");
    let mut reader = csv::Reader::from_path(&output).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 600, "one row out per row in");
    for (i, (row, flag)) in rows.iter().zip(&flags).enumerate() {
        let score: f64 = row[2]
            .parse()
            .unwrap_or_else(|_| panic!("row {i} unscored"));
        assert!((0.0..1.0).contains(&score), "row {i}: {score}");
        assert_eq!(&row[4], *flag, "row {i}");
    }
}
