//! Thermal alarms: the hot-spot or the top oil above the limit of the configured loading
//! category, through grid-alarms' limit alarm (continuous on-delay, off-delay, deadband),
//! one alert per condition, resolved when it clears. A recomputed day finds what it raised before
//! ([`grid_store::alerts::find_raised`]) instead of raising it again.

use diesel::PgConnection;
use grid_alarms::{AlarmEvent, AlarmRule, GradedLimits, PointAlarm};
use grid_model::{
    AlertAction, AlertDraft, AlertKind, AlertSeverity, AlertStatus, AlertTransition, NewAlert,
    ThermalMethod,
};
use grid_store::alerts;
use grid_thermal::LoadingLimit;
use grid_thermal::limits::{LimitSource, LoadingCategory, exceeded_hot_spot, loading_limit};

use crate::config::ThermalAlarmConfig;
use crate::error::HealthResult;
use crate::fleet::FleetTransformer;
use crate::summary::CurvePoint;

/// Who raises and resolves thermal alarms.
pub const ACTOR: &str = "thermal-model";

/// The limit table of a method's standard.
pub fn source_of(method: ThermalMethod) -> LimitSource {
    match method {
        ThermalMethod::IeeeC5791 => LimitSource::IeeeC5791Table7,
        ThermalMethod::Iec600767 => LimitSource::Iec600767Table3,
    }
}

/// How severe a hot-spot at `value` is: beyond the table's long-time emergency limit
/// critical, beyond its short-time emergency limit an emergency, else a warning.
fn severity(source: LimitSource, value: f64) -> AlertSeverity {
    match exceeded_hot_spot(source, value).map(|l| l.category) {
        Some(LoadingCategory::ShortTimeEmergency) => AlertSeverity::Emergency,
        Some(LoadingCategory::LongTimeEmergency) => AlertSeverity::Critical,
        _ => AlertSeverity::Warning,
    }
}

/// A temperature that alarms: its alert kind, its limit, how to read it off a point, its name.
struct Quantity {
    kind: AlertKind,
    max: Option<f64>,
    value_of: fn(&CurvePoint) -> f64,
    what: &'static str,
}

/// Runs the rule over the day's curve and raises and resolves the alerts; returns how many
/// were raised (not counting those found raised by an earlier run).
pub fn raise(
    conn: &mut PgConnection,
    t: &FleetTransformer,
    method: ThermalMethod,
    measured: bool,
    curve: &[CurvePoint],
    config: &ThermalAlarmConfig,
) -> HealthResult<usize> {
    let source = source_of(method);
    let Some(limit) = loading_limit(source, config.category) else {
        return Ok(0);
    };
    let mut raised = 0;
    let quantities = [
        Quantity {
            kind: AlertKind::HotSpotOverLimit,
            max: Some(limit.hot_spot_c),
            value_of: |p| p.hot_spot_c,
            what: "hot-spot",
        },
        Quantity {
            kind: AlertKind::TopOilOverLimit,
            max: limit.top_oil_c,
            value_of: |p| p.top_oil_c,
            what: "top oil",
        },
    ];
    for Quantity {
        kind,
        max,
        value_of,
        what,
    } in quantities
    {
        let Some(max) = max else { continue };
        let mut detector = PointAlarm::new(AlarmRule {
            limits: GradedLimits {
                hi: Some(max),
                ..Default::default()
            },
            deadband: config.deadband_k,
            on_delay: config.on_delay,
            off_delay: config.off_delay,
        });
        let mut open = None;
        for p in curve {
            for event in detector.observe(p.at, value_of(p)) {
                match event {
                    AlarmEvent::Raised {
                        at,
                        value,
                        limit: threshold,
                        ..
                    } => {
                        let title = format!("{} {what} above {threshold:.0} °C", t.label());
                        let found = alerts::find_raised(conn, &kind, t.substation_id, &title, at)?;
                        let alert = match found {
                            Some(a) => a,
                            None => {
                                raised += 1;
                                let sev = if kind == AlertKind::HotSpotOverLimit {
                                    severity(source, value)
                                } else {
                                    AlertSeverity::Warning
                                };
                                alerts::raise(
                                    conn,
                                    &draft(
                                        t, &kind, sev, &title, &limit, method, measured, at, value,
                                        threshold,
                                    )?,
                                )?
                            }
                        };
                        open = Some(alert);
                    }
                    AlarmEvent::Cleared { at, worst, .. } => {
                        if let Some(a) = open.take().filter(|a| {
                            matches!(
                                a.status,
                                AlertStatus::Open
                                    | AlertStatus::Acknowledged
                                    | AlertStatus::InProgress
                            )
                        }) {
                            let notes = format!(
                                "back under the limit by the {:.0} K deadband; worst {worst:.1} °C",
                                config.deadband_k
                            );
                            let step = AlertTransition::now(
                                AlertAction::Resolve { notes: Some(notes) },
                                ACTOR,
                            )
                            .at(at);
                            alerts::transition(conn, a.id, &step)?;
                        }
                    }
                    // A single limit: nothing to escalate to.
                    AlarmEvent::Escalated { .. } | AlarmEvent::DeEscalated { .. } => {}
                }
            }
        }
    }
    Ok(raised)
}

#[allow(clippy::too_many_arguments)]
fn draft(
    t: &FleetTransformer,
    kind: &AlertKind,
    severity: AlertSeverity,
    title: &str,
    limit: &LoadingLimit,
    method: ThermalMethod,
    measured: bool,
    at: chrono::DateTime<chrono::Utc>,
    value: f64,
    threshold: f64,
) -> HealthResult<NewAlert> {
    let mut d = AlertDraft::new(kind.clone(), severity, title);
    d.substation_id = Some(t.substation_id);
    d.current_value = Some(value);
    d.threshold_value = Some(threshold);
    d.deviation_percentage = Some((value - threshold) / threshold * 100.0);
    d.raised_at = at;
    d.raised_by = Some(ACTOR.into());
    d.description = Some(format!(
        "limit: {limit}; temperature {} ({method} model)",
        if measured {
            "measured where a sensor gave one, else computed"
        } else {
            "computed"
        }
    ));
    Ok(NewAlert::new(d).map_err(grid_store::StoreError::from)?)
}
