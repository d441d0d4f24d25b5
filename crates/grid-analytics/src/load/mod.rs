//! What a day's statistics are computed from, read from the store and the rollups: one
//! small function per input, each over `&mut PgConnection` so they compose in one
//! transaction, each query in a `.sql` file beside this one.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Double, Integer, Jsonb, Nullable, Text, Timestamptz};
use grid_model::{
    AlertKind, GridZone, MaintenanceType, MeasurementRole, OutageMetadata, SensorMetadata,
    SensorType,
};
use grid_store::enums::{DbGridZone, DbMaintenanceType, DbSensorType};
use grid_store::schema::sql_types;
use serde_json::Value;
use uuid::Uuid;

use crate::daily::{SubstationLoad, VoltageInput, overlap_hours};
use crate::reliability::{Interrupter, Interruption};
use crate::topology::{Node, Topology};

/// Every substation on the local date `date`: zone, feeder and customers in effect.
pub(crate) fn network(conn: &mut PgConnection, date: NaiveDate) -> QueryResult<Topology> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
        #[diesel(sql_type = sql_types::GridZone)]
        zone: DbGridZone,
        #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
        fed_from: Option<Uuid>,
        #[diesel(sql_type = BigInt)]
        customers: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(include_str!("network.sql"))
        .bind::<Date, _>(date)
        .load(conn)?;
    Ok(Topology::new(rows.into_iter().map(|r| Node {
        id: r.id,
        zone: r.zone.into(),
        fed_from: r.fed_from,
        customers: r.customers,
    })))
}

/// Each zone's substations and their load points.
pub(crate) type LoadByZone = HashMap<GridZone, BTreeMap<Uuid, SubstationLoad>>;

/// The load sensors that count: a substation's incomers when it has any (they carry the sum
/// of its feeders), else its feeders; none of a substation inside the measured load of one
/// that feeds it in the same zone ([`Topology::counted_for_load`]).
fn counted_load_sensors(
    conn: &mut PgConnection,
    network: &Topology,
) -> QueryResult<(Vec<Uuid>, Vec<Uuid>)> {
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
    let with_incomer: HashSet<Uuid> = sensors.iter().filter(|s| s.2).map(|s| s.1).collect();
    let measured: HashSet<Uuid> = sensors.iter().map(|s| s.1).collect();
    let counted = network.counted_for_load(&measured);
    Ok(sensors
        .into_iter()
        .filter(|&(_, substation, _)| counted.contains(&substation))
        .filter(|&(_, substation, incomer)| incomer || !with_incomer.contains(&substation))
        .map(|(id, substation, _)| (id, substation))
        .unzip())
}

/// Each counted substation's load per bucket of `step` over `[start, end)`.
pub(crate) fn load(
    conn: &mut PgConnection,
    network: &Topology,
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
    let (sensors, substations) = counted_load_sensors(conn, network)?;
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
/// (voltage and frequency): readings while a substation was de-energised (`dead`) left out,
/// a gap longer than `max_gap` ending a run (`excursions.sql` states the rule).
pub(crate) fn excursions(
    conn: &mut PgConnection,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    max_gap: chrono::Duration,
    dead: &[Deenergised],
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
        .bind::<Double, _>(max_gap.num_milliseconds() as f64 / 1000.0)
        .bind::<Array<diesel::sql_types::Uuid>, _>(
            dead.iter().map(|d| d.substation).collect::<Vec<_>>(),
        )
        .bind::<Array<Timestamptz>, _>(dead.iter().map(|d| d.from).collect::<Vec<_>>())
        .bind::<Array<Timestamptz>, _>(dead.iter().map(|d| d.to).collect::<Vec<_>>())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| ((r.zone.into(), r.kind.into()), r.n))
        .collect())
}

/// A substation without supply over `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Deenergised {
    pub(crate) substation: Uuid,
    pub(crate) from: DateTime<Utc>,
    pub(crate) to: DateTime<Utc>,
}

/// The interruptions per zone and the de-energised intervals, from the outages
/// ([`AlertKind::Outage`] alerts) overlapping `[start, end)`.
pub(crate) struct Outages {
    pub(crate) by_zone: HashMap<GridZone, Vec<Interruption>>,
    pub(crate) deenergised: Vec<Deenergised>,
}

