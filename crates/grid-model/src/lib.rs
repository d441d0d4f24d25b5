#![doc = include_str!("../README.md")]

pub mod alert;
pub mod enums;
pub mod infrastructure;
pub mod operations;
mod validation;

pub use alert::{
    Alert, AlertAction, AlertChange, AlertDraft, AlertHistoryEntry, AlertTransition, NewAlert,
    TransitionError, plan_transition,
};
pub use enums::{
    AlertSeverity, AlertStatus, GridZone, MaintenanceType, SensorStatus, SensorType, UnknownVariant,
};
pub use infrastructure::{
    NewSensor, NewSubstation, NewTransformer, Sensor, SensorDraft, Substation, SubstationDraft,
    Transformer, TransformerDraft, VOLTAGE_LEVELS_KV,
};
pub use operations::{
    Anomaly, AnomalyDraft, DailyStatistics, ForecastDraft, LoadForecast, MaintenanceDraft,
    MaintenanceRecord, MaintenanceStatus, NewAnomaly, NewForecast, NewMaintenance,
    NewSecurityEvent, SecurityEvent, SecurityEventDraft,
};
pub use validation::{FieldError, ValidationErrors};
