//! What the guard does with one request of a known client: forward it, or refuse it with the
//! exception that fits and say why. Pure: the policy, the request and the time in, a verdict
//! out.
//!
//! Deny by default, in this order: a write to the broadcast unit 0 (01, critical); a unit id
//! the device does not serve (0A, a probe counted towards a scan); a function the client may
//! not use (01; diagnostics and any write are critical); a read outside the client's ranges
//! (02); a write to a register no rule covers (02), with a value outside the rule's range
//! (03) or outside its maintenance window (01), all critical.

use chrono::{DateTime, Utc};
use grid_model::{AlertSeverity, SecurityEventKind};

use crate::frame::{Exception, Request, Table};
use crate::policy::{ClientPolicy, DevicePolicy};

/// Why a request was refused, for its security event.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The event's kind.
    pub kind: SecurityEventKind,
    /// How serious.
    pub severity: AlertSeverity,
    /// The access level the request needed (`read`, `write`, `diagnostic`, `identification`).
    pub access: &'static str,
    /// The part of the fold key beyond source and device (what makes repeats the same).
    pub detail: String,
    /// Why, in words.
    pub reason: String,
}

/// The guard's decision on one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Pass it to the device.
    Forward,
    /// Answer with an exception, never forwarded.
    Refuse(Exception, Finding),
    /// A unit id the device does not serve: answered with 0A, counted towards a unit-id scan.
    UnitProbe,
}

fn refuse(
    exception: Exception,
    kind: SecurityEventKind,
    severity: AlertSeverity,
    access: &'static str,
    detail: String,
    reason: impl Into<String>,
) -> Verdict {
    Verdict::Refuse(
        exception,
        Finding {
            kind,
            severity,
            access,
            detail,
            reason: reason.into(),
        },
    )
}

fn read_allowed(client: &ClientPolicy, table: Table, start: u16, count: u16) -> bool {
    client.read.iter().any(|r| r.covers(table, start, count))
}

/// Judges a write of `values` from `start`; `exact` false when the values are unknown (mask
/// write: only a rule without a value range admits it).
fn judge_write(
    client: &ClientPolicy,
    table: Table,
    start: u16,
    values: &[u16],
    exact: bool,
    (now, zone): (DateTime<Utc>, Option<chrono_tz::Tz>),
) -> Verdict {
    let write = |exception, reason: String| {
        refuse(
            exception,
            SecurityEventKind::WriteOutsidePolicy,
            AlertSeverity::Critical,
            "write",
            table.number(start),
            reason,
        )
    };
    for (i, v) in values.iter().enumerate() {
        let address = start.wrapping_add(i as u16);
        let Some(rule) = client.write.iter().find(|r| r.covers(table, address)) else {
            return write(
                Exception::IllegalDataAddress,
                format!(
                    "no rule lets {} write {}",
                    client.name,
                    table.number(address)
                ),
            );
        };
        let value_ok = if exact {
            rule.admits(*v)
        } else {
            rule.min.is_none() && rule.max.is_none()
        };
        if !value_ok {
            return write(
                Exception::IllegalDataValue,
                format!(
                    "value outside {}–{}",
                    rule.min.unwrap_or(0),
                    rule.max.unwrap_or(u16::MAX)
                ),
            );
        }
        if !rule.open_at(now, zone) {
            return write(
                Exception::IllegalFunction,
                format!(
                    "outside the maintenance window {}",
                    rule.window.as_deref().unwrap_or("")
                ),
            );
        }
    }
    Verdict::Forward
}

