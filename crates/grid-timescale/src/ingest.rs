//! Bulk ingest of raw readings: binary COPY, validation per reading, atomic and idempotent
//! batches, streaming in bounded memory.
//!
//! A batch runs in one transaction. Accepted readings stream straight into `sensor_readings`
//! by binary `COPY` under a savepoint (the fast path). If that hits a key that is already
//! stored, the savepoint is rolled back and the same rows go through a temporary staging
//! table and `INSERT … ON CONFLICT`, which counts duplicates (same key, same value) apart from
//! conflicts (same key, different value; kept or replaced per [`ConflictPolicy`]). Either
//! way the batch also moves the latest-value table, `grid_sensors.last_reading_at` (forward
//! only) and the rollups' invalidation log. On any database error nothing of the batch is
//! written, so a retry is always safe, and a retry of a committed batch inserts nothing.
//!
//! Per reading: the sensor must be known and not `inactive`; the raw value, the calibrated
//! value (`raw × calibration_scale + calibration_offset`) and the quality (in [0, 1]) must be
//! finite; the raw value within ±[`MAX_ABS_VALUE`] and the calibrated one within the
//! sensor's [`PhysicalBounds`]; the timestamp must lie in the call's [`TimePolicy`]. Readings of `faulty` and
//! `maintenance` sensors are stored (they are evidence for whoever investigates) and counted
//! apart in the report. `is_out_of_range` follows the configured [`OperatingLimits`].
//! Within one batch the first reading of a key counts; later ones are duplicates or
//! conflicts.
//!
//! The sensor table is cached by the [`Ingester`] (refreshed when older than
//! [`IngestOptions::sensor_cache_ttl`], or on [`Ingester::reload_sensors`]): a sensor added
//! since is reported as unknown until then.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::pg::CopyFormat;
use diesel::prelude::*;
use diesel::result::DatabaseErrorKind;
use diesel::sql_types::{Array, BigInt, Bool, Double, Timestamptz};
use grid_model::{SensorStatus, SensorType};
use grid_store::enums::{DbSensorStatus, DbSensorType};
use grid_store::schema::{grid_sensors, grid_substations, sensor_readings};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::bounds::{InvalidBounds, MAX_ABS_VALUE, PhysicalBounds};
use crate::chunks::{KnownChunks, Probe};
use crate::error::TsResult;
use crate::limits::{Band, OperatingLimits};
use crate::relations::sensor_readings_staging;

/// One raw reading from the field.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The sensor's id (`grid_sensors.id`).
    pub sensor_id: Uuid,
    /// When it was measured.
    pub timestamp: DateTime<Utc>,
    /// The value as the device reported it, before calibration.
    pub value_raw: f64,
    /// Data quality, 0–1 (default 1).
    pub quality: f64,
    /// Optional per-reading attributes (a JSON object).
    pub metadata: Option<Value>,
}

impl Reading {
    /// A reading of quality 1 without metadata.
    pub fn new(sensor_id: Uuid, timestamp: DateTime<Utc>, value_raw: f64) -> Reading {
        Reading {
            sensor_id,
            timestamp,
            value_raw,
            quality: 1.0,
            metadata: None,
        }
    }
}

/// Which timestamps a call accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimePolicy {
    /// Live data: from `max_age` before now to `max_ahead` after (clock skew).
    Live {
        /// How old a reading may be.
        max_age: Duration,
        /// How far in the future a reading may be.
        max_ahead: Duration,
    },
    /// Backfill (CSV loads, replays after an outage, simulations): the stated range,
    /// inclusive.
    Backfill {
        /// Earliest accepted time.
        from: DateTime<Utc>,
        /// Latest accepted time.
        to: DateTime<Utc>,
    },
}

impl TimePolicy {
    /// Live data: up to 24 h old and 5 min ahead.
    pub fn live() -> TimePolicy {
        TimePolicy::Live {
            max_age: Duration::hours(24),
            max_ahead: Duration::minutes(5),
        }
    }

    /// Backfill of `[from, to]`.
    pub fn backfill(from: DateTime<Utc>, to: DateTime<Utc>) -> TimePolicy {
        TimePolicy::Backfill { from, to }
    }

    fn window(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        match *self {
            TimePolicy::Live { max_age, max_ahead } => (now - max_age, now + max_ahead),
            TimePolicy::Backfill { from, to } => (from, to),
        }
    }
}

/// What to do with a reading whose key is stored with a different value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConflictPolicy {
    /// Keep the stored reading (count a conflict).
    #[default]
    KeepFirst,
    /// Replace it with the new one (count it as replaced).
    Replace,
}

