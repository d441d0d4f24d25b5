//! What an ingest reports: exact counts, and the refused and conflicting readings with their
//! position in the input.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

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
    /// The timestamp's year is outside [`PLAUSIBLE_YEARS`]: no reading of a grid is from
    /// then (a year 0 or 9999 is a device clock's or a file's error, which the database
    /// would otherwise store as given, year 0 as 1 BC).
    ImplausibleTime,
    /// The timestamp is outside the call's time policy.
    OutsideTimeWindow,
    /// The timestamp is older than the retention horizon (raw data there is dropped and the
    /// rollups keep its history).
    BeforeRetentionHorizon,
    /// The timestamp is after the retention horizon but in a local day that began before it:
    /// that day's daily bucket can no longer be recomputed (see [`crate::retention`]).
    DayBeforeRetentionHorizon,
}

/// The years a reading may be from, whatever the time policy: 1900 up to (not including)
/// 2200. Wider than any grid's records, narrower than any clock error that reaches us.
pub const PLAUSIBLE_YEARS: std::ops::Range<i32> = 1900..2200;

/// One refused reading.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rejection {
    /// Its position in the input (0-based, across a whole stream).
    pub index: u64,
    /// Its sensor.
    pub sensor_id: Uuid,
    /// Its timestamp.
    pub timestamp: DateTime<Utc>,
    /// Why it was refused.
    pub reason: RejectReason,
}

/// One reading whose key was already stored (or earlier in its batch) with another value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Conflict {
    /// Its position in the input (0-based, across a whole stream).
    pub index: u64,
    /// Its sensor.
    pub sensor_id: Uuid,
    /// Its timestamp.
    pub timestamp: DateTime<Utc>,
}

/// How the rows of a batch reached the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WritePath {
    /// Binary COPY straight into the table.
    #[default]
    Direct,
    /// Binary COPY into staging, then `INSERT … ON CONFLICT`.
    Staged,
}

/// What an ingest did. Counts are exact; rejection details are capped.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct IngestReport {
    /// Readings read from the input.
    pub received: u64,
    /// Readings stored now.
    pub inserted: u64,
    /// Readings already stored with the same value.
    pub duplicates: u64,
    /// Readings whose key was stored with a different value and kept.
    pub conflicts: u64,
    /// Readings that replaced a stored one (with [`ConflictPolicy::Replace`](super::ConflictPolicy::Replace)).
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
    /// Batches tried again after a deadlock or serialization failure (see [`RetryPolicy`](super::RetryPolicy)).
    pub retries: u64,
}

impl IngestReport {
    pub(super) fn add(&mut self, other: &IngestReport, cap: usize) {
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

/// Totals of a stream so far.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StreamReport {
    /// Readings consumed and committed: where to resume.
    pub position: u64,
    /// Batches committed.
    pub batches: u64,
    /// The summed reports (details capped at [`IngestOptions::max_rejection_details`](super::IngestOptions::max_rejection_details)).
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

impl IngestReport {
    /// Counts this batch in the process's metrics ([`crate::telemetry`]).
    pub(crate) fn record_metrics(&self, took: std::time::Duration) {
        use crate::telemetry::{INGEST_BATCH_SECONDS, INGEST_READINGS, INGEST_REJECTIONS};
        for (outcome, n) in [
            ("inserted", self.inserted),
            ("duplicate", self.duplicates),
            ("conflict", self.conflicts),
            ("replaced", self.replaced),
            ("rejected", self.rejected),
            ("out_of_range", self.out_of_range),
        ] {
            if n > 0 {
                metrics::counter!(INGEST_READINGS, "outcome" => outcome).increment(n);
            }
        }
        for (reason, n) in &self.rejected_by_reason {
            metrics::counter!(INGEST_REJECTIONS, "reason" => format!("{reason:?}")).increment(*n);
        }
        metrics::histogram!(INGEST_BATCH_SECONDS).record(took.as_secs_f64());
    }
}
