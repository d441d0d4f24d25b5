//! The stored side of each point: its alarm's state, the alert of its raised alarm, its
//! shelving and out-of-service marks (`alarm_points`), and the operators' actions on it,
//! append-only (`alarm_actions`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grid_alarms::PointAlarm;
use grid_store::schema::{alarm_actions, alarm_points};
use serde_json::Value;
use uuid::Uuid;

use crate::error::{AlarmError, AlarmResult};

/// A point as stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stored {
    /// Its alarm's state (`None`: never evaluated).
    pub alarm: Option<PointAlarm>,
    /// The alert of its raised alarm, while one is raised and announced.
    pub alert_id: Option<Uuid>,
    /// Shelved until then (silent; re-announced after, if still raised).
    pub shelved_until: Option<DateTime<Utc>>,
    /// Taken out of service (not evaluated) since then.
    pub out_of_service_since: Option<DateTime<Utc>>,
}

type Row = (
    Uuid,
    Value,
    Option<Uuid>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// The stored points of `ids` (those with a row).
pub fn load(conn: &mut PgConnection, ids: &[Uuid]) -> AlarmResult<HashMap<Uuid, Stored>> {
    let rows: Vec<Row> = alarm_points::table
        .filter(alarm_points::sensor_id.eq_any(ids))
        .select((
            alarm_points::sensor_id,
            alarm_points::state,
            alarm_points::alert_id,
            alarm_points::shelved_until,
            alarm_points::out_of_service_since,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(id, state, alert_id, shelved_until, out_of_service_since)| {
                let alarm = match state {
                    Value::Null => None,
                    v => Some(serde_json::from_value(v).map_err(|e| AlarmError::State {
                        what: format!("sensor {id}"),
                        reason: e.to_string(),
                    })?),
                };
                Ok((
                    id,
                    Stored {
                        alarm,
                        alert_id,
                        shelved_until,
                        out_of_service_since,
                    },
                ))
            },
        )
        .collect()
}

/// Stores points' alarm states and alerts (never their shelving or out-of-service marks,
/// which are the operators'), a statement per [`SAVE_CHUNK`] points.
pub fn save(
    conn: &mut PgConnection,
    points: &[(Uuid, &PointAlarm, Option<Uuid>)],
) -> AlarmResult<()> {
    use diesel::upsert::excluded;
    for chunk in points.chunks(SAVE_CHUNK) {
        let rows = chunk
            .iter()
            .map(|(id, alarm, alert_id)| {
                let state = serde_json::to_value(alarm).map_err(|e| AlarmError::State {
                    what: format!("sensor {id}"),
                    reason: e.to_string(),
                })?;
                Ok((
                    alarm_points::sensor_id.eq(*id),
                    alarm_points::state.eq(state),
                    alarm_points::last_reading_at.eq(alarm.last_at()),
                    alarm_points::alert_id.eq(*alert_id),
                ))
            })
            .collect::<AlarmResult<Vec<_>>>()?;
        diesel::insert_into(alarm_points::table)
            .values(&rows)
            .on_conflict(alarm_points::sensor_id)
            .do_update()
            .set((
                alarm_points::state.eq(excluded(alarm_points::state)),
                alarm_points::last_reading_at.eq(excluded(alarm_points::last_reading_at)),
                alarm_points::alert_id.eq(excluded(alarm_points::alert_id)),
                alarm_points::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Points per statement in [`save`]: 4 parameters each, far below PostgreSQL's 65,535.
pub const SAVE_CHUNK: usize = 1_000;

/// The last operator action's id (0 when there is none; identities start at 1).
pub fn last_action(conn: &mut PgConnection) -> AlarmResult<i64> {
    let last: Option<i64> = alarm_actions::table
        .select(diesel::dsl::max(alarm_actions::id))
        .first(conn)?;
    Ok(last.unwrap_or(0))
}

/// The sensors acted on after action `after`, and the last action's id: a running engine
/// reloads those points' shelving and out-of-service marks.
pub fn acted_since(conn: &mut PgConnection, after: i64) -> AlarmResult<(Vec<Uuid>, i64)> {
    let rows: Vec<(i64, Uuid)> = alarm_actions::table
        .filter(alarm_actions::id.gt(after))
        .order(alarm_actions::id)
        .select((alarm_actions::id, alarm_actions::sensor_id))
        .load(conn)?;
    let last = rows.last().map_or(after, |r| r.0);
    Ok((rows.into_iter().map(|r| r.1).collect(), last))
}

/// What an operator does to a point.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Silences its alarm until then (ISA-18.2 shelving: temporary, with a reason).
    Shelve {
        /// Until when.
        until: DateTime<Utc>,
        /// Why.
        reason: String,
    },
    /// Ends a shelving now.
    Unshelve,
    /// Stops evaluating it (maintenance, a known-bad instrument).
    OutOfService {
        /// Why.
        reason: String,
    },
    /// Evaluates it again.
    InService,
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Shelve { .. } => "shelve",
            Action::Unshelve => "unshelve",
            Action::OutOfService { .. } => "out_of_service",
            Action::InService => "in_service",
        }
    }
}

/// Records `action` on the point of `sensor_id` by `actor`, taking effect at `at` (out of
/// service since then; a shelving must end after it): the mark on the point and the action
/// in the append-only log, in one transaction. The log's time is the database's (an
/// operator's role may not write it: a record of evidence is not backdated).
pub fn act(
    conn: &mut PgConnection,
    sensor_id: Uuid,
    actor: &str,
    action: &Action,
    at: DateTime<Utc>,
) -> AlarmResult<()> {
    let reason = match action {
        Action::Shelve { reason, .. } | Action::OutOfService { reason } => {
            let r = reason.trim();
            if r.is_empty() || r.chars().count() > 500 || r.contains('\0') {
                return Err(AlarmError::Invalid(
                    "a reason of 1 to 500 characters (without NUL) is needed".into(),
                ));
            }
            Some(r.to_owned())
        }
        _ => None,
    };
    if let Action::Shelve { until, .. } = action
        && *until <= at
    {
        return Err(AlarmError::Invalid(
            "a shelving must end after it begins".into(),
        ));
    }
    conn.transaction(|c| {
        let target = alarm_points::table.find(sensor_id);
        let updated = match action {
            Action::Shelve { until, .. } => diesel::update(target)
                .set((
                    alarm_points::shelved_until.eq(until),
                    alarm_points::shelved_by.eq(actor),
                    alarm_points::shelve_reason.eq(&reason),
                ))
                .execute(c)?,
            Action::Unshelve => diesel::update(target)
                .set((
                    alarm_points::shelved_until.eq(None::<DateTime<Utc>>),
                    alarm_points::shelved_by.eq(None::<String>),
                    alarm_points::shelve_reason.eq(None::<String>),
                ))
                .execute(c)?,
            Action::OutOfService { .. } => diesel::update(target)
                .set((
                    alarm_points::out_of_service_since.eq(at),
                    alarm_points::out_of_service_by.eq(actor),
                    alarm_points::out_of_service_reason.eq(&reason),
                ))
                .execute(c)?,
            Action::InService => diesel::update(target)
                .set((
                    alarm_points::out_of_service_since.eq(None::<DateTime<Utc>>),
                    alarm_points::out_of_service_by.eq(None::<String>),
                    alarm_points::out_of_service_reason.eq(None::<String>),
                ))
                .execute(c)?,
        };
        if updated == 0 {
            // A point's row is made by the engine the first time it evaluates one of its
            // readings (or the row is outside the caller's zones).
            return Err(AlarmError::Store(grid_store::StoreError::NotFound {
                entity: "alarm point (no reading of the sensor evaluated yet)",
                key: sensor_id.to_string(),
            }));
        }
        diesel::insert_into(alarm_actions::table)
            .values((
                alarm_actions::sensor_id.eq(sensor_id),
                alarm_actions::action.eq(action.name()),
                alarm_actions::actor.eq(actor),
                alarm_actions::reason.eq(&reason),
                alarm_actions::until.eq(match action {
                    Action::Shelve { until, .. } => Some(*until),
                    _ => None,
                }),
            ))
            .execute(c)?;
        Ok(())
    })
}