/// Why a reading was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RejectReason {
    /// The raw value is NaN or infinite.
    NonFiniteValue,
    /// Calibration made the value NaN or infinite.
    NonFiniteCalibratedValue,
    /// The raw value's magnitude exceeds [`crate::bounds::MAX_ABS_VALUE`].
    RawValueOutOfBounds,
    /// The calibrated value lies outside the sensor's physical bounds
    /// ([`crate::bounds::PhysicalBounds`]): no such value can be real.
    OutsidePhysicalBounds,
    /// The sensor's own `metadata.physical_bounds` is invalid: its readings are refused
    /// until the configuration is fixed.
    InvalidSensorBounds,
    /// Quality is not a number in [0, 1].
    BadQuality,
    /// No such sensor.
    UnknownSensor,
    /// The sensor is `inactive`.
    InactiveSensor,
    /// The timestamp is outside the call's time policy.
    OutsideTimeWindow,
    /// The timestamp is older than the retention horizon (raw data there is dropped and the
    /// rollups keep its history).
    BeforeRetentionHorizon,
    /// The timestamp is after the retention horizon but in a local day that began before it:
    /// that day's daily bucket can no longer be recomputed (see [`crate::retention`]).
    DayBeforeRetentionHorizon,
}

/// One refused reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// Its position in the input (0-based, across a whole stream).
    pub index: u64,
    /// Its sensor.
    pub sensor_id: Uuid,
    /// Its timestamp.
    pub timestamp: DateTime<Utc>,
    /// Why.
    pub reason: RejectReason,
}

/// One reading whose key was already stored (or earlier in its batch) with another value.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// Its position in the input (0-based, across a whole stream).
    pub index: u64,
    /// Its sensor.
    pub sensor_id: Uuid,
    /// Its timestamp.
    pub timestamp: DateTime<Utc>,
}

/// How the rows of a batch reached the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WritePath {
    /// Binary COPY straight into the table.
    #[default]
    Direct,
    /// Binary COPY into staging, then `INSERT … ON CONFLICT`.
    Staged,
}

/// What an ingest did. Counts are exact; rejection details are capped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestReport {
    /// Readings read from the input.
    pub received: u64,
    /// Readings stored now.
    pub inserted: u64,
    /// Readings already stored with the same value.
    pub duplicates: u64,
    /// Readings whose key was stored with a different value and kept.
    pub conflicts: u64,
    /// Readings that replaced a stored one (with [`ConflictPolicy::Replace`]).
    pub replaced: u64,
    /// Readings refused.
    pub rejected: u64,
    /// Refusals by reason.
    pub rejected_by_reason: BTreeMap<RejectReason, u64>,
    /// The first refusals, with their index and reason.
    pub rejections: Vec<Rejection>,
    /// The first conflicts (same key, another value, kept as stored), with their index.
    pub conflict_details: Vec<Conflict>,
    /// Accepted readings outside their operating limits.
    pub out_of_range: u64,
    /// Accepted readings of `faulty` or `maintenance` sensors.
    pub from_degraded_sensors: u64,
    /// How the last batch was written.
    pub path: WritePath,
    /// Batches tried again after a deadlock or serialization failure (see [`RetryPolicy`]).
    pub retries: u64,
}

impl IngestReport {
    fn add(&mut self, other: &IngestReport, cap: usize) {
        self.received += other.received;
        self.inserted += other.inserted;
        self.duplicates += other.duplicates;
        self.conflicts += other.conflicts;
        self.replaced += other.replaced;
        self.rejected += other.rejected;
        for (r, n) in &other.rejected_by_reason {
            *self.rejected_by_reason.entry(*r).or_default() += n;
        }
        let room = cap.saturating_sub(self.rejections.len());
        self.rejections
            .extend(other.rejections.iter().take(room).cloned());
        let room = cap.saturating_sub(self.conflict_details.len());
        self.conflict_details
            .extend(other.conflict_details.iter().take(room).cloned());
        self.out_of_range += other.out_of_range;
        self.from_degraded_sensors += other.from_degraded_sensors;
        self.path = other.path;
        self.retries += other.retries;
    }
}

/// How an [`Ingester`] works.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestOptions {
    /// Which timestamps are accepted.
    pub time_policy: TimePolicy,
    /// Same key, different value: keep or replace.
    pub conflicts: ConflictPolicy,
    /// At most this many rejections (and as many conflicts) are described per call, and per
    /// batch of a stream (all are counted; a stream hands each batch's to its callback).
    pub max_rejection_details: usize,
    /// How long the sensor cache is trusted.
    pub sensor_cache_ttl: std::time::Duration,
    /// Values outside these are refused.
    pub physical_bounds: PhysicalBounds,
    /// Retries of a batch rolled back by a deadlock or a serialization failure.
    pub retry: RetryPolicy,
}

/// How often a batch rolled back by a deadlock or a serialization failure is tried again.
/// The batch keeps its validated rows for the retry (so a batch's memory is bounded by its
/// size, whatever the retries); a retry is safe because a batch is one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: none).
    pub max_retries: u32,
    /// The first wait; each retry doubles it, with up to 50 % random extra (so two writers
    /// that collided do not collide again in step).
    pub base_delay: std::time::Duration,
}

