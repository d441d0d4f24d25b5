//! Nothing lost while the database is away: readings are spooled and replayed in order, and
//! a poller killed with SIGKILL mid-outage loses at most the batch in flight. The simulated
//! device serves a counter that moves on every read, so the stored values must be
//! contiguous: a missing value is a lost reading, a repeated one a duplicate.
//!
//! Each test stops and restarts a database server, so each has a throwaway cluster of its
//! own (in the run's mode) rather than the suite's shared server.

mod common;
use grid_testkit::modbus as sim;

use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Double;
use grid_model::*;
use grid_scada::ScadaConfig;
use grid_scada::runtime::PollerOptions;
use grid_store::{SensorRepository, SubstationRepository};
use grid_testdb::{Cluster, ClusterOptions, Mode, best_local_mode};
use sim::start_sim;

fn cluster_with_sensor() -> (Cluster, String) {
    let mode = Mode::from_env()
        .unwrap()
        .unwrap_or_else(|| best_local_mode().unwrap());
    let cluster = Cluster::start(&ClusterOptions::for_tests(mode)).unwrap();
    let url = cluster.url("postgres");
    let mut conn = PgConnection::establish(&url).unwrap();
    if mode.has_timescaledb() {
        grid_testdb::create_timescaledb(&mut conn).unwrap();
    }
    grid_store::migrations::run_pending(&mut conn).unwrap();
    grid_timescale::setup(&mut conn, &Default::default()).unwrap();
    let d = SubstationDraft::new(
        "Kiganjo Substation",
        "SC-KIG",
        GridZone::Central,
        (-0.4, 37.0),
        132,
        90.0,
    );
    let s = conn
        .insert_substation(&NewSubstation::new(d).unwrap())
        .unwrap();
    conn.insert_sensor(&NewSensor::new(SensorDraft::new(s.id, "C-CNT", SensorType::Load)).unwrap())
        .unwrap();
    (cluster, url)
}

fn config(addr: std::net::SocketAddr) -> String {
    format!(
        r#"
[batch]
max_readings = 1000
max_delay_ms = 200

[[device]]
name = "rtu-c"
address = "{addr}"
poll_interval_ms = 100
timeout_ms = 300
[[device.point]]
tag = "C-CNT"
register = "holding"
address = 0
type = "u16"
"#
    )
}

fn counter_values(url: &str) -> Vec<i64> {
    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = Double)]
        v: f64,
    }
    let mut conn = PgConnection::establish(url).unwrap();
    diesel::sql_query("SELECT value AS v FROM sensor_readings ORDER BY \"timestamp\"")
        .load::<V>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| r.v as i64)
        .collect()
}

/// Values that should be there but are not.
fn missing(values: &[i64]) -> Vec<i64> {
    let mut sorted = values.to_vec();
    sorted.sort();
    let set: std::collections::BTreeSet<i64> = sorted.iter().copied().collect();
    (sorted[0]..=*sorted.last().unwrap())
        .filter(|v| !set.contains(v))
        .collect()
}

