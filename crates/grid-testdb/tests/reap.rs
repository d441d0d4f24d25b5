//! Reaping runs in its own test binary: any cluster start reaps orphans, so a concurrent
//! test starting a cluster would reap this test's orphan before it could be observed.

mod serve;

use std::process::Command;
use std::time::Duration;

use grid_testdb::cluster::{process_running, reap_stale_clusters, wait_for_exit};
use serve::serve;

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
