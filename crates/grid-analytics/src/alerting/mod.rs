//! The alerting rule: a threshold crossed raises one alert per condition, which resolves by
//! itself when the condition clears, with the three tools ISA-18.2 / IEC 62682 name against
//! chattering alarms: a deadband, an on-delay and an off-delay — and the worst value kept.
//!
//! - A value above `max` (or below `min`) starts a condition. It is *back* only when the value
//!   is inside the band by the deadband (below `max − deadband`, above `min + deadband`); in
//!   the deadband the condition holds.
//! - **On-delay**: the alarm is raised only once the condition has lasted `on_delay` (measured
//!   between the readings' timestamps) and the value is past the limit again; a return
//!   shorter than the off-delay does not restart the count, so a signal flickering across the
//!   limit raises once instead of never or on every crossing.
//! - **Off-delay**: a raised alarm clears (and a pending one is dropped) only after the value
//!   has stayed back for `off_delay`; any reading not back restarts that count.
//! - **Worst value**: the most extreme value since the condition began, pending time
//!   included, is what the raise reports and what the clear carries.
//!
//! Events are emitted when the delays confirm them, but stamped with the condition's own
//! edges: a raise with the instant the condition began, a clear with the instant the value
//! came back. Defaults per quantity, and the configurable policy, are in [`policy`].

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

impl Condition {
    /// The more extreme of two values for this side.
    fn worse(self, a: f64, b: f64) -> f64 {
        match self {
            Condition::High => a.max(b),
            Condition::Low => a.min(b),
        }
    }
}

/// A rule for one measured quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThresholdRule {
    /// Lower limit (`None`: none).
    pub min: Option<f64>,
    /// Upper limit.
    pub max: Option<f64>,
    /// How far back inside the band a value must come to count as back, in the value's unit
    /// (ISA-18.2 deadband).
    pub deadband: f64,
    /// How long a condition must last before it is raised (zero: at its first reading).
    pub on_delay: Duration,
    /// How long the value must stay back before the alarm clears (zero: at once).
    pub off_delay: Duration,
}

/// What the detector decided on a reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AlertEvent {
    /// A condition was confirmed by the on-delay.
    Raise {
        /// Which side.
        condition: Condition,
        /// When the condition began (its first reading past the limit).
        at: DateTime<Utc>,
        /// The worst value since it began.
        value: f64,
        /// The limit crossed.
        threshold: f64,
    },
    /// The condition cleared, confirmed by the off-delay.
    Clear {
        /// Which side.
        condition: Condition,
        /// When the value came back (the first reading of the return that lasted).
        at: DateTime<Utc>,
        /// The value that confirmed it.
        value: f64,
        /// The most extreme value while the condition held.
        worst: f64,
    },
}

/// A condition that began and has not ended yet.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Held {
    condition: Condition,
    /// Its first reading past the limit.
    since: DateTime<Utc>,
    /// The most extreme value since.
    worst: f64,
    /// The first reading of the current return inside the band by the deadband, if any.
    back_since: Option<DateTime<Utc>>,
    /// Whether the on-delay confirmed it (an alert is raised).
    raised: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Normal,
    Holding(Held),
}

