//! Maintenance records.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use grid_model::{MaintenanceRecord, MaintenanceStatus, NewMaintenance};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::DbMaintenanceType;
use crate::error::{StoreError, StoreResult};
use crate::schema::{maintenance_records, transformers};
use crate::store::repository;

const ENTITY: &str = "maintenance record";

/// A stored maintenance row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = maintenance_records, check_for_backend(diesel::pg::Pg))]
#[allow(missing_docs)]
pub struct MaintenanceRow {
    pub id: Uuid,
    pub transformer_id: Option<Uuid>,
    pub maintenance_type: DbMaintenanceType,
    pub title: String,
    pub description: Option<String>,
    pub scheduled_date: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub duration_hours: Option<f64>,
    pub technician_name: Option<String>,
    pub team_size: i32,
    pub status: String,
    pub findings: Option<String>,
    pub actions_taken: Option<String>,
    pub parts_replaced: Vec<Option<String>>,
    pub labor_cost: Option<f64>,
    pub parts_cost: Option<f64>,
    pub total_cost: Option<f64>,
    pub was_successful: Option<bool>,
    pub downtime_hours: Option<f64>,
    pub next_maintenance_date: Option<DateTime<Utc>>,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<MaintenanceRow> for MaintenanceRecord {
    type Error = StoreError;
    fn try_from(r: MaintenanceRow) -> StoreResult<Self> {
        Ok(MaintenanceRecord {
            id: r.id,
            transformer_id: r.transformer_id,
            maintenance_type: r.maintenance_type.into(),
            title: r.title,
            description: r.description,
            scheduled_date: r.scheduled_date,
            started_at: r.started_at,
            completed_at: r.completed_at,
            duration_hours: r.duration_hours,
            technician_name: r.technician_name,
            team_size: r.team_size,
            // The CHECK constraint keeps this to the four known values.
            status: r.status.parse().map_err(|e: grid_model::UnknownVariant| {
                StoreError::Database(diesel::result::Error::DeserializationError(e.into()))
            })?,
            findings: r.findings,
            actions_taken: r.actions_taken,
            // A CHECK forbids NULL elements.
            parts_replaced: r.parts_replaced.into_iter().flatten().collect(),
            labor_cost: r.labor_cost,
            parts_cost: r.parts_cost,
            total_cost: r.total_cost,
            was_successful: r.was_successful,
            downtime_hours: r.downtime_hours,
            next_maintenance_date: r.next_maintenance_date,
            metadata: r.metadata,
            created_at: r.created_at,
        })
    }
}

/// An insertable maintenance row (unchecked; see [`crate::substations::NewSubstationRow`]).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = maintenance_records)]
#[allow(missing_docs)]
pub struct NewMaintenanceRow {
    pub transformer_id: Option<Uuid>,
    pub maintenance_type: DbMaintenanceType,
    pub title: String,
    pub description: Option<String>,
    pub scheduled_date: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub duration_hours: Option<f64>,
    pub technician_name: Option<String>,
    pub team_size: i32,
    pub status: String,
    pub findings: Option<String>,
    pub actions_taken: Option<String>,
    pub parts_replaced: Vec<String>,
    pub labor_cost: Option<f64>,
    pub parts_cost: Option<f64>,
    pub total_cost: Option<f64>,
    pub was_successful: Option<bool>,
    pub downtime_hours: Option<f64>,
    pub next_maintenance_date: Option<DateTime<Utc>>,
    pub metadata: Value,
}

impl From<&NewMaintenance> for NewMaintenanceRow {
    fn from(m: &NewMaintenance) -> Self {
        NewMaintenanceRow {
            transformer_id: m.transformer_id,
            maintenance_type: m.maintenance_type.into(),
            title: m.title.clone(),
            description: m.description.clone(),
            scheduled_date: m.scheduled_date,
            started_at: m.started_at,
            completed_at: m.completed_at,
            duration_hours: m.duration_hours,
            technician_name: m.technician_name.clone(),
            team_size: m.team_size,
            status: m.status.as_str().to_owned(),
            findings: m.findings.clone(),
            actions_taken: m.actions_taken.clone(),
            parts_replaced: m.parts_replaced.clone(),
            labor_cost: m.labor_cost,
            parts_cost: m.parts_cost,
            total_cost: m.total_cost,
            was_successful: m.was_successful,
            downtime_hours: m.downtime_hours,
            next_maintenance_date: m.next_maintenance_date,
            metadata: m.metadata.clone(),
        }
    }
}

/// What is known when a job is finished.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MaintenanceCompletion {
    /// When the work ended.
    pub completed_at: DateTime<Utc>,
    /// What was found.
    pub findings: Option<String>,
    /// What was done.
    pub actions_taken: Option<String>,
    /// Parts replaced.
    pub parts_replaced: Vec<String>,
    /// Whether the job fixed what it was for.
    pub was_successful: Option<bool>,
    /// Equipment downtime, hours.
    pub downtime_hours: Option<f64>,
    /// Labour cost.
    pub labor_cost: Option<f64>,
    /// Parts cost.
    pub parts_cost: Option<f64>,
    /// When the equipment is due again; also written to the transformer.
    pub next_maintenance_date: Option<DateTime<Utc>>,
}

