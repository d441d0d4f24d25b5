//! The guard under a flood of connections, as the attack run found it: a listed client opens
//! 1,100 idle connections against a guard limited to 1,024 descriptors. The guard must refuse
//! what its caps do not allow (counted, one folded security event), never run out of
//! descriptors, and keep serving another allowed client while the flood still holds its
//! connections.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use grid_testdb::TestDb;
use grid_testkit::MIGRATED;
use grid_testkit::modbus::start_sim;
use serde_json::json;

const FLOOD: usize = 1_100;
const PER_CLIENT: usize = 16;

/// The test itself holds the flood's client ends: its own soft limit must allow them.
fn enough_descriptors_for_the_flood() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let need = (FLOOD + 512) as u64;
    let now = getrlimit(Resource::Nofile);
    if now.current.is_some_and(|c| c < need) {
        let hard = now.maximum;
        assert!(
            hard.is_none_or(|h| h >= need),
            "this test needs {need} descriptors; the hard limit is {hard:?}"
        );
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(need),
                maximum: hard,
            },
        )
        .unwrap();
    }
}

fn connect_from(source: &str, to: SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let from: SocketAddr = format!("{source}:0").parse().unwrap();
    socket.bind(&from.into()).unwrap();
    socket.connect(&to.into()).unwrap();
    socket.into()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut r = String::new();
    s.read_to_string(&mut r).unwrap();
    r
}

fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn a_connection_flood_is_refused_and_an_allowed_client_is_served_meanwhile() {
    enough_descriptors_for_the_flood();
    let db = TestDb::new(&MIGRATED);
    let sim = start_sim(json!({"unit": 1, "holding": {"0": [7, 8, 9]}}));
    let listen: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let metrics_port = free_port();
    let dir = std::env::temp_dir().join(format!("gs-guard-flood-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("guard.toml"),
        format!(
            r#"
[guard]
max_connections_per_client = {PER_CLIENT}
[[device]]
name = "rtu-flood"
listen = "{listen}"
upstream = "{}"
[[device.client]]
name = "hmi"
addresses = ["127.0.0.2", "127.0.0.3"]
functions = [3]
read = [{{ table = "holding", from = 0, to = 9 }}]
"#,
            sim.addr
        ),
    )
    .unwrap();
    std::fs::write(dir.join("url"), format!("{}\n", db.url())).unwrap();
    std::fs::write(
        dir.join("sentinel.toml"),
        format!(
            "[database]\nurl_file = {:?}\n",
            dir.join("url").display().to_string()
        ),
    )
    .unwrap();
    // The attack run's limit: 1,024 descriptors for the guard.
    let mut guard = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 1024 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_grid-scada-guard"))
        .arg("--policy")
        .arg(dir.join("guard.toml"))
        .arg("--spool")
        .arg(dir.join("spool"))
        .arg("--sentinel-config")
        .arg(dir.join("sentinel.toml"))
        .args(["--metrics-listen", &format!("127.0.0.1:{metrics_port}")])
        .args(["--status-every-ms", "60000"])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while TcpStream::connect(listen).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the guard did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // The flood: 1,100 connections from 127.0.0.2, held open and silent.
    let flood: Vec<TcpStream> = (0..FLOOD)
        .map(|_| connect_from("127.0.0.2", listen))
        .collect();
    // Every one of them has been judged: the guard counts them all (a wait for the event,
    // the deadline only a failsafe).
    let deadline = Instant::now() + Duration::from_secs(120);
    let text = loop {
        let text = get(metrics_port, "/metrics");
        let seen = metric(&text, "grid_guard_connections").unwrap_or(0);
        if seen > FLOOD as u64 {
            break text;
        }
        assert!(Instant::now() < deadline, "{text}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        metric(&text, "grid_guard_refused_connections"),
        Some((FLOOD - PER_CLIENT) as u64),
        "{text}"
    );
    assert_eq!(metric(&text, "grid_guard_accept_errors"), Some(0), "{text}");

    // Another allowed client is served while the flood still holds its connections.
    let mut hmi = connect_from("127.0.0.3", listen);
    hmi.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    hmi.write_all(&[0, 9, 0, 0, 0, 6, 1, 3, 0, 0, 0, 3])
        .unwrap();
    let mut reply = [0u8; 15];
    hmi.read_exact(&mut reply).unwrap();
    assert_eq!(&reply[7..], [3, 6, 0, 7, 0, 8, 0, 9], "{reply:?}");
    drop(hmi);
    drop(flood);
    // The guard's CPU time through the flood (user + system, clock ticks of 10 ms): printed
    // for the docs, not judged here.
    if let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", guard.id())) {
        let f: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let ticks: u64 = f.get(11).and_then(|u| u.parse().ok()).unwrap_or(0)
            + f.get(12).and_then(|s| s.parse().ok()).unwrap_or(0);
        eprintln!(
            "guard CPU through {FLOOD} connections: {:.2} s in {:.1} s",
            ticks as f64 / 100.0,
            started.elapsed().as_secs_f64()
        );
    }

    Command::new("kill")
        .args(["-TERM", &guard.id().to_string()])
        .status()
        .unwrap();
    let status = guard.wait().unwrap();
    let mut stderr = String::new();
    guard
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("client connections capped"),
        "the caps are logged at start: {stderr}"
    );
    // The refusals are one folded row of the source, counting them all.
    let conn = &mut db.conn();
    let rows = grid_store::security::by_source(
        conn,
        "127.0.0.2".parse().unwrap(),
        chrono::Utc::now() - chrono::Duration::hours(1),
        chrono::Utc::now() + chrono::Duration::hours(1),
    )
    .unwrap();
    let refused: Vec<_> = rows
        .iter()
        .filter(|r| r.event_type == "connection_refused")
        .collect();
    assert_eq!(refused.len(), 1, "{rows:#?}");
    assert_eq!(refused[0].occurrences, (FLOOD - PER_CLIENT) as i32);
    let _ = std::fs::remove_dir_all(dir);
}
