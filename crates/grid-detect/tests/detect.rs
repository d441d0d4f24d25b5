//! The engine over stored readings and in the ingest path: episodes of the right kinds at the
//! right times, the anomalous readings marked (compressed chunks included), one alert per
//! episode or one per substation storm, repeatable, resumable, and the same episodes either
//! way.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use grid_detect::{AlertPolicy, OnlineDetector, detect_range};
use grid_model::*;
use grid_store::anomalies::episodes_between;
use grid_store::schema::{grid_alerts, sensor_readings};
use grid_testdb::{Mode, TestDb};
use grid_testkit::{READY, sensor_with, substation};
use grid_timescale::OperatingLimits;
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, TimePolicy};

const DAYS: i64 = 6;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

fn minute(i: i64) -> DateTime<Utc> {
    start() + Duration::minutes(i)
}

/// Deterministic white noise in [-1, 1) (splitmix64 of two integers).
fn noise(a: u64, b: u64) -> f64 {
    let mut z = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

fn shape(i: i64) -> f64 {
    let h = (i % 1440) as f64 / 60.0;
    0.6 + 0.4 * (-(h - 19.0).powi(2) / 6.0).exp()
}

/// On the last day: the voltage frozen 03:00–03:40, feeder 1 short by a tenth of the incomer
/// 08:00–08:30, everything at zero 14:00–15:00 (an outage).
const LAST: i64 = (DAYS - 1) * 1440;
const STUCK: (i64, i64) = (LAST + 180, LAST + 220);
const SHORT: (i64, i64) = (LAST + 480, LAST + 510);
const OUTAGE: (i64, i64) = (LAST + 840, LAST + 900);

struct Site {
    incomer: Sensor,
    f1: Sensor,
    f2: Sensor,
    volts: Sensor,
}

fn site(conn: &mut PgConnection) -> (Substation, Site) {
    let s = substation(conn, "NKR-D", GridZone::Nakuru, 132);
    let mut load = |tag: &str, role| {
        let mut d = SensorDraft::new(s.id, tag, SensorType::Load);
        d.metadata = SensorMetadata {
            measurement_role: Some(role),
            ..Default::default()
        }
        .to_json();
        sensor_with(conn, d)
    };
    let incomer = load("D-IN", MeasurementRole::Incomer);
    let f1 = load("D-F1", MeasurementRole::Feeder);
    let f2 = load("D-F2", MeasurementRole::Feeder);
    let volts = sensor_with(conn, SensorDraft::new(s.id, "D-V", SensorType::Voltage));
    (
        s,
        Site {
            incomer,
            f1,
            f2,
            volts,
        },
    )
}

fn inside(i: i64, (a, b): (i64, i64)) -> bool {
    (a..b).contains(&i)
}

/// Every reading of the four days, minute by minute, all sensors per minute.
fn readings(site: &Site) -> Vec<Reading> {
    let mut out = Vec::new();
    let frozen = 132.0 * (1.0 + 0.003 * noise(9, STUCK.0 as u64));
    for i in 0..DAYS * 1440 {
        let out_now = inside(i, OUTAGE);
        let f1 = 40.0 * shape(i) * (1.0 + 0.01 * noise(1, i as u64));
        let f2 = 60.0 * shape(i) * (1.0 + 0.01 * noise(2, i as u64));
        let incomer = (f1 + f2) * 1.02 + 0.3 * noise(3, i as u64);
        let f1 = if inside(i, SHORT) {
            f1 - 0.1 * incomer
        } else {
            f1
        };
        let volts = if inside(i, STUCK) {
            frozen
        } else {
            132.0 * (1.0 + 0.003 * noise(9, i as u64))
        };
        let v = |x: f64| if out_now { 0.0 } else { x };
        out.push(Reading::new(site.incomer.id, minute(i), v(incomer)));
        out.push(Reading::new(site.f1.id, minute(i), v(f1)));
        out.push(Reading::new(site.f2.id, minute(i), v(f2)));
        out.push(Reading::new(site.volts.id, minute(i), v(volts)));
    }
    out
}

fn ingester(conn: &mut PgConnection) -> Ingester {
    let opts = IngestOptions {
        time_policy: TimePolicy::backfill(minute(-1), minute(DAYS * 1440 + 1)),
        ..Default::default()
    };
    Ingester::new(conn, OperatingLimits::default(), opts).unwrap()
}

fn ingest(conn: &mut PgConnection, readings: Vec<Reading>) {
    let report = ingester(conn).ingest_batch(conn, readings).unwrap();
    assert_eq!(report.rejected, 0, "{report:?}");
}

/// (sensor tag, kind, start, end) of every stored episode, by start.
fn episodes(conn: &mut PgConnection, site: &Site) -> Vec<(String, String, i64, i64)> {
    let mut out = Vec::new();
    for s in [&site.incomer, &site.f1, &site.f2, &site.volts] {
        for a in episodes_between(conn, s.id, minute(0), minute(DAYS * 1440)).unwrap() {
            out.push((
                s.tag.clone(),
                a.anomaly_type.clone(),
                (a.episode_start - start()).num_minutes(),
                (a.episode_end - start()).num_minutes(),
            ));
        }
    }
    out.sort_by_key(|e| (e.2, e.0.clone(), e.1.clone()));
    out
}

fn marked(conn: &mut PgConnection) -> Vec<(uuid::Uuid, DateTime<Utc>)> {
    sensor_readings::table
        .filter(sensor_readings::is_anomaly.eq(true))
        .order((sensor_readings::sensor_id, sensor_readings::timestamp))
        .select((sensor_readings::sensor_id, sensor_readings::timestamp))
        .load(conn)
        .unwrap()
}

fn alerts(conn: &mut PgConnection) -> Vec<(String, String, Option<DateTime<Utc>>)> {
    grid_alerts::table
        .order(grid_alerts::created_at)
        .select((
            grid_alerts::alert_type,
            grid_alerts::title,
            grid_alerts::resolved_at,
        ))
        .load(conn)
        .unwrap()
}

#[test]
fn stored_history_gives_each_fault_its_episode_marks_its_readings_and_alerts_once() {
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let (_, site) = site(conn);
    ingest(conn, readings(&site));
    if db.mode() == Mode::Community {
        // Detection marks readings in compressed chunks too.
        grid_timescale::compression::enable_compression(conn, Duration::days(1)).unwrap();
        conn.batch_execute("SELECT compress_chunk(c) FROM show_chunks('sensor_readings') c")
            .unwrap();
    }
    let policy = AlertPolicy::default();
    let report = detect_range(conn, minute(0), minute(DAYS * 1440), &policy).unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.readings, (DAYS * 1440 * 4) as u64);
    assert_eq!(report.refused, 0);

    let found = episodes(conn, &site);
    // Nothing on the quiet days; each fault of the last day, of its kind, where it began.
    assert!(found.iter().all(|e| e.2 >= LAST), "{found:#?}");
    let has = |tag: &str, kind: &str, (a, b): (i64, i64)| {
        found
            .iter()
            .any(|e| e.0 == tag && e.1 == kind && e.2 >= a && e.2 < b)
    };
    // The stuck run is found at its tenth equal reading.
    assert!(
        has("D-V", "stuck", (STUCK.0 + 9, STUCK.0 + 10)),
        "{found:#?}"
    );
    assert!(
        has("D-F1", "level_shift", (SHORT.0, SHORT.0 + 15)),
        "{found:#?}"
    );
    // The imbalance episode is the substation's, on its incomer's row.
    assert!(
        has("D-IN", "imbalance", (SHORT.0, SHORT.0 + 15)),
        "{found:#?}"
    );
    for tag in ["D-IN", "D-F1", "D-F2", "D-V"] {
        assert!(
            has(tag, "level_shift", (OUTAGE.0, OUTAGE.0 + 1)),
            "{tag}: {found:#?}"
        );
    }
    assert!(found.iter().all(|e| e.3 < OUTAGE.1 + 120), "{found:#?}");

    // Exactly the anomalous readings are marked, with their scores.
    let marks = marked(conn);
    assert_eq!(marks.len() as u64, report.marked);
    let scores: Vec<Option<f64>> = sensor_readings::table
        .filter(sensor_readings::is_anomaly.eq(true))
        .select(sensor_readings::anomaly_score)
        .load(conn)
        .unwrap();
    assert!(
        scores
            .iter()
            .all(|s| s.is_some_and(|s| (0.5..=1.0).contains(&s)))
    );
    let unmarked_scored: i64 = sensor_readings::table
        .filter(sensor_readings::is_anomaly.eq(false))
        .filter(sensor_readings::anomaly_score.is_not_null())
        .count()
        .get_result(conn)
        .unwrap();
    assert_eq!(unmarked_scored, 0);
    let stuck_marked = marks
        .iter()
        .filter(|(s, t)| *s == site.volts.id && *t >= minute(STUCK.0) && *t < minute(STUCK.1))
        .count();
    assert_eq!(stuck_marked, (STUCK.1 - STUCK.0 - 9) as usize);

    // One storm alert for the outage's four sensors, one alert per other episode; all resolved.
    let raised = alerts(conn);
    let storms: Vec<_> = raised
        .iter()
        .filter(|a| a.0 == AlertKind::AnomalyStorm.as_str())
        .collect();
    assert_eq!(storms.len(), 1, "{raised:#?}");
    assert!(storms[0].1.contains("4 sensors"), "{raised:#?}");
    assert!(raised.iter().all(|a| a.2.is_some()), "{raised:#?}");
    let per_episode = raised
        .iter()
        .filter(|a| a.0 == AlertKind::SensorAnomaly.as_str())
        .count();
    assert_eq!(per_episode, found.len() - 4, "{raised:#?} {found:#?}");

    // Repeated: nothing new.
    let again = detect_range(conn, minute(0), minute(DAYS * 1440), &policy).unwrap();
    assert_eq!((again.readings, again.opened, again.marked), (0, 0, 0));
    assert_eq!(episodes(conn, &site), found);
    assert_eq!(alerts(conn), raised);
}

