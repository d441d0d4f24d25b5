//! What least privilege costs, side by side in one run on one server: ingest as the owner
//! (no row-level security applies to it) and as the writer role (the policies on
//! `grid_sensors` apply); the latest values and series as the owner, as the national reader
//! (through the same query functions) and as a one-zone regional login (through the zone
//! views, the only way it has to readings).
//!
//! ```text
//! cargo bench --bench access          # GRID_BENCH_MODE=plain|apache|community, or DATABASE_URL
//! ```
//!
//! Protocol: 1,000 load sensors in 40 substations across the 8 zones; ingest of 500,000
//! readings in batches of 10,000 into emptied tables, one warm-up run each, then owner and
//! writer alternating, 5 repetitions, median; queries over 2 days (2.88M readings), median of 21 runs each.

use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use grid_access::{Role, RoleNames};
use grid_model::*;
use grid_store::{SensorRepository, SubstationRepository};
use grid_testdb::{BenchDatabase, with_user};
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, TimePolicy};
use grid_timescale::query::{Scope, SeriesTarget, SourcePreference, latest, series};
use grid_timescale::{OperatingLimits, TimescaleConfig};
use uuid::Uuid;

const SENSORS: usize = 1_000;
const INGEST: u64 = 500_000;
const BATCH: usize = 10_000;
const REPS: usize = 5;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn readings(n: u64, ids: &[Uuid]) -> Vec<Reading> {
    let k = ids.len() as u64;
    (0..n)
        .map(|i| {
            let ts = start() + Duration::seconds(((i / k) * 60) as i64);
            Reading::new(ids[(i % k) as usize], ts, 10.0 + (i % 97) as f64)
        })
        .collect()
}

