//! A day's thermal assessment of every transformer: the model over the day's readings, the
//! history row, the transformer row, and the alarms, one transaction per transformer.

use chrono::{Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use grid_analytics::AnalyticsConfig;
use grid_analytics::compute::{day_bounds, local_zone};
use grid_model::{ThermalDay, ThermalParameters};
use grid_store::thermal::{self, ThermalAssessment};
use grid_thermal::health::{self, Health, HealthInputs};
use grid_thermal::{ModelParameters, run_with};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

use crate::alarms;
use crate::config::HealthConfig;
use crate::error::{HealthError, HealthResult};
use crate::fleet::{self, FleetTransformer};
use crate::samples::{inputs, instant};
use crate::summary::{CurvePoint, DaySummary};

/// One transformer's assessed day.
#[derive(Debug, Clone, Serialize)]
pub struct TransformerDay {
    /// The stored history row.
    pub thermal: ThermalDay,
    /// The health figures written on the transformer row.
    pub health: Health,
    /// Why the life consumed (and so the remaining life and the health score) is unknown,
    /// when it is.
    pub life_unknown: Option<String>,
    /// The parameters the model ran with.
    pub parameters: ModelParameters,
    /// The day's points.
    pub curve: Vec<CurvePoint>,
    /// Thermal alarms raised by this run.
    pub alerts_raised: usize,
    /// Whether the transformer row was updated (not when a later day is already stored).
    pub row_updated: bool,
}

/// What happened to one transformer.
#[derive(Debug)]
pub enum Outcome {
    /// Assessed and stored.
    Assessed(Box<TransformerDay>),
    /// Not assessed, and why (out of service).
    Skipped(&'static str),
    /// Could not be assessed; nothing of it was written.
    Failed(HealthError),
}

/// One transformer in a day's assessment.
#[derive(Debug)]
pub struct TransformerOutcome {
    /// The transformer.
    pub transformer: FleetTransformer,
    /// What happened.
    pub outcome: Outcome,
}

/// A day's assessment of the fleet.
#[derive(Debug)]
pub struct DayAssessment {
    /// The local day.
    pub day: NaiveDate,
    /// Every transformer, in substation and name order.
    pub transformers: Vec<TransformerOutcome>,
}

impl DayAssessment {
    /// What happened to the transformer `id` (`None`: not in the fleet that day).
    pub fn outcome_of(&self, id: Uuid) -> Option<&Outcome> {
        self.transformers
            .iter()
            .find(|o| o.transformer.id == id)
            .map(|o| &o.outcome)
    }

    /// The assessed transformers, riskiest first: relative risk index (the day's F_EQA)
    /// descending, then peak hot-spot descending.
    pub fn ranked(&self) -> Vec<(&FleetTransformer, &TransformerDay)> {
        let mut v: Vec<_> = self
            .transformers
            .iter()
            .filter_map(|o| match &o.outcome {
                Outcome::Assessed(d) => Some((&o.transformer, d.as_ref())),
                _ => None,
            })
            .collect();
        let key = |d: &TransformerDay| {
            (
                d.health.relative_risk_index.unwrap_or(-1.0),
                d.thermal.peak_hot_spot_c.unwrap_or(f64::MIN),
            )
        };
        v.sort_by(|a, b| {
            key(b.1)
                .partial_cmp(&key(a.1))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        v
    }
}

/// Assesses every transformer for the local day `day` and stores the results. Safe to
/// repeat: the history row is replaced, alarms found raised are not raised again, and the
/// transformer row is only written when `day` is its latest assessed day.
pub fn assess_day(
    conn: &mut PgConnection,
    day: NaiveDate,
    config: &HealthConfig,
) -> HealthResult<DayAssessment> {
    let zone = local_zone(
        conn,
        &AnalyticsConfig {
            time_zone: config.time_zone.clone(),
            ..Default::default()
        },
    )?;
    let (start, end) = day_bounds(conn, day, zone)?;
    let from = start - config.warm_up;
    let fleet = fleet::transformers(conn)?;
    let feeds = fleet::feeds(conn, &fleet)?;
    let stored: HashMap<Uuid, ThermalParameters> = thermal::all_parameters(conn)?
        .into_iter()
        .map(|p| (p.transformer_id, p))
        .collect();
    let mut sensors: Vec<Uuid> = feeds.values().flat_map(|f| f.sensors()).collect();
    sensors.sort_unstable();
    sensors.dedup();
    let series = fleet::series(conn, &sensors, from, end, config.step)?;
    let mut in_service: HashMap<Uuid, f64> = HashMap::new();
    for t in fleet.iter().filter(|t| t.is_operational) {
        *in_service.entry(t.substation_id).or_default() += t.capacity_mva;
    }
    let mut out = Vec::with_capacity(fleet.len());
    for t in fleet {
        let outcome = if !t.is_operational {
            Outcome::Skipped("out of service")
        } else {
            let _span = tracing::info_span!("thermal", transformer = %t.label(), %day).entered();
            let result = (|| {
                let p = ModelParameters::resolve(t.cooling_type.as_deref(), stored.get(&t.id))
                    .map_err(|source| HealthError::Thermal {
                        transformer: t.label(),
                        source,
                    })?;
                let f = &feeds[&t.id];
                let input = inputs(
                    &t,
                    f,
                    &series,
                    in_service[&t.substation_id],
                    from,
                    zone,
                    config,
                )
                .ok_or_else(|| HealthError::NoLoad {
                    transformer: t.label(),
                })?;
                let mut summary = DaySummary::default();
                run_with(&p, &input.samples, config.run, |pt| {
                    let at = instant(from, pt.minutes);
                    if at > start && at <= end {
                        summary.add(at, pt);
                    }
                })
                .map_err(|source| HealthError::Thermal {
                    transformer: t.label(),
                    source,
                })?;
                let measured = f.top_oil.is_some() || f.hot_spot.is_some();
                let load_source = f.load.as_ref().expect("inputs() had a load").source();
                conn.transaction(|c| {
                    store(
                        c,
                        &t,
                        (day, end, zone),
                        &p,
                        summary,
                        load_source,
                        input.ambient_source,
                        measured,
                        config,
                    )
                })
            })();
            match result {
                Ok(d) => Outcome::Assessed(Box::new(d)),
                Err(e) => {
                    tracing::warn!(error = %e, "transformer not assessed");
                    Outcome::Failed(e)
                }
            }
        };
        out.push(TransformerOutcome {
            transformer: t,
            outcome,
        });
    }
    Ok(DayAssessment {
        day,
        transformers: out,
    })
}

/// The life consumed at `end` (the day's end), or why it is unknown (see grid-thermal's
/// health module): from a starting condition, else from the assessed history when it began
/// in the year of manufacture; hours the data does not cover after that start count at
/// F_AA = 1.
fn life_consumed(
    conn: &mut PgConnection,
    t: &FleetTransformer,
    (day, end, zone): (NaiveDate, chrono::DateTime<Utc>, grid_timescale::LocalZone),
    summary: &DaySummary,
    p: &ModelParameters,
    config: &HealthConfig,
) -> HealthResult<(Option<f64>, Option<String>)> {
    let totals = summary.totals();
    let known = config.starting_conditions.get(&t.label());
    let (from, base) = if let Some(sc) = known {
        let base = match (sc.consumed_hours, sc.dp) {
            (Some(h), _) => h,
            (None, Some(dp)) => health::consumed_from_dp(dp, p.normal_life_hours),
            (None, None) => {
                return Ok((
                    None,
                    Some("its starting condition gives neither consumed_hours nor dp".into()),
                ));
            }
        };
        (sc.at, base)
    } else {
        let first = thermal::first_day(conn, t.id)?.unwrap_or(day).min(day);
        match t.year_manufactured {
            Some(y) if first.year() <= y => {
                (NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(first), 0.0)
            }
            _ => {
                return Ok((
                    None,
                    Some(format!(
                        "no ageing history since manufacture{} and no starting condition (thermal.starting_conditions)",
                        t.year_manufactured
                            .map(|y| format!(" ({y})"))
                            .unwrap_or_default()
                    )),
                ));
            }
        }
    };
    if from > day {
        return Ok((
            None,
            Some(format!(
                "its starting condition is dated after this day ({from})"
            )),
        ));
    }
    let (loss, covered) = thermal::ageing_sums(conn, t.id, from, day)?;
    let loss = loss + totals.loss_of_life_hours();
    let covered = covered + totals.covered_min / 60.0;
    let since = day_bounds(conn, from, zone)?.0;
    let span = ((end - since).num_seconds() as f64 / 3600.0).max(0.0);
    Ok((Some(base + loss + (span - covered).max(0.0)), None))
}

#[allow(clippy::too_many_arguments)]
fn store(
    conn: &mut PgConnection,
    t: &FleetTransformer,
    (day, end, zone): (NaiveDate, chrono::DateTime<Utc>, grid_timescale::LocalZone),
    p: &ModelParameters,
    summary: DaySummary,
    load_source: grid_model::ThermalLoadSource,
    ambient_source: grid_model::ThermalAmbientSource,
    measured: bool,
    config: &HealthConfig,
) -> HealthResult<TransformerDay> {
    let (consumed, unknown) = life_consumed(conn, t, (day, end, zone), &summary, p, config)?;
    let row = summary.row(t.id, day, p.method, load_source, ambient_source, consumed);
    let stored = thermal::upsert_day(conn, &row)?;
    let recent_from = day - chrono::Days::new(u64::from(config.recent_days.saturating_sub(1)));
    let (loss_recent, covered_recent) =
        thermal::ageing_sums(conn, t.id, recent_from, day.succ_opt().unwrap_or(day))?;
    let health = health::assess(&HealthInputs {
        life_consumed_hours: consumed,
        normal_life_hours: p.normal_life_hours,
        recent_ageing_factor: (covered_recent > 0.0).then(|| loss_recent / covered_recent),
        latest_ageing_factor: stored.equivalent_ageing_factor,
        oil_level_percentage: t.oil_level_percentage,
        top_oil_residual_mean_k: stored.top_oil_residual_mean_k,
    });
    let latest = thermal::latest_day(conn, t.id)?;
    let row_updated = latest.is_none_or(|l| l <= day);
    if row_updated && let Some(last) = summary.curve.last() {
        thermal::record_assessment(
            conn,
            t.id,
            &ThermalAssessment {
                current_load_mva: last.load_pu * t.capacity_mva,
                load_percentage: (last.load_pu * 100.0).min(200.0),
                oil_temperature_celsius: Some(last.top_oil_c),
                winding_temperature_celsius: Some(last.hot_spot_c),
                health_score: health.health_score,
                estimated_remaining_life_years: health.estimated_remaining_life_years,
                relative_risk_index: health.relative_risk_index,
                failure_probability_7days: None,
                failure_probability_30days: None,
            },
        )?;
    }
    let alerts_raised = alarms::raise(conn, t, p.method, measured, &summary.curve, &config.alarms)?;
    Ok(TransformerDay {
        thermal: stored,
        health,
        parameters: *p,
        curve: summary.curve,
        alerts_raised,
        row_updated,
        life_unknown: unknown,
    })
}
