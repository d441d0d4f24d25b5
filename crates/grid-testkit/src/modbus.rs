//! Real Modbus TCP peers for tests: the pymodbus device (`peers/modbus_sim.py`) and the
//! pymodbus client (`peers/modbus_client.py`), from the virtual environment
//! `scripts/install-deps` creates (`target/scada-venv`).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running pymodbus device; killed when dropped.
pub struct Sim {
    /// The simulator's process.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Every write request it received, one line each.
    pub writes: PathBuf,
    /// Every request it received (reads included), one line each:
    /// `fc=N unit=N address=N`.
    pub requests: PathBuf,
    /// Its port.
    pub port: u16,
}

impl Sim {
    /// The requests the device received so far, as `(function, unit, address)`.
    pub fn received(&self) -> Vec<(u8, u8, u16)> {
        std::fs::read_to_string(&self.requests)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let mut f = l
                    .split_whitespace()
                    .map(|kv| kv.split_once('=').map(|(_, v)| v));
                Some((
                    f.next()??.parse().ok()?,
                    f.next()??.parse().ok()?,
                    f.next()??.parse().ok()?,
                ))
            })
            .collect()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = self.writes.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The virtual environment's Python (panics with the fix when it is missing).
pub fn python() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/scada-venv/bin/python");
    assert!(
        p.is_file(),
        "{} is missing: run scripts/install-deps (it installs pymodbus)",
        p.display()
    );
    p
}

/// A loopback port held for a device that is away: bound with `SO_REUSEPORT` but not
/// listening, so a connection to it is refused, no other program can take it, and the
/// simulator (which sets `SO_REUSEPORT` too) can listen on it again.
pub struct ReservedPort {
    _socket: socket2::Socket,
    /// The port.
    pub port: u16,
}

/// Reserves a loopback port (see [`ReservedPort`]).
pub fn reserve_port() -> ReservedPort {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_reuse_port(true).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    ReservedPort {
        _socket: socket,
        port,
    }
}

/// Starts the simulator on a port it picks itself.
pub fn start_sim(spec: serde_json::Value) -> Sim {
    spawn_sim(0, false, spec)
}

/// Starts the simulator on a reserved port (to bring a "device" back where it was).
pub fn start_sim_on(port: &ReservedPort, spec: serde_json::Value) -> Sim {
    spawn_sim(port.port, true, spec)
}

fn spawn_sim(port: u16, reuse_port: bool, spec: serde_json::Value) -> Sim {
    let dir = std::env::temp_dir().join(format!(
        "gs-modbus-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let writes = dir.join("writes.log");
    let requests = dir.join("requests.log");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/modbus_sim.py");
    let mut cmd = Command::new(python());
    cmd.arg(script).args(["--port", &port.to_string()]);
    if reuse_port {
        cmd.arg("--reuse-port");
    }
    let mut child = cmd
        .arg("--spec")
        .arg(&spec_path)
        .arg("--writes")
        .arg(&writes)
        .arg("--requests")
        .arg(&requests)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the pymodbus simulator");
    // The simulator says which port it listens on once it accepts connections.
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .strip_prefix("port=")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("the simulator did not start (it said {line:?})"));
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    Sim {
        child,
        addr,
        writes,
        requests,
        port,
    }
}

/// What the pymodbus client got for one request: the registers or bits read, an exception
/// code, or an error (no answer, connection closed).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Registers or bits.
    Values(Vec<u16>),
    /// A Modbus exception code.
    Exception(u8),
    /// Written (the device echoed the write).
    Written,
    /// No usable answer.
    Error(String),
}

/// Runs the pymodbus client against `addr` with `ops` (a JSON list of
/// `{"op": "read_holding"|"read_input"|"write_register"|"write_registers"|"write_coil"|
/// "diagnostic"|"device_id"|"raw", "unit": N, "address": N, "count"|"value"|"values"|"sub"|"pdu": …}`)
/// and returns one outcome per op.
pub fn run_client(addr: SocketAddr, ops: &serde_json::Value) -> Vec<Outcome> {
    run_client_from(None, addr, ops)
}

/// [`run_client`] from the local address `source` (e.g. `127.0.0.2`: another client on
/// loopback).
pub fn run_client_from(
    source: Option<&str>,
    addr: SocketAddr,
    ops: &serde_json::Value,
) -> Vec<Outcome> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/modbus_client.py");
    let mut cmd = Command::new(python());
    cmd.arg(script);
    if let Some(s) = source {
        cmd.args(["--source", s]);
    }
    let out = cmd
        .args([
            "--host",
            &addr.ip().to_string(),
            "--port",
            &addr.port().to_string(),
        ])
        .arg("--ops")
        .arg(ops.to_string())
        .stderr(Stdio::inherit())
        .output()
        .expect("starting the pymodbus client");
    assert!(out.status.success(), "the pymodbus client failed");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "client output ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
