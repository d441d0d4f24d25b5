//! The throwaway cluster never outlives its owner; per-test databases and templates.

mod serve;

use std::time::Duration;

use diesel::prelude::*;
use grid_testdb::cluster::wait_for_exit;
use grid_testdb::{EMPTY, TestDb, count};
use serve::{serve, wait_gone};

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
