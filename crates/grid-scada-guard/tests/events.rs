//! Security events survive a database outage (spooled, replayed, counted once), and a
//! device answering for another unit id is caught.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use diesel::{Connection, PgConnection};
use grid_model::{AlertSeverity, SecurityEventKind};
use grid_scada::security::Emit;
use grid_scada::security::{self as events, EventCounters};
use grid_scada_guard::frame::{self, Frame};
use grid_scada_guard::policy::GuardPolicy;
use grid_scada_guard::proxy::{self, GuardCounters};
use grid_testdb::{Cluster, ClusterOptions, Mode, TestDb, best_local_mode};
use grid_testkit::MIGRATED;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn event(n: u8) -> Emit {
    Emit::new(
        SecurityEventKind::ForbiddenFunction,
        AlertSeverity::Warning,
        (Some("10.9.9.9".parse().unwrap()), "rtu-1"),
        &format!("{n}"),
        chrono::Utc::now(),
        "test",
    )
}

#[test]
fn events_wait_on_disk_while_the_database_is_away() {
    let mode = Mode::from_env()
        .unwrap()
        .unwrap_or_else(|| best_local_mode().unwrap());
    let cluster = Cluster::start(&ClusterOptions::for_tests(mode)).unwrap();
    let url = cluster.url("postgres");
    {
        let mut conn = PgConnection::establish(&url).unwrap();
        grid_store::migrations::run_pending(&mut conn).unwrap();
    }
    let spool = std::env::temp_dir().join(format!("gs-guard-events-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&spool);
    let counters = Arc::new(EventCounters::default());
    let (sink, writer) = events::start(
        url.clone(),
        Default::default(),
        spool.clone(),
        events::Folding::default(),
        counters.clone(),
    )
    .unwrap();
    // Two events with the database up.
    sink.send([event(1), event(1)]);
    std::thread::sleep(Duration::from_millis(600));
    cluster.stop().unwrap();
    // Three more while it is away: spooled.
    sink.send([event(1), event(2), event(3)]);
    let waited = std::time::Instant::now();
    while counters.spooled.load(Ordering::Relaxed) == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "{}",
            counters.line()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let on_disk = std::fs::read_dir(&spool)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".events")
        })
        .count();
    assert_eq!(on_disk, 1);
    cluster.restart().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    drop(sink);
    writer.join().unwrap();
    // 5 occurrences in 3 rows: key 1 (3 times), 2, 3; nothing lost, nothing twice.
    let mut conn = PgConnection::establish(&url).unwrap();
    let rows = grid_store::security::by_source(
        &mut conn,
        "10.9.9.9".parse().unwrap(),
        chrono::Utc::now() - chrono::Duration::hours(1),
        chrono::Utc::now() + chrono::Duration::hours(1),
    )
    .unwrap();
    let mut counts: Vec<i32> = rows.iter().map(|r| r.occurrences).collect();
    counts.sort();
    assert_eq!(counts, [1, 1, 3], "{}", counters.line());
    assert_eq!(counters.recorded.load(Ordering::Relaxed), 5);
    assert_eq!(counters.lost.load(Ordering::Relaxed), 0);
    let _ = std::fs::remove_dir_all(spool);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_answering_for_another_unit_is_caught() {
    let db = TestDb::new(&MIGRATED);
    // A device that answers every request as unit 9.
    let device = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = device.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = device.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 260];
                loop {
                    let Ok(n) = s.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    while let Ok(Some((f, used))) = frame::parse(&buf) {
                        buf.drain(..used);
                        let reply = Frame {
                            tid: f.tid,
                            unit: 9,
                            pdu: vec![3, 2, 0, 42],
                        };
                        let _ = s.write_all(&reply.encode()).await;
                    }
                }
            });
        }
    });
    let policy = GuardPolicy::from_toml(&format!(
        r#"
[[device]]
name = "rtu-odd"
listen = "127.0.0.1:0"
upstream = "{upstream}"
[[device.client]]
name = "poller"
addresses = ["127.0.0.1"]
functions = [3]
read = [{{ table = "holding", from = 0, to = 9 }}]
"#
    ))
    .unwrap();
    let spool = std::env::temp_dir().join(format!("gs-guard-odd-{}", std::process::id()));
    let (sink, writer) = events::start(
        db.url(),
        Default::default(),
        spool.clone(),
        events::Folding::default(),
        Arc::new(EventCounters::default()),
    )
    .unwrap();
    let counters = Arc::new(GuardCounters::default());
    let running = proxy::start(policy, sink, counters.clone()).await.unwrap();
    let addr = running.addr("rtu-odd").unwrap();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = Frame {
        tid: 77,
        unit: 1,
        pdu: vec![3, 0, 0, 0, 1],
    };
    s.write_all(&req.encode()).await.unwrap();
    let mut reply = [0u8; 9];
    s.read_exact(&mut reply).await.unwrap();
    // The device's answer is withheld: the client gets 0B (gateway target failed), its own
    // transaction id.
    assert_eq!(reply, [0, 77, 0, 0, 0, 3, 1, 0x83, 0x0B]);
    drop(s);
    running.stop().await;
    tokio::task::spawn_blocking(move || writer.join().unwrap())
        .await
        .unwrap();
    let conn = &mut db.conn();
    let rows = grid_store::security::by_source(
        conn,
        "127.0.0.1".parse().unwrap(),
        chrono::Utc::now() - chrono::Duration::hours(1),
        chrono::Utc::now() + chrono::Duration::hours(1),
    )
    .unwrap();
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0].event_type, "unexpected_unit_reply");
    assert_eq!(
        rows[0].command_attempted.as_deref(),
        Some("asked unit 1 function 3, answered by unit 9 function 3")
    );
    let _ = std::fs::remove_dir_all(spool);
}

