//! The anomaly detectors' persisted state: one row per sensor, one per substation phase set.
//! The state itself is the detector's own compact serialisation (bytes, at most 64 KiB by
//! CHECK); this crate only stores it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use uuid::Uuid;

use crate::error::StoreResult;
use crate::schema::{anomaly_imbalance_states, anomaly_sensor_states};

/// A sensor detector's stored state.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = anomaly_sensor_states, check_for_backend(diesel::pg::Pg))]
pub struct SensorStateRow {
    /// The sensor.
    pub sensor_id: Uuid,
    /// The last reading the detector took.
    pub last_reading_at: DateTime<Utc>,
    /// The row of the episode open at that reading, if any.
    pub open_anomaly_id: Option<Uuid>,
    /// The serialised detector.
    pub state: Vec<u8>,
}

/// An imbalance detector's stored state.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = anomaly_imbalance_states, check_for_backend(diesel::pg::Pg))]
pub struct ImbalanceStateRow {
    /// The substation.
    pub substation_id: Uuid,
    /// The phase set (`all` where the sensors name no phase).
    pub phase_set: String,
    /// The last group the detector took.
    pub last_group_at: DateTime<Utc>,
    /// The row of the episode open then, if any.
    pub open_anomaly_id: Option<Uuid>,
    /// The serialised detector.
    pub state: Vec<u8>,
}

/// The stored states of `sensor_ids` (those that have one).
pub fn sensor_states(
    conn: &mut PgConnection,
    sensor_ids: &[Uuid],
) -> StoreResult<Vec<SensorStateRow>> {
    Ok(anomaly_sensor_states::table
        .filter(anomaly_sensor_states::sensor_id.eq_any(sensor_ids))
        .select(SensorStateRow::as_select())
        .load(conn)?)
}

/// Stores `rows`, replacing what each sensor had.
pub fn save_sensor_states(conn: &mut PgConnection, rows: &[SensorStateRow]) -> StoreResult<usize> {
    Ok(diesel::insert_into(anomaly_sensor_states::table)
        .values(rows)
        .on_conflict(anomaly_sensor_states::sensor_id)
        .do_update()
        .set((
            anomaly_sensor_states::last_reading_at
                .eq(excluded(anomaly_sensor_states::last_reading_at)),
            anomaly_sensor_states::open_anomaly_id
                .eq(excluded(anomaly_sensor_states::open_anomaly_id)),
            anomaly_sensor_states::state.eq(excluded(anomaly_sensor_states::state)),
            anomaly_sensor_states::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?)
}

/// The stored imbalance states of `substation_id`'s phase sets.
pub fn imbalance_states(
    conn: &mut PgConnection,
    substation_id: Uuid,
) -> StoreResult<Vec<ImbalanceStateRow>> {
    Ok(anomaly_imbalance_states::table
        .filter(anomaly_imbalance_states::substation_id.eq(substation_id))
        .select(ImbalanceStateRow::as_select())
        .load(conn)?)
}

/// Stores `rows`, replacing what each phase set had.
pub fn save_imbalance_states(
    conn: &mut PgConnection,
    rows: &[ImbalanceStateRow],
) -> StoreResult<usize> {
    Ok(diesel::insert_into(anomaly_imbalance_states::table)
        .values(rows)
        .on_conflict((
            anomaly_imbalance_states::substation_id,
            anomaly_imbalance_states::phase_set,
        ))
        .do_update()
        .set((
            anomaly_imbalance_states::last_group_at
                .eq(excluded(anomaly_imbalance_states::last_group_at)),
            anomaly_imbalance_states::open_anomaly_id
                .eq(excluded(anomaly_imbalance_states::open_anomaly_id)),
            anomaly_imbalance_states::state.eq(excluded(anomaly_imbalance_states::state)),
            anomaly_imbalance_states::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?)
}

/// The oldest last reading any stored sensor state took (where catching up must begin).
pub fn oldest_sensor_state(conn: &mut PgConnection) -> StoreResult<Option<DateTime<Utc>>> {
    use diesel::dsl::min;
    Ok(anomaly_sensor_states::table
        .select(min(anomaly_sensor_states::last_reading_at))
        .first(conn)?)
}

/// Forgets every stored detector state (detection then learns again from the next reading).
pub fn delete_all(conn: &mut PgConnection) -> StoreResult<usize> {
    Ok(diesel::delete(anomaly_sensor_states::table).execute(conn)?
        + diesel::delete(anomaly_imbalance_states::table).execute(conn)?)
}
