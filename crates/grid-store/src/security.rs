//! SCADA cyber-security events.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grid_model::{NewSecurityEvent, SecurityEvent};
use ipnetwork::IpNetwork;
use serde_json::Value;
use uuid::Uuid;

use crate::enums::DbAlertSeverity;
use crate::error::{StoreError, StoreResult};
use crate::schema::cyber_security_events;
use crate::store::repository;

const ENTITY: &str = "security event";

/// A stored security-event row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = cyber_security_events, check_for_backend(diesel::pg::Pg))]
#[allow(missing_docs)]
pub struct SecurityEventRow {
    pub id: Uuid,
    pub event_type: String,
    pub severity: DbAlertSeverity,
    pub source_ip: Option<IpNetwork>,
    pub source_user: Option<String>,
    pub target_system: Option<String>,
    pub description: Option<String>,
    pub command_attempted: Option<String>,
    pub access_level_required: Option<String>,
    pub detected_by: Option<String>,
    pub detection_method: Option<String>,
    pub is_blocked: bool,
    pub response_action: Option<String>,
    pub investigated: bool,
    pub is_threat: Option<bool>,
    pub metadata: Value,
    pub occurred_at: DateTime<Utc>,
    pub detected_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub occurrences: i32,
    pub last_seen_at: DateTime<Utc>,
    pub fold_key: Option<String>,
    pub recorded_by: String,
}

impl From<SecurityEventRow> for SecurityEvent {
    fn from(r: SecurityEventRow) -> Self {
        SecurityEvent {
            id: r.id,
            event_type: r.event_type,
            severity: r.severity.into(),
            source_ip: r.source_ip.map(|n| n.ip()),
            source_user: r.source_user,
            target_system: r.target_system,
            description: r.description,
            command_attempted: r.command_attempted,
            access_level_required: r.access_level_required,
            detected_by: r.detected_by,
            detection_method: r.detection_method,
            is_blocked: r.is_blocked,
            response_action: r.response_action,
            investigated: r.investigated,
            is_threat: r.is_threat,
            metadata: r.metadata,
            occurred_at: r.occurred_at,
            detected_at: r.detected_at,
            created_at: r.created_at,
            occurrences: r.occurrences,
            last_seen_at: r.last_seen_at,
            fold_key: r.fold_key,
            recorded_by: r.recorded_by,
        }
    }
}

/// An insertable security-event row (unchecked; see [`crate::substations::NewSubstationRow`]).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = cyber_security_events)]
#[allow(missing_docs)]
pub struct NewSecurityEventRow {
    pub event_type: String,
    pub severity: DbAlertSeverity,
    pub source_ip: Option<IpNetwork>,
    pub source_user: Option<String>,
    pub target_system: Option<String>,
    pub description: Option<String>,
    pub command_attempted: Option<String>,
    pub access_level_required: Option<String>,
    pub detected_by: Option<String>,
    pub detection_method: Option<String>,
    pub is_blocked: bool,
    pub response_action: Option<String>,
    pub metadata: Value,
    pub occurred_at: DateTime<Utc>,
    pub detected_at: DateTime<Utc>,
    pub occurrences: i32,
    pub last_seen_at: DateTime<Utc>,
    pub fold_key: Option<String>,
}

impl From<&NewSecurityEvent> for NewSecurityEventRow {
    fn from(e: &NewSecurityEvent) -> Self {
        NewSecurityEventRow {
            event_type: e.event_type.clone(),
            severity: e.severity.into(),
            source_ip: e.source_ip.map(IpNetwork::from),
            source_user: e.source_user.clone(),
            target_system: e.target_system.clone(),
            description: e.description.clone(),
            command_attempted: e.command_attempted.clone(),
            access_level_required: e.access_level_required.clone(),
            detected_by: e.detected_by.clone(),
            detection_method: e.detection_method.clone(),
            is_blocked: e.is_blocked,
            response_action: e.response_action.clone(),
            metadata: e.metadata.clone(),
            occurred_at: e.occurred_at,
            detected_at: e.detected_at,
            occurrences: 1,
            last_seen_at: e.occurred_at,
            fold_key: None,
        }
    }
}

/// Inserts a validated event.
pub fn insert(conn: &mut PgConnection, e: &NewSecurityEvent) -> StoreResult<SecurityEvent> {
    insert_row(conn, &NewSecurityEventRow::from(e))
}

/// Inserts a row as given: the database's constraints are the only check.
pub fn insert_row(
    conn: &mut PgConnection,
    row: &NewSecurityEventRow,
) -> StoreResult<SecurityEvent> {
    Ok(diesel::insert_into(cyber_security_events::table)
        .values(row)
        .returning(SecurityEventRow::as_returning())
        .get_result(conn)?
        .into())
}

