//! Daily statistics against hand-computed fixtures (every figure below was worked out by
//! hand from the readings, alerts and maintenance written here).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use diesel::PgConnection;
use grid_analytics::AnalyticsError;
use grid_analytics::compute::{AnalyticsConfig, compute_days};
use grid_model::*;
use grid_store::substations::SubstationUpdate;
use grid_store::{
    AlertRepository, MaintenanceRepository, SensorRepository, SubstationRepository,
    TransformerRepository,
};
use grid_testdb::TestDb;
use grid_testkit::READY;
use grid_timescale::OperatingLimits;
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, TimePolicy};
use serde_json::json;

/// 2026-03-10 in Nairobi (UTC+3) runs from 2026-03-09 21:00 UTC to 2026-03-10 21:00 UTC.
fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
}

fn local(h: i64, m: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 9, 21, 0, 0).unwrap() + Duration::hours(h) + Duration::minutes(m)
}

fn minute(i: i64) -> DateTime<Utc> {
    local(0, i)
}

fn substation(
    conn: &mut PgConnection,
    code: &str,
    zone: GridZone,
    kv: i32,
    customers: i32,
) -> Substation {
    let mut d = SubstationDraft::new(
        format!("{code} Substation"),
        code,
        zone,
        (-1.0, 36.0),
        kv,
        100.0,
    );
    d.customers_served = customers;
    conn.insert_substation(&NewSubstation::new(d).unwrap())
        .unwrap()
}

fn sensor(
    conn: &mut PgConnection,
    s: &Substation,
    tag: &str,
    kind: SensorType,
    meta: serde_json::Value,
) -> Sensor {
    let mut d = SensorDraft::new(s.id, tag, kind);
    d.metadata = meta;
    conn.insert_sensor(&NewSensor::new(d).unwrap()).unwrap()
}

/// One reading a minute over the local day, from `f(minute) -> Option<value>`.
fn day_of(sensor: &Sensor, f: impl Fn(i64) -> Option<f64>) -> Vec<Reading> {
    (0..1440)
        .filter_map(|i| f(i).map(|v| Reading::new(sensor.id, minute(i), v)))
        .collect()
}

fn outage(
    conn: &mut PgConnection,
    s: &Substation,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    customers: i32,
) -> Alert {
    let mut d = AlertDraft::new(AlertKind::Outage, AlertSeverity::Critical, "Supply lost");
    d.substation_id = Some(s.id);
    d.raised_at = start;
    d.affected_customers = customers;
    let a = conn.raise_alert(&NewAlert::new(d).unwrap()).unwrap();
    let r = AlertTransition::now(
        AlertAction::Resolve {
            notes: Some("restored".into()),
        },
        "control",
    )
    .at(end);
    conn.transition_alert(a.id, &r).unwrap()
}

struct Fixture {
    db: TestDb,
    a: Substation,
    kisumu_load: Sensor,
}

