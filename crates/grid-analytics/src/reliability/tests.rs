//! Hand-computed checks of the formulas.

use super::*;
use chrono::TimeZone;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, h, m, 0).unwrap()
}

fn day() -> Range<DateTime<Utc>> {
    at(0, 0)..at(0, 0) + Duration::days(1)
}

fn sub(n: u128) -> Interrupter {
    Interrupter::Substation(Uuid::from_u128(n))
}

fn breaker(name: &str) -> Interrupter {
    Interrupter::Device {
        substation: Uuid::from_u128(1),
        name: name.into(),
    }
}

fn cut(start: DateTime<Utc>, end: DateTime<Utc>, customers: i64, by: Interrupter) -> Interruption {
    Interruption {
        start,
        end: Some(end),
        customers,
        served: None,
        interrupter: by,
    }
}

fn five() -> Duration {
    Duration::minutes(5)
}

#[test]
fn indices_by_hand() {
    // N_T = 1000. Sustained: 60 min × 100 customers, 30 min × 200. Momentary: 2 min × 50.
    let list = [
        cut(at(1, 0), at(2, 0), 100, sub(1)),
        cut(at(5, 0), at(5, 30), 200, sub(1)),
        cut(at(9, 0), at(9, 2), 50, sub(1)),
    ];
    let ix = indices(&list, 1000, day(), five(), at(23, 0));
    assert_eq!((ix.sustained, ix.momentary), (2, 1));
    assert_eq!(ix.sustained_minutes, 90.0);
    // SAIDI = (60·100 + 30·200) / 1000 = 12 min; SAIFI = 300/1000 = 0.3; CAIDI = 40 min
    assert_eq!(ix.saidi, Some(12.0));
    assert_eq!(ix.saifi, Some(0.3));
    assert!((ix.caidi.unwrap() - 40.0).abs() < 1e-12);
    // ASAI = 1 − (12/60)/24 = 1 − 0.2/24
    assert!((ix.asai.unwrap() - (1.0 - 0.2 / 24.0)).abs() < 1e-15);
    // MAIFI_E = 50/1000
    assert_eq!(ix.maifi_e, Some(0.05));
}

#[test]
fn a_three_shot_reclose_is_one_event_and_one_ending_in_lockout_is_none() {
    // Feeder F1 (800 customers): three momentary operations at 10:00, 10:01 and 10:03
    // (each 20 s): one event, not three → MAIFI_E = 800 / 2000 = 0.4 (MAIFI would be 1.2).
    let s = |h, m, sec| at(h, m) + Duration::seconds(sec);
    let mut list = vec![
        cut(s(10, 0, 0), s(10, 0, 20), 800, breaker("F1")),
        cut(s(10, 1, 0), s(10, 1, 20), 800, breaker("F1")),
        cut(s(10, 3, 0), s(10, 3, 20), 800, breaker("F1")),
    ];
    // Feeder F2 (300 customers): two shots at 14:00 and 14:02, then a third at 14:04 that
    // locks out for 40 minutes: no momentary event; one sustained interruption of 40 min.
    list.extend([
        cut(s(14, 0, 0), s(14, 0, 20), 300, breaker("F2")),
        cut(s(14, 2, 0), s(14, 2, 20), 300, breaker("F2")),
        cut(s(14, 4, 0), s(14, 44, 0), 300, breaker("F2")),
    ]);
    // F1 again at 10:06 (beyond 5 min of 10:00's first shot): a second event.
    list.push(cut(s(10, 6, 0), s(10, 6, 10), 500, breaker("F1")));
    let ix = indices(&list, 2000, day(), five(), at(23, 0));
    assert_eq!(ix.momentary_operations, 6, "3 + 2 + 1 momentary operations");
    assert_eq!(ix.momentary, 2, "F1 10:00 and F1 10:06; F2 locked out");
    // (800 + 500) / 2000 = 0.65
    assert_eq!(ix.maifi_e, Some(0.65));
    assert_eq!(ix.sustained, 1);
    // SAIDI = 40 × 300 / 2000 = 6 min
    assert_eq!(ix.saidi, Some(6.0));
    // Grouping is by device: the same shots by two breakers are two events.
    let two = [
        cut(s(9, 0, 0), s(9, 0, 20), 100, breaker("F1")),
        cut(s(9, 1, 0), s(9, 1, 20), 100, breaker("F2")),
    ];
    assert_eq!(indices(&two, 2000, day(), five(), at(23, 0)).momentary, 2);
}

