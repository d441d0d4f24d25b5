//! The thermal assessment over stored readings: measured temperatures override the model and
//! its residual is reported, gaps end spans, each load source is used, bad configuration of
//! one transformer stops nothing else, and a repeated run changes nothing.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use diesel::PgConnection;
use grid_health::{HealthConfig, HealthError, Outcome, assess_day};
use grid_model::*;
use grid_store::thermal::days_between;
use grid_store::{AlertRepository, TransformerRepository};
use grid_testdb::TestDb;
use grid_testkit::{READY, sensor_with, substation};
use grid_thermal::{C5791, CoolingMode, ModelParameters, ThermalError, ThermalModel};
use grid_timescale::OperatingLimits;
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, TimePolicy};

/// 2026-03-10 in Nairobi runs from 2026-03-09 21:00 UTC to 2026-03-10 21:00 UTC.
fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
}

fn minute(i: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 9, 21, 0, 0).unwrap() + Duration::minutes(i)
}

fn transformer(
    conn: &mut PgConnection,
    s: &Substation,
    name: &str,
    mva: f64,
    cooling: &str,
) -> Transformer {
    let mut d = TransformerDraft::new(s.id, name, mva, 132.0, 33.0);
    d.cooling_type = Some(cooling.into());
    d.year_manufactured = Some(2016);
    conn.insert_transformer(&NewTransformer::new(d).unwrap())
        .unwrap()
}

fn sensor(
    conn: &mut PgConnection,
    s: &Substation,
    tag: &str,
    kind: SensorType,
    transformer: Option<&Transformer>,
    role: Option<MeasurementRole>,
) -> Sensor {
    let mut d = SensorDraft::new(s.id, tag, kind);
    d.transformer_id = transformer.map(|t| t.id);
    d.metadata = SensorMetadata {
        measurement_role: role,
        ..Default::default()
    }
    .to_json();
    sensor_with(conn, d)
}

fn day_of(s: &Sensor, f: impl Fn(i64) -> Option<f64>) -> Vec<Reading> {
    (0..1440)
        .filter_map(|i| f(i).map(|v| Reading::new(s.id, minute(i), v)))
        .collect()
}

/// Stores `readings` (of the day and around it); none may be refused.
fn ingest(conn: &mut PgConnection, readings: Vec<Reading>) {
    let opts = IngestOptions {
        time_policy: TimePolicy::backfill(minute(-1440), minute(2 * 1440)),
        ..Default::default()
    };
    let mut ing = Ingester::new(conn, OperatingLimits::default(), opts).unwrap();
    let report = ing.ingest_batch(conn, readings).unwrap();
    assert_eq!(report.rejected, 0, "{report:?}");
}

const AMBIENT: f64 = 25.0;
const FAN_FAULT_K: f64 = 12.0;

struct Fleet {
    db: TestDb,
    t1: Transformer,
    t2: Transformer,
    t3: Transformer,
    t4: Transformer,
    t5: Transformer,
}

