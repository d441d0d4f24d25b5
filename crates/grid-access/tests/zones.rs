//! A regional login sees and writes only its zones, in every server mode: substations,
//! sensors, alerts, statistics through row-level security; readings (hypertable chunks,
//! compressed ones included), latest values and rollups through the zone views.

mod common;

use chrono::{Duration, NaiveDate};
use common::*;
use diesel::connection::SimpleConnection;
use grid_access::Role;
use grid_analytics::compute::{AnalyticsConfig, compute_days};
use grid_model::{AlertDraft, AlertKind, AlertSeverity, GridZone, NewAlert};
use grid_store::AlertRepository;
use grid_testdb::inspect::count;
use grid_testdb::{Mode, TestDb};

fn n(conn: &mut diesel::PgConnection, sql: &str) -> i64 {
    count(conn, &format!("SELECT count(*) AS n FROM ({sql}) q"))
}

#[test]
fn a_zone_login_sees_only_its_zones() {
    let db = TestDb::new(&ACCESS);
    let admin = &mut db.conn();
    let grid = grid(admin);
    let minutes = 2 * 24 * 60;
    ingest(admin, readings(&grid, day_one(), minutes));
    grid_timescale::refresh(admin).unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    compute_days(
        admin,
        &AnalyticsConfig::default(),
        day,
        day,
        day_one() + Duration::days(3),
    )
    .unwrap();
    let mut alert_ids = Vec::new();
    for s in [&grid.nairobi, &grid.mombasa] {
        let mut d = AlertDraft::new(
            AlertKind::Overheating,
            AlertSeverity::Warning,
            "hot transformer",
        );
        d.substation_id = Some(s.id);
        alert_ids.push(admin.raise_alert(&NewAlert::new(d).unwrap()).unwrap().id);
    }
    if db.mode() == Mode::Community {
        // Compressed chunks are read through the views as well.
        grid_timescale::compression::enable_compression(admin, Duration::days(1)).unwrap();
        admin
            .batch_execute("SELECT count(compress_chunk(c)) FROM show_chunks('sensor_readings') c")
            .unwrap();
    }
    // A chunk made after the grants: TimescaleDB gives it the hypertable's.
    let late = day_one() + Duration::days(5);
    ingest(admin, readings(&grid, late, 10));

    let nairobi = regional(&db, &[GridZone::Nairobi]);
    let z = &mut nairobi.conn();
    let own: Vec<String> = grid
        .nairobi_sensors
        .iter()
        .map(|s| format!("'{}'", s.id))
        .collect();
    let own = own.join(", ");
    assert_eq!(n(z, "SELECT * FROM grid_substations"), 1);
    assert_eq!(
        n(
            z,
            &format!(
                "SELECT * FROM grid_substations WHERE id = '{}'",
                grid.nairobi.id
            )
        ),
        1
    );
    assert_eq!(n(z, "SELECT * FROM grid_sensors"), 2);
    assert_eq!(
        n(
            z,
            &format!("SELECT * FROM grid_sensors WHERE id IN ({own})")
        ),
        2
    );
    let per_sensor = minutes + 10;
    assert_eq!(n(z, "SELECT * FROM grid_zone_readings"), 2 * per_sensor);
    assert_eq!(
        n(
            z,
            &format!("SELECT * FROM grid_zone_readings WHERE sensor_id NOT IN ({own})")
        ),
        0
    );
    assert_eq!(
        n(
            z,
            &format!("SELECT * FROM grid_zone_readings WHERE \"timestamp\" >= '{late}'")
        ),
        20,
        "the chunk made after the grants"
    );
    assert_eq!(n(z, "SELECT * FROM grid_zone_latest_readings"), 2);
    assert_eq!(
        n(
            z,
            "SELECT * FROM grid_zone_readings_hourly WHERE bucket < '2026-11-22'"
        ),
        2 * 48
    );
    assert_eq!(
        n(
            z,
            &format!("SELECT * FROM grid_zone_readings_hourly WHERE sensor_id NOT IN ({own})")
        ),
        0
    );
    assert!(n(z, "SELECT * FROM grid_zone_readings_daily") >= 2 * 2);
    assert_eq!(
        n(
            z,
            &format!("SELECT * FROM grid_zone_readings_daily WHERE sensor_id NOT IN ({own})")
        ),
        0
    );
    assert_eq!(n(z, "SELECT * FROM daily_grid_statistics"), 1);
    assert_eq!(
        n(
            z,
            "SELECT * FROM daily_grid_statistics WHERE zone = 'nairobi'"
        ),
        1
    );
    assert_eq!(n(z, "SELECT * FROM grid_alerts"), 1);

    // It acknowledges its own zone's alert (through the lifecycle, recorded); another
    // zone's is not there to change.
    let ack = grid_model::AlertTransition::now(grid_model::AlertAction::Acknowledge, "nbi-rcc");
    grid_store::alerts::transition(z, alert_ids[0], &ack).unwrap();
    assert!(matches!(
        grid_store::alerts::transition(z, alert_ids[1], &ack),
        Err(grid_store::StoreError::NotFound { .. })
    ));
    assert_eq!(
        diesel::RunQueryDsl::execute(
            diesel::sql_query(format!(
                "UPDATE grid_alerts SET status = 'acknowledged', acknowledged_at = now(),
                        acknowledged_by = 'nbi-rcc' WHERE id = '{}'",
                alert_ids[1]
            )),
            z
        )
        .unwrap(),
        0
    );
    // Nor can it record a step of another zone's alert.
    assert_refused(
        z,
        &format!(
            "INSERT INTO alert_transitions (alert_id, from_status, to_status, actor, occurred_at) VALUES ('{}', 'open', 'acknowledged', 'x', now())",
            alert_ids[1]
        ),
    );

    // Two zones: both; no zone: nothing; the national reader: everything.
    let two = regional(&db, &[GridZone::Nairobi, GridZone::Mombasa]);
    let t = &mut two.conn();
    assert_eq!(n(t, "SELECT * FROM grid_substations"), 2);
    assert_eq!(n(t, "SELECT * FROM grid_zone_readings"), 4 * per_sensor);
    let none = regional(&db, &[]);
    let o = &mut none.conn();
    assert_eq!(n(o, "SELECT * FROM grid_substations"), 0);
    assert_eq!(n(o, "SELECT * FROM grid_zone_readings"), 0);
    assert_eq!(n(o, "SELECT * FROM grid_alerts"), 0);
    let reader = login(&db, Role::Reader);
    let r = &mut reader.conn();
    assert_eq!(n(r, "SELECT * FROM grid_substations"), 2);
    assert_eq!(n(r, "SELECT * FROM sensor_readings"), 4 * per_sensor);
    assert_eq!(n(r, "SELECT * FROM grid_zone_readings"), 4 * per_sensor);
    assert_eq!(n(r, "SELECT * FROM grid_alerts"), 2);

    // Membership is the only input: a setting the client changes does not widen it.
    z.batch_execute("SET ROLE NONE; SET grid.zone = 'mombasa'")
        .unwrap();
    assert_eq!(n(z, "SELECT * FROM grid_substations"), 1);
}

#[test]
fn apply_is_idempotent_and_remove_reverses_it() {
    let db = TestDb::new(&ACCESS);
    let conn = &mut db.conn();
    let names = grid_access::RoleNames::default();
    let again = grid_access::apply(conn, &names).unwrap();
    assert!(again.created_roles.is_empty(), "{again:?}");
    assert!(again.unlisted.is_empty(), "{again:?}");
    let before = grid_testdb::inspect::schema_snapshot(conn);
    grid_access::remove(conn, &names).unwrap();
    assert_eq!(
        count(
            conn,
            "SELECT count(*) AS n FROM pg_policies WHERE schemaname = 'public'"
        ),
        0
    );
    assert_eq!(
        count(
            conn,
            "SELECT count(*) AS n FROM pg_class WHERE relname LIKE 'grid_zone_%' AND relkind = 'v'"
        ),
        0
    );
    let reader = login(&db, Role::Reader);
    assert_refused(&mut reader.conn(), "SELECT count(*) FROM grid_substations");
    grid_access::apply(conn, &names).unwrap();
    assert_eq!(grid_testdb::inspect::schema_snapshot(conn), before);
}