#[test]
fn more_customers_than_served_are_capped_and_counted() {
    // N_T 1,000; an alert claims 5,000 for 10 min: capped to 1,000 → SAIDI 10, SAIFI 1.
    let list = [cut(at(1, 0), at(1, 10), 5000, sub(1))];
    let ix = indices(&list, 1000, day(), five(), at(23, 0));
    assert_eq!((ix.saidi, ix.saifi, ix.capped), (Some(10.0), Some(1.0), 1));
    // A zone without customers: the interruption counts as one, its customers as none.
    let ix = indices(&list, 0, day(), five(), at(23, 0));
    assert_eq!(
        (ix.sustained, ix.customer_minutes, ix.saidi),
        (1, 0.0, None)
    );
}

#[test]
fn exactly_the_threshold_is_momentary_and_no_customers_is_no_index() {
    let five_min = [cut(at(1, 0), at(1, 5), 10, sub(1))];
    let ix = indices(&five_min, 100, day(), five(), at(2, 0));
    assert_eq!((ix.sustained, ix.momentary), (0, 1));
    assert_eq!(ix.caidi, None, "no sustained interruption: CAIDI undefined");
    let none = indices(&five_min, 0, day(), five(), at(2, 0));
    assert_eq!(
        (none.saidi, none.saifi, none.asai, none.maifi_e),
        (None, None, None, None)
    );
}

#[test]
fn an_ongoing_interruption_counts_until_now() {
    let open = [Interruption {
        start: at(10, 0),
        end: None,
        customers: 10,
        served: None,
        interrupter: sub(1),
    }];
    let ix = indices(&open, 10, day(), five(), at(10, 45));
    assert_eq!(ix.saidi, Some(45.0));
}

#[test]
fn grid_wide_is_customer_weighted_over_one_population() {
    let a = indices(
        &[cut(at(1, 0), at(2, 0), 100, sub(1))],
        100,
        day(),
        five(),
        at(3, 0),
    );
    let b = indices(&[], 900, day(), five(), at(3, 0));
    // Zone SAIDIs 60 and 0; grid = 6000 / 1000 = 6, not (60 + 0) / 2 = 30.
    assert_eq!(combine(&[a, b], 24.0).saidi, Some(6.0));
    // The day: zones of 3,000 and 1,500 customers with 30,000 and 15,000
    // customer-minutes, and a zone with N_T 0 carrying 3,000 (as a row stored before
    // capping would): 45,000 / 4,500 = 10.0 min, not 48,000 / 4,500 = 10.667.
    let zone = |nt: i64, cm: f64| Indices {
        customer_minutes: cm,
        ..Indices::none(nt)
    };
    let grid = combine(
        &[zone(3000, 30_000.0), zone(1500, 15_000.0), zone(0, 3000.0)],
        24.0,
    );
    assert_eq!((grid.customers_served, grid.saidi), (4500, Some(10.0)));
}

#[test]
fn period_sums_carry_the_counts() {
    let d = |n: u32, ix: Indices| DailyIndices {
        date: NaiveDate::from_ymd_opt(2026, 3, n).unwrap(),
        indices: ix,
    };
    let one = indices(
        &[cut(at(1, 0), at(1, 30), 100, sub(1))],
        1000,
        day(),
        five(),
        at(23, 0),
    );
    let p = period(&[d(1, one), d(2, one)], 48.0);
    // 2 × 30 min × 100 = 6,000 customer-minutes; SAIDI 3 + 3 = 6.
    assert_eq!((p.sustained, p.customer_minutes), (2, 6000.0));
    assert_eq!((p.sustained_minutes, p.saidi), (60.0, Some(6.0)));
}

#[test]
fn major_event_threshold_by_hand() {
    // ln values: ln(e^1)=1, ln(e^2)=2, ln(e^3)=3 → α = 2, β = sample sd = 1
    // T_MED = e^(2 + 2.5) = e^4.5 = 90.0171313005…; zero days are left out.
    let e = std::f64::consts::E;
    let t = major_event_threshold(&[e, 0.0, e * e, e * e * e, 0.0]).unwrap();
    assert_eq!(t.days_used, 3);
    assert!((t.alpha - 2.0).abs() < 1e-12 && (t.beta - 1.0).abs() < 1e-12);
    assert!((t.t_med - 90.017_131_300_521_8).abs() < 1e-9, "{}", t.t_med);
    assert_eq!(major_event_threshold(&[5.0]), None);
}

