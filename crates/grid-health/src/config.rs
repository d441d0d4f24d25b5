//! How the thermal assessment runs: one configuration, with every default's source.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Timelike, Utc};
use grid_model::GridZone;
use grid_thermal::{LoadingCategory, RunOptions};
use grid_timescale::LocalZone;
use serde::{Deserialize, Serialize};

/// A zone's daily ambient profile: the mean daily minimum and maximum, °C.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AmbientProfile {
    /// Daily minimum, reached at 06:00 local.
    pub min_c: f64,
    /// Daily maximum, reached at 15:00 local.
    pub max_c: f64,
}

impl AmbientProfile {
    /// The temperature at `at` in the local zone `zone`: a half cosine from the minimum at
    /// 06:00 up to the maximum at 15:00 and another back down to 06:00 (the usual shape of a
    /// clear tropical day).
    pub fn at(&self, at: DateTime<Utc>, zone: LocalZone) -> f64 {
        let local = at.with_timezone(&zone.tz());
        let h = local.hour() as f64 + local.minute() as f64 / 60.0 + local.second() as f64 / 3600.0;
        let (rise_from, rise_len) = (6.0, 9.0);
        let since = (h - rise_from).rem_euclid(24.0);
        // 0 at the minimum, 1 at the maximum.
        let x = if since <= rise_len {
            since / rise_len
        } else {
            1.0 - (since - rise_len) / (24.0 - rise_len)
        };
        let s = 0.5 - 0.5 * (std::f64::consts::PI * x).cos();
        self.min_c + (self.max_c - self.min_c) * s
    }
}

/// The default ambient profile of a zone: rounded annual means of the daily minimum and
/// maximum at a representative station (Nairobi, Mombasa, Kisumu, Nakuru, Eldoret,
/// Kakamega, Nyeri, Malindi) from climate normals. Approximate by design: configure the
/// month's values of the local met station, or give the substation an ambient sensor.
pub fn default_ambient(zone: GridZone) -> AmbientProfile {
    let (min_c, max_c) = match zone {
        GridZone::Nairobi => (13.0, 25.0),
        GridZone::Mombasa => (23.0, 31.0),
        GridZone::Kisumu => (17.0, 29.0),
        GridZone::Nakuru => (11.0, 26.0),
        GridZone::Eldoret => (10.0, 24.0),
        GridZone::Western => (15.0, 28.0),
        GridZone::Central => (11.0, 24.0),
        GridZone::Coastal => (23.0, 31.0),
    };
    AmbientProfile { min_c, max_c }
}

/// When thermal alarms are raised. In a file (grid-config's `alarms.thermal`): `category`
/// (`normal`, `planned_beyond_nameplate`, `long_time_emergency`, `short_time_emergency`),
/// `on_delay_s`, `off_delay_s`, `deadband_k`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThermalAlarmConfig {
    /// The loading category whose limits alarm (the table is the model's standard:
    /// C57.91 Table 7 or IEC 60076-7 Table 3). Default: normal loading (120 °C hot-spot,
    /// 105 °C top oil in both tables).
    pub category: LoadingCategory,
    /// How long past the limit before raising (ISA-18.2 / EEMUA 191 starting point for
    /// temperatures: 60 s).
    #[serde(rename = "on_delay_s", with = "grid_model::serde_seconds")]
    pub on_delay: Duration,
    /// How long back under the limit (by the deadband) before clearing (the same starting
    /// point: 60 s).
    #[serde(rename = "off_delay_s", with = "grid_model::serde_seconds")]
    pub off_delay: Duration,
    /// How far back under the limit a temperature must come to clear, K (the same guides'
    /// 1 % of range: 2 K on a 0–200 °C range).
    pub deadband_k: f64,
}

