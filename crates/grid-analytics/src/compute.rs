//! The thin database layer: loads one local day's inputs through the store and the
//! time-series layer, computes the statistics with the pure formulas, upserts them.
//!
//! Rules (configuration in [`AnalyticsConfig`]):
//! - **Day**: a local calendar day in the configured time zone (default `Africa/Nairobi`).
//! - **Load**: a substation's load is the sum of its `load` sensors in MW. A sensor with
//!   `metadata.measurement_role = "incomer"` measures the whole substation: when a
//!   substation has any, only its incomers count and its feeders are left out (no double
//!   counting); otherwise its feeders (any other role) are summed. A bucket counts for a
//!   substation only when every counted sensor reported in it; short gaps are interpolated
//!   (see [`crate::daily::zone_load`]). The zone's load is the sum over its substations per
//!   bucket.
//! - **Voltage**: per nominal level (each sensor's `metadata.nominal_kv`, else its
//!   substation's level), from the daily rollup; `average_voltage_kv` holds the average at the
//!   zone's highest level, every level's kV and per-unit average is in `metadata.voltage`.
//! - **Violations**: excursions of voltage and frequency sensors: a contiguous run of
//!   readings flagged out of range at ingest (the same operating limits) counts once, on
//!   the day it began.
//! - **Outages**: alerts with `alert_type = 'outage'` of the zone's substations;
//!   `created_at` is the interruption's start, `resolved_at` its restoration (still open:
//!   counted until now), `affected_customers` N_i. An interruption belongs to the day it
//!   begins (IEEE 1366). Longer than the sustained threshold (default 5 min) counts in
//!   `total_outages`, `total_outage_minutes`, SAIDI (minutes) and SAIFI; shorter ones are
//!   momentary (MAIFI_E). CAIDI, ASAI, MAIFI_E, N_T and the momentary count are in
//!   `metadata.reliability`.
//! - **N_T**: customers served by the zone's active substations when the day is first
//!   computed, recorded in the row and reused when it is recomputed, so a past day's
//!   indices do not change when substations are added or removed later.
//! - **Alerts**: raised that day (all types) by the zone's substations; critical or worse;
//!   resolved that day. Alerts without a substation belong to no zone.
//! - **Maintenance**: hours of work that day on the zone's transformers, scheduled
//!   (preventive, predictive) and unscheduled (corrective, emergency).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Double, Nullable, Text, Timestamptz};
use grid_model::{DailyStatistics, GridZone, MaintenanceType};
use grid_store::enums::{DbGridZone, DbMaintenanceType};
use grid_store::schema::sql_types;
use grid_timescale::TsResult;
use serde_json::json;
use uuid::Uuid;

use crate::daily::{SubstationLoad, VoltageInput, overlap_hours, voltage_levels, zone_load};
use crate::reliability::{Indices, Interruption, indices};

/// How daily statistics are computed.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticsConfig {
    /// IANA time zone of the local day.
    pub time_zone: String,
    /// Longer than this, an interruption is sustained (IEEE 1366: 5 minutes).
    pub sustained_after: Duration,
    /// Bucket of the load curve.
    pub load_step: Duration,
    /// Longest gap in a substation's load filled by interpolation.
    pub max_interpolated_gap: Duration,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        AnalyticsConfig {
            time_zone: "Africa/Nairobi".into(),
            sustained_after: Duration::minutes(5),
            load_step: Duration::minutes(1),
            max_interpolated_gap: Duration::minutes(15),
        }
    }
}

#[derive(QueryableByName)]
struct DayBounds {
    #[diesel(sql_type = Timestamptz)]
    start: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    end: DateTime<Utc>,
}

/// The instants a local day starts and ends.
pub fn day_bounds(
    conn: &mut PgConnection,
    date: NaiveDate,
    tz: &str,
) -> QueryResult<(DateTime<Utc>, DateTime<Utc>)> {
    let b: DayBounds = diesel::sql_query(
        "SELECT ($1::timestamp AT TIME ZONE $2) AS start,
                (($1 + 1)::timestamp AT TIME ZONE $2) AS end",
    )
    .bind::<Date, _>(date)
    .bind::<Text, _>(tz)
    .get_result(conn)?;
    Ok((b.start, b.end))
}

