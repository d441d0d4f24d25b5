//! Transformers.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grid_model::{NewTransformer, Transformer};
use uuid::Uuid;

use crate::error::{StoreError, StoreResult};
use crate::schema::transformers;
use crate::store::repository;

const ENTITY: &str = "transformer";

/// A stored transformer row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = transformers, check_for_backend(diesel::pg::Pg))]
#[allow(missing_docs)]
pub struct TransformerRow {
    pub id: Uuid,
    pub substation_id: Uuid,
    pub name: String,
    pub serial_number: Option<String>,
    pub manufacturer: Option<String>,
    pub year_manufactured: Option<i32>,
    pub capacity_mva: f64,
    pub voltage_primary_kv: f64,
    pub voltage_secondary_kv: f64,
    pub cooling_type: Option<String>,
    pub current_load_mva: f64,
    pub load_percentage: f64,
    pub oil_temperature_celsius: Option<f64>,
    pub winding_temperature_celsius: Option<f64>,
    pub oil_level_percentage: f64,
    pub health_score: Option<f64>,
    pub estimated_remaining_life_years: Option<f64>,
    pub failure_probability_7days: Option<f64>,
    pub failure_probability_30days: Option<f64>,
    pub is_operational: bool,
    pub last_maintenance_date: Option<DateTime<Utc>>,
    pub next_maintenance_date: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub relative_risk_index: Option<f64>,
}

impl From<TransformerRow> for Transformer {
    fn from(r: TransformerRow) -> Self {
        Transformer {
            id: r.id,
            substation_id: r.substation_id,
            name: r.name,
            serial_number: r.serial_number,
            manufacturer: r.manufacturer,
            year_manufactured: r.year_manufactured,
            capacity_mva: r.capacity_mva,
            voltage_primary_kv: r.voltage_primary_kv,
            voltage_secondary_kv: r.voltage_secondary_kv,
            cooling_type: r.cooling_type,
            current_load_mva: r.current_load_mva,
            load_percentage: r.load_percentage,
            oil_temperature_celsius: r.oil_temperature_celsius,
            winding_temperature_celsius: r.winding_temperature_celsius,
            oil_level_percentage: r.oil_level_percentage,
            health_score: r.health_score,
            estimated_remaining_life_years: r.estimated_remaining_life_years,
            failure_probability_7days: r.failure_probability_7days,
            failure_probability_30days: r.failure_probability_30days,
            is_operational: r.is_operational,
            last_maintenance_date: r.last_maintenance_date,
            next_maintenance_date: r.next_maintenance_date,
            created_at: r.created_at,
            updated_at: r.updated_at,
            relative_risk_index: r.relative_risk_index,
        }
    }
}

/// An insertable transformer row (unchecked; see [`crate::substations::NewSubstationRow`]).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = transformers)]
#[allow(missing_docs)]
pub struct NewTransformerRow {
    pub substation_id: Uuid,
    pub name: String,
    pub serial_number: Option<String>,
    pub manufacturer: Option<String>,
    pub year_manufactured: Option<i32>,
    pub capacity_mva: f64,
    pub voltage_primary_kv: f64,
    pub voltage_secondary_kv: f64,
    pub cooling_type: Option<String>,
    pub current_load_mva: f64,
    pub load_percentage: f64,
    pub oil_temperature_celsius: Option<f64>,
    pub winding_temperature_celsius: Option<f64>,
    pub oil_level_percentage: f64,
    pub health_score: Option<f64>,
    pub estimated_remaining_life_years: Option<f64>,
    pub failure_probability_7days: Option<f64>,
    pub failure_probability_30days: Option<f64>,
    pub is_operational: bool,
    pub last_maintenance_date: Option<DateTime<Utc>>,
    pub next_maintenance_date: Option<DateTime<Utc>>,
}

impl From<&NewTransformer> for NewTransformerRow {
    fn from(t: &NewTransformer) -> Self {
        NewTransformerRow {
            substation_id: t.substation_id,
            name: t.name.clone(),
            serial_number: t.serial_number.clone(),
            manufacturer: t.manufacturer.clone(),
            year_manufactured: t.year_manufactured,
            capacity_mva: t.capacity_mva,
            voltage_primary_kv: t.voltage_primary_kv,
            voltage_secondary_kv: t.voltage_secondary_kv,
            cooling_type: t.cooling_type.clone(),
            current_load_mva: t.current_load_mva,
            load_percentage: t.load_percentage,
            oil_temperature_celsius: t.oil_temperature_celsius,
            winding_temperature_celsius: t.winding_temperature_celsius,
            oil_level_percentage: t.oil_level_percentage,
            health_score: t.health_score,
            estimated_remaining_life_years: t.estimated_remaining_life_years,
            failure_probability_7days: t.failure_probability_7days,
            failure_probability_30days: t.failure_probability_30days,
            is_operational: t.is_operational,
            last_maintenance_date: t.last_maintenance_date,
            next_maintenance_date: t.next_maintenance_date,
        }
    }
}

