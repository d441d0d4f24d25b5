//! Daily grid statistics, one row per (local date, zone).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use grid_model::{DailyStatistics, GridZone};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::DbGridZone;
use crate::error::{StoreError, StoreResult};
use crate::schema::daily_grid_statistics as dgs;
use crate::store::repository;

const ENTITY: &str = "daily statistics";

/// A stored daily-statistics row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dgs, check_for_backend(diesel::pg::Pg))]
#[allow(missing_docs)]
pub struct StatisticsRow {
    pub id: Uuid,
    pub date: NaiveDate,
    pub zone: DbGridZone,
    pub peak_load_mw: Option<f64>,
    pub peak_load_time: Option<DateTime<Utc>>,
    pub average_load_mw: Option<f64>,
    pub min_load_mw: Option<f64>,
    pub total_energy_mwh: Option<f64>,
    pub average_voltage_kv: Option<f64>,
    pub voltage_violations_count: i32,
    pub frequency_violations_count: i32,
    pub total_outages: i32,
    pub total_outage_minutes: f64,
    pub saidi: Option<f64>,
    pub saifi: Option<f64>,
    pub total_alerts: i32,
    pub critical_alerts: i32,
    pub alerts_resolved: i32,
    pub scheduled_maintenance_hours: f64,
    pub unscheduled_maintenance_hours: f64,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
}

impl From<StatisticsRow> for DailyStatistics {
    fn from(r: StatisticsRow) -> Self {
        DailyStatistics {
            date: r.date,
            zone: r.zone.into(),
            peak_load_mw: r.peak_load_mw,
            peak_load_time: r.peak_load_time,
            average_load_mw: r.average_load_mw,
            min_load_mw: r.min_load_mw,
            total_energy_mwh: r.total_energy_mwh,
            average_voltage_kv: r.average_voltage_kv,
            voltage_violations_count: r.voltage_violations_count,
            frequency_violations_count: r.frequency_violations_count,
            total_outages: r.total_outages,
            total_outage_minutes: r.total_outage_minutes,
            saidi: r.saidi,
            saifi: r.saifi,
            total_alerts: r.total_alerts,
            critical_alerts: r.critical_alerts,
            alerts_resolved: r.alerts_resolved,
            scheduled_maintenance_hours: r.scheduled_maintenance_hours,
            unscheduled_maintenance_hours: r.unscheduled_maintenance_hours,
            metadata: r.metadata,
        }
    }
}

/// An insertable daily-statistics row (unchecked; see
/// [`crate::substations::NewSubstationRow`]).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = dgs, treat_none_as_null = true)]
#[allow(missing_docs)]
pub struct StatisticsValues {
    pub date: NaiveDate,
    pub zone: DbGridZone,
    pub peak_load_mw: Option<f64>,
    pub peak_load_time: Option<DateTime<Utc>>,
    pub average_load_mw: Option<f64>,
    pub min_load_mw: Option<f64>,
    pub total_energy_mwh: Option<f64>,
    pub average_voltage_kv: Option<f64>,
    pub voltage_violations_count: i32,
    pub frequency_violations_count: i32,
    pub total_outages: i32,
    pub total_outage_minutes: f64,
    pub saidi: Option<f64>,
    pub saifi: Option<f64>,
    pub total_alerts: i32,
    pub critical_alerts: i32,
    pub alerts_resolved: i32,
    pub scheduled_maintenance_hours: f64,
    pub unscheduled_maintenance_hours: f64,
    pub metadata: Value,
}

impl From<&DailyStatistics> for StatisticsValues {
    fn from(s: &DailyStatistics) -> Self {
        StatisticsValues {
            date: s.date,
            zone: s.zone.into(),
            peak_load_mw: s.peak_load_mw,
            peak_load_time: s.peak_load_time,
            average_load_mw: s.average_load_mw,
            min_load_mw: s.min_load_mw,
            total_energy_mwh: s.total_energy_mwh,
            average_voltage_kv: s.average_voltage_kv,
            voltage_violations_count: s.voltage_violations_count,
            frequency_violations_count: s.frequency_violations_count,
            total_outages: s.total_outages,
            total_outage_minutes: s.total_outage_minutes,
            saidi: s.saidi,
            saifi: s.saifi,
            total_alerts: s.total_alerts,
            critical_alerts: s.critical_alerts,
            alerts_resolved: s.alerts_resolved,
            scheduled_maintenance_hours: s.scheduled_maintenance_hours,
            unscheduled_maintenance_hours: s.unscheduled_maintenance_hours,
            metadata: s.metadata.clone(),
        }
    }
}

