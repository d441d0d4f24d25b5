//! The whole demo day, end to end, through every crate.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use grid_analytics::alerting::{AlertEvent, Condition, Detector, StuckDetector, ThresholdRule};
use grid_analytics::compute::{AnalyticsConfig, compute_days, day_bounds, zone_load_curves};
use grid_model::*;
use grid_store::{AlertRepository, AnomalyRepository, StoreError, TransformerRepository};
use grid_timescale::ingest::{IngestOptions, Ingester, StreamReport, TimePolicy};
use grid_timescale::{OperatingLimits, TimescaleConfig, TimescaleError};

use crate::grid::{DemoGrid, seed};
use crate::report::svg;
use crate::simulate::{Event, events, readings};

/// What can stop the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The database already holds a grid; the demo will not mix its data into it.
    #[error(
        "the database already holds {0} substations: the demo grid is only seeded into an empty database (pass --force to seed anyway)"
    )]
    NotEmpty(i64),
    /// The store refused something.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The time-series layer refused something.
    #[error(transparent)]
    Timescale(#[from] TimescaleError),
    /// A migration failed.
    #[error(transparent)]
    Migration(#[from] grid_store::migrations::MigrationError),
    /// Writing the picture failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl From<ValidationErrors> for DemoError {
    fn from(e: ValidationErrors) -> Self {
        DemoError::Store(e.into())
    }
}

impl From<diesel::result::Error> for DemoError {
    fn from(e: diesel::result::Error) -> Self {
        DemoError::Store(e.into())
    }
}

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The local day to simulate (default: yesterday in Nairobi).
    pub date: Option<NaiveDate>,
    /// Where to write the picture.
    pub svg_path: PathBuf,
    /// Seed even into a database that holds substations.
    pub force: bool,
    /// Show a progress bar while ingesting.
    pub progress: bool,
}

/// What the demo did.
#[derive(Debug)]
pub struct DemoSummary {
    /// The simulated local day.
    pub date: NaiveDate,
    /// When it began (UTC).
    pub day_start: DateTime<Utc>,
    /// The seeded grid.
    pub grid: DemoGrid,
    /// The injected events.
    pub events: Vec<Event>,
    /// The ingest's totals.
    pub ingest: StreamReport,
    /// Seconds the ingest took.
    pub ingest_seconds: f64,
    /// Alerts raised from the readings (one per condition), plus the outage.
    pub alerts_raised: usize,
    /// Stuck sensors found.
    pub stuck_sensors: usize,
    /// The day's statistics, one per zone.
    pub statistics: Vec<DailyStatistics>,
    /// The picture.
    pub svg_path: PathBuf,
    /// The operator's report, as printed.
    pub report: String,
}

fn rule_for(kind: SensorType, band: grid_timescale::Band, nominal: f64) -> Option<ThresholdRule> {
    let hysteresis = match kind {
        SensorType::Voltage => 0.01 * nominal,
        SensorType::Frequency => 0.05,
        SensorType::TransformerOil | SensorType::Temperature => 2.0,
        _ => return None,
    };
    Some(ThresholdRule {
        min: band.min,
        max: band.max,
        hysteresis,
        min_duration: Duration::zero(),
    })
}

fn alert_type(kind: SensorType, c: Condition) -> &'static str {
    match (kind, c) {
        (SensorType::Voltage, Condition::Low) => "voltage_low",
        (SensorType::Voltage, Condition::High) => "voltage_high",
        (SensorType::Frequency, _) => "frequency_excursion",
        _ => "overheating",
    }
}