/// Idle clients and clients that start a frame without finishing it are cut off, and the
/// binary runs from its command line (policy file, SmartGrid Sentinel's configuration naming
/// the URL's file, JSON logs): a refused write is recorded through that URL.
#[test]
fn slow_and_idle_clients_are_cut_off_by_the_binary() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let db = TestDb::new(&MIGRATED);
    let device = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = device.local_addr().unwrap();
    // A free port for the guard to listen on.
    let listen = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("gs-guard-bin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("guard.toml"),
        format!(
            r#"
[guard]
idle_timeout_ms = 600
frame_timeout_ms = 300
[[device]]
name = "rtu-bin"
listen = "{listen}"
upstream = "{upstream}"
[[device.client]]
name = "poller"
addresses = ["127.0.0.1"]
functions = [3]
read = [{{ table = "holding", from = 0, to = 9 }}]
"#
        ),
    )
    .unwrap();
    std::fs::write(dir.join("url"), format!("{}\n", db.url())).unwrap();
    std::fs::write(
        dir.join("sentinel.toml"),
        format!(
            "[database]\nurl_file = {:?}\nrole = \"poller\"\n",
            dir.join("url").display().to_string()
        ),
    )
    .unwrap();
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let guard = Command::new(env!("CARGO_BIN_EXE_grid-scada-guard"))
        .arg("--policy")
        .arg(dir.join("guard.toml"))
        .arg("--spool")
        .arg(dir.join("spool"))
        .arg("--sentinel-config")
        .arg(dir.join("sentinel.toml"))
        .args(["--log-format", "json", "--status-every-ms", "200"])
        .args(["--metrics-listen", &format!("127.0.0.1:{metrics_port}")])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let connect = || {
        for _ in 0..100 {
            if let Ok(s) = std::net::TcpStream::connect(listen) {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the guard did not listen");
    };
    let ended_within = |mut s: std::net::TcpStream, limit: Duration| {
        s.set_read_timeout(Some(limit)).unwrap();
        let mut b = [0u8; 16];
        matches!(s.read(&mut b), Ok(0)) || matches!(s.read(&mut b), Ok(0))
    };
    // Half a frame, then nothing: cut off after the 300 ms frame timeout.
    let mut slow = connect();
    slow.write_all(&[0, 1, 0, 0, 0, 6, 1]).unwrap();
    let started = std::time::Instant::now();
    assert!(ended_within(slow, Duration::from_secs(3)));
    assert!(started.elapsed() < Duration::from_secs(2));
    // Nothing at all: cut off after the 600 ms idle timeout.
    assert!(ended_within(connect(), Duration::from_secs(3)));
    // A write the policy does not allow: refused with Modbus exception 1 (illegal function)
    // and recorded as a security event.
    let mut writer = connect();
    writer
        .write_all(&[0, 7, 0, 0, 0, 6, 1, 6, 0, 0, 0, 1])
        .unwrap();
    let mut reply = [0u8; 9];
    writer.read_exact(&mut reply).unwrap();
    assert_eq!((reply[7], reply[8]), (0x86, 1), "{reply:?}");
    drop(writer);
    // The operational endpoints count both.
    let get = |path: &str| {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", metrics_port)).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut r = String::new();
        s.read_to_string(&mut r).unwrap();
        r
    };
    let metrics = get("/metrics");
    assert!(
        metrics.contains("grid_guard_connections 3\n")
            && metrics.contains("grid_guard_timeouts 2\n"),
        "{metrics}"
    );
    let health = get("/health");
    assert!(
        health.starts_with("HTTP/1.1 200") && health.contains("\"status\":\"ok\""),
        "{health}"
    );
    Command::new("kill")
        .args(["-TERM", &guard.id().to_string()])
        .status()
        .unwrap();
    let out = guard.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains(
            "stopped connections=3 unknown_clients=0 forwarded=0 refused=1 bad_frames=0 timeouts=2"
        ),
        "{stdout}"
    );
    assert!(
        stderr
            .lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "{stderr}"
    );
    assert!(!stderr.contains(&db.url()));
    // The writer flushed before the guard ended: the refusal is in the database.
    use diesel::prelude::*;
    let recorded: i64 = grid_store::schema::cyber_security_events::table
        .count()
        .get_result(&mut db.conn())
        .unwrap();
    assert!(recorded >= 1, "no security event recorded");
    drop(device);
    let _ = std::fs::remove_dir_all(dir);
}

