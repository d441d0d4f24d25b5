//! What the [`Ingester`](super::Ingester)'s sensor cache was loaded from, cheaply compared:
//! a long-lived caller (a service ingesting batch by batch) reloads the sensor table only
//! when it changed instead of before every batch.

use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, max};
use diesel::prelude::*;
use grid_store::schema::{grid_sensors, grid_substations};

use crate::error::TsResult;

/// Sensors (how many, the latest change), substations (their latest change: the voltage level
/// sets a voltage sensor's band) and the retention horizon. `updated_at` is kept by trigger on
/// every change but a sensor's `last_reading_at`; a deleted sensor changes the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensorStamp {
    sensors: i64,
    sensor_change: Option<DateTime<Utc>>,
    substation_change: Option<DateTime<Utc>>,
    /// The retention horizon read with it (the loader takes it from here).
    pub(super) horizon: Option<DateTime<Utc>>,
}

impl SensorStamp {
    /// The stamp now.
    pub fn read(conn: &mut PgConnection) -> TsResult<SensorStamp> {
        let (sensors, sensor_change) = grid_sensors::table
            .select((count_star(), max(grid_sensors::updated_at)))
            .first(conn)?;
        let substation_change = grid_substations::table
            .select(max(grid_substations::updated_at))
            .first(conn)?;
        Ok(SensorStamp {
            sensors,
            sensor_change,
            substation_change,
            horizon: crate::ledger::horizon(conn)?,
        })
    }
}