/// Runs the demo day on a migrated, set-up, empty database.
pub fn run(conn: &mut PgConnection, opts: &DemoOptions) -> Result<DemoSummary, DemoError> {
    let existing: i64 = grid_store::schema::grid_substations::table
        .count()
        .get_result(conn)?;
    if existing > 0 && !opts.force {
        return Err(DemoError::NotEmpty(existing));
    }
    let cfg = AnalyticsConfig::default();
    let limits = OperatingLimits::default();
    let date = opts
        .date
        .unwrap_or_else(|| (Utc::now() + Duration::hours(3)).date_naive() - Duration::days(1));
    let (day_start, day_end) = day_bounds(conn, date, &cfg.time_zone)?;
    let grid = seed(conn)?;
    let events = events(day_start);

    // Alerting rules per sensor, fed with the calibrated values as they stream in.
    let mut detectors: Vec<Option<Detector>> = grid
        .sensors
        .iter()
        .map(|s| {
            let kv = (s.sensor.sensor_type == SensorType::Voltage).then_some(s.nominal);
            let band = limits.band_for(s.sensor.sensor_type, kv, None);
            rule_for(s.sensor.sensor_type, band, s.nominal).map(Detector::new)
        })
        .collect();
    let mut stuck: Vec<StuckDetector> = vec![StuckDetector::default(); grid.sensors.len()];
    let mut fired: Vec<(usize, AlertEvent)> = Vec::new();
    let mut stuck_found: Vec<(usize, DateTime<Utc>, f64)> = Vec::new();
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
    let total = 1440 * grid.sensors.len() as u64;
    let bar = if opts.progress {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "  ingest {bar:40} {pos}/{len} readings {per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let started = Instant::now();
    let stream = readings(&grid, day_start, &events).inspect(|r| {
        let i = index[&r.sensor_id];
        let s = &grid.sensors[i].sensor;
        let v = r.value_raw * s.calibration_scale + s.calibration_offset;
        if let Some(d) = detectors[i].as_mut()
            && let Some(e) = d.observe(r.timestamp, v)
        {
            fired.push((i, e));
        }
        if let Some((t, v)) = stuck[i].observe(r.timestamp, v, 60) {
            stuck_found.push((i, t, v));
        }
    });
    let ingest = ing
        .ingest_stream(conn, stream, 50_000, |p| bar.set_position(p.position))
        .map_err(|e| e.error)?;
    bar.finish_and_clear();
    let ingest_seconds = started.elapsed().as_secs_f64();

    // One alert per condition, resolved by the system when it clears.
    let mut open: BTreeMap<usize, Alert> = BTreeMap::new();
    let mut alerts_raised = 0;
    let mut overheating: Option<Alert> = None;
    for (i, e) in fired {
        let s = &grid.sensors[i];
        match e {
            AlertEvent::Raise {
                condition,
                at,
                value,
                threshold,
            } => {
                let kind = alert_type(s.sensor.sensor_type, condition);
                let severity = match kind {
                    "voltage_low" if value < 0.5 * s.nominal => AlertSeverity::Emergency,
                    "overheating" | "voltage_low" | "voltage_high" => AlertSeverity::Critical,
                    _ => AlertSeverity::Warning,
                };
                let mut d = AlertDraft::new(
                    kind,
                    severity,
                    format!("{} {kind} on {}", s.substation, s.sensor.sensor_id),
                );
                d.substation_id = Some(s.sensor.substation_id);
                d.sensor_id = Some(s.sensor.id);
                d.current_value = Some(value);
                d.threshold_value = Some(threshold);
                d.deviation_percentage =
                    Some((value - threshold) / threshold.abs().max(1e-9) * 100.0);
                d.raised_at = at;
                d.raised_by = Some("alerting-rule".into());
                let a = conn.raise_alert(&NewAlert::new(d)?)?;
                alerts_raised += 1;
                if kind == "overheating"
                    && s.sensor.sensor_type == SensorType::TransformerOil
                    && overheating.is_none()
                {
                    // An operator takes this one through the whole lifecycle.
                    let ack =
                        AlertTransition::now(AlertAction::Acknowledge, "wanjiku (control room)")
                            .at(at + Duration::minutes(4));
                    conn.transition_alert(a.id, &ack)?;
                    let work = AlertTransition::now(
                        AlertAction::StartWork {
                            assignee: "Rabai maintenance crew 4".into(),
                        },
                        "wanjiku (control room)",
                    )
                    .at(at + Duration::minutes(12));
                    overheating = Some(conn.transition_alert(a.id, &work)?);
                }
                open.insert(i, a);
            }
            AlertEvent::Clear { at, worst, .. } => {
                if let Some(a) = open.remove(&i) {
                    let (actor, notes) = match &overheating {
                        Some(o) if o.id == a.id => (
                            "Rabai maintenance crew 4",
                            format!("cooling fans restored; worst {worst:.1}"),
                        ),
                        _ => ("system", format!("cleared; worst value {worst:.2}")),
                    };
                    let step =
                        AlertTransition::now(AlertAction::Resolve { notes: Some(notes) }, actor)
                            .at(at);
                    conn.transition_alert(a.id, &step)?;
                    if overheating.as_ref().is_some_and(|o| o.id == a.id) {
                        let close = AlertTransition::now(AlertAction::Close, "shift supervisor")
                            .at(at + Duration::minutes(30));
                        conn.transition_alert(a.id, &close)?;
                    }
                }
            }
        }
    }
    // The outage, as protection reports it: its start, the customers, its restoration.
    for e in events.iter().filter(|e| e.kind == "outage") {
        let s = grid.substation(e.substation);
        let mut d = AlertDraft::new(
            "outage",
            AlertSeverity::Emergency,
            format!("Supply lost at {}", s.name),
        );
        d.substation_id = Some(s.id);
        d.affected_customers = e.customers;
        d.raised_at = e.start;
        d.raised_by = Some("protection".into());
        d.description = Some(e.description.into());
        let a = conn.raise_alert(&NewAlert::new(d)?)?;
        let r = AlertTransition::now(
            AlertAction::Resolve {
                notes: Some("feeder re-energised".into()),
            },
            "control room",
        )
        .at(e.end);
        conn.transition_alert(a.id, &r)?;
        alerts_raised += 1;
    }
    for (i, t, v) in &stuck_found {
        let s = &grid.sensors[*i];
        let mut d = AnomalyDraft::new(s.sensor.id, "stuck_value", *t, 1.0, AlertSeverity::Warning);
        d.actual_value = Some(*v);
        d.potential_causes = vec!["frozen transducer".into(), "RTU not updating".into()];
        d.recommended_actions = vec!["check the meter and its RTU".into()];
        conn.insert_anomaly(&NewAnomaly::new(d)?)?;
    }

    let statistics = compute_days(conn, &cfg, date, date, day_end + Duration::hours(1))?;
    let curves = zone_load_curves(conn, &cfg, date)?;
    let picture = svg(
        &format!("Load by zone, {date} (Africa/Nairobi)"),
        day_start,
        &curves,
        &events,
    );
    std::fs::write(&opts.svg_path, picture).map_err(|source| DemoError::Io {
        path: opts.svg_path.clone(),
        source,
    })?;

    let caps = grid_timescale::capabilities::detect(conn)?;
    let mut report = String::new();
    let _ = writeln!(
        report,
        "SmartGrid Sentinel — operator's report for {date} (Africa/Nairobi)"
    );
    let _ = writeln!(report, "Server: {caps}");
    let r = &ingest.report;
    let _ = writeln!(
        report,
        "Ingest: {} readings of {} sensors in {ingest_seconds:.1} s ({:.0} readings/s): {} stored, {} rejected {:?}, {} out of range",
        r.received,
        grid.sensors.len(),
        r.received as f64 / ingest_seconds.max(1e-9),
        r.inserted,
        r.rejected,
        r.rejected_by_reason,
        r.out_of_range
    );
    let _ = writeln!(report, "\nEvents of the day:");
    for e in &events {
        let local = e.start + Duration::hours(3);
        let _ = writeln!(
            report,
            "  {} {:<20} {:<8} {}",
            local.format("%H:%M"),
            e.kind,
            e.substation,
            e.description
        );
    }
    let _ = writeln!(
        report,
        "\n{:<9} {:>8} {:>6} {:>11} {:>6} {:>6} {:>7} {:>9} {:>9} {:>7}",
        "zone",
        "peak MW",
        "at",
        "energy MWh",
        "V exc",
        "F exc",
        "outages",
        "SAIDI min",
        "SAIDI h",
        "SAIFI"
    );
    for s in &statistics {
        let at = s
            .peak_load_time
            .map(|t| (t + Duration::hours(3)).format("%H:%M").to_string())
            .unwrap_or_default();
        let opt =
            |v: Option<f64>, p: usize| v.map(|v| format!("{v:.p$}")).unwrap_or_else(|| "—".into());
        let _ = writeln!(
            report,
            "{:<9} {:>8} {:>6} {:>11} {:>6} {:>6} {:>7} {:>9} {:>9} {:>7}",
            s.zone.as_str(),
            opt(s.peak_load_mw, 1),
            at,
            opt(s.total_energy_mwh, 0),
            s.voltage_violations_count,
            s.frequency_violations_count,
            s.total_outages,
            opt(s.saidi, 2),
            opt(s.saidi.map(|m| m / 60.0), 3),
            opt(s.saifi, 4)
        );
    }
    let risky = conn.transformers_at_risk(0.15, 60.0)?;
    let _ = writeln!(
        report,
        "\nRiskiest transformers (7-day failure probability ≥ 0.15 or health ≤ 60):"
    );
    for t in risky.iter().take(5) {
        let sub = grid
            .substations
            .iter()
            .find(|s| s.id == t.substation_id)
            .map(|s| s.code.as_str())
            .unwrap_or("?");
        let _ = writeln!(
            report,
            "  {sub:<8} {:<3} {:>5.1} MVA {:<5} health {:>5.1}  P(fail 7 d) {:.2}",
            t.name,
            t.capacity_mva,
            t.cooling_type.as_deref().unwrap_or(""),
            t.health_score,
            t.failure_probability_7days
        );
    }
    let open_alerts = conn.open_alerts()?;
    let mut by_severity: BTreeMap<String, usize> = BTreeMap::new();
    for a in &open_alerts {
        *by_severity.entry(a.severity.to_string()).or_default() += 1;
    }
    let _ = writeln!(
        report,
        "\nAlerts raised: {alerts_raised} (one per condition); still open: {} {:?}",
        open_alerts.len(),
        by_severity
    );
    let _ = writeln!(report, "Stuck sensors found: {}", stuck_found.len());
    for (i, t, v) in &stuck_found {
        let _ = writeln!(
            report,
            "  {} repeats {v} since {}",
            grid.sensors[*i].sensor.sensor_id,
            (*t + Duration::hours(3)).format("%H:%M")
        );
    }
    let _ = writeln!(report, "Picture: {}", opts.svg_path.display());

    Ok(DemoSummary {
        date,
        day_start,
        grid,
        events,
        stuck_sensors: stuck_found.len(),
        ingest,
        ingest_seconds,
        alerts_raised,
        statistics,
        svg_path: opts.svg_path.clone(),
        report,
    })
}

/// Prepares a database for the demo: migrations and the time-series setup.
pub fn prepare(conn: &mut PgConnection) -> Result<Vec<String>, DemoError> {
    let applied = grid_store::migrations::run_pending(conn)?;
    grid_timescale::setup(conn, &TimescaleConfig::default())?;
    Ok(applied)
}
