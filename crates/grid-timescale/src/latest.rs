//! The latest value of every sensor (kept by ingest, or recomputed from the raw readings).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Double, Text, Timestamptz};
use grid_model::GridZone;
use grid_store::enums::DbGridZone;
use uuid::Uuid;

use crate::error::TsResult;

/// Which sensors a latest-value query covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One sensor.
    Sensor(Uuid),
    /// The sensors of a substation.
    Substation(Uuid),
    /// The sensors of a zone.
    Zone(GridZone),
    /// Every sensor.
    Grid,
}

/// The newest reading of a sensor.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct Latest {
    /// The sensor.
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub sensor_id: Uuid,
    /// Its tag.
    #[diesel(sql_type = Text)]
    pub tag: String,
    /// When.
    #[diesel(sql_type = Timestamptz)]
    pub timestamp: DateTime<Utc>,
    /// Calibrated value.
    #[diesel(sql_type = Double)]
    pub value: f64,
    /// Quality.
    #[diesel(sql_type = Double)]
    pub quality: f64,
    /// Outside its operating limits.
    #[diesel(sql_type = Bool)]
    pub is_out_of_range: bool,
}

/// Runs a latest-value query whose `{filter}` selects the scope, binding only what it uses.
fn load_latest(conn: &mut PgConnection, sql: &str, scope: Scope) -> TsResult<Vec<Latest>> {
    let filter = match scope {
        Scope::Sensor(_) => "s.id = $1",
        Scope::Substation(_) => "s.substation_id = $1",
        Scope::Zone(_) => "sub.zone = $1",
        Scope::Grid => "true",
    };
    let q = diesel::sql_query(sql.replace("{filter}", filter)).into_boxed();
    let q = match scope {
        Scope::Sensor(id) | Scope::Substation(id) => q.bind::<diesel::sql_types::Uuid, _>(id),
        Scope::Zone(z) => q.bind::<grid_store::schema::sql_types::GridZone, _>(DbGridZone::from(z)),
        Scope::Grid => q,
    };
    Ok(q.load(conn)?)
}

/// The newest reading of every sensor in scope that has one, by tag: from the latest-value
/// table ingest keeps, so it costs the same at any history length.
pub fn latest(conn: &mut PgConnection, scope: Scope) -> TsResult<Vec<Latest>> {
    load_latest(
        conn,
        "SELECT s.id AS sensor_id, s.sensor_id::text AS tag, l.\"timestamp\", l.value,
                l.quality_indicator AS quality, l.is_out_of_range
           FROM sensor_latest_readings l
           JOIN grid_sensors s ON s.id = l.sensor_id
           JOIN grid_substations sub ON sub.id = s.substation_id
          WHERE {filter}
          ORDER BY s.sensor_id",
        scope,
    )
}

/// The same answer as [`latest`], computed from the raw readings with one `LATERAL` index
/// probe per sensor: the reference the benchmarks compare against, and a consistency check.
pub fn latest_from_raw(conn: &mut PgConnection, scope: Scope) -> TsResult<Vec<Latest>> {
    load_latest(
        conn,
        "SELECT s.id AS sensor_id, s.sensor_id::text AS tag, r.\"timestamp\", r.value,
                r.quality_indicator AS quality, r.is_out_of_range
           FROM grid_sensors s
           JOIN grid_substations sub ON sub.id = s.substation_id
           CROSS JOIN LATERAL (
                SELECT \"timestamp\", value, quality_indicator, is_out_of_range
                  FROM sensor_readings WHERE sensor_id = s.id
                 ORDER BY \"timestamp\" DESC LIMIT 1) r
          WHERE {filter}
          ORDER BY s.sensor_id",
        scope,
    )
}
