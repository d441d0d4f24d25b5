//! The IEEE 1366 corrections against hand-computed fixtures (arithmetic in the comments):
//! momentary events per device with lockouts, customers capped at N_T, N_T in effect on the
//! day, cascaded substations, and the excursion rule (outages excluded, gaps end a run).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use diesel::PgConnection;
use grid_analytics::compute::{AnalyticsConfig, compute_days};
use grid_model::*;
use grid_store::substations::{SubstationUpdate, record_customers};
use grid_store::{AlertRepository, SensorRepository, SubstationRepository};
use grid_testdb::TestDb;
use grid_testkit::READY;
use grid_timescale::OperatingLimits;
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, TimePolicy};

/// 2026-03-10 in Nairobi (UTC+3) runs from 2026-03-09 21:00 UTC.
fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
}

fn local(h: i64, m: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 9, 21, 0, 0).unwrap() + Duration::hours(h) + Duration::minutes(m)
}

fn substation(
    conn: &mut PgConnection,
    code: &str,
    zone: GridZone,
    kv: i32,
    customers: i32,
    fed_from: Option<&Substation>,
) -> Substation {
    let mut d = SubstationDraft::new(code, code, zone, (-1.0, 36.0), kv, 100.0);
    d.customers_served = customers;
    d.fed_from = fed_from.map(|s| s.id);
    conn.insert_substation(&NewSubstation::new(d).unwrap())
        .unwrap()
}

fn sensor(conn: &mut PgConnection, s: &Substation, tag: &str, kind: SensorType) -> Sensor {
    let mut d = SensorDraft::new(s.id, tag, kind);
    if kind == SensorType::Load {
        d.metadata = SensorMetadata {
            measurement_role: Some(MeasurementRole::Incomer),
            ..Default::default()
        }
        .to_json();
    }
    conn.insert_sensor(&NewSensor::new(d).unwrap()).unwrap()
}

/// An outage from `start` to `end` (seconds after local midnight), naming `device` if any.
fn outage(
    conn: &mut PgConnection,
    s: &Substation,
    (start, end): (i64, i64),
    customers: i32,
    device: Option<&str>,
) {
    let t = |secs: i64| local(0, 0) + Duration::seconds(secs);
    let mut d = AlertDraft::new(AlertKind::Outage, AlertSeverity::Critical, "Supply lost");
    d.substation_id = Some(s.id);
    d.raised_at = t(start);
    d.affected_customers = customers;
    d.metadata = OutageMetadata {
        interrupting_device: device.map(str::to_owned),
        ..Default::default()
    }
    .to_json();
    let a = conn.raise_alert(&NewAlert::new(d).unwrap()).unwrap();
    let r = AlertTransition::now(AlertAction::Resolve { notes: None }, "control").at(t(end));
    conn.transition_alert(a.id, &r).unwrap();
}

fn ingest(conn: &mut PgConnection, readings: Vec<Reading>) {
    let opts = IngestOptions {
        time_policy: TimePolicy::backfill(local(-24 * 30, 0), local(48, 0)),
        ..Default::default()
    };
    let mut ing = Ingester::new(conn, OperatingLimits::default(), opts).unwrap();
    let r = ing.ingest_stream(conn, readings, 50_000, |_| {}).unwrap();
    assert_eq!(r.report.rejected, 0);
}

fn row(rows: &[DailyStatistics], zone: GridZone) -> DailyStatistics {
    rows.iter().find(|r| r.zone == zone).unwrap().clone()
}

fn reliability(r: &DailyStatistics) -> ReliabilityMetadata {
    StatisticsMetadata::from_json(&r.metadata)
        .reliability
        .unwrap()
}

