//! The poller against real devices and a real database: one communication alert per device
//! outage, resolved when it answers again, while the other devices keep their schedule.

mod common;
use grid_testkit::modbus as sim;

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Double, Timestamptz};
use grid_model::*;
use grid_scada::ScadaConfig;
use grid_scada::runtime::PollerOptions;
use grid_store::{AlertRepository, SensorRepository, SubstationRepository};
use grid_testdb::TestDb;
use grid_testkit::READY;
use sim::{reserve_port, start_sim, start_sim_on};

fn counter_spec() -> serde_json::Value {
    serde_json::json!({"unit": 1, "holding": {"0": [0]}, "counters": [0]})
}

fn series(conn: &mut PgConnection, tag: &str) -> Vec<(DateTime<Utc>, f64)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Timestamptz)]
        t: DateTime<Utc>,
        #[diesel(sql_type = Double)]
        v: f64,
    }
    diesel::sql_query(
        "SELECT r.\"timestamp\" AS t, r.value AS v FROM sensor_readings r
           JOIN grid_sensors s ON s.id = r.sensor_id WHERE s.sensor_id = $1 ORDER BY 1",
    )
    .bind::<diesel::sql_types::Text, _>(tag)
    .load::<Row>(conn)
    .unwrap()
    .into_iter()
    .map(|r| (r.t, r.v))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_outage_raises_one_alert_resolved_on_return_and_others_keep_their_schedule() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let d = SubstationDraft::new(
        "Lanet Substation",
        "SC-LAN",
        GridZone::Nakuru,
        (-0.3, 36.1),
        132,
        90.0,
    );
    let s = conn
        .insert_substation(&NewSubstation::new(d).unwrap())
        .unwrap();
    for tag in ["A-CNT", "B-CNT", "B-MISSING"] {
        conn.insert_sensor(&NewSensor::new(SensorDraft::new(s.id, tag, SensorType::Load)).unwrap())
            .unwrap();
    }
    // Device a goes away and comes back on the same port, held reserved meanwhile.
    let a_port = reserve_port();
    let a = start_sim_on(&a_port, counter_spec());
    let b = start_sim(counter_spec());
    let config = ScadaConfig::from_toml(&format!(
        r#"
[batch]
max_readings = 50
max_delay_ms = 200

[[device]]
name = "rtu-a"
address = "{}"
poll_interval_ms = 100
timeout_ms = 300
failures_before_alert = 3
[[device.point]]
tag = "A-CNT"
register = "holding"
address = 0
type = "u16"

[[device]]
name = "rtu-b"
address = "{}"
poll_interval_ms = 100
timeout_ms = 300
[[device.point]]
tag = "B-CNT"
register = "holding"
address = 0
type = "u16"
[[device.point]]
tag = "B-MISSING"
register = "holding"
address = 500
type = "u16"
"#,
        a.addr, b.addr
    ))
    .unwrap();
    let spool = std::env::temp_dir().join(format!("gs-poller-{}", db.name()));
    let opts = common::options(db.url(), &spool);
    let poller = common::Poller::start(config, opts);

    tokio::time::sleep(Duration::from_millis(1500)).await;
    drop(a); // the device goes away
    let outage_start = Utc::now();
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let outage_end = Utc::now();
    let a = start_sim_on(&a_port, counter_spec()); // and comes back where it was
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let counters = poller.stop().await;
    // Read-only: neither device ever saw a write request.
    for sim in [&a, &b] {
        assert!(!sim.writes.exists() || std::fs::read_to_string(&sim.writes).unwrap().is_empty());
    }
    drop((a, b));

    // One alert for the outage, resolved when the device answered again.
    let alerts: Vec<Alert> = conn
        .alerts_raised_between(outage_start - chrono::Duration::seconds(5), Utc::now())
        .unwrap()
        .into_iter()
        .filter(|a| a.alert_type == AlertKind::DeviceCommunication)
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].status, AlertStatus::Resolved);
    assert_eq!(alerts[0].metadata["device"], "rtu-a");
    assert!(alerts[0].created_at >= outage_start && alerts[0].created_at < outage_end);
    assert!(alerts[0].resolved_at.unwrap() > outage_end);

    // B's register 500 does not exist: the device answers with an exception every poll, and
    // that point never yields a reading (while B's other point is polled as usual).
    assert!(series(conn, "B-MISSING").is_empty());

    // B kept its schedule through A's outage: no gap longer than a few intervals.
    let b_series = series(conn, "B-CNT");
    assert!(b_series.len() > 40, "{}", b_series.len());
    // (A's outage lasted 2 s; a bound of 1 s leaves room for a loaded machine.)
    let worst = b_series.windows(2).map(|w| w[1].0 - w[0].0).max().unwrap();
    assert!(
        worst < chrono::Duration::milliseconds(1000),
        "B waited {worst}"
    );
    // Every counter value B served was stored once (the counter moves on each read).
    let values: Vec<i64> = b_series.iter().map(|(_, v)| *v as i64).collect();
    let first = values[0];
    assert_eq!(
        values,
        (first..first + values.len() as i64).collect::<Vec<_>>()
    );
    assert!(
        counters
            .polls_failed
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 3
    );
    let _ = std::fs::remove_dir_all(spool);
}

