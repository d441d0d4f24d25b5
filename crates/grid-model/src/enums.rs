//! The reference models' enums (see the crate's front page), stored and serialised by their lowercase values.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Text that names no variant of an enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}; expected one of: {expected}")]
pub struct UnknownVariant {
    /// The enum, e.g. `grid zone`.
    pub kind: &'static str,
    /// The text that was given.
    pub value: String,
    /// The accepted values, comma separated.
    pub expected: String,
}

macro_rules! domain_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored, lowercase value.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownVariant;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownVariant {
                        kind: $kind,
                        value: s.to_owned(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }
    };
}

domain_enum! {
    /// A zone of the grid.
    GridZone, "grid zone" {
        /// Nairobi.
        Nairobi => "nairobi",
        /// Mombasa.
        Mombasa => "mombasa",
        /// Kisumu.
        Kisumu => "kisumu",
        /// Nakuru.
        Nakuru => "nakuru",
        /// Eldoret.
        Eldoret => "eldoret",
        /// Western.
        Western => "western",
        /// Central.
        Central => "central",
        /// Coastal.
        Coastal => "coastal",
    }
}

domain_enum! {
    /// What a sensor measures.
    SensorType, "sensor type" {
        /// Voltage, kV.
        Voltage => "voltage",
        /// Current, A.
        Current => "current",
        /// Frequency, Hz.
        Frequency => "frequency",
        /// Power factor, 0–1.
        PowerFactor => "power_factor",
        /// Temperature, °C (ambient, winding).
        Temperature => "temperature",
        /// Vibration, in the unit of its basis (the sensor's `metadata.vibration_basis`:
        /// velocity RMS in mm/s, ISO 20816-1's quantity, or acceleration in m/s²). No default
        /// alarm band: ISO 20816's zones are for rotating machines, not a transformer's
        /// tank; a band comes from configuration or the unit's own baseline.
        Vibration => "vibration",
        /// Transformer oil temperature or condition.
        TransformerOil => "transformer_oil",
        /// Active load, MW.
        Load => "load",
    }
}

domain_enum! {
    /// A sensor's operational status.
    SensorStatus, "sensor status" {
        /// In service.
        Active => "active",
        /// Out of service: its readings are refused.
        Inactive => "inactive",
        /// Known faulty.
        Faulty => "faulty",
        /// Under maintenance.
        Maintenance => "maintenance",
    }
}

domain_enum! {
    /// How severe an alert, anomaly or security event is; ordered
    /// info < warning < critical < emergency.
    AlertSeverity, "alert severity" {
        /// For information.
        Info => "info",
        /// Needs attention.
        Warning => "warning",
        /// Needs action now.
        Critical => "critical",
        /// Endangers supply or safety.
        Emergency => "emergency",
    }
}

domain_enum! {
    /// Where an alert is in its lifecycle (see [`crate::alert`]).
    AlertStatus, "alert status" {
        /// Raised, nobody has taken it.
        Open => "open",
        /// An operator has seen it.
        Acknowledged => "acknowledged",
        /// Someone works on it.
        InProgress => "in_progress",
        /// The condition is gone.
        Resolved => "resolved",
        /// Reviewed and filed.
        Closed => "closed",
    }
}

domain_enum! {
    /// The grade of a limit alarm (ISA-18.2 / IEC 62682 limit alarms; PI's LoLo/Lo/Hi/HiHi):
    /// past the normal band (Lo, Hi) or past the emergency band (LoLo, HiHi).
    AlarmGrade, "alarm grade" {
        /// Below the emergency band.
        LoLo => "lolo",
        /// Below the normal band.
        Lo => "lo",
        /// Above the normal band.
        Hi => "hi",
        /// Above the emergency band.
        HiHi => "hihi",
    }
}

domain_enum! {
    /// What a user of the API and pages may do (see [`crate::user`]); each role may do what
    /// the one before it may.
    UserRole, "user role" {
        /// Reads everything of its zones.
        Viewer => "viewer",
        /// Also acknowledges and shelves alarms.
        Operator => "operator",
        /// Also changes settings and assets.
        Engineer => "engineer",
    }
}

domain_enum! {
    /// Kind of maintenance work.
    MaintenanceType, "maintenance type" {
        /// Planned by calendar.
        Preventive => "preventive",
        /// Planned from condition monitoring.
        Predictive => "predictive",
        /// Repair after a fault.
        Corrective => "corrective",
        /// Unplanned and urgent.
        Emergency => "emergency",
    }
}

