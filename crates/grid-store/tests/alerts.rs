//! The alert lifecycle against the database: transitions, history, concurrency.

mod common;

use std::sync::{Arc, Barrier};

use chrono::Duration;
use common::*;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use grid_model::*;
use grid_store::{AlertRepository, PgStore, StoreError, alerts};

fn raise(
    conn: &mut diesel::PgConnection,
    s: &Substation,
    severity: AlertSeverity,
    at: chrono::DateTime<chrono::Utc>,
) -> Alert {
    let mut d = AlertDraft::new(AlertKind::VoltageLow, severity, format!("{severity} sag"));
    d.substation_id = Some(s.id);
    d.raised_at = at;
    d.raised_by = Some("scada".into());
    conn.raise_alert(&NewAlert::new(d).unwrap()).unwrap()
}

#[test]
fn the_full_lifecycle_records_who_and_when_and_every_step() {
    let db = db();
    let conn = &mut db.conn();
    let s = add_substation(conn, "ALC-1", GridZone::Nakuru);
    let began = t(2026, 3, 1, 8, 0);
    let a = raise(conn, &s, AlertSeverity::Critical, began);
    assert_eq!((a.status, a.created_at), (AlertStatus::Open, began));

    let ack =
        AlertTransition::now(AlertAction::Acknowledge, "wanjiku").at(began + Duration::minutes(3));
    let a = conn.transition_alert(a.id, &ack).unwrap();
    assert_eq!(a.status, AlertStatus::Acknowledged);
    assert_eq!(a.acknowledged_by.as_deref(), Some("wanjiku"));
    assert_eq!(a.acknowledged_at, Some(began + Duration::minutes(3)));

    let work = AlertTransition::now(
        AlertAction::StartWork {
            assignee: "crew-7".into(),
        },
        "wanjiku",
    )
    .at(began + Duration::minutes(10));
    let a = conn.transition_alert(a.id, &work).unwrap();
    assert_eq!(
        (a.status, a.assigned_to.as_deref()),
        (AlertStatus::InProgress, Some("crew-7"))
    );
    assert_eq!(a.assigned_at, Some(began + Duration::minutes(10)));

    let resolve = AlertTransition::now(
        AlertAction::Resolve {
            notes: Some("tap changer reset".into()),
        },
        "otieno",
    )
    .at(began + Duration::minutes(45));
    let a = conn.transition_alert(a.id, &resolve).unwrap();
    assert_eq!(a.status, AlertStatus::Resolved);
    assert_eq!(a.resolved_by.as_deref(), Some("otieno"));
    assert_eq!(a.resolved_at, Some(began + Duration::minutes(45)));
    assert_eq!(a.resolution_notes.as_deref(), Some("tap changer reset"));

    let close = AlertTransition::now(AlertAction::Close, "supervisor")
        .at(began + Duration::hours(2))
        .with_note("reviewed");
    let a = conn.transition_alert(a.id, &close).unwrap();
    assert_eq!(a.status, AlertStatus::Closed);

    let h = conn.alert_history(a.id).unwrap();
    let steps: Vec<_> = h
        .iter()
        .map(|e| (e.from_status, e.to_status, e.actor.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        steps,
        vec![
            (None, AlertStatus::Open, "scada"),
            (
                Some(AlertStatus::Open),
                AlertStatus::Acknowledged,
                "wanjiku"
            ),
            (
                Some(AlertStatus::Acknowledged),
                AlertStatus::InProgress,
                "wanjiku"
            ),
            (
                Some(AlertStatus::InProgress),
                AlertStatus::Resolved,
                "otieno"
            ),
            (
                Some(AlertStatus::Resolved),
                AlertStatus::Closed,
                "supervisor"
            ),
        ]
    );
    assert_eq!(h[0].occurred_at, began);
    assert_eq!(h[3].note.as_deref(), Some("tap changer reset"));
    assert_eq!(h[4].note.as_deref(), Some("reviewed"));

    // Closed is final.
    let again = AlertTransition::now(AlertAction::Acknowledge, "x").at(began + Duration::hours(3)); // lint-ok: a span of three hours, not a zone offset
    let err = conn.transition_alert(a.id, &again).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Transition(TransitionError::NotAllowed { .. })
        ),
        "{err}"
    );
    assert_eq!(conn.alert_history(a.id).unwrap().len(), 5);
}