impl Default for RetryPolicy {
    /// 5 retries, from 20 ms (at most about 1 s of waiting in all).
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: std::time::Duration::from_millis(20),
        }
    }
}

impl RetryPolicy {
    /// No retries: the first deadlock is returned as an error.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Default::default()
        }
    }

    fn delay(&self, retry: u32) -> std::time::Duration {
        let base = self.base_delay * 2u32.saturating_pow(retry.saturating_sub(1).min(16));
        let jitter = f64::from(Uuid::new_v4().as_bytes()[0]) / 255.0 * 0.5;
        base.mul_f64(1.0 + jitter)
    }
}

/// Deadlocks and serialization failures: the server rolled the transaction back, and the
/// same transaction may succeed when tried again. Diesel reports a deadlock (SQLSTATE 40P01)
/// only by its message, which servers send in English unless `lc_messages` says otherwise.
fn is_transient(e: &diesel::result::Error) -> bool {
    match e {
        diesel::result::Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        diesel::result::Error::DatabaseError(_, info) => {
            info.message().contains("deadlock detected")
        }
        _ => false,
    }
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            time_policy: TimePolicy::live(),
            conflicts: ConflictPolicy::KeepFirst,
            max_rejection_details: 100,
            sensor_cache_ttl: std::time::Duration::from_secs(60),
            physical_bounds: PhysicalBounds::default(),
            retry: RetryPolicy::default(),
        }
    }
}

#[derive(Debug, Clone)]
struct SensorInfo {
    status: SensorStatus,
    scale: f64,
    offset: f64,
    band: Band,
    /// Physical bounds, or why the sensor's own are unusable.
    bounds: Result<Band, InvalidBounds>,
}

/// A validated row, as it is written.
#[derive(Debug, Clone)]
struct Row {
    /// Position in the input (for the report; not stored).
    index: u64,
    /// From a `faulty` or `maintenance` sensor (counted in the report; not stored).
    degraded: bool,
    sensor_id: Uuid,
    timestamp: DateTime<Utc>,
    value: f64,
    value_raw: f64,
    quality: f64,
    out_of_range: bool,
    metadata: Option<Value>,
}

/// Ingests readings into `sensor_readings`.
#[derive(Debug)]
pub struct Ingester {
    limits: OperatingLimits,
    options: IngestOptions,
    sensors: HashMap<Uuid, SensorInfo>,
    horizon: Option<DateTime<Utc>>,
    frozen_before: Option<DateTime<Utc>>,
    /// Whether `sensor_readings` is a hypertable (its chunks are made before a batch).
    hypertable: bool,
    chunks: KnownChunks,
    loaded_at: Instant,
}

impl Ingester {
    /// An ingester with the given limits and options; loads the sensor table.
    pub fn new(
        conn: &mut PgConnection,
        limits: OperatingLimits,
        options: IngestOptions,
    ) -> TsResult<Ingester> {
        let st = crate::setup::state(conn)?;
        let hypertable = st.hypertable;
        let community = st.capabilities.mode == crate::ServerMode::Community;
        let mut me = Ingester {
            limits,
            options,
            sensors: HashMap::new(),
            horizon: None,
            frozen_before: None,
            hypertable,
            chunks: KnownChunks::new(community),
            loaded_at: Instant::now(),
        };
        me.reload_sensors(conn)?;
        Ok(me)
    }

    /// The options in force.
    pub fn options(&self) -> &IngestOptions {
        &self.options
    }

    /// Changes the time policy (e.g. from live to backfill).
    pub fn set_time_policy(&mut self, policy: TimePolicy) {
        self.options.time_policy = policy;
    }

    /// Reloads the sensor cache (and the retention horizon) now.
    pub fn reload_sensors(&mut self, conn: &mut PgConnection) -> TsResult<()> {
        self.horizon = crate::retention::horizon(conn)?;
        self.frozen_before = crate::retention::frozen_before(conn)?;
        self.chunks.clear();
        let rows: Vec<(Uuid, DbSensorStatus, DbSensorType, f64, f64, Value, i32)> =
            grid_sensors::table
                .inner_join(grid_substations::table)
                .select((
                    grid_sensors::id,
                    grid_sensors::status,
                    grid_sensors::sensor_type,
                    grid_sensors::calibration_scale,
                    grid_sensors::calibration_offset,
                    grid_sensors::metadata,
                    grid_substations::voltage_level_kv,
                ))
                .load(conn)?;
        self.sensors = rows
            .into_iter()
            .map(|(id, status, kind, scale, offset, meta, kv)| {
                let kind: SensorType = kind.into();
                let nominal =
                    (kind == SensorType::Voltage).then(|| OperatingLimits::nominal_kv(&meta, kv));
                let band = self
                    .limits
                    .band_for(kind, nominal, OperatingLimits::own_band(&meta));
                let bounds = PhysicalBounds::own_band(&meta).map(|own| {
                    self.options.physical_bounds.band_for(
                        kind,
                        Some(OperatingLimits::nominal_kv(&meta, kv)),
                        own,
                    )
                });
                if let Err(e) = &bounds {
                    tracing::warn!(sensor = %id, error = %e, "sensor's readings will be refused");
                }
                let info = SensorInfo {
                    status: status.into(),
                    scale,
                    offset,
                    band,
                    bounds,
                };
                (id, info)
            })
            .collect();
        self.loaded_at = Instant::now();
        Ok(())
    }

