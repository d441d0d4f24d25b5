//! The poller program's operational endpoints: /metrics with its counters and ingest's, and
//! /health, while it polls a real device into a real database; its limits and session
//! limits from SmartGrid Sentinel's configuration file.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use grid_model::*;
use grid_store::{SensorRepository, SubstationRepository};
use grid_testdb::TestDb;
use grid_testkit::READY;
use grid_testkit::modbus as sim;

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut r = String::new();
    s.read_to_string(&mut r).ok()?;
    Some(r)
}

fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn the_poller_serves_metrics_and_health() {
    let db = TestDb::new(&READY);
    {
        let conn = &mut db.conn();
        let d = SubstationDraft::new(
            "Thika Substation",
            "SC-THK",
            GridZone::Central,
            (-1.0, 37.1),
            66,
            90.0,
        );
        let s = conn
            .insert_substation(&NewSubstation::new(d).unwrap())
            .unwrap();
        conn.insert_sensor(
            &NewSensor::new(SensorDraft::new(s.id, "T-CNT", SensorType::Load)).unwrap(),
        )
        .unwrap();
    }
    let device =
        sim::start_sim(serde_json::json!({"unit": 1, "holding": {"0": [0]}, "counters": [0]}));
    let dir = std::env::temp_dir().join(format!("gs-endpoints-{}", db.name()));
    std::fs::create_dir_all(&dir).unwrap();
    let scada = dir.join("scada.toml");
    std::fs::write(
        &scada,
        format!(
            "[batch]\nmax_readings = 10\nmax_delay_ms = 100\n\n[[device]]\nname = \"rtu-t\"\naddress = \"{}\"\npoll_interval_ms = 50\ntimeout_ms = 300\n[[device.point]]\ntag = \"T-CNT\"\nregister = \"holding\"\naddress = 0\ntype = \"u16\"\n",
            device.addr
        ),
    )
    .unwrap();
    let sentinel = dir.join("sentinel.toml");
    std::fs::write(&sentinel, "[database]\nstatement_timeout_s = 20\n").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut poller = Command::new(env!("CARGO_BIN_EXE_grid-scada-poller"))
        .arg("--config")
        .arg(&scada)
        .arg("--spool")
        .arg(dir.join("spool"))
        .arg("--sentinel-config")
        .arg(&sentinel)
        .args([
            "--metrics-listen",
            &format!("127.0.0.1:{port}"),
            "--status-every-ms",
            "60000",
        ])
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut metrics = String::new();
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(100));
        if let Some(m) = get(port, "/metrics") {
            let stored = sample(&m, "grid_scada_readings_total{fate=\"stored\"}").unwrap_or(0.0);
            let ingested =
                sample(&m, "grid_ingest_readings_total{outcome=\"inserted\"}").unwrap_or(0.0);
            metrics = m;
            if stored >= 5.0 && ingested >= 5.0 {
                break;
            }
        }
    }
    let health = get(port, "/health").unwrap();
    poller.kill().unwrap();
    poller.wait().unwrap();
    assert!(
        sample(&metrics, "grid_scada_polls_total{outcome=\"ok\"}").unwrap() >= 5.0,
        "{metrics}"
    );
    assert!(
        sample(&metrics, "grid_ingest_readings_total{outcome=\"inserted\"}").unwrap() >= 5.0,
        "{metrics}"
    );
    assert!(
        metrics.contains("grid_scada_poll_to_commit_seconds_bucket{le=\"+Inf\"}"),
        "{metrics}"
    );
    assert!(
        health.starts_with("HTTP/1.1 200") && health.contains("\"status\":\"ok\""),
        "{health}"
    );
    drop(device);
    let _ = std::fs::remove_dir_all(dir);
}
