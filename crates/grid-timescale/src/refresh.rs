//! Refreshing the rollups from the invalidation log, one bad hour never stopping the rest.
//!
//! [`refresh()`] drains the log in chunks of [`REFRESH_CHUNK`] entries. Each chunk's hours are
//! recomputed together (tables: one savepoint; continuous aggregates: one refresh call per
//! run of consecutive hours); when that fails, hour by hour, and each hour that still fails
//! is set aside ([`crate::set_aside`]) with its error while the others go through. Local days
//! are recomputed for the good hours, except days that hold a set-aside hour (their daily
//! bucket would mix fresh and stale hours); a day that fails sets its hours aside. Hours set
//! aside earlier are put back in the log when due, at the start of each refresh.
//!
//! No bucket that begins before the retention horizon is recomputed (see
//! [`crate::retention`]).

use chrono::{DateTime, Duration, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Timestamptz};

use crate::capabilities::{ServerMode, detect};
use crate::error::TsResult;
use crate::ledger::{RollupKind, RollupState, literal, rollup_state, state};
use crate::rollup::{MERGE_AGGREGATES, first_last, raw_aggregates};
use crate::set_aside::{self, FailedHour};

/// What a refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RefreshReport {
    /// Distinct hours recomputed.
    pub hours: usize,
    /// Distinct local days recomputed.
    pub days: usize,
    /// Invalidated hours older than the retention horizon, left as they were.
    pub skipped_before_horizon: usize,
    /// Hours set aside by this refresh (their recomputation failed), with the error.
    pub set_aside: Vec<FailedHour>,
    /// Hours set aside earlier that were due and refreshed now.
    pub recovered: usize,
    /// Hours set aside in all, after this refresh (see [`set_aside::set_aside_hours`]).
    pub still_set_aside: usize,
    /// Invalidated hours left in the log for the aggregates' owner: TimescaleDB lets only the
    /// owner of a continuous aggregate refresh it, so another role's refresh recomputes
    /// nothing (see [`crate::stale::stale_hours`] for whether that matters to a range).
    pub left_to_owner: usize,
}

/// A local day: the instants of its midnight and of the next.
type Day = (DateTime<Utc>, DateTime<Utc>);

/// How many invalidation-log entries one refresh step takes at most.
pub const REFRESH_CHUNK: i64 = 5000;

/// Brings the rollups up to date with every reading ingested so far (see the module docs).
/// Fails only when the database cannot be used at all; a failing hour is set aside.
///
/// ```no_run
/// # fn demo(conn: &mut diesel::PgConnection) -> grid_timescale::TsResult<()> {
/// let r = grid_timescale::refresh(conn)?;
/// println!("hours {} days {}; set aside now {:?}", r.hours, r.days, r.set_aside);
/// # Ok(()) }
/// ```
pub fn refresh(conn: &mut PgConnection) -> TsResult<RefreshReport> {
    let span = tracing::info_span!(
        "refresh",
        hours = tracing::field::Empty,
        days = tracing::field::Empty,
        set_aside = tracing::field::Empty
    );
    let _entered = span.enter();
    let started = std::time::Instant::now();
    let report = refresh_all(conn)?;
    span.record("hours", report.hours);
    span.record("days", report.days);
    span.record("set_aside", report.set_aside.len());
    record_metrics(&report, started.elapsed());
    Ok(report)
}

fn record_metrics(report: &RefreshReport, took: std::time::Duration) {
    use crate::telemetry::{
        REFRESH_HOURS, REFRESH_SECONDS, REFRESH_SET_ASIDE, ROLLUP_BACKLOG_HOURS,
    };
    metrics::counter!(REFRESH_HOURS).increment(report.hours as u64);
    metrics::counter!(REFRESH_SET_ASIDE).increment(report.set_aside.len() as u64);
    metrics::histogram!(REFRESH_SECONDS).record(took.as_secs_f64());
    metrics::gauge!(ROLLUP_BACKLOG_HOURS)
        .set((report.left_to_owner + report.still_set_aside) as f64);
}

