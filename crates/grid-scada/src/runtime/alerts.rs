//! Device-communication alerts: one raised per outage of a device, resolved when it
//! answers again.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use diesel::PgConnection;
use grid_model::{AlertAction, AlertDraft, AlertSeverity, AlertTransition, NewAlert};
use grid_store::AlertRepository;
use uuid::Uuid;

use grid_model::AlertKind;

use super::*;

/// The key of a communication alert's metadata naming its device.
pub const DEVICE_KEY: &str = "device";

pub(super) fn flush_alerts(
    conn: &mut PgConnection,
    alerts: &mut Vec<ToWriter>,
    open: &mut HashMap<String, Uuid>,
    counters: &Counters,
) -> bool {
    while let Some(ToWriter::Alert {
        device,
        substation,
        raise,
        at,
        detail,
    }) = alerts.first()
    {
        let already = if *raise && !open.contains_key(device) {
            match open_alert_of(conn, device) {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(error = %e, "alert not written yet");
                    return false;
                }
            }
        } else {
            None
        };
        if let Some(id) = already {
            // A previous run of the poller raised it and the device is still silent.
            open.insert(device.clone(), id);
        }
        let done = if *raise && open.contains_key(device) {
            Ok(())
        } else if *raise {
            let mut d = AlertDraft::new(
                AlertKind::DeviceCommunication,
                AlertSeverity::Warning,
                format!("No answer from SCADA device {device}"),
            );
            d.substation_id = *substation;
            d.description = Some(detail.clone());
            d.raised_at = *at;
            d.raised_by = Some("scada-poller".into());
            d.metadata = serde_json::json!({ DEVICE_KEY: device });
            NewAlert::new(d)
                .map_err(grid_store::StoreError::from)
                .and_then(|a| conn.raise_alert(&a))
                .map(|a| {
                    open.insert(device.clone(), a.id);
                    counters.alerts_raised.fetch_add(1, Ordering::Relaxed);
                })
        } else {
            let known = match open.remove(device) {
                Some(id) => Ok(Some(id)),
                None => open_alert_of(conn, device),
            };
            match known {
                Err(e) => Err(e),
                Ok(None) => Ok(()),
                Ok(Some(id)) => {
                    let step = AlertTransition::now(
                        AlertAction::Resolve {
                            notes: Some(detail.clone()),
                        },
                        "scada-poller",
                    )
                    .at(*at);
                    conn.transition_alert(id, &step).map(|_| {
                        counters.alerts_resolved.fetch_add(1, Ordering::Relaxed);
                    })
                }
            }
        };
        match done {
            Ok(()) => {
                alerts.remove(0);
            }
            Err(e) => {
                tracing::warn!(error = %e, "alert not written yet");
                return false;
            }
        }
    }
    true
}

/// The open communication alert of `device`, raised by this or an earlier run.
fn open_alert_of(conn: &mut PgConnection, device: &str) -> grid_store::StoreResult<Option<Uuid>> {
    Ok(conn
        .open_alerts()?
        .into_iter()
        .find(|a| {
            a.alert_type == AlertKind::DeviceCommunication && a.metadata[DEVICE_KEY] == device
        })
        .map(|a| a.id))
}
