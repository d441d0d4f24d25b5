//! What a batch's alarm events write, inside the batch's transaction: an alert per raised
//! alarm (through grid-store's lifecycle), its grade history as it escalates and
//! de-escalates, its resolution when it clears; the flood alert of an area; the points' and
//! areas' states.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Double, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use grid_alarms::{AlarmEvent, FloodEvent, FloodRule, FloodTracker, policy};
use grid_model::alarm::side;
use grid_model::{
    AlarmGrade, AlertAction, AlertDraft, AlertKind, AlertSeverity, AlertTransition, GridZone,
    NewAlert,
};
use grid_store::enums::DbAlertSeverity;
use grid_store::schema::{alarm_areas, grid_alerts};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::{AlarmError, AlarmResult};
use crate::fleet::Point;
use crate::state::{AlarmCounts, Area, State};

/// Who raises and resolves limit alarms in the alert history.
pub const ACTOR: &str = "alarm engine";

/// An area's stored flood state, or a fresh one.
pub(crate) fn load_area(
    conn: &mut PgConnection,
    zone: GridZone,
    rule: FloodRule,
) -> AlarmResult<Area> {
    let row: Option<(Value, Option<Uuid>)> = alarm_areas::table
        .find(zone.as_str())
        .select((alarm_areas::state, alarm_areas::flood_alert_id))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((state, flood_alert)) => Area {
            tracker: serde_json::from_value(state).map_err(|e| AlarmError::State {
                what: format!("area {zone}"),
                reason: e.to_string(),
            })?,
            flood_alert,
        },
        None => Area {
            tracker: FloodTracker::new(rule),
            flood_alert: None,
        },
    })
}

/// Outage spans (start, end when restored) per substation.
pub(crate) type Outages = HashMap<Uuid, Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>>;

