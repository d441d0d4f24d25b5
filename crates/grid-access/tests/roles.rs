//! Each component as its own role: what it must do works, what it must not is refused with
//! SQLSTATE 42501; migrations and setup as a restricted role when nothing (or something) is
//! pending.

mod common;

use chrono::{Duration, NaiveDate};
use common::*;
use diesel::connection::SimpleConnection;
use grid_access::Role;
use grid_analytics::compute::{AnalyticsConfig, compute_days};
use grid_model::{AlertSeverity, GridZone, NewSecurityEvent, SecurityEventDraft};
use grid_store::migrations::{MigrationError, run_pending};
use grid_testdb::TestDb;
use grid_testdb::inspect::count;
use grid_testkit::MIGRATED;
use grid_timescale::query::{Scope, SeriesTarget, SourcePreference, series};
use grid_timescale::{TimescaleConfig, TimescaleError, setup};

#[test]
fn every_program_runs_as_its_role() {
    let db = TestDb::new(&ACCESS);
    let admin = &mut db.conn();
    let grid = grid(admin);

    // Ingest as the writer, after the start-up calls every program makes: nothing pending,
    // so no DDL and no refusal.
    let writer = login(&db, Role::Writer);
    let w = &mut writer.conn();
    assert_eq!(run_pending(w).unwrap(), Vec::<String>::new());
    assert!(
        setup(w, &TimescaleConfig::default())
            .unwrap()
            .applied
            .is_empty()
    );
    let stored = ingest(w, readings(&grid, day_one(), 2 * 24 * 60));
    assert_eq!(stored, 4 * 2 * 24 * 60);

    // The query functions as the reader.
    let reader = login(&db, Role::Reader);
    let r = &mut reader.conn();
    assert_eq!(run_pending(r).unwrap(), Vec::<String>::new());
    let latest = grid_timescale::query::latest(r, Scope::Grid).unwrap();
    assert_eq!(latest.len(), 4);
    let s = series(
        r,
        SeriesTarget::sensor(grid.nairobi_sensors[0].id),
        day_one(),
        day_one() + Duration::days(1),
        Duration::hours(1),
        SourcePreference::Auto,
    )
    .unwrap();
    assert_eq!(s.buckets.len(), 24);
    assert!(
        s.buckets.iter().all(|b| b.count == 60),
        "{:?}",
        s.buckets[0]
    );

    // The daily statistics as the analyst (its refresh brings the rollups up to date where
    // it may; with continuous aggregates these hours are above the watermark).
    let analyst = login(&db, Role::Analyst);
    let a = &mut analyst.conn();
    let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let rows = compute_days(
        a,
        &AnalyticsConfig::default(),
        day,
        day,
        day_one() + Duration::days(3),
    )
    .unwrap();
    let zones: Vec<GridZone> = rows.iter().map(|r| r.zone).collect();
    assert!(zones.contains(&GridZone::Nairobi) && zones.contains(&GridZone::Mombasa));
    assert_eq!(
        count(
            admin,
            "SELECT count(*) AS n FROM daily_grid_statistics WHERE date = '2026-11-20'"
        ),
        rows.len() as i64
    );

    // The reader sees the statistics the analyst wrote.
    assert_eq!(
        count(r, "SELECT count(*) AS n FROM daily_grid_statistics"),
        rows.len() as i64
    );
}

