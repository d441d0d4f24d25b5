//! The poller as the poller role (grid-access): readings, a device's communication alert and
//! a security event all written by a login that holds nothing but that role.

mod common;
use grid_testkit::modbus as sim;

use std::time::Duration;

use chrono::Utc;
use grid_access::{Role, RoleNames};
use grid_model::*;
use grid_scada::ScadaConfig;
use grid_store::{AlertRepository, SensorRepository, SubstationRepository};
use grid_testdb::TestDb;
use grid_testdb::inspect::count;
use grid_testkit::READY;

/// A device that answers every request as unit 9.
async fn wrong_unit_device() -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
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
                    let reply = vec![head[0], head[1], 0, 0, 0, 3, 9, pdu[0] | 0x80, 1];
                    if s.write_all(&reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poller_runs_as_the_poller_role() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    grid_access::apply(conn, &RoleNames::default()).unwrap();
    let d = SubstationDraft::new(
        "Kitale Substation",
        "SC-KTL",
        GridZone::Eldoret,
        (1.0, 35.0),
        132,
        90.0,
    );
    let s = conn
        .insert_substation(&NewSubstation::new(d).unwrap())
        .unwrap();
    for tag in ["K-CNT", "K-GONE", "K-UNIT"] {
        conn.insert_sensor(&NewSensor::new(SensorDraft::new(s.id, tag, SensorType::Load)).unwrap())
            .unwrap();
    }
    let spec = serde_json::json!({"unit": 1, "holding": {"0": [0]}, "counters": [0]});
    let live = sim::start_sim(spec.clone());
    let gone = sim::start_sim(spec); // goes away after a second
    let unit9 = wrong_unit_device().await;
    let config = ScadaConfig::from_toml(&format!(
        r#"
[batch]
max_readings = 20
max_delay_ms = 200

[[device]]
name = "rtu-live"
address = "{}"
poll_interval_ms = 100
timeout_ms = 300
[[device.point]]
tag = "K-CNT"
register = "holding"
address = 0
type = "u16"

[[device]]
name = "rtu-gone"
address = "{}"
poll_interval_ms = 100
timeout_ms = 200
failures_before_alert = 2
[[device.point]]
tag = "K-GONE"
register = "holding"
address = 0
type = "u16"

[[device]]
name = "rtu-unit9"
address = "{unit9}"
poll_interval_ms = 100
timeout_ms = 300
[[device.point]]
tag = "K-UNIT"
register = "holding"
address = 0
type = "u16"
"#,
        live.addr, gone.addr
    ))
    .unwrap();
    let poller_login = db.login(&[RoleNames::default().of(Role::Poller)]);
    let spool = std::env::temp_dir().join(format!("gs-poller-role-{}", db.name()));
    let opts = common::options(poller_login.url(), &spool);
    let started = Utc::now();
    let poller = common::Poller::start(config, opts);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    drop(gone);
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let counters = poller.stop().await;

    assert!(
        count(conn, "SELECT count(*) AS n FROM sensor_readings") > 10,
        "readings stored by the poller role"
    );
    let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(
        load(&counters.batches_spooled),
        0,
        "nothing refused and spooled"
    );
    assert_eq!(load(&counters.readings_refused), 0);
    assert_eq!(
        load(&counters.readings_stored) as i64,
        count(conn, "SELECT count(*) AS n FROM sensor_readings")
    );
    let alerts: Vec<Alert> = conn
        .alerts_raised_between(started - chrono::Duration::seconds(5), Utc::now())
        .unwrap()
        .into_iter()
        .filter(|a| a.alert_type == AlertKind::DeviceCommunication)
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].metadata["device"], "rtu-gone");
    // Its security event, recorded under its own name.
    assert_eq!(
        count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM cyber_security_events
                  WHERE event_type = 'unexpected_unit_reply' AND recorded_by = '{}'",
                poller_login.name
            )
        ),
        1
    );
    drop(live);
    let _ = std::fs::remove_dir_all(spool);
}
