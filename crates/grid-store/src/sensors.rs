//! Sensors.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Timestamptz};
use grid_model::{NewSensor, Sensor, SensorStatus, SensorType};
use ipnetwork::IpNetwork;
use serde_json::Value;
use uuid::Uuid;

use crate::enums::{DbSensorStatus, DbSensorType};
use crate::error::{StoreError, StoreResult};
use crate::schema::grid_sensors;
use crate::store::repository;

const ENTITY: &str = "sensor";

/// A stored sensor row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = grid_sensors, check_for_backend(diesel::pg::Pg))]
#[allow(missing_docs)]
pub struct SensorRow {
    pub id: Uuid,
    pub substation_id: Uuid,
    pub transformer_id: Option<Uuid>,
    pub sensor_id: String,
    pub sensor_type: DbSensorType,
    pub sensor_model: Option<String>,
    pub manufacturer: Option<String>,
    pub location_description: Option<String>,
    pub installation_date: Option<DateTime<Utc>>,
    pub measurement_unit: Option<String>,
    pub sampling_rate_hz: f64,
    pub precision_decimals: i32,
    pub calibration_offset: f64,
    pub calibration_scale: f64,
    pub last_calibration_date: Option<DateTime<Utc>>,
    pub next_calibration_date: Option<DateTime<Utc>>,
    pub status: DbSensorStatus,
    pub is_critical: bool,
    pub ip_address: Option<IpNetwork>,
    pub port: Option<i32>,
    pub protocol: Option<String>,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_reading_at: Option<DateTime<Utc>>,
}

impl From<SensorRow> for Sensor {
    fn from(r: SensorRow) -> Self {
        Sensor {
            id: r.id,
            substation_id: r.substation_id,
            transformer_id: r.transformer_id,
            tag: r.sensor_id,
            sensor_type: r.sensor_type.into(),
            sensor_model: r.sensor_model,
            manufacturer: r.manufacturer,
            location_description: r.location_description,
            installation_date: r.installation_date,
            measurement_unit: r.measurement_unit,
            sampling_rate_hz: r.sampling_rate_hz,
            precision_decimals: r.precision_decimals,
            calibration_offset: r.calibration_offset,
            calibration_scale: r.calibration_scale,
            last_calibration_date: r.last_calibration_date,
            next_calibration_date: r.next_calibration_date,
            status: r.status.into(),
            is_critical: r.is_critical,
            // A sensor's address is a host; INET could carry a prefix, which we drop.
            ip_address: r.ip_address.map(|n| n.ip()),
            port: r.port,
            protocol: r.protocol,
            metadata: r.metadata,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_reading_at: r.last_reading_at,
        }
    }
}

/// An insertable sensor row (unchecked; see [`crate::substations::NewSubstationRow`]).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = grid_sensors)]
#[allow(missing_docs)]
pub struct NewSensorRow {
    pub substation_id: Uuid,
    pub transformer_id: Option<Uuid>,
    pub sensor_id: String,
    pub sensor_type: DbSensorType,
    pub sensor_model: Option<String>,
    pub manufacturer: Option<String>,
    pub location_description: Option<String>,
    pub installation_date: Option<DateTime<Utc>>,
    pub measurement_unit: Option<String>,
    pub sampling_rate_hz: f64,
    pub precision_decimals: i32,
    pub calibration_offset: f64,
    pub calibration_scale: f64,
    pub last_calibration_date: Option<DateTime<Utc>>,
    pub next_calibration_date: Option<DateTime<Utc>>,
    pub status: DbSensorStatus,
    pub is_critical: bool,
    pub ip_address: Option<IpNetwork>,
    pub port: Option<i32>,
    pub protocol: Option<String>,
    pub metadata: Value,
}

impl From<&NewSensor> for NewSensorRow {
    fn from(s: &NewSensor) -> Self {
        NewSensorRow {
            substation_id: s.substation_id,
            transformer_id: s.transformer_id,
            sensor_id: s.tag.clone(),
            sensor_type: s.sensor_type.into(),
            sensor_model: s.sensor_model.clone(),
            manufacturer: s.manufacturer.clone(),
            location_description: s.location_description.clone(),
            installation_date: s.installation_date,
            measurement_unit: s.measurement_unit.clone(),
            sampling_rate_hz: s.sampling_rate_hz,
            precision_decimals: s.precision_decimals,
            calibration_offset: s.calibration_offset,
            calibration_scale: s.calibration_scale,
            last_calibration_date: s.last_calibration_date,
            next_calibration_date: s.next_calibration_date,
            status: s.status.into(),
            is_critical: s.is_critical,
            ip_address: s.ip_address.map(IpNetwork::from),
            port: s.port,
            protocol: s.protocol.clone(),
            metadata: s.metadata.clone(),
        }
    }
}

