//! How the demo runs and what it did.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use grid_health::DayAssessment;
use grid_model::DailyStatistics;
use grid_timescale::LocalZone;
use grid_timescale::ingest::StreamReport;

use crate::grid::DemoGrid;
use crate::simulate::Event;

/// How to run the demo.
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
