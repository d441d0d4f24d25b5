//! What the T1 top-oil and winding sensors of the simulated day show: a physically
//! consistent series, not a shape. Each T1 is simulated with IEEE C57.91's model under its
//! share of the simulated incomer load and its zone's ambient profile, but with the rated
//! rises of a unit that runs a little cooler than the standard defaults the assessment uses
//! (top oil 52 K, hot-spot gradient 23 K), so the assessment's residual is small and real.
//! The fan failure of the overheating event takes the top oil up to 110 °C over an hour,
//! holds it, and lets it cool with a one-hour time constant once the fans are back.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use grid_health::default_ambient;
use grid_model::{SensorType, ThermalMethod};
use grid_thermal::{CoolingMode, ModelParameters, RunOptions, Sample, run_with};
use grid_timescale::LocalZone;

use crate::grid::{DemoGrid, DemoSensor};

/// A fan failure: the substation whose T1 loses its fans, from when to when.
pub(crate) type FanFailure = (&'static str, DateTime<Utc>, DateTime<Utc>);

/// The top oil the fan failure drives the oil to, °C.
pub const FAN_FAILURE_TOP_OIL_C: f64 = 110.0;

/// The simulated (top oil, winding hot-spot) of each substation's T1, per minute.
#[derive(Debug, Default)]
pub(crate) struct Truth(HashMap<&'static str, Vec<(f64, f64)>>);

impl Truth {
    /// Simulates every substation's T1 over the day starting `day_start`.
    pub(crate) fn new(
        grid: &DemoGrid,
        day_start: DateTime<Utc>,
        zone: LocalZone,
        incomer_mw: impl Fn(&DemoSensor, i64) -> f64,
        fans: &[FanFailure],
    ) -> Truth {
        let mut out = HashMap::new();
        for s in &grid.substations {
            let Some(incomer) = grid.sensors.iter().find(|d| {
                d.substation == s.code.as_str() && d.sensor.sensor_type == SensorType::Load
            }) else {
                continue;
            };
            let trs: Vec<_> = grid
                .transformers
                .iter()
                .filter(|t| t.substation_id == s.id)
                .collect();
            let Some(t1) = trs.first() else { continue };
            let rating: f64 = trs.iter().map(|t| t.capacity_mva).sum();
            let mode = t1
                .cooling_type
                .as_deref()
                .and_then(CoolingMode::parse)
                .unwrap_or(CoolingMode::Onaf);
            let mut p = ModelParameters::defaults(mode, ThermalMethod::IeeeC5791);
            p.rated_top_oil_rise_k = 52.0;
            p.rated_hot_spot_gradient_k = 23.0;
            let profile = default_ambient(incomer.zone);
            // The day before first (the same daily load), so the oil enters the day with the
            // heat of the evening before instead of restarting from a steady state at midnight.
            let samples: Vec<Sample> = (-1440..1440)
                .map(|m| {
                    let t = day_start + Duration::minutes(m);
                    let mw = incomer_mw(incomer, m.rem_euclid(1440));
                    Sample {
                        minutes: m as f64,
                        load_pu: mw / 0.95 / rating,
                        ambient_c: profile.at(t, zone),
                        top_oil_c: None,
                        hot_spot_c: None,
                    }
                })
                .collect();
            let mut series = Vec::with_capacity(2880);
            if run_with(&p, &samples, RunOptions::default(), |pt| {
                series.push((pt.top_oil_c, pt.hot_spot_c - pt.top_oil_c))
            })
            .is_err()
            {
                continue;
            }
            let mut series = series.split_off(series.len().saturating_sub(1440));
            for &(_, start, end) in fans.iter().filter(|f| f.0 == incomer.substation) {
                fan_failure(&mut series, day_start, start, end);
            }
            out.insert(
                incomer.substation,
                series
                    .into_iter()
                    .map(|(oil, rise)| (oil, oil + rise))
                    .collect(),
            );
        }
        Truth(out)
    }

    /// T1's (top oil, winding) at minute `m` of the day.
    pub(crate) fn at(&self, substation: &str, m: i64) -> Option<(f64, f64)> {
        self.0
            .get(substation)
            .and_then(|v| v.get(m as usize))
            .copied()
    }
}

/// The fan failure: the oil climbs to [`FAN_FAILURE_TOP_OIL_C`] over the first hour, holds,
/// and after the event cools back toward the healthy series with a one-hour time constant.
fn fan_failure(
    series: &mut [(f64, f64)],
    day_start: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) {
    let start = (start - day_start).num_minutes().max(0) as usize;
    let end = ((end - day_start).num_minutes().max(0) as usize).min(series.len());
    let mut excess_at_end = 0.0;
    for (m, (oil, _)) in series.iter_mut().enumerate().skip(start) {
        if m < end {
            let ramp = ((m - start) as f64 / 60.0).min(1.0);
            let excess = (FAN_FAILURE_TOP_OIL_C - *oil).max(0.0) * ramp;
            *oil += excess;
            excess_at_end = excess;
        } else {
            *oil += excess_at_end * (-((m - end) as f64) / 60.0).exp();
        }
    }
}

/// What the demo grid knows of its transformers' insulation, over `configured` (which wins):
/// MSA-RAB T1, whose cooling fans fail on the day, had its oil sampled 90 days before and
/// a degree of polymerisation of 450 measured (a unit well into its life). The others have
/// no such record and no history since manufacture, so their remaining life is unknown.
pub(crate) fn starting_conditions(
    day: chrono::NaiveDate,
    configured: &grid_health::StartingConditions,
) -> grid_health::StartingConditions {
    let mut all = configured.clone();
    all.entry("MSA-RAB T1".into())
        .or_insert(grid_health::StartingCondition {
            at: day - chrono::Days::new(90),
            consumed_hours: None,
            dp: Some(450.0),
        });
    all
}