/// Fields an engineer may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SensorUpdate {
    /// Operational status.
    pub status: Option<SensorStatus>,
    /// The transformer it is mounted on (`Some(None)` detaches it).
    pub transformer_id: Option<Option<Uuid>>,
    /// New calibration offset.
    pub calibration_offset: Option<f64>,
    /// New calibration scale (never 0).
    pub calibration_scale: Option<f64>,
    /// Last calibration.
    pub last_calibration_date: Option<DateTime<Utc>>,
    /// Next calibration due.
    pub next_calibration_date: Option<DateTime<Utc>>,
    /// Critical for grid operation.
    pub is_critical: Option<bool>,
    /// Device address (`Some(None)` clears it).
    pub ip_address: Option<Option<IpAddr>>,
    /// Device port (`Some(None)` clears it).
    pub port: Option<Option<i32>>,
    /// New protocol (`Some(None)` clears it).
    pub protocol: Option<Option<String>>,
    /// Replaces the metadata object.
    pub metadata: Option<Value>,
}

#[derive(AsChangeset)]
#[diesel(table_name = grid_sensors)]
struct SensorChangeset {
    status: Option<DbSensorStatus>,
    transformer_id: Option<Option<Uuid>>,
    calibration_offset: Option<f64>,
    calibration_scale: Option<f64>,
    last_calibration_date: Option<DateTime<Utc>>,
    next_calibration_date: Option<DateTime<Utc>>,
    is_critical: Option<bool>,
    ip_address: Option<Option<IpNetwork>>,
    port: Option<Option<i32>>,
    protocol: Option<Option<String>>,
    metadata: Option<Value>,
}

/// Inserts a validated sensor.
pub fn insert(conn: &mut PgConnection, s: &NewSensor) -> StoreResult<Sensor> {
    insert_row(conn, &NewSensorRow::from(s))
}

/// Inserts a row as given: the database's constraints are the only check.
pub fn insert_row(conn: &mut PgConnection, row: &NewSensorRow) -> StoreResult<Sensor> {
    Ok(diesel::insert_into(grid_sensors::table)
        .values(row)
        .returning(SensorRow::as_returning())
        .get_result(conn)?
        .into())
}

/// The sensor with this id.
pub fn get(conn: &mut PgConnection, id: Uuid) -> StoreResult<Sensor> {
    grid_sensors::table
        .find(id)
        .select(SensorRow::as_select())
        .first(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, id))
}

/// The sensor with this tag (`sensor_id`, e.g. "SENSOR-NRB-W-001").
pub fn get_by_tag(conn: &mut PgConnection, tag: &str) -> StoreResult<Sensor> {
    // No stored tag holds a NUL (PostgreSQL's text cannot) or is longer than the column's
    // 100 characters: such a key names no sensor, and is not sent to the server.
    let n = tag.chars().count();
    if tag.contains('\0') || n > 100 {
        let head: String = tag.chars().take(64).collect();
        let more = if n > 64 {
            format!("… ({n} characters)")
        } else {
            String::new()
        };
        return Err(StoreError::not_found(ENTITY, format!("{head:?}{more}")));
    }
    grid_sensors::table
        .filter(grid_sensors::sensor_id.eq(tag))
        .select(SensorRow::as_select())
        .first(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, tag))
}

/// How many sensors there are in `zone` (every zone when `None`): what an answer listing
/// one row per sensor will hold.
pub fn count_in(conn: &mut PgConnection, zone: Option<grid_model::GridZone>) -> StoreResult<i64> {
    use crate::schema::grid_substations;
    let mut q = grid_sensors::table
        .inner_join(grid_substations::table)
        .into_boxed();
    if let Some(z) = zone {
        q = q.filter(grid_substations::zone.eq(crate::enums::DbGridZone::from(z)));
    }
    Ok(q.count().get_result(conn)?)
}

