//! The pure parts of daily grid statistics: a zone's load curve, voltage levels, runs of
//! out-of-limit readings, maintenance hours.

pub use grid_model::VoltageLevel;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The load of one substation over a day: `(bucket start, MW)`, missing buckets absent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SubstationLoad {
    /// Its points, in any order.
    pub points: Vec<(DateTime<Utc>, f64)>,
}

/// A zone's load over one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadSummary {
    /// Highest zone load, MW (the peak of the sum, not the sum of peaks).
    pub peak_mw: Option<f64>,
    /// Start of the bucket of the peak (the first one on ties).
    pub peak_time: Option<DateTime<Utc>>,
    /// Mean zone load over the buckets with a complete sum, MW.
    pub average_mw: Option<f64>,
    /// Lowest zone load, MW.
    pub min_mw: Option<f64>,
    /// ∫ load dt over the day, MWh; `None` when a gap longer than the interpolation limit
    /// leaves part of the day unknown (never a gap counted as zero).
    pub energy_mwh: Option<f64>,
    /// ∫ load dt over the buckets with a complete sum, MWh (a lower bound when gaps remain).
    pub measured_energy_mwh: f64,
    /// Fraction of the day's buckets with a complete sum after interpolation.
    pub coverage: f64,
    /// Substation-buckets filled by linear interpolation.
    pub interpolated: usize,
    /// Substations contributing.
    pub substations: usize,
    /// The zone's load per bucket (`None`: not known), for plotting.
    #[serde(skip)]
    pub curve: Vec<Option<f64>>,
}

/// Sums the substations' load per bucket of `step` over `[start, end)`. A gap of at most
/// `max_gap` in a substation's series is filled by linear interpolation between its
/// neighbours (held flat at the day's edges); a longer gap leaves those buckets without a
/// zone total. Peak, mean and minimum are over complete buckets; the energy is
/// Σ load × step over the day when every bucket is complete.
pub fn zone_load(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    step: Duration,
    substations: &[SubstationLoad],
    max_gap: Duration,
) -> LoadSummary {
    let n = ((end - start).num_seconds() / step.num_seconds()).max(0) as usize;
    let max_gap_buckets = (max_gap.num_seconds() / step.num_seconds()) as usize;
    let mut total: Vec<Option<f64>> = vec![Some(0.0); n];
    let mut interpolated = 0;
    for s in substations {
        let mut series: Vec<Option<f64>> = vec![None; n];
        for &(t, v) in &s.points {
            let i = (t - start).num_seconds().div_euclid(step.num_seconds());
            if (0..n as i64).contains(&i) && v.is_finite() {
                series[i as usize] = Some(v);
            }
        }
        interpolated += fill_gaps(&mut series, max_gap_buckets);
        for (t, v) in total.iter_mut().zip(&series) {
            *t = match (*t, v) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
        }
    }
    let step_s = step.num_seconds() as f64;
    let complete: Vec<(usize, f64)> = total
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .collect();
    // Σ MW × step, divided once: fewer rounding steps than adding MW × (1/60) h per bucket.
    let measured: f64 = complete.iter().map(|(_, v)| v).sum::<f64>() * step_s / 3600.0;
    let peak = complete
        .iter()
        .copied()
        .fold(None::<(usize, f64)>, |best, (i, v)| match best {
            Some((_, b)) if b >= v => best,
            _ => Some((i, v)),
        });
    let empty = substations.is_empty() || complete.is_empty();
    LoadSummary {
        peak_mw: if empty { None } else { peak.map(|(_, v)| v) },
        peak_time: if empty {
            None
        } else {
            peak.map(|(i, _)| start + step * i as i32)
        },
        average_mw: (!empty)
            .then(|| complete.iter().map(|(_, v)| v).sum::<f64>() / complete.len() as f64),
        min_mw: if empty {
            None
        } else {
            complete.iter().map(|(_, v)| *v).reduce(f64::min)
        },
        energy_mwh: (!empty && complete.len() == n).then_some(measured),
        measured_energy_mwh: if empty { 0.0 } else { measured },
        coverage: if n == 0 || substations.is_empty() {
            0.0
        } else {
            complete.len() as f64 / n as f64
        },
        interpolated,
        substations: substations.len(),
        curve: if substations.is_empty() {
            vec![None; n]
        } else {
            total
        },
    }
}