#[test]
fn a_three_shot_reclose_ending_in_lockout_is_sustained_only() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let s = substation(conn, "NRB-R", GridZone::Nairobi, 66, 2000, None);
    // Breaker F1 (800 customers): shots at 10:00:00, 10:01:00, 10:03:00 (20 s each) — one
    // momentary event. Breaker F2 (300): shots at 14:00 and 14:02, locking out at 14:04 for
    // 40 min — no momentary event, one sustained interruption.
    let h = |hh: i64, mm: i64| (hh * 60 + mm) * 60;
    for start in [h(10, 0), h(10, 1), h(10, 3)] {
        outage(conn, &s, (start, start + 20), 800, Some("F1"));
    }
    for start in [h(14, 0), h(14, 2)] {
        outage(conn, &s, (start, start + 20), 300, Some("F2"));
    }
    outage(conn, &s, (h(14, 4), h(14, 44)), 300, Some("F2"));
    // A shot of the whole substation (no device) at 10:02: its own event (another device).
    outage(conn, &s, (h(10, 2), h(10, 2) + 30), 2000, None);
    let rows = compute_days(
        conn,
        &AnalyticsConfig::default(),
        day(),
        day(),
        local(72, 0),
    )
    .unwrap();
    let n = row(&rows, GridZone::Nairobi);
    let rel = reliability(&n);
    // Operations: 3 + 2 + 1 = 6; events: F1 (800) and the substation's (2,000).
    assert_eq!(
        (rel.momentary_operations, rel.momentary_interruptions),
        (6, 2)
    );
    // MAIFI_E = (800 + 2,000) / 2,000 = 1.4 (counting every operation: (3·800 + 2·300 +
    // 2,000) / 2,000 = 2.5).
    assert_eq!(rel.maifi_e, Some(1.4));
    // The lockout: 40 min × 300 / 2,000 = 6 min SAIDI, SAIFI 0.15.
    assert_eq!(
        (n.total_outages, n.saidi, n.saifi),
        (1, Some(6.0), Some(0.15))
    );
}

#[test]
fn n_t_is_the_count_in_effect_that_day_and_customers_are_capped_at_it() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let s = substation(conn, "MSA-C", GridZone::Mombasa, 33, 1000, None);
    // A new estate connected on 2026-03-05 (recorded after the fact): 2,500 from then on.
    record_customers(
        conn,
        s.id,
        NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
        2500,
    )
    .unwrap();
    // Today's count changes as well (effective today, long after March).
    conn.update_substation(
        s.id,
        &SubstationUpdate {
            customers_served: Some(9000),
            ..Default::default()
        },
    )
    .unwrap();
    // A 30-min outage claiming 5,000 customers on 2026-03-10.
    outage(conn, &s, (3600, 3600 + 1800), 5000, None);
    let cfg = AnalyticsConfig::default();
    let now = local(72, 0);
    let first_march = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let rows = compute_days(conn, &cfg, first_march, day(), now).unwrap();
    let m1 = rows
        .iter()
        .find(|r| r.zone == GridZone::Mombasa && r.date == first_march)
        .unwrap();
    let m10 = rows
        .iter()
        .find(|r| r.zone == GridZone::Mombasa && r.date == day())
        .unwrap();
    // 2026-03-01: 1,000 (before the estate); 2026-03-10: 2,500 (not today's 9,000).
    assert_eq!(reliability(m1).customers_served, 1000);
    assert_eq!(reliability(m10).customers_served, 2500);
    // 5,000 > 2,500: capped. SAIDI = 30 × 2,500 / 2,500 = 30 min; SAIFI 1.0.
    assert_eq!((m10.saidi, m10.saifi), (Some(30.0), Some(1.0)));
    assert_eq!(reliability(m10).capped_interruptions, 1);
    // Recomputing gives the same rows (nothing is frozen at the first computation any more,
    // and nothing needs to be).
    let again = compute_days(conn, &cfg, day(), day(), now).unwrap();
    assert_eq!(row(&again, GridZone::Mombasa), *m10);
    // An inactive substation serves no one from the day it is taken out (today).
    conn.update_substation(
        s.id,
        &SubstationUpdate {
            is_active: Some(false),
            ..Default::default()
        },
    )
    .unwrap();
    let later = compute_days(conn, &cfg, day(), day(), now).unwrap();
    assert_eq!(
        reliability(&row(&later, GridZone::Mombasa)).customers_served,
        2500
    );
}

