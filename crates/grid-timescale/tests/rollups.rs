//! In every mode, after a refresh every rollup bucket equals the raw readings, computed here
//! in Rust (not with the same SQL): ingest → refresh → late and duplicate readings → refresh
//! → retention → more data → refresh. Count, min, max, first and last exact; avg within 1e-9
//! relative.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use common::*;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Timestamptz};
use grid_model::*;
use grid_testdb::count;
use grid_timescale::OperatingLimits;
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, RejectReason, TimePolicy};
use grid_timescale::query::{SeriesTarget, Source, SourcePreference, series};
use grid_timescale::refresh;
use grid_timescale::retention::apply_retention;
use uuid::Uuid;

type Key = (Uuid, DateTime<Utc>);
type Model = BTreeMap<Key, f64>;

#[derive(Debug, PartialEq, Clone, Copy)]
struct Agg {
    count: i64,
    min: f64,
    max: f64,
    avg: f64,
    first: f64,
    last: f64,
}

/// Expected buckets, computed from the model: `bucket_of` maps a time to its bucket start.
fn expected(
    model: &Model,
    bucket_of: impl Fn(DateTime<Utc>) -> DateTime<Utc>,
) -> BTreeMap<Key, Agg> {
    let mut groups: BTreeMap<Key, Vec<(DateTime<Utc>, f64)>> = BTreeMap::new();
    for (&(s, ts), &v) in model {
        groups.entry((s, bucket_of(ts))).or_default().push((ts, v));
    }
    groups
        .into_iter()
        .map(|(k, mut vs)| {
            vs.sort_by_key(|(ts, _)| *ts);
            let values: Vec<f64> = vs.iter().map(|(_, v)| *v).collect();
            let agg = Agg {
                count: values.len() as i64,
                min: values.iter().copied().fold(f64::INFINITY, f64::min),
                max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                avg: values.iter().sum::<f64>() / values.len() as f64,
                first: values[0],
                last: *values.last().unwrap(),
            };
            (k, agg)
        })
        .collect()
}

fn hour_of(ts: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(ts.timestamp().div_euclid(3600) * 3600, 0).unwrap()
}

/// Africa/Nairobi is UTC+3 all year (no DST): a local day starts at 21:00 UTC.
fn nairobi_day_of(ts: DateTime<Utc>) -> DateTime<Utc> {
    let local = ts.timestamp() + 3 * 3600;
    DateTime::from_timestamp(local.div_euclid(86_400) * 86_400 - 3 * 3600, 0).unwrap()
}

fn stored(conn: &mut PgConnection, table: &str) -> BTreeMap<Key, Agg> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        sensor_id: Uuid,
        #[diesel(sql_type = Timestamptz)]
        bucket: DateTime<Utc>,
        #[diesel(sql_type = BigInt)]
        reading_count: i64,
        #[diesel(sql_type = Double)]
        min_value: f64,
        #[diesel(sql_type = Double)]
        max_value: f64,
        #[diesel(sql_type = Double)]
        avg_value: f64,
        #[diesel(sql_type = Double)]
        first_value: f64,
        #[diesel(sql_type = Double)]
        last_value: f64,
    }
    diesel::sql_query(format!(
        "SELECT sensor_id, bucket, reading_count, min_value, max_value, avg_value, first_value, last_value FROM {table}"
    ))
    .load::<Row>(conn)
    .unwrap()
    .into_iter()
    .map(|r| {
        let agg = Agg {
            count: r.reading_count,
            min: r.min_value,
            max: r.max_value,
            avg: r.avg_value,
            first: r.first_value,
            last: r.last_value,
        };
        ((r.sensor_id, r.bucket), agg)
    })
    .collect()
}

fn assert_equal(what: &str, got: &BTreeMap<Key, Agg>, want: &BTreeMap<Key, Agg>) {
    let got_keys: Vec<_> = got.keys().collect();
    let want_keys: Vec<_> = want.keys().collect();
    assert_eq!(
        got_keys.len(),
        want_keys.len(),
        "{what}: bucket count differs"
    );
    assert_eq!(got_keys, want_keys, "{what}: buckets differ");
    for (k, w) in want {
        let g = &got[k];
        assert_eq!(
            (g.count, g.min, g.max, g.first, g.last),
            (w.count, w.min, w.max, w.first, w.last),
            "{what} {k:?}"
        );
        let rel = ((g.avg - w.avg) / w.avg.abs().max(1e-300)).abs();
        assert!(
            rel <= 1e-9,
            "{what} {k:?}: avg {} vs {} (rel {rel})",
            g.avg,
            w.avg
        );
    }
}

fn check(conn: &mut PgConnection, model: &Model, stage: &str) {
    assert_equal(
        &format!("{stage}: hourly"),
        &stored(conn, "sensor_readings_hourly"),
        &expected(model, hour_of),
    );
    assert_equal(
        &format!("{stage}: daily"),
        &stored(conn, "sensor_readings_daily"),
        &expected(model, nairobi_day_of),
    );
}