    /// Ingests one batch atomically. `first_index` numbers the readings in the report.
    pub fn ingest_batch<I>(
        &mut self,
        conn: &mut PgConnection,
        readings: I,
    ) -> TsResult<IngestReport>
    where
        I: IntoIterator<Item = Reading>,
    {
        self.ingest_batch_at(conn, readings, 0)
    }

    fn ingest_batch_at<I>(
        &mut self,
        conn: &mut PgConnection,
        readings: I,
        first_index: u64,
    ) -> TsResult<IngestReport>
    where
        I: IntoIterator<Item = Reading>,
    {
        if self.loaded_at.elapsed() > self.options.sensor_cache_ttl {
            self.reload_sensors(conn)?;
        }
        let (from, to) = self.options.time_policy.window(Utc::now());
        let mut batch = Batch {
            readings: readings.into_iter(),
            index: first_index,
            window: (from, to),
            horizon: self.horizon,
            frozen_before: self.frozen_before,
            sensors: &self.sensors,
            cap: self.options.max_rejection_details,
            rows: Vec::new(),
            report: IngestReport::default(),
        };
        batch.drain();
        let Batch {
            rows,
            report: validated,
            ..
        } = batch;
        // `rows` are in (sensor, time) order: one lock order for everything a batch touches
        // (readings, latest values, sensors), so concurrent batches queue, not deadlock.
        if rows.is_empty() {
            return Ok(validated);
        }
        if self.hypertable {
            // A chunk created inside the batch would take a lock on grid_sensors (its foreign
            // key) while the batch holds others: create the batch's chunks first, on their own.
            // One row per day: the days, and a probe for each (Apache edition).
            let probes = day_probes(&rows);
            self.chunks.ensure(conn, &probes)?;
        }
        let policy = self.options.conflicts;
        let retry = self.options.retry;
        let mut retries = 0u32;
        let cap = self.options.max_rejection_details;
        loop {
            let attempt = conn.transaction(|c| write_batch(c, &rows, policy, cap));
            match attempt {
                Ok(outcome) => {
                    let mut report = validated;
                    outcome.apply(&mut report, policy, &rows, cap);
                    report.retries = u64::from(retries);
                    return Ok(report);
                }
                // The batch is atomic: a retry after a deadlock or serialization failure
                // writes it whole or not at all.
                Err(e) if retries < retry.max_retries && is_transient(&e) => {
                    retries += 1;
                    tracing::debug!(retries, error = %e, "batch rolled back; retrying");
                    std::thread::sleep(retry.delay(retries));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Ingests a stream as a sequence of atomic batches of `batch_size` readings, in bounded
    /// memory. `progress` sees the totals after each committed batch. On an error the result
    /// says how many readings were committed: resume by skipping that many.
    pub fn ingest_stream<I>(
        &mut self,
        conn: &mut PgConnection,
        readings: I,
        batch_size: usize,
        mut progress: impl FnMut(&StreamReport),
    ) -> Result<StreamReport, Box<StreamError>>
    where
        I: IntoIterator<Item = Reading>,
    {
        let mut iter = readings.into_iter().peekable();
        let mut totals = StreamReport::default();
        let cap = self.options.max_rejection_details;
        while iter.peek().is_some() {
            let batch = iter.by_ref().take(batch_size.max(1));
            match self.ingest_batch_at(conn, batch, totals.position) {
                Ok(r) => {
                    totals.position += r.received;
                    totals.batches += 1;
                    totals.report.add(&r, cap);
                    totals.last_batch = r;
                    progress(&totals);
                }
                Err(error) => {
                    return Err(Box::new(StreamError {
                        committed: totals,
                        error,
                    }));
                }
            }
        }
        Ok(totals)
    }
}

/// Totals of a stream so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamReport {
    /// Readings consumed and committed: where to resume.
    pub position: u64,
    /// Batches committed.
    pub batches: u64,
    /// The summed reports (details capped at [`IngestOptions::max_rejection_details`]).
    pub report: IngestReport,
    /// The report of the batch just committed, with its own details: a caller that must
    /// list every refusal (a CSV load's report file) reads them here batch by batch.
    pub last_batch: IngestReport,
}

/// A stream stopped by an error; everything before `committed.position` is stored.
#[derive(Debug, thiserror::Error)]
#[error("ingest stopped after {} committed readings: {error}", committed.position)]
pub struct StreamError {
    /// What was committed before the error.
    pub committed: StreamReport,
    /// The error.
    #[source]
    pub error: crate::error::TimescaleError,
}

struct Batch<'a, I> {
    readings: I,
    index: u64,
    window: (DateTime<Utc>, DateTime<Utc>),
    horizon: Option<DateTime<Utc>>,
    frozen_before: Option<DateTime<Utc>>,
    sensors: &'a HashMap<Uuid, SensorInfo>,
    cap: usize,
    /// Accepted rows.
    rows: Vec<Row>,
    report: IngestReport,
}

impl<I: Iterator<Item = Reading>> Batch<'_, I> {
    fn reject(&mut self, r: &Reading, index: u64, reason: RejectReason) {
        self.report.rejected += 1;
        *self.report.rejected_by_reason.entry(reason).or_default() += 1;
        if self.report.rejections.len() < self.cap {
            self.report.rejections.push(Rejection {
                index,
                sensor_id: r.sensor_id,
                timestamp: r.timestamp,
                reason,
            });
        }
    }

    /// The next accepted row, validating and counting along the way.
    fn next_row(&mut self) -> Option<Row> {
        loop {
            let r = self.readings.next()?;
            let index = self.index;
            self.index += 1;
            self.report.received += 1;
            let Some(sensor) = self.sensors.get(&r.sensor_id) else {
                self.reject(&r, index, RejectReason::UnknownSensor);
                continue;
            };
            if sensor.status == SensorStatus::Inactive {
                self.reject(&r, index, RejectReason::InactiveSensor);
                continue;
            }
            if !r.value_raw.is_finite() {
                self.reject(&r, index, RejectReason::NonFiniteValue);
                continue;
            }
            if r.value_raw.abs() > MAX_ABS_VALUE {
                self.reject(&r, index, RejectReason::RawValueOutOfBounds);
                continue;
            }
            let Ok(bounds) = &sensor.bounds else {
                self.reject(&r, index, RejectReason::InvalidSensorBounds);
                continue;
            };
            if !(r.quality.is_finite() && (0.0..=1.0).contains(&r.quality)) {
                self.reject(&r, index, RejectReason::BadQuality);
                continue;
            }
            if r.timestamp < self.window.0 || r.timestamp > self.window.1 {
                self.reject(&r, index, RejectReason::OutsideTimeWindow);
                continue;
            }
            if self.horizon.is_some_and(|h| r.timestamp < h) {
                self.reject(&r, index, RejectReason::BeforeRetentionHorizon);
                continue;
            }
            if self.frozen_before.is_some_and(|f| r.timestamp < f) {
                self.reject(&r, index, RejectReason::DayBeforeRetentionHorizon);
                continue;
            }
            let value = r.value_raw * sensor.scale + sensor.offset;
            if !value.is_finite() {
                self.reject(&r, index, RejectReason::NonFiniteCalibratedValue);
                continue;
            }
            if bounds.excludes(value) {
                self.reject(&r, index, RejectReason::OutsidePhysicalBounds);
                continue;
            }
            // PostgreSQL keeps microseconds: two readings within one microsecond are one key.
            let ts = truncate_to_micros(r.timestamp);
            return Some(Row {
                index,
                degraded: matches!(
                    sensor.status,
                    SensorStatus::Faulty | SensorStatus::Maintenance
                ),
                out_of_range: sensor.band.excludes(value),
                sensor_id: r.sensor_id,
                timestamp: ts,
                value,
                value_raw: r.value_raw,
                quality: r.quality,
                metadata: r.metadata,
            });
        }
    }

    /// Validates the whole input into `rows`, sorted by (sensor, time), one row per key:
    /// within the batch the first reading of a key counts, later ones are duplicates (same
    /// value) or conflicts. The stable sort keeps readings of one key in input order.
    fn drain(&mut self) {
        while let Some(row) = self.next_row() {
            self.rows.push(row);
        }
        self.rows.sort_by_key(|r| (r.sensor_id, r.timestamp));
        let (report, cap) = (&mut self.report, self.cap);
        self.rows.dedup_by(|later, first| {
            if (later.sensor_id, later.timestamp) != (first.sensor_id, first.timestamp) {
                return false;
            }
            if later.value == first.value {
                report.duplicates += 1;
            } else {
                report.conflicts += 1;
                if report.conflict_details.len() < cap {
                    report.conflict_details.push(Conflict {
                        index: later.index,
                        sensor_id: later.sensor_id,
                        timestamp: later.timestamp,
                    });
                }
            }
            true
        });
        report.conflict_details.sort_by_key(|c| c.index);
        for r in &self.rows {
            report.out_of_range += u64::from(r.out_of_range);
            report.from_degraded_sensors += u64::from(r.degraded);
        }
    }
}

fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_micros(t.timestamp_micros())
        .single()
        .unwrap_or(t)
}

