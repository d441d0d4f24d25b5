//! Processes and their owners: whether a cluster's owner still runs, waiting for exits,
//! running commands.

use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

/// `pid starttime`: the start time (from `/proc`) tells a live owner from a reused pid.
pub(crate) fn owner_stamp(pid: u32) -> anyhow::Result<String> {
    Ok(format!("{pid} {}\n", process_start_time(pid).unwrap_or(0)))
}

pub(crate) fn owner_alive(stamp: &str) -> bool {
    let mut parts = stamp.split_whitespace();
    let Some(pid) = parts.next().and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    let recorded: u64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    if !process_running(pid) {
        return false;
    }
    match process_start_time(pid) {
        Some(now) => recorded == 0 || now == recorded,
        None => false,
    }
}

/// Field 22 of `/proc/PID/stat`: start time in clock ticks since boot.
pub(crate) fn process_start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; fields after its closing paren are plain.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

pub(crate) fn running_as_root() -> bool {
    // The owner of /proc/self is the process's effective uid: no unsafe libc call needed.
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// Where the path of each live cluster is recorded, so that a person can find it.
pub(crate) fn record_path(base: &Path) -> PathBuf {
    let state = std::env::var_os("GRID_TESTDB_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/testdb"));
    let name = base.file_name().map(|n| n.to_owned()).unwrap_or_default();
    state.join("clusters").join(name)
}

/// A free loopback port for a server, below the kernel's ephemeral range where one is
/// known: a cluster stopped for an outage test keeps its port, and a port the kernel hands
/// to another test's `bind(0)` meanwhile would keep it from starting again.
pub(crate) fn free_loopback_port() -> anyhow::Result<u16> {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(0);
    if ephemeral_low > 12_000 {
        let (low, span) = (ephemeral_low - 11_000, 10_000u32);
        for _ in 0..50 {
            let pick = low + (uuid::Uuid::new_v4().as_u128() % u128::from(span)) as u16;
            if TcpListener::bind(("127.0.0.1", pick)).is_ok() {
                return Ok(pick);
            }
        }
    }
    let listener = TcpListener::bind("127.0.0.1:0").context("probing for a free port")?;
    Ok(listener.local_addr()?.port())
}

pub(crate) fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {:?}", cmd.get_program()))?;
    if !out.status.success() {
        bail!(
            "{:?} {:?} failed ({}):\n{}{}",
            cmd.get_program(),
            cmd.get_args().collect::<Vec<_>>(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Waits until `pid` is gone, up to `timeout`. True if it is gone.
pub fn wait_for_exit(pid: u32, timeout: Duration) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if !process_running(pid) {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether `pid` is a running process (a zombie waiting to be reaped counts as gone).
pub fn process_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}
