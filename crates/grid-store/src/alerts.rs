//! Alerts, their atomic lifecycle transitions and their append-only history.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grid_model::{
    Alert, AlertChange, AlertHistoryEntry, AlertKind, AlertStatus, AlertTransition, GridZone,
    NewAlert, TransitionError,
};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::{DbAlertSeverity, DbAlertStatus, DbGridZone};
use crate::error::{StoreError, StoreResult};
use crate::schema::{alert_transitions, grid_alerts};
use crate::store::repository;

const ENTITY: &str = "alert";

/// A stored alert row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = grid_alerts, check_for_backend(diesel::pg::Pg))]
#[allow(missing_docs)]
pub struct AlertRow {
    pub id: Uuid,
    pub substation_id: Option<Uuid>,
    pub sensor_id: Option<Uuid>,
    pub alert_type: String,
    pub severity: DbAlertSeverity,
    pub title: String,
    pub description: Option<String>,
    pub status: DbAlertStatus,
    pub current_value: Option<f64>,
    pub threshold_value: Option<f64>,
    pub deviation_percentage: Option<f64>,
    pub assigned_to: Option<String>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub resolution_notes: Option<String>,
    pub affected_customers: i32,
    pub estimated_revenue_loss: Option<f64>,
    pub sms_sent: bool,
    pub email_sent: bool,
    pub webhook_sent: bool,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<AlertRow> for Alert {
    fn from(r: AlertRow) -> Self {
        Alert {
            id: r.id,
            substation_id: r.substation_id,
            sensor_id: r.sensor_id,
            alert_type: r.alert_type.into(),
            severity: r.severity.into(),
            title: r.title,
            description: r.description,
            status: r.status.into(),
            current_value: r.current_value,
            threshold_value: r.threshold_value,
            deviation_percentage: r.deviation_percentage,
            assigned_to: r.assigned_to,
            assigned_at: r.assigned_at,
            acknowledged_at: r.acknowledged_at,
            acknowledged_by: r.acknowledged_by,
            resolved_at: r.resolved_at,
            resolved_by: r.resolved_by,
            resolution_notes: r.resolution_notes,
            affected_customers: r.affected_customers,
            estimated_revenue_loss: r.estimated_revenue_loss,
            sms_sent: r.sms_sent,
            email_sent: r.email_sent,
            webhook_sent: r.webhook_sent,
            metadata: r.metadata,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// An insertable alert row (unchecked; see [`crate::substations::NewSubstationRow`]).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = grid_alerts)]
#[allow(missing_docs)]
pub struct NewAlertRow {
    pub substation_id: Option<Uuid>,
    pub sensor_id: Option<Uuid>,
    pub alert_type: String,
    pub severity: DbAlertSeverity,
    pub title: String,
    pub description: Option<String>,
    pub current_value: Option<f64>,
    pub threshold_value: Option<f64>,
    pub deviation_percentage: Option<f64>,
    pub affected_customers: i32,
    pub estimated_revenue_loss: Option<f64>,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
}

impl From<&NewAlert> for NewAlertRow {
    fn from(a: &NewAlert) -> Self {
        NewAlertRow {
            substation_id: a.substation_id,
            sensor_id: a.sensor_id,
            alert_type: a.alert_type.as_str().to_owned(),
            severity: a.severity.into(),
            title: a.title.clone(),
            description: a.description.clone(),
            current_value: a.current_value,
            threshold_value: a.threshold_value,
            deviation_percentage: a.deviation_percentage,
            affected_customers: a.affected_customers,
            estimated_revenue_loss: a.estimated_revenue_loss,
            metadata: a.metadata.clone(),
            created_at: a.raised_at,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = alert_transitions, check_for_backend(diesel::pg::Pg))]
struct TransitionRow {
    id: i64,
    alert_id: Uuid,
    from_status: Option<DbAlertStatus>,
    to_status: DbAlertStatus,
    actor: Option<String>,
    occurred_at: DateTime<Utc>,
    note: Option<String>,
    recorded_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = alert_transitions)]
struct NewTransitionRow<'a> {
    alert_id: Uuid,
    from_status: Option<DbAlertStatus>,
    to_status: DbAlertStatus,
    actor: Option<&'a str>,
    occurred_at: DateTime<Utc>,
    note: Option<&'a str>,
}

impl From<TransitionRow> for AlertHistoryEntry {
    fn from(r: TransitionRow) -> Self {
        AlertHistoryEntry {
            id: r.id,
            alert_id: r.alert_id,
            from_status: r.from_status.map(Into::into),
            to_status: r.to_status.into(),
            actor: r.actor,
            occurred_at: r.occurred_at,
            note: r.note,
            recorded_at: r.recorded_at,
        }
    }
}

/// Raises an alert (status open, `created_at` = the draft's `raised_at`) and records its
/// creation in the history, atomically.
pub fn raise(conn: &mut PgConnection, alert: &NewAlert) -> StoreResult<Alert> {
    insert_row(conn, &NewAlertRow::from(alert), alert.raised_by.as_deref())
}

/// Inserts a row as given (the database's constraints are the only check) with its
/// creation in the history.
pub fn insert_row(
    conn: &mut PgConnection,
    row: &NewAlertRow,
    raised_by: Option<&str>,
) -> StoreResult<Alert> {
    conn.transaction(|c| {
        let alert: AlertRow = diesel::insert_into(grid_alerts::table)
            .values(row)
            .returning(AlertRow::as_returning())
            .get_result(c)?;
        diesel::insert_into(alert_transitions::table)
            .values(NewTransitionRow {
                alert_id: alert.id,
                from_status: None,
                to_status: DbAlertStatus::Open,
                actor: raised_by,
                occurred_at: alert.created_at,
                note: None,
            })
            .execute(c)?;
        Ok(alert.into())
    })
}

/// The alert with this id.
pub fn get(conn: &mut PgConnection, id: Uuid) -> StoreResult<Alert> {
    grid_alerts::table
        .find(id)
        .select(AlertRow::as_select())
        .first(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, id))
}

/// What one lifecycle step writes: the new status and the fields the step sets (a field
/// left `None` is not touched; `resolution_notes` is set, to NULL too, when resolving).
#[derive(AsChangeset)]
#[diesel(table_name = grid_alerts)]
struct TransitionChangeset<'a> {
    status: DbAlertStatus,
    acknowledged_by: Option<&'a str>,
    acknowledged_at: Option<DateTime<Utc>>,
    assigned_to: Option<&'a str>,
    assigned_at: Option<DateTime<Utc>>,
    resolved_by: Option<&'a str>,
    resolved_at: Option<DateTime<Utc>>,
    resolution_notes: Option<Option<&'a str>>,
}

impl<'a> TransitionChangeset<'a> {
    fn of(change: &'a AlertChange) -> Self {
        let ack = change.acknowledged.as_ref();
        let work = change.assigned.as_ref();
        let res = change.resolved.as_ref();
        TransitionChangeset {
            status: change.to.into(),
            acknowledged_by: ack.map(|(by, _)| by.as_str()),
            acknowledged_at: ack.map(|(_, at)| *at),
            assigned_to: work.map(|(to, _)| to.as_str()),
            assigned_at: work.map(|(_, at)| *at),
            resolved_by: res.map(|(by, _, _)| by.as_str()),
            resolved_at: res.map(|(_, at, _)| *at),
            resolution_notes: res.map(|(_, _, notes)| notes.as_deref()),
        }
    }
}

/// Applies one lifecycle step atomically: the alert's row is locked, the step checked
/// against the lifecycle, appended to the history and then applied, all in one
/// transaction. The history row comes first because the database refuses a status change
/// by any role but the owner without its step recorded in the same transaction (migration
/// `append_only_evidence`). When another operator's change came first — the alert is
/// already in the requested state — the answer is [`StoreError::Conflict`]; a step the
/// lifecycle forbids is [`StoreError::Transition`].
pub fn transition(conn: &mut PgConnection, id: Uuid, step: &AlertTransition) -> StoreResult<Alert> {
    conn.transaction(|c| {
        // Locked: a concurrent step waits here and then plans from this one's result.
        let current: Alert = grid_alerts::table
            .find(id)
            .select(AlertRow::as_select())
            .for_update()
            .first(c)
            .optional()?
            .map(Into::into)
            .ok_or_else(|| StoreError::not_found(ENTITY, id))?;
        let change = match current.plan(step) {
            Ok(change) => change,
            Err(TransitionError::NotAllowed { from, to }) if from == to => {
                return Err(conflict_already(&current));
            }
            Err(e) => return Err(e.into()),
        };
        diesel::insert_into(alert_transitions::table)
            .values(NewTransitionRow {
                alert_id: id,
                from_status: Some(change.from.into()),
                to_status: change.to.into(),
                actor: Some(step.actor.trim()),
                occurred_at: step.at,
                note: step.note.as_deref().or(match &step.action {
                    grid_model::AlertAction::Resolve { notes } => notes.as_deref(),
                    _ => None,
                }),
            })
            .execute(c)?;
        let target = grid_alerts::table
            .find(id)
            .filter(grid_alerts::status.eq(DbAlertStatus::from(change.from)));
        let updated = diesel::update(target)
            .set(TransitionChangeset::of(&change))
            .returning(AlertRow::as_returning())
            .get_result(c)
            .optional()?;
        let Some(updated) = updated else {
            // Cannot happen under the lock; kept as the last word if it ever does.
            let now = get(c, id)?;
            return Err(conflict_changed(&now, change.from));
        };
        Ok(updated.into())
    })
}

fn conflict_already(current: &Alert) -> StoreError {
    let by = match current.status {
        AlertStatus::Acknowledged => current.acknowledged_by.as_deref(),
        AlertStatus::InProgress => current.assigned_to.as_deref(),
        AlertStatus::Resolved => current.resolved_by.as_deref(),
        _ => None,
    };
    StoreError::Conflict {
        entity: ENTITY,
        reason: format!(
            "alert {} is already {}{}",
            current.id,
            current.status,
            by.map(|b| format!(" (by {b})")).unwrap_or_default()
        ),
    }
}

fn conflict_changed(now: &Alert, expected: AlertStatus) -> StoreError {
    StoreError::Conflict {
        entity: ENTITY,
        reason: format!(
            "alert {} changed concurrently: expected {expected}, now {}",
            now.id, now.status
        ),
    }
}

/// The zones of what an alert names (its substation's, its sensor's substation's): an alert
/// is a zone's when all of them are that zone's (grid-access's row policy says the same).
/// Empty for a grid-wide alert; [`StoreError::NotFound`] when there is no such alert.
pub fn zones_of(conn: &mut PgConnection, id: Uuid) -> StoreResult<Vec<GridZone>> {
    #[derive(QueryableByName)]
    struct Z {
        #[diesel(sql_type = diesel::sql_types::Nullable<crate::schema::sql_types::GridZone>)]
        zone: Option<DbGridZone>,
    }
    let rows: Vec<Z> = diesel::sql_query(
        "SELECT ss.zone FROM grid_alerts a
           LEFT JOIN grid_sensors s ON s.id = a.sensor_id
           LEFT JOIN grid_substations ss ON ss.id IN (a.substation_id, s.substation_id)
          WHERE a.id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .load(conn)?;
    if rows.is_empty() {
        return Err(StoreError::not_found(ENTITY, id));
    }
    let mut zones: Vec<GridZone> = rows
        .into_iter()
        .filter_map(|r| r.zone)
        .map(Into::into)
        .collect();
    zones.sort_by_key(|z| z.as_str());
    zones.dedup();
    Ok(zones)
}

/// Open, acknowledged and in-progress alerts of a substation: most severe first, then oldest.
pub fn open_by_substation(conn: &mut PgConnection, substation_id: Uuid) -> StoreResult<Vec<Alert>> {
    load_open(conn, Some(substation_id))
}

/// Every open, acknowledged or in-progress alert: most severe first, then oldest.
pub fn open(conn: &mut PgConnection) -> StoreResult<Vec<Alert>> {
    load_open(conn, None)
}

/// One page of the active alerts in [`open`]'s order (worst first, then oldest, then by
/// id so pages never overlap): at most `limit` after skipping `offset`.
pub fn open_page(conn: &mut PgConnection, offset: i64, limit: i64) -> StoreResult<Vec<Alert>> {
    Ok(grid_alerts::table
        .filter(grid_alerts::status.eq_any(ACTIVE))
        .order((
            grid_alerts::severity.desc(),
            grid_alerts::created_at.asc(),
            grid_alerts::id.asc(),
        ))
        .offset(offset.max(0))
        .limit(limit.max(0))
        .select(AlertRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

fn load_open(conn: &mut PgConnection, substation_id: Option<Uuid>) -> StoreResult<Vec<Alert>> {
    let mut q = grid_alerts::table
        .filter(grid_alerts::status.eq_any(ACTIVE))
        .into_boxed();
    if let Some(id) = substation_id {
        q = q.filter(grid_alerts::substation_id.eq(id));
    }
    Ok(
        q.order((grid_alerts::severity.desc(), grid_alerts::created_at.asc()))
            .select(AlertRow::as_select())
            .load(conn)?
            .into_iter()
            .map(Into::into)
            .collect(),
    )
}

const ACTIVE: [DbAlertStatus; 3] = [
    DbAlertStatus::Open,
    DbAlertStatus::Acknowledged,
    DbAlertStatus::InProgress,
];

/// The alert of `kind` at `substation_id` titled `title` raised at `raised_at`, if any: how a
/// producer that re-runs over the same data (a recomputed day) finds what it raised before
/// instead of raising it twice.
pub fn find_raised(
    conn: &mut PgConnection,
    kind: &AlertKind,
    substation_id: Uuid,
    title: &str,
    raised_at: DateTime<Utc>,
) -> StoreResult<Option<Alert>> {
    Ok(grid_alerts::table
        .filter(grid_alerts::alert_type.eq(kind.as_str()))
        .filter(grid_alerts::substation_id.eq(substation_id))
        .filter(grid_alerts::title.eq(title))
        .filter(grid_alerts::created_at.eq(raised_at))
        .select(AlertRow::as_select())
        .first(conn)
        .optional()?
        .map(Into::into))
}

/// Alerts whose condition began in `[from, to)`, oldest first.
pub fn raised_between(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<Alert>> {
    Ok(grid_alerts::table
        .filter(grid_alerts::created_at.ge(from))
        .filter(grid_alerts::created_at.lt(to))
        .order((grid_alerts::created_at.asc(), grid_alerts::id.asc()))
        .select(AlertRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The history of an alert, in order.
pub fn history(conn: &mut PgConnection, alert_id: Uuid) -> StoreResult<Vec<AlertHistoryEntry>> {
    Ok(alert_transitions::table
        .filter(alert_transitions::alert_id.eq(alert_id))
        .order(alert_transitions::id.asc())
        .select(TransitionRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

repository! {
    /// Alerts, on a pool or a caller's connection.
    ///
    /// ```no_run
    /// # fn demo(store: &mut grid_store::PgStore, substation: uuid::Uuid) -> Result<(), Box<dyn std::error::Error>> {
    /// use grid_model::{AlertAction, AlertDraft, AlertKind, AlertSeverity, AlertTransition, NewAlert};
    /// use grid_store::AlertRepository;
    ///
    /// let mut draft = AlertDraft::new(AlertKind::VoltageLow, AlertSeverity::Critical, "NRB-EMB bus low");
    /// draft.substation_id = Some(substation);
    /// let alert = store.raise_alert(&NewAlert::new(draft)?)?;
    /// // An operator takes it; a step the lifecycle does not allow is a typed error.
    /// let step = AlertTransition::now(AlertAction::Acknowledge, "operator-1").with_note("crew sent");
    /// let acknowledged = store.transition_alert(alert.id, &step)?;
    /// println!("{:?}: {} steps", acknowledged.status, store.alert_history(alert.id)?.len());
    /// # Ok(()) }
    /// ```
    pub trait AlertRepository {
        /// See [`raise`].
        fn raise_alert(&mut self, alert: &NewAlert) -> StoreResult<Alert> => raise;
        /// See [`get`].
        fn alert(&mut self, id: Uuid) -> StoreResult<Alert> => get;
        /// See [`transition`].
        fn transition_alert(&mut self, id: Uuid, step: &AlertTransition) -> StoreResult<Alert> => transition;
        /// See [`open_by_substation`].
        fn open_alerts_of_substation(&mut self, substation_id: Uuid) -> StoreResult<Vec<Alert>> => open_by_substation;
        /// See [`open`].
        fn open_alerts(&mut self) -> StoreResult<Vec<Alert>> => open;
        /// See [`raised_between`].
        fn alerts_raised_between(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<Alert>> => raised_between;
        /// See [`history`].
        fn alert_history(&mut self, alert_id: Uuid) -> StoreResult<Vec<AlertHistoryEntry>> => history;
    }
}