/// Computes and stores the statistics of every zone for each local day in `[from, to]`.
/// Idempotent (one row per date and zone); recomputing after late data corrects the rows.
/// The rollups are refreshed first.
pub fn compute_days(
    conn: &mut PgConnection,
    config: &AnalyticsConfig,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> TsResult<Vec<DailyStatistics>> {
    grid_timescale::refresh(conn)?;
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        out.extend(compute_day_refreshed(conn, config, d, now)?);
        d = d.succ_opt().unwrap_or(d);
        if d == NaiveDate::MAX {
            break;
        }
    }
    Ok(out)
}

/// Bucket starts and the zone's load in MW (`None` where unknown).
pub type LoadCurve = Vec<(DateTime<Utc>, Option<f64>)>;

/// Each zone's load curve over a local day (bucket starts and MW, `None` where unknown),
/// by the same rules as the daily statistics.
pub fn zone_load_curves(
    conn: &mut PgConnection,
    config: &AnalyticsConfig,
    date: NaiveDate,
) -> TsResult<Vec<(GridZone, LoadCurve)>> {
    let (start, end) = day_bounds(conn, date, &config.time_zone)?;
    let mut load = load_inputs(conn, config, start, end)?;
    Ok(GridZone::ALL
        .iter()
        .map(|&zone| {
            let subs: Vec<SubstationLoad> = load
                .remove(&zone)
                .map(|m| m.into_values().collect())
                .unwrap_or_default();
            let l = zone_load(
                start,
                end,
                config.load_step,
                &subs,
                config.max_interpolated_gap,
            );
            let curve = l
                .curve
                .into_iter()
                .enumerate()
                .map(|(i, v)| (start + config.load_step * i as i32, v))
                .collect();
            (zone, curve)
        })
        .collect())
}

/// One day, every zone, assuming the rollups are fresh.
fn compute_day_refreshed(
    conn: &mut PgConnection,
    config: &AnalyticsConfig,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> TsResult<Vec<DailyStatistics>> {
    let tz = &config.time_zone;
    let (start, end) = day_bounds(conn, date, tz)?;
    let hours = (end - start).num_seconds() as f64 / 3600.0;
    let customers = customers_served(conn, date)?;
    let load = load_inputs(conn, config, start, end)?;
    let voltage = voltage_inputs(conn, start)?;
    let excursions = excursion_counts(conn, start, end)?;
    let outages = outage_inputs(conn, start, end)?;
    let alerts = alert_counts(conn, start, end)?;
    let maintenance = maintenance_hours(conn, start, end, now)?;

    conn.transaction(|c| {
        let mut rows = Vec::new();
        for zone in GridZone::ALL.iter().copied() {
            let nt = customers.get(&zone).copied().unwrap_or(0);
            let subs: Vec<SubstationLoad> = load.get(&zone).map(|m| m.values().cloned().collect()).unwrap_or_default();
            let l = zone_load(start, end, config.load_step, &subs, config.max_interpolated_gap);
            let (levels, top) = voltage_levels(voltage.get(&zone).map(Vec::as_slice).unwrap_or(&[]));
            let ix: Indices = indices(
                outages.get(&zone).map(Vec::as_slice).unwrap_or(&[]),
                nt,
                hours,
                config.sustained_after,
                now,
            );
            let (raised, critical, resolved) = alerts.get(&zone).copied().unwrap_or((0, 0, 0));
            let (scheduled, unscheduled) = maintenance.get(&zone).copied().unwrap_or((0.0, 0.0));
            let mut s = DailyStatistics::empty(date, zone);
            s.peak_load_mw = l.peak_mw;
            s.peak_load_time = l.peak_time;
            s.average_load_mw = l.average_mw;
            s.min_load_mw = l.min_mw;
            s.total_energy_mwh = l.energy_mwh;
            s.average_voltage_kv = top;
            s.voltage_violations_count = excursions.get(&(zone, "voltage")).copied().unwrap_or(0) as i32;
            s.frequency_violations_count = excursions.get(&(zone, "frequency")).copied().unwrap_or(0) as i32;
            s.total_outages = ix.sustained as i32;
            s.total_outage_minutes = ix.sustained_minutes;
            s.saidi = ix.saidi;
            s.saifi = ix.saifi;
            s.total_alerts = raised as i32;
            s.critical_alerts = critical as i32;
            s.alerts_resolved = resolved as i32;
            s.scheduled_maintenance_hours = scheduled;
            s.unscheduled_maintenance_hours = unscheduled;
            s.metadata = json!({
                "time_zone": tz,
                "day_start": start,
                "load": {
                    "measured_energy_mwh": l.measured_energy_mwh,
                    "coverage": l.coverage,
                    "interpolated_buckets": l.interpolated,
                    "substations": l.substations,
                    "step_seconds": config.load_step.num_seconds(),
                },
                "voltage": levels,
                "reliability": {
                    "customers_served": nt,
                    "caidi_minutes": ix.caidi,
                    "asai": ix.asai,
                    "maifi_e": ix.maifi_e,
                    "saidi_hours": ix.saidi.map(|m| m / 60.0),
                    "momentary_interruptions": ix.momentary,
                    "customer_minutes": ix.customer_minutes,
                    "customer_interruptions": ix.customer_interruptions,
                    "customer_momentary_events": ix.customer_momentary_events,
                    "sustained_after_minutes": config.sustained_after.num_seconds() as f64 / 60.0,
                    "note": if nt == 0 { Some("no customers served in this zone: SAIDI, SAIFI and the other indices are undefined") } else { None },
                },
            });
            rows.push(grid_store::statistics::upsert(c, &s)?);
        }
        Ok(rows)
    })
}

/// N_T per zone: the one recorded in an existing row for the day, else the customers served
/// by the zone's active substations now.
fn customers_served(
    conn: &mut PgConnection,
    date: NaiveDate,
) -> QueryResult<HashMap<GridZone, i64>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::GridZone)]
        zone: DbGridZone,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT z.zone, coalesce((d.metadata -> 'reliability' ->> 'customers_served')::bigint,
                                 (SELECT coalesce(sum(customers_served), 0)::bigint
                                    FROM grid_substations s WHERE s.zone = z.zone AND s.is_active)) AS n
           FROM unnest(enum_range(NULL::grid_zone)) AS z(zone)
           LEFT JOIN daily_grid_statistics d ON d.zone = z.zone AND d.date = $1",
    )
    .bind::<Date, _>(date)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.zone.into(), r.n)).collect())
}

