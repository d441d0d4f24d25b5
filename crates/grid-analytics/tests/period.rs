//! Period indices with and without major event days, per zone and grid-wide.

use chrono::NaiveDate;
use grid_analytics::period::{ReportingYear, period_report};
use grid_model::{DailyStatistics, GridZone};
use grid_store::StatisticsRepository;
use grid_testdb::TestDb;
use grid_testkit::MIGRATED;
use serde_json::json;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A stored day whose sustained interruptions add up to `saidi` minutes for `customers`.
fn day_row(date: NaiveDate, zone: GridZone, customers: i64, saidi: f64) -> DailyStatistics {
    let mut s = DailyStatistics::empty(date, zone);
    let customer_minutes = saidi * customers as f64;
    s.saidi = Some(saidi);
    s.saifi = Some(if saidi > 0.0 { 0.5 } else { 0.0 });
    s.total_outages = i32::from(saidi > 0.0);
    s.metadata = json!({"reliability": {
        "customers_served": customers,
        "customer_minutes": customer_minutes,
        "customer_interruptions": if saidi > 0.0 { customers as f64 * 0.5 } else { 0.0 },
        "customer_momentary_events": 0.0,
        "momentary_interruptions": 0,
    }});
    s
}

#[test]
fn a_hand_sized_series_with_its_threshold_worked_out_by_hand() {
    let db = TestDb::new(&MIGRATED);
    let conn = &mut db.conn();
    let e = std::f64::consts::E;
    // History: SAIDI e, e², e³ and a zero day (left out): ln → 1, 2, 3; α = 2; β = 1 (sample
    // standard deviation); T_MED = e^(2 + 2.5·1) = e^4.5 = 90.0171313005218 min.
    for (d, saidi) in [(1, e), (2, e * e), (3, e * e * e), (4, 0.0)] {
        conn.upsert_daily_statistics(&day_row(date(2026, 1, d), GridZone::Mombasa, 1000, saidi))
            .unwrap();
    }
    // The period: 10, 100 (> T_MED: a major event day), 50 minutes.
    for (d, saidi) in [(1, 10.0), (2, 100.0), (3, 50.0)] {
        conn.upsert_daily_statistics(&day_row(date(2026, 2, d), GridZone::Mombasa, 1000, saidi))
            .unwrap();
    }
    // The reporting year begins in February here, so January's days are its history.
    let year = ReportingYear { first_month: 2 };
    let r = period_report(
        conn,
        Some(GridZone::Mombasa),
        (date(2026, 2, 1), date(2026, 2, 3)),
        year,
    )
    .unwrap();
    let t = r.threshold().unwrap();
    assert!((t.t_med - 90.017_131_300_521_8).abs() < 1e-9, "{}", t.t_med);
    assert_eq!(r.thresholds[0].history_days, 3);
    assert_eq!(r.major_event_days, [date(2026, 2, 2)]);
    assert!((r.all_days.saidi.unwrap() - 160.0).abs() < 1e-9);
    assert!((r.without_major_events.saidi.unwrap() - 60.0).abs() < 1e-9);
    assert_eq!(r.all_days.saifi, Some(1.5));
    assert_eq!(r.without_major_events.saifi, Some(1.0));
    // CAIDI = SAIDI / SAIFI; ASAI over 72 hours.
    assert!((r.without_major_events.caidi.unwrap() - 60.0).abs() < 1e-9);
    assert!((r.without_major_events.asai.unwrap() - (1.0 - 1.0 / 72.0)).abs() < 1e-12);
}

#[test]
fn grid_wide_days_are_customer_weighted_from_the_zones() {
    let db = TestDb::new(&MIGRATED);
    let conn = &mut db.conn();
    let d = date(2026, 2, 10);
    conn.upsert_daily_statistics(&day_row(d, GridZone::Nairobi, 1000, 40.0))
        .unwrap();
    conn.upsert_daily_statistics(&day_row(d, GridZone::Kisumu, 3000, 0.0))
        .unwrap();
    let r = period_report(conn, None, (d, d), ReportingYear::default()).unwrap();
    // 40,000 customer-minutes / 4,000 customers = 10, not (40 + 0) / 2.
    assert!((r.all_days.saidi.unwrap() - 10.0).abs() < 1e-12);
    assert_eq!(r.all_days.customers_served, 4000);
    assert!(
        r.threshold().is_none(),
        "no history: no threshold, no major event day"
    );
}

