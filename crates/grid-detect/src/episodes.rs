//! Episodes into `anomaly_detections`: one row per episode, inserted when it opens, brought
//! up to date when the unit of work ends with it still open, and when it closes.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use grid_anomaly::Episode;
use grid_model::{AnomalyDraft, EpisodeMetadata, NewAnomaly};
use grid_store::anomalies;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::DetectResult;

/// Milliseconds since the Unix epoch as a time.
pub fn time_of(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// What the episode's row says about its detectors: each one that fired, when first and how
/// far past its threshold; the expected value's source; the pattern displacement.
pub fn contributing_factors(e: &Episode) -> Value {
    json!({
        "detectors": e.detectors.iter().map(|h| json!({
            "detector": h.detector,
            "first_at": time_of(h.first_ms),
            "peak_over_threshold": h.peak,
        })).collect::<Vec<_>>(),
        "anomalous_readings": e.anomalous_readings,
        "pattern_shift_minutes": e.pattern_shift_minutes,
        "score": "u / (1 + u), u the largest detector statistic over its threshold",
    })
}

/// The row for `e` of `sensor_id`, with `meta`'s keys in its metadata.
pub fn row(sensor_id: Uuid, e: &Episode, meta: &EpisodeMetadata) -> DetectResult<NewAnomaly> {
    let start = time_of(e.start_ms);
    let mut d = AnomalyDraft::new(sensor_id, e.kind.as_str(), start, e.peak_score, e.severity);
    d.episode_start = start;
    d.episode_end = time_of(e.end_ms);
    d.ongoing = e.ongoing;
    d.expected_value = e.expected;
    d.actual_value = Some(e.actual);
    d.deviation_percentage = e.deviation_percent();
    d.contributing_factors = contributing_factors(e);
    d.potential_causes = e
        .potential_causes()
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    d.recommended_actions = e
        .recommended_actions()
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    meta.merge_into(&mut d.metadata);
    Ok(NewAnomaly::new(d).map_err(grid_store::StoreError::from)?)
}

/// An episode as written: its row and what it is now.
#[derive(Debug, Clone)]
pub struct Written {
    /// The row.
    pub anomaly_id: Uuid,
    /// The sensor the row is on.
    pub sensor_id: Uuid,
    /// The episode as written.
    pub episode: Episode,
    /// The row's metadata keys.
    pub meta: EpisodeMetadata,
}

/// Writes `e` of `sensor_id`: onto row `open_id` when the episode is known to be there,
/// else onto a row of the same sensor and start written before (a repeated run), else a new
/// row. Returns the row as written.
pub fn write(
    conn: &mut PgConnection,
    sensor_id: Uuid,
    open_id: Option<Uuid>,
    e: &Episode,
    mut meta: EpisodeMetadata,
) -> DetectResult<Written> {
    let known = match open_id {
        Some(id) => Some(id),
        None => anomalies::find_episode(conn, sensor_id, time_of(e.start_ms))?.map(|a| a.id),
    };
    let new = row(sensor_id, e, &meta)?;
    let stored = match known {
        // The update leaves the row's metadata as it is; what it links (its alert) is read
        // back from the row it returns.
        Some(id) => anomalies::update_episode(conn, id, &new)?,
        None => anomalies::insert(conn, &new)?,
    };
    meta.alert_id = meta
        .alert_id
        .or(EpisodeMetadata::from_json(&stored.metadata).alert_id);
    Ok(Written {
        anomaly_id: stored.id,
        sensor_id,
        episode: e.clone(),
        meta,
    })
}
