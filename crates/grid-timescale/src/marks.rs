//! What anomaly detection over stored history reads and writes on the readings: the values
//! in time order, and the anomalous readings' flags and scores (only those: a day's
//! detection rewrites a few rows, not the day).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Double, Timestamptz};
use grid_store::schema::sensor_readings;
use uuid::Uuid;

/// One stored reading, as detection reads it.
pub type StoredValue = (Uuid, DateTime<Utc>, f64);

/// The readings of `sensor_ids` in `[from, until)`, ordered by sensor and time.
pub fn readings_between(
    conn: &mut PgConnection,
    sensor_ids: &[Uuid],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> QueryResult<Vec<StoredValue>> {
    sensor_readings::table
        .filter(sensor_readings::sensor_id.eq_any(sensor_ids))
        .filter(sensor_readings::timestamp.ge(from))
        .filter(sensor_readings::timestamp.lt(until))
        .order((sensor_readings::sensor_id, sensor_readings::timestamp))
        .select((
            sensor_readings::sensor_id,
            sensor_readings::timestamp,
            sensor_readings::value,
        ))
        .load(conn)
}

/// Marks `sensor_id`'s readings at `marks` (time, score) anomalous with their scores, and the
/// sensor's latest value when it is one of them. Returns the readings updated.
pub fn mark_anomalous(
    conn: &mut PgConnection,
    sensor_id: Uuid,
    marks: &[(DateTime<Utc>, f64)],
) -> QueryResult<usize> {
    if marks.is_empty() {
        return Ok(0);
    }
    let (times, scores): (Vec<DateTime<Utc>>, Vec<f64>) = marks.iter().copied().unzip();
    let n = diesel::sql_query(include_str!("marks.sql"))
        .bind::<diesel::sql_types::Uuid, _>(sensor_id)
        .bind::<Array<Timestamptz>, _>(&times)
        .bind::<Array<Double>, _>(&scores)
        .execute(conn)?;
    // The latest-value table (made by setup, so not declared to Diesel).
    diesel::sql_query(
        "UPDATE sensor_latest_readings SET is_anomaly = true
          WHERE sensor_id = $1 AND \"timestamp\" = ANY($2)",
    )
    .bind::<diesel::sql_types::Uuid, _>(sensor_id)
    .bind::<Array<Timestamptz>, _>(&times)
    .execute(conn)?;
    Ok(n)
}
