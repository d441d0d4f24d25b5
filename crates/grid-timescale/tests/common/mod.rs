//! Shared by grid-timescale's tests.
#![allow(dead_code, unused_imports)]

use grid_testdb::TestDb;

pub use grid_testkit::{MIGRATED, READY, Rng, sensor, sensor_with, substation, t};

pub fn ready() -> TestDb {
    TestDb::new(&READY)
}
