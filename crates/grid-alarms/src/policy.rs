//! The alarm policy of limit alarms per sensor type: which types alarm, with which deadband
//! and delays (so a noisy signal at a limit raises once), what kind of alert a crossing
//! raises and how severe each grade is.
//!
//! Defaults, from the ISA-18.2 / EEMUA 191 starting points (temperature: deadband about 1 %
//! of range, on- and off-delay 60 s) adapted per quantity:
//!
//! | quantity            | deadband        | on-delay | off-delay |
//! |---------------------|-----------------|----------|-----------|
//! | voltage             | 1 % of nominal  | 10 s     | 60 s      |
//! | frequency           | 0.05 Hz         | 5 s      | 60 s      |
//! | oil and winding °C  | 2 °C            | 60 s     | 60 s      |
//!
//! Frequency and voltage raise fast (a system disturbance needs the operator now; the
//! on-delay only skips lone samples: it is continuous, any sample inside the limit restarts
//! it); the 60 s off-delay outlasts a return of up to a minute (a 40 s oscillation across the
//! limit is one alarm). Other types raise no limit alarm. [`ThresholdPolicy`] holds these
//! defaults; a configuration (grid-config's `alarms.threshold`) may replace any quantity's.
//!
//! Priorities (ISA-18.2 prioritises by consequence and time to respond): a grade past the
//! emergency band (LoLo, HiHi) is critical, one past the normal band (Lo, Hi) a warning —
//! critical too on a point with no emergency band (a single limit is its only warning);
//! a voltage below half its nominal is an emergency (supply effectively lost).

use chrono::Duration;
use grid_model::alarm::{GradedLimits, Side, is_emergency};
use grid_model::{AlarmGrade, AlertKind, AlertSeverity, SensorType};
use serde::{Deserialize, Serialize};

use crate::limits::AlarmRule;

/// Deadband and delays of one quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tuning {
    /// Deadband in the value's unit (in [`ThresholdPolicy::voltage`]: percent of the nominal
    /// voltage).
    pub deadband: f64,
    /// On-delay (`on_delay_s` in a file).
    #[serde(rename = "on_delay_s", with = "grid_model::serde_seconds")]
    pub on_delay: Duration,
    /// Off-delay (`off_delay_s` in a file).
    #[serde(rename = "off_delay_s", with = "grid_model::serde_seconds")]
    pub off_delay: Duration,
}

impl Tuning {
    fn new(deadband: f64, on_s: i64, off_s: i64) -> Tuning {
        Tuning {
            deadband,
            on_delay: Duration::seconds(on_s),
            off_delay: Duration::seconds(off_s),
        }
    }
}

/// The alarm policy of threshold alarms: one [`Tuning`] per quantity that alarms. The
/// defaults are the table above; a configuration (grid-config's `alarms.threshold`) may
/// replace any quantity's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThresholdPolicy {
    /// Voltage; its deadband in percent of the nominal voltage.
    pub voltage: Tuning,
    /// Frequency; deadband in Hz.
    pub frequency: Tuning,
    /// Oil and winding temperatures; deadband in °C.
    pub temperature: Tuning,
}

impl Default for ThresholdPolicy {
    fn default() -> Self {
        ThresholdPolicy {
            voltage: Tuning::new(1.0, 10, 60),
            frequency: Tuning::new(0.05, 5, 60),
            temperature: Tuning::new(2.0, 60, 60),
        }
    }
}

impl ThresholdPolicy {
    /// The tuning of a sensor of `kind` in the value's unit (`nominal_kv` turns voltage's
    /// percentage into kV); `None` for types that raise no threshold alarm.
    pub fn tuning(&self, kind: SensorType, nominal_kv: f64) -> Option<Tuning> {
        match kind {
            SensorType::Voltage => Some(Tuning {
                deadband: self.voltage.deadband / 100.0 * nominal_kv,
                ..self.voltage
            }),
            SensorType::Frequency => Some(self.frequency),
            SensorType::TransformerOil | SensorType::Temperature => Some(self.temperature),
            _ => None,
        }
    }

