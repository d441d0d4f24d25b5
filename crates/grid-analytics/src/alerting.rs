//! The alerting rule: a threshold crossed raises one alert per condition, which resolves by
//! itself when the condition clears — with hysteresis, so a value hovering at a limit does
//! not chatter.
//!
//! A value above `max` (or below `min`) starts a condition. It clears only when the value is
//! back inside the band by the hysteresis margin (below `max − hysteresis`, above
//! `min + hysteresis`); in between the condition holds. An optional minimum duration keeps a
//! single stray reading from raising anything.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Which side of the band was crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Condition {
    /// Above the upper limit.
    High,
    /// Below the lower limit.
    Low,
}

/// A rule for one measured quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThresholdRule {
    /// Lower limit (`None`: none).
    pub min: Option<f64>,
    /// Upper limit.
    pub max: Option<f64>,
    /// How far back inside the band a value must come to clear, in the value's unit.
    pub hysteresis: f64,
    /// How long past the limit before raising (zero: at once).
    pub min_duration: Duration,
}

/// What the detector decided on a reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AlertEvent {
    /// A condition began (at its first out-of-limit reading).
    Raise {
        /// Which side.
        condition: Condition,
        /// When it began.
        at: DateTime<Utc>,
        /// The value that crossed.
        value: f64,
        /// The limit crossed.
        threshold: f64,
    },
    /// The condition cleared.
    Clear {
        /// Which side.
        condition: Condition,
        /// When it cleared.
        at: DateTime<Utc>,
        /// The value that cleared it.
        value: f64,
        /// The most extreme value while it held.
        worst: f64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Normal,
    /// Past the limit since `since`, not raised yet (minimum duration).
    Pending {
        condition: Condition,
        since: DateTime<Utc>,
        value: f64,
    },
    Active {
        condition: Condition,
        worst: f64,
    },
}

/// Applies a [`ThresholdRule`] to one sensor's readings in time order.
#[derive(Debug, Clone)]
pub struct Detector {
    rule: ThresholdRule,
    state: State,
}

impl Detector {
    /// A detector in the normal state.
    pub fn new(rule: ThresholdRule) -> Detector {
        Detector {
            rule,
            state: State::Normal,
        }
    }

    /// Whether a condition is active.
    pub fn active(&self) -> Option<Condition> {
        match self.state {
            State::Active { condition, .. } => Some(condition),
            _ => None,
        }
    }

    fn crossed(&self, v: f64) -> Option<(Condition, f64)> {
        match (self.rule.max, self.rule.min) {
            (Some(max), _) if v > max => Some((Condition::High, max)),
            (_, Some(min)) if v < min => Some((Condition::Low, min)),
            _ => None,
        }
    }

    fn cleared(&self, c: Condition, v: f64) -> bool {
        let h = self.rule.hysteresis;
        match c {
            Condition::High => self.rule.max.is_none_or(|max| v < max - h),
            Condition::Low => self.rule.min.is_none_or(|min| v > min + h),
        }
    }

    /// Feeds one reading; non-finite values are ignored (they are not measurements).
    pub fn observe(&mut self, at: DateTime<Utc>, v: f64) -> Option<AlertEvent> {
        if !v.is_finite() {
            return None;
        }
        match self.state {
            State::Normal => {
                let (condition, threshold) = self.crossed(v)?;
                if self.rule.min_duration <= Duration::zero() {
                    self.state = State::Active {
                        condition,
                        worst: v,
                    };
                    Some(AlertEvent::Raise {
                        condition,
                        at,
                        value: v,
                        threshold,
                    })
                } else {
                    self.state = State::Pending {
                        condition,
                        since: at,
                        value: v,
                    };
                    None
                }
            }
            State::Pending {
                condition,
                since,
                value,
            } => match self.crossed(v) {
                Some((c, threshold)) if c == condition => {
                    if at - since >= self.rule.min_duration {
                        let worst = if condition == Condition::High {
                            value.max(v)
                        } else {
                            value.min(v)
                        };
                        self.state = State::Active { condition, worst };
                        Some(AlertEvent::Raise {
                            condition,
                            at: since,
                            value,
                            threshold,
                        })
                    } else {
                        None
                    }
                }
                _ => {
                    self.state = State::Normal;
                    self.observe(at, v)
                }
            },
            State::Active { condition, worst } => {
                if self.cleared(condition, v) {
                    self.state = State::Normal;
                    Some(AlertEvent::Clear {
                        condition,
                        at,
                        value: v,
                        worst,
                    })
                } else {
                    let worst = if condition == Condition::High {
                        worst.max(v)
                    } else {
                        worst.min(v)
                    };
                    self.state = State::Active { condition, worst };
                    None
                }
            }
        }
    }
}

