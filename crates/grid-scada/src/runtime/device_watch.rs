//! What a poller sees of a device that matters for security: its identification (function
//! 43/14, read once at each connect where the device supports it) changing, and a read plan
//! that worked refused with an exception (the device reconfigured, or replaced). Both become
//! security events, the device as their source.

use std::collections::HashSet;
use std::net::SocketAddr;

use chrono::Utc;
use grid_model::{AlertSeverity, SecurityEventKind};

use crate::client::{ReadError, ReadOnlyClient};
use crate::config::RegisterKind;
use crate::plan::Read;
use crate::poll::Poll;
use crate::security::Emit;

/// Who detects: the `detected_by` of the poller's events.
pub(crate) const DETECTED_BY: &str = "grid-scada-poller";

/// One device's watch.
pub(crate) struct DeviceWatch {
    name: String,
    addr: SocketAddr,
    identity: Option<String>,
    /// The reads the device has answered.
    answered: HashSet<(RegisterKind, u16, u16)>,
}

impl DeviceWatch {
    pub(crate) fn new(name: &str, addr: SocketAddr) -> DeviceWatch {
        DeviceWatch {
            name: name.to_owned(),
            addr,
            identity: None,
            answered: HashSet::new(),
        }
    }

    fn event(&self, kind: SecurityEventKind, severity: AlertSeverity, detail: &str) -> Emit {
        Emit::new(
            kind,
            severity,
            (Some(self.addr.ip()), &self.name),
            detail,
            Utc::now(),
            DETECTED_BY,
        )
    }

    /// After a connect: reads the identification and compares it with the last one seen.
    pub(crate) async fn connected(&mut self, client: &mut ReadOnlyClient) -> Vec<Emit> {
        let id = match client.identify().await {
            Ok(Some(id)) => id,
            Ok(None) => return Vec::new(),
            Err(e) => {
                tracing::debug!(device = %self.name, error = %e, "no device identification");
                return Vec::new();
            }
        };
        let previous = self.identity.replace(id.clone());
        match previous {
            Some(before) if before != id => {
                tracing::error!(device = %self.name, before = %before, now = %id, "device identity changed");
                let mut e = self.event(
                    SecurityEventKind::DeviceIdentityChanged,
                    AlertSeverity::Critical,
                    &id,
                );
                e.draft = e.draft.command(&format!(
                    "FC43/14 identification was {before:?}, now {id:?}"
                ));
                e.draft.detection_method = Some("device identification at connect".into());
                e.draft.response_action = Some("reported; polling continues".into());
                vec![e]
            }
            _ => Vec::new(),
        }
    }

    /// After a poll: a device exception for a read it answered before.
    pub(crate) fn polled(&mut self, reads: &[Read], result: &Result<Poll, ReadError>) -> Vec<Emit> {
        let poll = match result {
            Ok(poll) => poll,
            Err(ReadError::HeaderMismatch {
                asked,
                answered,
                message,
            }) if asked != answered => {
                let mut e = self.event(
                    SecurityEventKind::UnexpectedUnitReply,
                    AlertSeverity::Critical,
                    &format!("{answered:?}"),
                );
                e.draft = e.draft.command(&format!(
                    "a read of unit {} answered by unit {}: {message}",
                    asked.map_or("?".into(), |u| u.to_string()),
                    answered.map_or("?".into(), |u| u.to_string())
                ));
                e.draft.detection_method = Some("reply header check".into());
                e.draft.response_action = Some("reply discarded; reconnecting".into());
                return vec![e];
            }
            Err(_) => return Vec::new(),
        };
        let mut out = Vec::new();
        for r in reads {
            let key = (r.kind, r.start, r.count);
            let refused = poll.exceptions.iter().find_map(|e| match e {
                ReadError::Exception {
                    code,
                    kind,
                    start,
                    count,
                } if (*kind, *start, *count) == key => Some(code),
                _ => None,
            });
            match refused {
                None => {
                    self.answered.insert(key);
                }
                Some(code) if self.answered.contains(&key) => {
                    let mut e = self.event(
                        SecurityEventKind::TamperingException,
                        AlertSeverity::Warning,
                        &format!("{:?}:{}:{}", r.kind, r.start, r.count),
                    );
                    e.draft = e.draft.command(&format!(
                        "read of {} {:?} registers at {} answered {code:?}, which it answered before",
                        r.count, r.kind, r.start
                    ));
                    e.draft.detection_method = Some("a read that worked, refused".into());
                    e.draft.response_action = Some("reported; the poller retries".into());
                    out.push(e);
                }
                Some(_) => {}
            }
        }
        out
    }
}