fn fixture() -> Fixture {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    // Nairobi: A (66 kV, 1,000 customers) and B (220 kV, 3,000 customers): N_T = 4,000.
    let a = substation(conn, "NRB-A", GridZone::Nairobi, 66, 1000);
    let b = substation(conn, "NRB-B", GridZone::Nairobi, 220, 3000);
    let a_in = sensor(
        conn,
        &a,
        "A-IN",
        SensorType::Load,
        SensorMetadata {
            measurement_role: Some(MeasurementRole::Incomer),
            ..Default::default()
        }
        .to_json(),
    );
    let a_f1 = sensor(
        conn,
        &a,
        "A-F1",
        SensorType::Load,
        SensorMetadata {
            measurement_role: Some(MeasurementRole::Feeder),
            ..Default::default()
        }
        .to_json(),
    );
    let a_f2 = sensor(
        conn,
        &a,
        "A-F2",
        SensorType::Load,
        SensorMetadata {
            measurement_role: Some(MeasurementRole::Feeder),
            ..Default::default()
        }
        .to_json(),
    );
    let b_g1 = sensor(conn, &b, "B-G1", SensorType::Load, json!({}));
    let b_g2 = sensor(conn, &b, "B-G2", SensorType::Load, json!({}));
    let a_v = sensor(conn, &a, "A-V", SensorType::Voltage, json!({}));
    let b_v = sensor(conn, &b, "B-V", SensorType::Voltage, json!({}));
    let b_v11 = sensor(
        conn,
        &b,
        "B-V11",
        SensorType::Voltage,
        SensorMetadata {
            nominal_kv: Some(11.0),
            ..Default::default()
        }
        .to_json(),
    );
    let a_hz = sensor(conn, &a, "A-HZ", SensorType::Frequency, json!({}));
    // Kisumu: one substation whose load sensor misses two hours.
    let k = substation(conn, "KSM-K", GridZone::Kisumu, 33, 500);
    let kisumu_load = sensor(conn, &k, "K-L", SensorType::Load, json!({}));
    // Western: a substation serving no customers, with an outage.
    let w = substation(conn, "WST-W", GridZone::Western, 11, 0);

    let opts = IngestOptions {
        time_policy: TimePolicy::backfill(local(-24, 0), local(48, 0)),
        ..Default::default()
    };
    let mut ing = Ingester::new(conn, OperatingLimits::default(), opts).unwrap();
    let mut all = Vec::new();
    all.extend(day_of(&a_in, |i| {
        Some(if i == 12 * 60 { 30.0 } else { 10.0 })
    }));
    all.extend(day_of(&a_f1, |_| Some(999.0)));
    all.extend(day_of(&a_f2, |_| Some(999.0)));
    all.extend(day_of(&b_g1, |_| Some(5.0)));
    all.extend(day_of(&b_g2, |i| (!(360..370).contains(&i)).then_some(5.0)));
    all.extend(day_of(&a_v, |i| {
        Some(match i {
            100..=104 => 75.0,
            200 => 76.0,
            _ => 66.0,
        })
    }));
    all.extend(day_of(&b_v, |_| Some(220.0)));
    all.extend(day_of(&b_v11, |_| Some(11.0)));
    all.extend(day_of(&a_hz, |i| {
        Some(match i {
            0 => 49.1,
            300..=302 => 49.2,
            _ => 50.0,
        })
    }));
    // The frequency was already out of limit in the last minute of the day before.
    all.push(Reading::new(a_hz.id, minute(-1), 49.0));
    all.extend(day_of(&kisumu_load, |i| {
        (!(14 * 60..16 * 60).contains(&i)).then_some(8.0)
    }));
    let r = ing.ingest_stream(conn, all, 50_000, |_| {}).unwrap();
    assert_eq!(r.report.rejected, 0);

    // Outages: crossing local midnight (belongs to the day it begins); crossing UTC
    // midnight but not local midnight; momentary; one of the day before.
    outage(conn, &a, local(23, 50), local(24, 40), 500);
    outage(conn, &b, local(2, 50), local(3, 10), 1000);
    outage(conn, &b, local(10, 0), local(10, 3), 2000);
    outage(conn, &a, local(-1, 30), local(0, 20), 700);
    outage(conn, &w, local(5, 0), local(5, 30), 100);
    let mut d = AlertDraft::new(AlertKind::VoltageLow, AlertSeverity::Warning, "Sag at A");
    d.substation_id = Some(a.id);
    d.raised_at = local(1, 40);
    let sag = conn.raise_alert(&NewAlert::new(d).unwrap()).unwrap();
    let r = AlertTransition::now(AlertAction::Resolve { notes: None }, "system").at(local(1, 45));
    conn.transition_alert(sag.id, &r).unwrap();

    // Maintenance on A's transformer: 2.5 h preventive; a corrective job from 22:00 the day
    // before to 01:00: 1 h of it on this day.
    let t = conn
        .insert_transformer(
            &NewTransformer::new(TransformerDraft::new(a.id, "TA", 45.0, 66.0, 11.0)).unwrap(),
        )
        .unwrap();
    for (kind, from, to) in [
        (MaintenanceType::Preventive, local(8, 0), local(10, 30)),
        (MaintenanceType::Corrective, local(-2, 0), local(1, 0)),
    ] {
        let mut m = MaintenanceDraft::new(kind, "work");
        m.transformer_id = Some(t.id);
        m.scheduled_date = Some(from);
        let m = conn
            .insert_maintenance(&NewMaintenance::new(m).unwrap())
            .unwrap();
        conn.start_maintenance(m.id, from).unwrap();
        conn.complete_maintenance(
            m.id,
            &grid_store::maintenance::MaintenanceCompletion {
                completed_at: to,
                ..Default::default()
            },
        )
        .unwrap();
    }
    drop(ing);
    Fixture { db, a, kisumu_load }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() <= 1e-9 * b.abs().max(1.0))
}

