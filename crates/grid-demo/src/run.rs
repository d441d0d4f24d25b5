//! The whole demo day, end to end, through every crate.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use grid_analytics::alerting::{AlertEvent, Detector, policy};
use grid_analytics::compute::{AnalyticsConfig, compute_days, day_bounds, zone_load_curves};
use grid_detect::OnlineDetector;
use grid_health::{HealthConfig, assess_day};
use grid_model::*;
use grid_timescale::TimescaleConfig;
use grid_timescale::ingest::{IngestOptions, Ingester, StreamReport, TimePolicy};

use crate::alarms::{raise_alerts, raise_outages};
pub use crate::error::DemoError;
use crate::grid::{DemoGrid, seed};
use crate::report::{HotSpotCurve, operator_report, svg};
use crate::simulate::{Event, EventKind, events, quiet_days_before, readings};
pub use crate::summary::{DemoOptions, DemoSummary};

/// What the readings of the day raised while they streamed in.
pub(crate) struct Detected {
    /// Threshold crossings and clearings, per sensor index.
    pub(crate) fired: Vec<(usize, AlertEvent)>,
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

    let started = Instant::now();
    let (ingest, detected) = ingest_and_detect(conn, &grid, &events, (day_start, day_end), opts)?;
    let ingest_seconds = started.elapsed().as_secs_f64();

    let alerts_raised = raise_alerts(conn, &grid, &detected.fired)?
        + raise_outages(conn, &grid, &events)?
        + detected.anomaly_alerts;

    let statistics = compute_days(conn, &cfg, date, date, day_end + Duration::hours(1))?;
    let thermal = assess_day(
        conn,
        date,
        &HealthConfig {
            alarms: opts.thermal.clone(),
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

/// Streams the day's readings into ingest, feeding each calibrated value (as ingest stores
/// it) to the sensor's alarm rule on the way, and through the anomaly engine, which scores
/// each reading before it is stored (its detectors first learn from quiet days before).
fn ingest_and_detect(
    conn: &mut PgConnection,
    grid: &DemoGrid,
    events: &[Event],
    (day_start, day_end): (DateTime<Utc>, DateTime<Utc>),
    opts: &DemoOptions,
) -> Result<(StreamReport, Detected), DemoError> {
    let limits = &opts.limits;
    let mut detectors: Vec<Option<Detector>> = grid
        .sensors
        .iter()
        .map(|s| {
            let kv = (s.sensor.sensor_type == SensorType::Voltage).then_some(s.nominal);
            let band = limits.band_for(s.sensor.sensor_type, kv, None);
            opts.threshold
                .rule_for(s.sensor.sensor_type, band, s.nominal)
                .map(Detector::new)
        })
        .collect();
    let mut fired = Vec::new();
    let index: BTreeMap<uuid::Uuid, usize> = grid
        .sensors
        .iter()
        .enumerate()
        .map(|(i, s)| (s.sensor.id, i))
        .collect();
    let mut ing = Ingester::new(
        conn,
        limits.clone(),
        IngestOptions {
            time_policy: TimePolicy::backfill(day_start, day_end),
            ..Default::default()
        },
    )?;
    let calibrations: Vec<_> = grid
        .sensors
        .iter()
        .map(|s| ing.calibration_of(s.sensor.id))
        .collect();
    let bar = progress_bar(opts.progress, 1440 * grid.sensors.len() as u64);
    let zone = grid_timescale::local_zone(conn)?;
    let stream = readings(grid, day_start, zone, events).inspect(|r| {
        let i = index[&r.sensor_id];
        let Some(c) = calibrations[i] else { return };
        let v = c.apply(r.value_raw);
        // State-based suppression (ISA-18.2): a de-energised substation's voltage and
        // frequency alarms are not evaluated while its outage lasts.
        let s = &grid.sensors[i];
        let dead = policy::suppressed_during_outage(s.sensor.sensor_type)
            && events.iter().any(|e| {
                e.kind == EventKind::Outage
                    && e.substation == s.substation
                    && r.timestamp >= e.start
                    && r.timestamp < e.end
            });
        if !dead
            && let Some(d) = detectors[i].as_mut()
            && let Some(e) = d.observe(r.timestamp, v)
        {
            fired.push((i, e));
        }
    });
    grid_detect::train(conn, &quiet_days_before(grid, day_start, zone, QUIET_DAYS))?;
    let mut engine = OnlineDetector::load(conn, opts.anomaly)?;
    let ingest = ing
        .ingest_stream_scored(conn, stream, 50_000, &mut engine, |p| {
            bar.set_position(p.position)
        })
        .map_err(|e| e.error)?;
    bar.finish_and_clear();
    let c = engine.alert_counts();
    let detected = Detected {
        fired,
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