/// The alarm policy of threshold alarms per sensor type: which types alarm, how much
/// hysteresis keeps a value hovering at a limit from chattering (ISA-18.2 deadband), what
/// kind of alert a crossing raises and how severe it is.
pub mod policy {
    use chrono::Duration;
    use grid_model::{AlertKind, AlertSeverity, SensorType};
    use grid_timescale::Band;

    use super::{Condition, ThresholdRule};

    /// The rule for a sensor of `kind` with operating `band` and nominal voltage `nominal_kv`
    /// (voltage); `None` for types that raise no threshold alarm. Hysteresis: 1 % of nominal
    /// for voltage, 0.05 Hz for frequency, 2 °C for temperatures.
    pub fn rule_for(kind: SensorType, band: Band, nominal_kv: f64) -> Option<ThresholdRule> {
        let hysteresis = match kind {
            SensorType::Voltage => 0.01 * nominal_kv,
            SensorType::Frequency => 0.05,
            SensorType::TransformerOil | SensorType::Temperature => 2.0,
            _ => return None,
        };
        Some(ThresholdRule {
            min: band.min,
            max: band.max,
            hysteresis,
            min_duration: Duration::zero(),
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(i: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap() + Duration::minutes(i)
    }

    fn rule() -> ThresholdRule {
        ThresholdRule {
            min: Some(49.5),
            max: Some(50.5),
            hysteresis: 0.1,
            min_duration: Duration::zero(),
        }
    }

    #[test]
    fn hovering_across_the_limit_gives_one_alert_and_one_resolution() {
        let mut d = Detector::new(rule());
        let mut events = Vec::new();
        // 200 readings hovering around the 50.5 limit, inside the hysteresis band.
        for i in 0..200 {
            let v = if i % 2 == 0 { 50.55 } else { 50.45 };
            events.extend(d.observe(at(i), v));
        }
        // Then back to normal.
        events.extend(d.observe(at(200), 50.0));
        events.extend(d.observe(at(201), 50.0));
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(
            matches!(events[0], AlertEvent::Raise { condition: Condition::High, value, threshold, .. } if value == 50.55 && threshold == 50.5)
        );
        assert!(
            matches!(events[1], AlertEvent::Clear { condition: Condition::High, worst, .. } if worst == 50.55)
        );
        assert_eq!(d.active(), None);
    }

    #[test]
    fn low_side_and_garbage() {
        let mut d = Detector::new(rule());
        assert_eq!(d.observe(at(0), f64::NAN), None);
        assert!(matches!(
            d.observe(at(1), 49.2),
            Some(AlertEvent::Raise {
                condition: Condition::Low,
                ..
            })
        ));
        assert_eq!(
            d.observe(at(2), 49.55),
            None,
            "inside the band but not by the margin"
        );
        assert!(
            matches!(d.observe(at(3), 49.7), Some(AlertEvent::Clear { condition: Condition::Low, worst, .. }) if worst == 49.2)
        );
    }

    #[test]
    fn a_minimum_duration_ignores_a_single_stray_reading() {
        let mut d = Detector::new(ThresholdRule {
            min_duration: Duration::minutes(2),
            ..rule()
        });
        assert_eq!(d.observe(at(0), 51.0), None);
        assert_eq!(d.observe(at(1), 50.0), None);
        assert_eq!(d.observe(at(2), 51.0), None);
        assert_eq!(d.observe(at(3), 51.2), None);
        let raised = d.observe(at(4), 51.1);
        assert!(
            matches!(raised, Some(AlertEvent::Raise { at: t, .. }) if t == at(2)),
            "{raised:?}"
        );
    }
}