fn refresh_all(conn: &mut PgConnection) -> TsResult<RefreshReport> {
    let setup = state(conn)?;
    let mode = detect(conn)?.mode;
    let mut report = RefreshReport::default();
    if setup.rollups == RollupKind::ContinuousAggregates && !crate::stale::may_refresh_caggs(conn)?
    {
        report.left_to_owner = crate::stale::log_len(conn)?;
        tracing::info!(
            left_to_owner = report.left_to_owner,
            "not the continuous aggregates' owner: refresh left to the owner"
        );
        return Ok(report);
    }
    let horizon = crate::ledger::horizon(conn)?;
    set_aside::requeue_due(conn, horizon)?;
    loop {
        let step = match setup.rollups {
            RollupKind::Tables => {
                conn.transaction(|c| refresh_tables_step(c, mode, &mut report))?
            }
            RollupKind::ContinuousAggregates => refresh_caggs_step(conn, &mut report)?,
        };
        if !step {
            break;
        }
    }
    conn.batch_execute("UPDATE grid_timescale_rollup_state SET refreshed_at = now()")?;
    report.still_set_aside = set_aside::set_aside_hours(conn)?.len();
    if !report.set_aside.is_empty() {
        tracing::warn!(
            set_aside = report.set_aside.len(),
            first = %report.set_aside[0].hour,
            error = %report.set_aside[0].error,
            "rollup hours set aside"
        );
    }
    Ok(report)
}

/// Takes a chunk of the log (skipping entries another refresh holds).
fn take_hours(
    conn: &mut PgConnection,
    delete: bool,
) -> QueryResult<(Vec<i64>, Vec<DateTime<Utc>>)> {
    #[derive(QueryableByName)]
    struct Entry {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Timestamptz)]
        hour: DateTime<Utc>,
    }
    let sql = if delete {
        "DELETE FROM grid_timescale_invalidations WHERE id IN (
             SELECT id FROM grid_timescale_invalidations ORDER BY id
              LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING id, hour"
    } else {
        "SELECT id, hour FROM grid_timescale_invalidations ORDER BY id LIMIT $1"
    };
    let entries: Vec<Entry> = diesel::sql_query(sql)
        .bind::<BigInt, _>(REFRESH_CHUNK)
        .load(conn)?;
    let ids = entries.iter().map(|e| e.id).collect();
    let mut hours: Vec<DateTime<Utc>> = entries.into_iter().map(|e| e.hour).collect();
    hours.sort();
    hours.dedup();
    Ok((ids, hours))
}

fn split_at_horizon(
    hours: Vec<DateTime<Utc>>,
    horizon: Option<DateTime<Utc>>,
    report: &mut RefreshReport,
) -> Vec<DateTime<Utc>> {
    let (live, old): (Vec<_>, Vec<_>) = hours
        .into_iter()
        .partition(|h| horizon.is_none_or(|hz| *h >= hz));
    report.skipped_before_horizon += old.len();
    live
}

/// Runs `f` over all items at once; if that fails, over each item alone. Returns the items
/// that succeeded and, for the others, the error.
fn isolate<T: Copy, E: std::fmt::Display>(
    items: &[T],
    mut f: impl FnMut(&[T]) -> Result<(), E>,
) -> (Vec<T>, Vec<(T, String)>) {
    if items.is_empty() || f(items).is_ok() {
        return (items.to_vec(), Vec::new());
    }
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for &item in items {
        match f(&[item]) {
            Ok(()) => good.push(item),
            Err(e) => bad.push((item, e.to_string())),
        }
    }
    (good, bad)
}

/// Sets `hours` aside with `error` and forgets the good ones; returns the good hours' days
/// to recompute (those of the horizon's side, none holding a set-aside hour).
fn settle_hours(
    conn: &mut PgConnection,
    st: &RollupState,
    horizon: Option<DateTime<Utc>>,
    good: &[DateTime<Utc>],
    bad: Vec<(DateTime<Utc>, String)>,
    report: &mut RefreshReport,
) -> QueryResult<Vec<Day>> {
    for (hour, error) in bad {
        report
            .set_aside
            .push(set_aside::record(conn, hour, &error)?);
    }
    report.hours += good.len();
    report.recovered += set_aside::clear(conn, good)?;
    let days = days_from_horizon(local_days(conn, good, &st.time_zone)?, horizon);
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Ok(days);
    };
    let blocked = set_aside::in_range(conn, first.0, last.1)?;
    Ok(days
        .into_iter()
        .filter(|(a, b)| !blocked.iter().any(|h| h >= a && h < b))
        .collect())
}

/// Sets aside the good hours of days whose recomputation failed.
fn settle_days(
    conn: &mut PgConnection,
    good_hours: &[DateTime<Utc>],
    days_done: usize,
    bad_days: Vec<(Day, String)>,
    report: &mut RefreshReport,
) -> QueryResult<()> {
    report.days += days_done;
    for ((a, b), error) in bad_days {
        for &h in good_hours.iter().filter(|h| **h >= a && **h < b) {
            let error = format!("daily rollup of the local day starting {a}: {error}");
            report.set_aside.push(set_aside::record(conn, h, &error)?);
            report.hours -= 1;
        }
    }
    Ok(())
}