#[test]
fn every_field_of_a_day_matches_the_hand_computed_figures() {
    let f = fixture();
    let conn = &mut f.db.conn();
    let now = local(72, 0);
    let rows = compute_days(conn, &AnalyticsConfig::default(), day(), day(), now).unwrap();
    assert_eq!(rows.len(), 8, "one row per zone");
    let get = |z: GridZone| rows.iter().find(|r| r.zone == z).unwrap().clone();

    let n = get(GridZone::Nairobi);
    // Load: A counts its incomer only (10 MW, 30 MW at 12:00); B sums its feeders
    // (5 + 5 MW, a 10-minute gap of B-G2 interpolated). Zone: 20 MW, 40 MW at 12:00.
    assert_eq!(n.peak_load_mw, Some(40.0));
    assert_eq!(n.peak_load_time, Some(local(12, 0)));
    assert_eq!(n.min_load_mw, Some(20.0));
    assert!(close(n.average_load_mw, (1439.0 * 20.0 + 40.0) / 1440.0));
    assert!(close(n.total_energy_mwh, (1439.0 * 20.0 + 40.0) / 60.0)); // 480.333… MWh
    assert_eq!(n.metadata["load"]["interpolated_buckets"], 10);
    // Voltage: per level; the column holds the highest level's average.
    assert_eq!(n.average_voltage_kv, Some(220.0));
    let v66 = (1434.0 * 66.0 + 5.0 * 75.0 + 76.0) / 1440.0;
    assert!((n.metadata["voltage"]["66"]["average_kv"].as_f64().unwrap() - v66).abs() < 1e-9);
    assert!(
        (n.metadata["voltage"]["66"]["average_pu"].as_f64().unwrap() - v66 / 66.0).abs() < 1e-12
    );
    assert_eq!(n.metadata["voltage"]["11"]["average_kv"], 11.0);
    assert_eq!(n.metadata["voltage"]["220"]["readings"], 1440);
    // Excursions: voltage runs at minutes 100–104 and 200; frequency run at 300–302 (the
    // one at minute 0 began the day before).
    assert_eq!(
        (n.voltage_violations_count, n.frequency_violations_count),
        (2, 1)
    );
    // Outages: 50 min × 500 and 20 min × 1,000 sustained; 3 min × 2,000 momentary.
    assert_eq!((n.total_outages, n.total_outage_minutes), (2, 70.0));
    assert_eq!(n.saidi, Some(11.25)); // 45,000 customer-minutes / 4,000
    assert_eq!(n.saifi, Some(0.375)); // 1,500 / 4,000
    let rel = &n.metadata["reliability"];
    assert_eq!(rel["customers_served"], 4000);
    assert_eq!(rel["caidi_minutes"], 30.0);
    // ASAI takes the customer-minutes without supply within the day: 10 min × 500 of the
    // outage into the next day, 20 × 1,000, and 20 × 700 of the day before's outage into
    // this one: 39,000 / 4,000 = 9.75 min; 1 − (9.75 / 60) / 24.
    assert!((rel["asai"].as_f64().unwrap() - (1.0 - 9.75 / 60.0 / 24.0)).abs() < 1e-12);
    assert_eq!(rel["customer_minutes_unavailable"], 39_000.0);
    assert_eq!(rel["maifi_e"], 0.5);
    assert_eq!(rel["momentary_interruptions"], 1);
    assert_eq!(rel["saidi_hours"], 0.1875);
    // Alerts raised: three outages and a sag; critical: the outages; resolved that day:
    // the day-before outage (00:20), the sag, the UTC-midnight and the momentary outages.
    assert_eq!(
        (n.total_alerts, n.critical_alerts, n.alerts_resolved),
        (4, 3, 4)
    );
    assert_eq!(
        (
            n.scheduled_maintenance_hours,
            n.unscheduled_maintenance_hours
        ),
        (2.5, 1.0)
    );

    // Kisumu: two hours without data are not counted as zero load.
    let k = get(GridZone::Kisumu);
    assert_eq!(k.total_energy_mwh, None);
    assert!(close(
        k.metadata["load"]["measured_energy_mwh"].as_f64(),
        176.0
    )); // 1,320 min × 8 MW
    assert!((k.metadata["load"]["coverage"].as_f64().unwrap() - 1320.0 / 1440.0).abs() < 1e-12);
    assert_eq!((k.peak_load_mw, k.min_load_mw), (Some(8.0), Some(8.0)));
    assert_eq!(
        (k.saidi, k.saifi, k.total_outages),
        (Some(0.0), Some(0.0), 0)
    );

    // Western: no customers served — a clear answer, not a division by zero.
    let w = get(GridZone::Western);
    assert_eq!((w.total_outages, w.total_outage_minutes), (1, 30.0));
    assert_eq!((w.saidi, w.saifi), (None, None));
    assert!(
        w.metadata["reliability"]["note"]
            .as_str()
            .unwrap()
            .contains("no customers")
    );

    // A zone with nothing at all.
    let c = get(GridZone::Coastal);
    assert_eq!(
        (c.peak_load_mw, c.total_energy_mwh, c.saidi, c.total_alerts),
        (None, None, None, 0)
    );
}

