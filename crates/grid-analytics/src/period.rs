//! Reliability over a period (month, year, …), per zone and grid-wide, with and without
//! major event days.
//!
//! Built from the stored daily rows (compute the days first): a day without a row is absent,
//! not a day without interruptions. IEEE 1366 fixes T_MED once per **reporting year** from
//! the daily SAIDI of the five years before that year begins (fewer when fewer exist), so
//! every report inside one reporting year uses the same threshold; the reporting year is the
//! calendar year unless [`ReportingYear::first_month`] says otherwise. A period spanning two
//! reporting years judges each day by its own year's threshold. A zone's threshold comes
//! from its own daily SAIDI; the grid's from the grid's daily SAIDI, itself
//! customer-weighted over the zones each day.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use diesel::PgConnection;
use grid_model::{DailyStatistics, GridZone, StatisticsMetadata};
use serde::Serialize;

use crate::reliability::{
    DailyIndices, Indices, MajorEventThreshold, combine, major_event_threshold, period,
};

/// The indices a stored daily row carries (its metadata holds what the columns do not).
pub fn indices_of(row: &DailyStatistics) -> Indices {
    let r = StatisticsMetadata::from_json(&row.metadata)
        .reliability
        .unwrap_or_default();
    Indices {
        customers_served: r.customers_served,
        sustained: row.total_outages.max(0) as u32,
        sustained_minutes: row.total_outage_minutes,
        momentary: r.momentary_interruptions,
        momentary_operations: r.momentary_operations,
        capped: r.capped_interruptions,
        customer_minutes: r.customer_minutes,
        customer_minutes_unavailable: r.customer_minutes_unavailable.unwrap_or(r.customer_minutes),
        customer_interruptions: r.customer_interruptions,
        customer_momentary_events: r.customer_momentary_events,
        saidi: row.saidi,
        saifi: row.saifi,
        caidi: r.caidi_minutes,
        asai: r.asai,
        maifi_e: r.maifi_e,
    }
}

/// When a reporting year begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReportingYear {
    /// Its first month, 1–12 (1: the calendar year; 7: a July–June financial year).
    pub first_month: u32,
}

impl Default for ReportingYear {
    fn default() -> Self {
        ReportingYear { first_month: 1 }
    }
}

impl ReportingYear {
    /// The first day of the reporting year `date` falls in (a first month outside 1–12 is
    /// read as January).
    pub fn start_of(&self, date: NaiveDate) -> NaiveDate {
        let m = if (1..=12).contains(&self.first_month) {
            self.first_month
        } else {
            1
        };
        let year = if date.month() >= m {
            date.year()
        } else {
            date.year() - 1
        };
        NaiveDate::from_ymd_opt(year, m, 1).unwrap_or(date)
    }
}

/// The threshold of one reporting year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearThreshold {
    /// The reporting year's first day.
    pub year_start: NaiveDate,
    /// T_MED and its inputs, when the history allows one.
    pub threshold: Option<MajorEventThreshold>,
    /// Days of history it used (the five years before `year_start`, SAIDI > 0).
    pub history_days: usize,
}

/// Reliability of one area over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodReport {
    /// The zone, or `None` for the whole grid.
    pub zone: Option<GridZone>,
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
    /// Every day of the period.
    pub all_days: Indices,
    /// The period without its major event days.
    pub without_major_events: Indices,
    /// The 2.5β threshold of each reporting year the period touches, in order.
    pub thresholds: Vec<YearThreshold>,
    /// Days of the period whose SAIDI exceeds their reporting year's threshold.
    pub major_event_days: Vec<NaiveDate>,
}

impl PeriodReport {
    /// The threshold of the reporting year the period begins in.
    pub fn threshold(&self) -> Option<MajorEventThreshold> {
        self.thresholds.first().and_then(|t| t.threshold)
    }
}

