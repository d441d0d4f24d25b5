//! Starts the pymodbus simulator (`modbus_sim.py`) for a test.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct Sim {
    pub child: Child,
    pub addr: SocketAddr,
    pub writes: PathBuf,
    pub port: u16,
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
    pub port: u16,
}

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
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sim/modbus_sim.py");
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
        port,
    }
}
