//! Daily grid statistics of a zone.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::enums::GridZone;
use crate::validation::Checker;

/// Daily statistics of one zone for one local calendar day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyStatistics {
    /// The local calendar day.
    pub date: NaiveDate,
    /// The zone.
    pub zone: GridZone,
    /// Peak of the zone's load, MW.
    pub peak_load_mw: Option<f64>,
    /// When the peak occurred.
    pub peak_load_time: Option<DateTime<Utc>>,
    /// Average load, MW.
    pub average_load_mw: Option<f64>,
    /// Minimum load, MW.
    pub min_load_mw: Option<f64>,
    /// Energy delivered, MWh.
    pub total_energy_mwh: Option<f64>,
    /// See the analytics crate for what this average holds.
    pub average_voltage_kv: Option<f64>,
    /// Voltage excursions (a contiguous out-of-limit run counts once).
    pub voltage_violations_count: i32,
    /// Frequency excursions.
    pub frequency_violations_count: i32,
    /// Sustained interruptions that began this day.
    pub total_outages: i32,
    /// Their total duration, minutes.
    pub total_outage_minutes: f64,
    /// SAIDI, minutes.
    pub saidi: Option<f64>,
    /// SAIFI, interruptions per customer.
    pub saifi: Option<f64>,
    /// Alerts raised.
    pub total_alerts: i32,
    /// Alerts raised at critical or worse.
    pub critical_alerts: i32,
    /// Alerts resolved.
    pub alerts_resolved: i32,
    /// Hours of scheduled maintenance (preventive, predictive).
    pub scheduled_maintenance_hours: f64,
    /// Hours of unscheduled maintenance (corrective, emergency).
    pub unscheduled_maintenance_hours: f64,
    /// Further figures (a JSON object; this product writes a [`StatisticsMetadata`]).
    pub metadata: Value,
}

impl DailyStatistics {
    /// An empty day: counts zero, figures unknown.
    pub fn empty(date: NaiveDate, zone: GridZone) -> Self {
        DailyStatistics {
            date,
            zone,
            peak_load_mw: None,
            peak_load_time: None,
            average_load_mw: None,
            min_load_mw: None,
            total_energy_mwh: None,
            average_voltage_kv: None,
            voltage_violations_count: 0,
            frequency_violations_count: 0,
            total_outages: 0,
            total_outage_minutes: 0.0,
            saidi: None,
            saifi: None,
            total_alerts: 0,
            critical_alerts: 0,
            alerts_resolved: 0,
            scheduled_maintenance_hours: 0.0,
            unscheduled_maintenance_hours: 0.0,
            metadata: Value::Object(Default::default()),
        }
    }

    /// Checks every field, listing each offending one.
    pub fn validate(&self) -> Result<(), crate::ValidationErrors> {
        Checker::new("daily statistics")
            .non_negative_opt("peak_load_mw", self.peak_load_mw)
            .non_negative_opt("average_load_mw", self.average_load_mw)
            .non_negative_opt("min_load_mw", self.min_load_mw)
            .non_negative_opt("total_energy_mwh", self.total_energy_mwh)
            .finite_opt("average_voltage_kv", self.average_voltage_kv)
            .count("voltage_violations_count", self.voltage_violations_count)
            .count(
                "frequency_violations_count",
                self.frequency_violations_count,
            )
            .count("total_outages", self.total_outages)
            .non_negative("total_outage_minutes", self.total_outage_minutes)
            .non_negative_opt("saidi", self.saidi)
            .non_negative_opt("saifi", self.saifi)
            .count("total_alerts", self.total_alerts)
            .count("critical_alerts", self.critical_alerts)
            .count("alerts_resolved", self.alerts_resolved)
            .non_negative(
                "scheduled_maintenance_hours",
                self.scheduled_maintenance_hours,
            )
            .non_negative(
                "unscheduled_maintenance_hours",
                self.unscheduled_maintenance_hours,
            )
            .object("metadata", &self.metadata)
            .finish()
    }
}