const STAGING_DDL: &str = "CREATE TEMP TABLE IF NOT EXISTS sensor_readings_staging (
        sensor_id uuid NOT NULL, \"timestamp\" timestamptz NOT NULL, value float8 NOT NULL,
        value_raw float8, quality_indicator float8 NOT NULL, is_anomaly boolean NOT NULL,
        is_out_of_range boolean NOT NULL, metadata jsonb) ON COMMIT DELETE ROWS;
    TRUNCATE sensor_readings_staging;";

#[derive(Clone, Copy)]
enum Target {
    Readings,
    Staging,
}

/// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
const PG_EPOCH_OFFSET_MICROS: i64 = 946_684_800_000_000;
/// Bytes buffered before each `PQputCopyData` call.
const COPY_CHUNK: usize = 64 * 1024;

/// Appends one row in PostgreSQL's binary COPY format (8 fields, big-endian).
fn encode_row(buf: &mut Vec<u8>, row: &Row) {
    fn field(buf: &mut Vec<u8>, bytes: &[u8]) {
        buf.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        buf.extend_from_slice(bytes);
    }
    buf.extend_from_slice(&8i16.to_be_bytes());
    field(buf, row.sensor_id.as_bytes());
    let micros = row.timestamp.timestamp_micros() - PG_EPOCH_OFFSET_MICROS;
    field(buf, &micros.to_be_bytes());
    field(buf, &row.value.to_bits().to_be_bytes());
    field(buf, &row.value_raw.to_bits().to_be_bytes());
    field(buf, &row.quality.to_bits().to_be_bytes());
    field(buf, &[0]); // is_anomaly: set later by anomaly detection
    field(buf, &[u8::from(row.out_of_range)]);
    match &row.metadata {
        None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
        Some(m) => {
            // jsonb's binary form: a version byte, then the JSON text.
            let text = m.to_string();
            buf.extend_from_slice(&(text.len() as i32 + 1).to_be_bytes());
            buf.push(1);
            buf.extend_from_slice(text.as_bytes());
        }
    }
}

