//! The thin database layer: loads one local day's inputs through the store and the
//! time-series layer, computes the statistics with the pure formulas, upserts them.
//!
//! Rules (configuration in [`AnalyticsConfig`]):
//! - **Day**: a local calendar day in the time zone the database was set up with (grid-timescale
//!   owns it; `Africa/Nairobi` by default); a configuration naming another zone is refused.
//! - **Load**: a substation's load is the sum of its `load` sensors in MW. A sensor with
//!   `metadata.measurement_role = "incomer"` measures the whole substation: when a
//!   substation has any, only its incomers count and its feeders are left out (no double
//!   counting); otherwise its feeders (any other role) are summed. A bucket counts for a
//!   substation only when every counted sensor reported in it; short gaps are interpolated
//!   (see [`crate::daily::zone_load`]). The zone's load is the sum over its substations per
//!   bucket.
//! - **Voltage**: per nominal level (each sensor's `metadata.nominal_kv`, else its
//!   substation's level), from the daily rollup; `average_voltage_kv` holds the average at the
//!   zone's highest level, every level's kV and per-unit average is in `metadata.voltage`.
//! - **Topology**: `grid_substations.fed_from` says which substation feeds which; a
//!   substation fed by a measured substation of the same zone is inside that one's load and
//!   is left out of the zone's sum (see [`crate::topology`]).
//! - **Violations**: excursions of voltage and frequency sensors, per sample: a contiguous
//!   run of readings flagged out of range at ingest (the same operating limits) counts once,
//!   on the day it began. Readings taken while the sensor's substation is de-energised (an
//!   outage of it, or of a substation feeding it) are not excursions (a dead bus reads
//!   zero), and a gap of more than `excursion_max_gap` between readings ends a run.
//! - **Outages**: alerts with `alert_type = 'outage'` of the zone's substations;
//!   `created_at` is the interruption's start, `resolved_at` its restoration (still open:
//!   counted until now), `affected_customers` N_i, capped at what its substation served that day (so at N_T; counted in
//!   `metadata.reliability.capped_interruptions`); an outage naming no interrupting device
//!   also interrupts every substation its substation feeds, with their customers that day,
//!   in their zones. An interruption belongs to the day it begins (IEEE 1366). Longer than
//!   the sustained threshold (default 5 min) counts in `total_outages`,
//!   `total_outage_minutes`, SAIDI (minutes) and SAIFI; shorter ones are momentary
//!   operations, grouped into IEEE 1366 momentary events per interrupting device (the
//!   alert's `metadata.interrupting_device`, else its substation) for MAIFI_E. CAIDI, ASAI,
//!   MAIFI_E, N_T and the momentary counts are in `metadata.reliability`.
//! - **N_T**: the customers served by the zone's substations in effect on the day
//!   (`substation_customer_counts`, kept by the database when `customers_served` or
//!   `is_active` change, and back-dated with `grid_store::substations::record_customers`),
//!   so a backfilled day uses that day's count and recomputing a day gives the same answer.
//! - **Alerts**: raised that day (all types) by the zone's substations; critical or worse;
//!   resolved that day. Alerts without a substation belong to no zone. The alarm rate per
//!   10 minutes (the zone is the operator area; EEMUA 191's flood is more than 10) is in
//!   `metadata.alarm_rate`.
//! - **Maintenance**: hours of work that day on the zone's transformers, scheduled
//!   (preventive, predictive) and unscheduled (corrective, emergency).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Date, Text, Timestamptz};
use grid_model::{
    DailyStatistics, GridZone, LoadMetadata, ReliabilityMetadata, SensorType, StatisticsMetadata,
};
use grid_timescale::{LocalZone, TimescaleError};

use crate::daily::{
    LoadSummary, SubstationLoad, VoltageInput, alarm_rate, voltage_levels, zone_load,
};
use crate::error::{AnalyticsError, AnalyticsResult};
use crate::load;
use crate::reliability::{Indices, Interruption, MOMENTARY_EVENT_WINDOW, indices};