#[test]
fn two_halves_across_a_restart_and_the_ingest_path_find_the_same_episodes() {
    // One run over the whole range.
    let whole = TestDb::new(&READY);
    let (_, site_w) = site(&mut whole.conn());
    ingest(&mut whole.conn(), readings(&site_w));
    detect_range(
        &mut whole.conn(),
        minute(0),
        minute(DAYS * 1440),
        &AlertPolicy::default(),
    )
    .unwrap();
    let reference = episodes(&mut whole.conn(), &site_w);
    let reference_marks = marked(&mut whole.conn()).len();
    assert!(reference.len() >= 7, "{reference:#?}");
    // States an earlier engine version wrote (no format tag) are not damage: the engine
    // loads, and those sensors learn afresh.
    {
        use diesel::connection::SimpleConnection;
        let conn = &mut whole.conn();
        conn.batch_execute("UPDATE anomaly_sensor_states SET state = substring(state from 5)")
            .unwrap();
        let engine = OnlineDetector::load(conn, AlertPolicy::default());
        assert!(engine.is_ok(), "{:?}", engine.err());
    }

    // Two runs, cut in the middle of the stuck run (the states carry it over).
    let halves = TestDb::new(&READY);
    let (_, site_h) = site(&mut halves.conn());
    ingest(&mut halves.conn(), readings(&site_h));
    let cut = minute(STUCK.0 + 15);
    let first = detect_range(&mut halves.conn(), minute(0), cut, &AlertPolicy::default()).unwrap();
    let second = detect_range(
        &mut halves.conn(),
        cut,
        minute(DAYS * 1440),
        &AlertPolicy::default(),
    )
    .unwrap();
    assert_eq!(first.readings + second.readings, (DAYS * 1440 * 4) as u64);
    assert_eq!(episodes(&mut halves.conn(), &site_h), reference);
    assert_eq!(marked(&mut halves.conn()).len(), reference_marks);

    // In the ingest path, an hour of readings per batch, scored before they are stored.
    let online = TestDb::new(&READY);
    let conn = &mut online.conn();
    let (_, site_o) = site(conn);
    let mut engine = OnlineDetector::load(conn, AlertPolicy::default()).unwrap();
    let mut ing = ingester(conn);
    let all = readings(&site_o);
    let batches: Vec<&[Reading]> = all.chunks(60 * 4).collect();
    // The poller restarts at 15:00 of the last day, with the outage's episodes still open:
    // the new detector catches up from the checkpoints over what the first one stored.
    let restart_at = batches.len() - 24 + 15;
    for (i, batch) in batches.iter().enumerate() {
        if i == restart_at {
            engine = OnlineDetector::load(conn, AlertPolicy::default()).unwrap();
        }
        let r = ing
            .ingest_batch_scored(conn, batch.to_vec(), &mut engine)
            .unwrap();
        assert_eq!(r.rejected, 0);
    }
    assert_eq!(episodes(conn, &site_o), reference);
    assert_eq!(marked(conn).len(), reference_marks);
    // Online, every reading after the learning period carries its score.
    let unscored: i64 = sensor_readings::table
        .filter(sensor_readings::anomaly_score.is_null())
        .filter(sensor_readings::timestamp.ge(minute(LAST)))
        .count()
        .get_result(conn)
        .unwrap();
    assert_eq!(unscored, 0);

    // A replayed batch changes nothing: stored once, scored once.
    let replay = ing
        .ingest_batch_scored(conn, all[..240].to_vec(), &mut engine)
        .unwrap();
    assert_eq!(replay.inserted, 0);
    assert_eq!(episodes(conn, &site_o), reference);
}

#[test]
fn a_rolled_back_batch_leaves_the_detectors_as_they_were() {
    use grid_timescale::ingest::{ScoreInput, Scorer};
    let db = TestDb::new(&READY);
    let conn = &mut db.conn();
    let (_, site) = site(conn);
    let mut engine = OnlineDetector::load(conn, AlertPolicy::default()).unwrap();
    let inputs: Vec<ScoreInput> = (0..120)
        .map(|i| ScoreInput {
            sensor_id: site.volts.id,
            timestamp: minute(i),
            value: 132.0 + noise(9, i as u64),
        })
        .collect();
    let first = engine.score(conn, &inputs);
    engine.rollback();
    // Scored again from the same state: the same scores, not refused as already seen.
    assert_eq!(engine.score(conn, &inputs), first);
    assert!(first.iter().all(Option::is_some));
    engine.persist(conn).unwrap();
    // Persisted: the stored state has taken the readings, so a reload refuses them.
    let mut reloaded = OnlineDetector::load(conn, AlertPolicy::default()).unwrap();
    assert!(
        reloaded
            .score(conn, &inputs[..1])
            .iter()
            .all(Option::is_none)
    );
}