/// splitmix64 → standard normal (Box–Muller), deterministic.
struct Rng(u64);
impl Rng {
    fn u(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (a, b) = (self.u().max(1e-300), self.u());
        (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos()
    }
}

#[test]
fn a_generated_five_year_history_sets_the_threshold() {
    let db = TestDb::new(&MIGRATED);
    let conn = &mut db.conn();
    let zone = GridZone::Central;
    let period_start = date(2026, 1, 1);
    let mut rng = Rng(42);
    let mut history = Vec::new();
    let mut d = date(2021, 1, 1);
    while d < period_start {
        // Log-normal daily SAIDI (median ≈ 2.7 min), one day in ten without interruption.
        let saidi = if rng.u() < 0.1 {
            0.0
        } else {
            (1.0 + 0.8 * rng.normal()).exp()
        };
        history.push(saidi);
        conn.upsert_daily_statistics(&day_row(d, zone, 20_000, saidi))
            .unwrap();
        d = d.succ_opt().unwrap();
    }
    // Older than five years: must not count.
    conn.upsert_daily_statistics(&day_row(date(2020, 12, 31), zone, 20_000, 1e6))
        .unwrap();
    // The expected threshold, computed here independently of the crate.
    let logs: Vec<f64> = history
        .iter()
        .filter(|s| **s > 0.0)
        .map(|s| s.ln())
        .collect();
    let n = logs.len() as f64;
    let alpha = logs.iter().sum::<f64>() / n;
    let beta = (logs.iter().map(|l| (l - alpha) * (l - alpha)).sum::<f64>() / (n - 1.0)).sqrt();
    let t_med = (alpha + 2.5 * beta).exp();
    // January 2026: ordinary days, and two storms far above the threshold.
    for day in 1..=31 {
        let saidi = match day {
            9 | 23 => t_med * 3.0,
            _ => t_med / 4.0,
        };
        conn.upsert_daily_statistics(&day_row(date(2026, 1, day), zone, 20_000, saidi))
            .unwrap();
    }
    let r = period_report(
        conn,
        Some(zone),
        (period_start, date(2026, 1, 31)),
        ReportingYear::default(),
    )
    .unwrap();
    let t = r.threshold().unwrap();
    assert_eq!(t.days_used, logs.len());
    assert!(
        (t.t_med - t_med).abs() < 1e-9 * t_med,
        "{} vs {t_med}",
        t.t_med
    );
    assert_eq!(r.major_event_days, [date(2026, 1, 9), date(2026, 1, 23)]);
    let all = r.all_days.saidi.unwrap();
    let normal = r.without_major_events.saidi.unwrap();
    assert!((all - (29.0 * t_med / 4.0 + 6.0 * t_med)).abs() < 1e-6);
    assert!((normal - 29.0 * t_med / 4.0).abs() < 1e-6);
}

#[test]
fn monthly_reports_of_one_reporting_year_share_one_threshold() {
    let db = TestDb::new(&MIGRATED);
    let conn = &mut db.conn();
    let zone = GridZone::Nakuru;
    let e = std::f64::consts::E;
    // 2025 (the history of reporting year 2026): SAIDI e, e², e³ → T_MED = e^4.5 = 90.017 min.
    for (d, saidi) in [(1, e), (2, e * e), (3, e * e * e)] {
        conn.upsert_daily_statistics(&day_row(date(2025, 6, d), zone, 1000, saidi))
            .unwrap();
    }
    // Inside 2026: a storm of 500 min in March. A five-year window rolling before each
    // report would take it into November's history (ln values 1, 2, 3, ln 500 = 6.2146:
    // α = 3.0537, β = 2.2600, T_MED = e^(3.0537 + 5.6499) = 6,024 min) and let November's
    // 1,000-min day pass as normal; IEEE 1366 keeps 2026's T_MED at 90.017 all year.
    conn.upsert_daily_statistics(&day_row(date(2026, 3, 5), zone, 1000, 500.0))
        .unwrap();
    conn.upsert_daily_statistics(&day_row(date(2026, 11, 5), zone, 1000, 1000.0))
        .unwrap();
    let year = ReportingYear::default();
    let march = period_report(
        conn,
        Some(zone),
        (date(2026, 3, 1), date(2026, 3, 31)),
        year,
    )
    .unwrap();
    let november = period_report(
        conn,
        Some(zone),
        (date(2026, 11, 1), date(2026, 11, 30)),
        year,
    )
    .unwrap();
    let (tm, tn) = (march.threshold().unwrap(), november.threshold().unwrap());
    assert_eq!(tm, tn, "one threshold for the reporting year");
    assert!((tn.t_med - 90.017_131_300_521_8).abs() < 1e-9);
    assert_eq!(march.thresholds[0].year_start, date(2026, 1, 1));
    assert_eq!(march.major_event_days, [date(2026, 3, 5)]);
    assert_eq!(november.major_event_days, [date(2026, 11, 5)]);
    // The period's sums carry the counts: one sustained day of 1,000 customer-minutes/1,000
    // customers → customer_minutes 1,000,000, SAIDI 1,000.
    assert_eq!(november.all_days.sustained, 1);
    assert!((november.all_days.customer_minutes - 1_000_000.0).abs() < 1e-6);

    // A period spanning two reporting years judges each day by its own year's threshold:
    // 2027's history holds 2026's 500 and 1,000 (and 2025's days, within five years).
    let across = period_report(
        conn,
        Some(zone),
        (date(2026, 11, 1), date(2027, 1, 31)),
        year,
    )
    .unwrap();
    assert_eq!(across.thresholds.len(), 1, "no 2027 day stored: one year");
    conn.upsert_daily_statistics(&day_row(date(2027, 1, 10), zone, 1000, 1000.0))
        .unwrap();
    let across = period_report(
        conn,
        Some(zone),
        (date(2026, 11, 1), date(2027, 1, 31)),
        year,
    )
    .unwrap();
    assert_eq!(across.thresholds.len(), 2);
    // 2027: ln values 1, 2, 3, 6.2146, 6.9078 → α = 3.8245, β = 2.6079, T_MED = e^10.3443 =
    // 31,080 min: the 1,000-min day of 2027 is normal, November's still a major event day.
    let t27 = across.thresholds[1].threshold.unwrap();
    assert!(
        (t27.t_med.ln() - 10.3443).abs() < 1e-3,
        "{}",
        t27.t_med.ln()
    );
    assert_eq!(across.major_event_days, [date(2026, 11, 5)]);
}
