//! What a day's statistics are computed from, read from the store and the rollups: one
//! small function per input, each over `&mut PgConnection` so they compose in one
//! transaction, each query in a `.sql` file beside this one.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Double, Integer, Jsonb, Nullable, Text, Timestamptz};
use grid_model::{
    AlertKind, GridZone, MaintenanceType, MeasurementRole, SensorMetadata, SensorType,
    StatisticsMetadata,
};
use grid_store::enums::{DbGridZone, DbMaintenanceType, DbSensorType};
use grid_store::schema::sql_types;
use serde_json::Value;
use uuid::Uuid;

use crate::daily::{SubstationLoad, VoltageInput, overlap_hours};
use crate::reliability::Interruption;

/// N_T per zone: the one recorded in an existing row for the day, else the customers served
/// by the zone's active substations now.
pub(crate) fn customers_served(
    conn: &mut PgConnection,
    date: NaiveDate,
) -> QueryResult<HashMap<GridZone, i64>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::GridZone)]
        zone: DbGridZone,
        #[diesel(sql_type = Nullable<Jsonb>)]
        metadata: Option<Value>,
        #[diesel(sql_type = BigInt)]
        now_served: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(include_str!("customers.sql"))
        .bind::<Date, _>(date)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let recorded = r
                .metadata
                .as_ref()
                .and_then(|m| StatisticsMetadata::from_json(m).reliability)
                .map(|rel| rel.customers_served);
            (r.zone.into(), recorded.unwrap_or(r.now_served))
        })
        .collect())
}

/// Each zone's substations and their load points.
pub(crate) type LoadByZone = HashMap<GridZone, BTreeMap<Uuid, SubstationLoad>>;

/// The load sensors that count: a substation's incomers when it has any (they carry the sum
/// of its feeders), else its feeders.
fn counted_load_sensors(conn: &mut PgConnection) -> QueryResult<(Vec<Uuid>, Vec<Uuid>)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        substation_id: Uuid,
        #[diesel(sql_type = Jsonb)]
        metadata: Value,
    }
    let rows: Vec<Row> = diesel::sql_query(include_str!("load_sensors.sql")).load(conn)?;
    // Each sensor's metadata read once.
    let sensors: Vec<(Uuid, Uuid, bool)> = rows
        .iter()
        .map(|r| {
            let role = SensorMetadata::from_json(&r.metadata).role();
            (r.id, r.substation_id, role == MeasurementRole::Incomer)
        })
        .collect();
    let with_incomer: std::collections::HashSet<Uuid> =
        sensors.iter().filter(|s| s.2).map(|s| s.1).collect();
    Ok(sensors
        .into_iter()
        .filter(|&(_, substation, incomer)| incomer || !with_incomer.contains(&substation))
        .map(|(id, substation, _)| (id, substation))
        .unzip())
}

/// Each counted substation's load per bucket of `step` over `[start, end)`.
pub(crate) fn load(
    conn: &mut PgConnection,
    step: chrono::Duration,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> QueryResult<LoadByZone> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::GridZone)]
        zone: DbGridZone,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        substation_id: Uuid,
        #[diesel(sql_type = Nullable<Timestamptz>)]
        t: Option<DateTime<Utc>>,
        #[diesel(sql_type = Nullable<Double>)]
        mw: Option<f64>,
    }
    let (sensors, substations) = counted_load_sensors(conn)?;
    let sql = include_str!("load.sql").replace("{STEP}", &step.num_seconds().to_string());
    let rows: Vec<Row> = diesel::sql_query(sql)
        .bind::<Timestamptz, _>(start)
        .bind::<Timestamptz, _>(end)
        .bind::<Array<diesel::sql_types::Uuid>, _>(&sensors)
        .bind::<Array<diesel::sql_types::Uuid>, _>(&substations)
        .load(conn)?;
    let mut out: LoadByZone = HashMap::new();
    for r in rows {
        let s = out
            .entry(r.zone.into())
            .or_default()
            .entry(r.substation_id)
            .or_default();
        if let (Some(t), Some(mw)) = (r.t, r.mw) {
            s.points.push((t, mw));
        }
    }
    Ok(out)
}

