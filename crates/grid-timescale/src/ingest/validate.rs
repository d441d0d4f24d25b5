//! Validating a batch: every reading checked, calibrated, flagged, and the batch sorted by
//! (sensor, time) with one row per key.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use grid_model::SensorStatus;
use serde_json::Value;
use uuid::Uuid;

use super::{Conflict, IngestReport, PLAUSIBLE_YEARS, Reading, RejectReason, Rejection};
use crate::bounds::{InvalidBounds, MAX_ABS_VALUE};
use crate::limits::Band;

#[derive(Debug, Clone)]
pub(super) struct SensorInfo {
    pub(super) status: SensorStatus,
    pub(super) calibration: super::Calibration,
    pub(super) band: Band,
    /// Physical bounds, or why the sensor's own are unusable.
    pub(super) bounds: Result<Band, InvalidBounds>,
}

/// A validated row, as it is written.
#[derive(Debug, Clone)]
pub(super) struct Row {
    /// Position in the input (for the report; not stored).
    pub(super) index: u64,
    /// From a `faulty` or `maintenance` sensor (counted in the report; not stored).
    pub(super) degraded: bool,
    pub(super) sensor_id: Uuid,
    pub(super) timestamp: DateTime<Utc>,
    pub(super) value: f64,
    pub(super) value_raw: f64,
    pub(super) quality: f64,
    pub(super) out_of_range: bool,
    /// Set by a [`super::Scorer`] before the row is written.
    pub(super) anomaly_score: Option<f64>,
    pub(super) metadata: Option<Value>,
}

pub(super) struct Batch<'a, I> {
    pub(super) readings: I,
    pub(super) index: u64,
    pub(super) window: (DateTime<Utc>, DateTime<Utc>),
    pub(super) horizon: Option<DateTime<Utc>>,
    pub(super) frozen_before: Option<DateTime<Utc>>,
    pub(super) sensors: &'a HashMap<Uuid, SensorInfo>,
    pub(super) cap: usize,
    /// Accepted rows.
    pub(super) rows: Vec<Row>,
    pub(super) report: IngestReport,
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
            if !PLAUSIBLE_YEARS.contains(&r.timestamp.year()) {
                self.reject(&r, index, RejectReason::ImplausibleTime);
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
            let value = sensor.calibration.apply(r.value_raw);
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
                anomaly_score: None,
                metadata: r.metadata,
            });
        }
    }

    /// Validates the whole input into `rows`, sorted by (sensor, time), one row per key:
    /// within the batch the first reading of a key counts, later ones are duplicates (same
    /// value) or conflicts. The stable sort keeps readings of one key in input order.
    pub(super) fn drain(&mut self) {
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
