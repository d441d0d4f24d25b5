//! One point's limit alarm, reading by reading in time order (ISA-18.2 / IEC 62682):
//!
//! - **Continuous on-delay.** A value past a limit starts a pending condition; the alarm is
//!   raised once every sample has stayed past the limit for `on_delay` (measured between the
//!   samples' timestamps). Any sample inside the limit drops the pending condition, so
//!   isolated samples past a limit never raise one.
//! - **One alarm per condition, graded.** The alarm raises at its side's first grade (Hi or
//!   Lo) — at the emergency grade (HiHi, LoLo) directly when the value stayed past that limit
//!   for the on-delay too — and escalates within itself when the value stays past the
//!   emergency limit for the on-delay; it de-escalates when the value stays back inside the
//!   emergency limit by the deadband for the off-delay.
//! - **Deadband and off-delay.** It clears when the value has stayed back inside the normal
//!   limit by the deadband for `off_delay`; a sample in the deadband, or past the limit
//!   again, restarts that count.
//! - **Worst value.** The most extreme value since the condition began is what the raise
//!   reports and what the clear carries.
//!
//! Events are emitted when the delays confirm them and stamped with the condition's own
//! edges: a raise with the first sample of the run that confirmed it, an escalation with the
//! first sample past the emergency limit, a clear (or de-escalation) with the first sample of
//! the return that lasted.

use chrono::{DateTime, Utc};
use grid_model::AlarmGrade;
use serde::{Deserialize, Serialize};

use crate::limits::{AlarmRule, Side, is_emergency, side};

/// What a point's alarm did on a sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum AlarmEvent {
    /// Confirmed by the on-delay.
    Raised {
        /// The grade it raised at.
        grade: AlarmGrade,
        /// The first sample of the run that confirmed it.
        at: DateTime<Utc>,
        /// The worst value of that run.
        value: f64,
        /// The limit crossed.
        limit: f64,
    },
    /// Past the emergency limit for the on-delay, within the raised alarm.
    Escalated {
        /// The grade before.
        from: AlarmGrade,
        /// The grade now.
        to: AlarmGrade,
        /// The first sample past the emergency limit.
        at: DateTime<Utc>,
        /// The worst value since the alarm began.
        value: f64,
    },
    /// Back inside the emergency limit by the deadband for the off-delay.
    DeEscalated {
        /// The grade before.
        from: AlarmGrade,
        /// The grade now.
        to: AlarmGrade,
        /// The first sample of the return that lasted.
        at: DateTime<Utc>,
    },
    /// Back inside the normal limit by the deadband for the off-delay.
    Cleared {
        /// The grade it cleared from.
        grade: AlarmGrade,
        /// The first sample of the return that lasted.
        at: DateTime<Utc>,
        /// The sample that confirmed it.
        value: f64,
        /// The worst value while the alarm held.
        worst: f64,
    },
}

/// A run of samples past a limit, not yet confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Run {
    side: Side,
    since: DateTime<Utc>,
    worst: f64,
    /// The first sample of the current run past the emergency limit, if any.
    emergency_since: Option<DateTime<Utc>>,
}

/// A raised alarm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Raised {
    side: Side,
    grade: AlarmGrade,
    worst: f64,
    /// The first sample of the current run past the emergency limit (escalation pending).
    emergency_since: Option<DateTime<Utc>>,
    /// The first sample of the current return inside the emergency limit by the deadband.
    below_emergency_since: Option<DateTime<Utc>>,
    /// The first sample of the current return inside the normal limit by the deadband.
    back_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum State {
    Normal(Option<Run>),
    Raised(Raised),
}

/// One point's alarm (see the module docs). Small and serialisable: its state is stored
/// between batches so a restart neither repeats nor loses an alarm.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use grid_alarms::{AlarmEvent, AlarmRule, GradedLimits, PointAlarm};
/// use grid_model::AlarmGrade;
///
/// // 132 kV: Lo 125.4, LoLo 118.8 kV; 1 % deadband, 10 s on, 60 s off.
/// let rule = AlarmRule {
///     limits: GradedLimits { lolo: Some(118.8), lo: Some(125.4), hi: Some(138.6), hihi: Some(144.3) },
///     deadband: 1.32,
///     on_delay: Duration::seconds(10),
///     off_delay: Duration::seconds(60),
/// };
/// let mut p = PointAlarm::new(rule);
/// let t0 = Utc.with_ymd_and_hms(2026, 3, 10, 7, 42, 0).unwrap();
/// let mut events = Vec::new();
/// // A ten-minute sag to 0.83 pu (109.6 kV), one sample a second, then back to 132 kV.
/// for s in 0..900 {
///     let v = if (60..660).contains(&s) { 109.6 } else { 132.0 };
///     events.extend(p.observe(t0 + Duration::seconds(s), v));
/// }
/// assert_eq!(events.len(), 2, "{events:?}");
/// assert!(matches!(events[0], AlarmEvent::Raised { grade: AlarmGrade::LoLo, .. }));
/// assert!(matches!(events[1], AlarmEvent::Cleared { grade: AlarmGrade::LoLo, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointAlarm {
    rule: AlarmRule,
    state: State,
    last_at: Option<DateTime<Utc>>,
}

/// At most two events come of one sample (a clear and nothing else, or a raise).
pub type Events = Vec<AlarmEvent>;

impl PointAlarm {
    /// A point in the normal state.
    pub fn new(rule: AlarmRule) -> PointAlarm {
        PointAlarm {
            rule,
            state: State::Normal(None),
            last_at: None,
        }
    }

