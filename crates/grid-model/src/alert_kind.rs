//! What an alert is about: the one definition of every alert kind the product raises.
//!
//! `grid_alerts.alert_type` is free text in the schema (`varchar(100)`, no CHECK), so rows
//! written by other tools may carry kinds of their own; they read back as
//! [`AlertKind::Other`] rather than being hidden, and nothing of ours raises one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! alert_kinds {
    ($( $(#[$m:meta])* $variant:ident => $text:literal ),+ $(,)?) => {
        /// The kind of an alert, stored as its lowercase text in `grid_alerts.alert_type`.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum AlertKind {
            $( $(#[$m])* $variant, )+
            /// A kind this product does not raise (written by another system), kept as stored.
            Other(String),
        }

        impl AlertKind {
            /// Every kind this product raises, in declaration order.
            pub const KNOWN: &'static [AlertKind] = &[$(AlertKind::$variant),+];

            /// The stored text.
            pub fn as_str(&self) -> &str {
                match self {
                    $( AlertKind::$variant => $text, )+
                    AlertKind::Other(s) => s,
                }
            }
        }

        impl From<String> for AlertKind {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $( $text => AlertKind::$variant, )+
                    _ => AlertKind::Other(s),
                }
            }
        }
    };
}

alert_kinds! {
    /// Supply lost at a substation (an interruption in the sense of IEEE 1366).
    Outage => "outage",
    /// A field device stopped answering its poller.
    DeviceCommunication => "device_communication",
    /// Voltage below its band (ANSI C84.1 / the grid code's statutory band).
    VoltageLow => "voltage_low",
    /// Voltage above its band.
    VoltageHigh => "voltage_high",
    /// Frequency outside its band.
    FrequencyExcursion => "frequency_excursion",
    /// A winding or oil temperature sensor above its band.
    Overheating => "overheating",
    /// A transformer's hot-spot (measured, or the thermal model's) above a loading limit of
    /// IEEE C57.91 Table 7 or IEC 60076-7 Table 3.
    HotSpotOverLimit => "hot_spot_over_limit",
    /// A transformer's top oil above a loading limit of those tables.
    TopOilOverLimit => "top_oil_over_limit",
    /// An anomaly episode of one sensor's readings (or of a substation's feeders against its
    /// incomers), found by the anomaly engine.
    SensorAnomaly => "sensor_anomaly",
    /// Anomaly episodes on many sensors of one substation at once: one alert for the storm
    /// instead of one per sensor.
    AnomalyStorm => "anomaly_storm",
    /// More alarms of one operator area than an operator can handle (EEMUA 191: more than 10
    /// in 10 minutes): one alert for the flood, with its count and its first alarm.
    AlarmFlood => "alarm_flood",
    /// A critical or emergency SCADA security event (a refused write, a scan, a device whose
    /// identity changed…), one alert per folded event row.
    SecurityEvent => "security_event",
}

impl From<&str> for AlertKind {
    fn from(s: &str) -> Self {
        AlertKind::from(s.to_owned())
    }
}

impl From<AlertKind> for String {
    fn from(k: AlertKind) -> Self {
        match k {
            AlertKind::Other(s) => s,
            known => known.as_str().to_owned(),
        }
    }
}

impl FromStr for AlertKind {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(AlertKind::from(s))
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_kind_reads_back_as_itself() {
        for k in AlertKind::KNOWN {
            assert_eq!(AlertKind::from(k.as_str()), *k);
            let json = serde_json::to_value(k).unwrap();
            assert_eq!(json, serde_json::Value::String(k.as_str().into()));
            assert_eq!(serde_json::from_value::<AlertKind>(json).unwrap(), *k);
        }
    }

    #[test]
    fn a_foreign_kind_is_kept_as_stored() {
        let k = AlertKind::from("breaker_trip");
        assert_eq!(k, AlertKind::Other("breaker_trip".into()));
        assert_eq!(k.as_str(), "breaker_trip");
    }
}