/// Judges `request` for `unit` from `client` of `device` at `now` (maintenance windows in
/// `zone`).
pub fn judge(
    device: &DevicePolicy,
    client: &ClientPolicy,
    unit: u8,
    request: &Request,
    now: DateTime<Utc>,
    zone: Option<chrono_tz::Tz>,
) -> Verdict {
    let fc = request.function();
    let detail = request.fold_detail();
    if unit == 0 {
        if request.writes() {
            return refuse(
                Exception::IllegalFunction,
                SecurityEventKind::BroadcastWrite,
                AlertSeverity::Critical,
                "write",
                detail.clone(),
                "a write to the broadcast unit 0 reaches every device on the line",
            );
        }
        return Verdict::UnitProbe;
    }
    if !device.unit_ids.contains(&unit) {
        return Verdict::UnitProbe;
    }
    if !client.functions.contains(&fc) {
        let (kind, severity, access) = match request {
            Request::Diagnostics { .. } => (
                SecurityEventKind::DiagnosticRequest,
                AlertSeverity::Critical,
                "diagnostic",
            ),
            Request::DeviceIdentification { .. } => (
                SecurityEventKind::DeviceIdentificationRequest,
                AlertSeverity::Warning,
                "identification",
            ),
            r if r.writes() => (
                SecurityEventKind::WriteOutsidePolicy,
                AlertSeverity::Critical,
                "write",
            ),
            _ => (
                SecurityEventKind::ForbiddenFunction,
                AlertSeverity::Warning,
                "read",
            ),
        };
        return refuse(
            Exception::IllegalFunction,
            kind,
            severity,
            access,
            detail.clone(),
            format!("function {fc} is not allowed for {}", client.name),
        );
    }
    let window = (now, zone);
    match request {
        Request::Read {
            table,
            start,
            count,
            ..
        } => {
            if read_allowed(client, *table, *start, *count) {
                Verdict::Forward
            } else {
                refuse(
                    Exception::IllegalDataAddress,
                    SecurityEventKind::ForbiddenAddress,
                    AlertSeverity::Warning,
                    "read",
                    detail.clone(),
                    format!("{} may not read there", client.name),
                )
            }
        }
        Request::Write {
            table,
            start,
            values,
            ..
        } => judge_write(client, *table, *start, values, true, window),
        Request::MaskWrite { address, .. } => {
            judge_write(client, Table::Holding, *address, &[0], false, window)
        }
        Request::ReadWrite {
            read_start,
            read_count,
            write_start,
            values,
        } => {
            if !read_allowed(client, Table::Holding, *read_start, *read_count) {
                return refuse(
                    Exception::IllegalDataAddress,
                    SecurityEventKind::ForbiddenAddress,
                    AlertSeverity::Warning,
                    "read",
                    detail.clone(),
                    format!("{} may not read there", client.name),
                );
            }
            judge_write(client, Table::Holding, *write_start, values, true, window)
        }
        Request::DeviceIdentification { .. } => Verdict::Forward,
        Request::Diagnostics { .. } | Request::Other { .. } => refuse(
            Exception::IllegalFunction,
            SecurityEventKind::ForbiddenFunction,
            AlertSeverity::Warning,
            "read",
            detail.clone(),
            format!("function {fc} is never forwarded"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::decode;
    use crate::policy::GuardPolicy;
    use chrono::TimeZone;

    fn policy() -> GuardPolicy {
        GuardPolicy::from_toml(
            r#"
[guard]
time_zone = "Africa/Nairobi"
[[device]]
name = "rtu-1"
listen = "127.0.0.1:15020"
upstream = "127.0.0.1:5020"
unit_ids = [1, 2]
[[device.client]]
name = "eng"
addresses = ["10.1.5.0/24"]
functions = [3, 6, 16, 22]
read = [{ table = "holding", from = 0, to = 99 }]
write = [
  { table = "holding", from = 10, to = 19, min = 0, max = 5000 },
  { table = "holding", from = 50, to = 50, window = "22:00-04:00" },
]
"#,
        )
        .unwrap()
    }

    fn verdict(pdu: &[u8], unit: u8, utc_hour: u32) -> Verdict {
        let p = policy();
        let d = &p.devices[0];
        let now = Utc.with_ymd_and_hms(2026, 3, 10, utc_hour, 0, 0).unwrap();
        judge(d, &d.clients[0], unit, &decode(pdu).unwrap(), now, p.zone())
    }

    fn refused(v: Verdict) -> (u8, SecurityEventKind) {
        match v {
            Verdict::Refuse(e, f) => (e as u8, f.kind),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deny_by_default_with_the_fitting_exception() {
        use SecurityEventKind::*;
        assert_eq!(verdict(&[3, 0, 0, 0, 10], 1, 9), Verdict::Forward);
        assert_eq!(
            refused(verdict(&[3, 0, 95, 0, 10], 1, 9)),
            (2, ForbiddenAddress)
        );
        assert_eq!(
            refused(verdict(&[4, 0, 0, 0, 1], 1, 9)),
            (1, ForbiddenFunction)
        );
        assert_eq!(
            refused(verdict(&[8, 0, 1, 0, 0], 1, 9)),
            (1, DiagnosticRequest)
        );
        assert_eq!(
            refused(verdict(&[43, 14, 1, 0], 1, 9)),
            (1, DeviceIdentificationRequest)
        );
        assert_eq!(
            refused(verdict(&[5, 0, 1, 0xFF, 0], 1, 9)),
            (1, WriteOutsidePolicy)
        );
        assert_eq!(refused(verdict(&[21, 0], 1, 9)), (1, ForbiddenFunction));
        // Writes: inside the rule, outside its registers, outside its values.
        assert_eq!(verdict(&[6, 0, 12, 0x13, 0x88], 1, 9), Verdict::Forward);
        assert_eq!(
            refused(verdict(&[6, 0, 20, 0, 1], 1, 9)),
            (2, WriteOutsidePolicy)
        );
        assert_eq!(
            refused(verdict(&[6, 0, 12, 0x13, 0x89], 1, 9)),
            (3, WriteOutsidePolicy)
        );
        // FC16 across the rule's end (19, 20): refused whole.
        assert_eq!(
            refused(verdict(&[16, 0, 19, 0, 2, 4, 0, 1, 0, 1], 1, 9)),
            (2, WriteOutsidePolicy)
        );
        // Register 50 only in the window 22:00–04:00 Nairobi (19:00–01:00 UTC).
        assert_eq!(verdict(&[6, 0, 50, 0, 1], 1, 20), Verdict::Forward);
        assert_eq!(
            refused(verdict(&[6, 0, 50, 0, 1], 1, 9)),
            (1, WriteOutsidePolicy)
        );
        // A mask write cannot be checked against a value range: only rule 50 admits it.
        assert_eq!(
            refused(verdict(&[22, 0, 12, 0, 0, 0, 1], 1, 9)),
            (3, WriteOutsidePolicy)
        );
        assert_eq!(verdict(&[22, 0, 50, 0, 0, 0, 1], 1, 20), Verdict::Forward);
        // Units: broadcast writes are refused, unknown units are probes.
        assert_eq!(
            refused(verdict(&[6, 0, 12, 0, 1], 0, 9)),
            (1, BroadcastWrite)
        );
        assert_eq!(verdict(&[3, 0, 0, 0, 1], 0, 9), Verdict::UnitProbe);
        assert_eq!(verdict(&[3, 0, 0, 0, 1], 7, 9), Verdict::UnitProbe);
        assert_eq!(verdict(&[3, 0, 0, 0, 1], 2, 9), Verdict::Forward);
    }
}