#[test]
fn rollups_equal_raw_aggregates_through_late_data_duplicates_and_retention() {
    let db = ready();
    let conn = &mut db.conn();
    let s = substation(conn, "RU-1", GridZone::Nairobi, 33);
    let sensors: Vec<Uuid> = (0..5)
        .map(|i| sensor(conn, &s, &format!("RU-{i}"), SensorType::Load).id)
        .collect();
    let d0 = t(2026, 5, 1, 0, 0);
    let days = 3;
    let opts = IngestOptions {
        time_policy: TimePolicy::backfill(d0, d0 + Duration::days(days)),
        ..Default::default()
    };
    let mut ing = Ingester::new(conn, OperatingLimits::default(), opts.clone()).unwrap();
    let mut rng = Rng(0x5EED_0001);
    let mut model = Model::new();
    let random_batch =
        |rng: &mut Rng, n: usize, model: &mut Model, keep_new_only: bool| -> Vec<Reading> {
            (0..n)
                .map(|_| {
                    let sid = sensors[rng.below(sensors.len() as u64) as usize];
                    let ts = d0 + Duration::seconds(rng.below(days as u64 * 86_400) as i64);
                    let v = rng.value();
                    if keep_new_only {
                        model.entry((sid, ts)).or_insert(v);
                    }
                    Reading::new(sid, ts, v)
                })
                .collect()
        };

    // 1. A first load, then refresh.
    let batch = random_batch(&mut rng, 4_000, &mut model, true);
    ing.ingest_batch(conn, batch).unwrap();
    refresh(conn).unwrap();
    check(conn, &model, "after the first load");

    // 2. Late readings into hours already rolled up, exact duplicates and conflicting values.
    let mut late = random_batch(&mut rng, 1_500, &mut model, true);
    let existing: Vec<((Uuid, DateTime<Utc>), f64)> =
        model.iter().take(300).map(|(k, v)| (*k, *v)).collect();
    for (i, ((sid, ts), v)) in existing.into_iter().enumerate() {
        let value = if i % 2 == 0 { v } else { v + 1.0 }; // duplicate, or a conflict kept as first
        late.push(Reading::new(sid, ts, value));
    }
    let r = ing.ingest_batch(conn, late).unwrap();
    assert!(r.duplicates >= 150 && r.conflicts >= 150, "{r:?}");
    // Until refreshed, a series over the late hours must not trust the rollup.
    let target = SeriesTarget::sensor(sensors[0]);
    let pending = series(
        conn,
        target,
        d0,
        d0 + Duration::days(days),
        Duration::hours(1),
        SourcePreference::Auto,
    )
    .unwrap();
    assert_eq!(pending.source, Source::Raw);
    refresh(conn).unwrap();
    check(conn, &model, "after late data and duplicates");

    // The same series from the rollup and from raw readings.
    for width in [Duration::hours(1), Duration::hours(6), Duration::days(1)] {
        let roll = series(
            conn,
            target,
            d0,
            d0 + Duration::days(days),
            width,
            SourcePreference::Auto,
        )
        .unwrap();
        let raw = series(
            conn,
            target,
            d0,
            d0 + Duration::days(days),
            width,
            SourcePreference::Raw,
        )
        .unwrap();
        assert_ne!(roll.source, Source::Raw, "width {width}");
        assert_eq!(roll.buckets.len(), raw.buckets.len());
        for (a, b) in roll.buckets.iter().zip(&raw.buckets) {
            assert_eq!(
                (a.start, a.count, a.min, a.max, a.first, a.last),
                (b.start, b.count, b.min, b.max, b.first, b.last)
            );
            if let (Some(x), Some(y)) = (a.avg, b.avg) {
                assert!(((x - y) / y.abs().max(1e-300)).abs() <= 1e-9);
            }
        }
    }

    // 3. Retention: raw readings before the horizon go; the rollups keep every bucket.
    let keep = Duration::days(8);
    let now = d0 + Duration::days(1) + keep + Duration::hours(5);
    let report = apply_retention(conn, keep, now).unwrap();
    assert_eq!(report.horizon, d0 + Duration::days(1));
    let raw_left = count(conn, "SELECT count(*) AS n FROM sensor_readings");
    let expected_left = model.keys().filter(|(_, ts)| *ts >= report.horizon).count() as i64;
    assert_eq!(raw_left, expected_left);
    check(conn, &model, "after retention");

    // 4. More data after the horizon, and late data before it (refused), then refresh:
    // history before the horizon is untouched.
    // The local (Nairobi) day that straddles the UTC-midnight horizon began at 21:00 UTC the
    // evening before: readings for it are refused too, since its daily bucket is history now.
    assert_eq!(report.frozen_before, report.horizon + Duration::hours(21));
    let mut after = Vec::new();
    let mut in_straddling_day = 0;
    for i in 0..500 {
        let sid = sensors[i % sensors.len()];
        let ts = report.horizon + Duration::seconds(rng.below(2 * 86_400) as i64);
        let v = rng.value();
        if ts < report.frozen_before {
            in_straddling_day += 1;
        } else {
            model.entry((sid, ts)).or_insert(v);
        }
        after.push(Reading::new(sid, ts, v));
    }
    assert!(in_straddling_day > 0);
    after.push(Reading::new(sensors[0], d0 + Duration::hours(2), 1.0));
    ing.reload_sensors(conn).unwrap();
    let r = ing.ingest_batch(conn, after).unwrap();
    assert_eq!(
        r.rejected_by_reason
            .get(&RejectReason::BeforeRetentionHorizon),
        Some(&1)
    );
    assert_eq!(
        r.rejected_by_reason
            .get(&RejectReason::DayBeforeRetentionHorizon),
        Some(&in_straddling_day)
    );
    let refreshed = refresh(conn).unwrap();
    assert!(refreshed.hours > 0);
    check(conn, &model, "after more data past the horizon");
}
