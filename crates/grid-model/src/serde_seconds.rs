//! A `chrono::Duration` in configuration files as whole, non-negative seconds
//! (`on_delay_s = 60`): chrono's `Duration` has no serde form of its own, and a delay or a
//! window below zero means nothing. Use with `#[serde(with = "grid_model::serde_seconds")]`.

use chrono::Duration;
use serde::{Deserialize, Deserializer, Serializer};

/// Writes the duration's whole seconds.
pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(d.num_seconds())
}

/// Reads whole seconds; a negative number or a fraction is refused by the format's own error
/// (which names the key).
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u32::deserialize(d).map(|s| Duration::seconds(s.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Delay {
        #[serde(with = "super")]
        on_delay_s: Duration,
    }

    #[test]
    fn whole_seconds_both_ways_and_negative_refused() {
        let d: Delay = serde_json::from_str(r#"{"on_delay_s": 90}"#).unwrap();
        assert_eq!(d.on_delay_s, Duration::seconds(90));
        assert_eq!(serde_json::to_string(&d).unwrap(), r#"{"on_delay_s":90}"#);
        assert!(serde_json::from_str::<Delay>(r#"{"on_delay_s": -1}"#).is_err());
        assert!(serde_json::from_str::<Delay>(r#"{"on_delay_s": 1.5}"#).is_err());
    }
}
