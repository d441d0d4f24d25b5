//! The store's one error policy.
//!
//! - Functions that can fail only inside Diesel return [`diesel::QueryResult`]; everything
//!   else returns [`StoreResult`], whose [`StoreError`] a caller can act on:
//!   - [`StoreError::NotFound`]: the row asked for does not exist;
//!   - [`StoreError::Conflict`]: a unique key is taken, or a concurrent change won (retrying
//!     the same request will not help; re-read and decide);
//!   - [`StoreError::Invalid`]: bad input, naming every offending field — whether grid-model's
//!     validation caught it or a database CHECK, NOT NULL or foreign key did (mapped back to
//!     the field through [`CHECK_CONSTRAINTS`] and the error's column);
//!   - [`StoreError::Transition`]: the alert lifecycle forbids the step;
//!   - [`StoreError::Unavailable`]: no connection (pool exhausted, server down): retry later;
//!   - [`StoreError::Database`]: anything else, a bug to report.
//! - Bad input never panics, and a failed call writes nothing (multi-statement operations run
//!   in one transaction, nested as a savepoint inside the caller's).
//! - `anyhow` is for examples, tools and tests only.

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};
use grid_model::{FieldError, TransitionError, ValidationErrors};

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// What went wrong in a store operation (see the module docs for the policy).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist.
    #[error("{entity} {key} not found")]
    NotFound {
        /// The entity, e.g. `substation`.
        entity: &'static str,
        /// How it was looked up.
        key: String,
    },
    /// A unique key is taken, or a concurrent change came first.
    #[error("conflict on {entity}: {reason}")]
    Conflict {
        /// The entity.
        entity: &'static str,
        /// What conflicted.
        reason: String,
    },
    /// Bad input: every offending field with its reason.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// The alert lifecycle does not allow this step.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// No database connection could be had.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(DieselError),
}

