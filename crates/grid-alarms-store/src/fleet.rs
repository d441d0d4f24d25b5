//! The points that alarm: every sensor with limits of a type the policy alarms on, with its
//! rule, its substation and its operator area (the substation's zone).

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use grid_alarms::AlarmRule;
use grid_model::{GridZone, SensorMetadata, SensorType};
use grid_store::enums::{DbGridZone, DbSensorType};
use grid_store::schema::{grid_sensors, grid_substations};
use grid_timescale::OperatingLimits;
use serde_json::Value;
use uuid::Uuid;

use crate::error::AlarmResult;
use crate::settings::AlarmSettings;

/// One point that alarms.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The sensor.
    pub id: Uuid,
    /// Its tag.
    pub tag: String,
    /// Its type.
    pub kind: SensorType,
    /// Its substation.
    pub substation_id: Uuid,
    /// The substation's code.
    pub substation: String,
    /// The operator area: the substation's zone.
    pub zone: GridZone,
    /// The nominal voltage (kV) of a voltage sensor, 0 otherwise.
    pub nominal_kv: f64,
    /// Its rule.
    pub rule: AlarmRule,
}

impl Point {
    /// Whether the point has an emergency band (LoLo or HiHi).
    pub fn emergency_band(&self) -> bool {
        self.rule.limits.lolo.is_some() || self.rule.limits.hihi.is_some()
    }
}

/// A sensor with what its rule depends on: id, tag, type, metadata, its substation's id,
/// code, zone and voltage level.
type SensorRow = (
    Uuid,
    String,
    DbSensorType,
    Value,
    Uuid,
    String,
    DbGridZone,
    i32,
);

/// Every point that alarms, by sensor id, and every sensor's id (those that alarm and those
/// that do not: a batch naming another is of a sensor added since).
pub fn load(
    conn: &mut PgConnection,
    settings: &AlarmSettings,
) -> AlarmResult<(HashMap<Uuid, Point>, HashSet<Uuid>)> {
    let rows: Vec<SensorRow> = grid_sensors::table
        .inner_join(grid_substations::table)
        .select((
            grid_sensors::id,
            grid_sensors::sensor_id,
            grid_sensors::sensor_type,
            grid_sensors::metadata,
            grid_substations::id,
            grid_substations::code,
            grid_substations::zone,
            grid_substations::voltage_level_kv,
        ))
        .load(conn)?;
    let mut points = HashMap::new();
    let sensors = rows.iter().map(|r| r.0).collect();
    for (id, tag, kind, metadata, substation_id, substation, zone, level) in rows {
        let kind: SensorType = kind.into();
        // A sensor whose metadata does not parse has no usable limits of its own; the
        // ingest path refuses its readings' bounds the same way.
        let meta: SensorMetadata = serde_json::from_value(metadata).unwrap_or_default();
        let nominal = OperatingLimits::nominal_kv(&meta, level);
        let own = OperatingLimits::own_band(&meta);
        let kv = (kind == SensorType::Voltage).then_some(nominal);
        let limits = settings.limits.graded_for(kind, kv, own);
        let Some(rule) = settings.threshold.rule_for(kind, limits, nominal) else {
            continue;
        };
        points.insert(
            id,
            Point {
                id,
                tag,
                kind,
                substation_id,
                substation,
                zone: zone.into(),
                nominal_kv: if kind == SensorType::Voltage {
                    nominal
                } else {
                    0.0
                },
                rule,
            },
        );
    }
    Ok((points, sensors))
}
