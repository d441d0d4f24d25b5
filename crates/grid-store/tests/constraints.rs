//! Every database CHECK rejects bad input with a typed error naming the field, and writes
//! nothing. The bad rows go through the unchecked row path, bypassing grid-model's
//! validation, which would otherwise catch them first.

mod common;

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use common::*;
use diesel::prelude::*;
use grid_model::*;
use grid_store::enums::{DbThermalAmbientSource, DbThermalLoadSource, DbThermalMethod};
use grid_store::error::CHECK_CONSTRAINTS;
use grid_store::schema::sensor_readings;
use grid_store::{
    SensorRepository, StoreError, StoreResult, alerts, anomalies, forecasts, maintenance, security,
    sensors, statistics, substations, thermal, transformers,
};
use grid_testdb::count;

struct Hits {
    seen: BTreeSet<String>,
}

impl Hits {
    /// Asserts `result` is Invalid naming `field` of `entity` and records which constraint
    /// fired (callers check that the table gained no row).
    fn expect<T: std::fmt::Debug>(
        &mut self,
        conn: &mut PgConnection,
        table: &str,
        entity: &str,
        field: &str,
        result: StoreResult<T>,
    ) {
        let _ = (conn, table);
        match result {
            Err(StoreError::Invalid(v)) => {
                assert_eq!(v.entity, entity, "{v}");
                assert_eq!(v.fields(), [field], "{v}");
                let reason = &v.errors[0].reason;
                let name = reason
                    .strip_prefix("violates ")
                    .and_then(|r| r.split(':').next())
                    .unwrap_or_else(|| panic!("no constraint named in {reason:?}"));
                self.seen.insert(name.to_owned());
            }
            other => panic!("{table}.{field}: expected Invalid, got {other:?}"),
        }
    }

    fn rows(&self, conn: &mut PgConnection, table: &str) -> i64 {
        count(conn, &format!("SELECT count(*) AS n FROM {table}"))
    }
}

/// Runs `insert` and checks the outcome and that the table did not grow.
macro_rules! rejects {
    ($hits:expr, $conn:expr, $table:literal, $entity:literal, $field:literal, $insert:expr) => {{
        let before = $hits.rows($conn, $table);
        let result = $insert;
        $hits.expect($conn, $table, $entity, $field, result);
        assert_eq!($hits.rows($conn, $table), before, "{} gained a row", $table);
    }};
}

