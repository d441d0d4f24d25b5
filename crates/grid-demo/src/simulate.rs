//! A simulated SCADA day of the demo grid at 1-minute resolution, with injected events.

use chrono::{DateTime, Duration, Utc};
use grid_model::{AlertKind, GridZone, SensorType};
use grid_timescale::ingest::Reading;

use grid_timescale::LocalZone;

use crate::grid::{DemoGrid, DemoSensor};
use crate::thermal::{FanFailure, Truth};

/// What an injected event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A meter sending garbage, then a stuck value.
    BadSensor,
    /// A short voltage sag (IEEE 1159: 0.1–0.9 pu).
    VoltageSag,
    /// Supply lost at a substation.
    Outage,
    /// A transformer running hot.
    Overheating,
    /// Frequency out of its band across a zone.
    FrequencyExcursion,
}

impl std::fmt::Display for EventKind {
    /// Its name in the report and the picture: the alert kind's, where it raises one.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventKind::BadSensor => f.write_str("bad_sensor"),
            EventKind::VoltageSag => f.write_str("voltage_sag"),
            EventKind::Outage => AlertKind::Outage.fmt(f),
            EventKind::Overheating => AlertKind::Overheating.fmt(f),
            EventKind::FrequencyExcursion => AlertKind::FrequencyExcursion.fmt(f),
        }
    }
}

/// An injected event, for the report and the picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What it is.
    pub kind: EventKind,
    /// The substation's code.
    pub substation: &'static str,
    /// Its zone.
    pub zone: GridZone,
    /// When it begins.
    pub start: DateTime<Utc>,
    /// When it ends.
    pub end: DateTime<Utc>,
    /// Customers without supply (outages).
    pub customers: i32,
    /// For people.
    pub description: &'static str,
}

/// The events of the simulated day, at fixed hours after the local midnight `day_start`.
pub fn events(day_start: DateTime<Utc>) -> Vec<Event> {
    let at = |h: i64, m: i64| day_start + Duration::hours(h) + Duration::minutes(m);
    vec![
        Event {
            kind: EventKind::BadSensor,
            substation: "ELD-KIT",
            zone: GridZone::Eldoret,
            start: at(2, 0),
            end: at(6, 0),
            customers: 0,
            description: "power-factor meter sends NaN and infinities, then a stuck value",
        },
        Event {
            kind: EventKind::VoltageSag,
            substation: "NRB-EMB",
            zone: GridZone::Nairobi,
            start: at(7, 42),
            end: at(7, 49),
            customers: 0,
            description: "220 kV bus sags to 0.82 pu after a line fault",
        },
        Event {
            kind: EventKind::Outage,
            substation: "KSM-KIS",
            zone: GridZone::Kisumu,
            start: at(10, 15),
            end: at(11, 20),
            customers: 18_000,
            description: "feeder breaker trip: supply lost, restored after 65 minutes",
        },
        Event {
            kind: EventKind::Overheating,
            substation: "MSA-RAB",
            zone: GridZone::Mombasa,
            start: at(13, 0),
            end: at(15, 30),
            customers: 0,
            description: "transformer T1 cooling fans fail: top oil climbs to 110 °C",
        },
        Event {
            kind: EventKind::FrequencyExcursion,
            substation: "WST-MUS",
            zone: GridZone::Western,
            start: at(18, 31),
            end: at(18, 35),
            customers: 0,
            description: "frequency dips to 49.2 Hz after a generator trip",
        },
    ]
}

