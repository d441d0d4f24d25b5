//! Transformer thermal parameters, thermal history per day, and the assessment's update of
//! the transformer row.

use chrono::NaiveDate;
use diesel::dsl::now;
use diesel::prelude::*;
use grid_model::{NewThermalParameters, ThermalDay, ThermalParameters};
use uuid::Uuid;

use crate::enums::{
    DbInsulationPaper, DbThermalAmbientSource, DbThermalLoadSource, DbThermalMethod,
};
use crate::error::{StoreError, StoreResult};
use crate::schema::{
    transformer_thermal_days as days, transformer_thermal_parameters as params, transformers,
};
use crate::store::repository;

/// A stored thermal-parameters row (also what is inserted and updated).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = params, check_for_backend(diesel::pg::Pg))]
#[diesel(primary_key(transformer_id), treat_none_as_null = true)]
#[allow(missing_docs)]
pub struct ThermalParametersRow {
    pub transformer_id: Uuid,
    pub method: DbThermalMethod,
    pub insulation: DbInsulationPaper,
    pub rated_top_oil_rise_k: Option<f64>,
    pub rated_hot_spot_gradient_k: Option<f64>,
    pub loss_ratio: Option<f64>,
    pub oil_exponent: Option<f64>,
    pub winding_exponent: Option<f64>,
    pub oil_time_constant_min: Option<f64>,
    pub winding_time_constant_min: Option<f64>,
    pub k11: Option<f64>,
    pub k21: Option<f64>,
    pub k22: Option<f64>,
    pub normal_life_hours: Option<f64>,
}

impl From<ThermalParametersRow> for ThermalParameters {
    fn from(r: ThermalParametersRow) -> Self {
        ThermalParameters {
            transformer_id: r.transformer_id,
            method: r.method.into(),
            insulation: r.insulation.into(),
            rated_top_oil_rise_k: r.rated_top_oil_rise_k,
            rated_hot_spot_gradient_k: r.rated_hot_spot_gradient_k,
            loss_ratio: r.loss_ratio,
            oil_exponent: r.oil_exponent,
            winding_exponent: r.winding_exponent,
            oil_time_constant_min: r.oil_time_constant_min,
            winding_time_constant_min: r.winding_time_constant_min,
            k11: r.k11,
            k21: r.k21,
            k22: r.k22,
            normal_life_hours: r.normal_life_hours,
        }
    }
}

impl From<&ThermalParameters> for ThermalParametersRow {
    fn from(p: &ThermalParameters) -> Self {
        ThermalParametersRow {
            transformer_id: p.transformer_id,
            method: p.method.into(),
            insulation: p.insulation.into(),
            rated_top_oil_rise_k: p.rated_top_oil_rise_k,
            rated_hot_spot_gradient_k: p.rated_hot_spot_gradient_k,
            loss_ratio: p.loss_ratio,
            oil_exponent: p.oil_exponent,
            winding_exponent: p.winding_exponent,
            oil_time_constant_min: p.oil_time_constant_min,
            winding_time_constant_min: p.winding_time_constant_min,
            k11: p.k11,
            k21: p.k21,
            k22: p.k22,
            normal_life_hours: p.normal_life_hours,
        }
    }
}

/// Stores a transformer's thermal parameters, replacing any it had.
pub fn set_parameters(
    conn: &mut PgConnection,
    p: &NewThermalParameters,
) -> StoreResult<ThermalParameters> {
    set_parameters_row(conn, &ThermalParametersRow::from(&p.clone().into_inner()))
}

/// Stores a parameters row as given: the database's constraints are the only check.
pub fn set_parameters_row(
    conn: &mut PgConnection,
    row: &ThermalParametersRow,
) -> StoreResult<ThermalParameters> {
    Ok(diesel::insert_into(params::table)
        .values(row)
        .on_conflict(params::transformer_id)
        .do_update()
        .set((row, params::updated_at.eq(now)))
        .returning(ThermalParametersRow::as_returning())
        .get_result(conn)?
        .into())
}

