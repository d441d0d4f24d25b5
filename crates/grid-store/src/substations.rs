//! Substations.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grid_model::{GridZone, NewSubstation, Substation};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::DbGridZone;
use crate::error::{StoreError, StoreResult};
use crate::schema::{grid_sensors, grid_substations, transformers};
use crate::store::repository;

const ENTITY: &str = "substation";

/// A stored substation row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = grid_substations, check_for_backend(diesel::pg::Pg))]
#[allow(missing_docs)]
pub struct SubstationRow {
    pub id: Uuid,
    pub name: String,
    pub code: String,
    pub zone: DbGridZone,
    pub latitude: f64,
    pub longitude: f64,
    pub address: Option<String>,
    pub county: Option<String>,
    pub voltage_level_kv: i32,
    pub capacity_mva: f64,
    pub num_transformers: i32,
    pub num_feeders: i32,
    pub customers_served: i32,
    pub is_active: bool,
    pub commissioned_date: Option<DateTime<Utc>>,
    pub last_maintenance_date: Option<DateTime<Utc>>,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub fed_from: Option<Uuid>,
}

impl From<SubstationRow> for Substation {
    fn from(r: SubstationRow) -> Self {
        Substation {
            id: r.id,
            name: r.name,
            code: r.code,
            zone: r.zone.into(),
            latitude: r.latitude,
            longitude: r.longitude,
            address: r.address,
            county: r.county,
            voltage_level_kv: r.voltage_level_kv,
            capacity_mva: r.capacity_mva,
            num_transformers: r.num_transformers,
            num_feeders: r.num_feeders,
            customers_served: r.customers_served,
            is_active: r.is_active,
            commissioned_date: r.commissioned_date,
            last_maintenance_date: r.last_maintenance_date,
            metadata: r.metadata,
            fed_from: r.fed_from,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// An insertable substation row. Unchecked: build it from a [`NewSubstation`] unless you
/// mean to test the database's own constraints.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = grid_substations)]
#[allow(missing_docs)]
pub struct NewSubstationRow {
    pub name: String,
    pub code: String,
    pub zone: DbGridZone,
    pub latitude: f64,
    pub longitude: f64,
    pub address: Option<String>,
    pub county: Option<String>,
    pub voltage_level_kv: i32,
    pub capacity_mva: f64,
    pub num_transformers: i32,
    pub num_feeders: i32,
    pub customers_served: i32,
    pub is_active: bool,
    pub commissioned_date: Option<DateTime<Utc>>,
    pub last_maintenance_date: Option<DateTime<Utc>>,
    pub metadata: Value,
    pub fed_from: Option<Uuid>,
}

impl From<&NewSubstation> for NewSubstationRow {
    fn from(s: &NewSubstation) -> Self {
        NewSubstationRow {
            name: s.name.clone(),
            code: s.code.clone(),
            zone: s.zone.into(),
            latitude: s.latitude,
            longitude: s.longitude,
            address: s.address.clone(),
            county: s.county.clone(),
            voltage_level_kv: s.voltage_level_kv,
            capacity_mva: s.capacity_mva,
            num_transformers: s.num_transformers,
            num_feeders: s.num_feeders,
            customers_served: s.customers_served,
            is_active: s.is_active,
            commissioned_date: s.commissioned_date,
            last_maintenance_date: s.last_maintenance_date,
            metadata: s.metadata.clone(),
            fed_from: s.fed_from,
        }
    }
}

/// Fields an operator may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = grid_substations)]
pub struct SubstationUpdate {
    /// New name.
    pub name: Option<String>,
    /// New customer count (N_T).
    pub customers_served: Option<i32>,
    /// New number of feeders.
    pub num_feeders: Option<i32>,
    /// New number of transformers.
    pub num_transformers: Option<i32>,
    /// In or out of service.
    pub is_active: Option<bool>,
    /// Last maintenance.
    pub last_maintenance_date: Option<DateTime<Utc>>,
    /// The substation that feeds it (`Some(None)`: none); a loop is refused by the database.
    pub fed_from: Option<Option<Uuid>>,
    /// Replaces the metadata object.
    pub metadata: Option<Value>,
}

/// A substation with the number of its sensors and transformers.
#[derive(Debug, Clone, PartialEq)]
pub struct SubstationSummary {
    /// The substation.
    pub substation: Substation,
    /// Sensors installed in it.
    pub sensor_count: i64,
    /// Transformers standing in it.
    pub transformer_count: i64,
}

/// Inserts a validated substation.
pub fn insert(conn: &mut PgConnection, s: &NewSubstation) -> StoreResult<Substation> {
    insert_row(conn, &NewSubstationRow::from(s))
}

/// Inserts a row as given: the database's constraints are the only check.
pub fn insert_row(conn: &mut PgConnection, row: &NewSubstationRow) -> StoreResult<Substation> {
    let r = diesel::insert_into(grid_substations::table)
        .values(row)
        .returning(SubstationRow::as_returning())
        .get_result(conn)?;
    Ok(r.into())
}

/// The substation with this id.
pub fn get(conn: &mut PgConnection, id: Uuid) -> StoreResult<Substation> {
    grid_substations::table
        .find(id)
        .select(SubstationRow::as_select())
        .first(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, id))
}

/// The substation with this code.
pub fn get_by_code(conn: &mut PgConnection, code: &str) -> StoreResult<Substation> {
    grid_substations::table
        .filter(grid_substations::code.eq(code))
        .select(SubstationRow::as_select())
        .first(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, code))
}

/// Every substation, by code.
pub fn list(conn: &mut PgConnection) -> StoreResult<Vec<Substation>> {
    Ok(grid_substations::table
        .order(grid_substations::code)
        .select(SubstationRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The substations of a zone with their sensor and transformer counts, by code.
pub fn list_by_zone_with_counts(
    conn: &mut PgConnection,
    zone: GridZone,
) -> StoreResult<Vec<SubstationSummary>> {
    let sensors = grid_sensors::table
        .filter(grid_sensors::substation_id.eq(grid_substations::id))
        .count()
        .single_value();
    let transformers = transformers::table
        .filter(transformers::substation_id.eq(grid_substations::id))
        .count()
        .single_value();
    let rows: Vec<(SubstationRow, Option<i64>, Option<i64>)> = grid_substations::table
        .filter(grid_substations::zone.eq(DbGridZone::from(zone)))
        .order(grid_substations::code)
        .select((SubstationRow::as_select(), sensors, transformers))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(s, n_sensors, n_transformers)| SubstationSummary {
            substation: s.into(),
            sensor_count: n_sensors.unwrap_or(0),
            transformer_count: n_transformers.unwrap_or(0),
        })
        .collect())
}

/// Changes the given fields; `updated_at` moves only if something really changed.
pub fn update(
    conn: &mut PgConnection,
    id: Uuid,
    changes: &SubstationUpdate,
) -> StoreResult<Substation> {
    if let Some(m) = &changes.metadata
        && !m.is_object()
    {
        return Err(grid_model::ValidationErrors {
            entity: ENTITY,
            errors: vec![grid_model::FieldError {
                field: "metadata",
                reason: "must be a JSON object".into(),
            }],
        }
        .into());
    }
    if *changes == SubstationUpdate::default() {
        return get(conn, id);
    }
    diesel::update(grid_substations::table.find(id))
        .set(changes)
        .returning(SubstationRow::as_returning())
        .get_result(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, id))
}

/// Deletes a substation: its sensors and transformers go with it (and their readings and
/// maintenance records); its alerts stay, with the substation cleared.
pub fn delete(conn: &mut PgConnection, id: Uuid) -> StoreResult<()> {
    let n = diesel::delete(grid_substations::table.find(id)).execute(conn)?;
    if n == 0 {
        return Err(StoreError::not_found(ENTITY, id));
    }
    Ok(())
}

repository! {
    /// Substations, on a pool or a caller's connection.
    pub trait SubstationRepository {
        /// See [`insert`].
        fn insert_substation(&mut self, s: &NewSubstation) -> StoreResult<Substation> => insert;
        /// See [`get`].
        fn substation(&mut self, id: Uuid) -> StoreResult<Substation> => get;
        /// See [`get_by_code`].
        fn substation_by_code(&mut self, code: &str) -> StoreResult<Substation> => get_by_code;
        /// See [`list`].
        fn substations(&mut self) -> StoreResult<Vec<Substation>> => list;
        /// See [`list_by_zone_with_counts`].
        fn substations_of_zone(&mut self, zone: GridZone) -> StoreResult<Vec<SubstationSummary>> => list_by_zone_with_counts;
        /// See [`update`].
        fn update_substation(&mut self, id: Uuid, changes: &SubstationUpdate) -> StoreResult<Substation> => update;
        /// See [`delete`].
        fn delete_substation(&mut self, id: Uuid) -> StoreResult<()> => delete;
    }
}

/// Records that `substation` serves `customers` from the local date `effective_from` on
/// (replacing a count recorded for that same date), e.g. a count corrected after the fact or
/// a new estate connected on a known date. Days from then until the next recorded change
/// use it; `customers_served` itself holds today's count, and changing it records a count
/// effective today (a trigger does, for every writer).
pub fn record_customers(
    conn: &mut PgConnection,
    substation: Uuid,
    effective_from: chrono::NaiveDate,
    customers: i32,
) -> StoreResult<()> {
    use crate::schema::substation_customer_counts as c;
    if customers < 0 {
        return Err(grid_model::ValidationErrors {
            entity: ENTITY,
            errors: vec![grid_model::FieldError {
                field: "customers_served",
                reason: format!("must be 0 or more (got {customers})"),
            }],
        }
        .into());
    }
    get(conn, substation)?;
    diesel::insert_into(c::table)
        .values((
            c::substation_id.eq(substation),
            c::effective_from.eq(effective_from),
            c::customers_served.eq(customers),
        ))
        .on_conflict((c::substation_id, c::effective_from))
        .do_update()
        .set((
            c::customers_served.eq(customers),
            c::recorded_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}
