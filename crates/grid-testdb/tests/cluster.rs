//! The throwaway cluster's life cycle: it never outlives its owner, and leftovers are reaped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use grid_testdb::cluster::{process_running, reap_stale_clusters, wait_for_exit};
use grid_testdb::{EMPTY, TestDb, count};

struct Served {
    child: Child,
    postmaster: u32,
    watchdog: u32,
    base: PathBuf,
}

/// Starts `grid-testdb serve plain` in its own process and reads what it prints.
fn serve() -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_grid-testdb"))
        .args(["serve", "plain"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawning grid-testdb serve");
    let out = BufReader::new(child.stdout.take().unwrap());
    let (mut postmaster, mut watchdog, mut base) = (0, 0, PathBuf::new());
    for line in out.lines() {
        let line = line.unwrap();
        if let Some(v) = line.strip_prefix("postmaster_pid=") {
            postmaster = v.parse().unwrap();
        } else if let Some(v) = line.strip_prefix("watchdog_pid=") {
            watchdog = v.parse().unwrap();
        } else if let Some(v) = line.strip_prefix("base=") {
            base = v.into();
        } else if line == "ready" {
            break;
        }
    }
    assert!(postmaster > 0 && watchdog > 0, "serve printed no pids");
    assert!(
        process_running(postmaster),
        "postmaster {postmaster} is not running"
    );
    Served {
        child,
        postmaster,
        watchdog,
        base,
    }
}

fn wait_gone(path: &std::path::Path) -> bool {
    for _ in 0..600 {
        if !path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn the_cluster_stops_when_its_owner_is_killed() {
    let mut s = serve();
    s.child.kill().unwrap(); // SIGKILL: no destructor, no exit handler runs
    s.child.wait().unwrap();
    assert!(
        wait_for_exit(s.postmaster, Duration::from_secs(60)),
        "postmaster {} still running after its owner was killed",
        s.postmaster
    );
    assert!(wait_gone(&s.base), "{} was not removed", s.base.display());
}

#[test]
fn a_cluster_whose_watchdog_died_too_is_reaped_by_the_next_start() {
    let mut s = serve();
    let killed = Command::new("kill")
        .args(["-KILL", &s.watchdog.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(wait_for_exit(s.watchdog, Duration::from_secs(10)));
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        process_running(s.postmaster),
        "with its watchdog dead the orphaned server should still be up until reaped"
    );
    let reaped = reap_stale_clusters();
    assert!(
        reaped.contains(&s.base),
        "reaped {reaped:?}, not {}",
        s.base.display()
    );
    assert!(wait_for_exit(s.postmaster, Duration::from_secs(60)));
    assert!(!s.base.exists());
}

#[test]
fn each_test_gets_its_own_database_and_it_is_dropped_after() {
    let a = TestDb::new(&EMPTY);
    let b = TestDb::new(&EMPTY);
    assert_ne!(a.name(), b.name());
    let mut ca = a.conn();
    diesel::sql_query("CREATE TABLE only_in_a (x int)")
        .execute(&mut ca)
        .unwrap();
    let mut cb = b.conn();
    let visible = count(
        &mut cb,
        "SELECT count(*) AS n FROM pg_tables WHERE tablename = 'only_in_a'",
    );
    assert_eq!(visible, 0);
    let a_name = a.name().to_owned();
    drop(ca);
    drop(a);
    let left = count(
        &mut cb,
        &format!("SELECT count(*) AS n FROM pg_database WHERE datname = '{a_name}'"),
    );
    assert_eq!(left, 0, "{a_name} was not dropped");
}

static SETUPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn a_template_is_set_up_once_and_cloned_in_parallel() {
    let template = grid_testdb::Template {
        name: "counted",
        setup: |conn| {
            SETUPS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            diesel::sql_query("CREATE TABLE from_template (x int)").execute(conn)?;
            Ok(())
        },
    };
    let handles: Vec<_> = (0..6)
        .map(|_| {
            std::thread::spawn(move || {
                let db = TestDb::new(&template);
                let mut c = db.conn();
                count(
                    &mut c,
                    "SELECT count(*) AS n FROM pg_tables WHERE tablename = 'from_template'",
                )
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 1);
    }
    assert_eq!(SETUPS.load(std::sync::atomic::Ordering::SeqCst), 1);
}