fn no_duplicates(values: &[i64]) {
    let set: std::collections::BTreeSet<i64> = values.iter().copied().collect();
    assert_eq!(set.len(), values.len(), "a counter value was stored twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_survive_a_database_outage_in_order() {
    let (cluster, url) = cluster_with_sensor();
    let sim = start_sim(serde_json::json!({"unit": 1, "holding": {"0": [0]}, "counters": [0]}));
    let spool = std::env::temp_dir().join(format!("gs-outage-{}-a", std::process::id()));
    let _ = std::fs::remove_dir_all(&spool);
    let opts = common::options(url.as_str(), &spool);
    let poller = common::Poller::start(ScadaConfig::from_toml(&config(sim.addr)).unwrap(), opts);

    tokio::time::sleep(Duration::from_millis(1000)).await;
    tokio::task::block_in_place(|| cluster.stop()).unwrap();
    tokio::time::sleep(Duration::from_millis(2000)).await;
    tokio::task::block_in_place(|| cluster.restart()).unwrap();
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let counters = poller.stop().await;

    assert!(
        counters.batches_spooled.load(Ordering::Relaxed) > 0,
        "{}",
        counters.line()
    );
    assert!(
        counters.batches_replayed.load(Ordering::Relaxed) > 0,
        "{}",
        counters.line()
    );
    let values = counter_values(&url);
    assert!(values.len() > 40, "{}", values.len());
    no_duplicates(&values);
    assert_eq!(
        missing(&values),
        Vec::<i64>::new(),
        "readings lost during the outage"
    );
    let _ = std::fs::remove_dir_all(spool);
}

#[test]
fn a_poller_killed_mid_outage_loses_at_most_the_batch_in_flight() {
    let (cluster, url) = cluster_with_sensor();
    let sim = start_sim(serde_json::json!({"unit": 1, "holding": {"0": [0]}, "counters": [0]}));
    let dir = std::env::temp_dir().join(format!("gs-outage-{}-b", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config_path = dir.join("scada.toml");
    std::fs::write(&config_path, config(sim.addr)).unwrap();
    let spool = dir.join("spool");
    let start = || {
        Command::new(env!("CARGO_BIN_EXE_grid-scada-poller"))
            .arg("--config")
            .arg(&config_path)
            .arg("--spool")
            .arg(&spool)
            .env("DATABASE_URL", &url)
            .args(["--status-every-ms", "200"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut poller = start();
    std::thread::sleep(Duration::from_millis(1000));
    cluster.stop().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    // SIGKILL mid-outage: no destructor, no flush.
    poller.kill().unwrap();
    poller.wait().unwrap();
    assert!(
        std::fs::read_dir(&spool).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".spool")),
        "the outage's readings should be in the spool"
    );
    // Back up while the database is still down (the sensor map comes from the spool's cache).
    let mut poller = start();
    std::thread::sleep(Duration::from_millis(1000));
    cluster.restart().unwrap();
    std::thread::sleep(Duration::from_millis(3000));
    Command::new("kill")
        .args(["-TERM", &poller.id().to_string()])
        .status()
        .unwrap();
    assert!(poller.wait().unwrap().success());

    let values = counter_values(&url);
    no_duplicates(&values);
    let lost = missing(&values);
    // At most what the killed poller held in memory: 200 ms of batching at 100 ms polls,
    // plus the poll in progress, with slack for a loaded machine waking the writer late.
    assert!(lost.len() <= 8, "lost {lost:?}");
    if let (Some(first), Some(last)) = (lost.first(), lost.last()) {
        assert!(
            last - first < 8,
            "the losses must be one run (the batch in flight): {lost:?}"
        );
    }
    assert!(values.len() > 40, "{}", values.len());
    let _ = std::fs::remove_dir_all(dir);
}

/// A poison reading (one the database refuses for its data; here a trigger refuses the
/// value 666 with SQLSTATE 22003, as a check ingest does not know would) in a spooled batch:
/// found alone by splitting, kept apart, and neither its batch nor the batch after it is
/// lost or blocked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_reading_is_set_aside_alone_and_the_rest_replays() {
    let (_cluster, url) = cluster_with_sensor();
    let mut conn = PgConnection::establish(&url).unwrap();
    diesel::connection::SimpleConnection::batch_execute(
        &mut conn,
        "CREATE FUNCTION refuse_666() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.value = 666 THEN
             RAISE EXCEPTION 'value 666 refused' USING ERRCODE = '22003';
           END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER refuse_666 BEFORE INSERT ON sensor_readings
           FOR EACH ROW EXECUTE FUNCTION refuse_666();",
    )
    .unwrap();
    let sensor = conn.sensor_by_tag("C-CNT").unwrap();
    // Two spooled batches an hour back: ten readings (the fourth is 666), then five.
    let spool = std::env::temp_dir().join(format!("gs-outage-{}-poison", std::process::id()));
    let _ = std::fs::remove_dir_all(&spool);
    let t0 = chrono::Utc::now() - chrono::Duration::hours(1);
    let at = |i: i64| t0 + chrono::Duration::seconds(i);
    let first: Vec<_> = (0..10)
        .map(|i| {
            let v = if i == 3 { 666.0 } else { 1000.0 + i as f64 };
            grid_timescale::ingest::Reading::new(sensor.id, at(i), v)
        })
        .collect();
    let second: Vec<_> = (10..15)
        .map(|i| grid_timescale::ingest::Reading::new(sensor.id, at(i), 1000.0 + i as f64))
        .collect();
    {
        let mut s = grid_scada::spool::Spool::open(&spool, 1 << 20).unwrap();
        s.push(&first).unwrap();
        s.push(&second).unwrap();
    }
    let sim = start_sim(serde_json::json!({"unit": 1, "holding": {"0": [0]}, "counters": [0]}));
    let opts = common::options(url.as_str(), &spool);
    let poller = common::Poller::start(ScadaConfig::from_toml(&config(sim.addr)).unwrap(), opts);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let counters = poller.stop().await;

    let line = counters.line();
    assert_eq!(
        counters.batches_replayed.load(Ordering::Relaxed),
        2,
        "{line}"
    );
    assert_eq!(
        counters.readings_refused.load(Ordering::Relaxed),
        1,
        "{line}"
    );
    assert!(
        line.contains("readings_refused=1 spool_records_damaged=0"),
        "{line}"
    );
    // 14 of the 15 spooled readings stored; 666 is not.
    let spooled: Vec<i64> = counter_values(&url)
        .into_iter()
        .filter(|v| (1000..1015).contains(v) || *v == 666)
        .collect();
    let expected: Vec<i64> = (1000..1015).filter(|v| *v != 1003).collect();
    assert_eq!(spooled, expected);
    // The refused reading is kept apart, not replayed again.
    let refused: Vec<_> = std::fs::read_dir(&spool)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".refused"))
        .collect();
    assert_eq!(refused.len(), 1);
    // The device's own readings kept flowing meanwhile.
    assert!(
        counters.readings_stored.load(Ordering::Relaxed) > 14,
        "{line}"
    );
    let _ = std::fs::remove_dir_all(spool);
}

/// The binary logs through a subscriber (a dead device is visible on stderr, as text or
/// JSON lines) and reads its database URL from a file, off the command line.
#[test]
fn the_poller_logs_what_fails_and_reads_its_url_from_a_file() {
    let (_cluster, url) = cluster_with_sensor();
    let dir = std::env::temp_dir().join(format!("gs-outage-{}-log", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A device address where nothing listens.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let config_path = dir.join("scada.toml");
    std::fs::write(&config_path, config(dead)).unwrap();
    let url_file = dir.join("database-url");
    std::fs::write(&url_file, format!("{url}\n")).unwrap();
    for format in ["human", "json"] {
        let poller = Command::new(env!("CARGO_BIN_EXE_grid-scada-poller"))
            .arg("--config")
            .arg(&config_path)
            .arg("--spool")
            .arg(dir.join(format!("spool-{format}")))
            .arg("--database-url-file")
            .arg(&url_file)
            .args(["--status-every-ms", "200", "--log-format", format])
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        Command::new("kill")
            .args(["-TERM", &poller.id().to_string()])
            .status()
            .unwrap();
        let out = poller.wait_with_output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains("poller starting"), "{stderr}");
        assert!(stderr.contains("poll failed"), "{stderr}");
        assert!(!stderr.contains(&url), "the URL is never logged: {stderr}");
        assert!(
            stdout.contains("stopped polls_ok=0 polls_failed="),
            "{stdout}"
        );
        if format == "json" {
            for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
                serde_json::from_str::<serde_json::Value>(line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A password on the command line is refused (the process list shows it to every user),
/// and the refusal does not print it either.
#[test]
fn a_password_on_the_command_line_is_refused_unprinted() {
    let out = Command::new(env!("CARGO_BIN_EXE_grid-scada-poller"))
        .args(["--config", "/nonexistent.toml", "--spool", "/nonexistent"])
        .args([
            "--database-url",
            "postgres://scada:Sekr1t%25pw@127.0.0.1:1/grid",
        ])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success());
    assert!(text.contains("carries a password"), "{text}");
    assert!(!text.contains("Sekr1t"), "{text}");
}

/// The password can live in a `PGPASSFILE` (libpq's own mechanism); one other users can
/// read is refused by libpq, and no output shows the password either way. `PollerOptions`
/// and the cluster do not show it in `Debug`.
#[test]
fn the_password_may_come_from_pgpassfile_and_is_never_printed() {
    use std::os::unix::fs::PermissionsExt;
    let (cluster, url) = cluster_with_sensor();
    let password = grid_secrets::passwords_of(&url).remove(0);
    assert!(!format!("{cluster:?}").contains(&password));
    let opts = PollerOptions {
        database_url: url.clone(),
        spool_dir: "/nonexistent".into(),
        spool_max_bytes: 1,
        limits: Default::default(),
        anomaly_detection: None,
        alarms: None,
        session_limits: Default::default(),
    };
    assert!(!format!("{opts:?}").contains(&password));
    let dir = std::env::temp_dir().join(format!("gs-outage-{}-pgpass", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    std::fs::write(dir.join("scada.toml"), config(dead)).unwrap();
    let port = cluster.port();
    let pgpass = dir.join("pgpass");
    std::fs::write(&pgpass, format!("127.0.0.1:{port}:*:postgres:{password}\n")).unwrap();
    let bare = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let run_with = |mode: u32| {
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(mode)).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_grid-scada-poller"))
            .arg("--config")
            .arg(dir.join("scada.toml"))
            .arg("--spool")
            .arg(dir.join(format!("spool-{mode:o}")))
            .args(["--database-url", &bare, "--status-every-ms", "200"])
            .env_remove("DATABASE_URL")
            .env_remove("PGPASSWORD")
            .env("PGPASSFILE", &pgpass)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(1200));
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.try_wait();
        let out = child.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains(&password), "{text}");
        (out.status.success(), text)
    };
    // Readable by others: libpq ignores the file, so there is no password; the poller cannot
    // reach the database to resolve its tags and says so.
    let (ok, text) = run_with(0o644);
    assert!(!ok, "{text}");
    assert!(text.contains("password"), "{text}");
    // Owner-only: the poller connects and runs.
    let (ok, text) = run_with(0o600);
    assert!(ok, "{text}");
    assert!(text.contains("poller starting"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The attack run's password (a bad `%` escape, `@`, `:`, `/`, quotes, a space) in
/// DATABASE_URL: the poller cannot reach the database, says so, and no output in either log
/// format shows any four characters of the password.
#[test]
fn no_piece_of_a_raw_password_is_printed_in_either_format() {
    const PASSWORD: &str = "Tr0ub4dor&3:p@ss/w%rd 'q\"x";
    let dir = std::env::temp_dir().join(format!("gs-outage-{}-raw", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    std::fs::write(dir.join("scada.toml"), config(dead)).unwrap();
    for format in ["human", "json"] {
        let out = Command::new(env!("CARGO_BIN_EXE_grid-scada-poller"))
            .arg("--config")
            .arg(dir.join("scada.toml"))
            .arg("--spool")
            .arg(dir.join(format!("spool-{format}")))
            .args(["--log-format", format])
            .env(
                "DATABASE_URL",
                format!("postgres://u:{PASSWORD}@127.0.0.1:5432/db"),
            )
            .env("RUST_LOG", "debug")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "{text}");
        assert!(text.contains("error") || text.contains("ERROR"), "{text}");
        let shown = grid_secrets::pieces_shown(&text, PASSWORD);
        assert!(shown.is_empty(), "{format}: {shown:?} in\n{text}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