/// Each voltage sensor's day (from the daily rollup bucket starting at `day_start`), at its
/// nominal voltage: its own `nominal_kv`, else its substation's level.
pub(crate) fn voltage(
    conn: &mut PgConnection,
    day_start: DateTime<Utc>,
) -> QueryResult<HashMap<GridZone, Vec<VoltageInput>>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::GridZone)]
        zone: DbGridZone,
        #[diesel(sql_type = Jsonb)]
        metadata: Value,
        #[diesel(sql_type = Integer)]
        level_kv: i32,
        #[diesel(sql_type = Double)]
        sum: f64,
        #[diesel(sql_type = BigInt)]
        count: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(include_str!("voltage.sql"))
        .bind::<Timestamptz, _>(day_start)
        .load(conn)?;
    let mut out: HashMap<GridZone, Vec<VoltageInput>> = HashMap::new();
    for r in rows {
        let nominal_kv = SensorMetadata::from_json(&r.metadata)
            .nominal_kv
            .unwrap_or(f64::from(r.level_kv));
        out.entry(r.zone.into()).or_default().push(VoltageInput {
            nominal_kv,
            sum_kv: r.sum,
            count: r.count,
        });
    }
    Ok(out)
}

/// Runs of out-of-range readings that began in `[start, end)`, per zone and sensor type
/// (voltage and frequency).
pub(crate) fn excursions(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> QueryResult<HashMap<(GridZone, SensorType), i64>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::GridZone)]
        zone: DbGridZone,
        #[diesel(sql_type = sql_types::SensorType)]
        kind: DbSensorType,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(include_str!("excursions.sql"))
        .bind::<Timestamptz, _>(start)
        .bind::<Timestamptz, _>(end)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| ((r.zone.into(), r.kind.into()), r.n))
        .collect())
}

/// Interruptions ([`AlertKind::Outage`] alerts) that began in `[start, end)`, per zone.
pub(crate) fn outages(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> QueryResult<HashMap<GridZone, Vec<Interruption>>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::GridZone)]
        zone: DbGridZone,
        #[diesel(sql_type = Timestamptz)]
        created_at: DateTime<Utc>,
        #[diesel(sql_type = Nullable<Timestamptz>)]
        resolved_at: Option<DateTime<Utc>>,
        #[diesel(sql_type = BigInt)]
        customers: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(include_str!("outages.sql"))
        .bind::<Timestamptz, _>(start)
        .bind::<Timestamptz, _>(end)
        .bind::<Text, _>(AlertKind::Outage.as_str())
        .load(conn)?;
    let mut out: HashMap<GridZone, Vec<Interruption>> = HashMap::new();
    for r in rows {
        out.entry(r.zone.into()).or_default().push(Interruption {
            start: r.created_at,
            end: r.resolved_at,
            customers: r.customers,
        });
    }
    Ok(out)
}

/// Alerts per zone in `[start, end)`: raised, raised at critical or worse, resolved.
pub(crate) fn alert_counts(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> QueryResult<HashMap<GridZone, (i64, i64, i64)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::GridZone)]
        zone: DbGridZone,
        #[diesel(sql_type = BigInt)]
        raised: i64,
        #[diesel(sql_type = BigInt)]
        critical: i64,
        #[diesel(sql_type = BigInt)]
        resolved: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(include_str!("alerts.sql"))
        .bind::<Timestamptz, _>(start)
        .bind::<Timestamptz, _>(end)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.zone.into(), (r.raised, r.critical, r.resolved)))
        .collect())
}

/// Hours of maintenance per zone in `[start, end)`: (scheduled, unscheduled).
pub(crate) fn maintenance_hours(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<HashMap<GridZone, (f64, f64)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::GridZone)]
        zone: DbGridZone,
        #[diesel(sql_type = sql_types::MaintenanceType)]
        kind: DbMaintenanceType,
        #[diesel(sql_type = Timestamptz)]
        started_at: DateTime<Utc>,
        #[diesel(sql_type = Nullable<Timestamptz>)]
        completed_at: Option<DateTime<Utc>>,
    }
    let rows: Vec<Row> = diesel::sql_query(include_str!("maintenance.sql"))
        .bind::<Timestamptz, _>(start)
        .bind::<Timestamptz, _>(end)
        .load(conn)?;
    let mut out: HashMap<GridZone, (f64, f64)> = HashMap::new();
    for r in rows {
        let h = overlap_hours(r.started_at, r.completed_at, now, start, end);
        let e = out.entry(r.zone.into()).or_default();
        if MaintenanceType::from(r.kind).is_scheduled() {
            e.0 += h;
        } else {
            e.1 += h;
        }
    }
    Ok(out)
}
