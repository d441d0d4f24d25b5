//! What the control room asks of the readings: series at any bucket width, the latest value
//! of every sensor, flagged readings, silent sensors.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Double, Nullable, Text, Timestamptz};
use grid_store::enums::{DbGridZone, DbSensorStatus, DbSensorType};
use grid_store::schema::{grid_sensors, grid_substations};
use uuid::Uuid;

use crate::error::{TimescaleError, TsResult};
pub use crate::latest::{Latest, latest, latest_from_raw};
use crate::ledger::state;
pub use crate::scope::{Scope, SeriesTarget};

/// Where a series may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourcePreference {
    /// The rollups when the width and range allow, raw readings otherwise.
    #[default]
    Auto,
    /// Always the raw readings.
    Raw,
}

/// Where a series came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The raw readings.
    Raw,
    /// The hourly rollup.
    HourlyRollup,
    /// The daily rollup.
    DailyRollup,
}

/// One bucket of a series; a bucket without readings is a gap (`count` 0, no values).
#[derive(Debug, Clone, PartialEq, QueryableByName, serde::Serialize)]
pub struct Bucket {
    /// Start of the bucket (for daily buckets: local midnight).
    #[diesel(sql_type = Timestamptz)]
    pub start: DateTime<Utc>,
    /// Readings in it.
    #[diesel(sql_type = BigInt)]
    pub count: i64,
    /// Mean of the readings.
    #[diesel(sql_type = Nullable<Double>)]
    pub avg: Option<f64>,
    /// Smallest reading.
    #[diesel(sql_type = Nullable<Double>)]
    pub min: Option<f64>,
    /// Largest reading.
    #[diesel(sql_type = Nullable<Double>)]
    pub max: Option<f64>,
    /// Earliest reading (ties between sensors: the lowest sensor id).
    #[diesel(sql_type = Nullable<Double>)]
    pub first: Option<f64>,
    /// Latest reading (ties between sensors: the lowest sensor id).
    #[diesel(sql_type = Nullable<Double>)]
    pub last: Option<f64>,
}

impl Bucket {
    /// Whether the bucket holds no reading.
    pub fn is_gap(&self) -> bool {
        self.count == 0
    }
}

/// A series: contiguous buckets covering the range, gaps included.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Series {
    /// Where the values came from.
    pub source: Source,
    /// The width of each bucket (a day for local-day buckets).
    pub width: Duration,
    /// The buckets, in time order.
    pub buckets: Vec<Bucket>,
    /// Hours (UTC) in the series' range whose rollup refresh failed and is set aside
    /// ([`crate::set_aside`]): their readings are left out of every bucket here, so that the
    /// series answers instead of failing on them. Empty in the normal case.
    pub unavailable_hours: Vec<DateTime<Utc>>,
}

fn sensor_ids(conn: &mut PgConnection, target: SeriesTarget) -> QueryResult<Vec<Uuid>> {
    let mut q = grid_sensors::table
        .inner_join(grid_substations::table)
        .select(grid_sensors::id)
        .into_boxed();
    q = match target.scope() {
        Scope::Sensor(id) => return Ok(vec![id]),
        Scope::Substation(id) => q.filter(grid_sensors::substation_id.eq(id)),
        Scope::Zone(zone) => q.filter(grid_substations::zone.eq(DbGridZone::from(zone))),
        Scope::Grid => q,
    };
    if let Some(kind) = target.sensor_type() {
        q = q.filter(grid_sensors::sensor_type.eq(DbSensorType::from(kind)));
    }
    q.load(conn)
}

/// The most buckets one [`series`] answers with, whatever the caller: every bucket is a row
/// built in memory, so a century at one-minute width would exhaust it. Services set their
/// own, lower bound (grid-service's `http.max_buckets`).
pub const MAX_SERIES_BUCKETS: i64 = 1_000_000;

/// At most how many buckets of `width` cover `[from, to)`: the range over the width, plus
/// one for a bucket straddling an end (a day at one-hour width: 25 at most, 24 when the
/// range starts on the hour). Known before any work, so a request can be refused first.
pub fn bucket_count(from: DateTime<Utc>, to: DateTime<Utc>, width: Duration) -> i64 {
    let (span, w) = ((to - from).num_seconds(), width.num_seconds().max(1));
    span / w + 1
}