#[test]
fn every_check_rejects_bad_input_naming_the_field_and_writes_nothing() {
    let db = db();
    let conn = &mut db.conn();
    let mut hits = Hits {
        seen: BTreeSet::new(),
    };
    let s = add_substation(conn, "CHK-1", GridZone::Kisumu);
    let sensor = add_sensor(conn, &s, "CHK-S1", SensorType::Voltage);

    // Substations.
    let good = substations::NewSubstationRow::from(
        &NewSubstation::new(substation_draft("CHK-2", GridZone::Kisumu)).unwrap(),
    );
    let sub = |f: fn(&mut substations::NewSubstationRow)| {
        let mut r = good.clone();
        f(&mut r);
        r
    };
    rejects!(
        hits,
        conn,
        "grid_substations",
        "substation",
        "latitude",
        substations::insert_row(conn, &sub(|r| r.latitude = 91.0))
    );
    rejects!(
        hits,
        conn,
        "grid_substations",
        "substation",
        "longitude",
        substations::insert_row(conn, &sub(|r| r.longitude = -181.0))
    );
    rejects!(
        hits,
        conn,
        "grid_substations",
        "substation",
        "voltage_level_kv",
        substations::insert_row(conn, &sub(|r| r.voltage_level_kv = 110))
    );
    rejects!(
        hits,
        conn,
        "grid_substations",
        "substation",
        "capacity_mva",
        substations::insert_row(conn, &sub(|r| r.capacity_mva = 0.0))
    );
    rejects!(
        hits,
        conn,
        "grid_substations",
        "substation",
        "num_transformers",
        substations::insert_row(conn, &sub(|r| r.num_transformers = -1))
    );
    rejects!(
        hits,
        conn,
        "grid_substations",
        "substation",
        "num_feeders",
        substations::insert_row(conn, &sub(|r| r.num_feeders = -1))
    );
    rejects!(
        hits,
        conn,
        "grid_substations",
        "substation",
        "customers_served",
        substations::insert_row(conn, &sub(|r| r.customers_served = -1))
    );
    // Topology: fed from itself, or through another back to itself (the trigger raises under
    // the same check's name).
    let fed_from = |id| substations::SubstationUpdate {
        fed_from: Some(Some(id)),
        ..Default::default()
    };
    let itself = substations::update(conn, s.id, &fed_from(s.id));
    hits.expect(conn, "grid_substations", "substation", "fed_from", itself);
    let downstream = add_substation(conn, "CHK-3", GridZone::Kisumu);
    substations::update(conn, downstream.id, &fed_from(s.id)).unwrap();
    let looped = substations::update(conn, s.id, &fed_from(downstream.id));
    hits.expect(conn, "grid_substations", "substation", "fed_from", looped);
    assert_eq!(substations::get(conn, s.id).unwrap().fed_from, None);
    // Customer counts with effective dates (grid-store refuses a negative count itself;
    // the check stands for other writers).
    rejects!(
        hits,
        conn,
        "substation_customer_counts",
        "customer count",
        "customers_served",
        diesel::sql_query(format!(
            "INSERT INTO substation_customer_counts (substation_id, effective_from, \
             customers_served) VALUES ('{}', '2026-01-01', -1)",
            s.id
        ))
        .execute(conn)
        .map_err(StoreError::from)
    );

    // Transformers.
    let good = transformers::NewTransformerRow::from(
        &NewTransformer::new(TransformerDraft::new(s.id, "T9", 45.0, 132.0, 33.0)).unwrap(),
    );
    let good_transformer = good.clone();
    let tr = |f: fn(&mut transformers::NewTransformerRow)| {
        let mut r = good.clone();
        f(&mut r);
        r
    };
    for (field, row) in [
        ("capacity_mva", tr(|r| r.capacity_mva = -5.0)),
        ("load_percentage", tr(|r| r.load_percentage = 200.5)),
        ("voltage_primary_kv", tr(|r| r.voltage_primary_kv = 0.0)),
        (
            "voltage_secondary_kv",
            tr(|r| r.voltage_secondary_kv = -1.0),
        ),
        ("current_load_mva", tr(|r| r.current_load_mva = -1.0)),
        (
            "oil_level_percentage",
            tr(|r| r.oil_level_percentage = 101.0),
        ),
        ("health_score", tr(|r| r.health_score = Some(-0.1))),
        (
            "estimated_remaining_life_years",
            tr(|r| r.estimated_remaining_life_years = Some(-2.0)),
        ),
        (
            "failure_probability_7days",
            tr(|r| r.failure_probability_7days = Some(1.01)),
        ),
        (
            "failure_probability_30days",
            tr(|r| r.failure_probability_30days = Some(-0.5)),
        ),
    ] {
        let before = hits.rows(conn, "transformers");
        let result = transformers::insert_row(conn, &row);
        hits.expect(conn, "transformers", "transformer", field, result);
        assert_eq!(hits.rows(conn, "transformers"), before);
    }
    // Overload up to 200 % is recorded, not refused.
    assert!(transformers::insert_row(conn, &tr(|r| r.load_percentage = 150.0)).is_ok());

    // Sensors.
    let good = sensors::NewSensorRow::from(
        &NewSensor::new(SensorDraft::new(s.id, "CHK-S2", SensorType::Current)).unwrap(),
    );
    let se = |f: fn(&mut sensors::NewSensorRow)| {
        let mut r = good.clone();
        f(&mut r);
        r
    };
    for (field, row) in [
        ("sampling_rate_hz", se(|r| r.sampling_rate_hz = 0.0)),
        ("precision_decimals", se(|r| r.precision_decimals = 16)),
        ("calibration_scale", se(|r| r.calibration_scale = 0.0)),
        ("port", se(|r| r.port = Some(0))),
    ] {
        let before = hits.rows(conn, "grid_sensors");
        let result = sensors::insert_row(conn, &row);
        hits.expect(conn, "grid_sensors", "sensor", field, result);
        assert_eq!(hits.rows(conn, "grid_sensors"), before);
    }

    // Readings (their writer is grid-timescale; here a plain Diesel insert).
    let reading = |value: f64, raw: Option<f64>, quality: f64| -> StoreResult<usize> {
        Ok(diesel::insert_into(sensor_readings::table)
            .values((
                sensor_readings::sensor_id.eq(sensor.id),
                sensor_readings::timestamp.eq(t(2026, 1, 1, 0, 0)),
                sensor_readings::value.eq(value),
                sensor_readings::value_raw.eq(raw),
                sensor_readings::quality_indicator.eq(quality),
            ))
            .execute(&mut db.conn())?)
    };
    rejects!(
        hits,
        conn,
        "sensor_readings",
        "sensor reading",
        "value",
        reading(f64::NAN, None, 1.0)
    );
    rejects!(
        hits,
        conn,
        "sensor_readings",
        "sensor reading",
        "value_raw",
        reading(1.0, Some(f64::INFINITY), 1.0)
    );
    rejects!(
        hits,
        conn,
        "sensor_readings",
        "sensor reading",
        "quality_indicator",
        reading(1.0, None, 1.5)
    );
    rejects!(
        hits,
        conn,
        "sensor_readings",
        "sensor reading",
        "anomaly_score",
        diesel::insert_into(sensor_readings::table)
            .values((
                sensor_readings::sensor_id.eq(sensor.id),
                sensor_readings::timestamp.eq(t(2026, 1, 1, 0, 0)),
                sensor_readings::value.eq(1.0),
                sensor_readings::quality_indicator.eq(1.0),
                sensor_readings::anomaly_score.eq(Some(1.5)),
            ))
            .execute(&mut db.conn())
            .map_err(StoreError::from)
    );

    // Alerts.
    let good = alerts::NewAlertRow::from(
        &NewAlert::new(AlertDraft::new(
            AlertKind::VoltageLow,
            AlertSeverity::Warning,
            "Sag",
        ))
        .unwrap(),
    );
    rejects!(
        hits,
        conn,
        "grid_alerts",
        "alert",
        "affected_customers",
        alerts::insert_row(
            conn,
            &alerts::NewAlertRow {
                affected_customers: -3,
                ..good.clone()
            },
            None
        )
    );
    rejects!(
        hits,
        conn,
        "grid_alerts",
        "alert",
        "estimated_revenue_loss",
        alerts::insert_row(
            conn,
            &alerts::NewAlertRow {
                estimated_revenue_loss: Some(-1.0),
                ..good.clone()
            },
            None
        )
    );
    let alert = alerts::insert_row(conn, &good, None).unwrap();
    // A state that skips its transition breaks the lifecycle's marks.
    for (status, field) in [
        ("acknowledged", "acknowledged_at"),
        ("resolved", "resolved_at"),
    ] {
        let result: StoreResult<usize> = diesel::sql_query(format!(
            "UPDATE grid_alerts SET status = '{status}' WHERE id = '{}'",
            alert.id
        ))
        .execute(conn)
        .map_err(Into::into);
        hits.expect(conn, "grid_alerts", "alert", field, result);
        assert_eq!(
            alerts::get(conn, alert.id).unwrap().status,
            AlertStatus::Open
        );
    }

    // Maintenance.
    let good = maintenance::NewMaintenanceRow::from(
        &NewMaintenance::new(MaintenanceDraft::new(
            MaintenanceType::Preventive,
            "Oil test",
        ))
        .unwrap(),
    );
    let ma = |f: fn(&mut maintenance::NewMaintenanceRow)| {
        let mut r = good.clone();
        f(&mut r);
        r
    };
    for (field, row) in [
        ("status", ma(|r| r.status = "done".into())),
        ("team_size", ma(|r| r.team_size = 0)),
        ("duration_hours", ma(|r| r.duration_hours = Some(-1.0))),
        ("downtime_hours", ma(|r| r.downtime_hours = Some(-1.0))),
        ("labor_cost", ma(|r| r.labor_cost = Some(-1.0))),
        ("parts_cost", ma(|r| r.parts_cost = Some(-1.0))),
        ("total_cost", ma(|r| r.total_cost = Some(-1.0))),
        (
            "completed_at",
            ma(|r| {
                r.started_at = Some(t(2026, 1, 2, 0, 0));
                r.completed_at = Some(t(2026, 1, 1, 0, 0));
            }),
        ),
    ] {
        let before = hits.rows(conn, "maintenance_records");
        let result = maintenance::insert_row(conn, &row);
        hits.expect(
            conn,
            "maintenance_records",
            "maintenance record",
            field,
            result,
        );
        assert_eq!(hits.rows(conn, "maintenance_records"), before);
    }
    let m = maintenance::insert_row(conn, &good).unwrap();
    let result: StoreResult<usize> = diesel::sql_query(format!(
        "UPDATE maintenance_records SET parts_replaced = ARRAY['bushing', NULL] WHERE id = '{}'",
        m.id
    ))
    .execute(conn)
    .map_err(Into::into);
    hits.expect(
        conn,
        "maintenance_records",
        "maintenance record",
        "parts_replaced",
        result,
    );

    // Forecasts.
    let good = forecasts::NewForecastRow::from(
        &NewForecast::new(ForecastDraft::new(
            GridZone::Nairobi,
            t(2026, 1, 1, 12, 0),
            100.0,
        ))
        .unwrap(),
    );
    let fo = |f: fn(&mut forecasts::NewForecastRow)| {
        let mut r = good.clone();
        f(&mut r);
        r
    };
    for (field, row) in [
        ("predicted_load_mw", fo(|r| r.predicted_load_mw = -1.0)),
        (
            "confidence_percentage",
            fo(|r| r.confidence_percentage = 100.0),
        ),
        (
            "confidence_interval_lower",
            fo(|r| r.confidence_interval_lower = Some(101.0)),
        ),
        (
            "confidence_interval_upper",
            fo(|r| r.confidence_interval_upper = Some(99.0)),
        ),
        (
            "prediction_error_mape",
            fo(|r| r.prediction_error_mape = Some(-1.0)),
        ),
    ] {
        let before = hits.rows(conn, "load_forecasts");
        let result = forecasts::insert_row(conn, &row);
        hits.expect(conn, "load_forecasts", "load forecast", field, result);
        assert_eq!(hits.rows(conn, "load_forecasts"), before);
    }
    let f = forecasts::insert_row(conn, &good).unwrap();
    let result: StoreResult<usize> = diesel::sql_query(format!(
        "UPDATE load_forecasts SET actual_load_mw = -5 WHERE id = '{}'",
        f.id
    ))
    .execute(conn)
    .map_err(Into::into);
    hits.expect(
        conn,
        "load_forecasts",
        "load forecast",
        "actual_load_mw",
        result,
    );

    // Anomalies.
    let good = anomalies::NewAnomalyRow::from(
        &NewAnomaly::new(AnomalyDraft::new(
            sensor.id,
            "spike",
            t(2026, 1, 1, 0, 0),
            0.42,
            AlertSeverity::Warning,
        ))
        .unwrap(),
    );
    rejects!(
        hits,
        conn,
        "anomaly_detections",
        "anomaly",
        "episode_end",
        anomalies::insert_row(
            conn,
            &anomalies::NewAnomalyRow {
                episode_end: t(2025, 12, 31, 0, 0),
                ..good.clone()
            }
        )
    );
    rejects!(
        hits,
        conn,
        "anomaly_detections",
        "anomaly",
        "anomaly_score",
        anomalies::insert_row(
            conn,
            &anomalies::NewAnomalyRow {
                anomaly_score: 1.5,
                ..good.clone()
            }
        )
    );
    rejects!(
        hits,
        conn,
        "anomaly_detections",
        "anomaly",
        "anomaly_score",
        anomalies::insert_row(
            conn,
            &anomalies::NewAnomalyRow {
                anomaly_score: f64::NAN,
                ..good.clone()
            }
        )
    );
    let a = anomalies::insert_row(conn, &good).unwrap();
    // Detector states: at most 16 KiB.
    // A series' state may be 64 KiB (a weekly profile), a phase set's 16 KiB.
    let big = vec![0u8; 16 * 1024 + 1];
    let bigger = vec![0u8; 64 * 1024 + 1];
    rejects!(
        hits,
        conn,
        "anomaly_sensor_states",
        "anomaly detector state",
        "state",
        grid_store::anomaly_states::save_sensor_states(
            conn,
            &[grid_store::anomaly_states::SensorStateRow {
                sensor_id: sensor.id,
                last_reading_at: t(2026, 1, 1, 0, 0),
                open_anomaly_id: None,
                state: bigger.clone(),
            }]
        )
    );
    rejects!(
        hits,
        conn,
        "anomaly_imbalance_states",
        "imbalance detector state",
        "state",
        grid_store::anomaly_states::save_imbalance_states(
            conn,
            &[grid_store::anomaly_states::ImbalanceStateRow {
                substation_id: s.id,
                phase_set: "all".into(),
                last_group_at: t(2026, 1, 1, 0, 0),
                open_anomaly_id: None,
                state: big,
            }]
        )
    );
    for field in ["potential_causes", "recommended_actions"] {
        let result: StoreResult<usize> = diesel::sql_query(format!(
            "UPDATE anomaly_detections SET {field} = ARRAY[NULL::text] WHERE id = '{}'",
            a.id
        ))
        .execute(conn)
        .map_err(Into::into);
        let field: &'static str = if field == "potential_causes" {
            "potential_causes"
        } else {
            "recommended_actions"
        };
        hits.expect(conn, "anomaly_detections", "anomaly", field, result);
    }

    // Daily statistics.
    let good = statistics::StatisticsValues::from(&DailyStatistics::empty(
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        GridZone::Western,
    ));
    let st = |f: fn(&mut statistics::StatisticsValues)| {
        let mut r = good.clone();
        f(&mut r);
        r
    };
    for (field, row) in [
        ("peak_load_mw", st(|r| r.peak_load_mw = Some(-1.0))),
        ("average_load_mw", st(|r| r.average_load_mw = Some(-1.0))),
        ("min_load_mw", st(|r| r.min_load_mw = Some(-1.0))),
        ("total_energy_mwh", st(|r| r.total_energy_mwh = Some(-1.0))),
        (
            "voltage_violations_count",
            st(|r| r.voltage_violations_count = -1),
        ),
        (
            "frequency_violations_count",
            st(|r| r.frequency_violations_count = -1),
        ),
        ("total_outages", st(|r| r.total_outages = -1)),
        (
            "total_outage_minutes",
            st(|r| r.total_outage_minutes = -1.0),
        ),
        ("saidi", st(|r| r.saidi = Some(-1.0))),
        ("saifi", st(|r| r.saifi = Some(-1.0))),
        ("total_alerts", st(|r| r.total_alerts = -1)),
        ("critical_alerts", st(|r| r.critical_alerts = -1)),
        ("alerts_resolved", st(|r| r.alerts_resolved = -1)),
        (
            "scheduled_maintenance_hours",
            st(|r| r.scheduled_maintenance_hours = -1.0),
        ),
        (
            "unscheduled_maintenance_hours",
            st(|r| r.unscheduled_maintenance_hours = -1.0),
        ),
    ] {
        let before = hits.rows(conn, "daily_grid_statistics");
        let result = statistics::upsert_row(conn, &row);
        hits.expect(
            conn,
            "daily_grid_statistics",
            "daily statistics",
            field,
            result,
        );
        assert_eq!(hits.rows(conn, "daily_grid_statistics"), before);
    }

    // Thermal parameters and thermal days.
    let tx = transformers::insert_row(conn, &good_transformer).unwrap();
    let good = thermal::ThermalParametersRow::from(&ThermalParameters::defaults_for(tx.id));
    let tp = |f: fn(&mut thermal::ThermalParametersRow)| {
        let mut r = good.clone();
        f(&mut r);
        r
    };
    for (field, row) in [
        (
            "rated_top_oil_rise_k",
            tp(|r| r.rated_top_oil_rise_k = Some(0.0)),
        ),
        (
            "rated_hot_spot_gradient_k",
            tp(|r| r.rated_hot_spot_gradient_k = Some(-1.0)),
        ),
        ("loss_ratio", tp(|r| r.loss_ratio = Some(0.0))),
        ("oil_exponent", tp(|r| r.oil_exponent = Some(2.5))),
        ("winding_exponent", tp(|r| r.winding_exponent = Some(0.0))),
        (
            "oil_time_constant_min",
            tp(|r| r.oil_time_constant_min = Some(-3.0)),
        ),
        (
            "winding_time_constant_min",
            tp(|r| r.winding_time_constant_min = Some(0.0)),
        ),
        ("k11", tp(|r| r.k11 = Some(0.0))),
        ("k21", tp(|r| r.k21 = Some(11.0))),
        ("k22", tp(|r| r.k22 = Some(-2.0))),
        ("normal_life_hours", tp(|r| r.normal_life_hours = Some(0.0))),
    ] {
        let before = hits.rows(conn, "transformer_thermal_parameters");
        let result = thermal::set_parameters_row(conn, &row);
        hits.expect(
            conn,
            "transformer_thermal_parameters",
            "thermal parameters",
            field,
            result,
        );
        assert_eq!(hits.rows(conn, "transformer_thermal_parameters"), before);
    }
    let good = thermal::ThermalDayRow {
        transformer_id: tx.id,
        day: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        method: DbThermalMethod::IeeeC5791,
        load_source: DbThermalLoadSource::IncomerShare,
        ambient_source: DbThermalAmbientSource::ZoneProfile,
        covered_hours: 24.0,
        spans: 1,
        peak_load_pu: Some(0.8),
        peak_top_oil_c: Some(60.0),
        peak_hot_spot_c: Some(75.0),
        peak_hot_spot_at: None,
        equivalent_ageing_factor: Some(0.05),
        loss_of_life_hours: 1.2,
        life_consumed_hours: Some(1000.0),
        hours_above_110c: 0.0,
        hours_above_120c: 0.0,
        hours_above_140c: 0.0,
        top_oil_residual_mean_k: None,
        top_oil_residual_max_k: None,
        hot_spot_residual_mean_k: None,
        hot_spot_residual_max_k: None,
    };
    let td = |f: fn(&mut thermal::ThermalDayRow)| {
        let mut r = good.clone();
        f(&mut r);
        r
    };
    for (field, row) in [
        ("covered_hours", td(|r| r.covered_hours = 25.5)),
        ("spans", td(|r| r.spans = -1)),
        ("peak_load_pu", td(|r| r.peak_load_pu = Some(-0.1))),
        (
            "equivalent_ageing_factor",
            td(|r| r.equivalent_ageing_factor = Some(-1.0)),
        ),
        ("loss_of_life_hours", td(|r| r.loss_of_life_hours = -1.0)),
        (
            "life_consumed_hours",
            td(|r| r.life_consumed_hours = Some(-1.0)),
        ),
        ("hours_above_110c", td(|r| r.hours_above_110c = -1.0)),
        ("hours_above_120c", td(|r| r.hours_above_120c = -1.0)),
        ("hours_above_140c", td(|r| r.hours_above_140c = -1.0)),
    ] {
        let before = hits.rows(conn, "transformer_thermal_days");
        let result = thermal::upsert_day_row(conn, &row);
        hits.expect(
            conn,
            "transformer_thermal_days",
            "thermal day",
            field,
            result,
        );
        assert_eq!(hits.rows(conn, "transformer_thermal_days"), before);
    }
    let result = transformers::update_condition(
        conn,
        tx.id,
        &transformers::TransformerCondition {
            relative_risk_index: Some(Some(-1.0)),
            ..Default::default()
        },
    );
    hits.expect(
        conn,
        "transformers",
        "transformer",
        "relative_risk_index",
        result,
    );

    // Security events: a count of at least one, last seen no earlier than first.
    let good = security::NewSecurityEventRow::from(
        &NewSecurityEvent::new(SecurityEventDraft::new(
            "failed_login",
            AlertSeverity::Info,
            t(2026, 1, 1, 0, 0) - Duration::days(1),
        ))
        .unwrap(),
    );
    security::insert_row(conn, &good).unwrap();
    let mut zero = good.clone();
    zero.occurrences = 0;
    rejects!(
        hits,
        conn,
        "cyber_security_events",
        "security event",
        "occurrences",
        security::insert_row(conn, &zero)
    );
    let mut backwards = good.clone();
    backwards.last_seen_at = good.occurred_at - Duration::seconds(1);
    rejects!(
        hits,
        conn,
        "cyber_security_events",
        "security event",
        "last_seen_at",
        security::insert_row(conn, &backwards)
    );

    // Users and tokens, alarm points and actions: written by their own crates' checked
    // paths; the CHECKs hold for any other writer.
    let raw = |conn: &mut PgConnection, sql: String| -> StoreResult<usize> {
        Ok(diesel::sql_query(sql).execute(conn)?)
    };
    for (field, sql) in [
        (
            "name",
            "INSERT INTO grid_users (name, role) VALUES (' bad', 'viewer')",
        ),
        (
            "role",
            "INSERT INTO grid_users (name, role) VALUES ('ok', 'admin')",
        ),
        (
            "zones",
            "INSERT INTO grid_users (name, role, zones) VALUES ('ok', 'viewer', ARRAY[NULL]::grid_zone[])",
        ),
    ] {
        let before = hits.rows(conn, "grid_users");
        let r = raw(conn, sql.into());
        hits.expect(conn, "grid_users", "user", field, r);
        assert_eq!(hits.rows(conn, "grid_users"), before);
    }
    let user = grid_store::users::add(conn, "ck-user", UserRole::Viewer, &[]).unwrap();
    for (field, sql) in [
        (
            "token_sha256",
            format!(
                "INSERT INTO grid_user_tokens (user_id, token_sha256) VALUES ('{}', '\\x00')",
                user.id
            ),
        ),
        (
            "expires_at",
            format!(
                "INSERT INTO grid_user_tokens (user_id, token_sha256, expires_at)
                 VALUES ('{}', decode(repeat('ab', 32), 'hex'), now() - interval '1 day')",
                user.id
            ),
        ),
    ] {
        let r = raw(conn, sql);
        hits.expect(conn, "grid_user_tokens", "user token", field, r);
    }
    let s = add_substation(conn, "CK-ALM", GridZone::Central);
    let sensor = conn
        .insert_sensor(
            &NewSensor::new(SensorDraft::new(s.id, "CK-ALM-V", SensorType::Voltage)).unwrap(),
        )
        .unwrap();
    for (field, sql) in [
        (
            "shelved_until",
            format!(
                "INSERT INTO alarm_points (sensor_id, state, shelved_until) VALUES ('{}', '{{}}', now())",
                sensor.id
            ),
        ),
        (
            "out_of_service_since",
            format!(
                "INSERT INTO alarm_points (sensor_id, state, out_of_service_by) VALUES ('{}', '{{}}', 'x')",
                sensor.id
            ),
        ),
    ] {
        let r = raw(conn, sql);
        hits.expect(conn, "alarm_points", "alarm point", field, r);
    }
    for (field, sql) in [
        (
            "action",
            format!(
                "INSERT INTO alarm_actions (sensor_id, action, actor) VALUES ('{}', 'silence', 'x')",
                sensor.id
            ),
        ),
        (
            "until",
            format!(
                "INSERT INTO alarm_actions (sensor_id, action, actor) VALUES ('{}', 'shelve', 'x')",
                sensor.id
            ),
        ),
    ] {
        let r = raw(conn, sql);
        hits.expect(conn, "alarm_actions", "alarm action", field, r);
    }

    let all: BTreeSet<String> = CHECK_CONSTRAINTS
        .iter()
        .map(|(n, _, _)| n.to_string())
        .collect();
    let untested: Vec<_> = all.difference(&hits.seen).collect();
    assert!(
        untested.is_empty(),
        "CHECKs never triggered by this test: {untested:?}"
    );
}

