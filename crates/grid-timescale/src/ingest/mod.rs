//! Bulk ingest of raw readings: binary COPY, validation per reading, atomic and idempotent
//! batches, streaming in bounded memory, any number of writers at once.
//!
//! A batch is validated whole (`validate`: each reading checked and calibrated; then the
//! batch sorted by (sensor, time) with one row per key), its daily chunks are made before
//! its transaction (see `crate::chunks`), and it is written in one transaction (`write`):
//! binary `COPY` (`copy`) straight into `sensor_readings` under a savepoint (the fast path),
//! or, if a key is already stored, through a temporary staging table and
//! `INSERT … ON CONFLICT`, which counts duplicates (same key, same value) apart from
//! conflicts (same key, different value; kept or replaced per [`ConflictPolicy`]). Either way
//! the batch also moves the latest-value table, `grid_sensors.last_reading_at` (forward only)
//! and the rollups' invalidation log, all in (sensor, time) order — one lock order for every
//! writer. On any database error nothing of the batch is written, so a retry is always safe
//! (a deadlock or serialization failure is retried here, per [`RetryPolicy`]), and a retry
//! of a committed batch inserts nothing. What happened is in the [`IngestReport`] (`report`).
//!
//! Per reading: the sensor must be known and not `inactive`; the raw value, the calibrated
//! value (`raw × calibration_scale + calibration_offset`) and the quality (in [0, 1]) must be
//! finite; the raw value within ±[`MAX_ABS_VALUE`](crate::bounds::MAX_ABS_VALUE) and the calibrated one within the
//! sensor's [`PhysicalBounds`]; the timestamp must lie in the call's [`TimePolicy`]. Readings of `faulty` and
//! `maintenance` sensors are stored (they are evidence for whoever investigates) and counted
//! apart in the report. `is_out_of_range` follows the configured [`OperatingLimits`].
//! Within one batch the first reading of a key counts; later ones are duplicates or
//! conflicts.
//!
//! The sensor table is cached by the [`Ingester`] (refreshed when older than
//! [`IngestOptions::sensor_cache_ttl`], on [`Ingester::reload_sensors`], or on
//! [`Ingester::reload_if_changed`] when the sensors, substations or retention horizon changed
//! since): a sensor added since is reported as unknown until then.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grid_model::{SensorMetadata, SensorType};
use grid_store::enums::{DbSensorStatus, DbSensorType};
use grid_store::schema::{grid_sensors, grid_substations};
use serde_json::Value;
use uuid::Uuid;

use crate::bounds::PhysicalBounds;
use crate::chunks::KnownChunks;

mod retry;
mod time_policy;
use crate::error::TsResult;
pub use retry::RetryPolicy;
pub use time_policy::{TimePolicy, storable_times};

use crate::limits::OperatingLimits;

mod copy;
mod report;
mod scorer;
mod stamp;
mod stream;
mod validate;
mod write;

pub use scorer::{Both, ScoreInput, Scorer};
pub use stamp::SensorStamp;

pub use report::{
    Conflict, IngestReport, PLAUSIBLE_YEARS, RejectReason, Rejection, StreamError, StreamReport,
    WritePath,
};

use validate::{Batch, SensorInfo};
use write::{day_probes, is_transient, write_batch};

/// One raw reading from the field (JSON: `{"sensor_id", "timestamp", "value_raw",
/// "quality"?, "metadata"?}`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reading {
    /// The sensor's id (`grid_sensors.id`).
    pub sensor_id: Uuid,
    /// When it was measured.
    pub timestamp: DateTime<Utc>,
    /// The value as the device reported it, before calibration.
    pub value_raw: f64,
    /// Data quality, 0–1 (default 1).
    #[serde(default = "full_quality")]
    pub quality: f64,
    /// Optional per-reading attributes (a JSON object).
    #[serde(default)]
    pub metadata: Option<Value>,
}

fn full_quality() -> f64 {
    1.0
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

/// What to do with a reading whose key is stored with a different value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConflictPolicy {
    /// Keep the stored reading (count a conflict).
    #[default]
    KeepFirst,
    /// Replace it with the new one (count it as replaced).
    Replace,
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

/// A sensor's calibration: `value = raw × scale + offset`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// `calibration_scale`.
    pub scale: f64,
    /// `calibration_offset`.
    pub offset: f64,
}

