//! The ranking score on hand-made series, one per way a score can fail a real stream: a
//! noise-free series, a mostly-zero one, a change that becomes the new normal, one change at
//! three cadences, a weekly pattern. "Flagged" is a score of 0.5 or more (a chance of 10⁻⁵).

mod common;

use common::wiggle;

use grid_anomaly::{Config, SeriesDetector};

const T0: i64 = 1_767_571_200_000; // a Monday, 00:00 UTC
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const FLAG: f64 = 0.5;

fn surprise(series: &[(i64, f64)]) -> Vec<f64> {
    let mut d = SeriesDetector::new(Config::default());
    series
        .iter()
        .map(|&(t, x)| d.observe(t, x).unwrap().surprise)
        .collect()
}

fn daily(t: i64) -> f64 {
    let phase = (t - T0).rem_euclid(DAY) as f64 / DAY as f64;
    100.0 + 50.0 * (std::f64::consts::TAU * phase).sin()
}

#[test]
fn a_noise_free_periodic_series_has_one_top_score_at_its_spike() {
    let spike = 10 * 288 + 144;
    let series: Vec<(i64, f64)> = (0..14 * 288)
        .map(|i| {
            let t = T0 + i as i64 * 5 * MINUTE;
            (t, daily(t) + if i == spike { 30.0 } else { 0.0 })
        })
        .collect();
    let s = surprise(&series);
    let top = s.iter().copied().fold(0.0, f64::max);
    assert_eq!(s[spike], top, "the spike has the top score");
    assert!(top >= FLAG, "and it is flagged: {top}");
    assert_eq!(s.iter().filter(|&&x| x == top).count(), 1, "only the spike");
    let second = s
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != spike)
        .map(|(_, &x)| x)
        .fold(0.0, f64::max);
    assert!(second < top, "{second} vs {top}");
}

#[test]
fn rare_bursts_on_a_mostly_zero_series_are_ranked() {
    // Three weeks of 5-minute readings, zero but for bursts of different heights.
    let bursts: Vec<(usize, f64)> = (0..12)
        .map(|k| (2 * 288 + 97 + k * 431, 5.0 + 7.0 * k as f64))
        .collect();
    let series: Vec<(i64, f64)> = (0..21 * 288)
        .map(|i| {
            let x = bursts.iter().find(|b| b.0 == i).map_or(0.0, |b| b.1);
            (T0 + i as i64 * 5 * MINUTE, x)
        })
        .collect();
    let s = surprise(&series);
    let top = s.iter().copied().fold(0.0, f64::max);
    let at_top = s.iter().filter(|&&x| x == top).count();
    assert!(
        at_top as f64 <= 0.001 * s.len() as f64,
        "{at_top} readings share the top score {top}"
    );
    // Every burst is flagged, and ranks above every reading that is not a burst.
    let quiet_top = s
        .iter()
        .enumerate()
        .filter(|(i, _)| !bursts.iter().any(|b| b.0 == *i))
        .map(|(_, &x)| x)
        .fold(0.0, f64::max);
    for &(i, height) in &bursts {
        assert!(s[i] >= FLAG, "burst of {height} at {i}: {}", s[i]);
        assert!(
            s[i] > quiet_top,
            "burst of {height}: {} vs {quiet_top}",
            s[i]
        );
    }
    // No two bursts tie.
    let mut burst_scores: Vec<f64> = bursts.iter().map(|b| s[b.0]).collect();
    burst_scores.sort_by(f64::total_cmp);
    assert!(
        burst_scores.windows(2).all(|w| w[0] < w[1]),
        "{burst_scores:?}"
    );
}

#[test]
fn a_level_shift_that_becomes_the_new_normal_stops_surprising_within_the_horizon() {
    // 5-minute readings; the horizon is the longer of a day and 500 readings (41 h 40 min).
    let step = 5 * MINUTE;
    let shift_at = 5 * DAY;
    let series: Vec<(i64, f64)> = (0..12 * 288)
        .map(|i| {
            let t = T0 + i as i64 * step;
            let level = if t - T0 >= shift_at { 112.0 } else { 100.0 };
            (t, level + wiggle(i))
        })
        .collect();
    let s = surprise(&series);
    let start = (shift_at / step) as usize;
    assert!(
        s[start..start + 12].iter().any(|&x| x >= FLAG),
        "the shift is flagged within the hour"
    );
    let horizon = (DAY.max(500 * step) / step) as usize;
    let late: Vec<(usize, f64)> = s
        .iter()
        .copied()
        .enumerate()
        .skip(start + horizon)
        .filter(|&(_, x)| x >= FLAG)
        .collect();
    assert!(late.is_empty(), "still flagged past the horizon: {late:?}");
}

#[test]
fn a_three_hour_shift_is_found_within_an_hour_of_its_start_at_any_cadence() {
    // A shift of half the daily swing, ten times the noise's σ (a 5σ shift is the threshold
    // detectors' to find: the ranking score alone flags it at 5- and 60-minute cadence only).
    for step in [MINUTE, 5 * MINUTE, HOUR] {
        let shift_from = T0 + 12 * DAY + 10 * HOUR;
        let shift_to = shift_from + 3 * HOUR;
        let n = (16 * DAY / step) as usize;
        let series: Vec<(i64, f64)> = (0..n)
            .map(|i| {
                let t = T0 + i as i64 * step;
                let shift = if (shift_from..shift_to).contains(&t) {
                    20.0
                } else {
                    0.0
                };
                (t, 0.4 * daily(t) + 2.0 * wiggle(i) + shift)
            })
            .collect();
        let s = surprise(&series);
        let first = series
            .iter()
            .zip(&s)
            .find(|&(&(t, _), &x)| t >= shift_from - HOUR && x >= FLAG)
            .map(|(&(t, _), _)| t);
        let found = first.unwrap_or_else(|| panic!("{} min: not found", step / MINUTE));
        assert!(
            (found - shift_from).abs() <= HOUR,
            "{} min cadence: flagged {} min from the start",
            step / MINUTE,
            (found - shift_from) / MINUTE
        );
    }
}

#[test]
fn a_weekly_pattern_at_hourly_cadence_is_learned_without_daily_false_alarms() {
    // Weekdays at 100 with a daily shape, weekends at 60: hourly, eight weeks.
    let series: Vec<(i64, f64)> = (0..8 * 168)
        .map(|i| {
            let t = T0 + i as i64 * HOUR;
            let weekend = (t - T0).rem_euclid(7 * DAY) >= 5 * DAY;
            let base = if weekend { 60.0 } else { 100.0 };
            (t, base + 0.2 * (daily(t) - 100.0) + wiggle(i))
        })
        .collect();
    let s = surprise(&series);
    let flagged: Vec<usize> = (3 * 168..s.len()).filter(|&i| s[i] >= FLAG).collect();
    assert!(flagged.is_empty(), "flagged after three weeks: {flagged:?}");
}