/// The stored parameters of every transformer that has them.
pub fn all_parameters(conn: &mut PgConnection) -> StoreResult<Vec<ThermalParameters>> {
    Ok(params::table
        .select(ThermalParametersRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// A stored day of thermal history (also what is written).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = days, check_for_backend(diesel::pg::Pg))]
#[diesel(primary_key(transformer_id, day), treat_none_as_null = true)]
#[allow(missing_docs)]
pub struct ThermalDayRow {
    pub transformer_id: Uuid,
    pub day: NaiveDate,
    pub method: DbThermalMethod,
    pub load_source: DbThermalLoadSource,
    pub ambient_source: DbThermalAmbientSource,
    pub covered_hours: f64,
    pub spans: i32,
    pub peak_load_pu: Option<f64>,
    pub peak_top_oil_c: Option<f64>,
    pub peak_hot_spot_c: Option<f64>,
    pub peak_hot_spot_at: Option<chrono::DateTime<chrono::Utc>>,
    pub equivalent_ageing_factor: Option<f64>,
    pub loss_of_life_hours: f64,
    pub life_consumed_hours: Option<f64>,
    pub hours_above_110c: f64,
    pub hours_above_120c: f64,
    pub hours_above_140c: f64,
    pub top_oil_residual_mean_k: Option<f64>,
    pub top_oil_residual_max_k: Option<f64>,
    pub hot_spot_residual_mean_k: Option<f64>,
    pub hot_spot_residual_max_k: Option<f64>,
}

impl From<ThermalDayRow> for ThermalDay {
    fn from(r: ThermalDayRow) -> Self {
        ThermalDay {
            transformer_id: r.transformer_id,
            day: r.day,
            method: r.method.into(),
            load_source: r.load_source.into(),
            ambient_source: r.ambient_source.into(),
            covered_hours: r.covered_hours,
            spans: r.spans,
            peak_load_pu: r.peak_load_pu,
            peak_top_oil_c: r.peak_top_oil_c,
            peak_hot_spot_c: r.peak_hot_spot_c,
            peak_hot_spot_at: r.peak_hot_spot_at,
            equivalent_ageing_factor: r.equivalent_ageing_factor,
            loss_of_life_hours: r.loss_of_life_hours,
            life_consumed_hours: r.life_consumed_hours,
            hours_above_110c: r.hours_above_110c,
            hours_above_120c: r.hours_above_120c,
            hours_above_140c: r.hours_above_140c,
            top_oil_residual_mean_k: r.top_oil_residual_mean_k,
            top_oil_residual_max_k: r.top_oil_residual_max_k,
            hot_spot_residual_mean_k: r.hot_spot_residual_mean_k,
            hot_spot_residual_max_k: r.hot_spot_residual_max_k,
        }
    }
}

impl From<&ThermalDay> for ThermalDayRow {
    fn from(d: &ThermalDay) -> Self {
        ThermalDayRow {
            transformer_id: d.transformer_id,
            day: d.day,
            method: d.method.into(),
            load_source: d.load_source.into(),
            ambient_source: d.ambient_source.into(),
            covered_hours: d.covered_hours,
            spans: d.spans,
            peak_load_pu: d.peak_load_pu,
            peak_top_oil_c: d.peak_top_oil_c,
            peak_hot_spot_c: d.peak_hot_spot_c,
            peak_hot_spot_at: d.peak_hot_spot_at,
            equivalent_ageing_factor: d.equivalent_ageing_factor,
            loss_of_life_hours: d.loss_of_life_hours,
            life_consumed_hours: d.life_consumed_hours,
            hours_above_110c: d.hours_above_110c,
            hours_above_120c: d.hours_above_120c,
            hours_above_140c: d.hours_above_140c,
            top_oil_residual_mean_k: d.top_oil_residual_mean_k,
            top_oil_residual_max_k: d.top_oil_residual_max_k,
            hot_spot_residual_mean_k: d.hot_spot_residual_mean_k,
            hot_spot_residual_max_k: d.hot_spot_residual_max_k,
        }
    }
}

/// Writes one day of a transformer's thermal history: inserted the first time, replaced
/// after (a recomputation is safe to repeat).
pub fn upsert_day(conn: &mut PgConnection, d: &ThermalDay) -> StoreResult<ThermalDay> {
    upsert_day_row(conn, &ThermalDayRow::from(d))
}

/// Upserts a day row as given: the database's constraints are the only check.
pub fn upsert_day_row(conn: &mut PgConnection, row: &ThermalDayRow) -> StoreResult<ThermalDay> {
    Ok(diesel::insert_into(days::table)
        .values(row)
        .on_conflict((days::transformer_id, days::day))
        .do_update()
        .set((row, days::computed_at.eq(now)))
        .returning(ThermalDayRow::as_returning())
        .get_result(conn)?
        .into())
}

/// A transformer's thermal history over `[from, to]`, by day.
pub fn days_between(
    conn: &mut PgConnection,
    transformer_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<ThermalDay>> {
    Ok(days::table
        .filter(days::transformer_id.eq(transformer_id))
        .filter(days::day.ge(from))
        .filter(days::day.le(to))
        .order(days::day.asc())
        .select(ThermalDayRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Over a transformer's stored days in `[from, before)`: (Σ loss of life hours, Σ covered
/// hours). How the assessment counts life consumed and the recent ageing rate.
pub fn ageing_sums(
    conn: &mut PgConnection,
    transformer_id: Uuid,
    from: NaiveDate,
    before: NaiveDate,
) -> StoreResult<(f64, f64)> {
    use diesel::dsl::sum;
    let (loss, covered): (Option<f64>, Option<f64>) = days::table
        .filter(days::transformer_id.eq(transformer_id))
        .filter(days::day.ge(from))
        .filter(days::day.lt(before))
        .select((sum(days::loss_of_life_hours), sum(days::covered_hours)))
        .first(conn)?;
    Ok((loss.unwrap_or(0.0), covered.unwrap_or(0.0)))
}

/// The first day stored for a transformer.
pub fn first_day(conn: &mut PgConnection, transformer_id: Uuid) -> StoreResult<Option<NaiveDate>> {
    use diesel::dsl::min;
    Ok(days::table
        .filter(days::transformer_id.eq(transformer_id))
        .select(min(days::day))
        .first(conn)?)
}

/// The latest day stored for a transformer.
pub fn latest_day(conn: &mut PgConnection, transformer_id: Uuid) -> StoreResult<Option<NaiveDate>> {
    use diesel::dsl::max;
    Ok(days::table
        .filter(days::transformer_id.eq(transformer_id))
        .select(max(days::day))
        .first(conn)?)
}

/// What a thermal assessment writes on the transformer row. The failure probabilities are
/// set NULL: no cited hazard model gives them (grid-thermal's health module).
#[derive(Debug, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = transformers, treat_none_as_null = true)]
#[allow(missing_docs)]
pub struct ThermalAssessment {
    pub current_load_mva: f64,
    pub load_percentage: f64,
    pub oil_temperature_celsius: Option<f64>,
    pub winding_temperature_celsius: Option<f64>,
    pub health_score: Option<f64>,
    pub estimated_remaining_life_years: Option<f64>,
    pub relative_risk_index: Option<f64>,
    pub failure_probability_7days: Option<f64>,
    pub failure_probability_30days: Option<f64>,
}

/// Records a thermal assessment on the transformer row.
pub fn record_assessment(
    conn: &mut PgConnection,
    transformer_id: Uuid,
    a: &ThermalAssessment,
) -> StoreResult<()> {
    match diesel::update(transformers::table.find(transformer_id))
        .set(a)
        .execute(conn)?
    {
        0 => Err(StoreError::not_found("transformer", transformer_id)),
        _ => Ok(()),
    }
}

repository! {
    /// Thermal parameters and history, on a pool or a caller's connection.
    pub trait ThermalRepository {
        /// See [`set_parameters`].
        fn set_thermal_parameters(&mut self, p: &NewThermalParameters) -> StoreResult<ThermalParameters> => set_parameters;
        /// See [`all_parameters`].
        fn thermal_parameters(&mut self) -> StoreResult<Vec<ThermalParameters>> => all_parameters;
        /// See [`upsert_day`].
        fn upsert_thermal_day(&mut self, d: &ThermalDay) -> StoreResult<ThermalDay> => upsert_day;
        /// See [`days_between`].
        fn thermal_days(&mut self, transformer_id: Uuid, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<ThermalDay>> => days_between;
    }
}
