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

/// splitmix64: a small deterministic generator, so a failure can be replayed.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn value(&mut self) -> f64 {
        // Values with many significant digits, positive and negative.
        (self.next() as f64 / u64::MAX as f64) * 200.0 - 50.0
    }
}
