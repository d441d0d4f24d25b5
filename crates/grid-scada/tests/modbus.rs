//! Against a real Modbus TCP peer: a pymodbus server (installed by scripts/install-deps into
//! target/scada-venv), started by the test.

use grid_testkit::modbus as sim;

use std::net::SocketAddr;
use std::time::Duration;

use grid_scada::client::{ReadError, ReadOnlyClient};
use grid_scada::config::{DataType, DeviceConfig, PointConfig, RegisterKind, WordOrder};
use grid_scada::decode::encode_f32;
use grid_scada::poll::{PlannedDevice, poll_once};
use sim::{Sim, start_sim};

fn point(
    tag: &str,
    register: RegisterKind,
    address: u16,
    data_type: DataType,
    sf: Option<u16>,
) -> PointConfig {
    PointConfig {
        tag: tag.into(),
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
            point("SS-V", Holding, 10, SunspecInt16, Some(11)),
            point("SS-P", Holding, 12, SunspecInt16, Some(13)),
            point("SS-NI", Holding, 14, SunspecInt16, Some(15)),
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
    let got: Vec<(&str, f64)> = p.values.iter().map(|v| (v.tag.as_str(), v.value)).collect();
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
    assert_eq!((p.values[0].tag.as_str(), p.values[0].value), ("OK", 100.0));
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
    // A port held bound but not listening: nothing else can take it, and a connection to
    // it is refused (a port merely found free could be taken by a parallel test meanwhile).
    let held = sim::reserve_port();
    let addr: SocketAddr = format!("127.0.0.1:{}", held.port).parse().unwrap();
    let err = ReadOnlyClient::connect(addr, 1, Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(err.is_transport(), "{err}");
}

/// Defect 4 of the hardening issue: ports found free by binding `:0` and dropping the
/// listener could be taken by a parallel test's server meanwhile. A held port cannot be.
#[test]
fn a_reserved_port_refuses_connections_and_nobody_else_can_take_it() {
    let held = sim::reserve_port();
    assert!(std::net::TcpListener::bind(("127.0.0.1", held.port)).is_err());
    assert!(std::net::TcpStream::connect(("127.0.0.1", held.port)).is_err());
}
