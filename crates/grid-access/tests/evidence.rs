//! Evidence cannot be rewritten and alerts change only through their lifecycle: a regional
//! login may take its zone's alerts through the lifecycle's steps (recorded as transitions)
//! and nothing else; no role but the owner updates or deletes a security event or a step of
//! an alert's history; only the roles that need it hold TEMP.

mod common;

use chrono::Utc;
use common::*;
use diesel::prelude::*;
use grid_access::Role;
use grid_model::{
    AlertAction, AlertDraft, AlertKind, AlertSeverity, AlertStatus, AlertTransition, GridZone,
    NewAlert, NewSecurityEvent, SecurityEventDraft, SecurityEventKind,
};
use grid_store::{AlertRepository, StoreError};
use grid_testdb::TestDb;
use grid_testdb::inspect::count;
use uuid::Uuid;

fn alert(conn: &mut PgConnection, substation: Option<Uuid>, sensor: Option<Uuid>) -> Uuid {
    let mut d = AlertDraft::new(AlertKind::VoltageLow, AlertSeverity::Critical, "bus low");
    d.substation_id = substation;
    d.sensor_id = sensor;
    conn.raise_alert(&NewAlert::new(d).unwrap()).unwrap().id
}

fn steps(conn: &mut PgConnection, id: Uuid) -> i64 {
    count(
        conn,
        &format!("SELECT count(*) AS n FROM alert_transitions WHERE alert_id = '{id}'"),
    )
}

#[test]
fn a_regional_login_changes_alerts_only_through_the_lifecycle() {
    let db = TestDb::new(&ACCESS);
    let admin = &mut db.conn();
    let grid = grid(admin);
    let own = alert(admin, Some(grid.nairobi.id), None);
    // Mombasa's substation with a Nairobi sensor: not wholly Nairobi's, so not visible there.
    let mixed = alert(
        admin,
        Some(grid.mombasa.id),
        Some(grid.nairobi_sensors[0].id),
    );
    let by_sensor = alert(admin, None, Some(grid.nairobi_sensors[1].id));

    let nairobi = regional(&db, &[GridZone::Nairobi]);
    let z = &mut nairobi.conn();
    let visible = count(z, "SELECT count(*) AS n FROM grid_alerts");
    assert_eq!(visible, 2, "its substation's alert and its sensor's");
    assert_eq!(
        count(
            z,
            &format!("SELECT count(*) AS n FROM grid_alerts WHERE id = '{mixed}'")
        ),
        0
    );

    // The defects of the attack run: moving an alert, rewriting it, closing it unrecorded.
    for sql in [
        format!(
            "UPDATE grid_alerts SET substation_id = '{}' WHERE id = '{own}'",
            grid.mombasa.id
        ),
        format!(
            "UPDATE grid_alerts SET sensor_id = '{}' WHERE id = '{own}'",
            grid.mombasa_sensors[0].id
        ),
        format!("UPDATE grid_alerts SET severity = 'info' WHERE id = '{own}'"),
        format!("UPDATE grid_alerts SET title = 'nothing' WHERE id = '{own}'"),
        format!("UPDATE grid_alerts SET alert_type = 'other' WHERE id = '{own}'"),
        format!("UPDATE grid_alerts SET created_at = now() WHERE id = '{own}'"),
        format!(
            "UPDATE grid_alerts SET status = 'resolved', resolved_at = now(), resolved_by = 'x'
              WHERE id = '{own}'"
        ),
        format!("UPDATE grid_alerts SET acknowledged_by = 'someone' WHERE id = '{own}'"),
        format!("DELETE FROM grid_alerts WHERE id = '{own}'"),
        // A history step the lifecycle has not got (open → closed), or a second creation.
        format!(
            "INSERT INTO alert_transitions (alert_id, from_status, to_status, actor, occurred_at)
             VALUES ('{own}', 'open', 'closed', 'x', now())"
        ),
        format!(
            "INSERT INTO alert_transitions (alert_id, from_status, to_status, actor, occurred_at)
             VALUES ('{own}', NULL, 'open', 'x', now())"
        ),
        format!(
            "INSERT INTO alert_transitions (alert_id, from_status, to_status, actor, occurred_at, recorded_at)
             VALUES ('{own}', 'open', 'acknowledged', 'x', now(), now())"
        ),
    ] {
        assert_refused(z, &sql);
    }
    // A step appended but never taken is refused when the transaction commits.
    let forged = z.transaction(|c| {
        diesel::sql_query(format!(
            "INSERT INTO alert_transitions (alert_id, from_status, to_status, actor, occurred_at)
             VALUES ('{own}', 'open', 'acknowledged', 'forger', now())"
        ))
        .execute(c)
    });
    let text = forged
        .expect_err("a step the alert did not take")
        .to_string();
    assert!(text.contains("did not take"), "{text}");
    assert_eq!(steps(admin, own), 1, "only its creation");

    // The lifecycle's way works, and is recorded with who and when.
    let ack = AlertTransition::now(AlertAction::Acknowledge, "nbi-rcc operator").with_note("seen");
    let acked = grid_store::alerts::transition(z, own, &ack).unwrap();
    assert_eq!(acked.status, AlertStatus::Acknowledged);
    assert_eq!(acked.acknowledged_by.as_deref(), Some("nbi-rcc operator"));
    let history = admin.alert_history(own).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        (history[1].from_status, history[1].to_status),
        (Some(AlertStatus::Open), AlertStatus::Acknowledged)
    );
    assert_eq!(history[1].actor.as_deref(), Some("nbi-rcc operator"));
    // Its zone's alert found by its sensor alone as well; the mixed one is not there.
    grid_store::alerts::transition(z, by_sensor, &ack).unwrap();
    assert!(matches!(
        grid_store::alerts::transition(z, mixed, &ack),
        Err(StoreError::NotFound { .. })
    ));
    let resolve = AlertTransition::now(AlertAction::Resolve { notes: None }, "nbi-rcc operator");
    grid_store::alerts::transition(z, own, &resolve).unwrap();
    assert_eq!(steps(admin, own), 3);
    // Its history is not its to change.
    assert_refused(
        z,
        &format!("UPDATE alert_transitions SET actor = 'x' WHERE alert_id = '{own}'"),
    );
    assert_refused(
        z,
        &format!("DELETE FROM alert_transitions WHERE alert_id = '{own}'"),
    );
}

