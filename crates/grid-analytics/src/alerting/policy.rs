//! The alarm policy of threshold alarms per sensor type: which types alarm, with which
//! deadband and delays (so a noisy signal at a limit raises once), what kind of alert a
//! crossing raises and how severe it is.
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
//! on-delay only skips a lone sample); the 60 s off-delay outlasts a return of up to a minute
//! (a 40 s oscillation across the limit is one alarm). Other types raise no threshold alarm.

use chrono::Duration;
use grid_model::{AlertKind, AlertSeverity, SensorType};
use grid_timescale::Band;

use super::{Condition, ThresholdRule};

/// Deadband and delays of one quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// Deadband in the value's unit.
    pub deadband: f64,
    /// On-delay.
    pub on_delay: Duration,
    /// Off-delay.
    pub off_delay: Duration,
}

/// The default tuning of a sensor of `kind` (`nominal_kv` for voltage's deadband); `None`
/// for types that raise no threshold alarm.
pub fn tuning(kind: SensorType, nominal_kv: f64) -> Option<Tuning> {
    let (deadband, on, off) = match kind {
        SensorType::Voltage => (0.01 * nominal_kv, 10, 60),
        SensorType::Frequency => (0.05, 5, 60),
        SensorType::TransformerOil | SensorType::Temperature => (2.0, 60, 60),
        _ => return None,
    };
    Some(Tuning {
        deadband,
        on_delay: Duration::seconds(on),
        off_delay: Duration::seconds(off),
    })
}

/// The rule for a sensor of `kind` with operating `band` and nominal voltage `nominal_kv`
/// (voltage), with the default [`tuning`]; `None` for types that raise no threshold alarm.
pub fn rule_for(kind: SensorType, band: Band, nominal_kv: f64) -> Option<ThresholdRule> {
    let t = tuning(kind, nominal_kv)?;
    Some(ThresholdRule {
        min: band.min,
        max: band.max,
        deadband: t.deadband,
        on_delay: t.on_delay,
        off_delay: t.off_delay,
    })
}

/// The kind of alert a crossing on a sensor of `kind` raises.
pub fn alert_kind(kind: SensorType, condition: Condition) -> AlertKind {
    match (kind, condition) {
        (SensorType::Voltage, Condition::Low) => AlertKind::VoltageLow,
        (SensorType::Voltage, Condition::High) => AlertKind::VoltageHigh,
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

/// How severe: a voltage below half its nominal is an emergency (supply effectively
/// lost); voltage and temperature crossings are critical; the rest warnings.
pub fn severity(kind: &AlertKind, value: f64, nominal_kv: f64) -> AlertSeverity {
    match kind {
        AlertKind::VoltageLow if value < 0.5 * nominal_kv => AlertSeverity::Emergency,
        AlertKind::Overheating | AlertKind::VoltageLow | AlertKind::VoltageHigh => {
            AlertSeverity::Critical
        }
        _ => AlertSeverity::Warning,
    }
}
