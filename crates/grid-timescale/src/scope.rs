//! Which sensors a query covers: one definition for the latest values and the series.

use grid_model::{GridZone, SensorType};
use uuid::Uuid;

/// Which sensors a query covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One sensor.
    Sensor(Uuid),
    /// The sensors of a substation.
    Substation(Uuid),
    /// The sensors of a zone.
    Zone(GridZone),
    /// Every sensor.
    Grid,
}

/// Whose readings a series aggregates: one sensor, or every sensor of one type in a scope
/// (mixing units would mean nothing, so a series over several sensors always names a type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesTarget {
    scope: Scope,
    sensor_type: Option<SensorType>,
}

impl SeriesTarget {
    /// One sensor.
    pub fn sensor(id: Uuid) -> SeriesTarget {
        SeriesTarget {
            scope: Scope::Sensor(id),
            sensor_type: None,
        }
    }

    /// Every sensor of `sensor_type` in a substation.
    pub fn substation(id: Uuid, sensor_type: SensorType) -> SeriesTarget {
        SeriesTarget {
            scope: Scope::Substation(id),
            sensor_type: Some(sensor_type),
        }
    }

    /// Every sensor of `sensor_type` in a zone.
    pub fn zone(zone: GridZone, sensor_type: SensorType) -> SeriesTarget {
        SeriesTarget {
            scope: Scope::Zone(zone),
            sensor_type: Some(sensor_type),
        }
    }

    /// Every sensor of `sensor_type` in the grid.
    pub fn grid(sensor_type: SensorType) -> SeriesTarget {
        SeriesTarget {
            scope: Scope::Grid,
            sensor_type: Some(sensor_type),
        }
    }

    /// The sensors covered.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// Their type (`None` for a single sensor, whatever its type).
    pub fn sensor_type(&self) -> Option<SensorType> {
        self.sensor_type
    }
}