#[test]
fn devices_can_come_from_the_sensors_in_the_store() {
    use grid_scada::store_devices::devices_from_store;
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let d = SubstationDraft::new(
        "Thika Substation",
        "SC-THI",
        GridZone::Central,
        (-1.0, 37.0),
        66,
        90.0,
    );
    let s = conn
        .insert_substation(&NewSubstation::new(d).unwrap())
        .unwrap();
    let add = |conn: &mut PgConnection,
               tag: &str,
               ip: Option<&str>,
               meta: serde_json::Value,
               rate: f64| {
        let mut d = SensorDraft::new(s.id, tag, SensorType::Voltage);
        d.protocol = Some("Modbus TCP".into());
        d.ip_address = ip.map(|i| i.parse().unwrap());
        d.port = ip.map(|_| 502);
        d.metadata = meta;
        d.sampling_rate_hz = rate;
        conn.insert_sensor(&NewSensor::new(d).unwrap()).unwrap();
    };
    let point = |a: u16| {
        SensorMetadata {
            modbus: Some(serde_json::json!({"register": "holding", "address": a, "type": "f32", "word_order": "CDAB"})),
            ..Default::default()
        }
        .to_json()
    };
    add(conn, "T-V1", Some("10.1.0.5"), point(0), 1.0);
    add(conn, "T-V2", Some("10.1.0.5"), point(2), 2.0);
    add(conn, "T-V3", Some("10.1.0.6"), point(0), 1.0);
    add(
        conn,
        "T-NOMAP",
        Some("10.1.0.6"),
        serde_json::json!({}),
        1.0,
    );
    add(conn, "T-NOIP", None, point(4), 1.0);
    let (devices, skipped) = devices_from_store(conn).unwrap();
    assert_eq!(devices.len(), 2);
    assert_eq!(devices[0].address, "10.1.0.5:502");
    assert_eq!(
        devices[0]
            .points
            .iter()
            .map(|p| p.tag.as_str())
            .collect::<Vec<_>>(),
        ["T-V1", "T-V2"]
    );
    assert_eq!(
        (devices[0].poll_interval_ms, devices[0].word_order),
        (500, grid_scada::WordOrder::CDAB)
    );
    let tags: Vec<&str> = skipped.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(tags, ["T-NOIP", "T-NOMAP"]);
    ScadaConfig {
        batch: Default::default(),
        devices,
    }
    .validate()
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_left_open_by_an_earlier_run_is_resolved_when_the_device_answers() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let d = SubstationDraft::new(
        "Musaga Substation",
        "SC-MUS",
        GridZone::Western,
        (0.57, 34.6),
        132,
        90.0,
    );
    let s = conn
        .insert_substation(&NewSubstation::new(d).unwrap())
        .unwrap();
    conn.insert_sensor(&NewSensor::new(SensorDraft::new(s.id, "M-CNT", SensorType::Load)).unwrap())
        .unwrap();
    // As if a poller had raised it and then crashed.
    let mut a = AlertDraft::new(
        AlertKind::DeviceCommunication,
        AlertSeverity::Warning,
        "No answer from SCADA device rtu-m",
    );
    a.substation_id = Some(s.id);
    a.metadata = serde_json::json!({"device": "rtu-m"});
    a.raised_at = Utc::now() - chrono::Duration::minutes(10);
    let stale = conn.raise_alert(&NewAlert::new(a).unwrap()).unwrap();

    let sim = start_sim(counter_spec());
    let config = ScadaConfig::from_toml(&format!(
        "[[device]]\nname = \"rtu-m\"\naddress = \"{}\"\npoll_interval_ms = 100\n[[device.point]]\ntag = \"M-CNT\"\nregister = \"holding\"\naddress = 0\ntype = \"u16\"\n",
        sim.addr
    ))
    .unwrap();
    let spool = std::env::temp_dir().join(format!("gs-poller-{}", db.name()));
    let opts = common::options(db.url(), &spool);
    let poller = common::Poller::start(config, opts);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    poller.stop().await;
    let after = conn.alert(stale.id).unwrap();
    assert_eq!(after.status, AlertStatus::Resolved);
    assert_eq!(after.resolved_by.as_deref(), Some("scada-poller"));
    let _ = std::fs::remove_dir_all(spool);
}

