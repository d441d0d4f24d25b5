//! What detection keeps per sensor and per imbalance group between units of work: the
//! detector, the row of its open episode, the last reading it took; and how one unit's
//! episode events become rows.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use grid_anomaly::{EpisodeEvent, ImbalanceDetector, SeriesDetector};
use grid_model::{EpisodeMetadata, SensorType};
use grid_store::anomaly_states::{ImbalanceStateRow, SensorStateRow};
use uuid::Uuid;

use crate::config::engine_config;
use crate::episodes::{self, Written};
use crate::error::{DetectError, DetectResult};
use crate::fleet::{FleetSubstation, ImbalanceGroup};

/// A sensor's detector and its open episode's row.
#[derive(Debug, Clone)]
pub(crate) struct SensorSlot {
    pub detector: SeriesDetector,
    pub open_id: Option<Uuid>,
}

impl SensorSlot {
    pub fn fresh(kind: SensorType) -> Self {
        SensorSlot {
            detector: SeriesDetector::new(engine_config(kind)),
            open_id: None,
        }
    }

    pub fn from_row(row: &SensorStateRow, kind: SensorType) -> DetectResult<Self> {
        // A state an earlier engine version wrote is not damage: the sensor learns afresh
        // (its first readings score 0 again), loudly, instead of stopping detection for all.
        if !SeriesDetector::is_current_state(&row.state) {
            tracing::warn!(
                sensor = %row.sensor_id,
                open_anomaly = ?row.open_anomaly_id,
                "anomaly detector state written by an earlier engine version: the sensor learns afresh; an episode it had open stays open in the store until an operator closes it"
            );
            return Ok(SensorSlot::fresh(kind));
        }
        let detector =
            SeriesDetector::from_bytes(&row.state).map_err(|e| DetectError::BadState {
                subject: format!("sensor {}", row.sensor_id),
                reason: e.to_string(),
            })?;
        Ok(SensorSlot {
            detector,
            open_id: row.open_anomaly_id,
        })
    }

    /// The row to store (`None` before the detector took a reading).
    pub fn to_row(&self, sensor_id: Uuid) -> Option<SensorStateRow> {
        let last = self.detector.last_ms()?;
        Some(SensorStateRow {
            sensor_id,
            last_reading_at: episodes::time_of(last),
            open_anomaly_id: self.open_id,
            state: self.detector.to_bytes(),
        })
    }

    /// The last reading taken.
    pub fn last(&self) -> Option<DateTime<Utc>> {
        self.detector.last_ms().map(episodes::time_of)
    }
}

/// An imbalance group's detector and its open episode's row.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupSlot {
    pub detector: ImbalanceDetector,
    pub open_id: Option<Uuid>,
    pub last: Option<DateTime<Utc>>,
}

impl GroupSlot {
    pub fn from_row(row: &ImbalanceStateRow) -> DetectResult<Self> {
        let detector =
            ImbalanceDetector::from_bytes(&row.state).map_err(|e| DetectError::BadState {
                subject: format!(
                    "substation {} phase set {}",
                    row.substation_id, row.phase_set
                ),
                reason: e.to_string(),
            })?;
        Ok(GroupSlot {
            detector,
            open_id: row.open_anomaly_id,
            last: Some(row.last_group_at),
        })
    }

    pub fn to_row(&self, substation_id: Uuid, phase_set: &str) -> Option<ImbalanceStateRow> {
        Some(ImbalanceStateRow {
            substation_id,
            phase_set: phase_set.to_owned(),
            last_group_at: self.last?,
            open_anomaly_id: self.open_id,
            state: self.detector.to_bytes(),
        })
    }
}

/// How many episodes `events` open and close.
pub(crate) fn count(events: &[EpisodeEvent]) -> (usize, usize) {
    let opened = events
        .iter()
        .filter(|e| matches!(e, EpisodeEvent::Opened(_)))
        .count();
    (opened, events.len() - opened)
}

/// Writes an imbalance group's episode events onto its substation's first incomer's rows,
/// with the substation and phase set in their metadata; returns the rows written.
pub(crate) fn write_group_events(
    conn: &mut PgConnection,
    sub: &FleetSubstation,
    group: &ImbalanceGroup,
    slot: &mut GroupSlot,
    events: &[EpisodeEvent],
) -> DetectResult<Vec<Written>> {
    let meta = EpisodeMetadata {
        alert_id: None,
        substation_id: Some(sub.id),
        phase_set: Some(group.phase_set.clone()),
    };
    let still_open = slot.detector.open_episode();
    write_events(
        conn,
        group.incomers[0],
        &mut slot.open_id,
        events,
        still_open,
        &meta,
    )
}

/// Writes one subject's episode events in order, then the open episode's progress; moves
/// `open_id` along. Returns each row written, once (its latest form).
pub(crate) fn write_events(
    conn: &mut PgConnection,
    sensor_id: Uuid,
    open_id: &mut Option<Uuid>,
    events: &[EpisodeEvent],
    still_open: Option<grid_anomaly::Episode>,
    meta: &EpisodeMetadata,
) -> DetectResult<Vec<Written>> {
    let mut out: Vec<Written> = Vec::new();
    for event in events {
        match event {
            EpisodeEvent::Opened(e) => {
                let w = episodes::write(conn, sensor_id, None, e, meta.clone())?;
                *open_id = Some(w.anomaly_id);
                out.push(w);
            }
            EpisodeEvent::Closed(e) => {
                let w = episodes::write(conn, sensor_id, open_id.take(), e, meta.clone())?;
                out.push(w);
            }
        }
    }
    if let (Some(e), Some(id)) = (still_open, *open_id) {
        out.push(episodes::write(
            conn,
            sensor_id,
            Some(id),
            &e,
            meta.clone(),
        )?);
    }
    // The latest form of each row only.
    let mut seen = std::collections::HashSet::new();
    let mut latest: Vec<Written> = out
        .into_iter()
        .rev()
        .filter(|w| seen.insert(w.anomaly_id))
        .collect();
    latest.reverse();
    Ok(latest)
}