fn copy_header(buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0i32.to_be_bytes()); // flags
    buf.extend_from_slice(&0i32.to_be_bytes()); // header extension length
}

fn write_rows(out: &mut dyn Write, rows: &[Row]) -> Result<(), diesel::result::Error> {
    let io = |e: std::io::Error| diesel::result::Error::SerializationError(Box::new(e));
    let mut buf = Vec::with_capacity(COPY_CHUNK + 1024);
    copy_header(&mut buf);
    for row in rows {
        encode_row(&mut buf, row);
        if buf.len() >= COPY_CHUNK {
            out.write_all(&buf).map_err(io)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    out.write_all(&buf).map_err(io)?;
    Ok(())
}

/// COPY of validated rows into `target`.
fn copy_rows(conn: &mut PgConnection, target: Target, rows: &[Row]) -> QueryResult<usize> {
    run_copy(conn, target, |out: &mut dyn Write| write_rows(out, rows))
}

fn run_copy(
    conn: &mut PgConnection,
    target: Target,
    callback: impl Fn(&mut dyn Write) -> Result<(), diesel::result::Error>,
) -> QueryResult<usize> {
    match target {
        Target::Readings => {
            use sensor_readings as r;
            diesel::copy_from(r::table)
                .from_raw_data(
                    (
                        r::sensor_id,
                        r::timestamp,
                        r::value,
                        r::value_raw,
                        r::quality_indicator,
                        r::is_anomaly,
                        r::is_out_of_range,
                        r::metadata,
                    ),
                    callback,
                )
                .with_format(CopyFormat::Binary)
                .execute(conn)
        }
        Target::Staging => {
            use sensor_readings_staging as s;
            diesel::copy_from(s::table)
                .from_raw_data(
                    (
                        s::sensor_id,
                        s::timestamp,
                        s::value,
                        s::value_raw,
                        s::quality_indicator,
                        s::is_anomaly,
                        s::is_out_of_range,
                        s::metadata,
                    ),
                    callback,
                )
                .with_format(CopyFormat::Binary)
                .execute(conn)
        }
    }
}

const COLUMNS: &str = "sensor_id, \"timestamp\", value, value_raw, quality_indicator, \
                       is_anomaly, is_out_of_range, metadata";

/// What writing a batch's rows did.
struct Outcome {
    path: WritePath,
    inserted: u64,
    /// Stored with another value: kept (conflicts) or replaced, per the policy.
    changed: u64,
    /// Keys of the first kept conflicts.
    conflicting: Vec<(Uuid, DateTime<Utc>)>,
}

impl Outcome {
    fn apply(&self, report: &mut IngestReport, policy: ConflictPolicy, rows: &[Row], cap: usize) {
        report.path = self.path;
        if !self.conflicting.is_empty() {
            let index: HashMap<(Uuid, DateTime<Utc>), u64> = rows
                .iter()
                .map(|r| ((r.sensor_id, r.timestamp), r.index))
                .collect();
            let room = cap.saturating_sub(report.conflict_details.len());
            report.conflict_details.extend(
                self.conflicting
                    .iter()
                    .filter_map(|&(sensor_id, timestamp)| {
                        Some(Conflict {
                            index: *index.get(&(sensor_id, timestamp))?,
                            sensor_id,
                            timestamp,
                        })
                    })
                    .take(room),
            );
            report.conflict_details.sort_by_key(|c| c.index);
        }
        let rows = rows.len() as u64;
        report.inserted = self.inserted;
        match policy {
            ConflictPolicy::KeepFirst => report.conflicts += self.changed,
            ConflictPolicy::Replace => report.replaced += self.changed,
        }
        report.duplicates += rows - self.inserted - self.changed;
    }
}

/// One attempt at writing a batch's rows, sorted by (sensor, time), in the caller's
/// transaction: straight COPY under a savepoint (the fast path) or, when a key is already
/// stored, staging and a merge; then the side effects.
fn write_batch(
    conn: &mut PgConnection,
    rows: &[Row],
    policy: ConflictPolicy,
    cap: usize,
) -> QueryResult<Outcome> {
    let outcome = match policy {
        ConflictPolicy::KeepFirst => {
            match conn.transaction(|c| copy_rows(c, Target::Readings, rows)) {
                Ok(n) => Outcome {
                    path: WritePath::Direct,
                    inserted: n as u64,
                    changed: 0,
                    conflicting: Vec::new(),
                },
                Err(diesel::result::Error::DatabaseError(
                    DatabaseErrorKind::UniqueViolation,
                    _,
                )) => {
                    conn.batch_execute(STAGING_DDL)?;
                    copy_rows(conn, Target::Staging, rows)?;
                    merge(conn, policy, cap)?
                }
                Err(e) => return Err(e),
            }
        }
        ConflictPolicy::Replace => {
            conn.batch_execute(STAGING_DDL)?;
            copy_rows(conn, Target::Staging, rows)?;
            merge(conn, policy, cap)?
        }
    };
    after_write(conn, rows, policy)?;
    Ok(outcome)
}

/// The UTC day (a 1-day chunk's start) of `t`.
fn day_of(t: DateTime<Utc>) -> DateTime<Utc> {
    let d = t.timestamp().div_euclid(86_400) * 86_400;
    Utc.timestamp_opt(d, 0).single().unwrap_or(t)
}

/// The first row of each UTC day (1-day chunk) the rows touch, as probes, in day order. A
/// batch spans few days: a short list beats a map here.
fn day_probes(rows: &[Row]) -> Vec<Probe> {
    let mut probes: Vec<Probe> = Vec::new();
    for r in rows {
        let day = day_of(r.timestamp);
        if !probes.iter().any(|p| p.day == day) {
            probes.push(Probe {
                day,
                sensor_id: r.sensor_id,
                timestamp: r.timestamp,
                value: r.value,
            });
        }
    }
    probes.sort_by_key(|p| p.day);
    probes
}

/// Moves staged rows into the table, counting what happened to each.
fn merge(conn: &mut PgConnection, policy: ConflictPolicy, cap: usize) -> QueryResult<Outcome> {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = BigInt)]
        inserted: i64,
        #[diesel(sql_type = BigInt)]
        changed: i64,
    }
    let sql = match policy {
        ConflictPolicy::KeepFirst => {
            let inserted = diesel::sql_query(format!(
                "INSERT INTO sensor_readings ({COLUMNS})
                 SELECT {COLUMNS} FROM sensor_readings_staging ORDER BY sensor_id, \"timestamp\"
                 ON CONFLICT (sensor_id, \"timestamp\") DO NOTHING"
            ))
            .execute(conn)?;
            // A statement of its own, with a new snapshot: a key another writer committed
            // while the INSERT ran conflicted there, but that INSERT's snapshot could not
            // see it. Now every key that conflicted is visible, and the batch's own rows
            // hold the staged values.
            // Only the first `cap` keys are fetched; the count is always exact.
            #[derive(QueryableByName)]
            struct Changed {
                #[diesel(sql_type = BigInt)]
                changed: i64,
                #[diesel(sql_type = Array<diesel::sql_types::Uuid>)]
                ids: Vec<Uuid>,
                #[diesel(sql_type = Array<Timestamptz>)]
                times: Vec<DateTime<Utc>>,
            }
            let changed: Changed = diesel::sql_query(
                "WITH c AS (SELECT s.sensor_id, s.\"timestamp\" FROM sensor_readings_staging s
                              JOIN sensor_readings r USING (sensor_id, \"timestamp\")
                             WHERE r.value IS DISTINCT FROM s.value)
                 SELECT (SELECT count(*) FROM c) AS changed,
                        coalesce((SELECT array_agg(sensor_id) FROM (SELECT * FROM c LIMIT $1) x), '{}') AS ids,
                        coalesce((SELECT array_agg(\"timestamp\") FROM (SELECT * FROM c LIMIT $1) x), '{}') AS times",
            )
            .bind::<BigInt, _>(i64::try_from(cap).unwrap_or(i64::MAX))
            .get_result(conn)?;
            return Ok(Outcome {
                path: WritePath::Staged,
                inserted: inserted as u64,
                changed: changed.changed as u64,
                conflicting: changed.ids.into_iter().zip(changed.times).collect(),
            });
        }
        ConflictPolicy::Replace => format!(
            "WITH up AS (
                 INSERT INTO sensor_readings ({COLUMNS})
                 SELECT {COLUMNS} FROM sensor_readings_staging ORDER BY sensor_id, \"timestamp\"
                 ON CONFLICT (sensor_id, \"timestamp\") DO UPDATE
                    SET value = excluded.value, value_raw = excluded.value_raw,
                        quality_indicator = excluded.quality_indicator,
                        is_out_of_range = excluded.is_out_of_range, metadata = excluded.metadata
                  WHERE sensor_readings.value IS DISTINCT FROM excluded.value
                 RETURNING (xmax = 0) AS fresh)
             SELECT count(*) FILTER (WHERE fresh) AS inserted,
                    count(*) FILTER (WHERE NOT fresh) AS changed FROM up"
        ),
    };
    let counts: Counts = diesel::sql_query(sql).get_result(conn)?;
    Ok(Outcome {
        path: WritePath::Staged,
        inserted: counts.inserted as u64,
        changed: counts.changed as u64,
        conflicting: Vec::new(),
    })
}

/// The batch's side effects: latest values, `last_reading_at`, the invalidation log.
fn after_write(conn: &mut PgConnection, rows: &[Row], policy: ConflictPolicy) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut latest: HashMap<Uuid, &Row> = HashMap::new();
    let mut hours: HashSet<i64> = HashSet::new();
    for row in rows {
        let e = latest.entry(row.sensor_id).or_insert(row);
        if row.timestamp > e.timestamp {
            *e = row;
        }
        hours.insert(row.timestamp.timestamp().div_euclid(3600));
    }
    // Sorted by sensor so concurrent batches lock rows in one order.
    let mut latest: Vec<&Row> = latest.into_values().collect();
    latest.sort_by_key(|r| r.sensor_id);
    // A key stored with another value (kept under KeepFirst) is never newer than the stored
    // latest; under Replace a replaced reading at the latest time must update it.
    let newer = match policy {
        ConflictPolicy::KeepFirst => ">",
        ConflictPolicy::Replace => ">=",
    };
    diesel::sql_query(format!(
        "INSERT INTO sensor_latest_readings
             (sensor_id, \"timestamp\", value, quality_indicator, is_out_of_range, is_anomaly)
         SELECT id, ts, v, q, o, false FROM unnest($1, $2, $3, $4, $5) AS u(id, ts, v, q, o)
         ON CONFLICT (sensor_id) DO UPDATE
            SET \"timestamp\" = excluded.\"timestamp\", value = excluded.value,
                quality_indicator = excluded.quality_indicator,
                is_out_of_range = excluded.is_out_of_range, is_anomaly = excluded.is_anomaly
          WHERE excluded.\"timestamp\" {newer} sensor_latest_readings.\"timestamp\""
    ))
    .bind::<Array<diesel::sql_types::Uuid>, _>(
        latest.iter().map(|r| r.sensor_id).collect::<Vec<_>>(),
    )
    .bind::<Array<Timestamptz>, _>(latest.iter().map(|r| r.timestamp).collect::<Vec<_>>())
    .bind::<Array<Double>, _>(latest.iter().map(|r| r.value).collect::<Vec<_>>())
    .bind::<Array<Double>, _>(latest.iter().map(|r| r.quality).collect::<Vec<_>>())
    .bind::<Array<Bool>, _>(latest.iter().map(|r| r.out_of_range).collect::<Vec<_>>())
    .execute(conn)?;
    let pairs: Vec<(Uuid, DateTime<Utc>)> =
        latest.iter().map(|r| (r.sensor_id, r.timestamp)).collect();
    grid_store::sensors::advance_last_reading_at(conn, &pairs)?;
    let mut hours: Vec<DateTime<Utc>> = hours
        .into_iter()
        .filter_map(|h| Utc.timestamp_opt(h * 3600, 0).single())
        .collect();
    hours.sort();
    crate::rollup::invalidate_hours(conn, &hours)
}