/// How daily statistics are computed.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticsConfig {
    /// The IANA time zone the caller expects local days in. `None` (the default): the one
    /// the database was set up with, which is always what counts; a different name here is
    /// refused ([`AnalyticsError::TimeZoneMismatch`]) rather than answered for another day.
    pub time_zone: Option<String>,
    /// Longer than this, an interruption is sustained (IEEE 1366: 5 minutes).
    pub sustained_after: Duration,
    /// Bucket of the load curve.
    pub load_step: Duration,
    /// Longest gap in a substation's load filled by interpolation.
    pub max_interpolated_gap: Duration,
    /// Longest gap between a sensor's readings inside one voltage or frequency excursion.
    pub excursion_max_gap: Duration,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        AnalyticsConfig {
            time_zone: None,
            sustained_after: Duration::minutes(5),
            load_step: Duration::minutes(1),
            max_interpolated_gap: Duration::minutes(15),
            excursion_max_gap: Duration::minutes(15),
        }
    }
}

#[derive(QueryableByName)]
struct DayBounds {
    #[diesel(sql_type = Timestamptz)]
    start: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    end: DateTime<Utc>,
}

/// The database's local time zone, checked against what `config` expects.
pub fn local_zone(conn: &mut PgConnection, config: &AnalyticsConfig) -> AnalyticsResult<LocalZone> {
    let zone = grid_timescale::local_zone(conn)?;
    match &config.time_zone {
        Some(expected) if expected != zone.name() => Err(AnalyticsError::TimeZoneMismatch {
            configured: expected.clone(),
            database: zone.name().to_owned(),
        }),
        _ => Ok(zone),
    }
}

/// The instants a local day of `zone` starts and ends (PostgreSQL's reading of a local
/// midnight, the same the daily rollup's buckets use).
pub fn day_bounds(
    conn: &mut PgConnection,
    date: NaiveDate,
    zone: LocalZone,
) -> QueryResult<(DateTime<Utc>, DateTime<Utc>)> {
    let b: DayBounds = diesel::sql_query(
        "SELECT ($1::timestamp AT TIME ZONE $2) AS start,
                (($1 + 1)::timestamp AT TIME ZONE $2) AS end",
    )
    .bind::<Date, _>(date)
    .bind::<Text, _>(zone.name())
    .get_result(conn)?;
    Ok((b.start, b.end))
}

/// Computes and stores the statistics of every zone for each local day in `[from, to]`.
/// Idempotent (one row per date and zone); recomputing after late data corrects the rows.
/// The rollups are refreshed first.
///
/// ```
/// # fn main() -> anyhow::Result<()> {
/// # let db = grid_testdb::TestDb::new(&grid_testkit::READY);
/// # let conn = &mut db.conn();
/// # grid_testkit::substation(conn, "DOC-D", grid_model::GridZone::Nakuru, 33);
/// use chrono::{NaiveDate, Utc};
/// use grid_analytics::{AnalyticsConfig, compute_days};
///
/// let day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
/// let rows = compute_days(conn, &AnalyticsConfig::default(), day, day, Utc::now())?;
/// // One row per zone, stored; a zone without readings has no load, and says so.
/// assert_eq!(rows.len(), 8);
/// assert!(rows.iter().all(|r| r.peak_load_mw.is_none()));
/// # Ok(()) }
/// ```
pub fn compute_days(
    conn: &mut PgConnection,
    config: &AnalyticsConfig,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> AnalyticsResult<Vec<DailyStatistics>> {
    let zone = local_zone(conn, config)?;
    let _span = tracing::info_span!("daily_statistics", %from, %to).entered();
    let refreshed = grid_timescale::refresh(conn)?;
    if refreshed.left_to_owner > 0 {
        refuse_stale(conn, zone, from, to)?;
    }
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        out.extend(compute_day_refreshed(conn, config, zone, d, now)?);
        d = d.succ_opt().unwrap_or(d);
        if d == NaiveDate::MAX {
            break;
        }
    }
    Ok(out)
}

