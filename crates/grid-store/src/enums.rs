//! Mirrors of grid-model's enums as native PostgreSQL enums, with `From` both ways.
//!
//! grid-model stays free of Diesel; these types exist only at the database boundary.
//! diesel-derive-enum maps `InProgress` to the label `in_progress` (snake case), which is
//! exactly the reference models' stored value; a label snake case cannot spell
//! (`ieee_c57_91`) is given beside its variant.

macro_rules! db_enum {
    ($db:ident mirrors $model:ident as $sql:literal { $($v:ident $(= $label:literal)?),+ $(,)? }) => {
        #[doc = concat!("The database form of [`grid_model::", stringify!($model), "`].")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel_derive_enum::DbEnum)]
        #[ExistingTypePath = $sql]
        #[allow(missing_docs)]
        pub enum $db { $($(#[db_rename = $label])? $v),+ }

        impl From<$db> for grid_model::$model {
            fn from(v: $db) -> Self {
                match v { $($db::$v => grid_model::$model::$v),+ }
            }
        }

        impl From<grid_model::$model> for $db {
            fn from(v: grid_model::$model) -> Self {
                match v { $(grid_model::$model::$v => $db::$v),+ }
            }
        }
    };
}

db_enum!(DbGridZone mirrors GridZone as "crate::schema::sql_types::GridZone" {
    Nairobi, Mombasa, Kisumu, Nakuru, Eldoret, Western, Central, Coastal,
});
db_enum!(DbSensorType mirrors SensorType as "crate::schema::sql_types::SensorType" {
    Voltage, Current, Frequency, PowerFactor, Temperature, Vibration, TransformerOil, Load,
});
db_enum!(DbSensorStatus mirrors SensorStatus as "crate::schema::sql_types::SensorStatus" {
    Active, Inactive, Faulty, Maintenance,
});
db_enum!(DbAlertSeverity mirrors AlertSeverity as "crate::schema::sql_types::AlertSeverity" {
    Info, Warning, Critical, Emergency,
});
db_enum!(DbAlertStatus mirrors AlertStatus as "crate::schema::sql_types::AlertStatus" {
    Open, Acknowledged, InProgress, Resolved, Closed,
});
db_enum!(DbMaintenanceType mirrors MaintenanceType as "crate::schema::sql_types::MaintenanceType" {
    Preventive, Predictive, Corrective, Emergency,
});
db_enum!(DbThermalMethod mirrors ThermalMethod as "crate::schema::sql_types::ThermalMethod" {
    IeeeC5791 = "ieee_c57_91", Iec600767 = "iec_60076_7",
});
db_enum!(DbInsulationPaper mirrors InsulationPaper as "crate::schema::sql_types::InsulationPaper" {
    ThermallyUpgraded, NonUpgraded,
});
db_enum!(DbThermalLoadSource mirrors ThermalLoadSource as "crate::schema::sql_types::ThermalLoadSource" {
    TransformerCurrent, TransformerLoad, IncomerShare,
});
db_enum!(DbThermalAmbientSource mirrors ThermalAmbientSource as "crate::schema::sql_types::ThermalAmbientSource" {
    Sensor, ZoneProfile,
});