#[test]
fn every_check_in_the_database_has_a_field_mapping() {
    #[derive(QueryableByName, Debug)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
    }
    let db = db();
    let conn = &mut db.conn();
    let in_db: BTreeSet<(String, String)> = diesel::sql_query(
        "SELECT con.conname::text AS name, c.relname::text AS table_name
           FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE con.contype = 'c' AND n.nspname = 'public'",
    )
    .load::<Check>(conn)
    .unwrap()
    .into_iter()
    .map(|c| (c.name, c.table_name))
    .collect();
    let mapped: BTreeSet<(String, String)> = CHECK_CONSTRAINTS
        .iter()
        .map(|(n, t, _)| (n.to_string(), t.to_string()))
        .collect();
    assert_eq!(in_db, mapped);
    // Each mapped field is a real column of its table.
    for (name, table, field) in CHECK_CONSTRAINTS {
        let n = count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM information_schema.columns
                  WHERE table_schema = 'public' AND table_name = '{table}' AND column_name = '{field}'"
            ),
        );
        assert_eq!(n, 1, "{name}: {table}.{field} is not a column");
    }
}

#[test]
fn not_null_foreign_key_and_unique_violations_are_typed() {
    let db = db();
    let conn = &mut db.conn();
    let s = add_substation(conn, "NN-1", GridZone::Central);

    // A sensor on a substation that does not exist: Invalid naming the foreign key field.
    let mut row = sensors::NewSensorRow::from(
        &NewSensor::new(SensorDraft::new(
            uuid::Uuid::new_v4(),
            "FK-1",
            SensorType::Load,
        ))
        .unwrap(),
    );
    let err = sensors::insert_row(conn, &row).unwrap_err();
    assert_eq!(err.invalid_fields(), ["substation_id"], "{err}");

    // The same tag twice: Conflict.
    row.substation_id = s.id;
    sensors::insert_row(conn, &row).unwrap();
    let err = sensors::insert_row(conn, &row).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                entity: "sensor",
                ..
            }
        ),
        "{err}"
    );

    // NOT NULL: the column is named.
    let err: StoreError = diesel::sql_query(format!(
        "INSERT INTO grid_sensors (substation_id, sensor_id, sensor_type) VALUES ('{}', NULL, 'load')",
        s.id
    ))
    .execute(conn)
    .unwrap_err()
    .into();
    assert_eq!(err.invalid_fields(), ["sensor_id"], "{err}");
    assert_eq!(count(conn, "SELECT count(*) AS n FROM grid_sensors"), 1);
}

