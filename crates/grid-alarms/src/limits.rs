//! A point's limits in four grades and the rule that applies them.

use chrono::Duration;
use grid_model::AlarmGrade;
use serde::{Deserialize, Serialize};

/// Which side of the band a grade is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    /// Above: Hi, HiHi.
    High,
    /// Below: Lo, LoLo.
    Low,
}

/// The side of `grade`.
pub fn side(grade: AlarmGrade) -> Side {
    match grade {
        AlarmGrade::Hi | AlarmGrade::HiHi => Side::High,
        AlarmGrade::Lo | AlarmGrade::LoLo => Side::Low,
    }
}

/// Whether `grade` is past the emergency band (LoLo, HiHi).
pub fn is_emergency(grade: AlarmGrade) -> bool {
    matches!(grade, AlarmGrade::LoLo | AlarmGrade::HiHi)
}

/// The limits of a point in its own unit, each optional: `lolo ≤ lo < hi ≤ hihi` where set.
/// A value is past a limit when it is beyond it (strictly): above `hi`, below `lo`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct GradedLimits {
    /// Below the emergency band.
    pub lolo: Option<f64>,
    /// Below the normal band.
    pub lo: Option<f64>,
    /// Above the normal band.
    pub hi: Option<f64>,
    /// Above the emergency band.
    pub hihi: Option<f64>,
}

impl GradedLimits {
    /// The limit of `grade`.
    pub fn limit(&self, grade: AlarmGrade) -> Option<f64> {
        match grade {
            AlarmGrade::LoLo => self.lolo,
            AlarmGrade::Lo => self.lo,
            AlarmGrade::Hi => self.hi,
            AlarmGrade::HiHi => self.hihi,
        }
    }

    /// The most severe grade `v` is past, if any.
    pub fn grade_of(&self, v: f64) -> Option<AlarmGrade> {
        if self.hihi.is_some_and(|l| v > l) {
            Some(AlarmGrade::HiHi)
        } else if self.hi.is_some_and(|l| v > l) {
            Some(AlarmGrade::Hi)
        } else if self.lolo.is_some_and(|l| v < l) {
            Some(AlarmGrade::LoLo)
        } else if self.lo.is_some_and(|l| v < l) {
            Some(AlarmGrade::Lo)
        } else {
            None
        }
    }

    /// The first grade of `side` an alarm raises at: the normal band's limit, else the
    /// emergency band's when the normal one is not set.
    pub fn first_grade(&self, side: Side) -> Option<AlarmGrade> {
        match side {
            Side::High if self.hi.is_some() => Some(AlarmGrade::Hi),
            Side::High if self.hihi.is_some() => Some(AlarmGrade::HiHi),
            Side::Low if self.lo.is_some() => Some(AlarmGrade::Lo),
            Side::Low if self.lolo.is_some() => Some(AlarmGrade::LoLo),
            _ => None,
        }
    }

    /// Whether no limit is set.
    pub fn is_empty(&self) -> bool {
        self.lolo.is_none() && self.lo.is_none() && self.hi.is_none() && self.hihi.is_none()
    }

    /// Checks that the limits are finite and ordered; names what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let set: Vec<(&str, f64)> = [
            ("lolo", self.lolo),
            ("lo", self.lo),
            ("hi", self.hi),
            ("hihi", self.hihi),
        ]
        .into_iter()
        .filter_map(|(n, v)| v.map(|v| (n, v)))
        .collect();
        if let Some((n, v)) = set.iter().find(|(_, v)| !v.is_finite()) {
            return Err(format!("{n}: {v} is not a finite number"));
        }
        for w in set.windows(2) {
            let ((a, x), (b, y)) = (w[0], w[1]);
            let strict = matches!(
                (a, b),
                ("lo", "hi") | ("lolo", "hi") | ("lo", "hihi") | ("lolo", "hihi")
            );
            if x > y || (strict && x == y) {
                return Err(format!("{a} ({x}) must be below {b} ({y})"));
            }
        }
        Ok(())
    }
}

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
