//! The alarm system's performance over a period, per operator area (ISA-18.2 clause 16,
//! EEMUA 191's benchmarks): alarms per 10 minutes on average and at peak (about 1 is
//! manageable, more than 10 is a flood), standing alarms at the period's end and the stale
//! ones among them (standing longer than 24 h), chattering points (raised 3 times or more
//! within a minute) and the share of the period spent in flood.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// One alarm as the KPIs see it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmRecord<K> {
    /// The point.
    pub point: K,
    /// When it was raised (its condition began).
    pub raised_at: DateTime<Utc>,
    /// When it cleared, if it did.
    pub cleared_at: Option<DateTime<Utc>>,
}

/// The KPIs of one area over one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmKpis {
    /// Alarms raised in the period.
    pub alarms: usize,
    /// Their average per 10 minutes.
    pub per_10_min_average: f64,
    /// The most raised in any 10 minutes of the period.
    pub per_10_min_peak: usize,
    /// Alarms still raised at the period's end.
    pub standing: usize,
    /// Of those, raised more than 24 hours before the period's end.
    pub stale: usize,
    /// Points raised 3 times or more within one minute.
    pub chattering_points: usize,
    /// The share of the period in flood, 0 to 1.
    pub flood_share: f64,
}

/// The KPIs of `[from, to)` from the area's `alarms` (any raised before `to`; those raised
/// before `from` count only as standing) and its floods (`(began, ended)`).
pub fn kpis<K: std::hash::Hash + Eq + Clone>(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    alarms: &[AlarmRecord<K>],
    floods: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
) -> AlarmKpis {
    let ten = Duration::minutes(10);
    let mut times: Vec<DateTime<Utc>> = alarms
        .iter()
        .map(|a| a.raised_at)
        .filter(|t| *t >= from && *t < to)
        .collect();
    times.sort();
    let mut peak = 0;
    let mut j = 0;
    for i in 0..times.len() {
        while times[i] - times[j] >= ten {
            j += 1;
        }
        peak = peak.max(i - j + 1);
    }
    let standing: Vec<&AlarmRecord<K>> = alarms
        .iter()
        .filter(|a| a.raised_at < to && a.cleared_at.is_none_or(|c| c >= to))
        .collect();
    let mut by_point: HashMap<K, Vec<DateTime<Utc>>> = HashMap::new();
    for a in alarms
        .iter()
        .filter(|a| a.raised_at >= from && a.raised_at < to)
    {
        by_point
            .entry(a.point.clone())
            .or_default()
            .push(a.raised_at);
    }
    let chattering = by_point
        .into_values()
        .filter(|ts| {
            let mut ts = ts.clone();
            ts.sort();
            ts.windows(3).any(|w| w[2] - w[0] <= Duration::minutes(1))
        })
        .count();
    let span = (to - from).num_milliseconds().max(1) as f64;
    let flooded: i64 = floods
        .iter()
        .map(|(b, e)| {
            let (b, e) = ((*b).max(from), e.unwrap_or(to).min(to));
            (e - b).num_milliseconds().max(0)
        })
        .sum();
    AlarmKpis {
        alarms: times.len(),
        per_10_min_average: times.len() as f64 / (span / ten.num_milliseconds() as f64),
        per_10_min_peak: peak,
        standing: standing.len(),
        stale: standing
            .iter()
            .filter(|a| to - a.raised_at > Duration::hours(24))
            .count(),
        chattering_points: chattering,
        flood_share: (flooded as f64 / span).min(1.0),
    }
}
