//! What an outage alert's metadata says about the interruption.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The keys of an outage alert's metadata this product reads: the one definition every
/// crate asks. Other keys are kept as they are.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OutageMetadata {
    /// The device that interrupted supply (a feeder breaker, a recloser), as protection names
    /// it. IEEE 1366 groups momentary operations into events per interrupting device; an
    /// outage that names none is its substation's, and interrupts every substation it feeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupting_device: Option<String>,
    /// Every other key, as stored.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

impl OutageMetadata {
    /// Reads stored metadata; a device that is not a non-empty string counts as none.
    pub fn from_json(value: &Value) -> OutageMetadata {
        let Value::Object(map) = value else {
            return OutageMetadata::default();
        };
        let mut other = map.clone();
        let interrupting_device = other
            .remove("interrupting_device")
            .and_then(|v| v.as_str().map(str::trim).map(str::to_owned))
            .filter(|d| !d.is_empty());
        OutageMetadata {
            interrupting_device,
            other,
        }
    }

    /// The JSON object to store.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| Value::Object(Default::default()))
    }
}

#[cfg(test)]
mod outage_metadata_tests {
    use super::*;

    #[test]
    fn the_device_round_trips_and_a_bad_one_is_none() {
        let m = OutageMetadata {
            interrupting_device: Some("F3 breaker".into()),
            ..Default::default()
        };
        assert_eq!(OutageMetadata::from_json(&m.to_json()), m);
        let bad = serde_json::json!({"interrupting_device": 7, "crew": "4"});
        let read = OutageMetadata::from_json(&bad);
        assert_eq!(read.interrupting_device, None);
        assert_eq!(read.other["crew"], "4");
    }
}
