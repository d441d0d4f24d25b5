//! Against a real Modbus TCP peer: a pymodbus server (installed by scripts/install-deps into
//! target/scada-venv), started by the test.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use grid_scada::client::{ReadError, ReadOnlyClient};
use grid_scada::config::{DataType, DeviceConfig, PointConfig, RegisterKind, WordOrder};
use grid_scada::decode::encode_f32;
use grid_scada::poll::{PlannedDevice, poll_once};

struct Sim {
    child: Child,
    addr: SocketAddr,
    writes: PathBuf,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/scada-venv/bin/python");
    assert!(
        p.is_file(),
        "{} is missing: run scripts/install-deps (it installs pymodbus)",
        p.display()
    );
    p
}

fn start_sim(spec: serde_json::Value) -> Sim {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
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
    }
}

fn point(
    sensor: &str,
    register: RegisterKind,
    address: u16,
    data_type: DataType,
    sf: Option<u16>,
) -> PointConfig {
    PointConfig {
        sensor: sensor.into(),
        register,
        address,
        data_type,
        scale_factor_address: sf,
    }
}

fn device(sim: &Sim, order: WordOrder, points: Vec<PointConfig>) -> PlannedDevice {
    PlannedDevice::new(DeviceConfig {
        name: "test".into(),
        address: sim.addr.to_string(),
        unit_id: 1,
        poll_interval_ms: 1000,
        timeout_ms: 2000,
        word_order: order,
        failures_before_alert: 3,
        points,
    })
}

#[tokio::test]
async fn every_encoding_is_decoded_right_and_nothing_is_ever_written() {
    use DataType::*;
    use RegisterKind::*;
    // Holding 0..8: 230.5 in each word order; 10..: SunSpec 2305 × 10^-1 and −5 × 10^2;
    // input 0..4: u32 65538 and i32 −2.
    let mut f32s = Vec::new();
    for order in [
        WordOrder::ABCD,
        WordOrder::CDAB,
        WordOrder::BADC,
        WordOrder::DCBA,
    ] {
        f32s.extend(encode_f32(230.5, order));
    }
    let sim = start_sim(serde_json::json!({
        "unit": 1,
        "holding": {"0": f32s, "10": [2305, 0xFFFF, (-5i16) as u16, 2, 0x8000, 1]},
        "input": {"0": [0x0001, 0x0002, 0xFFFF, 0xFFFE]},
    }));
    let addr = sim.addr;
    let mut client = ReadOnlyClient::connect(addr, 1, Duration::from_secs(2))
        .await
        .unwrap();
    for (i, order) in [
        WordOrder::ABCD,
        WordOrder::CDAB,
        WordOrder::BADC,
        WordOrder::DCBA,
    ]
    .into_iter()
    .enumerate()
    {
        let d = device(
            &sim,
            order,
            vec![point("F", Holding, (i * 2) as u16, F32, None)],
        );
        let p = poll_once(&mut client, &d).await.unwrap();
        assert_eq!(p.values.len(), 1, "{order:?}");
        assert_eq!(p.values[0].value, 230.5, "{order:?}");
    }
    let d = device(
        &sim,
        WordOrder::ABCD,
        vec![
            point("SS-V", Holding, 10, SunspecI16, Some(11)),
            point("SS-P", Holding, 12, SunspecI16, Some(13)),
            point("SS-NI", Holding, 14, SunspecI16, Some(15)),
            point("U32", Input, 0, U32, None),
            point("I32", Input, 2, I32, None),
        ],
    );
    assert_eq!(
        d.reads.len(),
        2,
        "contiguous registers in one read per table"
    );
    let p = poll_once(&mut client, &d).await.unwrap();
    let got: Vec<(&str, f64)> = p
        .values
        .iter()
        .map(|v| (v.sensor.as_str(), v.value))
        .collect();
    assert_eq!(
        got,
        [
            ("SS-V", 230.5),
            ("SS-P", -500.0),
            ("U32", 65538.0),
            ("I32", -2.0)
        ]
    );
    assert_eq!(
        p.no_value,
        ["SS-NI"],
        "a not-implemented marker yields no reading"
    );

    // Nothing the poller did was a write; the observer does see writes (checked with a raw
    // client, which is not the poller's).
    assert!(!sim.writes.exists() || std::fs::read_to_string(&sim.writes).unwrap().is_empty());
    use tokio_modbus::prelude::*;
    let mut raw = tcp::connect_slave(addr, Slave(1)).await.unwrap();
    raw.write_single_register(10, 7).await.unwrap().unwrap();
    let log = std::fs::read_to_string(&sim.writes).unwrap();
    assert_eq!(log.lines().count(), 1, "{log}");
}

#[tokio::test]
async fn an_illegal_address_is_a_typed_device_exception_and_yields_no_reading() {
    use DataType::*;
    use RegisterKind::*;
    let sim = start_sim(serde_json::json!({"unit": 1, "holding": {"0": [100, 200]}}));
    let mut client = ReadOnlyClient::connect(sim.addr, 1, Duration::from_secs(2))
        .await
        .unwrap();
    let d = device(
        &sim,
        WordOrder::ABCD,
        vec![
            point("OK", Holding, 0, U16, None),
            point("MISSING", Holding, 500, U16, None),
        ],
    );
    let p = poll_once(&mut client, &d).await.unwrap();
    assert_eq!(p.values.len(), 1);
    assert_eq!(
        (p.values[0].sensor.as_str(), p.values[0].value),
        ("OK", 100.0)
    );
    assert_eq!(p.exceptions.len(), 1);
    match &p.exceptions[0] {
        ReadError::Exception { code, start, .. } => {
            assert_eq!(*start, 500);
            assert!(code.to_lowercase().contains("address"), "{code}");
        }
        e => panic!("expected a device exception, got {e}"),
    }
    assert!(!p.exceptions[0].is_transport());
}

#[tokio::test]
async fn a_device_that_is_not_there_is_a_transport_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let err = ReadOnlyClient::connect(addr, 1, Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(err.is_transport(), "{err}");
}