/// The attack run's raw password in DATABASE_URL: the guard keeps guarding, records that it
/// cannot reach the database, and no output in either log format shows four characters of
/// the password.
#[test]
fn no_piece_of_a_raw_password_is_printed_in_either_format() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    const PASSWORD: &str = "Tr0ub4dor&3:p@ss/w%rd 'q\"x";
    let dir = std::env::temp_dir().join(format!("gs-guard-raw-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    };
    let (listen, upstream) = (free(), free());
    std::fs::write(
        dir.join("guard.toml"),
        format!(
            r#"
[[device]]
name = "rtu-raw"
listen = "{listen}"
upstream = "{upstream}"
[[device.client]]
name = "poller"
addresses = ["127.0.0.1"]
functions = [3]
read = [{{ table = "holding", from = 0, to = 9 }}]
"#
        ),
    )
    .unwrap();
    for format in ["human", "json"] {
        let mut guard = Command::new(env!("CARGO_BIN_EXE_grid-scada-guard"))
            .arg("--policy")
            .arg(dir.join("guard.toml"))
            .arg("--spool")
            .arg(dir.join(format!("spool-{format}")))
            .args(["--log-format", format, "--status-every-ms", "60000"])
            .env(
                "DATABASE_URL",
                format!("postgres://u:{PASSWORD}@127.0.0.1:5432/db"),
            )
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let reader = {
            let (lines, stderr) = (lines.clone(), guard.stderr.take().unwrap());
            std::thread::spawn(move || {
                for l in BufReader::new(stderr).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(l);
                }
            })
        };
        // A stranger's connection: a security event the writer tries to record.
        let waited = std::time::Instant::now();
        let stranger = loop {
            let socket =
                socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
            let from: std::net::SocketAddr = "127.0.0.9:0".parse().unwrap();
            socket.bind(&from.into()).unwrap();
            if socket.connect(&listen.into()).is_ok() {
                break socket;
            }
            assert!(waited.elapsed() < Duration::from_secs(60), "no listener");
            std::thread::sleep(Duration::from_millis(50));
        };
        drop(stranger);
        // Wait for the writer's report that the database cannot be reached.
        while !lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("database unreachable"))
        {
            assert!(
                waited.elapsed() < Duration::from_secs(60),
                "{:?}",
                lines.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Command::new("kill")
            .args(["-TERM", &guard.id().to_string()])
            .status()
            .unwrap();
        let out = guard.wait_with_output().unwrap();
        reader.join().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            lines.lock().unwrap().join("\n")
        );
        assert!(out.status.success(), "{text}");
        let shown = grid_secrets::pieces_shown(&text, PASSWORD);
        assert!(shown.is_empty(), "{format}: {shown:?} in\n{text}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
