//! The alarm engine in the ingest path and over history, against a real database: one
//! alarm per condition with its grade history, cleared once; nothing twice on a re-run or
//! after a restart; shelving; suppression during an outage; floods; late readings recorded
//! as history.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::prelude::*;
use grid_alarms_store::{Action, AlarmEngine, AlarmSettings, act, evaluate_range};
use grid_model::{
    Alert, AlertAction, AlertDraft, AlertKind, AlertSeverity, AlertStatus, AlertTransition,
    GridZone, NewAlert, Sensor, SensorType,
};
use grid_store::AlertRepository;
use grid_store::schema::grid_alerts;
use grid_testdb::TestDb;
use grid_testkit::{READY, sensor, substation};
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, TimePolicy};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 6, 0, 0).unwrap()
}

/// The settings of a live feed: the test day's readings count as arriving as they were
/// measured (nothing is late), as in the SCADA path.
fn live() -> AlarmSettings {
    AlarmSettings {
        late_after: Duration::days(3650),
        ..Default::default()
    }
}

fn ingester(conn: &mut PgConnection) -> Ingester {
    Ingester::new(
        conn,
        Default::default(),
        IngestOptions {
            time_policy: TimePolicy::replay(),
            ..Default::default()
        },
    )
    .unwrap()
}

/// Readings every 10 s over `[from, to)` seconds after t0, of `value(second)`.
fn series(s: &Sensor, from: i64, to: i64, value: impl Fn(i64) -> f64) -> Vec<Reading> {
    (from..to)
        .step_by(10)
        .map(|i| Reading::new(s.id, t0() + Duration::seconds(i), value(i)))
        .collect()
}

fn alerts_of(conn: &mut PgConnection, s: &Sensor) -> Vec<Alert> {
    conn.alerts_raised_between(t0() - Duration::days(1), t0() + Duration::days(2))
        .unwrap()
        .into_iter()
        .filter(|a| a.sensor_id == Some(s.id))
        .collect()
}

fn grades(a: &Alert) -> Vec<String> {
    a.metadata["alarm"]["grades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["grade"].as_str().unwrap().to_owned())
        .collect()
}

/// A 132 kV bus: 132 kV, a ten-minute sag to 0.83 pu (109.6 kV) from 10 minutes in, back.
fn sag(i: i64) -> f64 {
    if (600..1200).contains(&i) {
        109.56
    } else {
        132.0
    }
}

#[test]
fn a_sag_is_one_alarm_graded_and_cleared_once_and_a_rerun_raises_nothing() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let s = substation(conn, "ALM-A", GridZone::Nakuru, 132);
    let v = sensor(conn, &s, "ALM-A-V", SensorType::Voltage);
    let mut ing = ingester(conn);
    let mut engine = AlarmEngine::new(live());
    // In three batches, the sag spanning two of them.
    let all = series(&v, 0, 1800, sag);
    for batch in all.chunks(70) {
        ing.ingest_batch_scored(conn, batch.to_vec(), &mut engine)
            .unwrap();
    }
    let alerts = alerts_of(conn, &v);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(a.alert_type, AlertKind::VoltageLow);
    assert_eq!(
        grades(a),
        ["lolo"],
        "straight to LoLo: 0.83 pu stayed below 0.90 pu"
    );
    assert_eq!(a.severity, AlertSeverity::Critical);
    assert_eq!(a.created_at, t0() + Duration::seconds(600));
    assert_eq!(a.status, AlertStatus::Resolved);
    assert_eq!(a.resolved_at, Some(t0() + Duration::seconds(1200)));
    assert_eq!(a.metadata["alarm"]["late"], false);
    assert_eq!(engine.counts().raised, 1);
    assert_eq!(engine.counts().cleared, 1);

    // The same day again, by the history run and by a new engine: nothing new.
    let mut again = AlarmEngine::new(live());
    let c = evaluate_range(conn, &mut again, t0(), t0() + Duration::hours(1)).unwrap();
    assert_eq!((c.raised, c.cleared), (0, 0), "{c:?}");
    // The state stored with the clearing batch (its last reading the 140th): the third
    // batch left the point quiet, so its row was not written again, and the history run
    // evaluates those 40 readings afresh from the quiet state, to the same (no) events.
    assert_eq!(c.already_evaluated, 140);
    assert_eq!(alerts_of(conn, &v).len(), 1);
}