/// Applies a [`ThresholdRule`] to one sensor's readings in time order.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use grid_analytics::alerting::{AlertEvent, Detector, policy::ThresholdPolicy};
/// use grid_model::SensorType;
/// use grid_timescale::Band;
///
/// // Frequency on 49.5–50.5 Hz with the default tuning: 0.05 Hz deadband, 5 s on, 60 s off.
/// let rule = ThresholdPolicy::default()
///     .rule_for(SensorType::Frequency, Band::new(49.5, 50.5), 0.0)
///     .unwrap();
/// let mut d = Detector::new(rule);
/// let t0 = Utc.with_ymd_and_hms(2026, 3, 10, 18, 31, 0).unwrap();
/// let at = |s: i64| t0 + Duration::seconds(s);
/// assert_eq!(d.observe(at(0), 49.40), None, "pending: the on-delay has not passed");
/// let raised = d.observe(at(10), 49.30);
/// assert!(matches!(raised, Some(AlertEvent::Raise { value, at: began, .. })
///     if value == 49.30 && began == t0));
/// // Back, but only inside the band by the deadband and for the off-delay, clears.
/// assert_eq!(d.observe(at(20), 49.52), None, "in the deadband");
/// assert_eq!(d.observe(at(30), 50.00), None, "back, off-delay running");
/// assert!(matches!(d.observe(at(95), 50.00), Some(AlertEvent::Clear { .. })));
/// ```
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

    /// Whether a condition is raised.
    pub fn active(&self) -> Option<Condition> {
        match self.state {
            State::Holding(h) if h.raised => Some(h.condition),
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

    fn threshold(&self, c: Condition) -> f64 {
        match c {
            Condition::High => self.rule.max,
            Condition::Low => self.rule.min,
        }
        .unwrap_or(f64::NAN)
    }

    /// Whether `v` is back inside the band by the deadband (the other side's crossing is back
    /// for this one).
    fn back(&self, c: Condition, v: f64) -> bool {
        let d = self.rule.deadband;
        match c {
            Condition::High => self.rule.max.is_none_or(|max| v < max - d),
            Condition::Low => self.rule.min.is_none_or(|min| v > min + d),
        }
    }

    /// Feeds one reading; non-finite values are ignored (they are not measurements).
    pub fn observe(&mut self, at: DateTime<Utc>, v: f64) -> Option<AlertEvent> {
        if !v.is_finite() {
            return None;
        }
        let mut h = match self.state {
            State::Normal => {
                let (condition, _) = self.crossed(v)?;
                Held {
                    condition,
                    since: at,
                    worst: v,
                    back_since: None,
                    raised: false,
                }
            }
            State::Holding(h) => h,
        };
        if self.back(h.condition, v) {
            let back = *h.back_since.get_or_insert(at);
            if at - back < self.rule.off_delay {
                self.state = State::Holding(h);
                return None;
            }
            // Back for the off-delay: the condition has ended.
            self.state = State::Normal;
            return if h.raised {
                Some(AlertEvent::Clear {
                    condition: h.condition,
                    at: back,
                    value: v,
                    worst: h.worst,
                })
            } else {
                // Dropped before the on-delay; this reading may start the other side's.
                self.observe(at, v)
            };
        }
        h.back_since = None;
        h.worst = h.condition.worse(h.worst, v);
        let past = self.crossed(v).is_some_and(|(c, _)| c == h.condition);
        let confirm = !h.raised && past && at - h.since >= self.rule.on_delay;
        h.raised |= confirm;
        self.state = State::Holding(h);
        confirm.then(|| AlertEvent::Raise {
            condition: h.condition,
            at: h.since,
            value: h.worst,
            threshold: self.threshold(h.condition),
        })
    }
}

pub mod policy;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use grid_model::SensorType;
    use grid_timescale::Band;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap()
    }

    fn sec(i: i64) -> DateTime<Utc> {
        t0() + Duration::seconds(i)
    }

    fn at(i: i64) -> DateTime<Utc> {
        t0() + Duration::minutes(i)
    }

    /// The default frequency rule on the 49.5–50.5 Hz band.
    fn frequency() -> ThresholdRule {
        policy::ThresholdPolicy::default()
            .rule_for(SensorType::Frequency, Band::new(49.5, 50.5), 0.0)
            .unwrap()
    }

    fn immediate() -> ThresholdRule {
        ThresholdRule {
            min: Some(49.5),
            max: Some(50.5),
            deadband: 0.1,
            on_delay: Duration::zero(),
            off_delay: Duration::zero(),
        }
    }

    fn count(events: &[AlertEvent]) -> (usize, usize) {
        let raises = events
            .iter()
            .filter(|e| matches!(e, AlertEvent::Raise { .. }))
            .count();
        (raises, events.len() - raises)
    }

    #[test]
    fn alternating_across_the_limit_and_the_deadband_raises_once() {
        // 50.52 / 50.44 Hz every second for 60 s: each 50.44 is back by the 0.05 Hz deadband
        // (below 50.45), but only for 1 s, shorter than the 60 s off-delay; the on-delay
        // (5 s) is met at t = 6 s with 50.52 past the limit.
        let mut d = Detector::new(frequency());
        let mut events = Vec::new();
        for i in 0..60 {
            let v = if i % 2 == 0 { 50.52 } else { 50.44 };
            events.extend(d.observe(sec(i), v));
        }
        assert_eq!(count(&events), (1, 0), "{events:?}");
        assert!(
            matches!(events[0], AlertEvent::Raise { at, value, threshold, .. }
                if at == sec(0) && value == 50.52 && threshold == 50.5)
        );
        // Back to 50.0 for the off-delay: one clear, stamped at the return, which began with
        // the last 50.44 (t = 59 s).
        for i in 60..130 {
            events.extend(d.observe(sec(i), 50.0));
        }
        assert_eq!(count(&events), (1, 1), "{events:?}");
        assert!(
            matches!(events[1], AlertEvent::Clear { at, worst, .. } if at == sec(59) && worst == 50.52)
        );
    }

    #[test]
    fn a_forty_second_cycle_across_the_limit_raises_once() {
        // 50.5 + 0.1·sin(2πt/40) for 10 minutes: each cycle is past 50.5 for 20 s and back
        // below 50.45 (sin < −0.5) for 13.3 s, under the 60 s off-delay.
        let mut d = Detector::new(frequency());
        let mut events = Vec::new();
        for i in 0..600 {
            let v = 50.5 + 0.1 * (std::f64::consts::TAU * i as f64 / 40.0).sin();
            events.extend(d.observe(sec(i), v));
        }
        assert_eq!(count(&events), (1, 0), "{events:?}");
        for i in 600..700 {
            events.extend(d.observe(sec(i), 50.0));
        }
        assert_eq!(count(&events), (1, 1), "{events:?}");
    }

    #[test]
    fn the_worst_value_of_a_pending_alarm_is_kept() {
        // On-delay 2 minutes at one reading a minute: 51.0, 51.2, 51.1 raises at the third
        // reading with the worst, 51.2 (not the last, 51.1, nor the first, 51.0).
        let mut d = Detector::new(ThresholdRule {
            on_delay: Duration::minutes(2),
            ..immediate()
        });
        assert_eq!(d.observe(at(0), 51.0), None);
        assert_eq!(d.observe(at(1), 51.2), None);
        let raised = d.observe(at(2), 51.1);
        assert!(
            matches!(raised, Some(AlertEvent::Raise { at: t, value, .. }) if t == at(0) && value == 51.2),
            "{raised:?}"
        );
    }

    #[test]
    fn hovering_in_the_deadband_holds_the_condition() {
        let mut d = Detector::new(immediate());
        let mut events = Vec::new();
        // Raised at 50.55, then hovering between the limit and the deadband (50.4–50.5).
        for i in 0..200 {
            let v = if i % 2 == 0 { 50.55 } else { 50.45 };
            events.extend(d.observe(at(i), v));
        }
        events.extend(d.observe(at(200), 50.0));
        assert_eq!(count(&events), (1, 1), "{events:?}");
        assert!(
            matches!(events[1], AlertEvent::Clear { condition: Condition::High, worst, .. } if worst == 50.55)
        );
        assert_eq!(d.active(), None);
    }

    #[test]
    fn low_side_and_garbage() {
        let mut d = Detector::new(immediate());
        assert_eq!(d.observe(at(0), f64::NAN), None);
        assert!(matches!(
            d.observe(at(1), 49.2),
            Some(AlertEvent::Raise {
                condition: Condition::Low,
                ..
            })
        ));
        assert_eq!(d.observe(at(2), 49.55), None, "in the deadband");
        assert!(
            matches!(d.observe(at(3), 49.7), Some(AlertEvent::Clear { condition: Condition::Low, worst, .. }) if worst == 49.2)
        );
    }

    #[test]
    fn an_on_delay_ignores_a_lone_reading_and_a_return_cancels_a_pending_alarm() {
        let mut d = Detector::new(ThresholdRule {
            on_delay: Duration::minutes(2),
            off_delay: Duration::minutes(1),
            ..immediate()
        });
        assert_eq!(d.observe(at(0), 51.0), None);
        // Back for one minute (the off-delay): the pending condition is dropped.
        assert_eq!(d.observe(at(1), 50.0), None);
        assert_eq!(d.observe(at(2), 50.0), None);
        assert_eq!(d.observe(at(3), 51.0), None);
        assert_eq!(d.observe(at(4), 51.0), None);
        let raised = d.observe(at(5), 51.1);
        assert!(
            matches!(raised, Some(AlertEvent::Raise { at: t, .. }) if t == at(3)),
            "the count restarted at minute 3: {raised:?}"
        );
    }

    #[test]
    fn crossing_to_the_other_side_ends_one_condition_and_starts_the_other() {
        let mut d = Detector::new(immediate());
        assert!(matches!(
            d.observe(at(0), 51.0),
            Some(AlertEvent::Raise {
                condition: Condition::High,
                ..
            })
        ));
        assert!(matches!(
            d.observe(at(1), 49.0),
            Some(AlertEvent::Clear {
                condition: Condition::High,
                ..
            })
        ));
        assert!(matches!(
            d.observe(at(2), 49.0),
            Some(AlertEvent::Raise {
                condition: Condition::Low,
                ..
            })
        ));
    }
}