#[test]
fn each_role_is_refused_what_it_must_not_do() {
    let db = TestDb::new(&ACCESS);
    let admin = &mut db.conn();
    let grid = grid(admin);
    ingest(admin, readings(&grid, day_one(), 60));
    let sub = grid.nairobi.id;

    let reader = login(&db, Role::Reader);
    let r = &mut reader.conn();
    assert_refused(
        r,
        &format!(
            "INSERT INTO sensor_readings (sensor_id, \"timestamp\", value, value_raw)
             VALUES ('{}', now(), 1, 1)",
            grid.nairobi_sensors[0].id
        ),
    );
    assert_refused(r, "UPDATE grid_alerts SET status = 'acknowledged'");
    assert_refused(r, "SELECT count(*) FROM cyber_security_events");
    assert_refused(r, "SELECT count(*) FROM maintenance_records");
    assert_refused(r, "SELECT count(*) FROM anomaly_sensor_states");
    assert_refused(r, "SELECT count(*) FROM sensor_readings_quarantine");

    let writer = login(&db, Role::Writer);
    let w = &mut writer.conn();
    assert_refused(w, "DROP TABLE sensor_readings");
    assert_refused(w, "ALTER TABLE sensor_readings ADD COLUMN x integer");
    assert_refused(w, "CREATE TABLE writer_table (i integer)");
    assert_refused(
        w,
        &format!("UPDATE grid_substations SET name = 'x' WHERE id = '{sub}'"),
    );
    assert_refused(w, "INSERT INTO grid_substations DEFAULT VALUES");
    assert_refused(w, "DELETE FROM grid_sensors");
    assert_refused(w, "DELETE FROM sensor_readings");
    assert_refused(w, "UPDATE sensor_readings SET value = 0");
    // The writer raises limit alarms: it reads alerts, never rewrites what one is about.
    assert_refused(w, "UPDATE grid_alerts SET title = 'x'");
    assert_refused(w, "SELECT count(*) FROM cyber_security_events");

    let analyst = login(&db, Role::Analyst);
    let a = &mut analyst.conn();
    assert_refused(a, "UPDATE sensor_readings SET value = 0");
    assert_refused(a, "DELETE FROM sensor_readings");
    assert_refused(a, "UPDATE grid_substations SET name = 'x'");
    assert_refused(a, "DROP TABLE daily_grid_statistics");
    // The analyst may mark readings, nothing else of them.
    assert_eq!(
        sqlstate(
            a,
            "UPDATE sensor_readings SET is_anomaly = true, anomaly_score = 0.9"
        ),
        "00000"
    );

    let regional = regional(&db, &[GridZone::Nairobi]);
    let g = &mut regional.conn();
    for table in [
        "sensor_readings",
        "sensor_latest_readings",
        "sensor_readings_hourly",
        "sensor_readings_daily",
        "cyber_security_events",
        "maintenance_records",
    ] {
        assert_refused(g, &format!("SELECT count(*) FROM {table}"));
    }
    assert_refused(g, "DELETE FROM grid_alerts");
}

#[test]
fn a_poller_reads_back_only_the_security_events_it_wrote() {
    let db = TestDb::new(&ACCESS);
    let (first, second) = (login(&db, Role::Poller), login(&db, Role::Poller));
    let (p1, p2) = (&mut first.conn(), &mut second.conn());
    let event = NewSecurityEvent::new(SecurityEventDraft::new(
        grid_model::SecurityEventKind::UnexpectedUnitReply.as_str(),
        AlertSeverity::Warning,
        chrono::Utc::now(),
    ))
    .unwrap();
    let recorded =
        grid_store::security::record(p1, &event, "unit|10.0.0.9", Duration::minutes(5), 1).unwrap();
    assert!(recorded.new);
    assert_eq!(recorded.event.recorded_by, first.name);
    // Folding a repeat reads the row back: its writer can.
    let again =
        grid_store::security::record(p1, &event, "unit|10.0.0.9", Duration::minutes(5), 1).unwrap();
    assert_eq!((again.new, again.event.occurrences), (false, 2));

    assert_eq!(
        count(p1, "SELECT count(*) AS n FROM cyber_security_events"),
        1
    );
    assert_eq!(
        count(p2, "SELECT count(*) AS n FROM cyber_security_events"),
        0
    );
    // The other poller's fold does not find it: a new row of its own.
    let other =
        grid_store::security::record(p2, &event, "unit|10.0.0.9", Duration::minutes(5), 1).unwrap();
    assert!(other.new);
    // Recorded events are evidence: no poller rewrites one, its own neither.
    assert_refused(p2, "UPDATE cyber_security_events SET occurrences = 99");
    assert_refused(p1, "UPDATE cyber_security_events SET occurrences = 99");
    assert_eq!(
        count(
            p1,
            "SELECT max(occurrences)::bigint AS n FROM cyber_security_events"
        ),
        2,
    );
    // Nor can it write a row under another name.
    assert_refused(
        p2,
        &format!(
            "INSERT INTO cyber_security_events (event_type, severity, recorded_by)
             VALUES ('spoof', 'warning', '{}')",
            first.name
        ),
    );
    // The analyst reads them all; a poller may not touch substations.
    let analyst = login(&db, Role::Analyst);
    assert_eq!(
        count(
            &mut analyst.conn(),
            "SELECT count(*) AS n FROM cyber_security_events"
        ),
        2
    );
    assert_refused(p1, "UPDATE grid_substations SET name = 'x'");
    assert_refused(p1, "DELETE FROM sensor_readings");
}

