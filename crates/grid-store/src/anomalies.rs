//! Anomaly detections.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grid_model::{Anomaly, NewAnomaly};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::DbAlertSeverity;
use crate::error::{StoreError, StoreResult};
use crate::schema::anomaly_detections;
use crate::store::repository;

const ENTITY: &str = "anomaly";

/// A stored anomaly row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = anomaly_detections, check_for_backend(diesel::pg::Pg))]
#[allow(missing_docs)]
pub struct AnomalyRow {
    pub id: Uuid,
    pub sensor_id: Uuid,
    pub anomaly_type: String,
    pub detected_at: DateTime<Utc>,
    pub anomaly_score: f64,
    pub severity: DbAlertSeverity,
    pub expected_value: Option<f64>,
    pub actual_value: Option<f64>,
    pub deviation_percentage: Option<f64>,
    pub contributing_factors: Value,
    pub potential_causes: Vec<Option<String>>,
    pub recommended_actions: Vec<Option<String>>,
    pub is_false_positive: Option<bool>,
    pub investigated: bool,
    pub investigation_notes: Option<String>,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
    pub episode_start: DateTime<Utc>,
    pub episode_end: DateTime<Utc>,
    pub ongoing: bool,
}

impl From<AnomalyRow> for Anomaly {
    fn from(r: AnomalyRow) -> Self {
        Anomaly {
            id: r.id,
            sensor_id: r.sensor_id,
            anomaly_type: r.anomaly_type,
            detected_at: r.detected_at,
            anomaly_score: r.anomaly_score,
            episode_start: r.episode_start,
            episode_end: r.episode_end,
            ongoing: r.ongoing,
            severity: r.severity.into(),
            expected_value: r.expected_value,
            actual_value: r.actual_value,
            deviation_percentage: r.deviation_percentage,
            contributing_factors: r.contributing_factors,
            // CHECKs forbid NULL elements.
            potential_causes: r.potential_causes.into_iter().flatten().collect(),
            recommended_actions: r.recommended_actions.into_iter().flatten().collect(),
            is_false_positive: r.is_false_positive,
            investigated: r.investigated,
            investigation_notes: r.investigation_notes,
            metadata: r.metadata,
            created_at: r.created_at,
        }
    }
}

/// An insertable anomaly row (unchecked; see [`crate::substations::NewSubstationRow`]).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = anomaly_detections)]
#[allow(missing_docs)]
pub struct NewAnomalyRow {
    pub sensor_id: Uuid,
    pub anomaly_type: String,
    pub detected_at: DateTime<Utc>,
    pub anomaly_score: f64,
    pub severity: DbAlertSeverity,
    pub expected_value: Option<f64>,
    pub actual_value: Option<f64>,
    pub deviation_percentage: Option<f64>,
    pub contributing_factors: Value,
    pub potential_causes: Vec<String>,
    pub recommended_actions: Vec<String>,
    pub metadata: Value,
    pub episode_start: DateTime<Utc>,
    pub episode_end: DateTime<Utc>,
    pub ongoing: bool,
}

impl From<&NewAnomaly> for NewAnomalyRow {
    fn from(a: &NewAnomaly) -> Self {
        NewAnomalyRow {
            sensor_id: a.sensor_id,
            anomaly_type: a.anomaly_type.clone(),
            detected_at: a.detected_at,
            anomaly_score: a.anomaly_score,
            severity: a.severity.into(),
            expected_value: a.expected_value,
            actual_value: a.actual_value,
            deviation_percentage: a.deviation_percentage,
            contributing_factors: a.contributing_factors.clone(),
            potential_causes: a.potential_causes.clone(),
            recommended_actions: a.recommended_actions.clone(),
            metadata: a.metadata.clone(),
            episode_start: a.episode_start,
            episode_end: a.episode_end,
            ongoing: a.ongoing,
        }
    }
}

/// Inserts a validated anomaly.
pub fn insert(conn: &mut PgConnection, a: &NewAnomaly) -> StoreResult<Anomaly> {
    insert_row(conn, &NewAnomalyRow::from(a))
}

/// Inserts a row as given: the database's constraints are the only check.
pub fn insert_row(conn: &mut PgConnection, row: &NewAnomalyRow) -> StoreResult<Anomaly> {
    Ok(diesel::insert_into(anomaly_detections::table)
        .values(row)
        .returning(AnomalyRow::as_returning())
        .get_result(conn)?
        .into())
}

/// What changes as an episode goes on and closes: its kind (decided again as evidence comes
/// in), score, severity, end, whether it is open, the worst reading and the detectors.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = anomaly_detections)]
#[allow(missing_docs)]
pub struct EpisodeProgress {
    pub anomaly_type: String,
    pub anomaly_score: f64,
    pub severity: DbAlertSeverity,
    pub episode_end: DateTime<Utc>,
    pub ongoing: bool,
    pub expected_value: Option<f64>,
    pub actual_value: Option<f64>,
    pub deviation_percentage: Option<f64>,
    pub contributing_factors: Value,
    pub potential_causes: Vec<String>,
    pub recommended_actions: Vec<String>,
}