/// Substation A (Nakuru): T1 and T2, ONAF 40 MVA each, sharing a 60 MW incomer at power
/// factor 0.95 (K = 60/0.95/80 = 0.7895), an ambient sensor at 25 °C; T1 has a top-oil
/// sensor reading 12 K above what the model gives (a fan fault). The incomer is silent from
/// 10:00 to 11:00. Substation B (Mombasa, no ambient sensor): T3 (ONAN 20 MVA at 33 kV,
/// I_rated = 20,000/(√3·33) = 349.9 A) with its own current sensor, at 0.6 pu except
/// 1.4 pu from 16:00 to 19:00; T4 with an unknown cooling type; T5 out of service.
fn fleet() -> Fleet {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let a = substation(conn, "NKR-A", GridZone::Nakuru, 132);
    let b = substation(conn, "MSA-B", GridZone::Mombasa, 132);
    let t1 = transformer(conn, &a, "T1", 40.0, "ONAF");
    let t2 = transformer(conn, &a, "T2", 40.0, "ONAF");
    let t3 = transformer(conn, &b, "T3", 20.0, "ONAN");
    let t4 = transformer(conn, &b, "T4", 20.0, "dry type");
    let t5 = transformer(conn, &b, "T5", 20.0, "ONAN");
    let off = grid_store::transformers::TransformerCondition {
        is_operational: Some(false),
        ..Default::default()
    };
    conn.update_transformer_condition(t5.id, &off).unwrap();

    let incomer = sensor(
        conn,
        &a,
        "A-IN",
        SensorType::Load,
        None,
        Some(MeasurementRole::Incomer),
    );
    let pf = sensor(conn, &a, "A-PF", SensorType::PowerFactor, None, None);
    let amb = sensor(
        conn,
        &a,
        "A-AMB",
        SensorType::Temperature,
        None,
        Some(MeasurementRole::Ambient),
    );
    let oil = sensor(
        conn,
        &a,
        "A-T1-OIL",
        SensorType::TransformerOil,
        Some(&t1),
        None,
    );
    let current = sensor(conn, &b, "B-T3-I", SensorType::Current, Some(&t3), None);

    let k = 60.0 / 0.95 / 80.0;
    let p = ModelParameters::defaults(CoolingMode::Onaf, ThermalMethod::IeeeC5791);
    let model_top_oil = C5791::new(&p).top_oil_c(&C5791::new(&p).steady(k, AMBIENT));
    let silent = |i: i64| (13 * 60..14 * 60).contains(&i); // 10:00–11:00 local (UTC+3)
    let rated_a = 20_000.0 / (3f64.sqrt() * 33.0);
    let mut all = Vec::new();
    all.extend(day_of(&incomer, |i| (!silent(i)).then_some(60.0)));
    all.extend(day_of(&pf, |_| Some(0.95)));
    all.extend(day_of(&amb, |_| Some(AMBIENT)));
    all.extend(day_of(&oil, |_| Some(model_top_oil + FAN_FAULT_K)));
    all.extend(day_of(&current, |i| {
        Some(
            if (19 * 60..22 * 60).contains(&i) {
                1.4
            } else {
                0.6
            } * rated_a,
        )
    }));
    ingest(conn, all);
    Fleet {
        db,
        t1,
        t2,
        t3,
        t4,
        t5,
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn a_day_of_the_fleet_assessed_from_stored_readings() {
    let f = fleet();
    let conn = &mut f.db.conn();
    let a = assess_day(conn, day(), &HealthConfig::default()).unwrap();
    let outcome = |t: &Transformer| a.outcome_of(t.id).unwrap();
    let assessed = |t: &Transformer| match outcome(t) {
        Outcome::Assessed(d) => d.clone(),
        other => panic!("{} not assessed: {other:?}", t.name),
    };
    let (d1, d2, d3) = (assessed(&f.t1), assessed(&f.t2), assessed(&f.t3));

    // The measured top oil overrides the model, and the residual is reported.
    assert!(
        close(
            d1.thermal.top_oil_residual_mean_k.unwrap(),
            FAN_FAULT_K,
            0.05
        ),
        "{:?}",
        d1.thermal
    );
    assert!(close(
        d1.thermal.top_oil_residual_max_k.unwrap(),
        FAN_FAULT_K,
        0.05
    ));
    assert_eq!(
        d2.thermal.top_oil_residual_mean_k, None,
        "T2 has no top-oil sensor"
    );
    assert!(close(
        d1.thermal.peak_top_oil_c.unwrap(),
        d2.thermal.peak_top_oil_c.unwrap() + FAN_FAULT_K,
        0.05
    ));
    // The hot-spot rides on the measured top oil: 12 K hotter than its twin, so it ages faster.
    assert!(close(
        d1.thermal.peak_hot_spot_c.unwrap(),
        d2.thermal.peak_hot_spot_c.unwrap() + FAN_FAULT_K,
        0.05
    ));
    assert!(
        d1.thermal.equivalent_ageing_factor.unwrap()
            > 2.0 * d2.thermal.equivalent_ageing_factor.unwrap()
    );
    // A mean residual over 10 K is a cooling fault: T1's health carries the 0.8 factor.
    assert_eq!(
        (d1.health.condition_factor, d2.health.condition_factor),
        (0.8, 1.0)
    );
    // The load: the incomer shared by rating, MW to MVA through the power factor.
    assert_eq!(d1.thermal.load_source, ThermalLoadSource::IncomerShare);
    assert!(close(
        d1.thermal.peak_load_pu.unwrap(),
        60.0 / 0.95 / 80.0,
        1e-9
    ));
    assert_eq!(d1.thermal.ambient_source, ThermalAmbientSource::Sensor);
    // The silent hour ends a span: two spans, the hour not counted (the day's first minute
    // only opens the first span).
    assert_eq!(d1.thermal.spans, 2);
    assert!(
        close(d1.thermal.covered_hours, 23.0 - 2.0 / 60.0, 1e-9),
        "{}",
        d1.thermal.covered_hours
    );

    // T3: its own current sensor; the zone's ambient profile (Mombasa, no ambient sensor).
    assert_eq!(
        d3.thermal.load_source,
        ThermalLoadSource::TransformerCurrent
    );
    assert_eq!(d3.thermal.ambient_source, ThermalAmbientSource::ZoneProfile);
    assert!(close(d3.thermal.peak_load_pu.unwrap(), 1.4, 1e-9));
    assert_eq!(d3.thermal.spans, 1);
    // 1.4 pu for three hours on ONAN: the hot-spot passes 120 °C (the normal-loading limit of
    // C57.91 Table 7); the alarm is raised once, and resolved when it cools.
    assert!(
        d3.thermal.peak_hot_spot_c.unwrap() > 120.0,
        "{:?}",
        d3.thermal
    );
    assert!(d3.thermal.hours_above_110c > d3.thermal.hours_above_120c);
    assert_eq!(d3.alerts_raised, 1);
    let alerts = conn.alerts_raised_between(minute(0), minute(1440)).unwrap();
    let hot: Vec<_> = alerts
        .iter()
        .filter(|a| a.alert_type == AlertKind::HotSpotOverLimit)
        .collect();
    assert_eq!(hot.len(), 1, "{alerts:?}");
    assert_eq!(hot[0].status, AlertStatus::Resolved);
    assert_eq!(hot[0].threshold_value, Some(120.0));
    assert!(
        hot[0]
            .description
            .as_deref()
            .unwrap()
            .contains("IEEE C57.91-2011 Table 7, normal loading")
    );
    assert!(hot[0].title.contains("MSA-B T3"));

    // One transformer's bad configuration stops nothing else; out of service is skipped.
    match outcome(&f.t4) {
        Outcome::Failed(HealthError::Thermal {
            transformer,
            source: ThermalError::UnknownCooling { cooling_type, .. },
        }) => {
            assert_eq!(transformer, "MSA-B T4");
            assert_eq!(cooling_type.as_deref(), Some("dry type"));
        }
        other => panic!("T4: {other:?}"),
    }
    assert!(matches!(outcome(&f.t5), Outcome::Skipped("out of service")));
    assert!(
        days_between(conn, f.t4.id, day(), day())
            .unwrap()
            .is_empty()
    );

    // The transformer row: health from life consumed, no seeded or invented probability.
    let row = conn.transformer(f.t1.id).unwrap();
    assert_eq!(
        (
            row.failure_probability_7days,
            row.failure_probability_30days
        ),
        (None, None)
    );
    assert_eq!(row.relative_risk_index, d1.thermal.equivalent_ageing_factor);
    // Manufactured 2016, monitored from this day, no starting condition: the life consumed
    // is unknown, and so are the health score and the remaining life (never F_AA = 1 over
    // ten unmeasured years).
    assert_eq!(row.health_score, None);
    assert_eq!(d1.thermal.life_consumed_hours, None);
    assert_eq!(d1.health.estimated_remaining_life_years, None);
    let why = d1.life_unknown.as_deref().unwrap();
    assert!(
        why.contains("no ageing history since manufacture (2016)"),
        "{why}"
    );
    assert!(close(
        row.oil_temperature_celsius.unwrap(),
        d1.curve.last().unwrap().top_oil_c,
        1e-9
    ));

    // Ranked by the relative risk index: the overloaded T3, then the fan-fault T1.
    let ranked: Vec<_> = a.ranked().iter().map(|(t, _)| t.label()).collect();
    assert_eq!(ranked[..2], ["MSA-B T3", "NKR-A T1"]);

    // Repeating the day changes nothing: same rows, no new alert.
    let again = assess_day(conn, day(), &HealthConfig::default()).unwrap();
    let d3b = match again.outcome_of(f.t3.id).unwrap() {
        Outcome::Assessed(d) => d.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(d3b.alerts_raised, 0);
    assert_eq!(
        d3b.thermal.loss_of_life_hours,
        d3.thermal.loss_of_life_hours
    );
    assert_eq!(
        d3b.thermal.life_consumed_hours,
        d3.thermal.life_consumed_hours
    );
    let alerts2 = conn.alerts_raised_between(minute(0), minute(1440)).unwrap();
    assert_eq!(alerts2.len(), alerts.len());

    // A degree of polymerisation of 500 measured at the day's start: a quarter of the
    // normal life consumed then (1/500 − 1/1000 over 1/200 − 1/1000), plus the day's ageing
    // and its uncovered hours at F_AA = 1.
    let mut cfg = HealthConfig::default();
    cfg.starting_conditions.insert(
        "NKR-A T1".into(),
        grid_health::StartingCondition {
            at: day(),
            consumed_hours: None,
            dp: Some(500.0),
        },
    );
    let known = assess_day(conn, day(), &cfg).unwrap();
    let k1 = match known.outcome_of(f.t1.id).unwrap() {
        Outcome::Assessed(d) => d.clone(),
        other => panic!("{other:?}"),
    };
    let normal = k1.parameters.normal_life_hours;
    let want = 0.25 * normal + k1.thermal.loss_of_life_hours + (24.0 - k1.thermal.covered_hours);
    assert!(close(k1.thermal.life_consumed_hours.unwrap(), want, 1e-6));
    let health = k1.health.health_score.unwrap();
    assert!(health > 0.0 && health < 75.0, "{health}");
    assert!(k1.health.estimated_remaining_life_years.is_some() && k1.life_unknown.is_none());
    let row = conn.transformer(f.t1.id).unwrap();
    assert!(close(row.health_score.unwrap(), health, 1e-9));
}

#[test]
fn stored_parameters_override_the_cooling_defaults_and_rescue_an_unknown_cooling_type() {
    let f = fleet();
    let conn = &mut f.db.conn();
    let mut p = ThermalParameters::defaults_for(f.t4.id);
    p.method = ThermalMethod::Iec600767;
    p.insulation = InsulationPaper::NonUpgraded;
    p.oil_exponent = Some(0.8);
    p.winding_exponent = Some(1.3);
    p.oil_time_constant_min = Some(180.0);
    p.winding_time_constant_min = Some(7.0);
    p.k11 = Some(0.5);
    p.k21 = Some(2.0);
    p.k22 = Some(2.0);
    grid_store::thermal::set_parameters(conn, &NewThermalParameters::new(p).unwrap()).unwrap();
    // Before it has a load measurement T4 still fails, on that.
    let a = assess_day(conn, day(), &HealthConfig::default()).unwrap();
    match a.outcome_of(f.t4.id).unwrap() {
        Outcome::Failed(e @ HealthError::NoLoad { .. }) => {
            assert!(
                e.to_string().contains("MSA-B T4: no load measurement"),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }
    // A load (MW) sensor linked to T4; substation B has no power-factor sensor, so the
    // configured 0.9 turns MW into MVA: K = 10 / 0.9 / 20 = 0.5556.
    let s = conn.transformers_of_substation(f.t3.substation_id).unwrap();
    assert_eq!(s.len(), 3);
    let b = grid_store::substations::get(conn, f.t3.substation_id).unwrap();
    let load = sensor(conn, &b, "B-T4-LD", SensorType::Load, Some(&f.t4), None);
    ingest(conn, day_of(&load, |_| Some(10.0)));
    let a = assess_day(conn, day(), &HealthConfig::default()).unwrap();
    let Some(Outcome::Assessed(d)) = a.outcome_of(f.t4.id) else {
        panic!("{:?}", a.outcome_of(f.t4.id))
    };
    assert_eq!(d.thermal.method, ThermalMethod::Iec600767);
    assert_eq!(d.parameters.insulation, InsulationPaper::NonUpgraded);
    assert_eq!(d.parameters.oil_time_constant_min, 180.0);
    assert_eq!(d.thermal.load_source, ThermalLoadSource::TransformerLoad);
    assert!(close(
        d.thermal.peak_load_pu.unwrap(),
        10.0 / 0.9 / 20.0,
        1e-9
    ));
    // Non-upgraded paper ages by IEC's V = 2^((θh − 98)/6): at a steady load the day's F_EQA
    // is V of the (nearly constant) hot-spot.
    let v = ((d.thermal.peak_hot_spot_c.unwrap() - 98.0) / 6.0).exp2();
    assert!(d.thermal.equivalent_ageing_factor.unwrap() <= v * (1.0 + 1e-9));
    assert!(
        d.thermal.equivalent_ageing_factor.unwrap() > v * 0.3,
        "{:?}",
        d.thermal
    );
}
