//! The transformers and what feeds each one's thermal model: which sensor gives its load,
//! its ambient, its measured top oil and hot-spot (from the sensors' types, links and typed
//! metadata), and the readings of those sensors averaged to the step.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{
    Array, Bool, Double, Float8, Int4, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use grid_model::{GridZone, MeasurementRole, SensorMetadata, SensorType, ThermalLoadSource};
use grid_store::enums::{DbGridZone, DbSensorType};
use grid_store::schema::sql_types::{GridZone as SqlGridZone, SensorType as SqlSensorType};
use uuid::Uuid;

/// A transformer as the assessment sees it.
#[derive(Debug, Clone, QueryableByName)]
pub struct FleetTransformer {
    /// Its id.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its substation.
    #[diesel(sql_type = SqlUuid)]
    pub substation_id: Uuid,
    /// The substation's code.
    #[diesel(sql_type = Text)]
    pub substation_code: String,
    #[diesel(sql_type = SqlGridZone)]
    zone: DbGridZone,
    /// Its name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Rating, MVA.
    #[diesel(sql_type = Double)]
    pub capacity_mva: f64,
    /// Secondary voltage, kV (the side a current sensor is taken to measure unless its
    /// metadata names a nominal voltage).
    #[diesel(sql_type = Double)]
    pub voltage_secondary_kv: f64,
    /// Its stored cooling class.
    #[diesel(sql_type = Nullable<Text>)]
    pub cooling_type: Option<String>,
    /// Year of manufacture.
    #[diesel(sql_type = Nullable<Int4>)]
    pub year_manufactured: Option<i32>,
    /// In service.
    #[diesel(sql_type = Bool)]
    pub is_operational: bool,
    /// Oil level, %.
    #[diesel(sql_type = Double)]
    pub oil_level_percentage: f64,
}

impl FleetTransformer {
    /// The substation's zone.
    pub fn zone(&self) -> GridZone {
        self.zone.into()
    }

    /// `CODE name`, as errors and titles name it.
    pub fn label(&self) -> String {
        format!("{} {}", self.substation_code, self.name)
    }
}

/// Every transformer.
pub fn transformers(conn: &mut PgConnection) -> QueryResult<Vec<FleetTransformer>> {
    diesel::sql_query(include_str!("fleet.sql")).load(conn)
}

#[derive(Debug, Clone, QueryableByName)]
struct SensorRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    substation_id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    transformer_id: Option<Uuid>,
    #[diesel(sql_type = SqlSensorType)]
    sensor_type: DbSensorType,
    #[diesel(sql_type = Jsonb)]
    metadata: serde_json::Value,
}

/// Where one transformer's load comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadFeed {
    /// A current sensor linked to it.
    Current {
        /// The sensor.
        sensor: Uuid,
        /// The line-to-line voltage its current is at, kV (the sensor's `nominal_kv`, else
        /// the transformer's secondary).
        kv: f64,
    },
    /// A load (MW) sensor linked to it.
    Load {
        /// The sensor.
        sensor: Uuid,
    },
    /// The substation's incomer sensors (summed), shared by rating.
    Incomer {
        /// The incomer sensors.
        sensors: Vec<Uuid>,
    },
}

impl LoadFeed {
    /// What is stored as the day's load source.
    pub fn source(&self) -> ThermalLoadSource {
        match self {
            LoadFeed::Current { .. } => ThermalLoadSource::TransformerCurrent,
            LoadFeed::Load { .. } => ThermalLoadSource::TransformerLoad,
            LoadFeed::Incomer { .. } => ThermalLoadSource::IncomerShare,
        }
    }
}

/// The sensors feeding one transformer's model.
#[derive(Debug, Clone, PartialEq)]
pub struct Feeds {
    /// Its load (`None`: none, the transformer cannot be assessed).
    pub load: Option<LoadFeed>,
    /// A power-factor sensor (its own, else its substation's) for MW → MVA.
    pub power_factor: Option<Uuid>,
    /// An ambient sensor at its substation.
    pub ambient: Option<Uuid>,
    /// Its top-oil sensor.
    pub top_oil: Option<Uuid>,
    /// Its hot-spot sensor.
    pub hot_spot: Option<Uuid>,
}

impl Feeds {
    /// Every sensor named.
    pub fn sensors(&self) -> Vec<Uuid> {
        let mut v: Vec<Uuid> = [self.power_factor, self.ambient, self.top_oil, self.hot_spot]
            .into_iter()
            .flatten()
            .collect();
        match &self.load {
            Some(LoadFeed::Current { sensor, .. } | LoadFeed::Load { sensor }) => v.push(*sensor),
            Some(LoadFeed::Incomer { sensors }) => v.extend(sensors),
            None => {}
        }
        v
    }
}

