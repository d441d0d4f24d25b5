//! Shared by the store's integration tests: the migrated template and small fixtures.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use grid_model::*;
use grid_store::{SensorRepository, SubstationRepository, TransformerRepository};
use grid_testdb::{Template, TestDb};

/// A database with every migration applied.
pub const MIGRATED: Template = Template {
    name: "migrated",
    setup: |conn| {
        grid_store::migrations::run_pending(conn)?;
        Ok(())
    },
};

pub fn db() -> TestDb {
    TestDb::new(&MIGRATED)
}

pub fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

pub fn substation_draft(code: &str, zone: GridZone) -> SubstationDraft {
    let mut d = SubstationDraft::new(
        format!("{code} Substation"),
        code,
        zone,
        (-1.28, 36.82),
        132,
        90.0,
    );
    d.customers_served = 25_000;
    d
}

pub fn add_substation(conn: &mut PgConnection, code: &str, zone: GridZone) -> Substation {
    conn.insert_substation(&NewSubstation::new(substation_draft(code, zone)).unwrap())
        .unwrap()
}

pub fn add_transformer(
    conn: &mut PgConnection,
    substation: &Substation,
    name: &str,
) -> Transformer {
    let d = TransformerDraft::new(substation.id, name, 45.0, 132.0, 33.0);
    conn.insert_transformer(&NewTransformer::new(d).unwrap())
        .unwrap()
}

pub fn add_sensor(
    conn: &mut PgConnection,
    substation: &Substation,
    tag: &str,
    kind: SensorType,
) -> Sensor {
    let d = SensorDraft::new(substation.id, tag, kind);
    conn.insert_sensor(&NewSensor::new(d).unwrap()).unwrap()
}
