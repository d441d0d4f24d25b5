//! SCADA cyber-security events.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::AlertSeverity;
use crate::validation::{Checker, validated};

/// A SCADA cyber-security event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityEvent {
    /// Identifier.
    pub id: Uuid,
    /// failed_login, unusual_command, unauthorized_access…
    pub event_type: String,
    /// Severity.
    pub severity: AlertSeverity,
    /// Source address.
    pub source_ip: Option<IpAddr>,
    /// Source user.
    pub source_user: Option<String>,
    /// System targeted.
    pub target_system: Option<String>,
    /// Details.
    pub description: Option<String>,
    /// Command attempted.
    pub command_attempted: Option<String>,
    /// Access level the command needs.
    pub access_level_required: Option<String>,
    /// agent, IDS, manual.
    pub detected_by: Option<String>,
    /// How it was detected.
    pub detection_method: Option<String>,
    /// Blocked.
    pub is_blocked: bool,
    /// Response.
    pub response_action: Option<String>,
    /// Looked at by a person.
    pub investigated: bool,
    /// Judged a threat.
    pub is_threat: Option<bool>,
    /// Free-form attributes.
    pub metadata: Value,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was detected.
    pub detected_at: DateTime<Utc>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
}

/// The fields of a new security event, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityEventDraft {
    /// See [`SecurityEvent::event_type`].
    pub event_type: String,
    /// See [`SecurityEvent::severity`].
    pub severity: AlertSeverity,
    /// See [`SecurityEvent::source_ip`].
    pub source_ip: Option<IpAddr>,
    /// See [`SecurityEvent::source_user`].
    pub source_user: Option<String>,
    /// See [`SecurityEvent::target_system`].
    pub target_system: Option<String>,
    /// See [`SecurityEvent::description`].
    pub description: Option<String>,
    /// See [`SecurityEvent::command_attempted`].
    pub command_attempted: Option<String>,
    /// See [`SecurityEvent::access_level_required`].
    pub access_level_required: Option<String>,
    /// See [`SecurityEvent::detected_by`].
    pub detected_by: Option<String>,
    /// See [`SecurityEvent::detection_method`].
    pub detection_method: Option<String>,
    /// See [`SecurityEvent::is_blocked`].
    pub is_blocked: bool,
    /// See [`SecurityEvent::response_action`].
    pub response_action: Option<String>,
    /// See [`SecurityEvent::metadata`].
    pub metadata: Value,
    /// See [`SecurityEvent::occurred_at`].
    pub occurred_at: DateTime<Utc>,
    /// See [`SecurityEvent::detected_at`]; defaults to now.
    pub detected_at: DateTime<Utc>,
}

impl SecurityEventDraft {
    /// An event with the required fields, detected now.
    pub fn new(
        event_type: impl Into<String>,
        severity: AlertSeverity,
        occurred_at: DateTime<Utc>,
    ) -> Self {
        SecurityEventDraft {
            event_type: event_type.into(),
            severity,
            source_ip: None,
            source_user: None,
            target_system: None,
            description: None,
            command_attempted: None,
            access_level_required: None,
            detected_by: None,
            detection_method: None,
            is_blocked: false,
            response_action: None,
            metadata: Value::Object(Default::default()),
            occurred_at,
            detected_at: Utc::now(),
        }
    }

    fn validate(&self) -> Result<(), crate::ValidationErrors> {
        Checker::new("security event")
            .text("event_type", &self.event_type, 100)
            .text_opt("source_user", self.source_user.as_deref(), 100)
            .text_opt("target_system", self.target_system.as_deref(), 100)
            .text_opt("command_attempted", self.command_attempted.as_deref(), 500)
            .text_opt(
                "access_level_required",
                self.access_level_required.as_deref(),
                50,
            )
            .text_opt("detected_by", self.detected_by.as_deref(), 100)
            .text_opt("detection_method", self.detection_method.as_deref(), 100)
            .text_opt("response_action", self.response_action.as_deref(), 100)
            .object("metadata", &self.metadata)
            .finish()
    }
}

validated! {
    /// A validated new security event.
    NewSecurityEvent(SecurityEventDraft)
}