/// With the anomaly engine in the path, every reading is stored with its score (0 while the
/// engine learns), and the engine's state is checkpointed with the batches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_anomaly_detection_every_stored_reading_carries_its_score() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let s = grid_testkit::substation(conn, "SC-ANM", GridZone::Nakuru, 132);
    let sensor = grid_testkit::sensor(conn, &s, "C-CNT", SensorType::Load);
    let c = start_sim(counter_spec());
    let config = ScadaConfig::from_toml(&format!(
        r#"
[batch]
max_readings = 10
max_delay_ms = 200

[[device]]
name = "rtu-c"
address = "{}"
poll_interval_ms = 100
timeout_ms = 300
[[device.point]]
tag = "C-CNT"
register = "holding"
address = 0
type = "u16"
"#,
        c.addr
    ))
    .unwrap();
    let spool = std::env::temp_dir().join(format!("gs-poller-{}", db.name()));
    let opts = PollerOptions {
        anomaly_detection: Some(grid_detect::AlertPolicy::default()),
        alarms: None,
        ..common::options(db.url(), &spool)
    };
    let poller = common::Poller::start(config, opts);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    poller.stop().await;
    drop(c);

    let stored = series(conn, "C-CNT");
    assert!(stored.len() > 10, "{}", stored.len());
    use grid_store::schema::sensor_readings as r;
    let scores: Vec<Option<f64>> = r::table
        .filter(r::sensor_id.eq(sensor.id))
        .select(r::anomaly_score)
        .load(conn)
        .unwrap();
    assert_eq!(scores.len(), stored.len());
    // Learning: every score is there, and 0.
    assert!(scores.iter().all(|s| *s == Some(0.0)), "{scores:?}");
    let states = grid_store::anomaly_states::sensor_states(conn, &[sensor.id]).unwrap();
    assert_eq!(states.len(), 1);
    assert!(states[0].last_reading_at >= stored[0].0);
    assert!(states[0].last_reading_at <= stored.last().unwrap().0);
    let _ = std::fs::remove_dir_all(spool);
}