/// Outages overlapping `[start, end)`, with the customers they interrupted per zone: an
/// outage's own `affected_customers` (at most what its substation served that day) in its
/// substation's zone and, when it names no device
/// (the whole substation is out), every substation it feeds with the customers in effect
/// that day, in each one's zone. A fed substation's own outage starting while its feeder's
/// lasts is the same interruption and is not counted again. Ongoing outages last until `now`.
pub(crate) fn outages(
    conn: &mut PgConnection,
    network: &Topology,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
) -> QueryResult<Outages> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        substation_id: Uuid,
        #[diesel(sql_type = Timestamptz)]
        created_at: DateTime<Utc>,
        #[diesel(sql_type = Nullable<Timestamptz>)]
        resolved_at: Option<DateTime<Utc>>,
        #[diesel(sql_type = BigInt)]
        customers: i64,
        #[diesel(sql_type = Jsonb)]
        metadata: Value,
    }
    let rows: Vec<Row> = diesel::sql_query(include_str!("outages.sql"))
        .bind::<Timestamptz, _>(start)
        .bind::<Timestamptz, _>(end)
        .bind::<Text, _>(AlertKind::Outage.as_str())
        .load(conn)?;
    // What each whole-substation outage also takes down.
    let mut reach: Vec<(Uuid, DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for r in &rows {
        if OutageMetadata::from_json(&r.metadata)
            .interrupting_device
            .is_none()
        {
            let until = r.resolved_at.unwrap_or(now);
            for d in network.downstream(r.substation_id) {
                reach.push((d, r.created_at, until));
            }
        }
    }
    let inside_upstream = |r: &Row| {
        reach.iter().any(|&(d, from, to)| {
            d == r.substation_id && r.created_at >= from && r.created_at <= to
        })
    };
    let mut out = Outages {
        by_zone: HashMap::new(),
        deenergised: Vec::new(),
    };
    for r in rows.iter().filter(|r| !inside_upstream(r)) {
        let Some(node) = network.node(r.substation_id) else {
            continue;
        };
        let device = OutageMetadata::from_json(&r.metadata).interrupting_device;
        let interrupter = match &device {
            Some(name) => Interrupter::Device {
                substation: r.substation_id,
                name: name.clone(),
            },
            None => Interrupter::Substation(r.substation_id),
        };
        let cut = |customers: i64, served: i64| Interruption {
            start: r.created_at,
            end: r.resolved_at,
            customers,
            served: Some(served),
            interrupter: interrupter.clone(),
        };
        out.by_zone
            .entry(node.zone)
            .or_default()
            .push(cut(r.customers, node.customers));
        if device.is_some() {
            continue;
        }
        let to = r.resolved_at.unwrap_or(now);
        out.deenergised.push(Deenergised {
            substation: r.substation_id,
            from: r.created_at,
            to,
        });
        for d in network.downstream(r.substation_id) {
            let Some(n) = network.node(d) else { continue };
            out.deenergised.push(Deenergised {
                substation: d,
                from: r.created_at,
                to,
            });
            if n.customers > 0 {
                out.by_zone
                    .entry(n.zone)
                    .or_default()
                    .push(cut(n.customers, n.customers));
            }
        }
    }
    Ok(out)
}

/// When each alert of each zone was raised in `[start, end)`.
pub(crate) fn alert_times(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> QueryResult<HashMap<GridZone, Vec<DateTime<Utc>>>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::GridZone)]
        zone: DbGridZone,
        #[diesel(sql_type = Timestamptz)]
        created_at: DateTime<Utc>,
    }
    let rows: Vec<Row> = diesel::sql_query(include_str!("alert_times.sql"))
        .bind::<Timestamptz, _>(start)
        .bind::<Timestamptz, _>(end)
        .load(conn)?;
    let mut out: HashMap<GridZone, Vec<DateTime<Utc>>> = HashMap::new();
    for r in rows {
        out.entry(r.zone.into()).or_default().push(r.created_at);
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
