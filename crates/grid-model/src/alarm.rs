//! A point's limits in four grades (ISA-18.2 limit alarms; AVEVA PI's LoLo/Lo/Hi/HiHi
//! limit traits): the one definition, used by the operating limits (grid-timescale) and the
//! alarm engine (grid-alarms).

use crate::AlarmGrade;
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
