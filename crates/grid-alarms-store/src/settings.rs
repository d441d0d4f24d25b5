//! What the engine is tuned with: the per-quantity policy, floods, and when a reading is
//! late (its alarms are history, never announced as new).

use chrono::Duration;
use grid_alarms::{FloodRule, ThresholdPolicy};
use grid_timescale::OperatingLimits;

/// The engine's settings (grid-config's `limits` and `alarms.threshold`, `alarms.flood`,
/// `alarms.late_after_s`).
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSettings {
    /// The limits: voltage in four grades per level, the other types' bands.
    pub limits: OperatingLimits,
    /// Deadband and delays per quantity.
    pub threshold: ThresholdPolicy,
    /// Floods per operator area.
    pub flood: FloodRule,
    /// A reading older than this when it is evaluated is late (a backfill, a spool replayed
    /// after an outage): its alarms are recorded as history, never announced as new.
    pub late_after: Duration,
}

impl Default for AlarmSettings {
    fn default() -> Self {
        AlarmSettings {
            limits: OperatingLimits::default(),
            threshold: ThresholdPolicy::default(),
            flood: FloodRule::default(),
            late_after: Duration::minutes(5),
        }
    }
}
