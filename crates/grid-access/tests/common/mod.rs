//! What the access tests share: a database with the roles applied, a small grid in two
//! zones, and readings ingested.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use grid_access::{Role, RoleNames};
use grid_model::{GridZone, Sensor, SensorType, Substation};
use grid_testdb::{Login, Template, TestDb};
use grid_testkit::{sensor, substation, t};
use grid_timescale::OperatingLimits;
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, TimePolicy};

/// Migrations, setup and the roles with their grants.
pub const ACCESS: Template = Template {
    name: "access",
    setup: |conn| {
        grid_store::migrations::run_pending(conn)?;
        grid_timescale::setup(conn, &grid_timescale::TimescaleConfig::default())?;
        let report = grid_access::apply(conn, &RoleNames::default())?;
        anyhow::ensure!(report.unlisted.is_empty(), "{:?}", report.unlisted);
        Ok(())
    },
};

/// The default name of `role`.
pub fn role(role: Role) -> String {
    RoleNames::default().of(role)
}

/// A login that is a member of `role`.
pub fn login(db: &TestDb, r: Role) -> Login {
    db.login(&[role(r)])
}

/// A regional login for `zones`.
pub fn regional(db: &TestDb, zones: &[GridZone]) -> Login {
    let names = RoleNames::default();
    let mut groups = vec![names.of(Role::Regional)];
    groups.extend(zones.iter().map(|z| names.zone(*z)));
    db.login(&groups)
}

/// A substation and two sensors in Nairobi and in Mombasa.
pub struct Grid {
    pub nairobi: Substation,
    pub mombasa: Substation,
    pub nairobi_sensors: Vec<Sensor>,
    pub mombasa_sensors: Vec<Sensor>,
}

pub fn grid(conn: &mut PgConnection) -> Grid {
    let nairobi = substation(conn, "NBI-ACC", GridZone::Nairobi, 66);
    let mombasa = substation(conn, "MSA-ACC", GridZone::Mombasa, 66);
    let nairobi_sensors = vec![
        sensor(conn, &nairobi, "NBI-ACC-LOAD", SensorType::Load),
        sensor(conn, &nairobi, "NBI-ACC-T", SensorType::Temperature),
    ];
    let mombasa_sensors = vec![
        sensor(conn, &mombasa, "MSA-ACC-LOAD", SensorType::Load),
        sensor(conn, &mombasa, "MSA-ACC-T", SensorType::Temperature),
    ];
    Grid {
        nairobi,
        mombasa,
        nairobi_sensors,
        mombasa_sensors,
    }
}

impl Grid {
    pub fn sensors(&self) -> impl Iterator<Item = &Sensor> {
        self.nairobi_sensors.iter().chain(&self.mombasa_sensors)
    }
}

/// The first day of readings (two days, one reading a minute per sensor).
pub fn day_one() -> DateTime<Utc> {
    t(2026, 11, 20, 0, 0)
}

/// Readings of every sensor of `grid`, one a minute over `[from, from + minutes)`.
pub fn readings(grid: &Grid, from: DateTime<Utc>, minutes: i64) -> Vec<Reading> {
    let mut v = Vec::new();
    for s in grid.sensors() {
        for m in 0..minutes {
            let value = if s.sensor_type == SensorType::Load {
                20.0
            } else {
                45.0
            };
            v.push(Reading::new(
                s.id,
                from + Duration::minutes(m),
                value + (m % 7) as f64,
            ));
        }
    }
    v
}

/// Ingests `readings` on `conn` with default limits and options; returns how many were stored.
pub fn ingest(conn: &mut PgConnection, readings: Vec<Reading>) -> u64 {
    let options = IngestOptions {
        time_policy: TimePolicy::replay(),
        ..IngestOptions::default()
    };
    let mut ingester = Ingester::new(conn, OperatingLimits::default(), options).unwrap();
    let report = ingester.ingest_batch(conn, readings).unwrap();
    assert_eq!(report.rejected, 0, "{report:?}");
    report.inserted
}

/// The SQLSTATE `sql` ends with on `conn` ("00000" when it succeeds), rolled back either
/// way. A DO block (no TEMP privilege needed, which the reader lacks) runs it and re-raises
/// with the SQLSTATE in the message, since Diesel does not expose it.
pub fn sqlstate(conn: &mut PgConnection, sql: &str) -> String {
    use diesel::connection::SimpleConnection;
    assert!(!sql.contains("$gs$"));
    let block = format!(
        "DO $gs$ DECLARE st text := '00000'; BEGIN
             BEGIN EXECUTE $q${sql}$q$; EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
             RAISE EXCEPTION 'SQLSTATE=%', st;
         END $gs$"
    );
    let err = conn
        .batch_execute(&block)
        .expect_err("the block always raises");
    let text = err.to_string();
    text.split("SQLSTATE=")
        .nth(1)
        .map(|s| s.chars().take(5).collect())
        .unwrap_or_else(|| panic!("no SQLSTATE in {text:?}"))
}

/// Asserts that `sql` is refused on `conn` for lack of privilege (SQLSTATE 42501).
pub fn assert_refused(conn: &mut PgConnection, sql: &str) {
    assert_eq!(sqlstate(conn, sql), "42501", "expected a refusal of {sql}");
}