#[test]
fn a_self_clearing_condition_resolves_straight_from_open() {
    let db = db();
    let conn = &mut db.conn();
    let s = add_substation(conn, "ALC-2", GridZone::Nakuru);
    let a = raise(conn, &s, AlertSeverity::Warning, t(2026, 3, 1, 8, 0));
    let r = AlertTransition::now(AlertAction::Resolve { notes: None }, "system")
        .at(t(2026, 3, 1, 8, 4));
    let a = conn.transition_alert(a.id, &r).unwrap();
    assert_eq!(a.status, AlertStatus::Resolved);
    assert_eq!(a.acknowledged_at, None);
}

#[test]
fn forbidden_and_impossible_transitions_are_typed_and_change_nothing() {
    let db = db();
    let conn = &mut db.conn();
    let s = add_substation(conn, "ALC-3", GridZone::Nakuru);
    let a = raise(conn, &s, AlertSeverity::Info, t(2026, 3, 1, 8, 0));
    let before = conn.alert(a.id).unwrap();

    let close = AlertTransition::now(AlertAction::Close, "op").at(t(2026, 3, 1, 9, 0));
    assert!(matches!(
        conn.transition_alert(a.id, &close),
        Err(StoreError::Transition(TransitionError::NotAllowed {
            from: AlertStatus::Open,
            to: AlertStatus::Closed
        }))
    ));
    let early = AlertTransition::now(AlertAction::Acknowledge, "op").at(t(2026, 3, 1, 7, 0));
    assert!(matches!(
        conn.transition_alert(a.id, &early),
        Err(StoreError::Transition(
            TransitionError::BeforeCreation { .. }
        ))
    ));
    let missing = AlertTransition::now(AlertAction::Acknowledge, "op");
    assert!(matches!(
        conn.transition_alert(uuid::Uuid::new_v4(), &missing),
        Err(StoreError::NotFound {
            entity: "alert",
            ..
        })
    ));
    assert_eq!(conn.alert(a.id).unwrap(), before);
    assert_eq!(conn.alert_history(a.id).unwrap().len(), 1);
}

