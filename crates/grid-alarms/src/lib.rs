#![doc = include_str!("../README.md")]

pub mod flood;
pub mod kpi;
pub mod limits;
pub mod point;
pub mod policy;

pub use flood::{FloodEvent, FloodRule, FloodTracker};
pub use kpi::{AlarmKpis, AlarmRecord, kpis};
pub use limits::{AlarmRule, GradedLimits, Side};
pub use point::{AlarmEvent, PointAlarm};
pub use policy::ThresholdPolicy;

#[cfg(test)]
mod tests;