/// Writes the statistics of one (date, zone): inserted the first time, replaced after (a
/// recomputation after late data corrects the row). Validated first.
pub fn upsert(conn: &mut PgConnection, s: &DailyStatistics) -> StoreResult<DailyStatistics> {
    s.validate()?;
    upsert_row(conn, &StatisticsValues::from(s))
}

/// Upserts a row as given: the database's constraints are the only check.
pub fn upsert_row(conn: &mut PgConnection, row: &StatisticsValues) -> StoreResult<DailyStatistics> {
    Ok(diesel::insert_into(dgs::table)
        .values(row)
        .on_conflict((dgs::date, dgs::zone))
        .do_update()
        .set((
            dgs::peak_load_mw.eq(excluded(dgs::peak_load_mw)),
            dgs::peak_load_time.eq(excluded(dgs::peak_load_time)),
            dgs::average_load_mw.eq(excluded(dgs::average_load_mw)),
            dgs::min_load_mw.eq(excluded(dgs::min_load_mw)),
            dgs::total_energy_mwh.eq(excluded(dgs::total_energy_mwh)),
            dgs::average_voltage_kv.eq(excluded(dgs::average_voltage_kv)),
            dgs::voltage_violations_count.eq(excluded(dgs::voltage_violations_count)),
            dgs::frequency_violations_count.eq(excluded(dgs::frequency_violations_count)),
            dgs::total_outages.eq(excluded(dgs::total_outages)),
            dgs::total_outage_minutes.eq(excluded(dgs::total_outage_minutes)),
            dgs::saidi.eq(excluded(dgs::saidi)),
            dgs::saifi.eq(excluded(dgs::saifi)),
            dgs::total_alerts.eq(excluded(dgs::total_alerts)),
            dgs::critical_alerts.eq(excluded(dgs::critical_alerts)),
            dgs::alerts_resolved.eq(excluded(dgs::alerts_resolved)),
            dgs::scheduled_maintenance_hours.eq(excluded(dgs::scheduled_maintenance_hours)),
            dgs::unscheduled_maintenance_hours.eq(excluded(dgs::unscheduled_maintenance_hours)),
            dgs::metadata.eq(excluded(dgs::metadata)),
        ))
        .returning(StatisticsRow::as_returning())
        .get_result(conn)?
        .into())
}

/// The statistics of one zone for one date.
pub fn get(
    conn: &mut PgConnection,
    date: NaiveDate,
    zone: GridZone,
) -> StoreResult<DailyStatistics> {
    dgs::table
        .filter(dgs::date.eq(date))
        .filter(dgs::zone.eq(DbGridZone::from(zone)))
        .select(StatisticsRow::as_select())
        .first(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, format!("{date} {zone}")))
}

/// Every row with a date in `[from, to]`, by date then zone.
pub fn range(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<DailyStatistics>> {
    Ok(dgs::table
        .filter(dgs::date.ge(from))
        .filter(dgs::date.le(to))
        .order((dgs::date.asc(), dgs::zone.asc()))
        .select(StatisticsRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

repository! {
    /// Daily statistics, on a pool or a caller's connection.
    pub trait StatisticsRepository {
        /// See [`upsert`].
        fn upsert_daily_statistics(&mut self, s: &DailyStatistics) -> StoreResult<DailyStatistics> => upsert;
        /// See [`get`].
        fn daily_statistics(&mut self, date: NaiveDate, zone: GridZone) -> StoreResult<DailyStatistics> => get;
        /// See [`range`].
        fn daily_statistics_between(&mut self, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<DailyStatistics>> => range;
    }
}