/// What this product writes in `daily_grid_statistics.metadata`: the figures the columns do
/// not hold, and how the day was computed. Every part is optional on reading (rows written
/// by other tools, or before a part existed); unknown keys are kept.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StatisticsMetadata {
    /// The IANA time zone of the local day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The instant the local day began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_start: Option<DateTime<Utc>>,
    /// How the load figures were obtained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadMetadata>,
    /// The day's voltage per nominal level (key: kV rounded to 0.1, as text).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub voltage: BTreeMap<String, VoltageLevel>,
    /// The IEEE 1366 figures the columns do not hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reliability: Option<ReliabilityMetadata>,
    /// The alarm load on the zone's operators (ISA-18.2 / EEMUA 191 flood measure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_rate: Option<AlarmRateMetadata>,
    /// Every other key, as stored.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

impl StatisticsMetadata {
    /// Reads a stored row's metadata; a part that does not parse is left out, the rest kept.
    pub fn from_json(value: &Value) -> StatisticsMetadata {
        serde_json::from_value(value.clone()).unwrap_or_else(|_| {
            let part = |k: &str| value.get(k).cloned().unwrap_or(Value::Null);
            StatisticsMetadata {
                time_zone: serde_json::from_value(part("time_zone")).ok().flatten(),
                day_start: serde_json::from_value(part("day_start")).ok().flatten(),
                load: serde_json::from_value(part("load")).ok().flatten(),
                voltage: serde_json::from_value(part("voltage")).unwrap_or_default(),
                reliability: serde_json::from_value(part("reliability")).ok().flatten(),
                alarm_rate: serde_json::from_value(part("alarm_rate")).ok().flatten(),
                other: Default::default(),
            }
        })
    }

    /// The JSON object to store.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| Value::Object(Default::default()))
    }
}

/// Alarms raised per operator area (a zone) and 10-minute window over the day: EEMUA 191
/// calls more than 10 alarms in 10 minutes a flood.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct AlarmRateMetadata {
    /// The most alarms raised within any 10 minutes of the day (a sliding window).
    pub peak_per_10_min: u32,
    /// Fixed 10-minute windows of the day (from its start) with more than 10 alarms.
    pub flood_windows: u32,
    /// Alarms raised per 10 minutes on average over the day.
    pub mean_per_10_min: f64,
}

/// How a zone's daily load was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LoadMetadata {
    /// ∫ load dt over the buckets with a complete sum, MWh.
    pub measured_energy_mwh: f64,
    /// Fraction of the day's buckets with a complete sum after interpolation.
    pub coverage: f64,
    /// Substation-buckets filled by linear interpolation.
    pub interpolated_buckets: usize,
    /// Substations contributing.
    pub substations: usize,
    /// The bucket, seconds.
    pub step_seconds: i64,
}

/// The day's voltage at one nominal level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VoltageLevel {
    /// Mean, kV.
    pub average_kv: f64,
    /// Mean in per unit of the nominal.
    pub average_pu: f64,
    /// Readings averaged.
    pub readings: i64,
}

/// The IEEE 1366-2022 figures of a zone's day that the columns do not hold, and the
/// customer-weighted sums a period's indices are rebuilt from (IEEE 1366 §3: indices over a
/// period are ratios of sums, never means of daily ratios).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReliabilityMetadata {
    /// Customers served (N_T) the indices were computed for.
    pub customers_served: i64,
    /// CAIDI, minutes.
    pub caidi_minutes: Option<f64>,
    /// ASAI, 0–1.
    pub asai: Option<f64>,
    /// MAIFI_E.
    pub maifi_e: Option<f64>,
    /// SAIDI, hours.
    pub saidi_hours: Option<f64>,
    /// Momentary interruption events (IEEE 1366: a device's operations within 5 minutes are
    /// one event; a sequence ending in a lockout is none).
    pub momentary_interruptions: u32,
    /// Momentary operations before grouping into events.
    #[serde(default)]
    pub momentary_operations: u32,
    /// Interruptions whose customers exceeded N_T, capped to it.
    #[serde(default)]
    pub capped_interruptions: u32,
    /// Customer-minutes of sustained interruption (Σ r_i·N_i).
    pub customer_minutes: f64,
    /// Customer-minutes without supply within the day (what ASAI takes: an interruption
    /// overlapping the day, clipped to it); `None` in rows computed before it was kept,
    /// where the day's `customer_minutes` stands for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_minutes_unavailable: Option<f64>,
    /// Customer interruptions (Σ N_i).
    pub customer_interruptions: f64,
    /// Customer momentary events.
    pub customer_momentary_events: f64,
    /// An interruption longer than this is sustained, minutes (IEEE 1366: 5).
    pub sustained_after_minutes: f64,
    /// Why the indices are missing, when they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
