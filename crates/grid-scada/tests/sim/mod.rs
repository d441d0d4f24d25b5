//! Starts the pymodbus simulator (`modbus_sim.py`) for a test.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// Starts the simulator on a free port.
pub fn start_sim(spec: serde_json::Value) -> Sim {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    start_sim_on(port, spec)
}

/// Starts the simulator on `port` (to bring a "device" back where it was).
pub fn start_sim_on(port: u16, spec: serde_json::Value) -> Sim {
    let dir = std::env::temp_dir().join(format!("gs-modbus-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let writes = dir.join("writes.log");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sim/modbus_sim.py");
    let child = Command::new(python())
        .arg(script)
        .args(["--port", &port.to_string()])
        .arg("--spec")
        .arg(&spec_path)
        .arg("--writes")
        .arg(&writes)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the pymodbus simulator");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "the simulator did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Sim {
        child,
        addr,
        writes,
        port,
    }
}