#[test]
fn recomputing_is_idempotent_corrects_late_data_and_keeps_the_recorded_customers() {
    let f = fixture();
    let conn = &mut f.db.conn();
    let cfg = AnalyticsConfig::default();
    let now = local(72, 0);
    let first = compute_days(conn, &cfg, day(), day(), now).unwrap();
    let again = compute_days(conn, &cfg, day(), day(), now).unwrap();
    assert_eq!(first, again);
    assert_eq!(
        grid_store::statistics::range(conn, day(), day())
            .unwrap()
            .len(),
        8
    );

    // Late readings fill Kisumu's gap; a substation gains customers after the fact.
    let mut ing = Ingester::new(
        conn,
        OperatingLimits::default(),
        IngestOptions {
            time_policy: TimePolicy::backfill(local(-24, 0), local(48, 0)),
            ..Default::default()
        },
    )
    .unwrap();
    ing.ingest_batch(
        conn,
        (14 * 60..16 * 60).map(|i| Reading::new(f.kisumu_load.id, minute(i), 8.0)),
    )
    .unwrap();
    conn.update_substation(
        f.a.id,
        &SubstationUpdate {
            customers_served: Some(9000),
            ..Default::default()
        },
    )
    .unwrap();
    let later = compute_days(conn, &cfg, day(), day(), now).unwrap();
    let k = later.iter().find(|r| r.zone == GridZone::Kisumu).unwrap();
    assert!(close(k.total_energy_mwh, 192.0)); // 1,440 min × 8 MW
    let n = later.iter().find(|r| r.zone == GridZone::Nairobi).unwrap();
    assert_eq!(n.metadata["reliability"]["customers_served"], 4000);
    assert_eq!(n.saidi, Some(11.25));
}

/// The local time zone has one owner, the database: analytics configured for another zone
/// is refused by name (it used to answer `average_voltage_kv = None`, matching the daily
/// rollup's buckets to its own midnight), and so is a second setup for another zone.
#[test]
fn a_time_zone_other_than_the_databases_is_refused_with_a_clear_error() {
    let f = fixture();
    let conn = &mut f.db.conn();
    let now = local(72, 0);
    let utc = AnalyticsConfig {
        time_zone: Some("UTC".into()),
        ..Default::default()
    };
    let err = compute_days(conn, &utc, day(), day(), now).unwrap_err();
    match &err {
        AnalyticsError::TimeZoneMismatch {
            configured,
            database,
        } => {
            assert_eq!(configured, "UTC");
            assert_eq!(database, "Africa/Nairobi");
        }
        other => panic!("expected a time-zone mismatch, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("\"UTC\"") && message.contains("\"Africa/Nairobi\""),
        "{message}"
    );
    assert!(grid_analytics::compute::zone_load_curves(conn, &utc, day()).is_err());
    // Nothing was written for the refused call.
    assert_eq!(
        grid_store::statistics::range(conn, day(), day())
            .unwrap()
            .len(),
        0
    );

    // Naming the database's zone, or none, computes the day in it.
    let nairobi = AnalyticsConfig {
        time_zone: Some("Africa/Nairobi".into()),
        ..Default::default()
    };
    let rows = compute_days(conn, &nairobi, day(), day(), now).unwrap();
    let n = rows.iter().find(|r| r.zone == GridZone::Nairobi).unwrap();
    assert_eq!(n.average_voltage_kv, Some(220.0));
    assert_eq!(
        StatisticsMetadata::from_json(&n.metadata)
            .time_zone
            .as_deref(),
        Some("Africa/Nairobi")
    );

    // A configuration only seeds the first setup: another zone afterwards is refused too.
    let other = grid_timescale::TimescaleConfig {
        time_zone: "UTC".into(),
    };
    assert!(matches!(
        grid_timescale::setup(conn, &other),
        Err(grid_timescale::TimescaleError::TimeZoneMismatch { .. })
    ));
}
