//! The reference's seed is idempotent, and every enum variant round-trips through PostgreSQL.

mod common;

use diesel::prelude::*;
use diesel::sql_types::Text;
use grid_model::*;
use grid_store::enums::*;
use grid_store::schema::sql_types;
use grid_store::seed::{SEED_SUBSTATION_CODE, SeedReport, seed_initial_data};
use grid_store::{SensorRepository, SubstationRepository};

#[test]
fn seeding_twice_changes_nothing() {
    let db = common::db();
    let conn = &mut db.conn();
    let first = seed_initial_data(conn).unwrap();
    assert_eq!(
        first,
        SeedReport {
            substation_created: true,
            sensors_created: 3
        }
    );
    let substation = conn.substation_by_code(SEED_SUBSTATION_CODE).unwrap();
    assert_eq!(substation.name, "Nairobi West Substation");
    assert_eq!(
        (
            substation.zone,
            substation.voltage_level_kv,
            substation.num_transformers
        ),
        (GridZone::Nairobi, 220, 2)
    );
    let sensors = conn
        .sensors_of_substation(substation.id, None, None)
        .unwrap();
    let tags: Vec<_> = sensors
        .iter()
        .map(|s| (s.tag.as_str(), s.sensor_type, s.measurement_unit.as_deref()))
        .collect();
    assert_eq!(
        tags,
        [
            ("SENSOR-NRB-W-001", SensorType::Voltage, Some("kV")),
            ("SENSOR-NRB-W-002", SensorType::Current, Some("A")),
            ("SENSOR-NRB-W-003", SensorType::Frequency, Some("Hz")),
        ]
    );
    assert!(
        sensors
            .iter()
            .all(|s| s.is_critical && s.status == SensorStatus::Active)
    );

    let second = seed_initial_data(conn).unwrap();
    assert_eq!(
        second,
        SeedReport {
            substation_created: false,
            sensors_created: 0
        }
    );
    assert_eq!(
        conn.substation_by_code(SEED_SUBSTATION_CODE).unwrap(),
        substation
    );
    assert_eq!(
        conn.sensors_of_substation(substation.id, None, None)
            .unwrap(),
        sensors
    );
    assert_eq!(conn.substations().unwrap().len(), 1);
}

/// Binds each variant as the native enum, reads it back, and reads the label PostgreSQL
/// stores; also stores each variant in a real row.
macro_rules! round_trip {
    ($conn:expr, $model:ty, $db:ty, $sql:ty) => {
        for m in <$model>::ALL.iter().copied() {
            let value: $db = m.into();
            let back: $db = diesel::select(value.into_sql::<$sql>())
                .get_result($conn)
                .unwrap();
            assert_eq!(<$model>::from(back), m);
            #[derive(QueryableByName)]
            struct Label {
                #[diesel(sql_type = Text)]
                v: String,
            }
            let label = diesel::sql_query("SELECT $1::text AS v")
                .bind::<$sql, _>(value)
                .get_result::<Label>($conn)
                .unwrap();
            assert_eq!(label.v, m.as_str());
        }
    };
}

#[test]
fn every_enum_variant_round_trips_through_the_database() {
    let db = common::db();
    let conn = &mut db.conn();
    round_trip!(conn, GridZone, DbGridZone, sql_types::GridZone);
    round_trip!(conn, SensorType, DbSensorType, sql_types::SensorType);
    round_trip!(conn, SensorStatus, DbSensorStatus, sql_types::SensorStatus);
    round_trip!(
        conn,
        AlertSeverity,
        DbAlertSeverity,
        sql_types::AlertSeverity
    );
    round_trip!(conn, AlertStatus, DbAlertStatus, sql_types::AlertStatus);
    round_trip!(
        conn,
        MaintenanceType,
        DbMaintenanceType,
        sql_types::MaintenanceType
    );

    // And in stored rows.
    for (i, zone) in GridZone::ALL.iter().enumerate() {
        let s = common::add_substation(conn, &format!("Z-{i}"), *zone);
        assert_eq!(conn.substation(s.id).unwrap().zone, *zone);
        for (j, kind) in SensorType::ALL.iter().enumerate() {
            let sensor = common::add_sensor(conn, &s, &format!("Z-{i}-{j}"), *kind);
            let status = SensorStatus::ALL[j % SensorStatus::ALL.len()];
            let updated = conn
                .update_sensor(
                    sensor.id,
                    &grid_store::sensors::SensorUpdate {
                        status: Some(status),
                        ..Default::default()
                    },
                )
                .unwrap();
            assert_eq!((updated.sensor_type, updated.status), (*kind, status));
        }
    }
    for kind in MaintenanceType::ALL {
        let m = grid_store::maintenance::insert(
            conn,
            &NewMaintenance::new(MaintenanceDraft::new(*kind, "x")).unwrap(),
        )
        .unwrap();
        assert_eq!(m.maintenance_type, *kind);
    }
    for severity in AlertSeverity::ALL {
        let a = grid_store::alerts::raise(
            conn,
            &NewAlert::new(AlertDraft::new(AlertKind::Outage, *severity, "x")).unwrap(),
        )
        .unwrap();
        assert_eq!(a.severity, *severity);
    }
}
