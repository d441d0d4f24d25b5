//! One transformer's model input: per step, its per-unit load, the ambient and any measured
//! temperatures.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use grid_model::ThermalAmbientSource;
use grid_thermal::Sample;
use grid_timescale::LocalZone;
use uuid::Uuid;

use crate::config::HealthConfig;
use crate::fleet::{Cursor, Feeds, FleetTransformer, LoadFeed, Series};

/// The samples of one transformer and where their inputs came from.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The samples, `minutes` counted from the window's start (each closes its step).
    pub samples: Vec<Sample>,
    /// Where the ambient came from (a sensor: where it was silent longer than the gap limit,
    /// the zone's profile filled in).
    pub ambient_source: ThermalAmbientSource,
}

/// A usable power factor: between 0.5 and 1 in magnitude. Anything else (a meter reading 0
/// while de-energised, a stuck or scaled value) falls back to the configured default.
fn usable_pf(pf: Option<f64>, default: f64) -> f64 {
    match pf.map(f64::abs) {
        Some(p) if (0.5..=1.0).contains(&p) => p,
        _ => default,
    }
}

/// What a load value is in, and the rating it is divided by.
#[derive(Clone, Copy)]
enum Unit {
    /// Amperes against the rated current.
    Amperes { rated: f64 },
    /// MW, turned to MVA by the power factor, against a rating in MVA.
    Megawatts { rated_mva: f64 },
}

/// The incomers' sum per step, only where every incomer has a value (a missing one would
/// lower the sum, not mark it unknown).
fn incomer_sum(sensors: &[Uuid], series: &HashMap<Uuid, Series>) -> Series {
    let mut sum: HashMap<i64, (f64, usize)> = HashMap::new();
    for id in sensors {
        for &(b, v) in series.get(id).map_or(&[][..], Vec::as_slice) {
            let e = sum.entry(b).or_default();
            e.0 += v;
            e.1 += 1;
        }
    }
    let mut out: Series = sum
        .into_iter()
        .filter(|(_, e)| e.1 == sensors.len())
        .map(|(b, e)| (b, e.0))
        .collect();
    out.sort_unstable_by_key(|p| p.0);
    out
}

/// Builds the samples of `t` over the window starting `from`, from `series` (per sensor,
/// per step). `in_service_mva` is the rating shared by the substation's transformers in
/// service (for an incomer share). Steps without a load value are left out (gaps).
#[allow(clippy::too_many_arguments)]
pub fn inputs(
    t: &FleetTransformer,
    feeds: &Feeds,
    series: &HashMap<Uuid, Series>,
    in_service_mva: f64,
    from: DateTime<Utc>,
    zone: LocalZone,
    config: &HealthConfig,
) -> Option<Inputs> {
    let step = config.step;
    let step_min = step.num_milliseconds() as f64 / 60_000.0;
    let carry = (config.run.max_gap_min / step_min).floor() as i64;
    let load = feeds.load.as_ref()?;
    // The load's own steps drive the timeline.
    let (steps, unit) = match load {
        LoadFeed::Current { sensor, kv } => (
            series.get(sensor).cloned().unwrap_or_default(),
            Unit::Amperes {
                rated: t.capacity_mva * 1000.0 / (3f64.sqrt() * kv),
            },
        ),
        LoadFeed::Load { sensor } => (
            series.get(sensor).cloned().unwrap_or_default(),
            Unit::Megawatts {
                rated_mva: t.capacity_mva,
            },
        ),
        LoadFeed::Incomer { sensors } => (
            incomer_sum(sensors, series),
            Unit::Megawatts {
                rated_mva: in_service_mva,
            },
        ),
    };
    let mut pf = Cursor::new(feeds.power_factor.and_then(|s| series.get(&s)));
    let mut ambient = Cursor::new(feeds.ambient.and_then(|s| series.get(&s)));
    let mut top_oil = Cursor::new(feeds.top_oil.and_then(|s| series.get(&s)));
    let mut hot_spot = Cursor::new(feeds.hot_spot.and_then(|s| series.get(&s)));
    let profile = config.ambient_of(t.zone());
    let has_ambient_sensor = feeds
        .ambient
        .is_some_and(|s| series.get(&s).is_some_and(|v| !v.is_empty()));
    let samples = steps
        .into_iter()
        .map(|(b, value)| {
            let end = from + step * (b as i32 + 1);
            let pf = usable_pf(pf.at(b, carry), config.default_power_factor);
            let ambient_c = ambient
                .at(b, carry)
                .unwrap_or_else(|| profile.at(end, zone));
            Sample {
                minutes: (b + 1) as f64 * step_min,
                load_pu: match unit {
                    Unit::Amperes { rated } => value.abs() / rated,
                    Unit::Megawatts { rated_mva } => value.abs() / pf / rated_mva,
                },
                ambient_c,
                top_oil_c: top_oil.at(b, carry),
                hot_spot_c: hot_spot.at(b, carry),
            }
        })
        .collect();
    Some(Inputs {
        samples,
        ambient_source: if has_ambient_sensor {
            ThermalAmbientSource::Sensor
        } else {
            ThermalAmbientSource::ZoneProfile
        },
    })
}

/// The instant a sample's `minutes` stands for, in a window starting `from`.
pub fn instant(from: DateTime<Utc>, minutes: f64) -> DateTime<Utc> {
    from + Duration::milliseconds((minutes * 60_000.0).round() as i64)
}
