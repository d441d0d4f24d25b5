//! The alarm KPIs of an operator area (a zone) over a local day, from the stored alerts:
//! the limit alarms (those with `metadata.alarm`) and the area's flood alerts.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid};
use grid_alarms::{AlarmKpis, AlarmRecord, kpis};
use grid_model::{AlertKind, GridZone};
use uuid::Uuid;

use crate::error::AlarmResult;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    sensor_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    alert_type: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    resolved_at: Option<DateTime<Utc>>,
}

/// The KPIs of `zone` over `[from, to)`.
pub fn zone_kpis(
    conn: &mut PgConnection,
    zone: GridZone,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> AlarmResult<AlarmKpis> {
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT a.sensor_id, a.alert_type::text AS alert_type, a.created_at, a.resolved_at
           FROM grid_alerts a JOIN grid_substations s ON s.id = a.substation_id
          WHERE s.zone::text = $1 AND a.created_at < $3
            AND (a.resolved_at IS NULL OR a.resolved_at >= $2)
            AND (a.metadata ? 'alarm' OR a.alert_type = $4)",
    )
    .bind::<Text, _>(zone.as_str())
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .bind::<Text, _>(AlertKind::AlarmFlood.as_str())
    .load(conn)?;
    let flood = AlertKind::AlarmFlood.as_str();
    let alarms: Vec<AlarmRecord<Uuid>> = rows
        .iter()
        .filter(|r| r.alert_type != flood)
        .map(|r| AlarmRecord {
            point: r.sensor_id.unwrap_or_default(),
            raised_at: r.created_at,
            cleared_at: r.resolved_at,
        })
        .collect();
    let floods: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = rows
        .iter()
        .filter(|r| r.alert_type == flood)
        .map(|r| (r.created_at, r.resolved_at))
        .collect();
    Ok(kpis(from, to, &alarms, &floods))
}
