//! Reliability over a period (month, year, …), per zone and grid-wide, with and without
//! major event days.
//!
//! Built from the stored daily rows (compute the days first): a day without a row is absent,
//! not a day without interruptions. A zone's major-event-day threshold comes from its own
//! daily SAIDI of the five years before the period (fewer when fewer exist); the grid's from
//! the grid's daily SAIDI, itself customer-weighted over the zones each day.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
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
        customer_minutes: r.customer_minutes,
        customer_interruptions: r.customer_interruptions,
        customer_momentary_events: r.customer_momentary_events,
        saidi: row.saidi,
        saifi: row.saifi,
        caidi: r.caidi_minutes,
        asai: r.asai,
        maifi_e: r.maifi_e,
    }
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
    /// The 2.5β threshold, when the history allows one.
    pub threshold: Option<MajorEventThreshold>,
    /// Days of the period whose SAIDI exceeds the threshold.
    pub major_event_days: Vec<NaiveDate>,
    /// Days of history the threshold used (before the period, SAIDI > 0).
    pub history_days: usize,
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

/// Reliability of a zone (or the grid, `None`) over `[from, to]`.
pub fn period_report(
    conn: &mut PgConnection,
    zone: Option<GridZone>,
    from: NaiveDate,
    to: NaiveDate,
) -> crate::AnalyticsResult<PeriodReport> {
    let history_from = from
        .checked_sub_months(Months::new(60))
        .unwrap_or(NaiveDate::MIN);
    let rows = grid_store::statistics::range(conn, history_from, to)?;
    Ok(report_from_rows(&rows, zone, from, to))
}

/// [`period_report`] on rows already loaded (pure).
pub fn report_from_rows(
    rows: &[DailyStatistics],
    zone: Option<GridZone>,
    from: NaiveDate,
    to: NaiveDate,
) -> PeriodReport {
    let history_from = from
        .checked_sub_months(Months::new(60))
        .unwrap_or(NaiveDate::MIN);
    let series = daily_series(rows, zone);
    let history: Vec<f64> = series
        .range(history_from..from)
        .filter_map(|(_, d)| d.indices.saidi)
        .collect();
    let threshold = major_event_threshold(&history);
    let days: Vec<DailyIndices> = series.range(from..=to).map(|(_, d)| *d).collect();
    let hours = ((to - from).num_days() + 1) as f64 * 24.0;
    let major_event_days: Vec<NaiveDate> = match threshold {
        Some(t) => days
            .iter()
            .filter(|d| d.indices.saidi.is_some_and(|s| s > t.t_med))
            .map(|d| d.date)
            .collect(),
        None => Vec::new(),
    };
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
        threshold,
        major_event_days,
        history_days: history.iter().filter(|s| **s > 0.0).count(),
    }
}