domain_enum! {
    /// Which standard's thermal model computes a transformer's temperatures.
    ThermalMethod, "thermal method" {
        /// IEEE C57.91-2011 clause 7 (exponential top-oil and hot-spot rises).
        IeeeC5791 => "ieee_c57_91",
        /// IEC 60076-7:2018 clause 8.2 (the differential equations with k11, k21, k22).
        Iec600767 => "iec_60076_7",
    }
}

domain_enum! {
    /// A transformer's winding paper, which sets its ageing law.
    InsulationPaper, "insulation paper" {
        /// Thermally upgraded paper: the Arrhenius law with 110 °C reference (IEEE C57.91
        /// clause 5, IEC 60076-7 clause 6.3).
        ThermallyUpgraded => "thermally_upgraded",
        /// Non-upgraded (Kraft) paper: V = 2^((θh − 98)/6) (IEC 60076-7 clause 6.3).
        NonUpgraded => "non_upgraded",
    }
}

domain_enum! {
    /// Where a thermal assessment took a transformer's load from.
    ThermalLoadSource, "thermal load source" {
        /// A current sensor linked to the transformer.
        TransformerCurrent => "transformer_current",
        /// A load (MW) sensor linked to the transformer.
        TransformerLoad => "transformer_load",
        /// The substation's incomer shared among its in-service transformers by rating.
        IncomerShare => "incomer_share",
    }
}

domain_enum! {
    /// Where a thermal assessment took the ambient temperature from.
    ThermalAmbientSource, "thermal ambient source" {
        /// A temperature sensor whose metadata names it ambient.
        Sensor => "sensor",
        /// The configured daily profile of the substation's zone.
        ZoneProfile => "zone_profile",
    }
}

domain_enum! {
    /// What kind of anomaly an episode is (`anomaly_detections.anomaly_type`).
    AnomalyKind, "anomaly kind" {
        /// One or a few readings far off their neighbours.
        Spike => "spike",
        /// The level wanders away slowly.
        Drift => "drift",
        /// The level jumps and stays.
        LevelShift => "level_shift",
        /// The same value repeated: a frozen transducer or front end.
        Stuck => "stuck",
        /// The noise grows: a loose contact, a dying sensor.
        Noise => "noise",
        /// The day's shape departs from the sensor's own daily profile.
        PatternBreak => "pattern_break",
        /// Measurements that must agree do not (feeders against their incomer).
        Imbalance => "imbalance",
    }
}

impl AlertSeverity {
    fn rank(self) -> u8 {
        match self {
            AlertSeverity::Info => 0,
            AlertSeverity::Warning => 1,
            AlertSeverity::Critical => 2,
            AlertSeverity::Emergency => 3,
        }
    }
}

impl PartialOrd for AlertSeverity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for AlertSeverity {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl MaintenanceType {
    /// Preventive and predictive work is scheduled; corrective and emergency work is not.
    pub fn is_scheduled(self) -> bool {
        matches!(
            self,
            MaintenanceType::Preventive | MaintenanceType::Predictive
        )
    }
}

impl AlertStatus {
    /// Open, acknowledged or in progress: still needs someone.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            AlertStatus::Open | AlertStatus::Acknowledged | AlertStatus::InProgress
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T>(all: &[T])
    where
        T: Copy + fmt::Display + FromStr + PartialEq + fmt::Debug + Serialize,
        T::Err: fmt::Debug,
    {
        for v in all {
            let text = v.to_string();
            assert_eq!(text.parse::<T>().unwrap(), *v);
            assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{text}\""));
        }
    }

    #[test]
    fn every_variant_round_trips_through_text_and_serde() {
        round_trip(GridZone::ALL);
        round_trip(SensorType::ALL);
        round_trip(SensorStatus::ALL);
        round_trip(AlertSeverity::ALL);
        round_trip(AlertStatus::ALL);
        round_trip(MaintenanceType::ALL);
        assert_eq!(AlertStatus::InProgress.as_str(), "in_progress");
        assert_eq!(SensorType::TransformerOil.as_str(), "transformer_oil");
    }

    #[test]
    fn unknown_text_is_a_clear_error() {
        let err = "Nairobi".parse::<GridZone>().unwrap_err();
        assert_eq!(err.kind, "grid zone");
        let msg = err.to_string();
        assert!(
            msg.contains("\"Nairobi\"") && msg.contains("nairobi, mombasa"),
            "{msg}"
        );
        assert!(serde_json::from_str::<GridZone>("\"atlantis\"").is_err());
    }

    #[test]
    fn severity_is_ordered() {
        use AlertSeverity::*;
        assert!(Info < Warning && Warning < Critical && Critical < Emergency);
        let mut v = vec![Emergency, Info, Critical, Warning];
        v.sort();
        assert_eq!(v, vec![Info, Warning, Critical, Emergency]);
    }
}