/// A new reading of a transformer's condition; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = transformers)]
#[allow(missing_docs)]
pub struct TransformerCondition {
    pub current_load_mva: Option<f64>,
    pub load_percentage: Option<f64>,
    pub oil_temperature_celsius: Option<f64>,
    pub winding_temperature_celsius: Option<f64>,
    pub oil_level_percentage: Option<f64>,
    pub health_score: Option<f64>,
    pub estimated_remaining_life_years: Option<f64>,
    pub failure_probability_7days: Option<Option<f64>>,
    pub failure_probability_30days: Option<Option<f64>>,
    pub is_operational: Option<bool>,
    pub last_maintenance_date: Option<DateTime<Utc>>,
    pub next_maintenance_date: Option<DateTime<Utc>>,
    pub relative_risk_index: Option<Option<f64>>,
}

/// Inserts a validated transformer.
pub fn insert(conn: &mut PgConnection, t: &NewTransformer) -> StoreResult<Transformer> {
    insert_row(conn, &NewTransformerRow::from(t))
}

/// Inserts a row as given: the database's constraints are the only check.
pub fn insert_row(conn: &mut PgConnection, row: &NewTransformerRow) -> StoreResult<Transformer> {
    Ok(diesel::insert_into(transformers::table)
        .values(row)
        .returning(TransformerRow::as_returning())
        .get_result(conn)?
        .into())
}

/// The transformer with this id.
pub fn get(conn: &mut PgConnection, id: Uuid) -> StoreResult<Transformer> {
    transformers::table
        .find(id)
        .select(TransformerRow::as_select())
        .first(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, id))
}

/// The transformers of a substation, by name.
pub fn list_by_substation(
    conn: &mut PgConnection,
    substation_id: Uuid,
) -> StoreResult<Vec<Transformer>> {
    Ok(transformers::table
        .filter(transformers::substation_id.eq(substation_id))
        .order(transformers::name)
        .select(TransformerRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Records a new condition. Values are checked by the database (e.g. load ≤ 200 %).
pub fn update_condition(
    conn: &mut PgConnection,
    id: Uuid,
    condition: &TransformerCondition,
) -> StoreResult<Transformer> {
    if *condition == TransformerCondition::default() {
        return get(conn, id);
    }
    diesel::update(transformers::table.find(id))
        .set(condition)
        .returning(TransformerRow::as_returning())
        .get_result(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, id))
}

/// Transformers at risk: relative risk index ≥ `min_relative_risk_index` or health score
/// ≤ `max_health_score`; riskiest first (index descending, unassessed last, then health
/// ascending). The index is the thermal assessment's (see
/// [`Transformer::relative_risk_index`]).
pub fn at_risk(
    conn: &mut PgConnection,
    min_relative_risk_index: f64,
    max_health_score: f64,
) -> StoreResult<Vec<Transformer>> {
    Ok(transformers::table
        .filter(
            transformers::relative_risk_index
                .ge(min_relative_risk_index)
                .or(transformers::health_score.le(max_health_score)),
        )
        .order((
            transformers::relative_risk_index.desc().nulls_last(),
            transformers::health_score.asc(),
            transformers::name.asc(),
        ))
        .select(TransformerRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Deletes a transformer (its maintenance records go with it; its sensors stay, detached).
pub fn delete(conn: &mut PgConnection, id: Uuid) -> StoreResult<()> {
    match diesel::delete(transformers::table.find(id)).execute(conn)? {
        0 => Err(StoreError::not_found(ENTITY, id)),
        _ => Ok(()),
    }
}

repository! {
    /// Transformers, on a pool or a caller's connection.
    pub trait TransformerRepository {
        /// See [`insert`].
        fn insert_transformer(&mut self, t: &NewTransformer) -> StoreResult<Transformer> => insert;
        /// See [`get`].
        fn transformer(&mut self, id: Uuid) -> StoreResult<Transformer> => get;
        /// See [`list_by_substation`].
        fn transformers_of_substation(&mut self, substation_id: Uuid) -> StoreResult<Vec<Transformer>> => list_by_substation;
        /// See [`update_condition`].
        fn update_transformer_condition(&mut self, id: Uuid, condition: &TransformerCondition) -> StoreResult<Transformer> => update_condition;
        /// See [`at_risk`].
        fn transformers_at_risk(&mut self, min_relative_risk_index: f64, max_health_score: f64) -> StoreResult<Vec<Transformer>> => at_risk;
        /// See [`delete`].
        fn delete_transformer(&mut self, id: Uuid) -> StoreResult<()> => delete;
    }
}
