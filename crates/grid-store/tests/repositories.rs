//! Every repository method against the real database, through a caller's connection and
//! through the pooled store.

mod common;

use chrono::{Duration, NaiveDate};
use common::*;
use diesel::Connection;
use grid_model::*;
use grid_store::maintenance::MaintenanceCompletion;
use grid_store::sensors::SensorUpdate;
use grid_store::substations::SubstationUpdate;
use grid_store::transformers::TransformerCondition;
use grid_store::*;
use ipnetwork::IpNetwork;

#[test]
fn substations_crud_and_zone_summary() {
    let db = db();
    let mut store = PgStore::connect(&db.url(), 2).unwrap();
    let a = store
        .insert_substation(
            &NewSubstation::new(substation_draft("NRB-A", GridZone::Nairobi)).unwrap(),
        )
        .unwrap();
    let b = store
        .insert_substation(
            &NewSubstation::new(substation_draft("NRB-B", GridZone::Nairobi)).unwrap(),
        )
        .unwrap();
    store
        .insert_substation(
            &NewSubstation::new(substation_draft("MSA-A", GridZone::Mombasa)).unwrap(),
        )
        .unwrap();
    assert_eq!(store.substation(a.id).unwrap(), a);
    assert_eq!(store.substation_by_code("NRB-B").unwrap().id, b.id);
    assert!(matches!(
        store.substation_by_code("NOPE"),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.substations().unwrap().len(), 3);

    let conn = &mut db.conn();
    add_transformer(conn, &a, "T1");
    add_transformer(conn, &a, "T2");
    add_sensor(conn, &a, "A-V", SensorType::Voltage);
    add_sensor(conn, &a, "A-I", SensorType::Current);
    add_sensor(conn, &a, "A-F", SensorType::Frequency);
    add_sensor(conn, &b, "B-V", SensorType::Voltage);
    let zone = store.substations_of_zone(GridZone::Nairobi).unwrap();
    let counts: Vec<_> = zone
        .iter()
        .map(|z| {
            (
                z.substation.code.as_str(),
                z.sensor_count,
                z.transformer_count,
            )
        })
        .collect();
    assert_eq!(counts, vec![("NRB-A", 3, 2), ("NRB-B", 1, 0)]);
    assert!(
        store
            .substations_of_zone(GridZone::Kisumu)
            .unwrap()
            .is_empty()
    );

    // updated_at moves only on a real change, and callers cannot set it.
    let same = store
        .update_substation(
            a.id,
            &SubstationUpdate {
                customers_served: Some(a.customers_served),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(same.updated_at, a.updated_at);
    let changed = store
        .update_substation(
            a.id,
            &SubstationUpdate {
                customers_served: Some(40_000),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(changed.customers_served, 40_000);
    assert!(changed.updated_at > a.updated_at);
    let err = store
        .update_substation(
            a.id,
            &SubstationUpdate {
                customers_served: Some(-1),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.invalid_fields(), ["customers_served"]);
    let err = store
        .update_substation(
            a.id,
            &SubstationUpdate {
                metadata: Some(serde_json::json!(3)),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.invalid_fields(), ["metadata"]);
    assert!(matches!(
        store.update_substation(
            uuid::Uuid::new_v4(),
            &SubstationUpdate {
                is_active: Some(false),
                ..Default::default()
            }
        ),
        Err(StoreError::NotFound { .. })
    ));
    let dup = store
        .insert_substation(
            &NewSubstation::new(substation_draft("NRB-A", GridZone::Nairobi)).unwrap(),
        )
        .unwrap_err();
    assert!(
        matches!(
            dup,
            StoreError::Conflict {
                entity: "substation",
                ..
            }
        ),
        "{dup}"
    );
    store.delete_substation(b.id).unwrap();
    assert_eq!(store.substations().unwrap().len(), 2);
}

#[test]
fn transformers_condition_and_risk() {
    let db = db();
    let conn = &mut db.conn();
    let s = add_substation(conn, "TR-1", GridZone::Central);
    let t1 = add_transformer(conn, &s, "T1");
    let t2 = add_transformer(conn, &s, "T2");
    let t3 = add_transformer(conn, &s, "T3");
    add_transformer(conn, &s, "T4");
    assert_eq!(conn.transformer(t1.id).unwrap(), t1);
    let names: Vec<_> = conn
        .transformers_of_substation(s.id)
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["T1", "T2", "T3", "T4"]);

    let set = |r: f64, h: f64| TransformerCondition {
        relative_risk_index: Some(Some(r)),
        health_score: Some(h),
        ..Default::default()
    };
    conn.update_transformer_condition(t1.id, &set(3.0, 70.0))
        .unwrap();
    conn.update_transformer_condition(t2.id, &set(0.5, 35.0))
        .unwrap();
    let t3 = conn
        .update_transformer_condition(
            t3.id,
            &TransformerCondition {
                relative_risk_index: Some(Some(3.0)),
                health_score: Some(50.0),
                load_percentage: Some(135.0),
                oil_temperature_celsius: Some(98.5),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        (t3.load_percentage, t3.oil_temperature_celsius),
        (135.0, Some(98.5))
    );
    let risky: Vec<_> = conn
        .transformers_at_risk(2.0, 40.0)
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(risky, ["T3", "T1", "T2"]);
    let err = conn
        .update_transformer_condition(
            t1.id,
            &TransformerCondition {
                load_percentage: Some(250.0),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.invalid_fields(), ["load_percentage"]);
    conn.delete_transformer(t1.id).unwrap();
    assert!(matches!(
        conn.transformer(t1.id),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn sensors_queries_calibration_and_last_reading() {
    let db = db();
    let conn = &mut db.conn();
    let s = add_substation(conn, "SN-1", GridZone::Kisumu);
    let tr = add_transformer(conn, &s, "T1");
    let v = add_sensor(conn, &s, "SN-V1", SensorType::Voltage);
    let v2 = add_sensor(conn, &s, "SN-V2", SensorType::Voltage);
    let mut d = SensorDraft::new(s.id, "SN-OIL", SensorType::TransformerOil);
    d.transformer_id = Some(tr.id);
    d.ip_address = Some("10.20.0.15".parse().unwrap());
    d.port = Some(502);
    d.protocol = Some("Modbus".into());
    d.next_calibration_date = Some(t(2026, 2, 1, 0, 0));
    let oil = conn.insert_sensor(&NewSensor::new(d).unwrap()).unwrap();
    assert_eq!(oil.ip_address, Some("10.20.0.15".parse().unwrap()));
    assert_eq!(conn.sensor_by_tag("SN-OIL").unwrap().id, oil.id);
    assert_eq!(conn.sensor(v.id).unwrap(), v);
    assert_eq!(conn.sensors().unwrap().len(), 3);

    let faulty = conn
        .update_sensor(
            v2.id,
            &SensorUpdate {
                status: Some(SensorStatus::Faulty),
                next_calibration_date: Some(t(2026, 1, 15, 0, 0)),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(faulty.status, SensorStatus::Faulty);
    let voltage: Vec<_> = conn
        .sensors_of_substation(s.id, Some(SensorType::Voltage), None)
        .unwrap()
        .into_iter()
        .map(|x| x.tag)
        .collect();
    assert_eq!(voltage, ["SN-V1", "SN-V2"]);
    let active_voltage = conn
        .sensors_of_substation(s.id, Some(SensorType::Voltage), Some(SensorStatus::Active))
        .unwrap();
    assert_eq!(active_voltage.len(), 1);
    assert_eq!(
        conn.sensors_of_substation(s.id, None, None).unwrap().len(),
        3
    );

    // Due for calibration: most overdue first; an inactive sensor is not reported.
    let due: Vec<_> = conn
        .sensors_due_for_calibration(t(2026, 3, 1, 0, 0))
        .unwrap()
        .into_iter()
        .map(|x| x.tag)
        .collect();
    assert_eq!(due, ["SN-V2", "SN-OIL"]);
    conn.update_sensor(
        v2.id,
        &SensorUpdate {
            status: Some(SensorStatus::Inactive),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        conn.sensors_due_for_calibration(t(2026, 3, 1, 0, 0))
            .unwrap()
            .len(),
        1
    );
    assert!(
        conn.sensors_due_for_calibration(t(2026, 1, 1, 0, 0))
            .unwrap()
            .is_empty()
    );

    let err = conn
        .update_sensor(
            v.id,
            &SensorUpdate {
                calibration_scale: Some(0.0),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.invalid_fields(), ["calibration_scale"]);
    let detached = conn
        .update_sensor(
            oil.id,
            &SensorUpdate {
                transformer_id: Some(None),
                ip_address: Some(None),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((detached.transformer_id, detached.ip_address), (None, None));

    // last_reading_at only moves forward, and does not count as an edit.
    let before = conn.sensor(v.id).unwrap();
    let n = sensors::advance_last_reading_at(
        conn,
        &[(v.id, t(2026, 1, 1, 10, 0)), (v.id, t(2026, 1, 1, 9, 0))],
    )
    .unwrap();
    assert_eq!(n, 1);
    let moved = conn.sensor(v.id).unwrap();
    assert_eq!(moved.last_reading_at, Some(t(2026, 1, 1, 10, 0)));
    assert_eq!(moved.updated_at, before.updated_at);
    assert_eq!(
        sensors::advance_last_reading_at(conn, &[(v.id, t(2026, 1, 1, 8, 0))]).unwrap(),
        0
    );
    assert_eq!(
        conn.sensor(v.id).unwrap().last_reading_at,
        Some(t(2026, 1, 1, 10, 0))
    );

    conn.delete_sensor(v.id).unwrap();
    assert!(matches!(
        conn.delete_sensor(v.id),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn maintenance_lifecycle_and_due_list() {
    let db = db();
    let conn = &mut db.conn();
    let s = add_substation(conn, "MT-1", GridZone::Nakuru);
    let tr = add_transformer(conn, &s, "T1");
    let job = |title: &str, kind: MaintenanceType, at| {
        let mut d = MaintenanceDraft::new(kind, title);
        d.transformer_id = Some(tr.id);
        d.scheduled_date = Some(at);
        d.team_size = 3;
        NewMaintenance::new(d).unwrap()
    };
    let now = t(2026, 5, 10, 8, 0);
    let overdue = conn
        .insert_maintenance(&job(
            "Oil sampling",
            MaintenanceType::Predictive,
            now - Duration::days(3),
        ))
        .unwrap();
    let soon = conn
        .insert_maintenance(&job(
            "Annual service",
            MaintenanceType::Preventive,
            now + Duration::days(5),
        ))
        .unwrap();
    let later = conn
        .insert_maintenance(&job(
            "Repaint",
            MaintenanceType::Preventive,
            now + Duration::days(60),
        ))
        .unwrap();
    assert_eq!(conn.maintenance(overdue.id).unwrap(), overdue);

    let due = conn.maintenance_due(now, Duration::days(30)).unwrap();
    let listed: Vec<_> = due.iter().map(|d| (d.record.id, d.overdue)).collect();
    assert_eq!(listed, vec![(overdue.id, true), (soon.id, false)]);

    let started = conn.start_maintenance(overdue.id, now).unwrap();
    assert_eq!(
        (started.status, started.started_at),
        (MaintenanceStatus::InProgress, Some(now))
    );
    assert!(matches!(
        conn.start_maintenance(overdue.id, now),
        Err(StoreError::Conflict { .. })
    ));
    let done = conn
        .complete_maintenance(
            overdue.id,
            &MaintenanceCompletion {
                completed_at: now + Duration::minutes(150),
                findings: Some("moisture 28 ppm".into()),
                parts_replaced: vec!["silica gel breather".into()],
                was_successful: Some(true),
                labor_cost: Some(12_000.0),
                parts_cost: Some(3_500.0),
                next_maintenance_date: Some(now + Duration::days(180)),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(done.status, MaintenanceStatus::Completed);
    assert_eq!(done.duration_hours, Some(2.5));
    assert_eq!(done.total_cost, Some(15_500.0));
    assert_eq!(done.parts_replaced, ["silica gel breather"]);
    let tr_after = transformers::get(conn, tr.id).unwrap();
    assert_eq!(
        tr_after.last_maintenance_date,
        Some(now + Duration::minutes(150))
    );
    assert_eq!(
        tr_after.next_maintenance_date,
        Some(now + Duration::days(180))
    );
    assert!(matches!(
        conn.cancel_maintenance(overdue.id),
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        conn.cancel_maintenance(later.id).unwrap().status,
        MaintenanceStatus::Cancelled
    );

    assert_eq!(conn.maintenance_of_transformer(tr.id).unwrap().len(), 3);
    let worked = conn
        .maintenance_worked_between(now - Duration::hours(1), now + Duration::hours(1))
        .unwrap();
    assert_eq!(
        worked.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![overdue.id]
    );
    assert!(
        conn.maintenance_worked_between(now + Duration::hours(3), now + Duration::hours(4)) // lint-ok: a span of three hours, not a zone offset
            .unwrap()
            .is_empty()
    );
}

#[test]
fn forecasts_and_mape_per_zone() {
    let db = db();
    let conn = &mut db.conn();
    let add = |conn: &mut PgConnection, zone, h, predicted, actual: Option<f64>| {
        let f = conn
            .insert_forecast(
                &NewForecast::new(ForecastDraft::new(zone, t(2026, 6, 1, h, 0), predicted))
                    .unwrap(),
            )
            .unwrap();
        match actual {
            Some(a) => conn
                .record_forecast_actual(f.id, a, t(2026, 6, 1, h, 5))
                .unwrap(),
            None => f,
        }
    };
    // Nairobi: |100-110|/110, |200-190|/190  → MAPE = 50·(1/11 + 1/19) %
    add(conn, GridZone::Nairobi, 10, 110.0, Some(100.0));
    let f = add(conn, GridZone::Nairobi, 11, 190.0, Some(200.0));
    add(conn, GridZone::Nairobi, 12, 150.0, None);
    // Kisumu: one zero actual (left out of MAPE), one exact.
    add(conn, GridZone::Kisumu, 10, 5.0, Some(0.0));
    add(conn, GridZone::Kisumu, 11, 40.0, Some(40.0));
    add(conn, GridZone::Kisumu, 23, 40.0, Some(10.0)); // outside the period below

    assert_eq!(conn.forecast(f.id).unwrap().actual_load_mw, Some(200.0));
    assert_eq!(
        conn.forecasts_of_zone(GridZone::Nairobi, t(2026, 6, 1, 0, 0), t(2026, 6, 2, 0, 0))
            .unwrap()
            .len(),
        3
    );
    let acc = conn
        .forecast_accuracy_by_zone(t(2026, 6, 1, 0, 0), t(2026, 6, 1, 20, 0))
        .unwrap();
    assert_eq!(acc.len(), 2);
    let nairobi = &acc[0];
    assert_eq!(
        (nairobi.zone, nairobi.compared, nairobi.zero_actuals),
        (GridZone::Nairobi, 2, 0)
    );
    let expected = 50.0 * (10.0 / 100.0 + 10.0 / 200.0);
    assert!(
        (nairobi.mape_percent.unwrap() - expected).abs() < 1e-9,
        "{nairobi:?}"
    );
    assert!((nairobi.mae_mw.unwrap() - 10.0).abs() < 1e-9);
    let kisumu = &acc[1];
    assert_eq!(
        (kisumu.zone, kisumu.compared, kisumu.zero_actuals),
        (GridZone::Kisumu, 2, 1)
    );
    assert_eq!(kisumu.mape_percent, Some(0.0));
    assert!(
        conn.record_forecast_actual(f.id, f64::NAN, t(2026, 6, 1, 11, 5))
            .is_err()
    );
}

#[test]
fn anomalies_queue_and_investigation() {
    let db = db();
    let conn = &mut db.conn();
    let s = add_substation(conn, "AN-1", GridZone::Western);
    let sensor = add_sensor(conn, &s, "AN-V", SensorType::Voltage);
    let add = |conn: &mut PgConnection, sev, h| {
        let mut d = AnomalyDraft::new(sensor.id, "spike", t(2026, 7, 1, h, 0), 0.9, sev);
        d.potential_causes = vec!["lightning".into()];
        conn.insert_anomaly(&NewAnomaly::new(d).unwrap()).unwrap()
    };
    let w = add(conn, AlertSeverity::Warning, 1);
    let c_late = add(conn, AlertSeverity::Critical, 5);
    let c_early = add(conn, AlertSeverity::Critical, 2);
    assert_eq!(conn.anomaly(w.id).unwrap().potential_causes, ["lightning"]);
    let queue: Vec<_> = conn
        .uninvestigated_anomalies(10)
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(queue, vec![c_early.id, c_late.id, w.id]);
    let done = conn
        .mark_anomaly_investigated(c_early.id, true, Some("CT saturation"))
        .unwrap();
    assert_eq!(
        (done.investigated, done.is_false_positive),
        (true, Some(true))
    );
    assert_eq!(conn.uninvestigated_anomalies(1).unwrap()[0].id, c_late.id);
}

#[test]
fn security_events_by_address_or_network_in_a_window() {
    let db = db();
    let conn = &mut db.conn();
    let add = |conn: &mut PgConnection, ip: &str, h| {
        let mut d =
            SecurityEventDraft::new("failed_login", AlertSeverity::Warning, t(2026, 8, 1, h, 0));
        d.source_ip = Some(ip.parse().unwrap());
        d.target_system = Some("RTU-NRB-01".into());
        conn.insert_security_event(&NewSecurityEvent::new(d).unwrap())
            .unwrap()
    };
    let a = add(conn, "10.1.2.3", 1);
    let b = add(conn, "10.1.9.9", 2);
    add(conn, "10.1.2.3", 9);
    add(conn, "192.0.2.7", 2);
    assert_eq!(conn.security_event(a.id).unwrap().source_ip, a.source_ip);
    let one: IpNetwork = "10.1.2.3".parse().unwrap();
    let ids: Vec<_> = conn
        .security_events_from(one, t(2026, 8, 1, 0, 0), t(2026, 8, 1, 5, 0))
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, vec![a.id]);
    let net: IpNetwork = "10.1.0.0/16".parse().unwrap();
    let ids: Vec<_> = conn
        .security_events_from(net, t(2026, 8, 1, 0, 0), t(2026, 8, 1, 5, 0))
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, vec![a.id, b.id]);
    let e = conn
        .mark_security_event_investigated(b.id, true, Some("account locked"))
        .unwrap();
    assert_eq!(
        (e.investigated, e.is_threat, e.response_action.as_deref()),
        (true, Some(true), Some("account locked"))
    );
}

#[test]
fn repeats_of_a_security_event_fold_into_one_row_within_the_window() {
    let db = db();
    let conn = &mut db.conn();
    let at = |m: i64| t(2026, 8, 2, 10, 0) + Duration::minutes(m);
    let event = |m: i64| {
        NewSecurityEvent::new(
            SecurityEventDraft::of(
                SecurityEventKind::ForbiddenFunction,
                AlertSeverity::Warning,
                at(m),
            )
            .command("FC08 diagnostics sub-function 1 (restart communications), unit 1"),
        )
        .unwrap()
    };
    let window = Duration::minutes(10);
    let key = "forbidden_function|10.9.9.9|rtu-1|8";
    let first = conn
        .record_security_event(&event(0), key, window, 1)
        .unwrap();
    assert!(first.new);
    // Three more within 10 minutes of the last one seen: the same row, counted.
    for m in [3, 9, 15] {
        let r = conn
            .record_security_event(&event(m), key, window, 1)
            .unwrap();
        assert!(!r.new);
        assert_eq!(r.event.id, first.event.id);
    }
    let row = conn.security_event(first.event.id).unwrap();
    assert_eq!(
        (row.occurrences, row.occurred_at, row.last_seen_at),
        (4, at(0), at(15))
    );
    // 26 minutes after the last one: a new row; another key: a new row; a batch of 50.
    assert!(
        conn.record_security_event(&event(41), key, window, 1)
            .unwrap()
            .new
    );
    let scan = conn
        .record_security_event(&event(42), "scan|10.9.9.9|rtu-1|unit_ids", window, 50)
        .unwrap();
    assert!(scan.new);
    assert_eq!(scan.event.occurrences, 50);
}

#[test]
fn daily_statistics_upsert_per_date_and_zone() {
    let db = db();
    let mut store = PgStore::connect(&db.url(), 2).unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let mut s = DailyStatistics::empty(day, GridZone::Nairobi);
    s.peak_load_mw = Some(410.0);
    s.total_outages = 2;
    let first = store.upsert_daily_statistics(&s).unwrap();
    assert_eq!(first, s);
    store
        .upsert_daily_statistics(&DailyStatistics::empty(day, GridZone::Mombasa))
        .unwrap();
    s.peak_load_mw = Some(415.5);
    s.saidi = Some(3.2);
    assert_eq!(store.upsert_daily_statistics(&s).unwrap(), s);
    assert_eq!(
        store
            .daily_statistics(day, GridZone::Nairobi)
            .unwrap()
            .peak_load_mw,
        Some(415.5)
    );
    assert_eq!(store.daily_statistics_between(day, day).unwrap().len(), 2);
    assert!(matches!(
        store.daily_statistics(day, GridZone::Coastal),
        Err(StoreError::NotFound { .. })
    ));
    s.total_outages = -1;
    assert_eq!(
        store
            .upsert_daily_statistics(&s)
            .unwrap_err()
            .invalid_fields(),
        ["total_outages"]
    );
}

#[test]
fn repository_calls_compose_in_one_transaction() {
    let db = db();
    let conn = &mut db.conn();
    let result: Result<(), StoreError> = conn.transaction(|c| {
        let s = c.insert_substation(
            &NewSubstation::new(substation_draft("TX-1", GridZone::Coastal)).unwrap(),
        )?;
        c.insert_sensor(
            &NewSensor::new(SensorDraft::new(s.id, "TX-S", SensorType::Load)).unwrap(),
        )?;
        // The second sensor reuses the tag: the whole unit of work must go.
        c.insert_sensor(
            &NewSensor::new(SensorDraft::new(s.id, "TX-S", SensorType::Load)).unwrap(),
        )?;
        Ok(())
    });
    assert!(matches!(result, Err(StoreError::Conflict { .. })));
    assert!(conn.substations().unwrap().is_empty());
    assert!(conn.sensors().unwrap().is_empty());
}

#[test]
fn an_unreachable_database_is_unavailable_not_a_panic() {
    let timeout = std::time::Duration::from_millis(500);
    let err = PgStore::connect_with_timeout("postgres://nobody@127.0.0.1:1/none", 1, timeout)
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
}