/// Decides each transformer's feeds from the sensors in service:
/// - load: a current sensor linked to the transformer, else a load sensor linked to it, else
///   the substation's load sensors whose metadata says `incomer`;
/// - power factor: a power-factor sensor linked to it, else one of its substation not linked
///   to another transformer;
/// - ambient: a temperature sensor of its substation whose metadata says `ambient`;
/// - top oil: a `transformer_oil` sensor linked to it (metadata role absent or `top_oil`);
/// - hot-spot: a temperature sensor linked to it whose metadata says `hot_spot`.
pub fn feeds(
    conn: &mut PgConnection,
    fleet: &[FleetTransformer],
) -> QueryResult<HashMap<Uuid, Feeds>> {
    let rows: Vec<SensorRow> = diesel::sql_query(include_str!("sensors.sql")).load(conn)?;
    // Each sensor's metadata parsed once.
    let sensors: Vec<(SensorRow, SensorMetadata)> = rows
        .into_iter()
        .map(|r| {
            let m = SensorMetadata::from_json(&r.metadata);
            (r, m)
        })
        .collect();
    let role = |s: &(SensorRow, SensorMetadata)| s.1.measurement_role;
    let nominal = |s: &(SensorRow, SensorMetadata)| s.1.nominal_kv;
    let kind = |s: &(SensorRow, SensorMetadata)| SensorType::from(s.0.sensor_type);
    let mut out = HashMap::new();
    for t in fleet {
        let own = |k: SensorType| {
            sensors
                .iter()
                .filter(move |s| s.0.transformer_id == Some(t.id) && kind(s) == k)
        };
        let here = |k: SensorType| {
            sensors
                .iter()
                .filter(move |s| s.0.substation_id == t.substation_id && kind(s) == k)
        };
        let load = if let Some(s) = own(SensorType::Current).next() {
            Some(LoadFeed::Current {
                sensor: s.0.id,
                kv: nominal(s).unwrap_or(t.voltage_secondary_kv),
            })
        } else if let Some(s) = own(SensorType::Load).next() {
            Some(LoadFeed::Load { sensor: s.0.id })
        } else {
            let incomers: Vec<Uuid> = here(SensorType::Load)
                .filter(|s| role(s) == Some(MeasurementRole::Incomer))
                .map(|s| s.0.id)
                .collect();
            (!incomers.is_empty()).then_some(LoadFeed::Incomer { sensors: incomers })
        };
        let power_factor = own(SensorType::PowerFactor)
            .next()
            .or_else(|| here(SensorType::PowerFactor).find(|s| s.0.transformer_id.is_none()))
            .map(|s| s.0.id);
        let ambient = here(SensorType::Temperature)
            .find(|s| role(s) == Some(MeasurementRole::Ambient))
            .map(|s| s.0.id);
        let top_oil = own(SensorType::TransformerOil)
            .find(|s| matches!(role(s), None | Some(MeasurementRole::TopOil)))
            .map(|s| s.0.id);
        let hot_spot = own(SensorType::Temperature)
            .find(|s| role(s) == Some(MeasurementRole::HotSpot))
            .map(|s| s.0.id);
        out.insert(
            t.id,
            Feeds {
                load,
                power_factor,
                ambient,
                top_oil,
                hot_spot,
            },
        );
    }
    Ok(out)
}

#[derive(QueryableByName)]
struct ReadingRow {
    #[diesel(sql_type = SqlUuid)]
    sensor_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
    #[diesel(sql_type = Float8)]
    value: f64,
}

/// A sensor's readings averaged per step: (step index from the window's start, mean value),
/// in time order.
pub type Series = Vec<(i64, f64)>;

/// The readings of `sensors` in `[from, to)`, averaged per `step` counted from `from`.
pub fn series(
    conn: &mut PgConnection,
    sensors: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step: Duration,
) -> QueryResult<HashMap<Uuid, Series>> {
    let rows: Vec<ReadingRow> = diesel::sql_query(include_str!("readings.sql"))
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .bind::<Array<SqlUuid>, _>(sensors)
        .load(conn)?;
    let step_ms = step.num_milliseconds().max(1);
    let mut out: HashMap<Uuid, Series> = HashMap::new();
    let mut current: Option<(Uuid, i64, f64, u32)> = None;
    let flush = |c: Option<(Uuid, i64, f64, u32)>, out: &mut HashMap<Uuid, Series>| {
        if let Some((id, b, sum, n)) = c {
            out.entry(id).or_default().push((b, sum / n as f64));
        }
    };
    for r in rows {
        let b = (r.at - from).num_milliseconds().div_euclid(step_ms);
        current = match current {
            Some((id, cb, sum, n)) if id == r.sensor_id && cb == b => {
                Some((id, cb, sum + r.value, n + 1))
            }
            other => {
                flush(other, &mut out);
                Some((r.sensor_id, b, r.value, 1))
            }
        };
    }
    flush(current, &mut out);
    Ok(out)
}

/// Reads a series forward in step order, carrying a value forward up to a maximum age.
pub struct Cursor<'a> {
    series: &'a [(i64, f64)],
    next: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `series` (an empty one for a missing sensor).
    pub fn new(series: Option<&'a Series>) -> Cursor<'a> {
        Cursor {
            series: series.map_or(&[], Vec::as_slice),
            next: 0,
        }
    }

    /// The latest value at or before step `b`, if it is at most `max_age` steps old. Calls
    /// must come in increasing `b`.
    pub fn at(&mut self, b: i64, max_age: i64) -> Option<f64> {
        while self.next < self.series.len() && self.series[self.next].0 <= b {
            self.next += 1;
        }
        let (at, v) = *self.series.get(self.next.checked_sub(1)?)?;
        (b - at <= max_age).then_some(v)
    }
}
