//! Every example runs against the test server (through `DATABASE_URL`), and the main job's
//! picture holds what it claims.

use std::path::PathBuf;
use std::process::{Command, Output};

use grid_model::{AlertKind, GridZone};
use grid_testdb::{EMPTY, TestDb};

/// The example binary cargo built beside this test (`cargo test` builds the examples).
fn example(name: &str) -> PathBuf {
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let bin = deps.parent().unwrap().join("examples").join(name);
    assert!(
        bin.is_file(),
        "{} is not built: run `cargo build --examples` (cargo test does)",
        bin.display()
    );
    bin
}

fn run(name: &str, db: &TestDb, args: &[&str]) -> Output {
    Command::new(example(name))
        .args(args)
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn quickstart_runs() {
    let db = TestDb::new(&EMPTY);
    let o = run("quickstart", &db, &[]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("Ingested 180 readings (0 rejected)"), "{out}");
    assert!(out.contains("Latest QS-RUA-HZ"), "{out}");
    assert!(out.contains("Hourly series (HourlyRollup)"), "{out}");
}

#[test]
fn alert_workflow_runs() {
    let db = TestDb::new(&EMPTY);
    let o = run("alert_workflow", &db, &[]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    for step in ["acknowledged", "in_progress", "resolved", "closed"] {
        assert!(out.contains(step), "{step}: {out}");
    }
    assert!(
        out.contains("refused:    an alert cannot go from closed to acknowledged"),
        "{out}"
    );
}

#[test]
fn ingest_csv_reports_bad_rows_by_line() {
    let db = TestDb::new(&EMPTY);
    let o = run("ingest_csv", &db, &[]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("inserted 2880"), "{out}");
    for line in [
        "line 2882: bad_timestamp",
        "line 2883: NonFiniteValue",
        "line 2884: unknown_tag",
        "line 2885: BadQuality",
        "line 2886: RawValueOutOfBounds",
        "line 2887: extra_columns",
        "line 2888: conflict",
        "refused lines 7",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    // Every refused line is in the report file too.
    let report = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("every refused line: "))
        .expect("the report file is named");
    let listed = std::fs::read_to_string(report).unwrap();
    assert_eq!(listed.lines().count(), 1 + 7, "{listed}");
    assert!(
        listed.lines().nth(7).unwrap().starts_with("2888,conflict,"),
        "{listed}"
    );
}

#[test]
fn scada_poll_stores_what_it_polls() {
    let db = TestDb::new(&EMPTY);
    let o = run("scada_poll", &db, &[]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("polls_failed=0"), "{out}");
    for tag in ["RUA-HZ", "RUA-I-1", "RUA-OIL", "RUA-V-BUS"] {
        assert!(out.contains(&format!("  {tag}")), "{tag}: {out}");
    }
    // About 25 polls of 4 points in 5 s; every value read was stored.
    let read: u64 = out
        .split("values_read=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let stored: u64 = out
        .split("readings_stored=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(read >= 60 && stored == read, "{out}");
}

/// The value of `attr="…"` in an SVG element's text.
fn attr<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    let start = element.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = element[start..].find('"')? + start;
    Some(&element[start..end])
}

#[test]
fn sentinel_reports_the_day_and_draws_it() {
    let db = TestDb::new(&EMPTY);
    let svg_path = std::env::temp_dir().join(format!("sentinel-{}.svg", db.name()));
    let svg_arg = svg_path.display().to_string();
    let o = run(
        "sentinel",
        &db,
        &["--date", "2026-03-10", "--svg", &svg_arg, "--no-progress"],
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("operator's report for 2026-03-10"), "{out}");
    assert!(
        // 6 from the sensors' bands (the sag at NRB-EMB, the fan failure's oil and winding
        // sensors, the three frequency sensors of the Western zone), the outage as protection
        // reports it, the thermal assessment's top oil above 105 °C (C57.91 Table 7), and 8
        // from the anomaly engine: one storm alert for the outage's 10 sensors at KSM-KIS,
        // the stuck meter, the sag, the two temperatures of the fan failure and the three
        // Western frequency sensors. KSM-KIS's three voltage sensors read 0 during its outage
        // and raise nothing: their alarms are suppressed while the substation is
        // de-energised (ISA-18.2 state-based suppression).
        out.contains("Alerts raised: 16 (one per condition); still open: 0"),
        "{out}"
    );
    // The alarm rate per operator area: the Western zone's six (three frequency alarms and
    // three anomaly alerts within minutes) are the busiest 10 minutes, below a flood.
    assert!(
        out.contains("busiest 10 minutes 6 alarms (western); flood windows: 0"),
        "{out}"
    );
    // The anomaly engine's episodes: each event as the right kind on its own sensors, and
    // none on a sensor of a substation where nothing happened.
    let episodes: Vec<(String, String, String)> = out
        .lines()
        .skip_while(|l| !l.starts_with("Anomaly episodes"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_owned(), f[1].to_owned(), f[2].to_owned())
        })
        .collect();
    let has = |start: &str, kind: &str, tag: &str| {
        episodes
            .iter()
            .any(|(s, k, t)| s.starts_with(start) && k == kind && t == tag)
    };
    assert!(has("03:00", "stuck", "ELD-KIT-PF"), "bad sensor: {out}");
    assert!(has("07:42", "level_shift", "NRB-EMB-V-BUS"), "sag: {out}");
    assert!(
        has("10:15", "level_shift", "KSM-KIS-LD-IN"),
        "outage: {out}"
    );
    assert!(
        has("13:0", "level_shift", "MSA-RAB-OIL"),
        "overheating: {out}"
    );
    assert!(
        has("18:31", "level_shift", "WST-MUS-HZ"),
        "frequency: {out}"
    );
    let event_sites = ["ELD-KIT", "NRB-EMB", "KSM-KIS", "MSA-RAB", "WST-"];
    for (_, kind, tag) in &episodes {
        assert!(
            event_sites.iter().any(|site| tag.starts_with(site)),
            "{kind} on {tag}, where nothing happened: {out}"
        );
    }
    assert!(
        !episodes.iter().any(|(_, _, t)| t.starts_with("CEN-")),
        "{out}"
    );
    // The risk section is computed: the transformer whose fans failed ranks first, and no
    // probability is printed.
    let risk: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Riskiest transformers by the day's insulation ageing"))
        .skip(1)
        .take(5)
        .collect();
    assert!(risk[0].trim_start().starts_with("MSA-RAB T1"), "{out}");
    assert!(risk[0].contains("top oil +"), "{out}");
    // Remaining life says what it knows: a number for MSA-RAB T1, whose degree of
    // polymerisation the demo grid records, unknown (with the reason) for the others.
    assert!(
        risk[0].contains("  health ") && risk[0].contains(" y") && !risk[0].contains("unknown"),
        "{out}"
    );
    for line in &risk[1..] {
        assert!(
            line.contains("health and life left unknown: no ageing history since manufacture"),
            "{out}"
        );
    }
    assert!(!out.contains("P(fail"), "{out}");
    assert!(out.contains("Failure probabilities: not computed"), "{out}");
    for zone in GridZone::ALL {
        assert!(
            out.lines().any(|l| l.starts_with(zone.as_str())),
            "no report line for {zone}: {out}"
        );
    }
    // The password of DATABASE_URL never shows.
    let url = db.url();
    let password = url.split(':').nth(2).unwrap().split('@').next().unwrap();
    assert!(!out.contains(password), "the password was printed");

    // The picture: one curve per zone with a point per minute, markers at the events.
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let curves: Vec<&str> = svg
        .lines()
        .filter(|l| l.contains("<polyline class=\"load\""))
        .collect();
    assert_eq!(curves.len(), 8);
    for (curve, zone) in curves.iter().zip(GridZone::ALL) {
        assert_eq!(attr(curve, "data-zone"), Some(zone.as_str()));
        assert_eq!(
            attr(curve, "points").unwrap().split(' ').count(),
            1440,
            "{zone}"
        );
    }
    // The hot-spot panel: the riskiest transformer's curve first, a point per minute.
    let hot: Vec<&str> = svg
        .lines()
        .filter(|l| l.contains("<polyline class=\"hot-spot\""))
        .collect();
    assert_eq!(hot.len(), 3);
    assert_eq!(attr(hot[0], "data-transformer"), Some("MSA-RAB T1"));
    assert_eq!(attr(hot[0], "points").unwrap().split(' ').count(), 1440);
    let markers: Vec<(String, String)> = svg
        .lines()
        .filter(|l| l.contains("<line class=\"event\""))
        .map(|l| {
            (
                attr(l, "data-kind").unwrap().to_owned(),
                attr(l, "data-time").unwrap().to_owned(),
            )
        })
        .collect();
    // 2026-03-10 in Nairobi begins at 2026-03-09 21:00 UTC.
    let expected = [
        ("bad_sensor".to_string(), "2026-03-09T23:00:00+00:00"),
        ("voltage_sag".to_string(), "2026-03-10T04:42:00+00:00"),
        (AlertKind::Outage.to_string(), "2026-03-10T07:15:00+00:00"),
        (
            AlertKind::Overheating.to_string(),
            "2026-03-10T10:00:00+00:00",
        ),
        (
            AlertKind::FrequencyExcursion.to_string(),
            "2026-03-10T15:31:00+00:00",
        ),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, t)| (k.to_string(), t.to_string()))
        .collect();
    assert_eq!(markers, expected);
    let _ = std::fs::remove_file(&svg_path);

    // A database that already holds a grid is not seeded again without --force.
    let again = run(
        "sentinel",
        &db,
        &["--date", "2026-03-10", "--svg", &svg_arg, "--no-progress"],
    );
    assert!(!again.status.success());
    assert!(
        text(&again).contains("already holds 23 substations"),
        "{}",
        text(&again)
    );
}