fn options() -> IngestOptions {
    IngestOptions {
        time_policy: TimePolicy::backfill(start(), start() + Duration::days(30)),
        ..Default::default()
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn timed<T>(runs: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<(f64, T)> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t0 = Instant::now();
        last = Some(f()?);
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((median(times), last.context("no run")?))
}

fn ingest_rate(url: &str, rows: &[Reading]) -> anyhow::Result<f64> {
    let mut conn = PgConnection::establish(url)?;
    let mut ingester = Ingester::new(&mut conn, OperatingLimits::default(), options())?;
    let t0 = Instant::now();
    for batch in rows.chunks(BATCH) {
        let r = ingester.ingest_batch(&mut conn, batch.iter().cloned())?;
        anyhow::ensure!(r.inserted == batch.len() as u64, "{r:?}");
    }
    Ok(rows.len() as f64 / t0.elapsed().as_secs_f64())
}

fn reset(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.batch_execute(
        "TRUNCATE sensor_readings, sensor_latest_readings, grid_timescale_invalidations;
         UPDATE grid_sensors SET last_reading_at = NULL; CHECKPOINT;",
    )?;
    Ok(())
}

#[derive(QueryableByName)]
struct Bucket {
    #[diesel(sql_type = diesel::sql_types::Double)]
    avg: f64,
}

fn main() -> anyhow::Result<()> {
    let db = BenchDatabase::create("gs_bench_access")?;
    let owner_url = db.url.clone();
    let conn = &mut db.conn()?;
    grid_store::migrations::run_pending(conn)?;
    grid_timescale::setup(conn, &TimescaleConfig::default())?;
    let names = RoleNames::default();
    grid_access::apply(conn, &names)?;
    let mode = grid_timescale::capabilities::detect(conn)?.mode;
    let mut ids = Vec::new();
    let mut nairobi = Vec::new();
    for (z, zone) in GridZone::ALL.iter().enumerate() {
        for sub in 0..5 {
            let code = format!("A-{z}-{sub}");
            let d = SubstationDraft::new(
                format!("Bench {code}"),
                &code,
                *zone,
                (-1.0, 37.0),
                33,
                60.0,
            );
            let s = conn.insert_substation(&NewSubstation::new(d)?)?;
            for k in 0..SENSORS / 40 {
                let d = SensorDraft::new(s.id, format!("{code}-L{k:02}"), SensorType::Load);
                let id = conn.insert_sensor(&NewSensor::new(d)?)?.id;
                ids.push(id);
                if *zone == GridZone::Nairobi {
                    nairobi.push(id);
                }
            }
        }
    }
    let password = Uuid::new_v4().simple().to_string();
    let logins = [
        ("gs_bench_writer", names.of(Role::Writer)),
        ("gs_bench_reader", names.of(Role::Reader)),
        (
            "gs_bench_nairobi",
            format!(
                "{}\", \"{}",
                names.of(Role::Regional),
                names.zone(GridZone::Nairobi)
            ),
        ),
    ];
    for (login, groups) in &logins {
        conn.batch_execute(&format!(
            "DROP ROLE IF EXISTS {login}; CREATE ROLE {login} LOGIN PASSWORD '{password}';
             GRANT \"{groups}\" TO {login};"
        ))?;
    }
    let url_of = |login: &str| with_user(&owner_url, login, &password);

    println!("== least privilege, server mode {mode}");
    let rows = readings(INGEST, &ids);
    // One run each to warm the server's caches before anything is measured.
    for url in [owner_url.clone(), url_of("gs_bench_writer")] {
        reset(conn)?;
        ingest_rate(&url, &rows)?;
    }
    let (mut as_owner, mut as_writer) = (Vec::new(), Vec::new());
    for rep in 0..REPS {
        for first_owner in [rep % 2 == 0, rep % 2 != 0] {
            reset(conn)?;
            let url = if first_owner {
                owner_url.clone()
            } else {
                url_of("gs_bench_writer")
            };
            let rate = ingest_rate(&url, &rows)?;
            if first_owner {
                as_owner.push(rate)
            } else {
                as_writer.push(rate)
            }
        }
    }
    let (o, w) = (median(as_owner), median(as_writer));
    println!(
        "  ingest {INGEST} readings in batches of {BATCH}: owner {o:9.0} rows/s; writer role {w:9.0} rows/s ({:+.1} %)",
        (w / o - 1.0) * 100.0
    );

    // Two days of readings for the queries.
    reset(conn)?;
    let two_days = readings(SENSORS as u64 * 2 * 24 * 60, &ids);
    ingest_rate(&owner_url, &two_days)?;
    grid_timescale::refresh(conn)?;
    conn.batch_execute("VACUUM ANALYZE")?;
    let reader = &mut PgConnection::establish(&url_of("gs_bench_reader"))?;
    let zone = &mut PgConnection::establish(&url_of("gs_bench_nairobi"))?;

    let (l_owner, a) = timed(21, || Ok(latest(conn, Scope::Grid)?.len()))?;
    let (l_reader, b) = timed(21, || Ok(latest(reader, Scope::Grid)?.len()))?;
    let (l_zone, c) = timed(21, || {
        Ok(grid_testdb::count(
            zone,
            "SELECT count(*) AS n FROM (SELECT * FROM grid_zone_latest_readings) q",
        ))
    })?;
    anyhow::ensure!(a == SENSORS && b == SENSORS && c as usize == nairobi.len());
    println!(
        "  latest values: owner {l_owner:6.2} ms, reader {l_reader:6.2} ms ({SENSORS} sensors); one-zone login through its view {l_zone:6.2} ms ({c} sensors)"
    );

    let (from, to) = (start(), start() + Duration::days(2));
    let one = nairobi[0];
    let (s_owner, n1) = timed(21, || {
        Ok(series(
            conn,
            SeriesTarget::sensor(one),
            from,
            to,
            Duration::hours(1),
            SourcePreference::Auto,
        )?
        .buckets
        .len())
    })?;
    let (s_reader, n2) = timed(21, || {
        Ok(series(
            reader,
            SeriesTarget::sensor(one),
            from,
            to,
            Duration::hours(1),
            SourcePreference::Auto,
        )?
        .buckets
        .len())
    })?;
    // One sensor's hourly averages over the two days, by the query of `sql` on `relation`.
    let averages = |c: &mut PgConnection, sql: &str, relation: &str| -> anyhow::Result<Vec<f64>> {
        Ok(diesel::sql_query(sql.replace("{relation}", relation))
            .bind::<diesel::sql_types::Uuid, _>(one)
            .bind::<diesel::sql_types::Timestamptz, _>(from)
            .bind::<diesel::sql_types::Timestamptz, _>(to)
            .load::<Bucket>(c)?
            .into_iter()
            .map(|b| b.avg)
            .collect())
    };
    const HOURLY: &str = "SELECT avg_value AS avg FROM {relation}
        WHERE sensor_id = $1 AND bucket >= $2 AND bucket < $3 ORDER BY bucket";
    const RAW: &str = "SELECT avg(value) AS avg FROM {relation}
        WHERE sensor_id = $1 AND \"timestamp\" >= $2 AND \"timestamp\" < $3
        GROUP BY date_trunc('hour', \"timestamp\") ORDER BY date_trunc('hour', \"timestamp\")";
    let hourly = |c: &mut PgConnection, relation: &str| averages(c, HOURLY, relation);
    let raw = |c: &mut PgConnection, relation: &str| averages(c, RAW, relation);
    let (s_table, n3) = timed(21, || hourly(reader, "sensor_readings_hourly"))?;
    let (s_zone, n4) = timed(21, || hourly(zone, "grid_zone_readings_hourly"))?;
    anyhow::ensure!(
        n1 == 48 && n2 == 48 && n3.len() == 48,
        "{n1} {n2} {}",
        n3.len()
    );
    anyhow::ensure!(n3 == n4, "the zone view answers as the rollup does");
    let (r_table, m1) = timed(21, || raw(reader, "sensor_readings"))?;
    let (r_zone, m2) = timed(21, || raw(zone, "grid_zone_readings"))?;
    anyhow::ensure!(
        m1.len() == 48 && m1 == m2,
        "the zone view answers as the table does"
    );
    println!(
        "  hourly series of one sensor over 2 days: series() owner {s_owner:6.2} ms, reader {s_reader:6.2} ms; \
         the hourly rollup as reader {s_table:6.2} ms, through the zone view {s_zone:6.2} ms; \
         from raw readings as reader {r_table:6.2} ms, through the zone view {r_zone:6.2} ms"
    );
    for (login, _) in &logins {
        conn.batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{login}';
             DROP ROLE IF EXISTS {login};"
        ))?;
    }
    Ok(())
}