fn refresh_tables_step(
    conn: &mut PgConnection,
    mode: ServerMode,
    report: &mut RefreshReport,
) -> TsResult<bool> {
    let (ids, hours) = take_hours(conn, true)?;
    if ids.is_empty() {
        return Ok(false);
    }
    let st = rollup_state(conn)?;
    let horizon = crate::ledger::horizon(conn)?;
    let hours = split_at_horizon(hours, horizon, report);
    let (first, last) = first_last(mode);
    let aggs = raw_aggregates(first, last);
    // Each attempt in a savepoint of its own, so a failure undoes only itself.
    let (good, bad) = isolate(&hours, |hs| {
        conn.transaction(|c| recompute_hours(c, &aggs, hs))
    });
    let days = settle_hours(conn, &st, horizon, &good, bad, report)?;
    let (days_good, days_bad) = isolate(&days, |ds| {
        conn.transaction(|c| recompute_days(c, &st, &aggs, ds))
    });
    settle_days(conn, &good, days_good.len(), days_bad, report)?;
    Ok(true)
}

/// Recomputes the hourly rollup of `hours` (sorted) from raw readings.
fn recompute_hours(
    conn: &mut PgConnection,
    aggs: &str,
    hours: &[DateTime<Utc>],
) -> QueryResult<()> {
    for (a, b) in runs(hours) {
        let in_run: Vec<DateTime<Utc>> = hours
            .iter()
            .copied()
            .filter(|h| *h >= a && *h <= b)
            .collect();
        diesel::sql_query("DELETE FROM sensor_readings_hourly WHERE bucket = ANY($1)")
            .bind::<Array<Timestamptz>, _>(&in_run)
            .execute(conn)?;
        diesel::sql_query(format!(
            "INSERT INTO sensor_readings_hourly
             SELECT sensor_id,
                    date_bin(INTERVAL '1 hour', \"timestamp\", TIMESTAMPTZ '2000-01-01 00:00+00') AS bucket,
                    {aggs}
               FROM sensor_readings
              WHERE \"timestamp\" >= $1 AND \"timestamp\" < $2
                AND date_bin(INTERVAL '1 hour', \"timestamp\", TIMESTAMPTZ '2000-01-01 00:00+00') = ANY($3)
              GROUP BY 1, 2"
        ))
        .bind::<Timestamptz, _>(a)
        .bind::<Timestamptz, _>(b + Duration::hours(1))
        .bind::<Array<Timestamptz>, _>(&in_run)
        .execute(conn)?;
    }
    Ok(())
}

/// Recomputes the daily rollup of `days` ((start, end) of each local day, sorted).
fn recompute_days(
    conn: &mut PgConnection,
    st: &RollupState,
    aggs: &str,
    days: &[(DateTime<Utc>, DateTime<Utc>)],
) -> QueryResult<()> {
    for (a, b) in day_runs(days) {
        // (a, b): local-midnight instants of the first day and of the day after the last.
        diesel::sql_query("DELETE FROM sensor_readings_daily WHERE bucket >= $1 AND bucket < $2")
            .bind::<Timestamptz, _>(a)
            .bind::<Timestamptz, _>(b)
            .execute(conn)?;
        let (source, select, time_col) = if st.daily_from_hourly {
            ("sensor_readings_hourly", MERGE_AGGREGATES, "bucket")
        } else {
            ("sensor_readings", aggs, "\"timestamp\"")
        };
        diesel::sql_query(format!(
            "INSERT INTO sensor_readings_daily
             SELECT sensor_id, date_trunc('day', {time_col} AT TIME ZONE $3) AT TIME ZONE $3 AS bucket,
                    {select}
               FROM {source}
              WHERE {time_col} >= $1 AND {time_col} < $2
              GROUP BY 1, 2"
        ))
        .bind::<Timestamptz, _>(a)
        .bind::<Timestamptz, _>(b)
        .bind::<Text, _>(&st.time_zone)
        .execute(conn)?;
    }
    Ok(())
}

/// The local days containing `hours`: (start, end) instants of each, sorted, distinct. Local
/// days are 23-25 h long across DST changes, so both ends come from the database.
fn local_days(
    conn: &mut PgConnection,
    hours: &[DateTime<Utc>],
    tz: &str,
) -> QueryResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    #[derive(QueryableByName)]
    struct Day {
        #[diesel(sql_type = Timestamptz)]
        start: DateTime<Utc>,
        #[diesel(sql_type = Timestamptz)]
        end: DateTime<Utc>,
    }
    if hours.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Day> = diesel::sql_query(
        "SELECT DISTINCT date_trunc('day', h AT TIME ZONE $2) AT TIME ZONE $2 AS start,
                (date_trunc('day', h AT TIME ZONE $2) + INTERVAL '1 day') AT TIME ZONE $2 AS end
           FROM unnest($1::timestamptz[]) AS h ORDER BY 1",
    )
    .bind::<Array<Timestamptz>, _>(hours)
    .bind::<Text, _>(tz)
    .load(conn)?;
    Ok(rows.into_iter().map(|d| (d.start, d.end)).collect())
}

/// The days that begin at or after the horizon: a day that began before it has lost raw
/// readings to retention, and the rollup keeps its history (see [`crate::retention`]).
fn days_from_horizon(
    days: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    horizon: Option<DateTime<Utc>>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    days.into_iter()
        .filter(|(start, _)| horizon.is_none_or(|hz| *start >= hz))
        .collect()
}

/// Groups sorted hours into runs of consecutive hours: `(first, last)` of each run.
fn runs(hours: &[DateTime<Utc>]) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for &h in hours {
        match out.last_mut() {
            Some((_, last)) if h - *last <= Duration::hours(1) => *last = h,
            _ => out.push((h, h)),
        }
    }
    out
}

