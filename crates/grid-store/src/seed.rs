//! The reference models' `seed_initial_data` (see the crate's front page): Nairobi West substation and its three sensors.
//!
//! Idempotent: a second run finds everything in place, inserts nothing and changes nothing
//! (`updated_at` included), because existing rows are left alone rather than rewritten.

use chrono::{TimeZone, Utc};
use diesel::prelude::*;
use grid_model::{GridZone, NewSensor, NewSubstation, SensorDraft, SensorType, SubstationDraft};

use crate::error::StoreResult;
use crate::schema::{grid_sensors, grid_substations};
use crate::sensors::NewSensorRow;
use crate::substations::NewSubstationRow;

/// The code of the seeded substation.
pub const SEED_SUBSTATION_CODE: &str = "NRB-WEST-001";

/// What a seed run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    /// The substation was inserted now (false: it was there).
    pub substation_created: bool,
    /// Sensors inserted now.
    pub sensors_created: usize,
}

/// Seeds the reference's initial data in one transaction.
pub fn seed_initial_data(conn: &mut PgConnection) -> StoreResult<SeedReport> {
    conn.transaction(|c| {
        let mut draft = SubstationDraft::new(
            "Nairobi West Substation",
            SEED_SUBSTATION_CODE,
            GridZone::Nairobi,
            (-1.3031, 36.7833),
            220,
            100.0,
        );
        draft.num_transformers = 2;
        draft.commissioned_date = Some(Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap());
        let substation = NewSubstation::new(draft)?;
        let substation_created = diesel::insert_into(grid_substations::table)
            .values(NewSubstationRow::from(&substation))
            .on_conflict(grid_substations::code)
            .do_nothing()
            .execute(c)?
            == 1;
        let substation_id: uuid::Uuid = grid_substations::table
            .filter(grid_substations::code.eq(SEED_SUBSTATION_CODE))
            .select(grid_substations::id)
            .first(c)?;

        let mut rows = Vec::new();
        for (i, sensor_type) in [
            SensorType::Voltage,
            SensorType::Current,
            SensorType::Frequency,
        ]
        .into_iter()
        .enumerate()
        {
            let mut d = SensorDraft::new(
                substation_id,
                format!("SENSOR-NRB-W-{:03}", i + 1),
                sensor_type,
            );
            d.measurement_unit = Some(
                match sensor_type {
                    SensorType::Voltage => "kV",
                    SensorType::Current => "A",
                    _ => "Hz",
                }
                .into(),
            );
            d.is_critical = true;
            rows.push(NewSensorRow::from(&NewSensor::new(d)?));
        }
        let sensors_created = diesel::insert_into(grid_sensors::table)
            .values(&rows)
            .on_conflict(grid_sensors::sensor_id)
            .do_nothing()
            .execute(c)?;
        Ok(SeedReport {
            substation_created,
            sensors_created,
        })
    })
}
