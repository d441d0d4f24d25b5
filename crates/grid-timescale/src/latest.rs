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
///
/// ```
/// # fn main() -> anyhow::Result<()> {
/// # let db = grid_testdb::TestDb::new(&grid_testkit::READY);
/// # let conn = &mut db.conn();
/// # let s = grid_testkit::substation(conn, "DOC-L", grid_model::GridZone::Mombasa, 33);
/// # let load = grid_testkit::sensor(conn, &s, "DOC-L-LOAD", grid_model::SensorType::Load);
/// # let mut ingester = grid_timescale::ingest::Ingester::new(conn, Default::default(), Default::default())?;
/// # ingester.ingest_batch(conn, [grid_timescale::ingest::Reading::new(load.id, chrono::Utc::now(), 17.0)])?;
/// use grid_model::GridZone;
/// use grid_timescale::query::{Scope, latest};
///
/// let rows = latest(conn, Scope::Zone(GridZone::Mombasa))?;
/// assert_eq!(rows.len(), 1);
/// assert_eq!((rows[0].tag.as_str(), rows[0].value), ("DOC-L-LOAD", 17.0));
/// # Ok(()) }
/// ```
pub fn latest(conn: &mut PgConnection, scope: Scope) -> TsResult<Vec<Latest>> {
    load_latest(conn, include_str!("latest.sql"), scope)
}

/// The same answer as [`latest`], computed from the raw readings with one `LATERAL` index
/// probe per sensor: the reference the benchmarks compare against, and a consistency check.
pub fn latest_from_raw(conn: &mut PgConnection, scope: Scope) -> TsResult<Vec<Latest>> {
    load_latest(conn, include_str!("latest_from_raw.sql"), scope)
}