#[test]
fn migrations_and_setup_name_the_missing_privilege_when_something_is_pending() {
    let db = TestDb::new(&MIGRATED);
    let admin = &mut db.conn();
    let names = grid_access::RoleNames::default();
    grid_access::roles::ensure(admin, &names).unwrap();
    admin
        .batch_execute(&format!(
            "GRANT SELECT ON __diesel_schema_migrations TO \"{}\"",
            role(Role::Writer)
        ))
        .unwrap();
    let writer = login(&db, Role::Writer);
    let w = &mut writer.conn();

    // Setup has never run here: the writer may not create its tables.
    match setup(w, &TimescaleConfig::default()) {
        Err(TimescaleError::PermissionDenied {
            needed, message, ..
        }) => {
            assert!(needed.contains("CREATE on schema public"), "{needed}");
            assert!(message.contains("permission denied"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    // The newest migration reverted: pending, and the writer may not apply it.
    use diesel_migrations::MigrationHarness;
    let reverted = admin
        .revert_last_migration(grid_store::migrations::MIGRATIONS)
        .unwrap()
        .to_string();
    match run_pending(w) {
        Err(MigrationError::PermissionDenied { pending, role, .. }) => {
            assert_eq!(pending, vec![reverted.clone()]);
            assert_eq!(role, writer.name);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // The owner applies it; then the writer's start-up call is a no-op again.
    assert_eq!(run_pending(admin).unwrap(), vec![reverted]);
    assert_eq!(run_pending(w).unwrap(), Vec::<String>::new());
}

#[test]
fn the_analyst_never_computes_from_stale_rollups() {
    let db = TestDb::new(&ACCESS);
    let admin = &mut db.conn();
    let grid = grid(admin);
    ingest(admin, readings(&grid, day_one(), 24 * 60));
    // The owner's maintenance refresh materialises the day.
    grid_timescale::refresh(admin).unwrap();
    // A late reading for that day arrives through ingest.
    let writer = login(&db, Role::Writer);
    let late = vec![grid_timescale::ingest::Reading::new(
        grid.nairobi_sensors[0].id,
        day_one() + Duration::hours(6) + Duration::seconds(30),
        99.0,
    )];
    assert_eq!(ingest(&mut writer.conn(), late), 1);

    let analyst = login(&db, Role::Analyst);
    let a = &mut analyst.conn();
    let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let now = day_one() + Duration::days(3);
    let computed = compute_days(a, &AnalyticsConfig::default(), day, day, now);
    match db.mode() {
        grid_testdb::Mode::Community => {
            // TimescaleDB lets only the aggregates' owner refresh them: the analyst is told
            // so instead of computing from the stale bucket.
            match computed {
                Err(grid_analytics::AnalyticsError::Timescale(
                    TimescaleError::PermissionDenied {
                        needed, message, ..
                    },
                )) => {
                    assert!(needed.contains("owner"), "{needed}");
                    assert!(message.starts_with("1 stale hours"), "{message}");
                }
                other => panic!("expected a refusal, got {other:?}"),
            }
            grid_timescale::refresh(admin).unwrap();
            compute_days(a, &AnalyticsConfig::default(), day, day, now).unwrap();
        }
        _ => {
            // With rollup tables the analyst's own refresh brought the hour up to date.
            computed.unwrap();
            assert_eq!(
                count(
                    admin,
                    "SELECT count(*) AS n FROM grid_timescale_invalidations"
                ),
                0
            );
        }
    }
    assert_eq!(
        count(
            admin,
            &format!(
                "SELECT count(*) AS n FROM sensor_readings_hourly
                  WHERE sensor_id = '{}' AND bucket = '2026-11-20 06:00+00' AND max_value = 99",
                grid.nairobi_sensors[0].id
            )
        ),
        1,
        "the late reading is in the rollup the statistics used"
    );
}

#[test]
fn services_find_a_tokens_user_and_read_nothing_else_of_users() {
    let db = TestDb::new(&ACCESS);
    let admin = &mut db.conn();
    grid_store::users::add(admin, "op1", grid_model::UserRole::Operator, &[]).unwrap();
    let token = grid_store::users::issue_token(admin, "op1", None).unwrap();
    let reader = login(&db, Role::Reader);
    let r = &mut reader.conn();
    let found = grid_store::users::by_token(r, &token).unwrap().unwrap();
    assert_eq!(found.name, "op1");
    let zone = regional(&db, &[GridZone::Nairobi]);
    assert!(
        grid_store::users::by_token(&mut zone.conn(), &token)
            .unwrap()
            .is_some()
    );
    for c in [r, &mut zone.conn()] {
        assert_refused(c, "SELECT count(*) FROM grid_users");
        assert_refused(c, "SELECT count(*) FROM grid_user_tokens");
        assert_refused(
            c,
            "INSERT INTO grid_users (name, role) VALUES ('x', 'engineer')",
        );
    }
    // The engines have no business with users.
    for role in [Role::Writer, Role::Poller, Role::Analyst] {
        let l = login(&db, role);
        assert!(matches!(
            grid_store::users::by_token(&mut l.conn(), &token),
            Err(grid_store::StoreError::PermissionDenied(_))
        ));
    }
}