type LoadByZone = HashMap<GridZone, BTreeMap<Uuid, SubstationLoad>>;

fn load_inputs(
    conn: &mut PgConnection,
    config: &AnalyticsConfig,
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
    // Every substation with counted load sensors appears (with NULL points when silent), so
    // a silent one leaves its zone's total unknown instead of lowering it.
    let rows: Vec<Row> = diesel::sql_query(format!(
        "WITH sensors AS (
             SELECT s.id, s.substation_id,
                    coalesce(s.metadata ->> 'measurement_role', 'feeder') = 'incomer' AS incomer
               FROM grid_sensors s
              WHERE s.sensor_type = 'load' AND s.status <> 'inactive'),
         counted AS (
             SELECT x.id, x.substation_id FROM sensors x
              WHERE x.incomer OR NOT EXISTS (
                    SELECT 1 FROM sensors y WHERE y.substation_id = x.substation_id AND y.incomer)),
         expected AS (SELECT substation_id, count(*) AS n FROM counted GROUP BY 1),
         -- One index range scan per counted sensor (LATERAL), not a scan of the day.
         per_sensor AS (
             SELECT c.substation_id, c.id AS sensor_id, r.t, r.v
               FROM counted c CROSS JOIN LATERAL (
                    SELECT date_bin(INTERVAL '{step} seconds', \"timestamp\", $1) AS t,
                           avg(value) AS v
                      FROM sensor_readings
                     WHERE sensor_id = c.id AND \"timestamp\" >= $1 AND \"timestamp\" < $2
                     GROUP BY 1) r),
         per_substation AS (
             SELECT p.substation_id, p.t, sum(p.v) AS mw
               FROM per_sensor p JOIN expected e USING (substation_id)
              GROUP BY p.substation_id, p.t, e.n HAVING count(*) = e.n)
         SELECT sub.zone, e.substation_id, ps.t, ps.mw
           FROM expected e JOIN grid_substations sub ON sub.id = e.substation_id
           LEFT JOIN per_substation ps ON ps.substation_id = e.substation_id",
        step = config.load_step.num_seconds()
    ))
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(end)
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

fn voltage_inputs(
    conn: &mut PgConnection,
    day_start: DateTime<Utc>,
) -> QueryResult<HashMap<GridZone, Vec<VoltageInput>>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::GridZone)]
        zone: DbGridZone,
        #[diesel(sql_type = Double)]
        nominal: f64,
        #[diesel(sql_type = Double)]
        sum: f64,
        #[diesel(sql_type = BigInt)]
        count: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT sub.zone,
                coalesce((s.metadata ->> 'nominal_kv')::float8, sub.voltage_level_kv) AS nominal,
                sum(d.sum_value) AS sum, sum(d.reading_count)::bigint AS count
           FROM sensor_readings_daily d
           JOIN grid_sensors s ON s.id = d.sensor_id
           JOIN grid_substations sub ON sub.id = s.substation_id
          WHERE d.bucket = $1 AND s.sensor_type = 'voltage'
          GROUP BY 1, 2",
    )
    .bind::<Timestamptz, _>(day_start)
    .load(conn)?;
    let mut out: HashMap<GridZone, Vec<VoltageInput>> = HashMap::new();
    for r in rows {
        out.entry(r.zone.into()).or_default().push(VoltageInput {
            nominal_kv: r.nominal,
            sum_kv: r.sum,
            count: r.count,
        });
    }
    Ok(out)
}