/// The outages (start, end if restored) of the points' substations overlapping `[from, to]`.
pub(crate) fn outages(
    conn: &mut PgConnection,
    ids: &[Uuid],
    fleet: &HashMap<Uuid, Point>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> AlarmResult<Outages> {
    let mut substations: Vec<Uuid> = ids
        .iter()
        .filter_map(|id| fleet.get(id))
        .filter(|p| policy::suppressed_during_outage(p.kind))
        .map(|p| p.substation_id)
        .collect();
    substations.sort();
    substations.dedup();
    if substations.is_empty() {
        return Ok(HashMap::new());
    }
    type Span = (Option<Uuid>, DateTime<Utc>, Option<DateTime<Utc>>);
    let rows: Vec<Span> = grid_alerts::table
        .filter(grid_alerts::alert_type.eq(AlertKind::Outage.as_str()))
        .filter(grid_alerts::substation_id.eq_any(&substations))
        .filter(grid_alerts::created_at.le(to))
        .filter(
            grid_alerts::resolved_at
                .is_null()
                .or(grid_alerts::resolved_at.gt(from)),
        )
        .select((
            grid_alerts::substation_id,
            grid_alerts::created_at,
            grid_alerts::resolved_at,
        ))
        .load(conn)?;
    let mut out: HashMap<Uuid, Vec<_>> = HashMap::new();
    for (s, a, b) in rows {
        if let Some(s) = s {
            out.entry(s).or_default().push((a, b));
        }
    }
    Ok(out)
}

/// Writes what the engine's last batch derived; what it raised, cleared and regraded.
pub(crate) fn persist(conn: &mut PgConnection, e: &mut State) -> AlarmResult<AlarmCounts> {
    let mut n = AlarmCounts::default();
    // Floods begun first, so that their members (raised later) can name them.
    let mut begun: HashMap<GridZone, Vec<(DateTime<Utc>, Uuid)>> = HashMap::new();
    for (zone, f) in &e.derived.floods {
        if let FloodEvent::Began {
            at,
            first_out,
            count,
        } = f
        {
            let first = &e.fleet[&first_out.0];
            let id = raise_flood(conn, *zone, first, first_out.1, *at, *count)?;
            begun.entry(*zone).or_default().push((*at, id));
            if let Some(area) = e.areas.get_mut(zone) {
                area.flood_alert = Some(id);
            }
            n.floods += 1;
        }
    }
    let flood_of = |zone: GridZone, at: DateTime<Utc>, open: Option<Uuid>| {
        begun
            .get(&zone)
            .and_then(|v| v.iter().rev().find(|(b, _)| *b <= at).map(|(_, id)| *id))
            .or(open)
    };
    let events = std::mem::take(&mut e.derived.events);
    for (id, event, late) in &events {
        let p = &e.fleet[id];
        let Some(c) = e.cache.get_mut(id) else {
            continue;
        };
        match *event {
            AlarmEvent::Raised {
                grade,
                at,
                value,
                limit,
            } => {
                if c.stored.shelved_until.is_some_and(|u| u > at) {
                    n.shelved += 1;
                    continue;
                }
                let flood = e
                    .derived
                    .members
                    .contains(&(*id, at))
                    .then(|| flood_of(p.zone, at, e.areas.get(&p.zone).and_then(|a| a.flood_alert)))
                    .flatten();
                let alert = raise(conn, p, (grade, at, value, limit), *late, flood, false)?;
                c.stored.alert_id = Some(alert);
                n.raised += 1;
                n.late += u64::from(*late);
            }
            AlarmEvent::Escalated { to, at, value, .. } => {
                if let Some(a) = c.stored.alert_id {
                    regrade(conn, p, a, to, at, Some(value))?;
                    n.regraded += 1;
                }
            }
            AlarmEvent::DeEscalated { to, at, .. } => {
                if let Some(a) = c.stored.alert_id {
                    regrade(conn, p, a, to, at, None)?;
                    n.regraded += 1;
                }
            }
            AlarmEvent::Cleared {
                at, worst, grade, ..
            } => {
                if let Some(a) = c.stored.alert_id.take() {
                    clear(conn, p, a, grade, at, worst)?;
                    n.cleared += 1;
                }
            }
        }
    }
    let mut eventful: HashSet<Uuid> = events.iter().map(|(id, _, _)| *id).collect();
    eventful.extend(e.derived.reannounce.iter().map(|(id, _)| *id));
    for (id, at) in std::mem::take(&mut e.derived.reannounce) {
        let p = &e.fleet[&id];
        let Some(c) = e.cache.get_mut(&id) else {
            continue;
        };
        let Some(grade) = c.alarm.active() else {
            continue;
        };
        let limit = p.rule.limits.limit(grade).unwrap_or(f64::NAN);
        let flood = e
            .derived
            .members
            .contains(&(id, at))
            .then(|| flood_of(p.zone, at, e.areas.get(&p.zone).and_then(|a| a.flood_alert)))
            .flatten();
        let alert = raise(conn, p, (grade, at, f64::NAN, limit), false, flood, true)?;
        c.stored.alert_id = Some(alert);
        n.reannounced += 1;
    }
    for (zone, f) in std::mem::take(&mut e.derived.floods) {
        if let FloodEvent::Ended { at, count } = f
            && let Some(area) = e.areas.get_mut(&zone)
            && let Some(alert) = area.flood_alert.take()
        {
            end_flood(conn, alert, at, count)?;
        }
    }
    // States: every point evaluated in the batch, unless its row is quiet and it still is
    // with no event between (replaying from the stored quiet state gives the same events;
    // PointAlarm::quiet) — most points, most of the time, so most batches write few rows.
    let mut rows = Vec::new();
    for id in &e.derived.touched {
        if let Some(c) = e.cache.get(id)
            && !(c.stored_quiet && c.alarm.quiet() && !eventful.contains(id))
        {
            rows.push((*id, &c.alarm, c.stored.alert_id));
        }
    }
    crate::points::save(conn, &rows)?;
    for id in &e.derived.touched {
        if let Some(c) = e.cache.get_mut(id) {
            c.stored_quiet = c.alarm.quiet();
        }
    }
    for zone in &e.derived.areas {
        if let Some(area) = e.areas.get(zone) {
            let state = serde_json::to_value(&area.tracker).map_err(|err| AlarmError::State {
                what: format!("area {zone}"),
                reason: err.to_string(),
            })?;
            diesel::insert_into(alarm_areas::table)
                .values((
                    alarm_areas::area.eq(zone.as_str()),
                    alarm_areas::state.eq(&state),
                    alarm_areas::flood_alert_id.eq(area.flood_alert),
                ))
                .on_conflict(alarm_areas::area)
                .do_update()
                .set((
                    alarm_areas::state.eq(&state),
                    alarm_areas::flood_alert_id.eq(area.flood_alert),
                    alarm_areas::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)?;
        }
    }
    Ok(n)
}

fn grade_words(p: &Point, grade: AlarmGrade, limit: f64) -> String {
    let unit = match p.kind {
        grid_model::SensorType::Voltage => "kV",
        grid_model::SensorType::Frequency => "Hz",
        _ => "°C",
    };
    let (side, band) = match grade {
        AlarmGrade::LoLo => ("below", "emergency"),
        AlarmGrade::Lo => ("below", "normal"),
        AlarmGrade::Hi => ("above", "normal"),
        AlarmGrade::HiHi => ("above", "emergency"),
    };
    format!(
        "{} ({grade}): {side} {limit:.3} {unit}, the {band} band's limit",
        grade.as_str().to_uppercase()
    )
}

/// Raises a limit alarm's alert; returns its id.
fn raise(
    conn: &mut PgConnection,
    p: &Point,
    (grade, at, value, limit): (AlarmGrade, DateTime<Utc>, f64, f64),
    late: bool,
    flood: Option<Uuid>,
    reannounced: bool,
) -> AlarmResult<Uuid> {
    let kind = policy::alert_kind(p.kind, side(grade));
    let shown = if value.is_finite() { value } else { limit };
    let severity = policy::severity(&kind, grade, shown, p.nominal_kv, p.emergency_band());
    let title = format!("{} {kind} on {}", p.substation, p.tag);
    let mut d = AlertDraft::new(kind, severity, title);
    d.substation_id = Some(p.substation_id);
    d.sensor_id = Some(p.id);
    d.current_value = value.is_finite().then_some(value);
    d.threshold_value = limit.is_finite().then_some(limit);
    d.deviation_percentage = (value.is_finite() && limit.is_finite() && limit != 0.0)
        .then(|| (value - limit) / limit.abs() * 100.0);
    d.raised_at = at;
    d.raised_by = Some(ACTOR.into());
    d.description = Some(grade_words(p, grade, limit));
    d.metadata = json!({
        "alarm": {
            "grade": grade,
            "grades": [{"grade": grade, "at": at}],
            "late": late,
            "announced": !late,
            "reannounced_after_shelving": reannounced,
            "flood_alert_id": flood,
        }
    });
    let new = NewAlert::new(d).map_err(grid_store::StoreError::from)?;
    Ok(grid_store::alerts::raise(conn, &new)?.id)
}

/// Moves a raised alarm's alert to `to`: its severity, grade and history of grades.
fn regrade(
    conn: &mut PgConnection,
    p: &Point,
    alert: Uuid,
    to: AlarmGrade,
    at: DateTime<Utc>,
    value: Option<f64>,
) -> AlarmResult<()> {
    let kind = policy::alert_kind(p.kind, side(to));
    let limit = p.rule.limits.limit(to).unwrap_or(f64::NAN);
    let severity = policy::severity(
        &kind,
        to,
        value.unwrap_or(limit),
        p.nominal_kv,
        p.emergency_band(),
    );
    diesel::sql_query(
        "UPDATE grid_alerts
            SET severity = $2,
                current_value = COALESCE($3, current_value),
                metadata = jsonb_set(jsonb_set(metadata, '{alarm,grade}', to_jsonb($4::text)),
                                     '{alarm,grades}',
                                     COALESCE(metadata #> '{alarm,grades}', '[]'::jsonb)
                                       || jsonb_build_array(jsonb_build_object('grade', $4::text, 'at', $5)))
          WHERE id = $1",
    )
    .bind::<SqlUuid, _>(alert)
    .bind::<grid_store::schema::sql_types::AlertSeverity, _>(DbAlertSeverity::from(severity))
    .bind::<Nullable<Double>, _>(value)
    .bind::<Text, _>(to.as_str())
    .bind::<Timestamptz, _>(at)
    .execute(conn)?;
    Ok(())
}

/// Resolves a cleared alarm's alert, unless an operator resolved it first.
fn clear(
    conn: &mut PgConnection,
    p: &Point,
    alert: Uuid,
    grade: AlarmGrade,
    at: DateTime<Utc>,
    worst: f64,
) -> AlarmResult<()> {
    let a = grid_store::alerts::get(conn, alert)?;
    if !a.status.is_active() {
        return Ok(());
    }
    let unit = if p.kind == grid_model::SensorType::Voltage {
        " kV"
    } else {
        ""
    };
    let notes = format!(
        "back inside the limit by the deadband for the off-delay (from {}); worst {worst:.3}{unit}",
        grade.as_str().to_uppercase()
    );
    let step = AlertTransition::now(AlertAction::Resolve { notes: Some(notes) }, ACTOR)
        .at(at.max(a.created_at));
    grid_store::alerts::transition(conn, alert, &step)?;
    Ok(())
}

/// One alert for an area's flood, on the first-out's substation (so its zone sees it).
fn raise_flood(
    conn: &mut PgConnection,
    zone: GridZone,
    first: &Point,
    first_at: DateTime<Utc>,
    at: DateTime<Utc>,
    count: usize,
) -> AlarmResult<Uuid> {
    let mut d = AlertDraft::new(
        AlertKind::AlarmFlood,
        AlertSeverity::Critical,
        format!("Alarm flood in {zone}: {count} alarms within 10 minutes"),
    );
    d.substation_id = Some(first.substation_id);
    d.raised_at = at;
    d.raised_by = Some(ACTOR.into());
    d.description = Some(format!(
        "first-out: {} at {} (EEMUA 191: more than 10 alarms in 10 minutes)",
        first.tag,
        first_at.to_rfc3339()
    ));
    d.metadata = json!({"flood": {"area": zone, "count": count, "first_out": first.tag, "first_out_at": first_at}});
    let new = NewAlert::new(d).map_err(grid_store::StoreError::from)?;
    Ok(grid_store::alerts::raise(conn, &new)?.id)
}

/// Resolves an area's flood alert with its final count.
fn end_flood(
    conn: &mut PgConnection,
    alert: Uuid,
    at: DateTime<Utc>,
    count: usize,
) -> AlarmResult<()> {
    diesel::update(grid_alerts::table.find(alert))
        .set(
            grid_alerts::metadata.eq(diesel::dsl::sql::<Jsonb>(
                "jsonb_set(metadata, '{flood,count}', ",
            )
            .bind::<Jsonb, _>(json!(count))
            .sql(")")),
        )
        .execute(conn)?;
    let a = grid_store::alerts::get(conn, alert)?;
    if a.status.is_active() {
        let step = AlertTransition::now(
            AlertAction::Resolve {
                notes: Some(format!(
                    "flood over: {count} alarms; fewer than 5 in the last 10 minutes"
                )),
            },
            ACTOR,
        )
        .at(at.max(a.created_at));
        grid_store::alerts::transition(conn, alert, &step)?;
    }
    Ok(())
}