/// What [`record`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The row as it is now.
    pub event: SecurityEvent,
    /// Whether it is a new row (`false`: folded into an existing one).
    pub new: bool,
}

diesel::define_sql_function! {
    /// Folds `occurrences` into the newest row of `fold_key` last seen at or after `since`
    /// that the session's login recorded: its count grows, its last-seen time moves to
    /// `seen` if later, nothing else changes. NULL when there is none. A security-definer
    /// function (migration `append_only_evidence`): the poller role holds no UPDATE.
    fn grid_security_event_fold(
        fold_key: diesel::sql_types::Varchar,
        since: diesel::sql_types::Timestamptz,
        seen: diesel::sql_types::Timestamptz,
        occurrences: diesel::sql_types::Integer,
    ) -> diesel::sql_types::Nullable<diesel::sql_types::Uuid>;
}

/// Records `occurrences` of an event, folding them into the row of the same `fold_key`
/// last seen within `window` before this one (its count grows, its last-seen time moves;
/// what it first recorded stays), or inserting a new row. The fold key is cut to the
/// column's 200 characters. Recorded rows are never rewritten: folding goes through
/// [`grid_security_event_fold()`], which only adds.
pub fn record(
    conn: &mut PgConnection,
    e: &NewSecurityEvent,
    fold_key: &str,
    window: chrono::Duration,
    occurrences: i32,
) -> StoreResult<Recorded> {
    let key: String = fold_key.chars().take(200).collect();
    let n = occurrences.max(1);
    conn.transaction(|c| {
        let folded: Option<Uuid> = diesel::select(grid_security_event_fold(
            &key,
            e.occurred_at - window,
            e.occurred_at,
            n,
        ))
        .get_result(c)?;
        if let Some(id) = folded {
            return Ok(Recorded {
                event: get(c, id)?,
                new: false,
            });
        }
        let mut row = NewSecurityEventRow::from(e);
        row.fold_key = Some(key.clone());
        row.occurrences = n;
        Ok(Recorded {
            event: insert_row(c, &row)?,
            new: true,
        })
    })
}

/// The event with this id.
pub fn get(conn: &mut PgConnection, id: Uuid) -> StoreResult<SecurityEvent> {
    cyber_security_events::table
        .find(id)
        .select(SecurityEventRow::as_select())
        .first(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, id))
}

/// Events from an address or a whole network (`10.0.0.0/8` matches every address in it)
/// that occurred in `[from, to)`, oldest first.
pub fn by_source(
    conn: &mut PgConnection,
    source: IpNetwork,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<SecurityEvent>> {
    Ok(cyber_security_events::table
        .filter(cyber_security_events::source_ip.is_contained_by_or_eq(source))
        .filter(cyber_security_events::occurred_at.ge(from))
        .filter(cyber_security_events::occurred_at.lt(to))
        .order((
            cyber_security_events::occurred_at.asc(),
            cyber_security_events::id.asc(),
        ))
        .select(SecurityEventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Records the outcome of an investigation. The table is append-only for every role but
/// its owner (migration `append_only_evidence`): this is the owner's (a security officer's
/// session), refused as [`StoreError::PermissionDenied`] for the others.
pub fn mark_investigated(
    conn: &mut PgConnection,
    id: Uuid,
    is_threat: bool,
    response_action: Option<&str>,
) -> StoreResult<SecurityEvent> {
    diesel::update(cyber_security_events::table.find(id))
        .set((
            cyber_security_events::investigated.eq(true),
            cyber_security_events::is_threat.eq(is_threat),
            cyber_security_events::response_action.eq(response_action),
        ))
        .returning(SecurityEventRow::as_returning())
        .get_result(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, id))
}

repository! {
    /// Security events, on a pool or a caller's connection.
    pub trait SecurityEventRepository {
        /// See [`insert`].
        fn insert_security_event(&mut self, e: &NewSecurityEvent) -> StoreResult<SecurityEvent> => insert;
        /// See [`get`].
        fn security_event(&mut self, id: Uuid) -> StoreResult<SecurityEvent> => get;
        /// See [`by_source`].
        fn security_events_from(&mut self, source: IpNetwork, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<SecurityEvent>> => by_source;
        /// See [`record`].
        fn record_security_event(&mut self, e: &NewSecurityEvent, fold_key: &str, window: chrono::Duration, occurrences: i32) -> StoreResult<Recorded> => record;
        /// See [`mark_investigated`].
        fn mark_security_event_investigated(&mut self, id: Uuid, is_threat: bool, response_action: Option<&str>) -> StoreResult<SecurityEvent> => mark_investigated;
    }
}
