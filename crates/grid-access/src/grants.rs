//! What each role may do on each relation: the one matrix, applied by [`crate::apply`] and
//! printed in the README. The owner role holds every privilege on every relation; a
//! relation of schema `public` missing here gets no grant at all (and the catalog test
//! fails), so a migration that adds a table must add its row.

use grid_timescale::RollupKind;

use crate::roles::Role;

/// Read.
const S: &str = "SELECT";
/// Read and append.
const SI: &str = "SELECT, INSERT";
/// Read, append and change.
const SIU: &str = "SELECT, INSERT, UPDATE";
/// Read, append, change and remove.
const SIUD: &str = "SELECT, INSERT, UPDATE, DELETE";
/// Nothing.
const NONE: &str = "";

/// An alert's lifecycle columns: what a step (acknowledge, start work, resolve, close)
/// writes, and all a human-facing role may change of an alert (IEC 62682's states).
macro_rules! alert_lifecycle {
    () => {
        "status, acknowledged_at, acknowledged_by, assigned_to, assigned_at, resolved_at, \
         resolved_by, resolution_notes"
    };
}

/// What an engine raising an alert writes (`grid_store::alerts::NewAlertRow`): never the
/// lifecycle's columns (a raised alert is open) nor the row's bookkeeping.
macro_rules! alert_raise {
    () => {
        "substation_id, sensor_id, alert_type, severity, title, description, current_value, \
         threshold_value, deviation_percentage, affected_customers, estimated_revenue_loss, \
         metadata, created_at"
    };
}

/// The engines (the SCADA poller, anomaly detection, thermal alarms): they raise alerts,
/// take them through the lifecycle, and may update what their engine owns of one (its
/// current value, severity and metadata), never what it is about (substation, sensor,
/// kind, start).
const ALERTS_ENGINE: &str = concat!(
    "SELECT, INSERT (",
    alert_raise!(),
    "), UPDATE (",
    alert_lifecycle!(),
    ", current_value, severity, metadata)"
);

/// The alarm engine's side of a point (grid-alarms-store's `points::save`): its state and
/// the alert of its raised alarm, never the operators' shelving and out-of-service marks;
/// no DELETE (a point's row goes with its sensor).
const ALARM_POINTS_ENGINE: &str = "SELECT, INSERT (sensor_id, state, last_reading_at, alert_id),      UPDATE (state, last_reading_at, alert_id, updated_at)";

/// The regional control rooms: the lifecycle's columns only.
const ALERTS_OPERATOR: &str = concat!("SELECT, UPDATE (", alert_lifecycle!(), ")");

/// An alert's history: appended step by step (the database checks each step), never
/// rewritten; `id` and `recorded_at` are the database's.
const TRANSITIONS_APPEND: &str =
    "SELECT, INSERT (alert_id, from_status, to_status, actor, occurred_at, note)";

/// Security events as the poller records them (`grid_store::security::NewSecurityEventRow`):
/// never `recorded_by` (the database's), nor an investigation's outcome; repeats fold
/// through the definer function `grid_security_event_fold`, so no UPDATE.
const EVENTS_APPEND: &str = "SELECT, INSERT (event_type, severity, source_ip, source_user, \
     target_system, description, command_attempted, access_level_required, detected_by, \
     detection_method, is_blocked, response_action, metadata, occurred_at, detected_at, \
     occurrences, last_seen_at, fold_key)";

/// One relation's privileges for the writer, poller, analyst, reader and regional roles
/// (SQL privilege lists, column lists allowed).
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    /// The relation (table, view, continuous aggregate) in schema `public`.
    pub relation: &'static str,
    /// Privileges of [`Role::Writer`], [`Role::Poller`], [`Role::Analyst`],
    /// [`Role::Reader`], [`Role::Regional`], in that order.
    pub privileges: [&'static str; 5],
}

const fn g(relation: &'static str, privileges: [&'static str; 5]) -> Grant {
    Grant {
        relation,
        privileges,
    }
}