/// The daily indices of an area: one zone's rows, or the grid's (zones combined per day).
fn daily_series(
    rows: &[DailyStatistics],
    zone: Option<GridZone>,
) -> BTreeMap<NaiveDate, DailyIndices> {
    let mut by_day: BTreeMap<NaiveDate, Vec<Indices>> = BTreeMap::new();
    for r in rows.iter().filter(|r| zone.is_none_or(|z| r.zone == z)) {
        by_day.entry(r.date).or_default().push(indices_of(r));
    }
    by_day
        .into_iter()
        .map(|(date, zones)| {
            let indices = if zone.is_some() {
                zones[0]
            } else {
                combine(&zones, 24.0)
            };
            (date, DailyIndices { date, indices })
        })
        .collect()
}

/// Five years before a reporting year begins.
fn history_start(year_start: NaiveDate) -> NaiveDate {
    year_start
        .checked_sub_months(Months::new(60))
        .unwrap_or(NaiveDate::MIN)
}

/// Reliability of a zone (or the grid, `None`) over `[from, to]`, with thresholds per
/// reporting year.
///
/// ```no_run
/// # fn demo(conn: &mut diesel::PgConnection) -> grid_analytics::AnalyticsResult<()> {
/// use chrono::NaiveDate;
/// use grid_analytics::period::{ReportingYear, period_report};
/// use grid_model::GridZone;
///
/// let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
/// // The daily statistics of the period must be computed first (`compute::compute_days`).
/// let r = period_report(conn, Some(GridZone::Nairobi), (day(1), day(30)), ReportingYear::default())?;
/// println!("{}", serde_json::to_string_pretty(&r).unwrap());
/// # Ok(()) }
/// ```
pub fn period_report(
    conn: &mut PgConnection,
    zone: Option<GridZone>,
    (from, to): (NaiveDate, NaiveDate),
    year: ReportingYear,
) -> crate::AnalyticsResult<PeriodReport> {
    let rows = grid_store::statistics::range(conn, history_start(year.start_of(from)), to)?;
    Ok(report_from_rows(&rows, zone, (from, to), year))
}

/// [`period_report`] on rows already loaded (pure).
pub fn report_from_rows(
    rows: &[DailyStatistics],
    zone: Option<GridZone>,
    (from, to): (NaiveDate, NaiveDate),
    year: ReportingYear,
) -> PeriodReport {
    let series = daily_series(rows, zone);
    let days: Vec<DailyIndices> = series.range(from..=to).map(|(_, d)| *d).collect();
    let mut thresholds: Vec<YearThreshold> = Vec::new();
    let mut starts: Vec<NaiveDate> = vec![year.start_of(from)];
    starts.extend(days.iter().map(|d| year.start_of(d.date)));
    starts.dedup();
    for year_start in starts {
        let history: Vec<f64> = series
            .range(history_start(year_start)..year_start)
            .filter_map(|(_, d)| d.indices.saidi)
            .collect();
        thresholds.push(YearThreshold {
            year_start,
            threshold: major_event_threshold(&history),
            history_days: history.iter().filter(|s| **s > 0.0).count(),
        });
    }
    let t_med_of = |d: NaiveDate| {
        let ys = year.start_of(d);
        thresholds
            .iter()
            .find(|t| t.year_start == ys)
            .and_then(|t| t.threshold)
            .map(|t| t.t_med)
    };
    let major_event_days: Vec<NaiveDate> = days
        .iter()
        .filter(|d| matches!((d.indices.saidi, t_med_of(d.date)), (Some(s), Some(t)) if s > t))
        .map(|d| d.date)
        .collect();
    let hours = ((to - from).num_days() + 1) as f64 * 24.0;
    let normal: Vec<DailyIndices> = days
        .iter()
        .copied()
        .filter(|d| !major_event_days.contains(&d.date))
        .collect();
    PeriodReport {
        zone,
        from,
        to,
        all_days: period(&days, hours),
        without_major_events: period(&normal, hours),
        thresholds,
        major_event_days,
    }
}