#[test]
fn the_evidence_is_append_only_for_every_role_but_the_owner() {
    let db = TestDb::new(&ACCESS);
    let admin = &mut db.conn();
    let grid = grid(admin);
    let id = alert(admin, Some(grid.nairobi.id), None);
    // The poller records a critical refusal; it folds through the definer function.
    let poller = login(&db, Role::Poller);
    let p = &mut poller.conn();
    let mut draft = SecurityEventDraft::of(
        SecurityEventKind::WriteOutsidePolicy,
        AlertSeverity::Critical,
        Utc::now(),
    );
    draft.is_blocked = true;
    let event = NewSecurityEvent::new(draft).unwrap();
    let window = chrono::Duration::minutes(5);
    let first = grid_store::security::record(p, &event, "write|10.0.0.9", window, 1).unwrap();
    let again = grid_store::security::record(p, &event, "write|10.0.0.9", window, 3).unwrap();
    assert!(first.new && !again.new);
    assert_eq!(again.event.occurrences, 4);

    let rewrites = [
        "UPDATE cyber_security_events SET event_type = 'benign', severity = 'info', is_blocked = false",
        "UPDATE cyber_security_events SET occurrences = 99",
        "UPDATE cyber_security_events SET investigated = true, is_threat = false",
        "DELETE FROM cyber_security_events",
        "UPDATE alert_transitions SET actor = 'x'",
        "DELETE FROM alert_transitions",
        "TRUNCATE cyber_security_events",
        "TRUNCATE alert_transitions",
    ];
    for role in [
        Role::Writer,
        Role::Poller,
        Role::Analyst,
        Role::Reader,
        Role::Regional,
    ] {
        let l = if role == Role::Regional {
            regional(&db, &[GridZone::Nairobi])
        } else {
            login(&db, role)
        };
        let c = &mut l.conn();
        for sql in rewrites {
            assert_refused(c, sql);
        }
    }
    // A poller asking the fold function for another login's rows changes nothing of them.
    let other = login(&db, Role::Poller);
    let o = &mut other.conn();
    let theirs = grid_store::security::record(o, &event, "write|10.0.0.9", window, 1).unwrap();
    assert!(theirs.new, "a row of its own, not the first poller's");
    let stored = grid_store::security::get(admin, first.event.id).unwrap();
    assert_eq!(
        (
            stored.event_type.as_str(),
            stored.severity,
            stored.is_blocked
        ),
        (
            SecurityEventKind::WriteOutsidePolicy.as_str(),
            AlertSeverity::Critical,
            true
        )
    );
    assert_eq!(stored.occurrences, 4);
    // The owner keeps every right (repairs, investigations).
    grid_store::security::mark_investigated(admin, first.event.id, true, Some("reviewed")).unwrap();
    assert!(matches!(
        grid_store::security::mark_investigated(p, first.event.id, false, None),
        Err(StoreError::PermissionDenied(_))
    ));
    assert_eq!(steps(admin, id), 1);
}

#[test]
fn only_the_roles_that_need_it_create_temporary_tables() {
    let db = TestDb::new(&ACCESS);
    // A database made from a template does not copy the template's database privileges
    // (they belong to the pg_database row): apply them here as a deployment does.
    grid_access::apply(&mut db.conn(), &grid_access::RoleNames::default()).unwrap();
    let temp = "CREATE TEMP TABLE t_probe (i integer)";
    for role in [Role::Writer, Role::Poller, Role::Analyst] {
        let l = login(&db, role);
        assert_eq!(sqlstate(&mut l.conn(), temp), "00000", "{role:?}");
    }
    let reader = login(&db, Role::Reader);
    assert_refused(&mut reader.conn(), temp);
    let regional = regional(&db, &[GridZone::Nairobi]);
    assert_refused(&mut regional.conn(), temp);
    // A login in no role at all: PUBLIC no longer carries TEMP.
    let nobody = db.login(&[]);
    assert_refused(&mut nobody.conn(), temp);
}
