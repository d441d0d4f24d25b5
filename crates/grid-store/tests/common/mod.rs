//! Shared by the store's integration tests: the migrated template and small fixtures.
#![allow(dead_code, unused_imports)]

use diesel::prelude::*;
use grid_model::*;
use grid_store::{SensorRepository, SubstationRepository, TransformerRepository};
use grid_testdb::TestDb;
pub use grid_testkit::{MIGRATED, t};

pub fn db() -> TestDb {
    TestDb::new(&MIGRATED)
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
