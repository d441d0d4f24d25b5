//! How the demo runs and what it did.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use grid_alarms_store::AlarmSettings;
use grid_detect::AlertPolicy;
use grid_health::{DayAssessment, ThermalAlarmConfig};
use grid_model::DailyStatistics;
use grid_timescale::LocalZone;
use grid_timescale::ingest::StreamReport;

use crate::grid::DemoGrid;
use crate::simulate::Event;

/// How to run the demo: the day, the picture, and the settings an operator configures
/// (grid-config's `limits` and `alarms`), which the demo's alarms and assessments use as a
/// control room would.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The local day to simulate (default: yesterday in the database's time zone).
    pub date: Option<NaiveDate>,
    /// Where to write the picture.
    pub svg_path: PathBuf,
    /// Seed even into a database that holds substations.
    pub force: bool,
    /// Show a progress bar while ingesting.
    pub progress: bool,
    /// The limit alarms: operating limits (out of range at ingest, the alarms' grades),
    /// deadbands and delays, floods (grid-alarms-store's engine, in the ingest path).
    pub alarms: AlarmSettings,
    /// The alarm hygiene of the anomaly engine's alerts.
    pub anomaly: AlertPolicy,
    /// The thermal assessment's alarms (loading category, delays, deadband).
    pub thermal: ThermalAlarmConfig,
    /// What is known of transformers' insulation (over the demo grid's own: see
    /// `grid::starting_conditions`).
    pub starting_conditions: grid_health::StartingConditions,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            date: None,
            svg_path: PathBuf::from("target/sentinel-load-by-zone.svg"),
            force: false,
            progress: false,
            alarms: AlarmSettings::default(),
            anomaly: AlertPolicy::default(),
            thermal: ThermalAlarmConfig::default(),
            starting_conditions: Default::default(),
        }
    }
}

/// What the demo did.
#[derive(Debug)]
pub struct DemoSummary {
    /// The simulated local day.
    pub date: NaiveDate,
    /// The time zone it is local to (the database's).
    pub zone: LocalZone,
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
    /// Alerts raised from the readings (one per condition), the outage, and the thermal
    /// assessment's alarms.
    pub alerts_raised: usize,
    /// The day's statistics, one per zone.
    pub statistics: Vec<DailyStatistics>,
    /// The day's thermal assessment of every transformer.
    pub thermal: DayAssessment,
    /// The picture.
    pub svg_path: PathBuf,
    /// The operator's report, as printed.
    pub report: String,
}
