//! Runs `grid-testdb serve` in its own process, as an owner that a test can kill.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use grid_testdb::cluster::process_running;

pub struct Served {
    pub child: Child,
    pub postmaster: u32,
    pub watchdog: u32,
    pub base: PathBuf,
}

/// Starts `grid-testdb serve plain` in its own process and reads what it prints.
pub fn serve() -> Served {
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

pub fn wait_gone(path: &std::path::Path) -> bool {
    for _ in 0..600 {
        if !path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}