impl Calibration {
    /// The calibrated value of a raw one.
    pub fn apply(&self, raw: f64) -> f64 {
        raw * self.scale + self.offset
    }
}

/// Ingests readings into `sensor_readings`: validated, calibrated, checked against the
/// operating limits, written in one atomic batch by binary COPY, every refusal counted with
/// its reason and none stopping the good readings beside it.
///
/// ```
/// # fn main() -> anyhow::Result<()> {
/// # let db = grid_testdb::TestDb::new(&grid_testkit::READY);
/// # let conn = &mut db.conn();
/// # let s = grid_testkit::substation(conn, "DOC-I", grid_model::GridZone::Nairobi, 33);
/// # let load = grid_testkit::sensor(conn, &s, "DOC-I-LOAD", grid_model::SensorType::Load);
/// use grid_timescale::OperatingLimits;
/// use grid_timescale::ingest::{IngestOptions, Ingester, Reading};
///
/// let mut ingester = Ingester::new(conn, OperatingLimits::default(), IngestOptions::default())?;
/// let now = chrono::Utc::now();
/// let report = ingester.ingest_batch(
///     conn,
///     [
///         Reading::new(load.id, now, 42.5),
///         Reading::new(load.id, now, f64::NAN), // refused, the other stored
///     ],
/// )?;
/// assert_eq!((report.inserted, report.rejected), (1, 1));
/// # Ok(()) }
/// ```
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
    stamp: Option<SensorStamp>,
}