/// The matrix (writer, poller, analyst, reader, regional). Regional rows are filtered by
/// zone (row-level security, or the zone views); see the crate docs.
pub const MATRIX: &[Grant] = &[
    // Bookkeeping every component reads to check that nothing is pending.
    g("__diesel_schema_migrations", [S, S, S, S, S]),
    g("grid_timescale_ledger", [S, S, S, S, S]),
    g(
        "grid_timescale_rollup_state",
        [S, S, "SELECT, UPDATE", S, S],
    ),
    // Ingest appends to the invalidation log, the analyst's refresh drains it, the query
    // functions read it and the hours set aside (a series skips rollups with pending hours).
    g("grid_timescale_invalidations", [SI, SI, SIUD, S, NONE]),
    g(
        "grid_timescale_refresh_failures",
        [NONE, NONE, SIUD, S, NONE],
    ),
    // The grid's assets: changed by the owner only.
    g("grid_substations", [S, S, S, S, S]),
    g(
        "grid_sensors",
        [
            "SELECT, UPDATE (last_reading_at)",
            "SELECT, UPDATE (last_reading_at)",
            S,
            S,
            S,
        ],
    ),
    g("transformers", [NONE, NONE, S, S, S]),
    g("transformer_thermal_parameters", [NONE, NONE, S, S, S]),
    g("substation_customer_counts", [NONE, NONE, S, S, S]),
    g("maintenance_records", [NONE, NONE, S, NONE, NONE]),
    // Readings: appended by ingest, marked by anomaly detection.
    g(
        "sensor_readings",
        [
            SI,
            "SELECT, INSERT, UPDATE (is_anomaly, anomaly_score)",
            "SELECT, UPDATE (is_anomaly, anomaly_score)",
            S,
            NONE,
        ],
    ),
    g("sensor_readings_quarantine", [SI, SI, S, NONE, NONE]),
    g("sensor_latest_readings", [SIU, SIU, S, S, NONE]),
    // Rollups: see `rollup_privileges` for the analyst's (its refresh writes them).
    g("sensor_readings_hourly", [NONE, NONE, S, S, NONE]),
    g("sensor_readings_daily", [NONE, NONE, S, S, NONE]),
    // Alerts: raised by the poller and the engines, acknowledged by regional centres, changed
    // only through the lifecycle (the columns here; migration `append_only_evidence` checks
    // each step and refuses a status change without its history row).
    // Ingest raises limit alarms too (grid-alarms-store, in every ingest path).
    g(
        "grid_alerts",
        [
            ALERTS_ENGINE,
            ALERTS_ENGINE,
            ALERTS_ENGINE,
            S,
            ALERTS_OPERATOR,
        ],
    ),
    g(
        "alert_transitions",
        [
            TRANSITIONS_APPEND,
            TRANSITIONS_APPEND,
            TRANSITIONS_APPEND,
            S,
            TRANSITIONS_APPEND,
        ],
    ),
    // Limit alarms' states, kept by the alarm engine of every ingest path and of the
    // history run; operators of a zone shelve or take out of service its points (recorded
    // append-only in alarm_actions).
    g(
        "alarm_points",
        [
            ALARM_POINTS_ENGINE,
            ALARM_POINTS_ENGINE,
            ALARM_POINTS_ENGINE,
            S,
            "SELECT, UPDATE (shelved_until, shelved_by, shelve_reason, out_of_service_since, \
             out_of_service_by, out_of_service_reason)",
        ],
    ),
    g("alarm_areas", [SIU, SIU, SIU, S, S]),
    g(
        "alarm_actions",
        [
            S,
            S,
            S,
            S,
            "SELECT, INSERT (sensor_id, action, actor, reason, until)",
        ],
    ),
    // Security events, evidence: the poller appends (and reads back only its own rows), the
    // analyst reads; nobody but the owner rewrites one.
    g(
        "cyber_security_events",
        [NONE, EVENTS_APPEND, S, NONE, NONE],
    ),
    // Results of the analytics.
    g("daily_grid_statistics", [NONE, NONE, SIUD, S, S]),
    g("load_forecasts", [NONE, NONE, SIUD, S, S]),
    g("transformer_thermal_days", [NONE, NONE, SIUD, S, S]),
    g("anomaly_detections", [NONE, SIU, SIU, S, S]),
    g("anomaly_sensor_states", [NONE, SIUD, SIUD, NONE, NONE]),
    g("anomaly_imbalance_states", [NONE, SIUD, SIUD, NONE, NONE]),
    // Users of the API and their tokens: the owner's alone; services ask
    // grid_user_by_token.
    g("grid_users", [NONE, NONE, NONE, NONE, NONE]),
    g("grid_user_tokens", [NONE, NONE, NONE, NONE, NONE]),
    // The zone views: the regional role's only way to readings and rollups.
    g("grid_zone_readings", [NONE, NONE, S, S, S]),
    g("grid_zone_latest_readings", [NONE, NONE, S, S, S]),
    g("grid_zone_readings_hourly", [NONE, NONE, S, S, S]),
    g("grid_zone_readings_daily", [NONE, NONE, S, S, S]),
];

/// The security-definer functions (EXECUTE revoked from PUBLIC where they are made) and the
/// roles that may call them; every other function of ours is a plain one, executable by all.
pub const DEFINER_FUNCTIONS: &[(&str, &[Role])] = &[
    (
        // Ingest's probe that makes a day's chunk in the Apache edition (grid-timescale setup).
        "grid_timescale_make_chunk(uuid, timestamptz, double precision)",
        &[Role::Owner, Role::Writer, Role::Poller],
    ),
    (
        // Folding a repeated security event into its row (migration append_only_evidence).
        "grid_security_event_fold(varchar, timestamptz, timestamptz, integer)",
        &[Role::Owner, Role::Poller],
    ),
    (
        // The user a bearer token belongs to (migration users_and_tokens), for the services
        // people use: the API and pages run as the reader or a regional role.
        "grid_user_by_token(bytea)",
        &[Role::Owner, Role::Reader, Role::Regional],
    ),
];

/// The privileges of `role` on `grant`'s relation with rollups of `kind`.
pub fn privileges(grant: &Grant, role: Role, kind: RollupKind) -> &'static str {
    let i = match role {
        Role::Owner => return "ALL",
        Role::Writer => 0,
        Role::Poller => 1,
        Role::Analyst => 2,
        Role::Reader => 3,
        Role::Regional => 4,
    };
    rollup_privileges(grant.relation, role, kind).unwrap_or(grant.privileges[i])
}

/// The analyst refreshes the rollups: with rollup tables it writes them; continuous
/// aggregates are refreshed by TimescaleDB as their owner, so it only reads those.
fn rollup_privileges(relation: &str, role: Role, kind: RollupKind) -> Option<&'static str> {
    let is_rollup = relation == "sensor_readings_hourly" || relation == "sensor_readings_daily";
    (is_rollup && role == Role::Analyst && kind == RollupKind::Tables).then_some(SIUD)
}

/// The matrix's row of `relation`.
pub fn of(relation: &str) -> Option<&'static Grant> {
    MATRIX.iter().find(|g| g.relation == relation)
}