#[test]
fn a_cascade_counts_its_load_and_customers_once_and_an_upstream_outage_reaches_downstream() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    // Nairobi: U (220 kV, 1,000 customers of its own) feeds D (66 kV, 3,000). U's incomer
    // carries 50 MW, D's own load (20 MW) included; D's incomer reads 20 MW.
    let u = substation(conn, "NRB-U", GridZone::Nairobi, 220, 1000, None);
    let d = substation(conn, "NRB-D", GridZone::Nairobi, 66, 3000, Some(&u));
    // A loop is refused by the database.
    let looped = conn.update_substation(
        u.id,
        &SubstationUpdate {
            fed_from: Some(Some(d.id)),
            ..Default::default()
        },
    );
    assert!(looped.is_err(), "{looped:?}");
    let (u_in, d_in) = (
        sensor(conn, &u, "U-IN", SensorType::Load),
        sensor(conn, &d, "D-IN", SensorType::Load),
    );
    let minutes = |s: &Sensor, mw: f64| -> Vec<Reading> {
        (0..1440)
            .map(|i| Reading::new(s.id, local(0, i), mw))
            .collect()
    };
    let mut all = minutes(&u_in, 50.0);
    all.extend(minutes(&d_in, 20.0));
    ingest(conn, all);
    // U loses supply 10:00–10:30 (protection names no device: the whole substation, and D
    // with it); D's own outage alert at 10:01 is the same interruption.
    outage(conn, &u, (36_000, 37_800), 1000, None);
    outage(conn, &d, (36_060, 37_800), 3000, None);
    let rows = compute_days(
        conn,
        &AnalyticsConfig::default(),
        day(),
        day(),
        local(72, 0),
    )
    .unwrap();
    let n = row(&rows, GridZone::Nairobi);
    // Load: 50 MW (U's incomer holds D's 20), not 70.
    assert_eq!((n.peak_load_mw, n.min_load_mw), (Some(50.0), Some(50.0)));
    // N_T = 1,000 + 3,000 = 4,000 (each substation's own feeders).
    let rel = reliability(&n);
    assert_eq!(rel.customers_served, 4000);
    // Interrupted: U's 1,000 and D's 3,000 for 30 min, once each:
    // SAIDI = 30 × 4,000 / 4,000 = 30 min; SAIFI = 4,000 / 4,000 = 1.0; two interruptions.
    assert_eq!((n.saidi, n.saifi), (Some(30.0), Some(1.0)));
    assert_eq!(n.total_outages, 2);
}

#[test]
fn excursions_leave_out_outages_and_a_silent_gap_ends_a_run() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let s = substation(conn, "KSM-V", GridZone::Kisumu, 132, 500, None);
    let v = sensor(conn, &s, "KSM-V-BUS", SensorType::Voltage);
    // 132 kV, band 118.8–145.0 kV. One reading a minute:
    // - minutes 100–104 at 150 kV: one run;
    // - minutes 200–201, 230–231 and 260–261 at 150 kV with nothing between: each 28-min
    //   gap (> 15 min) ends a run: three runs (one when a gap did not end a run);
    // - minutes 600–660 at 0 kV during an outage 10:00–11:01: none (one when the outage
    //   was not left out). Total 1 + 3 + 0 = 4.
    let value = |i: i64| match i {
        100..=104 | 200..=201 | 230..=231 | 260..=261 => Some(150.0),
        202..=229 | 232..=259 => None,
        600..=660 => Some(0.0),
        _ => Some(132.0),
    };
    let readings = (0..1440)
        .filter_map(|i| value(i).map(|x| Reading::new(v.id, local(0, i), x)))
        .collect();
    ingest(conn, readings);
    outage(conn, &s, (600 * 60, 661 * 60), 500, None);
    let rows = compute_days(
        conn,
        &AnalyticsConfig::default(),
        day(),
        day(),
        local(72, 0),
    )
    .unwrap();
    assert_eq!(row(&rows, GridZone::Kisumu).voltage_violations_count, 4);
}