impl StoreError {
    /// The offending field names, when this is [`StoreError::Invalid`].
    pub fn invalid_fields(&self) -> Vec<&'static str> {
        match self {
            StoreError::Invalid(v) => v.fields(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn not_found(entity: &'static str, key: impl std::fmt::Display) -> Self {
        StoreError::NotFound {
            entity,
            key: key.to_string(),
        }
    }
}

/// Every CHECK constraint of the schema: `(constraint, table, field)`. A violation is
/// reported as [`StoreError::Invalid`] naming the field; a test keeps this list equal to
/// `pg_constraint`.
pub const CHECK_CONSTRAINTS: &[(&str, &str, &str)] = &[
    (
        "ck_grid_substations_latitude",
        "grid_substations",
        "latitude",
    ),
    (
        "ck_grid_substations_longitude",
        "grid_substations",
        "longitude",
    ),
    (
        "ck_grid_substations_voltage_level_kv",
        "grid_substations",
        "voltage_level_kv",
    ),
    (
        "ck_grid_substations_capacity_mva",
        "grid_substations",
        "capacity_mva",
    ),
    (
        "ck_grid_substations_num_transformers",
        "grid_substations",
        "num_transformers",
    ),
    (
        "ck_grid_substations_num_feeders",
        "grid_substations",
        "num_feeders",
    ),
    (
        "ck_grid_substations_customers_served",
        "grid_substations",
        "customers_served",
    ),
    ("check_capacity_positive", "transformers", "capacity_mva"),
    ("check_load_percentage", "transformers", "load_percentage"),
    (
        "ck_transformers_voltage_primary_kv",
        "transformers",
        "voltage_primary_kv",
    ),
    (
        "ck_transformers_voltage_secondary_kv",
        "transformers",
        "voltage_secondary_kv",
    ),
    (
        "ck_transformers_current_load_mva",
        "transformers",
        "current_load_mva",
    ),
    (
        "ck_transformers_oil_level_percentage",
        "transformers",
        "oil_level_percentage",
    ),
    (
        "ck_transformers_health_score",
        "transformers",
        "health_score",
    ),
    (
        "ck_transformers_estimated_remaining_life_years",
        "transformers",
        "estimated_remaining_life_years",
    ),
    (
        "ck_transformers_failure_probability_7days",
        "transformers",
        "failure_probability_7days",
    ),
    (
        "ck_transformers_failure_probability_30days",
        "transformers",
        "failure_probability_30days",
    ),
    (
        "ck_grid_sensors_sampling_rate_hz",
        "grid_sensors",
        "sampling_rate_hz",
    ),
    (
        "ck_grid_sensors_precision_decimals",
        "grid_sensors",
        "precision_decimals",
    ),
    (
        "ck_grid_sensors_calibration_scale",
        "grid_sensors",
        "calibration_scale",
    ),
    ("ck_grid_sensors_port", "grid_sensors", "port"),
    ("ck_sensor_readings_value", "sensor_readings", "value"),
    (
        "ck_sensor_readings_value_raw",
        "sensor_readings",
        "value_raw",
    ),
    (
        "ck_sensor_readings_quality_indicator",
        "sensor_readings",
        "quality_indicator",
    ),
    (
        "ck_grid_alerts_affected_customers",
        "grid_alerts",
        "affected_customers",
    ),
    (
        "ck_grid_alerts_estimated_revenue_loss",
        "grid_alerts",
        "estimated_revenue_loss",
    ),
    (
        "ck_grid_alerts_acknowledged_at",
        "grid_alerts",
        "acknowledged_at",
    ),
    ("ck_grid_alerts_resolved_at", "grid_alerts", "resolved_at"),
    (
        "ck_maintenance_records_status",
        "maintenance_records",
        "status",
    ),
    (
        "ck_maintenance_records_team_size",
        "maintenance_records",
        "team_size",
    ),
    (
        "ck_maintenance_records_duration_hours",
        "maintenance_records",
        "duration_hours",
    ),
    (
        "ck_maintenance_records_downtime_hours",
        "maintenance_records",
        "downtime_hours",
    ),
    (
        "ck_maintenance_records_labor_cost",
        "maintenance_records",
        "labor_cost",
    ),
    (
        "ck_maintenance_records_parts_cost",
        "maintenance_records",
        "parts_cost",
    ),
    (
        "ck_maintenance_records_total_cost",
        "maintenance_records",
        "total_cost",
    ),
    (
        "ck_maintenance_records_completed_at",
        "maintenance_records",
        "completed_at",
    ),
    (
        "ck_maintenance_records_parts_replaced",
        "maintenance_records",
        "parts_replaced",
    ),
    (
        "ck_load_forecasts_predicted_load_mw",
        "load_forecasts",
        "predicted_load_mw",
    ),
    (
        "ck_load_forecasts_confidence_percentage",
        "load_forecasts",
        "confidence_percentage",
    ),
    (
        "ck_load_forecasts_confidence_interval_lower",
        "load_forecasts",
        "confidence_interval_lower",
    ),
    (
        "ck_load_forecasts_confidence_interval_upper",
        "load_forecasts",
        "confidence_interval_upper",
    ),
    (
        "ck_load_forecasts_prediction_error_mape",
        "load_forecasts",
        "prediction_error_mape",
    ),
    (
        "ck_load_forecasts_actual_load_mw",
        "load_forecasts",
        "actual_load_mw",
    ),
    (
        "ck_anomaly_detections_anomaly_score",
        "anomaly_detections",
        "anomaly_score",
    ),
    (
        "ck_anomaly_detections_potential_causes",
        "anomaly_detections",
        "potential_causes",
    ),
    (
        "ck_anomaly_detections_recommended_actions",
        "anomaly_detections",
        "recommended_actions",
    ),
    (
        "ck_daily_grid_statistics_peak_load_mw",
        "daily_grid_statistics",
        "peak_load_mw",
    ),
    (
        "ck_daily_grid_statistics_average_load_mw",
        "daily_grid_statistics",
        "average_load_mw",
    ),
    (
        "ck_daily_grid_statistics_min_load_mw",
        "daily_grid_statistics",
        "min_load_mw",
    ),
    (
        "ck_daily_grid_statistics_total_energy_mwh",
        "daily_grid_statistics",
        "total_energy_mwh",
    ),
    (
        "ck_daily_grid_statistics_voltage_violations_count",
        "daily_grid_statistics",
        "voltage_violations_count",
    ),
    (
        "ck_daily_grid_statistics_frequency_violations_count",
        "daily_grid_statistics",
        "frequency_violations_count",
    ),
    (
        "ck_daily_grid_statistics_total_outages",
        "daily_grid_statistics",
        "total_outages",
    ),
    (
        "ck_daily_grid_statistics_total_outage_minutes",
        "daily_grid_statistics",
        "total_outage_minutes",
    ),
    (
        "ck_daily_grid_statistics_saidi",
        "daily_grid_statistics",
        "saidi",
    ),
    (
        "ck_daily_grid_statistics_saifi",
        "daily_grid_statistics",
        "saifi",
    ),
    (
        "ck_daily_grid_statistics_total_alerts",
        "daily_grid_statistics",
        "total_alerts",
    ),
    (
        "ck_daily_grid_statistics_critical_alerts",
        "daily_grid_statistics",
        "critical_alerts",
    ),
    (
        "ck_daily_grid_statistics_alerts_resolved",
        "daily_grid_statistics",
        "alerts_resolved",
    ),
    (
        "ck_daily_grid_statistics_scheduled_maintenance_hours",
        "daily_grid_statistics",
        "scheduled_maintenance_hours",
    ),
    (
        "ck_daily_grid_statistics_unscheduled_maintenance_hours",
        "daily_grid_statistics",
        "unscheduled_maintenance_hours",
    ),
];

/// The entity a table stores, as errors name it.
pub fn entity_of(table: &str) -> &'static str {
    match table {
        "grid_substations" => "substation",
        "transformers" => "transformer",
        "grid_sensors" => "sensor",
        "sensor_readings" => "sensor reading",
        "grid_alerts" => "alert",
        "alert_transitions" => "alert transition",
        "maintenance_records" => "maintenance record",
        "load_forecasts" => "load forecast",
        "anomaly_detections" => "anomaly",
        "cyber_security_events" => "security event",
        "daily_grid_statistics" => "daily statistics",
        _ => "row",
    }
}

fn invalid(entity: &'static str, field: &'static str, reason: String) -> StoreError {
    StoreError::Invalid(ValidationErrors {
        entity,
        errors: vec![FieldError { field, reason }],
    })
}

/// Column names are not `'static` in Diesel's error, but field names are. Each distinct
/// column name is interned once, so memory stays bounded by the schema's columns.
fn static_field(column: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(name) = names.get(column) {
        return name;
    }
    let name: &'static str = Box::leak(column.to_owned().into_boxed_str());
    names.insert(name);
    name
}

fn map_database_error(
    kind: DatabaseErrorKind,
    info: &dyn DatabaseErrorInformation,
) -> Option<StoreError> {
    let table = info.table_name().unwrap_or_default();
    let entity = entity_of(table);
    let constraint = info.constraint_name().unwrap_or_default();
    Some(match kind {
        DatabaseErrorKind::CheckViolation => {
            let (_, table, field) = CHECK_CONSTRAINTS
                .iter()
                .find(|(name, _, _)| *name == constraint)?;
            invalid(
                entity_of(table),
                field,
                format!("violates {constraint}: {}", info.message()),
            )
        }
        DatabaseErrorKind::NotNullViolation => {
            let column = info.column_name().unwrap_or("?");
            invalid(entity, static_field(column), "must not be null".into())
        }
        DatabaseErrorKind::ForeignKeyViolation => {
            // Our foreign keys keep PostgreSQL's default name: <table>_<column>_fkey.
            let column = constraint
                .strip_prefix(table)
                .and_then(|c| c.strip_prefix('_'))
                .and_then(|c| c.strip_suffix("_fkey"))
                .unwrap_or(constraint);
            invalid(
                entity,
                static_field(column),
                format!("refers to a row that does not exist ({})", info.message()),
            )
        }
        DatabaseErrorKind::UniqueViolation => StoreError::Conflict {
            entity,
            reason: format!(
                "{constraint} is already taken: {}",
                info.details().unwrap_or(info.message())
            ),
        },
        DatabaseErrorKind::SerializationFailure => StoreError::Conflict {
            entity,
            reason: format!("concurrent change: {}", info.message()),
        },
        DatabaseErrorKind::ClosedConnection => StoreError::Unavailable(info.message().to_owned()),
        _ => return None,
    })
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::DatabaseError(kind, info) => {
                map_database_error(*kind, info.as_ref()).unwrap_or(StoreError::Database(e))
            }
            DieselError::NotFound => StoreError::NotFound {
                entity: "row",
                key: "?".into(),
            },
            DieselError::BrokenTransactionManager => {
                StoreError::Unavailable("the connection's transaction state is broken".into())
            }
            _ => StoreError::Database(e),
        }
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}