/// A role that may not refresh the continuous aggregates computes only days whose rollups
/// are up to date: never statistics from stale buckets.
fn refuse_stale(
    conn: &mut PgConnection,
    zone: LocalZone,
    from: NaiveDate,
    to: NaiveDate,
) -> AnalyticsResult<()> {
    let (start, _) = day_bounds(conn, from, zone)?;
    let (_, end) = day_bounds(conn, to, zone)?;
    let stale = grid_timescale::stale::stale_hours(conn, start, end)?;
    if let Some(first) = stale.first() {
        return Err(TimescaleError::PermissionDenied {
            action: "compute daily statistics over rollups a refresh must first bring up to date",
            needed: "the continuous aggregates' owner to run grid_timescale::refresh first \
                     (TimescaleDB lets only the owner refresh them)",
            message: format!("{} stale hours from {first}", stale.len()),
        }
        .into());
    }
    Ok(())
}

/// Bucket starts and the zone's load in MW (`None` where unknown).
pub type LoadCurve = Vec<(DateTime<Utc>, Option<f64>)>;

/// Each zone's load curve over a local day (bucket starts and MW, `None` where unknown),
/// by the same rules as the daily statistics.
pub fn zone_load_curves(
    conn: &mut PgConnection,
    config: &AnalyticsConfig,
    date: NaiveDate,
) -> AnalyticsResult<Vec<(GridZone, LoadCurve)>> {
    let zone = local_zone(conn, config)?;
    let (start, end) = day_bounds(conn, date, zone)?;
    let network = load::network(conn, date)?;
    let load = load::load(conn, &network, config.load_step, start, end)?;
    Ok(GridZone::ALL
        .iter()
        .map(|&zone| {
            let l = zone_load_of(&load, zone, (start, end), config);
            let curve = l
                .curve
                .into_iter()
                .enumerate()
                .map(|(i, v)| (start + config.load_step * i as i32, v))
                .collect();
            (zone, curve)
        })
        .collect())
}

/// A zone's load over `[start, end)` from its substations' points, by the configured step
/// and interpolation limit (one rule for the statistics and the curves).
fn zone_load_of(
    load: &load::LoadByZone,
    zone: GridZone,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    config: &AnalyticsConfig,
) -> LoadSummary {
    let subs: Vec<SubstationLoad> = load
        .get(&zone)
        .map(|m| m.values().cloned().collect())
        .unwrap_or_default();
    zone_load(
        start,
        end,
        config.load_step,
        &subs,
        config.max_interpolated_gap,
    )
}

/// Why a zone without customers has no indices.
const NO_CUSTOMERS: &str =
    "no customers served in this zone: SAIDI, SAIFI and the other indices are undefined";

/// Everything one local day's statistics are computed from, every zone's.
struct DayInputs {
    tz: LocalZone,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
    customers: HashMap<GridZone, i64>,
    load: load::LoadByZone,
    voltage: HashMap<GridZone, Vec<VoltageInput>>,
    excursions: HashMap<(GridZone, SensorType), i64>,
    outages: HashMap<GridZone, Vec<Interruption>>,
    alerts: HashMap<GridZone, (i64, i64, i64)>,
    alert_times: HashMap<GridZone, Vec<DateTime<Utc>>>,
    maintenance: HashMap<GridZone, (f64, f64)>,
}

