//! The rule that applies a point's limits ([`GradedLimits`], grid-model's).

use chrono::Duration;
pub use grid_model::alarm::{GradedLimits, Side, is_emergency, side};
use serde::{Deserialize, Serialize};

/// A point's alarm rule: its limits, and the three tools ISA-18.2 / IEC 62682 name against
/// chattering — a deadband, an on-delay and an off-delay.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlarmRule {
    /// The limits.
    pub limits: GradedLimits,
    /// How far back inside a limit a value must come to count as back, in the value's unit.
    pub deadband: f64,
    /// How long a value must stay past a limit, without one sample inside it, before the
    /// alarm (or its escalation) is raised; zero: at its first sample.
    pub on_delay: Duration,
    /// How long a value must stay back before the alarm clears (or de-escalates).
    pub off_delay: Duration,
}
