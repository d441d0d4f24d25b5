//! Random and mutated Modbus TCP frames: a million through the parser and the judge in
//! process, and twenty thousand through the live guard to the pymodbus device. No panic, no
//! hang, and nothing forbidden ever forwarded: every request the judge forwards is one the
//! policy allows, and the device's own log holds only allowed requests.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use grid_scada::security::{self as events, EventCounters};
use grid_scada_guard::frame::{self, Frame, Request, Table};
use grid_scada_guard::judge::{Verdict, judge};
use grid_scada_guard::policy::GuardPolicy;
use grid_scada_guard::proxy::{self, GuardCounters};
use grid_testdb::TestDb;
use grid_testkit::MIGRATED;
use grid_testkit::modbus::start_sim;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn policy(upstream: SocketAddr) -> GuardPolicy {
    GuardPolicy::from_toml(&format!(
        r#"
[guard]
frame_timeout_ms = 200
time_zone = "Africa/Nairobi"
[[device]]
name = "rtu-fuzz"
listen = "127.0.0.1:0"
upstream = "{upstream}"
unit_ids = [1]
[[device.client]]
name = "poller"
addresses = ["127.0.0.1"]
functions = [3, 6]
read = [{{ table = "holding", from = 0, to = 9 }}]
write = [{{ table = "holding", from = 5, to = 6, min = 10, max = 20, window = "00:00-23:59" }}]
"#
    ))
    .unwrap()
}

/// A valid request of a random allowed or forbidden kind.
fn valid_frame(rng: &mut ChaCha8Rng) -> Frame {
    let unit = if rng.random_bool(0.8) {
        1
    } else {
        rng.random()
    };
    let address: u16 = if rng.random_bool(0.7) {
        rng.random_range(0..12)
    } else {
        rng.random()
    };
    let pdu = match rng.random_range(0..8) {
        0..=2 => {
            let mut p = vec![3];
            p.extend(address.to_be_bytes());
            p.extend(rng.random_range(1u16..4).to_be_bytes());
            p
        }
        3 => {
            let mut p = vec![6];
            p.extend(address.to_be_bytes());
            p.extend(rng.random_range(0u16..30).to_be_bytes());
            p
        }
        4 => vec![8, 0, rng.random_range(0..5), 0, 0],
        5 => vec![43, 14, 1, 0],
        6 => {
            let n: u16 = rng.random_range(1..4);
            let mut p = vec![16];
            p.extend(address.to_be_bytes());
            p.extend(n.to_be_bytes());
            p.push((n * 2) as u8);
            for _ in 0..n {
                p.extend(rng.random_range(0u16..30).to_be_bytes());
            }
            p
        }
        _ => {
            let mut p = vec![rng.random()];
            let n = rng.random_range(0..10);
            p.extend((0..n).map(|_| rng.random::<u8>()));
            p
        }
    };
    Frame {
        tid: rng.random(),
        unit,
        pdu,
    }
}

/// A frame's bytes, mutated or not, or plain noise.
fn fuzz_bytes(rng: &mut ChaCha8Rng) -> Vec<u8> {
    match rng.random_range(0..10) {
        0 => {
            let n = rng.random_range(0..300);
            let mut b = vec![0; n];
            rng.fill_bytes(&mut b);
            b
        }
        1..=3 => valid_frame(rng).encode(),
        _ => {
            let mut b = valid_frame(rng).encode();
            for _ in 0..rng.random_range(1..4) {
                if b.is_empty() {
                    break;
                }
                let i = rng.random_range(0..b.len());
                match rng.random_range(0..4) {
                    0 => b[i] ^= 1 << rng.random_range(0..8),
                    1 => b[i] = rng.random(),
                    2 => b.truncate(i),
                    _ => b.insert(i, rng.random()),
                }
            }
            b
        }
    }
}

/// Whether the policy allows `request` for unit `unit` (written independently of the judge).
fn allowed(unit: u8, request: &Request) -> bool {
    if unit != 1 {
        return false;
    }
    match request {
        Request::Read {
            function: 3,
            table: Table::Holding,
            start,
            count,
        } => u32::from(*start) + u32::from(*count) <= 10,
        Request::Write {
            function: 6,
            table: Table::Holding,
            start,
            values,
        } => (5..=6).contains(start) && (10..=20).contains(&values[0]),
        _ => false,
    }
}