impl ThermalAlarmConfig {
    /// Checks the settings; names the one that cannot work.
    pub fn validate(&self) -> Result<(), String> {
        if !self.deadband_k.is_finite() || !(0.0..=50.0).contains(&self.deadband_k) {
            return Err(format!(
                "deadband_k: {} is not between 0 and 50 K",
                self.deadband_k
            ));
        }
        Ok(())
    }
}

impl Default for ThermalAlarmConfig {
    fn default() -> Self {
        ThermalAlarmConfig {
            category: LoadingCategory::Normal,
            on_delay: Duration::seconds(60),
            off_delay: Duration::seconds(60),
            deadband_k: 2.0,
        }
    }
}

/// How the thermal assessment runs.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthConfig {
    /// The IANA zone the caller expects local days in; `None`: the database's (another name
    /// is refused, as in grid-analytics).
    pub time_zone: Option<String>,
    /// The step the readings are averaged to.
    pub step: Duration,
    /// How much of the previous day runs before the day, so the day starts from the state the
    /// data left (12 h is four oil time constants of an ONAN unit; with no data there, the day
    /// starts at the steady state of its first load).
    pub warm_up: Duration,
    /// Gaps: longer than this ends a span (grid-thermal's rule, not interpolated); also how
    /// long an ambient, top-oil, hot-spot or power-factor value is carried forward.
    pub run: RunOptions,
    /// The power factor used to turn MW into MVA where the substation has no usable
    /// power-factor reading (0.9: a conservative planning value; a lower factor means more
    /// MVA for the same MW, so a hotter transformer).
    pub default_power_factor: f64,
    /// Ambient profiles per zone where no ambient sensor exists; a zone not named here takes
    /// [`default_ambient`].
    pub ambient: HashMap<GridZone, AmbientProfile>,
    /// Alarms.
    pub alarms: ThermalAlarmConfig,
    /// How many past days the recent ageing rate (for the remaining life) is taken over.
    pub recent_days: u32,
    /// What is known of transformers' insulation at a date, by transformer ("SUBSTATION
    /// NAME", e.g. `"NRB-EMB T1"`): without it (and without history
    /// since manufacture) the life consumed is unknown.
    pub starting_conditions: StartingConditions,
}

/// Starting conditions by transformer (see [`HealthConfig::starting_conditions`]).
pub type StartingConditions = std::collections::BTreeMap<String, StartingCondition>;

/// What is known of a transformer's insulation at a date: the life consumed then (from
/// records), or a degree of polymerisation measured then (IEC 60450; grid-thermal's
/// `consumed_from_dp`). Exactly one of the two.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartingCondition {
    /// The local date it was known at (the start of that day).
    pub at: chrono::NaiveDate,
    /// Life consumed by then, hours of normal life.
    pub consumed_hours: Option<f64>,
    /// Degree of polymerisation measured then.
    pub dp: Option<f64>,
}

impl StartingCondition {
    /// Checks it: exactly one of the two, in range.
    pub fn validate(&self) -> Result<(), String> {
        match (self.consumed_hours, self.dp) {
            (Some(h), None) if h.is_finite() && h >= 0.0 => Ok(()),
            (None, Some(dp)) if dp.is_finite() && (100.0..=1500.0).contains(&dp) => Ok(()),
            (Some(_), Some(_)) | (None, None) => {
                Err("give consumed_hours or dp, exactly one".into())
            }
            _ => Err("consumed_hours ≥ 0, dp within 100..=1500".into()),
        }
    }
}

impl HealthConfig {
    /// The ambient profile of `zone`.
    pub fn ambient_of(&self, zone: GridZone) -> AmbientProfile {
        self.ambient
            .get(&zone)
            .copied()
            .unwrap_or_else(|| default_ambient(zone))
    }
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            time_zone: None,
            step: Duration::minutes(1),
            warm_up: Duration::hours(12),
            run: RunOptions::default(),
            default_power_factor: 0.9,
            ambient: HashMap::new(),
            alarms: ThermalAlarmConfig::default(),
            recent_days: 30,
            starting_conditions: StartingConditions::new(),
        }
    }
}
