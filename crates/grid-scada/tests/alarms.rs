//! Limit alarms in the SCADA path: a pymodbus device's 132 kV bus sags to 0.83 pu while the
//! poller stores its readings; one LoLo alarm is raised, the poller is restarted in the
//! middle of it, and the alarm is neither raised again nor lost: it clears once when the bus
//! comes back.

mod common;

use std::time::{Duration, Instant};

use chrono::Duration as Span;
use diesel::prelude::*;
use grid_alarms_store::AlarmSettings;
use grid_model::{Alert, AlertStatus, GridZone, SensorType};
use grid_scada::ScadaConfig;
use grid_store::AlertRepository;
use grid_testdb::TestDb;
use grid_testkit::modbus::{run_client, start_sim};
use grid_testkit::{READY, sensor, substation};

/// The two registers of an f32 in ABCD order.
fn f32_words(v: f32) -> [u16; 2] {
    let b = v.to_bits();
    [(b >> 16) as u16, b as u16]
}

fn alerts(db: &TestDb, sensor_id: uuid::Uuid) -> Vec<Alert> {
    let conn = &mut db.conn();
    conn.alerts_raised_between(
        chrono::Utc::now() - Span::days(1),
        chrono::Utc::now() + Span::days(1),
    )
    .unwrap()
    .into_iter()
    .filter(|a| a.sensor_id == Some(sensor_id))
    .collect()
}

fn stored(db: &TestDb, sensor_id: uuid::Uuid) -> i64 {
    use grid_store::schema::sensor_readings::dsl as r;
    r::sensor_readings
        .filter(r::sensor_id.eq(sensor_id))
        .count()
        .get_result(&mut db.conn())
        .unwrap()
}

/// Waits for `done` (an event in the database), with a failsafe far beyond what it takes.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "never: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sag_through_the_poller_is_one_alarm_across_a_restart() {
    let db = TestDb::new(&READY);
    let v = {
        let conn = &mut db.conn();
        let s = substation(conn, "SC-BUS", GridZone::Nakuru, 132);
        sensor(conn, &s, "SC-BUS-V", SensorType::Voltage)
    };
    let [h, l] = f32_words(132.0);
    let sim = start_sim(serde_json::json!({"unit": 1, "holding": {"0": [h, l]}}));
    let config = ScadaConfig::from_toml(&format!(
        r#"
[batch]
max_readings = 20
max_delay_ms = 100

[[device]]
name = "rtu-bus"
address = "{}"
poll_interval_ms = 100
timeout_ms = 500
[[device.point]]
tag = "SC-BUS-V"
register = "holding"
address = 0
type = "f32"
"#,
        sim.addr
    ))
    .unwrap();
    let spool = std::env::temp_dir().join(format!("gs-scada-alarms-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&spool);
    // The default policy (10 s on-delay, 60 s off-delay) takes minutes of wall time: the
    // same rule with 1 s delays.
    let mut settings = AlarmSettings::default();
    settings.threshold.voltage.on_delay = Span::seconds(1);
    settings.threshold.voltage.off_delay = Span::seconds(1);
    let mut opts = common::options(db.url(), &spool);
    opts.alarms = Some(settings);

    let first = common::Poller::start(config.clone(), opts.clone());
    until("readings stored", || stored(&db, v.id) >= 5).await;
    assert!(alerts(&db, v.id).is_empty(), "132 kV raises nothing");
    // The bus sags to 0.83 pu.
    let [h, l] = f32_words(0.83 * 132.0);
    run_client(
        sim.addr,
        &serde_json::json!([{"op": "write_registers", "address": 0, "values": [h, l]}]),
    );
    until("the alarm raised", || !alerts(&db, v.id).is_empty()).await;
    first.stop().await;

    // A new poller while the bus is still low: the alarm goes on, not raised again.
    let before = stored(&db, v.id);
    let second = common::Poller::start(config, opts);
    until("the second poller's readings", || {
        stored(&db, v.id) >= before + 20
    })
    .await;
    assert_eq!(
        alerts(&db, v.id).len(),
        1,
        "not raised again after the restart"
    );
    let [h, l] = f32_words(132.0);
    run_client(
        sim.addr,
        &serde_json::json!([{"op": "write_registers", "address": 0, "values": [h, l]}]),
    );
    until("the alarm cleared", || {
        alerts(&db, v.id)
            .first()
            .is_some_and(|a| a.status == AlertStatus::Resolved)
    })
    .await;
    second.stop().await;

    let all = alerts(&db, v.id);
    assert_eq!(all.len(), 1, "{all:#?}");
    let a = &all[0];
    assert_eq!(a.metadata["alarm"]["grades"][0]["grade"], "lolo", "{a:#?}");
    assert_eq!(
        a.metadata["alarm"]["announced"], true,
        "live readings are announced"
    );
    let history = db.conn().alert_history(a.id).unwrap();
    let steps: Vec<AlertStatus> = history.iter().map(|h| h.to_status).collect();
    assert_eq!(
        steps,
        [AlertStatus::Open, AlertStatus::Resolved],
        "cleared once"
    );
    let _ = std::fs::remove_dir_all(spool);
}
