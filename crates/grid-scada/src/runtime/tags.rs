//! Sensor tags resolved to the sensors they name, through the store or, while the
//! database is away, the copy cached beside the spool.

use std::collections::HashMap;

use grid_store::SensorRepository;
use uuid::Uuid;

use crate::config::ScadaConfig;

use super::*;

/// A sensor as the poller knows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct SensorRef {
    pub(super) id: Uuid,
    pub(super) substation_id: Uuid,
}

pub(super) fn resolve_sensors(
    opts: &PollerOptions,
    config: &ScadaConfig,
) -> Result<HashMap<String, SensorRef>, PollerError> {
    let cache = opts.spool_dir.join("sensors.json");
    let fresh = grid_store::establish(&opts.database_url)
        .map_err(|e| e.to_string())
        .and_then(|mut c| c.sensors().map_err(|e| e.to_string()));
    let map: HashMap<String, SensorRef> = match fresh {
        Ok(sensors) => {
            let map: HashMap<String, SensorRef> = sensors
                .into_iter()
                .map(|s| {
                    (
                        s.tag,
                        SensorRef {
                            id: s.id,
                            substation_id: s.substation_id,
                        },
                    )
                })
                .collect();
            let _ = std::fs::create_dir_all(&opts.spool_dir);
            let _ = std::fs::write(&cache, serde_json::to_vec(&map).unwrap_or_default());
            map
        }
        Err(db) => {
            let bytes = std::fs::read(&cache).map_err(|_| {
                PollerError::Sensors(format!("database: {}; no cached map", db.trim_end()))
            })?;
            tracing::warn!(error = %db, "database unreachable at start: using the cached sensor map");
            serde_json::from_slice(&bytes).map_err(|e| PollerError::Sensors(e.to_string()))?
        }
    };
    for d in &config.devices {
        for p in &d.points {
            if !map.contains_key(&p.tag) {
                tracing::error!(device = %d.name, tag = %p.tag, "unknown sensor tag: its point will be read but refused by ingest");
            }
        }
    }
    Ok(map)
}
