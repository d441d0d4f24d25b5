//! Shared by grid-timescale's tests.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use diesel::PgConnection;
use grid_model::*;
use grid_store::{SensorRepository, SubstationRepository};
use grid_testdb::{Template, TestDb};
use grid_timescale::TimescaleConfig;

/// The store's migrations only.
pub const MIGRATED: Template = Template {
    name: "migrated",
    setup: |conn| {
        grid_store::migrations::run_pending(conn)?;
        Ok(())
    },
};

/// Migrations plus grid-timescale's setup with the default configuration.
pub const READY: Template = Template {
    name: "ready",
    setup: |conn| {
        grid_store::migrations::run_pending(conn)?;
        grid_timescale::setup(conn, &TimescaleConfig::default())?;
        Ok(())
    },
};

pub fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

pub fn ready() -> TestDb {
    TestDb::new(&READY)
}

pub fn substation(conn: &mut PgConnection, code: &str, zone: GridZone, kv: i32) -> Substation {
    let mut d = SubstationDraft::new(
        format!("{code} Substation"),
        code,
        zone,
        (-1.28, 36.82),
        kv,
        90.0,
    );
    d.customers_served = 10_000;
    conn.insert_substation(&NewSubstation::new(d).unwrap())
        .unwrap()
}

pub fn sensor(conn: &mut PgConnection, s: &Substation, tag: &str, kind: SensorType) -> Sensor {
    conn.insert_sensor(&NewSensor::new(SensorDraft::new(s.id, tag, kind)).unwrap())
        .unwrap()
}

pub fn sensor_with(conn: &mut PgConnection, draft: SensorDraft) -> Sensor {
    conn.insert_sensor(&NewSensor::new(draft).unwrap()).unwrap()
}