    /// The rule for a sensor of `kind` with `limits` and nominal voltage `nominal_kv`
    /// (voltage); `None` for types that raise no limit alarm, or no limits.
    pub fn rule_for(
        &self,
        kind: SensorType,
        limits: GradedLimits,
        nominal_kv: f64,
    ) -> Option<AlarmRule> {
        let t = self.tuning(kind, nominal_kv)?;
        (!limits.is_empty()).then_some(AlarmRule {
            limits,
            deadband: t.deadband,
            on_delay: t.on_delay,
            off_delay: t.off_delay,
        })
    }

    /// Checks every tuning: a deadband finite and not negative (a negative one would clear
    /// an alarm still past its limit); names the quantity and what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        for (name, t) in [
            ("voltage", self.voltage),
            ("frequency", self.frequency),
            ("temperature", self.temperature),
        ] {
            if !t.deadband.is_finite() || t.deadband < 0.0 {
                return Err(format!(
                    "{name}.deadband: {} is not a finite value of at least 0",
                    t.deadband
                ));
            }
        }
        if self.voltage.deadband >= 50.0 {
            return Err(format!(
                "voltage.deadband: {} % of nominal is wider than any voltage band",
                self.voltage.deadband
            ));
        }
        Ok(())
    }
}

/// The kind of alert a crossing on a sensor of `kind` raises.
pub fn alert_kind(kind: SensorType, side: Side) -> AlertKind {
    match (kind, side) {
        (SensorType::Voltage, Side::Low) => AlertKind::VoltageLow,
        (SensorType::Voltage, Side::High) => AlertKind::VoltageHigh,
        (SensorType::Frequency, _) => AlertKind::FrequencyExcursion,
        _ => AlertKind::Overheating,
    }
}

/// Whether alarms of a sensor of `kind` are suppressed while its substation is
/// de-energised (ISA-18.2 state-based suppression): voltage and frequency read nothing
/// meaningful on a dead bus, and the outage is already alarmed.
pub fn suppressed_during_outage(kind: SensorType) -> bool {
    matches!(kind, SensorType::Voltage | SensorType::Frequency)
}

/// The priority of an alarm of `kind` at `grade` with its worst `value` (see the module
/// docs); `emergency_band` says whether the point has one.
pub fn severity(
    kind: &AlertKind,
    grade: AlarmGrade,
    value: f64,
    nominal_kv: f64,
    emergency_band: bool,
) -> AlertSeverity {
    if *kind == AlertKind::VoltageLow && value < 0.5 * nominal_kv {
        AlertSeverity::Emergency
    } else if is_emergency(grade) || !emergency_band {
        AlertSeverity::Critical
    } else {
        AlertSeverity::Warning
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voltage_deadband_is_a_share_of_nominal_and_others_have_none() {
        let p = ThresholdPolicy::default();
        let t = p.tuning(SensorType::Voltage, 132.0).unwrap();
        assert!((t.deadband - 1.32).abs() < 1e-12);
        assert_eq!(t.on_delay, Duration::seconds(10));
        assert_eq!(p.tuning(SensorType::Current, 132.0), None);
        let limits = GradedLimits {
            hi: Some(105.0),
            ..Default::default()
        };
        let r = p.rule_for(SensorType::TransformerOil, limits, 0.0).unwrap();
        assert_eq!((r.limits.hi, r.deadband), (Some(105.0), 2.0));
        assert_eq!(
            p.rule_for(SensorType::Frequency, GradedLimits::default(), 0.0),
            None
        );
    }

    #[test]
    fn a_negative_or_absurd_deadband_is_refused_by_name() {
        let mut p = ThresholdPolicy::default();
        assert_eq!(p.validate(), Ok(()));
        p.frequency.deadband = -0.1;
        assert!(p.validate().unwrap_err().starts_with("frequency.deadband"));
        p.frequency.deadband = 0.05;
        p.voltage.deadband = 60.0;
        assert!(p.validate().unwrap_err().starts_with("voltage.deadband"));
    }
}
