//! One poll of one device: every planned read, then every point decoded. A point whose read
//! failed, or whose registers hold no value, yields no reading — nothing is fabricated.

use crate::client::{ReadError, ReadOnlyClient};
use crate::config::DeviceConfig;
use crate::decode::decode;
use crate::plan::{Read, plan, registers};

/// A point's value.
#[derive(Debug, Clone, PartialEq)]
pub struct PointValue {
    /// The tag of the sensor it feeds.
    pub tag: String,
    /// The decoded value (raw: calibration is applied at ingest).
    pub value: f64,
}

/// What one poll produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Poll {
    /// Decoded values.
    pub values: Vec<PointValue>,
    /// Reads the device refused (its points yielded nothing).
    pub exceptions: Vec<ReadError>,
    /// Points whose registers held a "not implemented" marker or garbage.
    pub no_value: Vec<String>,
}

/// A device with its read plan.
#[derive(Debug, Clone)]
pub struct PlannedDevice {
    /// Its configuration.
    pub config: DeviceConfig,
    /// Its reads.
    pub reads: Vec<Read>,
}

impl PlannedDevice {
    /// Plans the reads of a device.
    pub fn new(config: DeviceConfig) -> PlannedDevice {
        let reads = plan(&config.points);
        PlannedDevice { config, reads }
    }
}

/// Polls every point of `device`. A transport error or timeout fails the whole poll (the
/// connection is gone); a device exception only loses the points of that read.
pub async fn poll_once(
    client: &mut ReadOnlyClient,
    device: &PlannedDevice,
) -> Result<Poll, ReadError> {
    let mut answers: Vec<Option<Vec<u16>>> = Vec::with_capacity(device.reads.len());
    let mut poll = Poll::default();
    for r in &device.reads {
        match client.read(r).await {
            Ok(words) => answers.push(Some(words)),
            Err(e) if !e.is_transport() => {
                poll.exceptions.push(e);
                answers.push(None);
            }
            Err(e) => return Err(e),
        }
    }
    let order = device.config.word_order;
    for p in &device.config.points {
        let Some(words) = registers(
            &device.reads,
            &answers,
            p.register,
            p.address,
            p.data_type.words(),
        ) else {
            continue; // its read failed: no reading
        };
        let scale = match p.scale_factor_address {
            Some(a) => match registers(&device.reads, &answers, p.register, a, 1) {
                Some(w) => Some(w[0]),
                None => continue,
            },
            None => None,
        };
        match decode(words, p.data_type, order, scale) {
            Some(value) => poll.values.push(PointValue {
                tag: p.tag.clone(),
                value,
            }),
            None => poll.no_value.push(p.tag.clone()),
        }
    }
    Ok(poll)
}
