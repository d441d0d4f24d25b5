//! The whole demo day, end to end, through every crate.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use grid_alarms_store::AlarmEngine;
use grid_analytics::compute::{AnalyticsConfig, compute_days, day_bounds, zone_load_curves};
use grid_detect::OnlineDetector;
use grid_health::{HealthConfig, assess_day};
use grid_timescale::TimescaleConfig;
use grid_timescale::ingest::{Both, IngestOptions, Ingester, StreamReport, TimePolicy};

use crate::alarms::raise_outages;
pub use crate::error::DemoError;
use crate::grid::{DemoGrid, seed};
use crate::report::{HotSpotCurve, operator_report, svg};
use crate::simulate::{events, quiet_days_before, readings};
pub use crate::summary::{DemoOptions, DemoSummary};

/// What the readings of the day raised while they streamed in.
pub(crate) struct Detected {
    /// Limit alarms the alarm engine raised (one per condition).
    pub(crate) limit_alarms: usize,
    /// Alerts the anomaly engine raised (one per episode or per substation storm).
    pub(crate) anomaly_alerts: usize,
}

/// Quiet days the anomaly detectors learn from before the demo day.
const QUIET_DAYS: u64 = 5;

/// Runs the demo day on a migrated, set-up, empty database.
pub fn run(conn: &mut PgConnection, opts: &DemoOptions) -> Result<DemoSummary, DemoError> {
    let existing: i64 = grid_store::schema::grid_substations::table
        .count()
        .get_result(conn)?;
    if existing > 0 && !opts.force {
        return Err(DemoError::NotEmpty(existing));
    }
    let cfg = AnalyticsConfig::default();
    let zone = grid_analytics::compute::local_zone(conn, &cfg)?;
    let date = opts
        .date
        .unwrap_or_else(|| zone.date_of(Utc::now()) - Duration::days(1));
    let (day_start, day_end) = day_bounds(conn, date, zone)?;
    let grid = seed(conn)?;
    let events = events(day_start);

    // Protection reports the outages as they happen: their alerts are in the store before
    // the readings of the day come in, so the alarm engine suppresses the de-energised
    // substation's voltage and frequency alarms (ISA-18.2 state-based suppression).
    let outages = raise_outages(conn, &grid, &events)?;
    let started = Instant::now();
    let (ingest, detected) = ingest_and_detect(conn, &grid, (day_start, day_end), opts)?;
    let ingest_seconds = started.elapsed().as_secs_f64();

    let alerts_raised = detected.limit_alarms + outages + detected.anomaly_alerts;

    let statistics = compute_days(conn, &cfg, date, date, day_end + Duration::hours(1))?;
    let thermal = assess_day(
        conn,
        date,
        &HealthConfig {
            alarms: opts.thermal.clone(),
            starting_conditions: crate::thermal::starting_conditions(
                date,
                &opts.starting_conditions,
            ),
            ..HealthConfig::default()
        },
    )?;
    let alerts_raised = alerts_raised
        + thermal
            .ranked()
            .iter()
            .map(|(_, d)| d.alerts_raised)
            .sum::<usize>();
    let curves = zone_load_curves(conn, &cfg, date)?;
    let hot_spots: Vec<HotSpotCurve> = thermal
        .ranked()
        .iter()
        .take(3)
        .map(|(t, d)| HotSpotCurve {
            transformer: t.label(),
            points: d.curve.iter().map(|p| (p.at, p.hot_spot_c)).collect(),
        })
        .collect();
    let picture = svg(
        &format!("Load by zone, {date} ({zone})"),
        day_start,
        &curves,
        &hot_spots,
        &events,
    );
    std::fs::write(&opts.svg_path, picture).map_err(|source| DemoError::Io {
        path: opts.svg_path.clone(),
        source,
    })?;
    let mut summary = DemoSummary {
        date,
        zone,
        day_start,
        grid,
        events,
        ingest,
        ingest_seconds,
        alerts_raised,
        statistics,
        thermal,
        svg_path: opts.svg_path.clone(),
        report: String::new(),
    };
    summary.report = operator_report(conn, &summary)?;
    Ok(summary)
}

/// Streams the day's readings into ingest, through the limit alarms' engine (every point's
/// alarm on the calibrated values ingest stores) and the anomaly engine, which scores each
/// reading before it is stored (its detectors first learn from quiet days before).
fn ingest_and_detect(
    conn: &mut PgConnection,
    grid: &DemoGrid,
    (day_start, day_end): (DateTime<Utc>, DateTime<Utc>),
    opts: &DemoOptions,
) -> Result<(StreamReport, Detected), DemoError> {
    let events = events(day_start);
    let mut ing = Ingester::new(
        conn,
        opts.alarms.limits.clone(),
        IngestOptions {
            time_policy: TimePolicy::backfill(day_start, day_end),
            ..Default::default()
        },
    )?;
    let bar = progress_bar(opts.progress, 1440 * grid.sensors.len() as u64);
    let zone = grid_timescale::local_zone(conn)?;
    let stream = readings(grid, day_start, zone, &events);
    grid_detect::train(conn, &quiet_days_before(grid, day_start, zone, QUIET_DAYS))?;
    let mut engine = OnlineDetector::load(conn, opts.anomaly)?;
    let mut alarms = AlarmEngine::new(opts.alarms.clone());
    let ingest = ing
        .ingest_stream_scored(
            conn,
            stream,
            50_000,
            &mut Both(&mut engine, &mut alarms),
            |p| bar.set_position(p.position),
        )
        .map_err(|e| e.error)?;
    bar.finish_and_clear();
    let c = engine.alert_counts();
    let detected = Detected {
        limit_alarms: alarms.counts().raised as usize,
        anomaly_alerts: c.raised + c.storms,
    };
    Ok((ingest, detected))
}

fn progress_bar(show: bool, total: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(total);
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "  ingest {bar:40} {pos}/{len} readings {per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

/// Prepares a database for the demo: migrations and the time-series setup (`config`'s time
/// zone seeds a first setup only).
pub fn prepare(
    conn: &mut PgConnection,
    config: &TimescaleConfig,
) -> Result<Vec<String>, DemoError> {
    let applied = grid_store::migrations::run_pending(conn)?;
    grid_timescale::setup(conn, config)?;
    Ok(applied)
}