impl Ingester {
    /// An ingester with the given limits and options; loads the sensor table.
    pub fn new(
        conn: &mut PgConnection,
        limits: OperatingLimits,
        options: IngestOptions,
    ) -> TsResult<Ingester> {
        let st = crate::ledger::state(conn)?;
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
            stamp: None,
        };
        me.reload_sensors(conn)?;
        Ok(me)
    }

    /// The calibration ingest applies to the sensor `sensor_id`'s raw values, or `None`
    /// for a sensor it does not know: what a caller watching the raw stream must use to see
    /// the values ingest stores.
    pub fn calibration_of(&self, sensor_id: Uuid) -> Option<Calibration> {
        self.sensors.get(&sensor_id).map(|s| s.calibration)
    }

    /// The options in force.
    pub fn options(&self) -> &IngestOptions {
        &self.options
    }

    /// Changes the time policy (e.g. from live to backfill).
    pub fn set_time_policy(&mut self, policy: TimePolicy) {
        self.options.time_policy = policy;
    }

    /// Reloads the sensor cache when the sensors, their substations or the retention horizon
    /// changed since it was loaded (a few aggregate reads instead of the whole table);
    /// returns whether it reloaded. For a caller that keeps an ingester between batches.
    pub fn reload_if_changed(&mut self, conn: &mut PgConnection) -> TsResult<bool> {
        let now = SensorStamp::read(conn)?;
        if self.stamp == Some(now) {
            return Ok(false);
        }
        self.load_sensors(conn, now)?;
        Ok(true)
    }

    /// Reloads the sensor cache (and the retention horizon) now.
    pub fn reload_sensors(&mut self, conn: &mut PgConnection) -> TsResult<()> {
        let now = SensorStamp::read(conn)?;
        self.load_sensors(conn, now)
    }

    /// Loads the sensor cache as of `stamp` (read just before, so a change after it is seen
    /// by the next check).
    fn load_sensors(&mut self, conn: &mut PgConnection, stamp: SensorStamp) -> TsResult<()> {
        self.stamp = Some(stamp);
        self.horizon = stamp.horizon;
        self.frozen_before = crate::ledger::frozen_before(conn)?;
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
                let meta = SensorMetadata::from_json(&meta);
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
                    calibration: Calibration { scale, offset },
                    band,
                    bounds,
                };
                (id, info)
            })
            .collect();
        self.loaded_at = Instant::now();
        Ok(())
    }

    /// Ingests one batch atomically; the report numbers its readings from 0.
    pub fn ingest_batch<I>(
        &mut self,
        conn: &mut PgConnection,
        readings: I,
    ) -> TsResult<IngestReport>
    where
        I: IntoIterator<Item = Reading>,
    {
        self.ingest_batch_at(conn, readings, 0, None::<&mut dyn Scorer>)
    }

    /// Ingests one batch atomically with `scorer` scoring its readings first: each stored
    /// reading carries its score (`anomaly_score`, and `is_anomaly` from 0.5 up), and what
    /// the scorer persists commits with the batch or not at all.
    ///
    /// ```no_run
    /// # use grid_timescale::ingest::{Reading, Scorer};
    /// # fn demo(conn: &mut diesel::PgConnection, batch: Vec<Reading>, engine: &mut dyn Scorer)
    /// #     -> grid_timescale::TsResult<()> {
    /// use grid_timescale::OperatingLimits;
    /// use grid_timescale::ingest::{IngestOptions, Ingester};
    ///
    /// // `engine`: e.g. grid-detect's `OnlineDetector`, whose episodes, marks and alerts
    /// // commit with the batch.
    /// let mut ingester = Ingester::new(conn, OperatingLimits::default(), IngestOptions::default())?;
    /// let report = ingester.ingest_batch_scored(conn, batch, engine)?;
    /// println!("{} stored, {} refused", report.inserted, report.rejected);
    /// # Ok(()) }
    /// ```
    pub fn ingest_batch_scored<I>(
        &mut self,
        conn: &mut PgConnection,
        readings: I,
        scorer: &mut dyn Scorer,
    ) -> TsResult<IngestReport>
    where
        I: IntoIterator<Item = Reading>,
    {
        self.ingest_batch_at(conn, readings, 0, Some(scorer))
    }

    fn ingest_batch_at<I, S>(
        &mut self,
        conn: &mut PgConnection,
        readings: I,
        first_index: u64,
        scorer: Option<&mut S>,
    ) -> TsResult<IngestReport>
    where
        I: IntoIterator<Item = Reading>,
        S: Scorer + ?Sized,
    {
        let span = tracing::debug_span!(
            "ingest_batch",
            first_index,
            received = tracing::field::Empty,
            inserted = tracing::field::Empty,
            rejected = tracing::field::Empty
        );
        let _entered = span.enter();
        let started = Instant::now();
        let report = self.write_validated(conn, readings, first_index, scorer)?;
        span.record("received", report.received);
        span.record("inserted", report.inserted);
        span.record("rejected", report.rejected);
        report.record_metrics(started.elapsed());
        Ok(report)
    }

    fn write_validated<I, S>(
        &mut self,
        conn: &mut PgConnection,
        readings: I,
        first_index: u64,
        mut scorer: Option<&mut S>,
    ) -> TsResult<IngestReport>
    where
        I: IntoIterator<Item = Reading>,
        S: Scorer + ?Sized,
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
            mut rows,
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
            if let Some(scorer) = scorer.as_deref_mut() {
                let inputs: Vec<ScoreInput> = rows
                    .iter()
                    .map(|r| ScoreInput {
                        sensor_id: r.sensor_id,
                        timestamp: r.timestamp,
                        value: r.value,
                    })
                    .collect();
                let scores = scorer.score(conn, &inputs);
                for (row, score) in rows.iter_mut().zip(scores) {
                    // A score outside [0, 1] is the scorer's bug; the table's CHECK would
                    // refuse the whole batch for it, so it is stored as not scored.
                    row.anomaly_score = score.filter(|s| (0.0..=1.0).contains(s));
                }
            }
            let attempt = conn.transaction(|c| {
                let outcome = write_batch(c, &rows, policy, cap)?;
                if let Some(scorer) = scorer.as_deref_mut() {
                    scorer.persist(c)?;
                }
                Ok::<_, diesel::result::Error>(outcome)
            });
            if attempt.is_err() {
                if let Some(scorer) = scorer.as_deref_mut() {
                    scorer.rollback();
                }
            }
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
}
