//! The guard between real peers: the pymodbus device (which logs every request it receives)
//! and pymodbus clients from several loopback addresses; security events in a real database.

use std::net::SocketAddr;
use std::sync::Arc;

use grid_model::{AlertKind, SecurityEvent};
use grid_scada::security::{self as events, EventCounters};
use grid_scada_guard::policy::GuardPolicy;
use grid_scada_guard::proxy::{self, GuardCounters, Running};
use grid_testdb::TestDb;
use grid_testkit::MIGRATED;
use grid_testkit::modbus::{Outcome, Sim, run_client_from, start_sim};
use serde_json::json;

fn device() -> Sim {
    start_sim(json!({
        "unit": 1,
        "holding": {"0": [10, 11, 12, 13, 14, 15, 16, 17, 18, 19], "100": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]},
    }))
}

fn policy(upstream: SocketAddr) -> GuardPolicy {
    GuardPolicy::from_toml(&format!(
        r#"
[[device]]
name = "rtu-test"
listen = "127.0.0.1:0"
upstream = "{upstream}"

[[device.client]]
name = "poller"
addresses = ["127.0.0.1"]
functions = [3]
read = [{{ table = "holding", from = 0, to = 9 }}]

[[device.client]]
name = "eng"
addresses = ["127.0.0.2"]
functions = [3, 6, 16]
read = [{{ table = "holding", from = 0, to = 9 }}, {{ table = "holding", from = 100, to = 109 }}]
write = [{{ table = "holding", from = 100, to = 104, min = 0, max = 1000 }}]
"#
    ))
    .unwrap()
}

struct Guard {
    running: Running,
    writer: std::thread::JoinHandle<()>,
    counters: Arc<GuardCounters>,
    addr: SocketAddr,
}

async fn start_guard(db: &TestDb, sim: &Sim, spool: &std::path::Path) -> Guard {
    let counters = Arc::new(GuardCounters::default());
    let (sink, writer) = events::start(
        db.url(),
        Default::default(),
        spool.to_owned(),
        events::Folding::default(),
        Arc::new(EventCounters::default()),
    )
    .unwrap();
    let running = proxy::start(policy(sim.addr), sink, counters.clone())
        .await
        .unwrap();
    let addr = running.addr("rtu-test").unwrap();
    Guard {
        running,
        writer,
        counters,
        addr,
    }
}

impl Guard {
    /// Stops the guard and waits until every event is written.
    async fn stop(self) -> Arc<GuardCounters> {
        self.running.stop().await;
        tokio::task::spawn_blocking(move || self.writer.join().unwrap())
            .await
            .unwrap();
        self.counters
    }
}

fn client(source: &str, addr: SocketAddr, ops: serde_json::Value) -> Vec<Outcome> {
    run_client_from(Some(source), addr, &ops)
}

