//! Limit alarms under the roles: the roles that ingest (writer, poller) run the alarm engine
//! with nothing but their grants, a zone's login shelves and takes out of service its own
//! points only, and the reader may do neither.

mod common;

use chrono::Duration;
use common::*;
use diesel::prelude::*;
use grid_access::Role;
use grid_alarms_store::{Action, AlarmEngine, AlarmSettings, act};
use grid_model::{GridZone, Sensor, SensorType};
use grid_store::schema::{alarm_actions, alarm_points, grid_alerts};
use grid_testdb::TestDb;
use grid_testdb::inspect::count;
use grid_testkit::{sensor, substation};
use grid_timescale::OperatingLimits;
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, TimePolicy};

/// A 66 kV bus's ten minutes at 0.83 pu within an hour of one reading a minute.
fn sag(s: &Sensor) -> Vec<Reading> {
    (0..60)
        .map(|m| {
            let pu = if (20..30).contains(&m) { 0.83 } else { 1.0 };
            Reading::new(s.id, day_one() + Duration::minutes(m), 66.0 * pu)
        })
        .collect()
}

/// Ingests `readings` on `conn` with the alarm engine as the batch's scorer; returns the
/// alarms raised and cleared.
fn ingest_alarmed(conn: &mut PgConnection, readings: Vec<Reading>) -> (u64, u64) {
    let options = IngestOptions {
        time_policy: TimePolicy::replay(),
        ..IngestOptions::default()
    };
    let mut ingester = Ingester::new(conn, OperatingLimits::default(), options).unwrap();
    let mut engine = AlarmEngine::new(AlarmSettings::default());
    let report = ingester
        .ingest_batch_scored(conn, readings, &mut engine)
        .unwrap();
    assert_eq!(report.rejected, 0, "{report:?}");
    let c = engine.counts();
    (c.raised, c.cleared)
}

fn alerts_of(conn: &mut PgConnection, s: &Sensor) -> i64 {
    grid_alerts::table
        .filter(grid_alerts::sensor_id.eq(s.id))
        .count()
        .get_result(conn)
        .unwrap()
}

#[test]
fn the_roles_that_ingest_raise_alarms_and_a_zones_login_shelves_only_its_points() {
    let db = TestDb::new(&ACCESS);
    let admin = &mut db.conn();
    let nairobi = substation(admin, "NBI-ALM", GridZone::Nairobi, 66);
    let mombasa = substation(admin, "MSA-ALM", GridZone::Mombasa, 66);
    let nbi = sensor(admin, &nairobi, "NBI-ALM-V", SensorType::Voltage);
    let msa = sensor(admin, &mombasa, "MSA-ALM-V", SensorType::Voltage);

    // The writer and the poller each ingest a sag: one alarm raised and cleared, its alert
    // and the point's state written with their grants alone.
    let writer = login(&db, Role::Writer);
    assert_eq!(ingest_alarmed(&mut writer.conn(), sag(&nbi)), (1, 1));
    let poller = login(&db, Role::Poller);
    assert_eq!(ingest_alarmed(&mut poller.conn(), sag(&msa)), (1, 1));
    for s in [&nbi, &msa] {
        assert_eq!(alerts_of(admin, s), 1);
        let stored: i64 = alarm_points::table
            .find(s.id)
            .count()
            .get_result(admin)
            .unwrap();
        assert_eq!(stored, 1);
    }

    // A Nairobi operator shelves and takes out of service a Nairobi point; a Mombasa point
    // is not theirs, and the reader may act on none.
    let at = day_one() + Duration::hours(2);
    let shelve = Action::Shelve {
        until: at + Duration::hours(1),
        reason: "breaker maintenance".into(),
    };
    let out = Action::OutOfService {
        reason: "VT fuse replaced".into(),
    };
    let operator = regional(&db, &[GridZone::Nairobi]);
    let o = &mut operator.conn();
    act(o, nbi.id, "wanjiku", &shelve, at).unwrap();
    act(o, nbi.id, "wanjiku", &out, at).unwrap();
    act(o, nbi.id, "wanjiku", &Action::InService, at).unwrap();
    assert!(act(o, msa.id, "wanjiku", &shelve, at).is_err());
    let reader = login(&db, Role::Reader);
    assert!(act(&mut reader.conn(), nbi.id, "kamau", &shelve, at).is_err());

    let (shelved_by, out_since): (Option<String>, Option<chrono::DateTime<chrono::Utc>>) =
        alarm_points::table
            .find(nbi.id)
            .select((alarm_points::shelved_by, alarm_points::out_of_service_since))
            .first(admin)
            .unwrap();
    assert_eq!(shelved_by.as_deref(), Some("wanjiku"));
    assert_eq!(out_since, None, "back in service");
    let actions: Vec<(String, String)> = alarm_actions::table
        .order(alarm_actions::id)
        .select((alarm_actions::action, alarm_actions::actor))
        .load(admin)
        .unwrap();
    let names: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(names, ["shelve", "out_of_service", "in_service"]);
    assert!(actions.iter().all(|a| a.1 == "wanjiku"));
    let msa_shelved: Option<String> = alarm_points::table
        .find(msa.id)
        .select(alarm_points::shelved_by)
        .first(admin)
        .unwrap();
    assert_eq!(msa_shelved, None);

    // Each zone's flood state is its own: both areas stored, the Nairobi login sees one.
    let areas = "SELECT count(*) AS n FROM alarm_areas";
    assert_eq!(count(admin, areas), 2);
    assert_eq!(count(o, areas), 1);
    assert_eq!(
        count(
            o,
            "SELECT count(*) AS n FROM alarm_areas WHERE area = 'nairobi'"
        ),
        1
    );
    // The engine's roles write a point's state, never an operator's marks.
    let writer = &mut writer.conn();
    assert_refused(writer, "UPDATE alarm_points SET shelved_until = now()");
    assert_refused(writer, "DELETE FROM alarm_points");

    // The operator's record is evidence: not even the operator rewrites it.
    assert_refused(o, "DELETE FROM alarm_actions");
    assert_refused(o, "UPDATE alarm_actions SET actor = 'someone else'");
}
