//! The latest value of every sensor (kept by ingest, or recomputed from the raw readings).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Double, Text, Timestamptz};
use grid_store::enums::DbGridZone;
use uuid::Uuid;

use crate::error::TsResult;
use crate::scope::Scope;

/// The newest reading of a sensor.
#[derive(Debug, Clone, PartialEq, QueryableByName, serde::Serialize)]
pub struct Latest {
    /// The sensor.
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub sensor_id: Uuid,
    /// Its tag.
    #[diesel(sql_type = Text)]
    pub tag: String,
    /// When it was measured.
    #[diesel(sql_type = Timestamptz)]
    pub timestamp: DateTime<Utc>,
    /// Calibrated value.
    #[diesel(sql_type = Double)]
    pub value: f64,
    /// Quality, 0–1.
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
    load_latest(conn, include_str!("latest.sql"), scope)
}

/// The same answer as [`latest`], computed from the raw readings with one `LATERAL` index
/// probe per sensor: the reference the benchmarks compare against, and a consistency check.
pub fn latest_from_raw(conn: &mut PgConnection, scope: Scope) -> TsResult<Vec<Latest>> {
    load_latest(conn, include_str!("latest_from_raw.sql"), scope)
}