/// Runs of out-of-range readings that began in the day, per zone and sensor type: a flagged
/// reading whose previous reading (of the same sensor, any day) was not flagged. Only
/// flagged readings are read (a partial index holds them), each with one index probe back.
fn excursion_counts(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> QueryResult<HashMap<(GridZone, &'static str), i64>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::GridZone)]
        zone: DbGridZone,
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "WITH flagged AS MATERIALIZED (
             SELECT r.sensor_id, r.\"timestamp\", sub.zone, s.sensor_type
               FROM sensor_readings r
               JOIN grid_sensors s ON s.id = r.sensor_id
               JOIN grid_substations sub ON sub.id = s.substation_id
              WHERE r.is_out_of_range AND r.\"timestamp\" >= $1 AND r.\"timestamp\" < $2
                AND s.sensor_type IN ('voltage', 'frequency'))
         SELECT f.zone, f.sensor_type::text AS kind, count(*) AS n
           FROM flagged f
          WHERE NOT coalesce((SELECT p.is_out_of_range FROM sensor_readings p
                               WHERE p.sensor_id = f.sensor_id AND p.\"timestamp\" < f.\"timestamp\"
                               ORDER BY p.\"timestamp\" DESC LIMIT 1), false)
          GROUP BY 1, 2",
    )
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(end)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let kind = if r.kind == "voltage" {
                "voltage"
            } else {
                "frequency"
            };
            ((r.zone.into(), kind), r.n)
        })
        .collect())
}

fn outage_inputs(
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
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT sub.zone, a.created_at, a.resolved_at, a.affected_customers::bigint AS customers
           FROM grid_alerts a JOIN grid_substations sub ON sub.id = a.substation_id
          WHERE a.alert_type = 'outage' AND a.created_at >= $1 AND a.created_at < $2",
    )
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(end)
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

fn alert_counts(
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
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT sub.zone,
                count(*) FILTER (WHERE a.created_at >= $1 AND a.created_at < $2) AS raised,
                count(*) FILTER (WHERE a.created_at >= $1 AND a.created_at < $2
                                   AND a.severity >= 'critical') AS critical,
                count(*) FILTER (WHERE a.resolved_at >= $1 AND a.resolved_at < $2) AS resolved
           FROM grid_alerts a JOIN grid_substations sub ON sub.id = a.substation_id
          WHERE (a.created_at >= $1 AND a.created_at < $2)
             OR (a.resolved_at >= $1 AND a.resolved_at < $2)
          GROUP BY 1",
    )
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(end)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.zone.into(), (r.raised, r.critical, r.resolved)))
        .collect())
}

fn maintenance_hours(
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
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT sub.zone, m.maintenance_type AS kind, m.started_at, m.completed_at
           FROM maintenance_records m
           JOIN transformers t ON t.id = m.transformer_id
           JOIN grid_substations sub ON sub.id = t.substation_id
          WHERE m.started_at < $2 AND (m.completed_at IS NULL OR m.completed_at > $1)
            AND m.status <> 'cancelled'",
    )
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
