#![doc = include_str!("../README.md")]

pub mod modbus;

use chrono::{DateTime, TimeZone, Utc};
use diesel::PgConnection;
use grid_model::{
    GridZone, NewSensor, NewSubstation, Sensor, SensorDraft, SensorType, Substation,
    SubstationDraft,
};
use grid_store::{SensorRepository, SubstationRepository};
use grid_testdb::Template;

/// A database with every migration of the store applied.
pub const MIGRATED: Template = Template {
    name: "migrated",
    setup: |conn| {
        grid_store::migrations::run_pending(conn)?;
        Ok(())
    },
};

/// [`MIGRATED`] plus grid-timescale's setup with the default configuration.
pub const READY: Template = Template {
    name: "ready",
    setup: |conn| {
        grid_store::migrations::run_pending(conn)?;
        grid_timescale::setup(conn, &grid_timescale::TimescaleConfig::default())?;
        Ok(())
    },
};

/// An instant in UTC, to the minute.
pub fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("a valid UTC instant")
}

/// A stored substation `code` in `zone` at `kv`, serving 10,000 customers.
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
    conn.insert_substation(&NewSubstation::new(d).expect("a valid substation"))
        .expect("substation stored")
}

/// A stored sensor `tag` of `kind` in substation `s`.
pub fn sensor(conn: &mut PgConnection, s: &Substation, tag: &str, kind: SensorType) -> Sensor {
    sensor_with(conn, SensorDraft::new(s.id, tag, kind))
}

/// A stored sensor from a draft.
pub fn sensor_with(conn: &mut PgConnection, draft: SensorDraft) -> Sensor {
    conn.insert_sensor(&NewSensor::new(draft).expect("a valid sensor"))
        .expect("sensor stored")
}

/// splitmix64: a small deterministic generator, so a failure can be replayed.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A value with many significant digits in −50…150.
    pub fn value(&mut self) -> f64 {
        (self.next_u64() as f64 / u64::MAX as f64) * 200.0 - 50.0
    }
}
