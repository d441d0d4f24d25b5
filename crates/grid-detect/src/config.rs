//! What the engine is told about each kind of grid quantity, and the alarm hygiene of its
//! alerts.

use chrono::Duration;
use grid_anomaly::Config;
use grid_model::{AlertSeverity, SensorType};
use serde::{Deserialize, Serialize};

/// The largest change per second each quantity can physically make, where one is known
/// (`None`: it can step, e.g. load or voltage on switching).
///
/// - transformer top oil: 0.1 K/s. C57.91 clause 7 gives the top-oil rise an exponential
///   response with the oil time constant (≥ 60 min even for directed cooling); from rated to
///   2 pu load the initial rate is about (152 − 55) K / 60 min ≈ 0.03 K/s; the limit keeps a
///   threefold margin.
/// - other temperatures (winding hot-spot, ambient): 0.5 K/s. The hot-spot gradient follows
///   the winding time constant (4–10 min, IEC 60076-7 Table 4): at 2 pu about 50 K over 4 min
///   ≈ 0.2 K/s.
/// - frequency: 2 Hz/s, past the rate-of-change-of-frequency withstand grid codes require
///   of generators (1–2 Hz/s; ENTSO-E RfG).
pub fn max_rate_per_s(kind: SensorType) -> Option<f64> {
    match kind {
        SensorType::TransformerOil => Some(0.1),
        SensorType::Temperature => Some(0.5),
        SensorType::Frequency => Some(2.0),
        _ => None,
    }
}

/// The engine's configuration for a sensor of `kind`: the defaults, the quantity's physical
/// rate, and exact zero not counted as stuck (a de-energised circuit reads 0: an outage is a
/// level shift, not a frozen transducer).
pub fn engine_config(kind: SensorType) -> Config {
    Config {
        max_rate_per_s: max_rate_per_s(kind),
        zero_can_be_stuck: false,
        ..Config::default()
    }
}

/// The alarm hygiene of anomaly alerts (ISA-18.2 / IEC 62682 practice: an on-delay, one
/// alert per condition, floods collapsed). In a file (grid-config's `alarms.anomaly`):
/// `min_severity`, `min_readings`, `storm_sensors`, `storm_window_s`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertPolicy {
    /// Episodes below this severity raise no alert (they stay in `anomaly_detections` for
    /// investigation).
    pub min_severity: AlertSeverity,
    /// An episode raises its alert once it has this many anomalous readings (so a spike,
    /// three readings at most, never does).
    pub min_readings: u32,
    /// This many sensors of one substation with episodes starting within
    /// [`AlertPolicy::storm_window`] are a storm: one substation alert instead of one each.
    pub storm_sensors: usize,
    /// See [`AlertPolicy::storm_sensors`] (`storm_window_s` in a file).
    #[serde(rename = "storm_window_s", with = "grid_model::serde_seconds")]
    pub storm_window: Duration,
}

impl AlertPolicy {
    /// Checks the settings; names the one that cannot work.
    pub fn validate(&self) -> Result<(), String> {
        if self.min_readings == 0 {
            return Err("min_readings: must be at least 1".into());
        }
        if self.storm_sensors < 2 {
            return Err(format!(
                "storm_sensors: {} cannot make a storm of several sensors (at least 2)",
                self.storm_sensors
            ));
        }
        Ok(())
    }
}

impl Default for AlertPolicy {
    fn default() -> Self {
        AlertPolicy {
            min_severity: AlertSeverity::Warning,
            min_readings: 5,
            storm_sensors: 4,
            storm_window: Duration::minutes(10),
        }
    }
}

/// Who raises and resolves anomaly alerts.
pub const ACTOR: &str = "anomaly-engine";