fn events_of(db: &TestDb) -> Vec<SecurityEvent> {
    let conn = &mut db.conn();
    grid_store::security::by_source(
        conn,
        "127.0.0.0/8".parse().unwrap(),
        chrono::Utc::now() - chrono::Duration::hours(1),
        chrono::Utc::now() + chrono::Duration::hours(1),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_requests_pass_and_forbidden_ones_never_reach_the_device() {
    let db = TestDb::new(&MIGRATED);
    let sim = device();
    let spool = std::env::temp_dir().join(format!("gs-guard-{}-a", std::process::id()));
    let _ = std::fs::remove_dir_all(&spool);
    let guard = start_guard(&db, &sim, &spool).await;
    let addr = guard.addr;
    let (poller, eng) = tokio::task::spawn_blocking(move || {
        let poller = client(
            "127.0.0.1",
            addr,
            json!([
                {"op": "read_holding", "address": 0, "count": 5},
                {"op": "write_register", "address": 100, "value": 1},
                {"op": "diagnostic", "sub": 1},
                {"op": "device_id"},
                {"op": "read_holding", "address": 50, "count": 1},
                {"op": "raw", "pdu": [21, 0]},
            ]),
        );
        let eng = client(
            "127.0.0.2",
            addr,
            json!([
                {"op": "write_register", "address": 100, "value": 500},
                {"op": "write_register", "address": 100, "value": 5000},
                {"op": "write_register", "address": 105, "value": 1},
                {"op": "write_register", "unit": 0, "address": 100, "value": 1},
                {"op": "read_holding", "address": 100, "count": 1},
            ]),
        );
        (poller, eng)
    })
    .await
    .unwrap();
    let stranger = tokio::task::spawn_blocking(move || {
        client(
            "127.0.0.3",
            addr,
            json!([{"op": "read_holding", "address": 0, "count": 1}]),
        )
    })
    .await
    .unwrap();
    assert_eq!(
        poller,
        [
            Outcome::Values(vec![10, 11, 12, 13, 14]),
            Outcome::Exception(1),
            Outcome::Exception(1),
            Outcome::Exception(1),
            Outcome::Exception(2),
            Outcome::Exception(1),
        ]
    );
    assert_eq!(
        eng,
        [
            Outcome::Written,
            Outcome::Exception(3),
            Outcome::Exception(2),
            Outcome::Exception(1),
            Outcome::Values(vec![500]),
        ]
    );
    assert!(matches!(stranger[0], Outcome::Error(_)), "{stranger:?}");
    let counters = guard.stop().await;

    // The device saw only what the policy allows: the poller's read, the engineer's write
    // and read.
    assert_eq!(sim.received(), [(3, 1, 0), (6, 1, 100), (3, 1, 100)]);
    assert_eq!(
        std::fs::read_to_string(&sim.writes)
            .unwrap()
            .lines()
            .count(),
        1
    );
    // One row per refusal (and the stranger), with its fields.
    let events = events_of(&db);
    let kinds: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "broadcast_write",
            "device_identification_request",
            "diagnostic_request",
            "forbidden_address",
            "forbidden_function",
            "unknown_client",
            "write_outside_policy",
            "write_outside_policy",
            "write_outside_policy",
        ],
        "{events:#?}"
    );
    assert!(events.iter().all(|e| e.occurrences == 1 && e.is_blocked));
    let diag = events
        .iter()
        .find(|e| e.event_type == "diagnostic_request")
        .unwrap();
    assert_eq!(
        diag.command_attempted.as_deref(),
        Some("FC08 diagnostics sub-function 1 (restart communications), unit 1")
    );
    assert_eq!(diag.source_ip, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(diag.target_system.as_deref(), Some("rtu-test"));
    assert_eq!(diag.access_level_required.as_deref(), Some("diagnostic"));
    assert_eq!(diag.detected_by.as_deref(), Some("grid-scada-guard"));
    assert_eq!(
        diag.response_action.as_deref(),
        Some("refused with exception 01, never forwarded")
    );
    let value = events
        .iter()
        .find(|e| e.command_attempted.as_deref() == Some("FC06 write holding 40101 = 5000, unit 1"))
        .expect("the out-of-range write, in words");
    assert_eq!(value.severity, grid_model::AlertSeverity::Critical);
    // One alert per critical row: three writes, the diagnostics, the broadcast.
    let conn = &mut db.conn();
    let alerts = grid_store::alerts::open(conn).unwrap();
    let security: Vec<_> = alerts
        .iter()
        .filter(|a| a.alert_type == AlertKind::SecurityEvent)
        .collect();
    assert_eq!(security.len(), 5, "{security:#?}");
    assert_eq!(
        counters
            .forwarded
            .load(std::sync::atomic::Ordering::Relaxed),
        3
    );
    let _ = std::fs::remove_dir_all(spool);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_of_50_unit_ids_is_one_row_and_other_clients_are_served_throughout() {
    let db = TestDb::new(&MIGRATED);
    let sim = device();
    let spool = std::env::temp_dir().join(format!("gs-guard-{}-b", std::process::id()));
    let _ = std::fs::remove_dir_all(&spool);
    let guard = start_guard(&db, &sim, &spool).await;
    let addr = guard.addr;
    // The engineering workstation reads all along, on its own connection.
    let reader = tokio::task::spawn_blocking(move || {
        let ops: Vec<_> = (0..40)
            .map(|_| json!({"op": "read_holding", "address": 0, "count": 2}))
            .collect();
        client("127.0.0.2", addr, json!(ops))
    });
    let scan = tokio::task::spawn_blocking(move || {
        let ops: Vec<_> = (1..=50)
            .map(|u| json!({"op": "read_holding", "unit": u, "address": 0, "count": 1}))
            .collect();
        client("127.0.0.1", addr, json!(ops))
    });
    let (reads, scan) = (reader.await.unwrap(), scan.await.unwrap());
    assert!(
        reads.iter().all(|r| *r == Outcome::Values(vec![10, 11])),
        "{reads:?}"
    );
    assert_eq!(scan[0], Outcome::Values(vec![10]), "unit 1 is served");
    assert!(
        scan[1..].iter().all(|r| *r == Outcome::Exception(0x0A)),
        "{scan:?}"
    );
    guard.stop().await;
    let events = events_of(&db);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(
        (events[0].event_type.as_str(), events[0].occurrences),
        ("scan", 50)
    );
    // Only unit 1 ever reached the device.
    assert!(sim.received().iter().all(|(_, unit, _)| *unit == 1));
    let _ = std::fs::remove_dir_all(spool);
}

/// One raw exchange from `source`: writes each frame (a PDU under an MBAP header, or raw
/// bytes) and reads what comes back until the guard answers or closes.
fn raw_from(source: &str, addr: SocketAddr, frames: &[Vec<u8>]) -> Vec<Vec<u8>> {
    use std::io::{Read, Write};
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let from: SocketAddr = format!("{source}:0").parse().unwrap();
    socket.bind(&from.into()).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut s: std::net::TcpStream = socket.into();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut replies = Vec::new();
    for f in frames {
        s.write_all(f).unwrap();
        let mut head = [0u8; 7];
        if s.read_exact(&mut head).is_err() {
            replies.push(Vec::new());
            break;
        }
        let len = usize::from(u16::from_be_bytes([head[4], head[5]])) - 1;
        let mut pdu = vec![0u8; len];
        s.read_exact(&mut pdu).unwrap();
        replies.push(pdu);
    }
    replies
}

fn mbap(pdu: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 1, 0, 0, 0, (pdu.len() + 1) as u8, 1];
    f.extend_from_slice(pdu);
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_malformed_frame_and_diagnostic_is_its_own_row() {
    let db = TestDb::new(&MIGRATED);
    let sim = device();
    let spool = std::env::temp_dir().join(format!("gs-guard-{}-c", std::process::id()));
    let _ = std::fs::remove_dir_all(&spool);
    let guard = start_guard(&db, &sim, &spool).await;
    let addr = guard.addr;
    let replies = tokio::task::spawn_blocking(move || {
        // Malformed requests of well-framed PDUs: answered 03, the connection kept.
        let pdus: Vec<Vec<u8>> = vec![
            vec![1, 0, 0, 0],                          // FC01 wrong length
            vec![1, 0, 0, 0, 0],                       // FC01 quantity 0
            vec![1, 0xFF, 0xFF, 0, 2],                 // FC01 past 65535
            vec![3, 0, 0],                             // FC03 wrong length
            vec![3, 0, 0, 0, 126],                     // FC03 quantity over 125
            vec![3, 0xFF, 0xFF, 0, 2],                 // FC03 past 65535
            vec![3, 0xFF, 0xFF, 0, 2],                 // the same again: a repeat
            vec![5, 0, 1, 0x12, 0x34],                 // FC05 coil value
            vec![5, 0, 1],                             // FC05 wrong length
            vec![16, 0, 0, 0, 2, 3, 0, 1, 0],          // FC16 byte count
            vec![16, 0xFF, 0xFF, 0, 2, 4, 0, 1, 0, 2], // FC16 past 65535
            vec![23, 0, 0, 0, 1, 0, 0, 0, 1, 3, 0, 0], // FC23 byte count
            // Diagnostics the engineer may not send, three sub-functions.
            vec![8, 0, 0, 0, 0],
            vec![8, 0, 4, 0, 0],
            vec![8, 0, 10, 0, 0],
        ];
        let frames: Vec<Vec<u8>> = pdus.iter().map(|p| mbap(p)).collect();
        let mut replies = raw_from("127.0.0.2", addr, &frames);
        // Frames that are not Modbus TCP: the connection closed, one each.
        for bad in [
            vec![0, 1, 0, 5, 0, 6, 1, 3, 0, 0, 0, 1], // protocol id 5
            vec![0, 1, 0, 0, 0, 1, 1],                // length too short
            vec![0, 1, 0, 0, 0, 255, 1],              // PDU over 253 bytes
        ] {
            replies.extend(raw_from("127.0.0.2", addr, &[bad]));
        }
        replies
    })
    .await
    .unwrap();
    let exceptions: Vec<(u8, u8)> = replies
        .iter()
        .filter(|r| r.len() == 2)
        .map(|r| (r[0], r[1]))
        .collect();
    assert_eq!(exceptions.len(), 15, "{replies:?}");
    assert!(
        exceptions[..12]
            .iter()
            .all(|(f, e)| f & 0x80 != 0 && *e == 3)
    );
    assert!(exceptions[12..].iter().all(|(f, e)| *f == 0x88 && *e == 1));
    assert!(
        replies[15..].iter().all(Vec::is_empty),
        "closed: {replies:?}"
    );
    guard.stop().await;

    let events: Vec<SecurityEvent> = events_of(&db)
        .into_iter()
        .filter(|e| e.source_ip == Some("127.0.0.2".parse().unwrap()))
        .collect();
    let frames: Vec<&SecurityEvent> = events
        .iter()
        .filter(|e| matches!(e.event_type.as_str(), "malformed_frame" | "oversized_frame"))
        .collect();
    let texts: std::collections::BTreeSet<&str> = frames
        .iter()
        .map(|e| e.command_attempted.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(frames.len(), 14, "{frames:#?}");
    assert_eq!(texts.len(), 14, "each row says what it was: {texts:#?}");
    let repeated: Vec<i32> = frames.iter().map(|e| e.occurrences).collect();
    assert_eq!(repeated.iter().sum::<i32>(), 15, "{repeated:?}");
    assert!(texts.contains("function 3: range past address 65535"));
    let diagnostics: std::collections::BTreeSet<&str> = events
        .iter()
        .filter(|e| e.event_type == "diagnostic_request")
        .map(|e| e.command_attempted.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(diagnostics.len(), 3, "{diagnostics:#?}");
    assert!(
        diagnostics
            .iter()
            .any(|c| c.contains("sub-function 4 (force listen-only mode)")),
        "{diagnostics:#?}"
    );
    let _ = std::fs::remove_dir_all(spool);
}