/// A device replaced or reconfigured behind the poller's back: its identification (read at
/// each connect) changes, and a read it answered is refused. Both are security events; the
/// changed identity is critical and raises an alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_device_identity_and_a_refused_read_are_security_events() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let d = SubstationDraft::new(
        "Kisii Substation",
        "SC-KSI",
        GridZone::Western,
        (-0.7, 34.8),
        132,
        90.0,
    );
    let s = conn
        .insert_substation(&NewSubstation::new(d).unwrap())
        .unwrap();
    conn.insert_sensor(
        &NewSensor::new(SensorDraft::new(s.id, "K-PAIR", SensorType::Load)).unwrap(),
    )
    .unwrap();
    let spec = |revision: &str, registers: serde_json::Value| {
        serde_json::json!({
            "unit": 1,
            "holding": {"0": registers},
            "identity": {"vendor": "Acme", "product": "RTU-9", "revision": revision},
        })
    };
    let port = reserve_port();
    let first = start_sim_on(&port, spec("1.0", serde_json::json!([1, 2])));
    let config = ScadaConfig::from_toml(&format!(
        r#"
[[device]]
name = "rtu-k"
address = "{}"
poll_interval_ms = 100
timeout_ms = 300
[[device.point]]
tag = "K-PAIR"
register = "holding"
address = 0
type = "u32"
"#,
        first.addr
    ))
    .unwrap();
    let spool = std::env::temp_dir().join(format!("gs-poller-id-{}", db.name()));
    let opts = common::options(db.url(), &spool);
    let poller = common::Poller::start(config, opts);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    drop(first);
    // Another device where it was: new firmware, and one register fewer.
    let second = start_sim_on(&port, spec("6.6", serde_json::json!([1])));
    tokio::time::sleep(Duration::from_millis(2000)).await;
    poller.stop().await;
    drop(second);

    let events = grid_store::security::by_source(
        conn,
        "127.0.0.1".parse().unwrap(),
        Utc::now() - chrono::Duration::hours(1),
        Utc::now() + chrono::Duration::hours(1),
    )
    .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        kinds,
        ["device_identity_changed", "tampering_exception"],
        "{events:#?}"
    );
    assert_eq!(
        events[0].command_attempted.as_deref(),
        Some("FC43/14 identification was \"Acme / RTU-9 / 1.0\", now \"Acme / RTU-9 / 6.6\"")
    );
    assert_eq!(events[0].detected_by.as_deref(), Some("grid-scada-poller"));
    assert!(events[1].occurrences >= 1);
    let alerts = grid_store::alerts::open(conn).unwrap();
    assert_eq!(
        alerts
            .iter()
            .filter(|a| a.alert_type == AlertKind::SecurityEvent)
            .count(),
        1
    );
    let _ = std::fs::remove_dir_all(spool);
}

/// A device answering for another unit id than the one asked: the reply is discarded and a
/// critical security event recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_from_another_unit_is_a_security_event() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let d = SubstationDraft::new(
        "Homa Bay Substation",
        "SC-HMB",
        GridZone::Western,
        (-0.5, 34.4),
        132,
        90.0,
    );
    let s = conn
        .insert_substation(&NewSubstation::new(d).unwrap())
        .unwrap();
    conn.insert_sensor(&NewSensor::new(SensorDraft::new(s.id, "H-1", SensorType::Load)).unwrap())
        .unwrap();
    // A device that answers every request as unit 9 (a read of one register: 42).
    let device = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = device.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = device.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 7];
                while s.read_exact(&mut head).await.is_ok() {
                    let len = usize::from(u16::from_be_bytes([head[4], head[5]]));
                    let mut pdu = vec![0u8; len.saturating_sub(1)];
                    if s.read_exact(&mut pdu).await.is_err() {
                        return;
                    }
                    // Reads answered with 42; anything else (the identification at
                    // connect) with exception 01 — all as unit 9.
                    let reply = if pdu[0] == 3 {
                        vec![head[0], head[1], 0, 0, 0, 5, 9, 3, 2, 0, 42]
                    } else {
                        vec![head[0], head[1], 0, 0, 0, 3, 9, pdu[0] | 0x80, 1]
                    };
                    if s.write_all(&reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let config = ScadaConfig::from_toml(&format!(
        r#"
[[device]]
name = "rtu-h"
address = "{addr}"
poll_interval_ms = 100
timeout_ms = 300
[[device.point]]
tag = "H-1"
register = "holding"
address = 0
type = "u16"
"#
    ))
    .unwrap();
    let spool = std::env::temp_dir().join(format!("gs-poller-unit-{}", db.name()));
    let opts = common::options(db.url(), &spool);
    let poller = common::Poller::start(config, opts);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    poller.stop().await;
    assert!(
        series(conn, "H-1").is_empty(),
        "no reading from a reply for another unit"
    );
    let events = grid_store::security::by_source(
        conn,
        "127.0.0.1".parse().unwrap(),
        Utc::now() - chrono::Duration::hours(1),
        Utc::now() + chrono::Duration::hours(1),
    )
    .unwrap();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0].event_type, "unexpected_unit_reply");
    assert!(events[0].occurrences >= 1);
    assert!(
        events[0]
            .command_attempted
            .as_deref()
            .unwrap()
            .starts_with("a read of unit 1 answered by unit 9"),
        "{events:#?}"
    );
    let _ = std::fs::remove_dir_all(spool);
}