/// Merges adjacent days into runs: (start of the first, end of the last).
fn day_runs(days: &[(DateTime<Utc>, DateTime<Utc>)]) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for &(start, end) in days {
        match out.last_mut() {
            Some((_, last_end)) if start <= *last_end => *last_end = end,
            _ => out.push((start, end)),
        }
    }
    out
}

fn refresh_caggs_step(conn: &mut PgConnection, report: &mut RefreshReport) -> TsResult<bool> {
    let (ids, hours) = take_hours(conn, false)?;
    if ids.is_empty() {
        return Ok(false);
    }
    let st = rollup_state(conn)?;
    let horizon = crate::ledger::horizon(conn)?;
    let hours = split_at_horizon(hours, horizon, report);
    // refresh_continuous_aggregate cannot run in a transaction block: one CALL per run of
    // hours (each hour alone when a run fails), never over a window that starts before the
    // horizon (that would erase history).
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for (a, b) in runs(&hours) {
        let in_run: Vec<DateTime<Utc>> = hours
            .iter()
            .copied()
            .filter(|h| *h >= a && *h <= b)
            .collect();
        // A run is consecutive: its window is from its first hour to the end of its last.
        let (g, e) = isolate(&in_run, |hs| {
            let (first, last) = (hs[0], hs[hs.len() - 1]);
            refresh_cagg(
                conn,
                "sensor_readings_hourly",
                first,
                last + Duration::hours(1),
            )
        });
        good.extend(g);
        bad.extend(e);
    }
    let days = settle_hours(conn, &st, horizon, &good, bad, report)?;
    // Whole local days only: a refresh window that starts inside a bucket may be widened to
    // the whole bucket, and a day that began before the horizon must never be recomputed.
    let (mut days_good, mut days_bad) = (Vec::new(), Vec::new());
    for (a, b) in day_runs(&days) {
        let in_run: Vec<(DateTime<Utc>, DateTime<Utc>)> = days
            .iter()
            .copied()
            .filter(|d| d.0 >= a && d.1 <= b)
            .collect();
        let (g, e) = isolate(&in_run, |ds| {
            refresh_cagg(conn, "sensor_readings_daily", ds[0].0, ds[ds.len() - 1].1)
        });
        days_good.extend(g);
        days_bad.extend(e);
    }
    settle_days(conn, &good, days_good.len(), days_bad, report)?;
    diesel::sql_query("DELETE FROM grid_timescale_invalidations WHERE id = ANY($1)")
        .bind::<Array<BigInt>, _>(&ids)
        .execute(conn)?;
    Ok(true)
}

fn refresh_cagg(
    conn: &mut PgConnection,
    view: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<()> {
    conn.batch_execute(&format!(
        "CALL refresh_continuous_aggregate('{view}', {}, {})",
        literal(&from.to_rfc3339()),
        literal(&to.to_rfc3339())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn consecutive_hours_form_runs() {
        let h = |d, h| Utc.with_ymd_and_hms(2026, 1, d, h, 0, 0).unwrap();
        let r = runs(&[h(1, 0), h(1, 1), h(1, 2), h(1, 5), h(2, 0)]);
        assert_eq!(
            r,
            vec![(h(1, 0), h(1, 2)), (h(1, 5), h(1, 5)), (h(2, 0), h(2, 0))]
        );
    }

    #[test]
    fn a_failing_item_is_isolated_and_the_rest_goes_through() {
        let mut calls = 0;
        let (good, bad) = isolate(&[1, 2, 3, 4], |xs: &[i32]| {
            calls += 1;
            if xs.contains(&3) {
                Err("3 fails")
            } else {
                Ok(())
            }
        });
        assert_eq!(calls, 5, "all at once, then each alone");
        assert_eq!(good, [1, 2, 4]);
        assert_eq!(bad, [(3, "3 fails".to_owned())]);
    }
}