#[test]
fn an_operation_exactly_five_minutes_after_the_first_is_the_same_event() {
    let s = |m: i64| at(10, 0) + Duration::minutes(m);
    let list = [
        cut(s(0), s(0) + Duration::seconds(20), 400, breaker("F1")),
        cut(s(5), s(5) + Duration::seconds(20), 400, breaker("F1")),
    ];
    let ix = indices(&list, 2000, day(), five(), at(23, 0));
    assert_eq!((ix.momentary, ix.momentary_operations), (1, 2));
    assert_eq!(ix.maifi_e, Some(0.2), "400 / 2000, not 0.4");
    // And a lockout exactly 5:00 after the first shot ends the sequence: no event.
    let locked = [
        cut(s(0), s(0) + Duration::seconds(20), 400, breaker("F1")),
        cut(s(5), s(50), 400, breaker("F1")),
    ];
    let ix = indices(&locked, 2000, day(), five(), at(23, 0));
    assert_eq!((ix.momentary, ix.sustained), (0, 1));
}

#[test]
fn a_reclosing_sequence_across_midnight_counts_once_on_its_first_day() {
    let day1 = at(0, 0)..at(0, 0) + Duration::days(1);
    let day2 = day1.end..day1.end + Duration::days(1);
    let t = |h: u32, m: u32, sec: i64| {
        day1.start
            + Duration::hours(h.into())
            + Duration::minutes(m.into())
            + Duration::seconds(sec)
    };
    let shots = [
        cut(t(23, 57, 30), t(23, 57, 50), 600, breaker("F1")),
        cut(t(23, 59, 0), t(23, 59, 20), 600, breaker("F1")),
        cut(t(24, 1, 40), t(24, 2, 0), 600, breaker("F1")),
    ];
    let now = day2.end;
    let one = indices(&shots, 3000, day1.clone(), five(), now);
    let two = indices(&shots, 3000, day2.clone(), five(), now);
    assert_eq!((one.momentary, two.momentary), (1, 0));
    let p = period(
        &[
            DailyIndices {
                date: day1.start.date_naive(),
                indices: one,
            },
            DailyIndices {
                date: day2.start.date_naive(),
                indices: two,
            },
        ],
        48.0,
    );
    assert_eq!(p.momentary, one.momentary + two.momentary);
    assert!((p.maifi_e.unwrap() - 0.2).abs() < 1e-12, "{:?}", p.maifi_e);
}

#[test]
fn a_thirty_hour_outage_leaves_asai_in_range_on_both_days() {
    let day1 = at(0, 0)..at(0, 0) + Duration::days(1);
    let day2 = day1.end..day1.end + Duration::days(1);
    // All 1,000 customers out from day 1's 00:00 to day 2's 06:00.
    let out = [cut(
        day1.start,
        day1.start + Duration::hours(30),
        1000,
        sub(1),
    )];
    let now = day2.end;
    let one = indices(&out, 1000, day1.clone(), five(), now);
    let two = indices(&out, 1000, day2.clone(), five(), now);
    // SAIDI stays on the day it began (IEEE 1366): 30 h = 1800 min on day 1, none on day 2.
    assert_eq!((one.saidi, two.saidi), (Some(1800.0), Some(0.0)));
    // Availability is each day's: none on day 1, three quarters on day 2.
    assert_eq!(one.asai, Some(0.0));
    assert!((two.asai.unwrap() - 0.75).abs() < 1e-12, "{:?}", two.asai);
    for a in [one.asai.unwrap(), two.asai.unwrap()] {
        assert!((0.0..=1.0).contains(&a));
    }
    // Over the two days: 30 of 48 hours without supply.
    let p = period(
        &[
            DailyIndices {
                date: day1.start.date_naive(),
                indices: one,
            },
            DailyIndices {
                date: day2.start.date_naive(),
                indices: two,
            },
        ],
        48.0,
    );
    assert!(
        (p.asai.unwrap() - 18.0 / 48.0).abs() < 1e-12,
        "{:?}",
        p.asai
    );
}
