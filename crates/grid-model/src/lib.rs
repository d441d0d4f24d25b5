#![doc = include_str!("../README.md")]

pub mod alarm;
pub mod alert;
pub mod alert_kind;
pub mod anomaly;
pub mod enums;
pub mod forecast;
pub mod maintenance;
pub mod outage;
pub mod security;
pub mod sensor;
pub mod sensor_metadata;
pub mod serde_seconds;
pub mod statistics;
pub mod substation;
pub mod thermal;
pub mod transformer;
pub mod user;
mod validation;

pub use alert::{
    Alert, AlertAction, AlertChange, AlertDraft, AlertHistoryEntry, AlertTransition, NewAlert,
    TransitionError, plan_transition,
};
pub use alert_kind::AlertKind;
pub use anomaly::{Anomaly, AnomalyDraft, EpisodeMetadata, NewAnomaly};
pub use enums::{
    AlarmGrade, AlertSeverity, AlertStatus, AnomalyKind, GridZone, InsulationPaper,
    MaintenanceType, SensorStatus, SensorType, ThermalAmbientSource, ThermalLoadSource,
    ThermalMethod, UnknownVariant, UserRole,
};
pub use forecast::{ForecastDraft, LoadForecast, NewForecast};
pub use maintenance::{MaintenanceDraft, MaintenanceRecord, MaintenanceStatus, NewMaintenance};
pub use outage::OutageMetadata;
pub use security::{NewSecurityEvent, SecurityEvent, SecurityEventDraft, SecurityEventKind};
pub use sensor::{NewSensor, Sensor, SensorDraft};
pub use sensor_metadata::{MeasurementRole, MetadataBand, SensorMetadata, VibrationBasis};
pub use statistics::{
    AlarmRateMetadata, DailyStatistics, LoadMetadata, ReliabilityMetadata, StatisticsMetadata,
    VoltageLevel,
};
pub use substation::{NewSubstation, Substation, SubstationDraft, VOLTAGE_LEVELS_KV};
pub use thermal::{NewThermalParameters, ThermalDay, ThermalParameters};
pub use transformer::{NewTransformer, Transformer, TransformerDraft};
pub use user::{User, valid_user_name};
pub use validation::{FieldError, ValidationErrors};