/// Fills runs of `None` of at most `max` buckets: linearly between two known neighbours,
/// flat from the one neighbour at the day's edges. Returns the buckets filled.
fn fill_gaps(series: &mut [Option<f64>], max: usize) -> usize {
    let n = series.len();
    let mut filled = 0;
    let mut i = 0;
    while i < n {
        if series[i].is_some() {
            i += 1;
            continue;
        }
        let gap_start = i;
        while i < n && series[i].is_none() {
            i += 1;
        }
        let len = i - gap_start;
        if len > max {
            continue;
        }
        let before = gap_start.checked_sub(1).and_then(|j| series[j]);
        let after = (i < n).then(|| series[i]).flatten();
        for (k, slot) in series[gap_start..i].iter_mut().enumerate() {
            *slot = match (before, after) {
                (Some(a), Some(b)) => Some(a + (b - a) * (k + 1) as f64 / (len + 1) as f64),
                (Some(a), None) => Some(a),
                (None, Some(b)) => Some(b),
                (None, None) => None,
            };
        }
        if before.is_some() || after.is_some() {
            filled += len;
        }
    }
    filled
}

/// Voltage readings of the sensors at one nominal level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoltageInput {
    /// The sensors' nominal voltage, kV.
    pub nominal_kv: f64,
    /// Σ readings, kV.
    pub sum_kv: f64,
    /// Number of readings.
    pub count: i64,
}

/// Averages per nominal level (kV, rounded to 0.1), and the average at the highest level —
/// what `daily_grid_statistics.average_voltage_kv` holds: an average across 11–400 kV
/// sensors in kV would mean nothing.
pub fn voltage_levels(inputs: &[VoltageInput]) -> (BTreeMap<String, VoltageLevel>, Option<f64>) {
    let mut by_level: BTreeMap<i64, (f64, f64, i64)> = BTreeMap::new();
    for v in inputs.iter().filter(|v| v.count > 0 && v.nominal_kv > 0.0) {
        let key = (v.nominal_kv * 10.0).round() as i64;
        let e = by_level.entry(key).or_default();
        e.0 += v.sum_kv;
        e.1 += v.sum_kv / v.nominal_kv;
        e.2 += v.count;
    }
    let top = by_level
        .iter()
        .next_back()
        .map(|(_, (s, _, c))| s / *c as f64);
    let levels = by_level
        .into_iter()
        .map(|(k, (sum, sum_pu, count))| {
            let level = VoltageLevel {
                average_kv: sum / count as f64,
                average_pu: sum_pu / count as f64,
                readings: count,
            };
            (format!("{}", k as f64 / 10.0), level)
        })
        .collect();
    (levels, top)
}

/// EEMUA 191's flood window and level: more than this many alarms in 10 minutes.
pub const FLOOD_ALARMS_PER_WINDOW: u32 = 10;

