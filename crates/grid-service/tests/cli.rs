//! The `sentinel` program as an operator runs it: every command against a real database,
//! bad arguments refused with clear errors and the documented exit codes.

use std::io::Write;
use std::process::{Command, Output};

use grid_model::{GridZone, SensorType};
use grid_testdb::{EMPTY, TestDb};
use grid_testkit::{READY, sensor, substation};

fn sentinel(url: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sentinel"));
    c.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("SENTINEL_CONFIG")
        .env_remove("SENTINEL_REQUIRE")
        .env("RUST_LOG", "warn");
    if let Some(u) = url {
        c.env("DATABASE_URL", u);
    }
    c.output().expect("running sentinel")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ok(o: &Output) -> String {
    let (out, err) = text(o);
    assert!(
        o.status.success(),
        "exit {:?}\n{out}\n{err}",
        o.status.code()
    );
    out
}

fn fails(o: &Output, code: i32, says: &str) {
    let (out, err) = text(o);
    assert_eq!(o.status.code(), Some(code), "{out}\n{err}");
    assert!(err.contains(says), "expected {says:?} in:\n{err}");
}

#[test]
fn help_and_bad_arguments() {
    let help = ok(&sentinel(None, &["--help"]));
    for command in [
        "migrate",
        "ingest",
        "refresh",
        "retention",
        "report",
        "export",
        "health",
        "serve",
        "demo",
        "detect",
        "thermal",
    ] {
        assert!(help.contains(command), "{command} in {help}");
        let sub = ok(&sentinel(None, &[command, "--help"]));
        assert!(sub.contains("Usage: sentinel"), "{sub}");
    }
    fails(&sentinel(None, &[]), 2, "Usage: sentinel");
    fails(
        &sentinel(None, &["launch"]),
        2,
        "unrecognized subcommand 'launch'",
    );
    fails(
        &sentinel(None, &["report", "--from", "2026-11-01"]),
        2,
        "--to <TO>",
    );
    fails(
        &sentinel(
            None,
            &["report", "--from", "yesterday", "--to", "2026-11-01"],
        ),
        2,
        "invalid value 'yesterday'",
    );
    fails(
        &sentinel(None, &["retention", "--keep-days", "-3"]),
        2,
        "--keep-days",
    );
    fails(
        &sentinel(
            None,
            &[
                "report",
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-01",
                "--zone",
                "atlantis",
            ],
        ),
        2,
        "atlantis",
    );
    fails(&sentinel(None, &["export", "--sensor", "T1"]), 2, "--from");
    fails(&sentinel(None, &["thermal"]), 2, "--day <DAY>");
    fails(
        &sentinel(None, &["detect", "--from", "2026-11-01", "--to", "soon"]),
        2,
        "invalid value 'soon'",
    );
    // There is no way to give the URL as an argument.
    fails(
        &sentinel(None, &["--database-url", "postgres://u:p@h/d", "health"]),
        2,
        "unexpected argument '--database-url'",
    );
    // Configuration errors: exit 3, naming what is missing or wrong.
    fails(&sentinel(None, &["health"]), 3, "DATABASE_URL");
    let mut c = Command::new(env!("CARGO_BIN_EXE_sentinel"));
    let o = c
        .args(["health"])
        .env("DATABASE_URL", "postgres://x@127.0.0.1:1/x")
        .env("SENTINEL_REQUIRE", "enterprise")
        .output()
        .unwrap();
    fails(&o, 3, "SENTINEL_REQUIRE");
    // A server that is not there: exit 1, the password never printed.
    let o = sentinel(Some("postgres://svc:hunter2@127.0.0.1:1/grid"), &["health"]);
    fails(&o, 1, "error:");
    assert!(!text(&o).1.contains("hunter2"));
}

#[test]
fn every_command_against_a_database() {
    let db = TestDb::new(&EMPTY);
    let url = db.url();
    let url = Some(url.as_str());
    let out = ok(&sentinel(url, &["migrate"]));
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("up.sql").exists())
        .count();
    assert!(
        out.contains(&format!("migrations applied now: {migrations};")),
        "{out}"
    );
    let out = ok(&sentinel(url, &["migrate"]));
    assert!(
        out.contains("migrations applied now: 0; setup applied: nothing"),
        "{out}"
    );

    {
        let conn = &mut db.conn();
        let s = substation(conn, "CLI-S", GridZone::Kisumu, 33);
        sensor(conn, &s, "CLI-LOAD", SensorType::Load);
    }
    // A file with a bad line among good ones, and a gap.
    let path = std::env::temp_dir().join(format!("gs-cli-{}.csv", db.name()));
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "sensor_tag,timestamp,value").unwrap();
    for m in 0..120 {
        if m == 50 {
            writeln!(f, "CLI-LOAD,not-a-time,1").unwrap();
        }
        if (60..70).contains(&m) {
            continue;
        }
        writeln!(
            f,
            "CLI-LOAD,2026-11-20T{:02}:{:02}:00Z,{}",
            6 + m / 60,
            m % 60,
            10 + m % 3
        )
        .unwrap();
    }
    drop(f);
    let refused = path.with_extension("refused.csv");
    let out = ok(&sentinel(
        url,
        &[
            "ingest",
            path.to_str().unwrap(),
            "--quiet",
            "--refused",
            refused.to_str().unwrap(),
        ],
    ));
    assert!(
        out.contains("111 records: 110 stored, 0 duplicates, 1 refused"),
        "{out}"
    );
    assert!(
        std::fs::read_to_string(&refused)
            .unwrap()
            .contains("bad_timestamp")
    );
    // Outside a backfill window everything is refused, and said so.
    let out = ok(&sentinel(
        url,
        &[
            "ingest",
            path.to_str().unwrap(),
            "--quiet",
            "--from",
            "2026-01-01T00:00:00Z",
            "--to",
            "2026-01-02T00:00:00Z",
        ],
    ));
    assert!(
        out.contains(": 0 stored") && out.contains("110  OutsideTimeWindow"),
        "{out}"
    );

    let out = ok(&sentinel(url, &["refresh"]));
    assert!(out.contains("hours recomputed"), "{out}");
    let out = ok(&sentinel(
        url,
        &[
            "export",
            "--sensor",
            "CLI-LOAD",
            "--from",
            "2026-11-20T06:00:00Z",
            "--to",
            "2026-11-20T08:00:00Z",
        ],
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "bucket,avg,min,max,count");
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[1].ends_with(",60") && lines[2].ends_with(",50"),
        "{out}"
    );
    let out = ok(&sentinel(url, &["export", "--day", "2026-11-20"]));
    assert_eq!(out.lines().count(), 111, "a header and 110 readings");
    assert!(
        out.lines()
            .nth(1)
            .unwrap()
            .starts_with("CLI-LOAD,2026-11-20T06:00:00+00:00,10"),
        "{out}"
    );

    let out = ok(&sentinel(
        url,
        &[
            "report",
            "--from",
            "2026-11-20",
            "--to",
            "2026-11-20",
            "--zone",
            "kisumu",
            "--format",
            "json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["daily_statistics"].as_array().unwrap().len(), 1);
    assert_eq!(v["daily_statistics"][0]["zone"], "kisumu");
    assert_eq!(v["period"]["from"], "2026-11-20");
    let out = ok(&sentinel(
        url,
        &["report", "--from", "2026-11-20", "--to", "2026-11-20"],
    ));
    assert!(
        out.contains("IEEE 1366 reliability of the grid")
            && out.contains("without major event days"),
        "{out}"
    );
    fails(
        &sentinel(
            url,
            &["report", "--from", "2026-11-21", "--to", "2026-11-20"],
        ),
        1,
        "is after --to",
    );

    // The anomaly engine over the stored day: every reading scored once; a repeat goes on
    // from where the stored state stopped, so it scores nothing again.
    let detect = ["detect", "--from", "2026-11-20", "--to", "2026-11-20"];
    let out = ok(&sentinel(url, &detect));
    assert!(
        out.contains("1 substation-days, 110 readings scored (0 refused)"),
        "{out}"
    );
    let out = ok(&sentinel(
        url,
        &[&detect[..], &["--format", "json"]].concat(),
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["readings"].as_u64(), v["failed"].as_array().map(Vec::len)),
        (Some(0), Some(0))
    );
    // No transformer here: the assessment says so rather than inventing one.
    let out = ok(&sentinel(url, &["thermal", "--day", "2026-11-20"]));
    assert!(out.contains("thermal alarms raised now: 0"), "{out}");

    let out = ok(&sentinel(url, &["health", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["newest_reading_at"], "2026-11-20T07:59:00Z");
    let out = ok(&sentinel(url, &["health"]));
    assert!(out.contains("server mode"), "{out}");

    let out = ok(&sentinel(url, &["retention", "--keep-days", "3650"]));
    assert!(out.contains("removed"), "{out}");
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&refused);
}

#[test]
fn serve_answers_health_and_metrics_until_stopped() {
    let db = TestDb::new(&READY);
    let url = db.url();
    // A user and a token, from the command line.
    let out = ok(&sentinel(
        Some(&url),
        &[
            "users",
            "add",
            "nbi.op",
            "--role",
            "operator",
            "--zones",
            "nairobi,central",
        ],
    ));
    assert!(
        out.contains("added nbi.op (operator, zones: nairobi,central)"),
        "{out}"
    );
    fails(
        &sentinel(
            Some(&url),
            &["users", "add", "bad name", "--role", "viewer"],
        ),
        1,
        "name",
    );
    let token = ok(&sentinel(Some(&url), &["users", "token", "nbi.op"]))
        .trim()
        .to_owned();
    assert!(token.starts_with("gst_"), "{token}");
    let alert = {
        use grid_store::AlertRepository;
        let conn = &mut db.conn();
        let s = substation(conn, "SRV-N", GridZone::Nairobi, 66);
        let mut d = grid_model::AlertDraft::new(
            grid_model::AlertKind::VoltageLow,
            grid_model::AlertSeverity::Warning,
            "bus low",
        );
        d.substation_id = Some(s.id);
        conn.raise_alert(&grid_model::NewAlert::new(d).unwrap())
            .unwrap()
            .id
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sentinel"))
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("SENTINEL_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the event, not for a time: the line it prints once it listens.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert!(line.starts_with("listening on"), "{line}");
    let send = |head: &str, token: Option<&str>, body: &str| -> String {
        use std::io::Read;
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
        write!(
            s,
            "{head} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut r = String::new();
        s.read_to_string(&mut r).unwrap();
        r
    };
    let get = |path: &str| send(&format!("GET {path}"), None, "");
    let health = get("/health");
    assert!(
        health.starts_with("HTTP/1.1 200") && health.contains("\"status\":\"ok\""),
        "{health}"
    );
    let metrics = get("/metrics");
    assert!(
        metrics.starts_with("HTTP/1.1 200") && metrics.contains("grid_http_requests_total"),
        "{metrics}"
    );
    let ack = send(
        &format!("POST /alerts/{alert}/acknowledge"),
        Some(&token),
        "{}",
    );
    assert!(ack.starts_with("HTTP/1.1 200"), "{ack}");
    assert!(ack.contains("\"acknowledged_by\":\"nbi.op\""), "{ack}");
    // Disabled: its token stops at once.
    ok(&sentinel(Some(&url), &["users", "disable", "nbi.op"]));
    let again = send(
        &format!("POST /alerts/{alert}/acknowledge"),
        Some(&token),
        "{}",
    );
    assert!(again.starts_with("HTTP/1.1 401"), "{again}");
    let list = ok(&sentinel(Some(&url), &["users", "list"]));
    assert!(
        list.contains("nbi.op") && list.contains("disabled"),
        "{list}"
    );
    // SIGTERM: it stops cleanly.
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn demo_runs_a_day_through_every_crate() {
    let db = TestDb::new(&EMPTY);
    let svg = std::env::temp_dir().join(format!("gs-cli-demo-{}.svg", db.name()));
    // The configuration's alarm settings reach the demo's alarms: no anomaly episode is
    // severe enough to alert, and the frequency excursions (minutes long) never outlast a
    // day-long on-delay. With the defaults the day raises 16 (the workspace's example test):
    // here 16 less the anomaly engine's 8 and the three Western frequency alarms.
    let config = std::env::temp_dir().join(format!("gs-cli-demo-{}.toml", db.name()));
    std::fs::write(
        &config,
        "[alarms.anomaly]\nmin_severity = \"emergency\"\n\n\
         [alarms.threshold.frequency]\ndeadband = 0.05\non_delay_s = 86400\noff_delay_s = 60\n",
    )
    .unwrap();
    let out = ok(&sentinel(
        Some(&db.url()),
        &[
            "--config",
            config.to_str().unwrap(),
            "demo",
            "--date",
            "2026-03-10",
            "--no-progress",
            "--svg",
            svg.to_str().unwrap(),
        ],
    ));
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("up.sql").exists())
        .count();
    assert!(
        out.contains(&format!("Migrations applied now: {migrations}\n")),
        "{out}"
    );
    assert!(out.contains("Done in"), "{out}");
    assert!(
        out.contains("Alerts raised: 5 (one per condition)"),
        "{out}"
    );
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(
        picture.starts_with("<svg") || picture.starts_with("<?xml"),
        "{}",
        &picture[..80]
    );
    // A second run on the same database refuses to mix two grids unless forced.
    let o = sentinel(
        Some(&db.url()),
        &[
            "demo",
            "--date",
            "2026-03-10",
            "--no-progress",
            "--svg",
            svg.to_str().unwrap(),
        ],
    );
    fails(&o, 1, "pass --force to seed anyway");
    // The thermal assessment of the demo day again: the fan failure's transformer first,
    // the alarm it raised found raised, not raised twice.
    let out = ok(&sentinel(
        Some(&db.url()),
        &["thermal", "--day", "2026-03-10"],
    ));
    let first = out.lines().nth(2).unwrap_or_default();
    assert!(first.starts_with("MSA-RAB T1"), "{out}");
    assert!(out.contains("thermal alarms raised now: 0"), "{out}");
    assert!(out.contains("alarms at the normal loading limits"), "{out}");
    let _ = std::fs::remove_file(svg);
    let _ = std::fs::remove_file(config);
}

/// Bad lines are refused one by one, each named by its number, and the rest stored: bytes
/// that are not UTF-8 (the attack run's file: lines 102 and 502 of 1,000), a year no reading
/// is from, a 10 MB tag (named by its start and length, never echoed).
#[test]
fn ingest_refuses_bad_lines_one_by_one_and_echoes_no_huge_field() {
    let db = TestDb::new(&READY);
    let url = db.url();
    let url = Some(url.as_str());
    {
        let conn = &mut db.conn();
        let s = substation(conn, "CLI-U", GridZone::Kisumu, 33);
        sensor(conn, &s, "CLI-U-LOAD", SensorType::Load);
    }
    let path = std::env::temp_dir().join(format!("gs-cli-utf8-{}.csv", db.name()));
    let mut bytes = b"sensor_tag,timestamp,value\n".to_vec();
    for i in 0..1000 {
        let line = i + 2;
        let t = format!("2026-11-20T{:02}:{:02}:00Z", i / 60, i % 60);
        if line == 102 || line == 502 {
            bytes.extend_from_slice(b"CLI-U-LOAD,");
            bytes.extend_from_slice(t.as_bytes());
            bytes.extend_from_slice(b",1\xff\xfe\n");
        } else {
            bytes.extend_from_slice(format!("CLI-U-LOAD,{t},{}\n", 10 + i % 7).as_bytes());
        }
    }
    std::fs::write(&path, &bytes).unwrap();
    let refused = path.with_extension("refused.csv");
    let out = ok(&sentinel(
        url,
        &[
            "ingest",
            path.to_str().unwrap(),
            "--quiet",
            "--refused",
            refused.to_str().unwrap(),
        ],
    ));
    assert!(
        out.contains("1000 records: 998 stored, 0 duplicates, 2 refused"),
        "{out}"
    );
    assert!(out.contains("line 102: invalid_utf8 field 3"), "{out}");
    assert!(out.contains("line 502: invalid_utf8 field 3"), "{out}");
    let report = std::fs::read_to_string(&refused).unwrap();
    let lines: Vec<&str> = report.lines().skip(1).collect();
    assert_eq!(lines.len(), 2, "{report}");
    assert!(lines[0].starts_with("102,invalid_utf8,") && lines[1].starts_with("502,invalid_utf8,"));
    let stored =
        grid_testdb::inspect::count(&mut db.conn(), "SELECT count(*) AS n FROM sensor_readings");
    assert_eq!(stored, 998);

    // Year 0 and a 10 MB tag, beside a good line.
    let huge = "T".repeat(10_000_000);
    std::fs::write(
        &path,
        format!(
            "sensor_tag,timestamp,value\nCLI-U-LOAD,0000-06-01T00:00:00Z,1\n{huge},2026-11-21T00:00:00Z,1\nCLI-U-LOAD,2026-11-21T00:00:00Z,2\n"
        ),
    )
    .unwrap();
    let out = ok(&sentinel(
        url,
        &[
            "ingest",
            path.to_str().unwrap(),
            "--quiet",
            "--refused",
            refused.to_str().unwrap(),
        ],
    ));
    assert!(
        out.contains("3 records: 1 stored, 0 duplicates, 2 refused"),
        "{out}"
    );
    assert!(out.contains("ImplausibleTime"), "{out}");
    assert!(out.contains("(10000000 bytes)"), "{out}");
    assert!(
        out.len() < 4_000,
        "the tag is not echoed: {} bytes",
        out.len()
    );
    let report = std::fs::read_to_string(&refused).unwrap();
    assert!(
        report.len() < 4_000 && report.contains("line") && report.contains("3,unknown_tag"),
        "{report}"
    );
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(refused);
}

/// A day of one's own readings through `sentinel ingest`: a ten-minute sag to 0.83 pu on a
/// 132 kV bus is one alarm, LoLo in its history, cleared once; `sentinel alarms` over the
/// same stored day raises nothing new.
#[test]
fn ingest_raises_the_alarms_of_ones_own_readings_and_alarms_repeats_nothing() {
    let db = TestDb::new(&READY);
    let url = db.url();
    let url = Some(url.as_str());
    let v = {
        let conn = &mut db.conn();
        let s = substation(conn, "OWN-BUS", GridZone::Nakuru, 132);
        sensor(conn, &s, "OWN-BUS-V", SensorType::Voltage)
    };
    let path = std::env::temp_dir().join(format!("gs-cli-sag-{}.csv", db.name()));
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "sensor_tag,timestamp,value").unwrap();
    // 2026-11-20, one reading every 10 s from 06:00 to 07:00 UTC; the sag 06:20–06:30.
    for i in 0..360 {
        let kv = if (120..180).contains(&i) {
            0.83 * 132.0
        } else {
            132.0
        };
        let t = chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
            .unwrap()
            .and_hms_opt(6, 0, 0)
            .unwrap()
            + chrono::Duration::seconds(10 * i);
        writeln!(f, "OWN-BUS-V,{}Z,{kv}", t.format("%Y-%m-%dT%H:%M:%S")).unwrap();
    }
    drop(f);
    let out = ok(&sentinel(
        url,
        &["ingest", path.to_str().unwrap(), "--quiet"],
    ));
    assert!(out.contains("360 records: 360 stored"), "{out}");
    assert!(
        out.contains("limit alarms: 1 raised (1 late, recorded as history), 1 cleared"),
        "{out}"
    );
    let alerts: Vec<grid_model::Alert> = {
        use grid_store::AlertRepository;
        let conn = &mut db.conn();
        conn.alerts_raised_between(
            chrono::Utc::now() - chrono::Duration::days(400),
            chrono::Utc::now(),
        )
        .unwrap()
        .into_iter()
        .filter(|a| a.sensor_id == Some(v.id))
        .collect()
    };
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(a.alert_type, grid_model::AlertKind::VoltageLow);
    assert_eq!(a.metadata["alarm"]["grades"][0]["grade"], "lolo");
    assert_eq!(a.status, grid_model::AlertStatus::Resolved);
    assert_eq!(
        a.created_at.to_rfc3339(),
        "2026-11-20T06:20:00+00:00",
        "stamped when the sag began"
    );
    // The history run over the same local day: nothing new.
    let out = ok(&sentinel(
        url,
        &["alarms", "--from", "2026-11-20", "--to", "2026-11-20"],
    ));
    assert!(
        out.contains("limit alarms 2026-11-20 to 2026-11-20: 0 raised"),
        "{out}"
    );
    assert!(
        out.contains("readings evaluated before (skipped) 360"),
        "{out}"
    );
    // The day's alarm KPIs in the report: one alarm, none standing.
    let out = ok(&sentinel(
        url,
        &[
            "report",
            "--from",
            "2026-11-20",
            "--to",
            "2026-11-20",
            "--zone",
            "nakuru",
        ],
    ));
    let line = out
        .lines()
        .find(|l| l.starts_with("2026-11-20   nakuru") && l.split_whitespace().count() == 9)
        .unwrap_or_else(|| panic!("no KPI line: {out}"));
    let f: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        (f[2], f[4], f[5], f[6], f[7]),
        ("1", "1", "0", "0", "0"),
        "{line}"
    );
    let _ = std::fs::remove_file(path);
}