#[test]
fn the_history_run_finds_what_ingest_did_not_evaluate_and_marks_it_late() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let s = substation(conn, "ALM-H", GridZone::Nakuru, 132);
    let v = sensor(conn, &s, "ALM-H-V", SensorType::Voltage);
    // Stored without the engine (an import from another system).
    let mut ing = ingester(conn);
    ing.ingest_batch(conn, series(&v, 0, 1800, sag)).unwrap();
    let mut engine = AlarmEngine::new(AlarmSettings::default());
    let c = evaluate_range(conn, &mut engine, t0(), t0() + Duration::hours(1)).unwrap();
    assert_eq!((c.raised, c.late, c.cleared), (1, 1, 1), "{c:?}");
    let a = &alerts_of(conn, &v)[0];
    assert_eq!(a.metadata["alarm"]["late"], true);
    assert_eq!(a.metadata["alarm"]["announced"], false);
    assert_eq!(
        a.status,
        AlertStatus::Resolved,
        "raised-and-cleared history"
    );
    let c = evaluate_range(conn, &mut engine, t0(), t0() + Duration::hours(1)).unwrap();
    assert_eq!(c.raised, 0);
}

#[test]
fn a_restart_mid_alarm_neither_repeats_nor_loses_it() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let s = substation(conn, "ALM-R", GridZone::Nakuru, 400);
    let v = sensor(conn, &s, "ALM-R-V", SensorType::Voltage);
    let mut ing = ingester(conn);
    // Hi (416 kV) at 417, then HiHi (418) at 419, then back to Hi, then normal.
    let value = |i: i64| match i {
        0..300 => 400.0,
        300..600 => 417.0,
        600..900 => 419.0,
        900..1200 => 413.0,
        _ => 400.0,
    };
    let mut first = AlarmEngine::new(live());
    ing.ingest_batch_scored(conn, series(&v, 0, 700, value), &mut first)
        .unwrap();
    drop(first);
    // A new process: the stored state goes on.
    let mut second = AlarmEngine::new(live());
    let mut ing = ingester(conn);
    ing.ingest_batch_scored(conn, series(&v, 700, 1800, value), &mut second)
        .unwrap();
    let alerts = alerts_of(conn, &v);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(grades(&alerts[0]), ["hi", "hihi", "hi"]);
    assert_eq!(alerts[0].status, AlertStatus::Resolved);
    assert_eq!(second.counts().raised, 0);
    assert_eq!(second.counts().cleared, 1);
}

#[test]
fn a_shelved_alarm_is_silent_until_its_shelving_ends_then_announced() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let s = substation(conn, "ALM-S", GridZone::Nakuru, 132);
    let v = sensor(conn, &s, "ALM-S-V", SensorType::Voltage);
    let mut ing = ingester(conn);
    let mut engine = AlarmEngine::new(live());
    // Evaluated once (the point's row), then shelved for 20 minutes from t0 + 5 min.
    ing.ingest_batch_scored(conn, series(&v, 0, 300, |_| 132.0), &mut engine)
        .unwrap();
    let until = t0() + Duration::minutes(25);
    act(
        conn,
        v.id,
        "wanjiku",
        &Action::Shelve {
            until,
            reason: "breaker maintenance".into(),
        },
        t0() + Duration::minutes(5),
    )
    .unwrap();
    // The running engine sees the shelving with its next batch.
    ing.ingest_batch_scored(
        conn,
        series(&v, 300, 1200, |i| if i >= 600 { 110.0 } else { 132.0 }),
        &mut engine,
    )
    .unwrap();
    assert!(alerts_of(conn, &v).is_empty(), "silent while shelved");
    assert_eq!(engine.counts().shelved, 1);
    // The shelving ends at 25 minutes with the bus still low: announced then.
    ing.ingest_batch_scored(conn, series(&v, 1200, 1800, |_| 110.0), &mut engine)
        .unwrap();
    let alerts = alerts_of(conn, &v);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].created_at, until);
    assert_eq!(
        alerts[0].metadata["alarm"]["reannounced_after_shelving"],
        true
    );
    assert_eq!(alerts[0].status, AlertStatus::Open);
    // The action is on record, append-only.
    let logged: i64 = grid_store::schema::alarm_actions::table
        .filter(grid_store::schema::alarm_actions::sensor_id.eq(v.id))
        .count()
        .get_result(conn)
        .unwrap();
    assert_eq!(logged, 1);
    // A shelving without a reason, or ending before it begins, is refused.
    assert!(
        act(
            conn,
            v.id,
            "x",
            &Action::Shelve {
                until,
                reason: " ".into()
            },
            t0()
        )
        .is_err()
    );
    assert!(
        act(
            conn,
            v.id,
            "x",
            &Action::Shelve {
                until: t0(),
                reason: "r".into()
            },
            until
        )
        .is_err()
    );
}