#[test]
fn two_operators_acknowledging_at_once_one_wins_every_time() {
    let db = db();
    let store = PgStore::connect(&db.url(), 4).unwrap();
    let s = add_substation(&mut db.conn(), "ALC-4", GridZone::Mombasa);
    for round in 0..50 {
        let alert = raise(
            &mut db.conn(),
            &s,
            AlertSeverity::Critical,
            t(2026, 3, 1, 8, 0),
        );
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = ["amina", "baraka"]
            .into_iter()
            .map(|operator| {
                let store = store.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let mut conn = store.conn().unwrap();
                    conn.transaction::<_, StoreError, _>(|c| {
                        // Both transactions are open and have a snapshot before either updates.
                        c.batch_execute("SELECT 1")?;
                        barrier.wait();
                        let step = AlertTransition::now(AlertAction::Acknowledge, operator)
                            .at(t(2026, 3, 1, 8, 1));
                        Ok(alerts::transition(c, alert.id, &step))
                    })
                    .unwrap()
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let wins = results.iter().filter(|r| r.is_ok()).count();
        let conflicts = results
            .iter()
            .filter(|r| {
                matches!(
                    r,
                    Err(StoreError::Conflict {
                        entity: "alert",
                        ..
                    })
                )
            })
            .count();
        assert_eq!((wins, conflicts), (1, 1), "round {round}: {results:?}");
        let winner = results.iter().find_map(|r| r.as_ref().ok()).unwrap();
        let stored = alerts::get(&mut db.conn(), alert.id).unwrap();
        assert_eq!(stored.acknowledged_by, winner.acknowledged_by);
        assert_eq!(alerts::history(&mut db.conn(), alert.id).unwrap().len(), 2);
    }
}

#[test]
fn open_alerts_of_a_substation_most_severe_then_oldest() {
    let db = db();
    let conn = &mut db.conn();
    let s = add_substation(conn, "ALC-5", GridZone::Eldoret);
    let other = add_substation(conn, "ALC-6", GridZone::Eldoret);
    let w_old = raise(conn, &s, AlertSeverity::Warning, t(2026, 3, 1, 6, 0));
    let c_new = raise(conn, &s, AlertSeverity::Critical, t(2026, 3, 1, 9, 0));
    let c_old = raise(conn, &s, AlertSeverity::Critical, t(2026, 3, 1, 7, 0));
    let e = raise(conn, &s, AlertSeverity::Emergency, t(2026, 3, 1, 10, 0));
    let done = raise(conn, &s, AlertSeverity::Emergency, t(2026, 3, 1, 5, 0));
    raise(conn, &other, AlertSeverity::Emergency, t(2026, 3, 1, 5, 0));
    let r = AlertTransition::now(AlertAction::Resolve { notes: None }, "system")
        .at(t(2026, 3, 1, 5, 30));
    conn.transition_alert(done.id, &r).unwrap();
    let ack = AlertTransition::now(AlertAction::Acknowledge, "op").at(t(2026, 3, 1, 9, 5));
    conn.transition_alert(c_new.id, &ack).unwrap();

    let ids: Vec<_> = conn
        .open_alerts_of_substation(s.id)
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, vec![e.id, c_old.id, c_new.id, w_old.id]);
    assert_eq!(conn.open_alerts().unwrap().len(), 5);
    let day = conn
        .alerts_raised_between(t(2026, 3, 1, 6, 0), t(2026, 3, 1, 9, 0))
        .unwrap();
    assert_eq!(
        day.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![w_old.id, c_old.id]
    );
}

#[test]
fn the_history_is_append_only() {
    let db = db();
    let conn = &mut db.conn();
    let s = add_substation(conn, "ALC-7", GridZone::Western);
    let a = raise(conn, &s, AlertSeverity::Info, t(2026, 3, 1, 8, 0));
    let err = conn
        .batch_execute(&format!(
            "UPDATE alert_transitions SET actor = 'forged' WHERE alert_id = '{}'",
            a.id
        ))
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert_eq!(
        conn.alert_history(a.id).unwrap()[0].actor.as_deref(),
        Some("scada")
    );
}

/// The database checks each step an alert's history records (migration
/// `append_only_evidence`) against its own table of the lifecycle; that table must be
/// grid-model's, pair by pair.
#[test]
fn the_database_lifecycle_is_grid_models() {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Allowed {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        allowed: bool,
    }
    let db = db();
    let conn = &mut db.conn();
    let statuses = AlertStatus::ALL.iter().copied();
    let actions = [
        AlertAction::Acknowledge,
        AlertAction::StartWork {
            assignee: "crew".into(),
        },
        AlertAction::Resolve { notes: None },
        AlertAction::Close,
    ];
    let mut checked = 0;
    for from in statuses.clone() {
        for to in statuses.clone() {
            let model = actions
                .iter()
                .any(|a| a.target() == to && a.allowed_from(from));
            let database = diesel::sql_query(format!(
                "SELECT grid_alert_step_allowed('{from}', '{to}') AS allowed"
            ))
            .get_result::<Allowed>(conn)
            .unwrap()
            .allowed;
            assert_eq!(database, model, "{from} -> {to}");
            checked += usize::from(model);
        }
    }
    assert_eq!(checked, 6, "the lifecycle's six steps");
}