/// The sensors of a substation, optionally of one type and one status, by tag.
pub fn list_by_substation(
    conn: &mut PgConnection,
    substation_id: Uuid,
    sensor_type: Option<SensorType>,
    status: Option<SensorStatus>,
) -> StoreResult<Vec<Sensor>> {
    let mut q = grid_sensors::table
        .filter(grid_sensors::substation_id.eq(substation_id))
        .into_boxed();
    if let Some(t) = sensor_type {
        q = q.filter(grid_sensors::sensor_type.eq(DbSensorType::from(t)));
    }
    if let Some(s) = status {
        q = q.filter(grid_sensors::status.eq(DbSensorStatus::from(s)));
    }
    Ok(q.order(grid_sensors::sensor_id)
        .select(SensorRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Every sensor, by tag.
pub fn list(conn: &mut PgConnection) -> StoreResult<Vec<Sensor>> {
    Ok(grid_sensors::table
        .order(grid_sensors::sensor_id)
        .select(SensorRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// One page of the sensors by tag: at most `limit` after skipping `offset`.
pub fn list_page(conn: &mut PgConnection, offset: i64, limit: i64) -> StoreResult<Vec<Sensor>> {
    Ok(grid_sensors::table
        .order(grid_sensors::sensor_id)
        .offset(offset.max(0))
        .limit(limit.max(0))
        .select(SensorRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Sensors not retired (`inactive`) whose next calibration is due at or before `at`, the most
/// overdue first. A sensor with no calibration date set is not reported (unknown, not due).
pub fn due_for_calibration(conn: &mut PgConnection, at: DateTime<Utc>) -> StoreResult<Vec<Sensor>> {
    Ok(grid_sensors::table
        .filter(grid_sensors::next_calibration_date.le(at))
        .filter(grid_sensors::status.ne(DbSensorStatus::Inactive))
        .order((
            grid_sensors::next_calibration_date.asc(),
            grid_sensors::sensor_id.asc(),
        ))
        .select(SensorRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Changes the given fields.
pub fn update(conn: &mut PgConnection, id: Uuid, changes: &SensorUpdate) -> StoreResult<Sensor> {
    if *changes == SensorUpdate::default() {
        return get(conn, id);
    }
    let set = SensorChangeset {
        status: changes.status.map(Into::into),
        transformer_id: changes.transformer_id,
        calibration_offset: changes.calibration_offset,
        calibration_scale: changes.calibration_scale,
        last_calibration_date: changes.last_calibration_date,
        next_calibration_date: changes.next_calibration_date,
        is_critical: changes.is_critical,
        ip_address: changes.ip_address.map(|a| a.map(IpNetwork::from)),
        port: changes.port,
        protocol: changes.protocol.clone(),
        metadata: changes.metadata.clone(),
    };
    diesel::update(grid_sensors::table.find(id))
        .set(&set)
        .returning(SensorRow::as_returning())
        .get_result(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, id))
}

/// Moves `last_reading_at` of each sensor forward to the given time, never back (late data
/// leaves it alone). Does not touch `updated_at`. Returns the number of sensors moved.
pub fn advance_last_reading_at(
    conn: &mut PgConnection,
    latest: &[(Uuid, DateTime<Utc>)],
) -> QueryResult<usize> {
    if latest.is_empty() {
        return Ok(0);
    }
    let (ids, times): (Vec<Uuid>, Vec<DateTime<Utc>>) = latest.iter().copied().unzip();
    // Rows are locked in id order (LockRows sits above the sort), the order every writer
    // uses, so concurrent writers queue instead of deadlocking.
    diesel::sql_query(
        "WITH v AS (SELECT id, max(ts) AS ts FROM unnest($1, $2) AS u(id, ts) GROUP BY id),
              locked AS (SELECT s.id, v.ts FROM grid_sensors s JOIN v ON v.id = s.id
                          WHERE s.last_reading_at IS NULL OR s.last_reading_at < v.ts
                          ORDER BY s.id FOR NO KEY UPDATE OF s)
         UPDATE grid_sensors AS s SET last_reading_at = locked.ts
           FROM locked WHERE s.id = locked.id AND (s.last_reading_at IS NULL OR s.last_reading_at < locked.ts)",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(ids)
    .bind::<Array<Timestamptz>, _>(times)
    .execute(conn)
}

/// Deletes a sensor and its readings (its alerts stay, with the sensor cleared).
pub fn delete(conn: &mut PgConnection, id: Uuid) -> StoreResult<()> {
    match diesel::delete(grid_sensors::table.find(id)).execute(conn)? {
        0 => Err(StoreError::not_found(ENTITY, id)),
        _ => Ok(()),
    }
}

repository! {
    /// Sensors, on a pool or a caller's connection.
    pub trait SensorRepository {
        /// See [`insert`].
        fn insert_sensor(&mut self, s: &NewSensor) -> StoreResult<Sensor> => insert;
        /// See [`get`].
        fn sensor(&mut self, id: Uuid) -> StoreResult<Sensor> => get;
        /// See [`get_by_tag`].
        fn sensor_by_tag(&mut self, tag: &str) -> StoreResult<Sensor> => get_by_tag;
        /// See [`list`].
        fn sensors(&mut self) -> StoreResult<Vec<Sensor>> => list;
        /// See [`list_by_substation`].
        fn sensors_of_substation(&mut self, substation_id: Uuid, sensor_type: Option<SensorType>, status: Option<SensorStatus>) -> StoreResult<Vec<Sensor>> => list_by_substation;
        /// See [`due_for_calibration`].
        fn sensors_due_for_calibration(&mut self, at: DateTime<Utc>) -> StoreResult<Vec<Sensor>> => due_for_calibration;
        /// See [`update`].
        fn update_sensor(&mut self, id: Uuid, changes: &SensorUpdate) -> StoreResult<Sensor> => update;
        /// See [`delete`].
        fn delete_sensor(&mut self, id: Uuid) -> StoreResult<()> => delete;
    }
}