impl DayInputs {
    fn load(
        conn: &mut PgConnection,
        config: &AnalyticsConfig,
        tz: LocalZone,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> AnalyticsResult<DayInputs> {
        let (start, end) = day_bounds(conn, date, tz)?;
        let network = load::network(conn, date)?;
        // Widened: a reclosing sequence across midnight is grouped whole, and counted on the
        // day it began. Grouping is a chain (each event starts at the first operation after
        // the previous event's window), so it is rebuilt from a day before, not only from
        // the window's 5 minutes before.
        let window = (start - Duration::days(1), end + MOMENTARY_EVENT_WINDOW);
        let outages = load::outages(conn, &network, window, now)?;
        Ok(DayInputs {
            tz,
            start,
            end,
            now,
            customers: network.customers_by_zone(),
            load: load::load(conn, &network, config.load_step, start, end)?,
            voltage: load::voltage(conn, start)?,
            excursions: load::excursions(
                conn,
                (start, end),
                config.excursion_max_gap,
                &outages.deenergised,
            )?,
            outages: outages.by_zone,
            alerts: load::alert_counts(conn, start, end)?,
            alert_times: load::alert_times(conn, start, end)?,
            maintenance: load::maintenance_hours(conn, start, end, now)?,
        })
    }

    /// One zone's row of the day.
    fn zone_row(
        &self,
        config: &AnalyticsConfig,
        date: NaiveDate,
        zone: GridZone,
    ) -> DailyStatistics {
        let (start, end) = (self.start, self.end);
        let nt = self.customers.get(&zone).copied().unwrap_or(0);
        let l = zone_load_of(&self.load, zone, (start, end), config);
        let (levels, top) = voltage_levels(self.voltage.get(&zone).map_or(&[][..], Vec::as_slice));
        let outages = self.outages.get(&zone).map_or(&[][..], Vec::as_slice);
        let ix: Indices = indices(outages, nt, start..end, config.sustained_after, self.now);
        let raised_at = self.alert_times.get(&zone).map_or(&[][..], Vec::as_slice);
        let (raised, critical, resolved) = self.alerts.get(&zone).copied().unwrap_or((0, 0, 0));
        let (scheduled, unscheduled) = self.maintenance.get(&zone).copied().unwrap_or((0.0, 0.0));
        let runs =
            |kind: SensorType| self.excursions.get(&(zone, kind)).copied().unwrap_or(0) as i32;
        let mut s = DailyStatistics::empty(date, zone);
        s.peak_load_mw = l.peak_mw;
        s.peak_load_time = l.peak_time;
        s.average_load_mw = l.average_mw;
        s.min_load_mw = l.min_mw;
        s.total_energy_mwh = l.energy_mwh;
        s.average_voltage_kv = top;
        s.voltage_violations_count = runs(SensorType::Voltage);
        s.frequency_violations_count = runs(SensorType::Frequency);
        s.total_outages = ix.sustained as i32;
        s.total_outage_minutes = ix.sustained_minutes;
        s.saidi = ix.saidi;
        s.saifi = ix.saifi;
        s.total_alerts = raised as i32;
        s.critical_alerts = critical as i32;
        s.alerts_resolved = resolved as i32;
        s.scheduled_maintenance_hours = scheduled;
        s.unscheduled_maintenance_hours = unscheduled;
        s.metadata = StatisticsMetadata {
            time_zone: Some(self.tz.name().to_owned()),
            day_start: Some(start),
            load: Some(LoadMetadata {
                measured_energy_mwh: l.measured_energy_mwh,
                coverage: l.coverage,
                interpolated_buckets: l.interpolated,
                substations: l.substations,
                step_seconds: config.load_step.num_seconds(),
            }),
            voltage: levels,
            reliability: Some(ReliabilityMetadata {
                customers_served: nt,
                caidi_minutes: ix.caidi,
                asai: ix.asai,
                maifi_e: ix.maifi_e,
                saidi_hours: ix.saidi.map(|m| m / 60.0),
                momentary_interruptions: ix.momentary,
                momentary_operations: ix.momentary_operations,
                capped_interruptions: ix.capped,
                customer_minutes: ix.customer_minutes,
                customer_minutes_unavailable: Some(ix.customer_minutes_unavailable),
                customer_interruptions: ix.customer_interruptions,
                customer_momentary_events: ix.customer_momentary_events,
                sustained_after_minutes: config.sustained_after.num_seconds() as f64 / 60.0,
                note: (nt == 0).then(|| NO_CUSTOMERS.to_owned()),
            }),
            alarm_rate: Some(alarm_rate(raised_at, start, end)),
            other: Default::default(),
        }
        .to_json();
        s
    }
}

/// One day, every zone, assuming the rollups are fresh: inputs read, then every zone's row
/// upserted in one transaction.
fn compute_day_refreshed(
    conn: &mut PgConnection,
    config: &AnalyticsConfig,
    tz: LocalZone,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> AnalyticsResult<Vec<DailyStatistics>> {
    let inputs = DayInputs::load(conn, config, tz, date, now)?;
    conn.transaction::<_, AnalyticsError, _>(|c| {
        GridZone::ALL
            .iter()
            .map(|&zone| {
                let row = inputs.zone_row(config, date, zone);
                Ok(grid_store::statistics::upsert(c, &row)?)
            })
            .collect()
    })
}