    /// Its rule.
    pub fn rule(&self) -> &AlarmRule {
        &self.rule
    }

    /// A new rule (a configuration changed); the state is kept.
    pub fn set_rule(&mut self, rule: AlarmRule) {
        self.rule = rule;
    }

    /// The grade of the raised alarm, if one is raised.
    pub fn active(&self) -> Option<AlarmGrade> {
        match self.state {
            State::Raised(r) => Some(r.grade),
            State::Normal(_) => None,
        }
    }

    /// Normal with no excursion pending: all it remembers is the time of its last sample.
    /// Fed the same later samples, a quiet point gives the same events (none until a new
    /// excursion) whichever of its quiet moments it starts from, so a store may keep an
    /// earlier quiet state rather than write every sample's.
    pub fn quiet(&self) -> bool {
        matches!(self.state, State::Normal(None))
    }

    /// The last sample taken.
    pub fn last_at(&self) -> Option<DateTime<Utc>> {
        self.last_at
    }

    /// Feeds one sample. Samples that are not finite numbers, or not later than the last one
    /// taken, are skipped (the caller feeds each point in time order).
    pub fn observe(&mut self, at: DateTime<Utc>, v: f64) -> Events {
        let mut out = Events::new();
        if !v.is_finite() || self.last_at.is_some_and(|l| at <= l) {
            return out;
        }
        self.last_at = Some(at);
        match self.state {
            State::Normal(run) => self.normal(run, at, v, &mut out),
            State::Raised(r) => self.raised(r, at, v, &mut out),
        }
        out
    }

    fn normal(&mut self, run: Option<Run>, at: DateTime<Utc>, v: f64, out: &mut Events) {
        let limits = &self.rule.limits;
        let Some(grade) = limits.grade_of(v) else {
            self.state = State::Normal(None);
            return;
        };
        let s = side(grade);
        let mut run = match run {
            Some(r) if r.side == s => r,
            _ => Run {
                side: s,
                since: at,
                worst: v,
                emergency_since: None,
            },
        };
        run.worst = worse(s, run.worst, v);
        run.emergency_since = if is_emergency(grade) {
            Some(run.emergency_since.unwrap_or(at))
        } else {
            None
        };
        if at - run.since < self.rule.on_delay {
            self.state = State::Normal(Some(run));
            return;
        }
        let first = limits.first_grade(s).unwrap_or(grade);
        let emergency_confirmed = run
            .emergency_since
            .is_some_and(|e| at - e >= self.rule.on_delay);
        let raised_at = if emergency_confirmed {
            emergency_grade(s)
        } else {
            first
        };
        out.push(AlarmEvent::Raised {
            grade: raised_at,
            at: run.since,
            value: run.worst,
            limit: limits.limit(raised_at).unwrap_or(f64::NAN),
        });
        self.state = State::Raised(Raised {
            side: s,
            grade: raised_at,
            worst: run.worst,
            emergency_since: run.emergency_since.filter(|_| !emergency_confirmed),
            below_emergency_since: None,
            back_since: None,
        });
    }

    fn raised(&mut self, mut r: Raised, at: DateTime<Utc>, v: f64, out: &mut Events) {
        let limits = self.rule.limits;
        let db = self.rule.deadband;
        let first = limits.first_grade(r.side).unwrap_or(r.grade);
        let emergency = emergency_grade(r.side);
        let inside = |grade: AlarmGrade| match (r.side, limits.limit(grade)) {
            (Side::High, Some(l)) => v < l - db,
            (Side::Low, Some(l)) => v > l + db,
            (_, None) => true,
        };
        r.back_since = if inside(first) {
            Some(r.back_since.unwrap_or(at))
        } else {
            None
        };
        if let Some(back) = r.back_since
            && at - back >= self.rule.off_delay
        {
            out.push(AlarmEvent::Cleared {
                grade: r.grade,
                at: back,
                value: v,
                worst: r.worst,
            });
            self.state = State::Normal(None);
            return;
        }
        r.worst = worse(r.side, r.worst, v);
        r.below_emergency_since = if inside(emergency) {
            Some(r.below_emergency_since.unwrap_or(at))
        } else {
            None
        };
        let past_emergency = limits.grade_of(v) == Some(emergency);
        r.emergency_since = if past_emergency {
            Some(r.emergency_since.unwrap_or(at))
        } else {
            None
        };
        if r.grade == emergency && first != emergency {
            if let Some(below) = r.below_emergency_since
                && at - below >= self.rule.off_delay
            {
                out.push(AlarmEvent::DeEscalated {
                    from: emergency,
                    to: first,
                    at: below,
                });
                r.grade = first;
                r.below_emergency_since = None;
            }
        } else if let Some(e) = r.emergency_since
            && r.grade != emergency
            && at - e >= self.rule.on_delay
        {
            out.push(AlarmEvent::Escalated {
                from: r.grade,
                to: emergency,
                at: e,
                value: r.worst,
            });
            r.grade = emergency;
            r.emergency_since = None;
        }
        self.state = State::Raised(r);
    }
}

fn emergency_grade(s: Side) -> AlarmGrade {
    match s {
        Side::High => AlarmGrade::HiHi,
        Side::Low => AlarmGrade::LoLo,
    }
}

fn worse(s: Side, a: f64, b: f64) -> f64 {
    match s {
        Side::High => a.max(b),
        Side::Low => a.min(b),
    }
}