#[test]
fn deleting_a_substation_cascades_to_sensors_and_transformers_and_clears_alerts() {
    use grid_store::{AlertRepository, SubstationRepository};
    let db = db();
    let conn = &mut db.conn();
    let s = add_substation(conn, "DEL-1", GridZone::Coastal);
    let other = add_substation(conn, "DEL-2", GridZone::Coastal);
    let tr = add_transformer(conn, &s, "T1");
    let sensor = add_sensor(conn, &s, "DEL-S1", SensorType::TransformerOil);
    let kept = add_sensor(conn, &other, "DEL-S2", SensorType::Voltage);
    let m = maintenance::insert(
        conn,
        &NewMaintenance::new(MaintenanceDraft {
            transformer_id: Some(tr.id),
            ..MaintenanceDraft::new(MaintenanceType::Preventive, "Annual")
        })
        .unwrap(),
    )
    .unwrap();
    let mut draft = AlertDraft::new(AlertKind::Overheating, AlertSeverity::Critical, "Oil hot");
    draft.substation_id = Some(s.id);
    draft.sensor_id = Some(sensor.id);
    let alert = conn.raise_alert(&NewAlert::new(draft).unwrap()).unwrap();

    conn.delete_substation(s.id).unwrap();

    assert!(matches!(
        sensors::get(conn, sensor.id),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        transformers::get(conn, tr.id),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        maintenance::get(conn, m.id),
        Err(StoreError::NotFound { .. })
    ));
    let alert = conn.alert(alert.id).unwrap();
    assert_eq!((alert.substation_id, alert.sensor_id), (None, None));
    assert_eq!(alerts::history(conn, alert.id).unwrap().len(), 1);
    assert!(sensors::get(conn, kept.id).is_ok());
    assert!(matches!(
        conn.delete_substation(s.id),
        Err(StoreError::NotFound {
            entity: "substation",
            ..
        })
    ));
}