/// A pending job and whether it is overdue.
#[derive(Debug, Clone, PartialEq)]
pub struct MaintenanceDue {
    /// The job.
    pub record: MaintenanceRecord,
    /// Its scheduled date is before the reference time.
    pub overdue: bool,
}

fn load(rows: Vec<MaintenanceRow>) -> StoreResult<Vec<MaintenanceRecord>> {
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Inserts a validated record.
pub fn insert(conn: &mut PgConnection, m: &NewMaintenance) -> StoreResult<MaintenanceRecord> {
    insert_row(conn, &NewMaintenanceRow::from(m))
}

/// Inserts a row as given: the database's constraints are the only check.
pub fn insert_row(
    conn: &mut PgConnection,
    row: &NewMaintenanceRow,
) -> StoreResult<MaintenanceRecord> {
    diesel::insert_into(maintenance_records::table)
        .values(row)
        .returning(MaintenanceRow::as_returning())
        .get_result(conn)?
        .try_into()
}

/// The record with this id.
pub fn get(conn: &mut PgConnection, id: Uuid) -> StoreResult<MaintenanceRecord> {
    maintenance_records::table
        .find(id)
        .select(MaintenanceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found(ENTITY, id))?
        .try_into()
}

/// The records of a transformer, newest schedule first.
pub fn for_transformer(
    conn: &mut PgConnection,
    transformer_id: Uuid,
) -> StoreResult<Vec<MaintenanceRecord>> {
    load(
        maintenance_records::table
            .filter(maintenance_records::transformer_id.eq(transformer_id))
            .order(maintenance_records::scheduled_date.desc().nulls_last())
            .select(MaintenanceRow::as_select())
            .load(conn)?,
    )
}

/// Records whose work overlaps `[from, to)` (started before `to`, not completed before
/// `from`), for daily maintenance hours.
pub fn worked_between(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<MaintenanceRecord>> {
    load(
        maintenance_records::table
            .filter(maintenance_records::started_at.lt(to))
            .filter(
                maintenance_records::completed_at
                    .is_null()
                    .or(maintenance_records::completed_at.gt(from)),
            )
            .order(maintenance_records::started_at.asc())
            .select(MaintenanceRow::as_select())
            .load(conn)?,
    )
}

/// Scheduled or in-progress jobs due by `at + horizon`, earliest first; those scheduled
/// before `at` are overdue.
pub fn due(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    horizon: Duration,
) -> StoreResult<Vec<MaintenanceDue>> {
    let rows = maintenance_records::table
        .filter(maintenance_records::status.eq_any(["scheduled", "in_progress"]))
        .filter(maintenance_records::scheduled_date.le(at + horizon))
        .order(maintenance_records::scheduled_date.asc())
        .select(MaintenanceRow::as_select())
        .load(conn)?;
    Ok(load(rows)?
        .into_iter()
        .map(|record| MaintenanceDue {
            overdue: record.scheduled_date.is_some_and(|d| d < at),
            record,
        })
        .collect())
}

fn moved_on(conn: &mut PgConnection, id: Uuid, wanted: &str) -> StoreError {
    match get(conn, id) {
        Ok(now) => StoreError::Conflict {
            entity: ENTITY,
            reason: format!("record {id} is {}, cannot {wanted}", now.status),
        },
        Err(e) => e,
    }
}

/// Marks a scheduled job as started at `at`.
pub fn start(
    conn: &mut PgConnection,
    id: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<MaintenanceRecord> {
    let row = diesel::update(
        maintenance_records::table
            .find(id)
            .filter(maintenance_records::status.eq(MaintenanceStatus::Scheduled.as_str())),
    )
    .set((
        maintenance_records::status.eq(MaintenanceStatus::InProgress.as_str()),
        maintenance_records::started_at.eq(at),
    ))
    .returning(MaintenanceRow::as_returning())
    .get_result(conn)
    .optional()?;
    match row {
        Some(r) => r.try_into(),
        None => Err(moved_on(conn, id, "start")),
    }
}

/// Completes a scheduled or in-progress job; the duration is computed from `started_at`, the
/// total cost from labour and parts, and the transformer's maintenance dates move with it,
/// all in one transaction.
pub fn complete(
    conn: &mut PgConnection,
    id: Uuid,
    done: &MaintenanceCompletion,
) -> StoreResult<MaintenanceRecord> {
    conn.transaction(|c| {
        let current = get(c, id)?;
        if !matches!(
            current.status,
            MaintenanceStatus::Scheduled | MaintenanceStatus::InProgress
        ) {
            return Err(moved_on(c, id, "complete"));
        }
        let started = current.started_at.unwrap_or(done.completed_at);
        let hours = (done.completed_at - started).num_milliseconds() as f64 / 3_600_000.0;
        let total = match (done.labor_cost, done.parts_cost) {
            (None, None) => None,
            (l, p) => Some(l.unwrap_or(0.0) + p.unwrap_or(0.0)),
        };
        let row: MaintenanceRow = diesel::update(
            maintenance_records::table
                .find(id)
                .filter(maintenance_records::status.eq(current.status.as_str())),
        )
        .set((
            maintenance_records::status.eq(MaintenanceStatus::Completed.as_str()),
            maintenance_records::started_at.eq(started),
            maintenance_records::completed_at.eq(done.completed_at),
            maintenance_records::duration_hours.eq(hours),
            maintenance_records::findings.eq(&done.findings),
            maintenance_records::actions_taken.eq(&done.actions_taken),
            maintenance_records::parts_replaced.eq(&done.parts_replaced),
            maintenance_records::was_successful.eq(done.was_successful),
            maintenance_records::downtime_hours.eq(done.downtime_hours),
            maintenance_records::labor_cost.eq(done.labor_cost),
            maintenance_records::parts_cost.eq(done.parts_cost),
            maintenance_records::total_cost.eq(total),
            maintenance_records::next_maintenance_date.eq(done.next_maintenance_date),
        ))
        .returning(MaintenanceRow::as_returning())
        .get_result(c)
        .optional()?
        .ok_or_else(|| moved_on(c, id, "complete"))?;
        if let Some(t) = row.transformer_id {
            diesel::update(transformers::table.find(t))
                .set((
                    transformers::last_maintenance_date.eq(done.completed_at),
                    transformers::next_maintenance_date.eq(done.next_maintenance_date),
                ))
                .execute(c)?;
        }
        row.try_into()
    })
}

/// Cancels a job that has not been completed.
pub fn cancel(conn: &mut PgConnection, id: Uuid) -> StoreResult<MaintenanceRecord> {
    let row = diesel::update(
        maintenance_records::table
            .find(id)
            .filter(maintenance_records::status.eq_any(["scheduled", "in_progress"])),
    )
    .set(maintenance_records::status.eq(MaintenanceStatus::Cancelled.as_str()))
    .returning(MaintenanceRow::as_returning())
    .get_result(conn)
    .optional()?;
    match row {
        Some(r) => r.try_into(),
        None => Err(moved_on(conn, id, "cancel")),
    }
}

repository! {
    /// Maintenance, on a pool or a caller's connection.
    pub trait MaintenanceRepository {
        /// See [`insert`].
        fn insert_maintenance(&mut self, m: &NewMaintenance) -> StoreResult<MaintenanceRecord> => insert;
        /// See [`get`].
        fn maintenance(&mut self, id: Uuid) -> StoreResult<MaintenanceRecord> => get;
        /// See [`for_transformer`].
        fn maintenance_of_transformer(&mut self, transformer_id: Uuid) -> StoreResult<Vec<MaintenanceRecord>> => for_transformer;
        /// See [`worked_between`].
        fn maintenance_worked_between(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<MaintenanceRecord>> => worked_between;
        /// See [`due`].
        fn maintenance_due(&mut self, at: DateTime<Utc>, horizon: Duration) -> StoreResult<Vec<MaintenanceDue>> => due;
        /// See [`start`].
        fn start_maintenance(&mut self, id: Uuid, at: DateTime<Utc>) -> StoreResult<MaintenanceRecord> => start;
        /// See [`complete`].
        fn complete_maintenance(&mut self, id: Uuid, done: &MaintenanceCompletion) -> StoreResult<MaintenanceRecord> => complete;
        /// See [`cancel`].
        fn cancel_maintenance(&mut self, id: Uuid) -> StoreResult<MaintenanceRecord> => cancel;
    }
}