/// The alarm rate of one operator area over `[start, end)` from the instants its alarms were
/// raised: the most in any 10 minutes (sliding), the fixed 10-minute windows above
/// [`FLOOD_ALARMS_PER_WINDOW`], and the mean per 10 minutes.
pub fn alarm_rate(
    raised: &[DateTime<Utc>],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> grid_model::AlarmRateMetadata {
    let window = Duration::minutes(10);
    let mut t: Vec<DateTime<Utc>> = raised
        .iter()
        .copied()
        .filter(|a| *a >= start && *a < end)
        .collect();
    t.sort();
    let mut peak = 0;
    let mut lo = 0;
    for hi in 0..t.len() {
        while t[hi] - t[lo] >= window {
            lo += 1;
        }
        peak = peak.max(hi - lo + 1);
    }
    let mut per_window: BTreeMap<i64, u32> = BTreeMap::new();
    for a in &t {
        *per_window
            .entry((*a - start).num_seconds() / window.num_seconds())
            .or_default() += 1;
    }
    let windows = ((end - start).num_seconds() as f64 / window.num_seconds() as f64).max(1.0);
    grid_model::AlarmRateMetadata {
        peak_per_10_min: peak as u32,
        flood_windows: per_window
            .values()
            .filter(|n| **n > FLOOD_ALARMS_PER_WINDOW)
            .count() as u32,
        mean_per_10_min: t.len() as f64 / windows,
    }
}

/// Hours of `[start, end)` (end `None`: still going at `now`) that fall in `[day_start,
/// day_end)`.
pub fn overlap_hours(
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    day_start: DateTime<Utc>,
    day_end: DateTime<Utc>,
) -> f64 {
    let a = start.max(day_start);
    let b = end.unwrap_or(now).min(day_end);
    ((b - a).num_milliseconds().max(0)) as f64 / 3_600_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 21, 0, 0).unwrap()
    }

    #[test]
    fn the_peak_of_the_sum_not_the_sum_of_peaks() {
        let m = |i: i32| t0() + Duration::minutes(i as i64);
        // Two substations peaking at different minutes.
        let a = SubstationLoad {
            points: (0..4)
                .map(|i| (m(i), if i == 1 { 30.0 } else { 10.0 }))
                .collect(),
        };
        let b = SubstationLoad {
            points: (0..4)
                .map(|i| (m(i), if i == 2 { 25.0 } else { 5.0 }))
                .collect(),
        };
        let s = zone_load(
            t0(),
            m(4),
            Duration::minutes(1),
            &[a, b],
            Duration::minutes(15),
        );
        // sums: 15, 35, 35, 15 → peak 35 at minute 1 (first of the ties), not 30 + 25.
        assert_eq!((s.peak_mw, s.peak_time), (Some(35.0), Some(m(1))));
        assert_eq!((s.min_mw, s.average_mw), (Some(15.0), Some(25.0)));
        // energy = (15 + 35 + 35 + 15) MW × 1/60 h
        assert!((s.energy_mwh.unwrap() - 100.0 / 60.0).abs() < 1e-12);
        assert_eq!(s.coverage, 1.0);
    }

    #[test]
    fn short_gaps_are_interpolated_long_ones_leave_the_energy_unknown() {
        let m = |i: i64| t0() + Duration::minutes(i);
        // 0..10 with minutes 3..5 missing (3 buckets), values rising 1 per minute.
        let short = SubstationLoad {
            points: (0..10)
                .filter(|i| !(3..6).contains(i))
                .map(|i| (m(i), i as f64))
                .collect(),
        };
        let s = zone_load(
            t0(),
            m(10),
            Duration::minutes(1),
            std::slice::from_ref(&short),
            Duration::minutes(3),
        );
        assert_eq!(s.interpolated, 3);
        assert!(
            (s.energy_mwh.unwrap() - 45.0 / 60.0).abs() < 1e-12,
            "linear fill restores 3, 4, 5"
        );
        let s = zone_load(
            t0(),
            m(10),
            Duration::minutes(1),
            &[short],
            Duration::minutes(2),
        );
        assert_eq!(s.energy_mwh, None);
        assert!((s.coverage - 0.7).abs() < 1e-12);
        assert!((s.measured_energy_mwh - (45.0 - 12.0) / 60.0).abs() < 1e-12);
    }

    #[test]
    fn a_substation_without_data_leaves_the_zone_total_unknown() {
        let m = |i: i64| t0() + Duration::minutes(i);
        let a = SubstationLoad {
            points: (0..10).map(|i| (m(i), 1.0)).collect(),
        };
        let s = zone_load(
            t0(),
            m(10),
            Duration::minutes(1),
            &[a, SubstationLoad::default()],
            Duration::minutes(15),
        );
        assert_eq!((s.peak_mw, s.energy_mwh, s.coverage), (None, None, 0.0));
        let none = zone_load(
            t0(),
            m(10),
            Duration::minutes(1),
            &[],
            Duration::minutes(15),
        );
        assert_eq!(
            (none.peak_mw, none.energy_mwh, none.substations),
            (None, None, 0)
        );
    }

    #[test]
    fn voltage_is_averaged_per_level() {
        let (levels, top) = voltage_levels(&[
            VoltageInput {
                nominal_kv: 66.0,
                sum_kv: 66.0 * 9.0 + 72.6,
                count: 10,
            },
            VoltageInput {
                nominal_kv: 11.0,
                sum_kv: 110.0,
                count: 10,
            },
        ]);
        assert_eq!(top, Some((66.0 * 9.0 + 72.6) / 10.0));
        assert!((levels["66"].average_pu - 1.01).abs() < 1e-12);
        assert_eq!(levels["11"].average_kv, 11.0);
    }

    #[test]
    fn alarm_rate_by_hand() {
        let m = |i: i64| t0() + Duration::minutes(i);
        // 12 alarms at minutes 0..11 (one a minute), 3 more at 30, 31, 32.
        let mut raised: Vec<DateTime<Utc>> = (0..12).map(m).collect();
        raised.extend([m(30), m(31), m(32)]);
        let r = alarm_rate(&raised, t0(), t0() + Duration::days(1));
        // Sliding: minutes 0..9 hold 10, 1..10 hold 10 …: at most 10 within 10 minutes
        // (minute 10 is exactly 10 minutes after 0, outside [0, 10)).
        assert_eq!(r.peak_per_10_min, 10);
        // Fixed windows [0, 10) holds 10, [10, 20) 2: no window above 10.
        assert_eq!(r.flood_windows, 0);
        // 15 alarms over 144 windows.
        assert!((r.mean_per_10_min - 15.0 / 144.0).abs() < 1e-12);
        // Eleven in the first window: a flood.
        let flood: Vec<DateTime<Utc>> = (0..11).map(|i| t0() + Duration::seconds(i * 50)).collect();
        let r = alarm_rate(&flood, t0(), t0() + Duration::days(1));
        assert_eq!((r.peak_per_10_min, r.flood_windows), (11, 1));
    }

    #[test]
    fn maintenance_hours_are_clipped_to_the_day() {
        let d = t0();
        let h = |x: i64| d + Duration::hours(x);
        assert_eq!(overlap_hours(h(-2), Some(h(1)), h(30), d, h(24)), 1.0);
        assert_eq!(overlap_hours(h(23), None, h(25), d, h(24)), 1.0);
        assert_eq!(overlap_hours(h(30), None, h(31), d, h(24)), 0.0);
    }
}
