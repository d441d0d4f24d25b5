//! Load forecasts and their accuracy against actuals.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Timestamptz};
use grid_model::{GridZone, LoadForecast, NewForecast};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::DbGridZone;
use crate::error::{StoreError, StoreResult};
use crate::schema::load_forecasts;
use crate::store::repository;

const ENTITY: &str = "load forecast";

/// A stored forecast row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = load_forecasts, check_for_backend(diesel::pg::Pg))]
#[allow(missing_docs)]
pub struct ForecastRow {
    pub id: Uuid,
    pub zone: DbGridZone,
    pub forecast_timestamp: DateTime<Utc>,
    pub predicted_load_mw: f64,
    pub confidence_interval_lower: Option<f64>,
    pub confidence_interval_upper: Option<f64>,
    pub confidence_percentage: f64,
    pub model_version: Option<String>,
    pub prediction_error_mape: Option<f64>,
    pub actual_load_mw: Option<f64>,
    pub actual_recorded_at: Option<DateTime<Utc>>,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
}

impl From<ForecastRow> for LoadForecast {
    fn from(r: ForecastRow) -> Self {
        LoadForecast {
            id: r.id,
            zone: r.zone.into(),
            forecast_timestamp: r.forecast_timestamp,
            predicted_load_mw: r.predicted_load_mw,
            confidence_interval_lower: r.confidence_interval_lower,
            confidence_interval_upper: r.confidence_interval_upper,
            confidence_percentage: r.confidence_percentage,
            model_version: r.model_version,
            prediction_error_mape: r.prediction_error_mape,
            actual_load_mw: r.actual_load_mw,
            actual_recorded_at: r.actual_recorded_at,
            metadata: r.metadata,
            created_at: r.created_at,
        }
    }
}

/// An insertable forecast row (unchecked; see [`crate::substations::NewSubstationRow`]).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = load_forecasts)]
#[allow(missing_docs)]
pub struct NewForecastRow {
    pub zone: DbGridZone,
    pub forecast_timestamp: DateTime<Utc>,
    pub predicted_load_mw: f64,
    pub confidence_interval_lower: Option<f64>,
    pub confidence_interval_upper: Option<f64>,
    pub confidence_percentage: f64,
    pub model_version: Option<String>,
    pub prediction_error_mape: Option<f64>,
    pub metadata: Value,
}

impl From<&NewForecast> for NewForecastRow {
    fn from(f: &NewForecast) -> Self {
        NewForecastRow {
            zone: f.zone.into(),
            forecast_timestamp: f.forecast_timestamp,
            predicted_load_mw: f.predicted_load_mw,
            confidence_interval_lower: f.confidence_interval_lower,
            confidence_interval_upper: f.confidence_interval_upper,
            confidence_percentage: f.confidence_percentage,
            model_version: f.model_version.clone(),
            prediction_error_mape: f.prediction_error_mape,
            metadata: f.metadata.clone(),
        }
    }
}

/// How well a zone's forecasts matched the actuals over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneAccuracy {
    /// The zone.
    pub zone: GridZone,
    /// Forecasts with an actual in the period.
    pub compared: i64,
    /// Mean absolute percentage error, %, over forecasts whose actual is above zero (MAPE is
    /// undefined at zero); `None` when there are none.
    pub mape_percent: Option<f64>,
    /// Mean absolute error, MW, over every compared forecast.
    pub mae_mw: Option<f64>,
    /// Forecasts left out of the MAPE because their actual was zero.
    pub zero_actuals: i64,
}

/// Inserts a validated forecast.
pub fn insert(conn: &mut PgConnection, f: &NewForecast) -> StoreResult<LoadForecast> {
    insert_row(conn, &NewForecastRow::from(f))
}

/// Inserts a row as given: the database's constraints are the only check.
pub fn insert_row(conn: &mut PgConnection, row: &NewForecastRow) -> StoreResult<LoadForecast> {
    Ok(diesel::insert_into(load_forecasts::table)
        .values(row)
        .returning(ForecastRow::as_returning())
        .get_result(conn)?
        .into())
}

/// The forecast with this id.
pub fn get(conn: &mut PgConnection, id: Uuid) -> StoreResult<LoadForecast> {
    load_forecasts::table
        .find(id)
        .select(ForecastRow::as_select())
        .first(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, id))
}

/// Records the actual load for a forecast (≥ 0 MW, finite).
pub fn record_actual(
    conn: &mut PgConnection,
    id: Uuid,
    actual_mw: f64,
    recorded_at: DateTime<Utc>,
) -> StoreResult<LoadForecast> {
    if !actual_mw.is_finite() {
        return Err(grid_model::ValidationErrors {
            entity: ENTITY,
            errors: vec![grid_model::FieldError {
                field: "actual_load_mw",
                reason: format!("must be a finite number (got {actual_mw})"),
            }],
        }
        .into());
    }
    diesel::update(load_forecasts::table.find(id))
        .set((
            load_forecasts::actual_load_mw.eq(actual_mw),
            load_forecasts::actual_recorded_at.eq(recorded_at),
        ))
        .returning(ForecastRow::as_returning())
        .get_result(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, id))
}

/// A zone's forecasts for `[from, to)`, in time order.
pub fn for_zone(
    conn: &mut PgConnection,
    zone: GridZone,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<LoadForecast>> {
    Ok(load_forecasts::table
        .filter(load_forecasts::zone.eq(DbGridZone::from(zone)))
        .filter(load_forecasts::forecast_timestamp.ge(from))
        .filter(load_forecasts::forecast_timestamp.lt(to))
        .order(load_forecasts::forecast_timestamp.asc())
        .select(ForecastRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

#[derive(QueryableByName)]
struct AccuracyRow {
    #[diesel(sql_type = crate::schema::sql_types::GridZone)]
    zone: DbGridZone,
    #[diesel(sql_type = BigInt)]
    compared: i64,
    #[diesel(sql_type = Nullable<Double>)]
    mape: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    mae: Option<f64>,
    #[diesel(sql_type = BigInt)]
    zero_actuals: i64,
}

/// Forecast accuracy per zone for forecasts whose time falls in `[from, to)` and that have
/// an actual, by zone.
pub fn accuracy_by_zone(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<ZoneAccuracy>> {
    let rows: Vec<AccuracyRow> = diesel::sql_query(include_str!("forecast_accuracy.sql"))
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| ZoneAccuracy {
            zone: r.zone.into(),
            compared: r.compared,
            mape_percent: r.mape,
            mae_mw: r.mae,
            zero_actuals: r.zero_actuals,
        })
        .collect())
}

repository! {
    /// Load forecasts, on a pool or a caller's connection.
    pub trait ForecastRepository {
        /// See [`insert`].
        fn insert_forecast(&mut self, f: &NewForecast) -> StoreResult<LoadForecast> => insert;
        /// See [`get`].
        fn forecast(&mut self, id: Uuid) -> StoreResult<LoadForecast> => get;
        /// See [`record_actual`].
        fn record_forecast_actual(&mut self, id: Uuid, actual_mw: f64, recorded_at: DateTime<Utc>) -> StoreResult<LoadForecast> => record_actual;
        /// See [`for_zone`].
        fn forecasts_of_zone(&mut self, zone: GridZone, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<LoadForecast>> => for_zone;
        /// See [`accuracy_by_zone`].
        fn forecast_accuracy_by_zone(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<ZoneAccuracy>> => accuracy_by_zone;
    }
}