impl From<&NewAnomaly> for EpisodeProgress {
    fn from(a: &NewAnomaly) -> Self {
        EpisodeProgress {
            anomaly_type: a.anomaly_type.clone(),
            anomaly_score: a.anomaly_score,
            severity: a.severity.into(),
            episode_end: a.episode_end,
            ongoing: a.ongoing,
            expected_value: a.expected_value,
            actual_value: a.actual_value,
            deviation_percentage: a.deviation_percentage,
            contributing_factors: a.contributing_factors.clone(),
            potential_causes: a.potential_causes.clone(),
            recommended_actions: a.recommended_actions.clone(),
        }
    }
}

/// Writes an episode's progress onto its row.
pub fn update_episode(conn: &mut PgConnection, id: Uuid, a: &NewAnomaly) -> StoreResult<Anomaly> {
    diesel::update(anomaly_detections::table.find(id))
        .set(EpisodeProgress::from(a))
        .returning(AnomalyRow::as_returning())
        .get_result(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, id))
}

/// Replaces an anomaly's metadata (the caller merges what it keeps).
pub fn set_metadata(conn: &mut PgConnection, id: Uuid, metadata: &Value) -> StoreResult<()> {
    let n = diesel::update(anomaly_detections::table.find(id))
        .set(anomaly_detections::metadata.eq(metadata))
        .execute(conn)?;
    if n == 0 {
        return Err(StoreError::not_found(ENTITY, id));
    }
    Ok(())
}

/// How many episodes still open link alert `alert_id` in their metadata.
pub fn ongoing_linked_to(conn: &mut PgConnection, alert_id: Uuid) -> StoreResult<i64> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    Ok(anomaly_detections::table
        .filter(anomaly_detections::ongoing.eq(true))
        .filter(sql::<Bool>("metadata->>'alert_id' = ").bind::<Text, _>(alert_id.to_string()))
        .count()
        .get_result(conn)?)
}

/// The episode of `sensor_id` that started at `start`, if one is stored (a detection run
/// over history that was repeated finds the row it wrote before).
pub fn find_episode(
    conn: &mut PgConnection,
    sensor_id: Uuid,
    start: DateTime<Utc>,
) -> StoreResult<Option<Anomaly>> {
    Ok(anomaly_detections::table
        .filter(anomaly_detections::sensor_id.eq(sensor_id))
        .filter(anomaly_detections::episode_start.eq(start))
        .select(AnomalyRow::as_select())
        .first(conn)
        .optional()?
        .map(Into::into))
}

/// A sensor's episodes overlapping `[from, to)`, oldest first.
pub fn episodes_between(
    conn: &mut PgConnection,
    sensor_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<Anomaly>> {
    Ok(anomaly_detections::table
        .filter(anomaly_detections::sensor_id.eq(sensor_id))
        .filter(anomaly_detections::episode_start.lt(to))
        .filter(anomaly_detections::episode_end.ge(from))
        .order(anomaly_detections::episode_start.asc())
        .select(AnomalyRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The anomaly with this id.
pub fn get(conn: &mut PgConnection, id: Uuid) -> StoreResult<Anomaly> {
    anomaly_detections::table
        .find(id)
        .select(AnomalyRow::as_select())
        .first(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, id))
}

/// Anomalies nobody has investigated yet: most severe first, then oldest; at most `limit`.
pub fn uninvestigated(conn: &mut PgConnection, limit: i64) -> StoreResult<Vec<Anomaly>> {
    Ok(anomaly_detections::table
        .filter(anomaly_detections::investigated.eq(false))
        .order((
            anomaly_detections::severity.desc(),
            anomaly_detections::detected_at.asc(),
        ))
        .limit(limit)
        .select(AnomalyRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Records the outcome of an investigation.
pub fn mark_investigated(
    conn: &mut PgConnection,
    id: Uuid,
    is_false_positive: bool,
    notes: Option<&str>,
) -> StoreResult<Anomaly> {
    diesel::update(anomaly_detections::table.find(id))
        .set((
            anomaly_detections::investigated.eq(true),
            anomaly_detections::is_false_positive.eq(is_false_positive),
            anomaly_detections::investigation_notes.eq(notes),
        ))
        .returning(AnomalyRow::as_returning())
        .get_result(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, id))
}

repository! {
    /// Anomaly detections, on a pool or a caller's connection.
    pub trait AnomalyRepository {
        /// See [`insert`].
        fn insert_anomaly(&mut self, a: &NewAnomaly) -> StoreResult<Anomaly> => insert;
        /// See [`get`].
        fn anomaly(&mut self, id: Uuid) -> StoreResult<Anomaly> => get;
        /// See [`uninvestigated`].
        fn uninvestigated_anomalies(&mut self, limit: i64) -> StoreResult<Vec<Anomaly>> => uninvestigated;
        /// See [`mark_investigated`].
        fn mark_anomaly_investigated(&mut self, id: Uuid, is_false_positive: bool, notes: Option<&str>) -> StoreResult<Anomaly> => mark_investigated;
    }
}