#[test]
fn a_dead_bus_raises_nothing_while_its_substation_is_out() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let s = substation(conn, "ALM-O", GridZone::Kisumu, 132);
    let v = sensor(conn, &s, "ALM-O-V", SensorType::Voltage);
    let mut d = AlertDraft::new(AlertKind::Outage, AlertSeverity::Emergency, "Supply lost");
    d.substation_id = Some(s.id);
    d.raised_at = t0() + Duration::minutes(10);
    let outage = conn.raise_alert(&NewAlert::new(d).unwrap()).unwrap();
    let restore = AlertTransition::now(AlertAction::Resolve { notes: None }, "protection")
        .at(t0() + Duration::minutes(20));
    conn.transition_alert(outage.id, &restore).unwrap();
    let mut ing = ingester(conn);
    let mut engine = AlarmEngine::new(live());
    ing.ingest_batch_scored(
        conn,
        series(&v, 0, 1800, |i| {
            if (600..1200).contains(&i) { 0.0 } else { 132.0 }
        }),
        &mut engine,
    )
    .unwrap();
    assert!(alerts_of(conn, &v).is_empty());
    assert_eq!(engine.counts().not_evaluated, 60);
}

#[test]
fn eleven_alarms_of_a_zone_in_ten_minutes_are_one_flood_alert() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let mut sensors = Vec::new();
    for i in 0..11 {
        let s = substation(conn, &format!("FLD-{i}"), GridZone::Western, 132);
        sensors.push(sensor(conn, &s, &format!("FLD-{i}-V"), SensorType::Voltage));
    }
    let mut ing = ingester(conn);
    let mut engine = AlarmEngine::new(live());
    // Each bus sags 40 s after the one before: eleven alarms within 7 minutes.
    let mut batch = Vec::new();
    for (k, v) in sensors.iter().enumerate() {
        let start = 60 + 40 * k as i64;
        batch.extend(series(v, 0, 1800, |i| {
            if (start..start + 300).contains(&i) {
                110.0
            } else {
                132.0
            }
        }));
    }
    ing.ingest_batch_scored(conn, batch, &mut engine).unwrap();
    let floods: Vec<(serde_json::Value, AlertStatus)> = grid_alerts::table
        .filter(grid_alerts::alert_type.eq(AlertKind::AlarmFlood.as_str()))
        .select((grid_alerts::metadata, grid_alerts::status))
        .load::<(serde_json::Value, grid_store::enums::DbAlertStatus)>(conn)
        .unwrap()
        .into_iter()
        .map(|(m, s)| (m, s.into()))
        .collect();
    assert_eq!(floods.len(), 1, "{floods:?}");
    assert_eq!(floods[0].0["flood"]["first_out"], "FLD-0-V");
    assert_eq!(floods[0].0["flood"]["count"], 11);
    assert_eq!(
        floods[0].1,
        AlertStatus::Resolved,
        "over within the half hour"
    );
    assert_eq!(engine.counts().floods, 1);
    // The eleventh alarm is the flood's member and names it.
    let last = &alerts_of(conn, &sensors[10])[0];
    assert!(
        last.metadata["alarm"]["flood_alert_id"].is_string(),
        "{last:#?}"
    );
    let first = &alerts_of(conn, &sensors[0])[0];
    assert!(first.metadata["alarm"]["flood_alert_id"].is_null());
}

#[test]
fn a_batch_whose_alarms_cannot_be_evaluated_is_refused_whole_and_its_retry_evaluates_it() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let s = substation(conn, "ALM-F", GridZone::Nakuru, 132);
    let v = sensor(conn, &s, "ALM-F-V", SensorType::Voltage);
    let mut ing = ingester(conn);
    let mut engine = AlarmEngine::new(live());
    ing.ingest_batch_scored(conn, series(&v, 0, 300, |_| 132.0), &mut engine)
        .unwrap();
    // A state another version wrote, which this one cannot read.
    diesel::sql_query("UPDATE alarm_points SET state = '{\"format\": 99}'")
        .execute(conn)
        .unwrap();
    let mut restarted = AlarmEngine::new(live());
    let sag = series(&v, 300, 1500, sag);
    let err = ing
        .ingest_batch_scored(conn, sag.clone(), &mut restarted)
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("limit alarm evaluation failed") && text.contains(&v.id.to_string()),
        "{text}"
    );
    let stored: i64 = grid_store::schema::sensor_readings::table
        .count()
        .get_result(conn)
        .unwrap();
    assert_eq!(stored, 30, "nothing of the refused batch is stored");
    assert!(alerts_of(conn, &v).is_empty());
    // Once the state is removed (the point starts afresh), the retry stores and evaluates.
    diesel::sql_query("DELETE FROM alarm_points")
        .execute(conn)
        .unwrap();
    let report = ing.ingest_batch_scored(conn, sag, &mut restarted).unwrap();
    assert_eq!(report.inserted, 120);
    assert_eq!(alerts_of(conn, &v).len(), 1);
    assert_eq!(restarted.counts().raised, 1);
}