#[test]
fn a_million_frames_through_the_parser_and_the_judge() {
    let p = policy("127.0.0.1:502".parse().unwrap());
    let device = &p.devices[0];
    let client = &device.clients[0];
    let now = Utc.with_ymd_and_hms(2026, 3, 10, 9, 0, 0).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(20261130);
    let (mut frames, mut forwarded) = (0u64, 0u64);
    for _ in 0..1_000_000 {
        let bytes = fuzz_bytes(&mut rng);
        let mut rest = &bytes[..];
        // Every frame the bytes hold, as a connection would read them.
        while let Ok(Some((f, used))) = frame::parse(rest) {
            rest = &rest[used..];
            frames += 1;
            assert!(f.pdu.len() <= frame::MAX_PDU);
            let Ok(request) = frame::decode(&f.pdu) else {
                continue;
            };
            let _ = request.describe(f.unit);
            if judge(device, client, f.unit, &request, now, p.zone()) == Verdict::Forward {
                forwarded += 1;
                assert!(
                    allowed(f.unit, &request),
                    "forwarded: {request:?} unit {}",
                    f.unit
                );
            }
        }
    }
    assert!(
        frames > 300_000 && forwarded > 10_000,
        "{frames} frames, {forwarded} forwarded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_frames_through_the_live_guard() {
    let db = TestDb::new(&MIGRATED);
    let sim = start_sim(serde_json::json!({
        "unit": 1, "holding": {"0": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]},
    }));
    let spool = std::env::temp_dir().join(format!("gs-guard-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&spool);
    let (sink, writer) = events::start(
        db.url(),
        Default::default(),
        spool.clone(),
        events::Folding::default(),
        Arc::new(EventCounters::default()),
    )
    .unwrap();
    let counters = Arc::new(GuardCounters::default());
    let running = proxy::start(policy(sim.addr), sink, counters.clone())
        .await
        .unwrap();
    let addr = running.addr("rtu-fuzz").unwrap();
    let sent = tokio::task::spawn_blocking(move || {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut sent = 0;
        // 1,000 connections of 20 frames each, the writing side shut after them: the guard
        // answers what it can and closes on the first frame that is not Modbus.
        for _ in 0..1_000 {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut bytes = Vec::new();
            for _ in 0..20 {
                bytes.extend(fuzz_bytes(&mut rng));
                sent += 1;
            }
            let _ = s.write_all(&bytes);
            let _ = s.shutdown(std::net::Shutdown::Write);
            let mut answer = Vec::new();
            // Every connection ends: no hang (the read timeout would fail the test).
            match s.read_to_end(&mut answer) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
                Err(e) => panic!("the guard hung: {e}"),
            }
        }
        sent
    })
    .await
    .unwrap();
    assert_eq!(sent, 20_000);
    // Still serving: a plain read through the guard.
    let ok = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let req = Frame {
            tid: 1,
            unit: 1,
            pdu: vec![3, 0, 0, 0, 2],
        };
        s.write_all(&req.encode()).unwrap();
        let mut reply = [0u8; 13];
        s.read_exact(&mut reply).unwrap();
        reply
    })
    .await
    .unwrap();
    assert_eq!(&ok[7..], [3, 4, 0, 0, 0, 1]);
    running.stop().await;
    tokio::task::spawn_blocking(move || writer.join().unwrap())
        .await
        .unwrap();
    // The device received only allowed requests: FC03 of unit 1 within 0–9, or FC06 to 5–6.
    let received = sim.received();
    assert!(!received.is_empty());
    for (fc, unit, address) in &received {
        let fine = *unit == 1
            && match fc {
                3 => *address <= 9,
                6 => (5..=6).contains(address),
                _ => false,
            };
        assert!(
            fine,
            "forwarded a forbidden request: fc {fc} unit {unit} address {address}"
        );
    }
    let line = counters.line();
    assert!(line.contains("bad_frames="), "{line}");
    let _ = std::fs::remove_dir_all(spool);
}
