//! Devices described by the store itself: sensors whose `protocol` is Modbus and that have an
//! `ip_address` and `port`, with their point in `metadata.modbus`:
//!
//! ```json
//! {"modbus": {"register": "holding", "address": 0, "type": "f32",
//!             "unit_id": 1, "word_order": "CDAB", "scale_factor_address": null}}
//! ```
//!
//! Sensors at the same address and unit form one device, polled at the fastest sampling
//! rate among them.

use std::collections::BTreeMap;

use grid_model::SensorMetadata;
use grid_store::{SensorRepository, StoreResult};
use serde::Deserialize;

use crate::config::{DataType, DeviceConfig, PointConfig, RegisterKind, WordOrder};

#[derive(Deserialize)]
struct ModbusPoint {
    register: RegisterKind,
    address: u16,
    #[serde(rename = "type")]
    data_type: DataType,
    #[serde(default)]
    unit_id: Option<u8>,
    #[serde(default)]
    word_order: Option<WordOrder>,
    #[serde(default)]
    scale_factor_address: Option<u16>,
}

/// A Modbus sensor left out, and why: `(tag, reason)`.
pub type Skipped = (String, String);

/// The devices, and the Modbus sensors left out with the reason.
pub fn devices_from_store(
    conn: &mut diesel::PgConnection,
) -> StoreResult<(Vec<DeviceConfig>, Vec<Skipped>)> {
    let mut devices: BTreeMap<(String, u8), (DeviceConfig, f64)> = BTreeMap::new();
    let mut skipped = Vec::new();
    for s in conn.sensors()? {
        let modbus = s
            .protocol
            .as_deref()
            .is_some_and(|p| p.to_ascii_lowercase().starts_with("modbus")); // lint-ok: a protocol name, not the metadata key
        if !modbus {
            continue;
        }
        let (Some(ip), Some(port)) = (s.ip_address, s.port) else {
            skipped.push((s.tag, "no ip_address and port".into()));
            continue;
        };
        let point: ModbusPoint = match SensorMetadata::from_json(&s.metadata)
            .modbus
            .map(serde_json::from_value)
        {
            Some(Ok(p)) => p,
            Some(Err(e)) => {
                skipped.push((s.tag, format!("metadata.modbus: {e}")));
                continue;
            }
            None => {
                skipped.push((s.tag, "no metadata.modbus point map".into()));
                continue;
            }
        };
        let address = std::net::SocketAddr::new(ip, port as u16).to_string();
        let unit = point.unit_id.unwrap_or(1);
        let entry = devices.entry((address.clone(), unit)).or_insert_with(|| {
            let config = DeviceConfig {
                name: format!("{address}#{unit}"),
                address,
                unit_id: unit,
                poll_interval_ms: 1000,
                timeout_ms: 1000,
                word_order: point.word_order.unwrap_or_default(),
                failures_before_alert: 3,
                points: Vec::new(),
            };
            (config, 0.0)
        });
        entry.1 = entry.1.max(s.sampling_rate_hz);
        entry.0.points.push(PointConfig {
            tag: s.tag,
            register: point.register,
            address: point.address,
            data_type: point.data_type,
            scale_factor_address: point.scale_factor_address,
        });
    }
    let devices = devices
        .into_values()
        .map(|(mut d, rate)| {
            if rate > 0.0 {
                d.poll_interval_ms = ((1000.0 / rate).round() as u64).max(100);
            }
            d
        })
        .collect();
    Ok((devices, skipped))
}