/// Buckets of `width` (1 minute to 1 day) covering `[from, to)`, widened to whole buckets.
/// Buckets shorter than a day are aligned to UTC (midnight 2000-01-01); a 1-day bucket is a
/// local calendar day in the database's time zone ([`crate::local_zone`]). Uses the rollups when the width and
/// range allow and they hold no pending invalidation there; the answer is the same either
/// way (averages to rounding).
///
/// ```
/// # fn main() -> anyhow::Result<()> {
/// # let db = grid_testdb::TestDb::new(&grid_testkit::READY);
/// # let conn = &mut db.conn();
/// # let s = grid_testkit::substation(conn, "DOC-S", grid_model::GridZone::Kisumu, 33);
/// # let load = grid_testkit::sensor(conn, &s, "DOC-S-LOAD", grid_model::SensorType::Load);
/// use chrono::{Duration, DurationRound, Utc};
/// use grid_timescale::ingest::{IngestOptions, Ingester, Reading};
/// use grid_timescale::query::{SeriesTarget, SourcePreference, series};
///
/// let hour = Utc::now().duration_trunc(Duration::hours(1))? - Duration::hours(2);
/// let mut ingester = Ingester::new(conn, Default::default(), IngestOptions::default())?;
/// let readings = (0..60).map(|m| Reading::new(load.id, hour + Duration::minutes(m), m as f64));
/// ingester.ingest_batch(conn, readings)?;
/// let s = series(
///     conn,
///     SeriesTarget::sensor(load.id),
///     hour,
///     hour + Duration::hours(1),
///     Duration::minutes(15),
///     SourcePreference::Auto,
/// )?;
/// assert_eq!(s.buckets.len(), 4);
/// assert_eq!(s.buckets.iter().map(|b| b.count).sum::<i64>(), 60);
/// # Ok(()) }
/// ```
pub fn series(
    conn: &mut PgConnection,
    target: SeriesTarget,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    width: Duration,
    prefer: SourcePreference,
) -> TsResult<Series> {
    if width < Duration::minutes(1) || width > Duration::days(1) {
        return Err(TimescaleError::Config(format!(
            "bucket width must be 1 minute to 1 day (got {width})"
        )));
    }
    if to <= from {
        return Err(TimescaleError::Config(format!(
            "empty range {from} .. {to}"
        )));
    }
    let buckets = bucket_count(from, to, width);
    if buckets > MAX_SERIES_BUCKETS {
        return Err(TimescaleError::Config(format!(
            "{buckets} buckets of {width} over {from} .. {to}: at most {MAX_SERIES_BUCKETS} \
             (a wider bucket or a shorter range)"
        )));
    }
    let (tz, pending, unavailable) = rollup_context(conn, from, to)?;
    let ids = sensor_ids(conn, target)?;
    let daily = width == Duration::days(1);
    let hourly_ok = width.num_seconds() % 3600 == 0;
    let source = match prefer {
        SourcePreference::Raw => Source::Raw,
        SourcePreference::Auto if (daily || hourly_ok) && !pending && unavailable.is_empty() => {
            if daily {
                Source::DailyRollup
            } else {
                Source::HourlyRollup
            }
        }
        SourcePreference::Auto => Source::Raw,
    };
    let w = format!("{} seconds", width.num_seconds());
    // Bucket starts, gaps included.
    let grid = if daily {
        "SELECT gs AT TIME ZONE $4 AS start
           FROM generate_series(date_trunc('day', $2 AT TIME ZONE $4),
                                $3 AT TIME ZONE $4 - INTERVAL '1 microsecond',
                                INTERVAL '1 day') AS gs"
            .to_owned()
    } else {
        format!(
            "SELECT gs AS start FROM generate_series(
                 date_bin(INTERVAL '{w}', $2, TIMESTAMPTZ '2000-01-01 00:00+00'),
                 $3 - INTERVAL '1 microsecond', INTERVAL '{w}') AS gs"
        )
    };
    let bucket_of = |col: &str| {
        if daily {
            format!("date_trunc('day', {col} AT TIME ZONE $4) AT TIME ZONE $4")
        } else {
            format!("date_bin(INTERVAL '{w}', {col}, TIMESTAMPTZ '2000-01-01 00:00+00')")
        }
    };
    // The exact end of the last bucket: local days vary in length across DST changes.
    let end = if daily {
        "(max(start) AT TIME ZONE $4 + INTERVAL '1 day') AT TIME ZONE $4".to_owned()
    } else {
        format!("max(start) + INTERVAL '{w}'")
    };
    let agg = match source {
        Source::Raw => format!(
            "SELECT {b} AS start, count(*) AS count, avg(value) AS avg, min(value) AS min,
                    max(value) AS max,
                    (array_agg(value ORDER BY \"timestamp\", sensor_id))[1] AS first,
                    (array_agg(value ORDER BY \"timestamp\" DESC, sensor_id))[1] AS last
               FROM sensor_readings, bounds
              WHERE sensor_id = ANY($1) AND \"timestamp\" >= bounds.lo AND \"timestamp\" < bounds.hi
                AND date_bin(INTERVAL '1 hour', \"timestamp\", TIMESTAMPTZ '2000-01-01 00:00+00')
                    <> ALL($5)
              GROUP BY 1",
            b = bucket_of("\"timestamp\""),
        ),
        // One sensor at the rollup's own width: its rows are the buckets.
        Source::HourlyRollup | Source::DailyRollup
            if ids.len() == 1 && (daily || width == Duration::hours(1)) =>
        {
            format!(
                "SELECT bucket AS start, reading_count AS count, avg_value AS avg,
                        min_value AS min, max_value AS max, first_value AS first,
                        last_value AS last
                   FROM {table}, bounds
                  WHERE sensor_id = ANY($1) AND bucket >= bounds.lo AND bucket < bounds.hi",
                table = if daily {
                    "sensor_readings_daily"
                } else {
                    "sensor_readings_hourly"
                },
            )
        }
        Source::HourlyRollup | Source::DailyRollup => format!(
            "SELECT {b} AS start, sum(reading_count)::bigint AS count,
                    sum(sum_value) / sum(reading_count) AS avg, min(min_value) AS min,
                    max(max_value) AS max,
                    (array_agg(first_value ORDER BY first_time, sensor_id))[1] AS first,
                    (array_agg(last_value ORDER BY last_time DESC, sensor_id))[1] AS last
               FROM {table}, bounds
              WHERE sensor_id = ANY($1) AND bucket >= bounds.lo AND bucket < bounds.hi
              GROUP BY 1",
            b = if daily {
                "bucket".to_owned()
            } else {
                bucket_of("bucket")
            },
            table = if daily {
                "sensor_readings_daily"
            } else {
                "sensor_readings_hourly"
            },
        ),
    };
    let sql = format!(
        "WITH grid AS ({grid}),
              bounds AS (SELECT min(start) AS lo, {end} AS hi FROM grid),
              agg AS ({agg})
         SELECT grid.start, coalesce(agg.count, 0)::bigint AS count, agg.avg, agg.min, agg.max,
                agg.first, agg.last
           FROM grid LEFT JOIN agg ON agg.start = grid.start
          ORDER BY grid.start"
    );
    let buckets: Vec<Bucket> = diesel::sql_query(sql)
        .bind::<Array<diesel::sql_types::Uuid>, _>(&ids)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .bind::<Text, _>(&tz)
        .bind::<Array<Timestamptz>, _>(&unavailable)
        .load(conn)?;
    // Name the set-aside hours that overlap the buckets.
    let lo = buckets.first().map(|b| b.start);
    let hi = buckets.last().map(|b| b.start + width);
    let unavailable_hours = unavailable
        .into_iter()
        .filter(|h| {
            lo.is_some_and(|lo| *h + Duration::hours(1) > lo) && hi.is_some_and(|hi| *h < hi)
        })
        .collect();
    Ok(Series {
        source,
        width,
        buckets,
        unavailable_hours,
    })
}

/// The daily rollup's time zone, whether the invalidation log holds hours in
/// `[from - 1 day, to + 1 day)` (a margin for widened buckets and local days), and the
/// set-aside hours there ([`crate::set_aside`]): one round trip.
fn rollup_context(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> TsResult<(String, bool, Vec<DateTime<Utc>>)> {
    #[derive(QueryableByName)]
    struct Ctx {
        #[diesel(sql_type = Text)]
        time_zone: String,
        #[diesel(sql_type = Bool)]
        pending: bool,
        #[diesel(sql_type = Array<Timestamptz>)]
        unavailable: Vec<DateTime<Utc>>,
    }
    let ctx = diesel::sql_query(
        "SELECT time_zone,
                EXISTS (SELECT 1 FROM grid_timescale_invalidations
                         WHERE hour >= $1 AND hour < $2) AS pending,
                ARRAY(SELECT hour FROM grid_timescale_refresh_failures
                       WHERE hour >= $1 AND hour < $2 ORDER BY hour) AS unavailable
           FROM grid_timescale_rollup_state",
    )
    .bind::<Timestamptz, _>(from - Duration::days(1))
    .bind::<Timestamptz, _>(to + Duration::days(1))
    .get_result::<Ctx>(conn);
    match ctx {
        Ok(c) => Ok((c.time_zone, c.pending, c.unavailable)),
        // Most likely not set up: let the ledger say so.
        Err(e) => {
            state(conn)?;
            Err(e.into())
        }
    }
}

/// A reading flagged out of range or anomalous.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct FlaggedReading {
    /// The sensor.
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub sensor_id: Uuid,
    /// Its tag.
    #[diesel(sql_type = Text)]
    pub tag: String,
    /// When it was measured.
    #[diesel(sql_type = Timestamptz)]
    pub timestamp: DateTime<Utc>,
    /// Calibrated value.
    #[diesel(sql_type = Double)]
    pub value: f64,
    /// Outside its operating limits.
    #[diesel(sql_type = Bool)]
    pub is_out_of_range: bool,
    /// Flagged as anomalous.
    #[diesel(sql_type = Bool)]
    pub is_anomaly: bool,
}

/// Readings of a substation's sensors in `[from, to)` that are out of range or anomalous,
/// in time order.
pub fn flagged(
    conn: &mut PgConnection,
    substation_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> TsResult<Vec<FlaggedReading>> {
    Ok(diesel::sql_query(include_str!("flagged.sql"))
        .bind::<diesel::sql_types::Uuid, _>(substation_id)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .load(conn)?)
}

/// An active sensor that has stopped reporting.
#[derive(Debug, Clone, PartialEq)]
pub struct SilentSensor {
    /// The sensor.
    pub sensor_id: Uuid,
    /// Its tag.
    pub tag: String,
    /// Its substation.
    pub substation_id: Uuid,
    /// Its newest reading, if it ever sent one.
    pub last_reading: Option<DateTime<Utc>>,
    /// Its sampling interval (1 / sampling rate).
    pub interval: Duration,
}

/// Active sensors with no reading for more than `k` × their sampling interval before `now`
/// (sensors that never reported included), the longest silent first — the commonest SCADA
/// failure.
pub fn silent_sensors(
    conn: &mut PgConnection,
    k: f64,
    now: DateTime<Utc>,
) -> TsResult<Vec<SilentSensor>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
        #[diesel(sql_type = Text)]
        tag: String,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        substation_id: Uuid,
        #[diesel(sql_type = Nullable<Timestamptz>)]
        last: Option<DateTime<Utc>>,
        #[diesel(sql_type = Double)]
        rate: f64,
    }
    if !(k.is_finite() && k > 0.0) {
        return Err(TimescaleError::Config(format!("k must be > 0 (got {k})")));
    }
    let rows: Vec<Row> = diesel::sql_query(include_str!("silent_sensors.sql"))
        .bind::<grid_store::schema::sql_types::SensorStatus, _>(DbSensorStatus::Active)
        .bind::<Timestamptz, _>(now)
        .bind::<Double, _>(k)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| SilentSensor {
            sensor_id: r.id,
            tag: r.tag,
            substation_id: r.substation_id,
            last_reading: r.last,
            interval: Duration::microseconds((1e6 / r.rate) as i64),
        })
        .collect())
}