/// A deterministic number in [-1, 1) from two integers (splitmix64).
fn noise(a: u64, b: u64) -> f64 {
    let mut z = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// The daily load shape (fraction of peak) at local hour `h`: night trough, morning shoulder,
/// evening peak around 20:00 as on the Kenyan grid.
pub fn load_shape(h: f64) -> f64 {
    0.52 + 0.22 * (-(h - 8.5).powi(2) / 5.0).exp() + 0.48 * (-(h - 20.0).powi(2) / 4.0).exp()
}

fn inside(e: &Event, s: &DemoSensor, t: DateTime<Utc>) -> bool {
    e.substation == s.substation && t >= e.start && t < e.end
}

/// The calibrated value a sensor shows at minute `m` of the day; `salt` varies the noise
/// from day to day (0 for the demo day).
pub(crate) fn value(
    s: &DemoSensor,
    index: usize,
    (day_start, salt): (DateTime<Utc>, u64),
    m: i64,
    events: &[Event],
    truth: &Truth,
) -> f64 {
    let t = day_start + Duration::minutes(m);
    let h = m as f64 / 60.0;
    let n = noise(index as u64 ^ (salt << 32), m as u64);
    let shape = load_shape(h);
    let ev = |kind: EventKind| events.iter().find(|e| e.kind == kind && inside(e, s, t));
    let western_dip = events.iter().any(|e| {
        e.kind == EventKind::FrequencyExcursion && s.zone == e.zone && t >= e.start && t < e.end
    });
    let out = ev(EventKind::Outage).is_some();
    match s.sensor.sensor_type {
        SensorType::Load if out => 0.0,
        SensorType::Load => s.nominal * shape * (1.0 + 0.01 * n),
        SensorType::Voltage if out => 0.0,
        SensorType::Voltage
            if ev(EventKind::VoltageSag).is_some() && s.sensor.tag.ends_with("V-BUS") =>
        {
            s.nominal * (0.82 + 0.005 * n)
        }
        SensorType::Voltage => {
            s.nominal * (1.0 + 0.012 * (h / 24.0 * std::f64::consts::TAU).sin() + 0.003 * n)
        }
        SensorType::Frequency if western_dip => 49.2 + 0.02 * n,
        SensorType::Frequency => 50.0 + 0.04 * (h * 1.3).sin() + 0.015 * n,
        SensorType::Current if out => 0.0,
        SensorType::Current => s.nominal * shape * (1.0 + 0.02 * n),
        SensorType::PowerFactor => 0.95 + 0.01 * n,
        // T1's top oil and winding: the simulated thermal series, with sensor noise.
        SensorType::TransformerOil => {
            truth.at(s.substation, m).map_or(f64::NAN, |(oil, _)| oil) + 0.3 * n
        }
        SensorType::Temperature => truth.at(s.substation, m).map_or(f64::NAN, |(_, w)| w) + 0.5 * n,
        SensorType::Vibration => 2.0 + 0.2 * n,
    }
}

/// The raw readings of the whole day, minute by minute, as a SCADA front end would send
/// them: raw values (before calibration), garbage included.
pub fn readings<'a>(
    grid: &'a DemoGrid,
    day_start: DateTime<Utc>,
    zone: LocalZone,
    events: &'a [Event],
) -> impl Iterator<Item = Reading> + 'a {
    // The incomer as `value` simulates it, without its noise.
    let incomer_mw = |s: &DemoSensor, m: i64| {
        let t = day_start + Duration::minutes(m);
        let out = events
            .iter()
            .any(|e| e.kind == EventKind::Outage && inside(e, s, t));
        if out {
            0.0
        } else {
            s.nominal * load_shape(m as f64 / 60.0)
        }
    };
    let fans: Vec<FanFailure> = events
        .iter()
        .filter(|e| e.kind == EventKind::Overheating)
        .map(|e| (e.substation, e.start, e.end))
        .collect();
    let truth = std::rc::Rc::new(Truth::new(grid, day_start, zone, incomer_mw, &fans));
    (0..1440i64).flat_map(move |m| {
        let truth = truth.clone();
        grid.sensors.iter().enumerate().map(move |(i, s)| {
            let t = day_start + Duration::minutes(m);
            let mut v = value(s, i, (day_start, 0), m, events, &truth);
            let bad = events.iter().find(|e| {
                e.kind == EventKind::BadSensor
                    && inside(e, s, t)
                    && s.sensor.sensor_type == SensorType::PowerFactor
            });
            if let Some(e) = bad {
                let minutes = (t - e.start).num_minutes();
                v = if minutes < 30 {
                    if minutes % 2 == 0 {
                        f64::NAN
                    } else {
                        f64::INFINITY
                    }
                } else if minutes >= 60 {
                    0.9137 // stuck
                } else {
                    v
                };
            }
            let raw = (v - s.sensor.calibration_offset) / s.sensor.calibration_scale;
            Reading::new(s.sensor.id, t, raw)
        })
    })
}

/// Quiet days of every sensor before `day_start` (no events, each day its own noise), as
/// calibrated values: what the demo's anomaly detectors learn from before the demo day, the
/// way a commissioned sensor has history behind it (a daily profile learned from one day
/// still carries a third of a noise σ of error at the evening peak).
pub fn quiet_days_before(
    grid: &DemoGrid,
    day_start: DateTime<Utc>,
    zone: LocalZone,
    days: u64,
) -> Vec<grid_detect::TrainingSeries> {
    let incomer_mw = |s: &DemoSensor, m: i64| s.nominal * load_shape(m as f64 / 60.0);
    let mut out: Vec<grid_detect::TrainingSeries> = grid
        .sensors
        .iter()
        .map(|s| grid_detect::TrainingSeries {
            sensor_id: s.sensor.id,
            kind: s.sensor.sensor_type,
            readings: Vec::with_capacity(1440 * days as usize),
        })
        .collect();
    for back in (1..=days).rev() {
        let start = day_start - Duration::days(back as i64);
        let truth = Truth::new(grid, start, zone, incomer_mw, &[]);
        for (i, s) in grid.sensors.iter().enumerate() {
            let series = &mut out[i].readings;
            series.extend(
                (0..1440i64)
                    .map(|m| {
                        (
                            start + Duration::minutes(m),
                            value(s, i, (start, back), m, &[], &truth),
                        )
                    })
                    .filter(|(_, v)| v.is_finite()),
            );
        }
    }
    out
}
