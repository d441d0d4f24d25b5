//! One client connection: frames read (bounded, with idle and frame timeouts), each request
//! judged and forwarded or refused, every refusal a security event.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;
use grid_model::{AlertSeverity, SecurityEventKind};
use grid_scada::security::Emit;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Shared;
use super::admission::Ticket;
use super::upstream::Upstream;
use crate::frame::{self, Exception, Frame, FrameError, Malformation, Request};
use crate::judge::{Finding, Verdict, judge};
use crate::policy::DevicePolicy;
use crate::watch::emit;

enum ReadEnd {
    Closed,
    Idle,
    Slow,
    Bad(FrameError),
}

/// The next frame from a client: its first byte within the idle timeout (`idle()`, asked
/// again every half second, so that pressure shortens a wait already begun), its last within
/// the frame timeout of its first.
async fn next_frame(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    idle: impl Fn() -> Duration,
    whole: Duration,
) -> Result<Frame, ReadEnd> {
    let mut started: Option<Instant> = (!buf.is_empty()).then(Instant::now);
    let waiting = Instant::now();
    let mut chunk = [0u8; 512];
    loop {
        match frame::parse(buf) {
            Ok(Some((f, used))) => {
                buf.drain(..used);
                return Ok(f);
            }
            Ok(None) => {}
            Err(e) => return Err(ReadEnd::Bad(e)),
        }
        let wait = match started {
            None => idle()
                .saturating_sub(waiting.elapsed())
                .min(Duration::from_millis(500)),
            Some(t) => whole.saturating_sub(t.elapsed()),
        };
        match tokio::time::timeout(wait, stream.read(&mut chunk)).await {
            Err(_) if started.is_none() => {
                if waiting.elapsed() >= idle() {
                    return Err(ReadEnd::Idle);
                }
            }
            Err(_) => return Err(ReadEnd::Slow),
            Ok(Err(_)) | Ok(Ok(0)) => return Err(ReadEnd::Closed),
            Ok(Ok(n)) => {
                started.get_or_insert_with(Instant::now);
                buf.extend_from_slice(&chunk[..n]);
            }
        }
    }
}

fn finding_event(
    f: &Finding,
    (ip, device): (IpAddr, &str),
    client: &str,
    command: &str,
    exception: Exception,
) -> Emit {
    let mut e = emit(f.kind, f.severity, (ip, device), &f.detail, Utc::now());
    e.draft = e.draft.command(command);
    e.draft.access_level_required = Some(f.access.into());
    e.draft.detection_method = Some("policy".into());
    e.draft.description = Some(format!("{client}: {}", f.reason));
    e.draft.is_blocked = true;
    e.draft.response_action = Some(format!(
        "refused with exception {:02X}, never forwarded",
        exception as u8
    ));
    e
}

/// A malformed frame's event, folded by what is wrong with it and the function it claimed:
/// fourteen different malformations are fourteen rows, a flood of one is one row.
fn frame_event(
    kind: SecurityEventKind,
    (ip, device): (IpAddr, &str),
    (malformation, function): (Malformation, Option<u8>),
    what: String,
) -> Emit {
    let detail = match function {
        Some(f) => format!("{}|{f}", malformation.as_str()),
        None => malformation.as_str().to_owned(),
    };
    let mut e = emit(
        kind,
        AlertSeverity::Warning,
        (ip, device),
        &detail,
        Utc::now(),
    );
    e.draft = e.draft.command(&what);
    e.draft.detection_method = Some("frame check".into());
    e.draft.is_blocked = true;
    e.draft.response_action = Some("connection closed".into());
    e
}

pub(super) async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    device: usize,
    upstream: Arc<Upstream>,
    shared: Arc<Shared>,
    _place: Ticket,
) {
    let dev: &DevicePolicy = &shared.policy.devices[device];
    let ip = peer.ip();
    let src = (ip, dev.name.as_str());
    shared.emit(|w| w.connect(src, Utc::now()));
    let Some(client) = dev.client(ip) else {
        shared
            .counters
            .unknown_clients
            .fetch_add(1, Ordering::Relaxed);
        let mut e = emit(
            SecurityEventKind::UnknownClient,
            AlertSeverity::Warning,
            src,
            "",
            Utc::now(),
        );
        e.draft.detection_method = Some("client address not in the policy".into());
        e.draft.is_blocked = true;
        e.draft.response_action = Some("connection closed".into());
        shared.sink.send([e]);
        return;
    };
    let g = &shared.policy.guard;
    let (normal, pressed, whole) = (
        Duration::from_millis(g.idle_timeout_ms),
        Duration::from_millis(g.pressure_idle_timeout_ms.min(g.idle_timeout_ms)),
        Duration::from_millis(g.frame_timeout_ms),
    );
    let idle = || {
        if shared.admission.under_pressure() {
            pressed
        } else {
            normal
        }
    };
    let mut buf = Vec::with_capacity(1024);
    loop {
        let request = match next_frame(&mut stream, &mut buf, idle, whole).await {
            Ok(f) => f,
            Err(ReadEnd::Closed) => return,
            Err(ReadEnd::Idle | ReadEnd::Slow) => {
                shared.counters.timeouts.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(ReadEnd::Bad(e)) => {
                shared.counters.bad_frames.fetch_add(1, Ordering::Relaxed);
                let kind = match e {
                    FrameError::Oversized(_) => SecurityEventKind::OversizedFrame,
                    _ => SecurityEventKind::MalformedFrame,
                };
                shared.sink.send([frame_event(
                    kind,
                    src,
                    (e.malformation(), None),
                    e.to_string(),
                )]);
                return;
            }
        };
        let reply = handle(&request, client, dev, &upstream, &shared, src).await;
        if stream.write_all(&reply.encode()).await.is_err() {
            return;
        }
    }
}

async fn handle(
    request: &Frame,
    client: &crate::policy::ClientPolicy,
    dev: &DevicePolicy,
    upstream: &Upstream,
    shared: &Shared,
    src: (IpAddr, &str),
) -> Frame {
    let decoded = match frame::decode(&request.pdu) {
        Ok(r) => r,
        Err(e) => {
            shared.counters.refused.fetch_add(1, Ordering::Relaxed);
            let mut ev = frame_event(
                SecurityEventKind::MalformedFrame,
                src,
                (e.reason, Some(e.function)),
                e.to_string(),
            );
            ev.draft.response_action = Some("refused with exception 03".into());
            shared.sink.send([ev]);
            return frame::exception(request, Exception::IllegalDataValue);
        }
    };
    let now = Utc::now();
    match judge(dev, client, request.unit, &decoded, now, shared.zone) {
        Verdict::Forward => {
            shared.emit(|w| w.unit(src, request.unit, None, now));
            forward(request, upstream, shared, src).await
        }
        Verdict::Refuse(exception, finding) => {
            shared.counters.refused.fetch_add(1, Ordering::Relaxed);
            let command = decoded.describe(request.unit);
            shared.sink.send([finding_event(
                &finding,
                src,
                &client.name,
                &command,
                exception,
            )]);
            if let Request::Read { table, start, .. } = decoded
                && finding.kind == SecurityEventKind::ForbiddenAddress
            {
                shared.emit(|w| w.address(src, table, start, now));
            }
            frame::exception(request, exception)
        }
        Verdict::UnitProbe => {
            shared.counters.refused.fetch_add(1, Ordering::Relaxed);
            let command = decoded.describe(request.unit);
            shared.emit(|w| w.unit(src, request.unit, Some(command), now));
            frame::exception(request, Exception::GatewayPathUnavailable)
        }
    }
}

async fn forward(
    request: &Frame,
    upstream: &Upstream,
    shared: &Shared,
    src: (IpAddr, &str),
) -> Frame {
    match upstream.call(request).await {
        Ok(reply)
            if reply.unit == request.unit && reply.function() & 0x7F == request.function() =>
        {
            shared.counters.forwarded.fetch_add(1, Ordering::Relaxed);
            Frame {
                tid: request.tid,
                ..reply
            }
        }
        Ok(reply) => {
            shared
                .counters
                .upstream_failures
                .fetch_add(1, Ordering::Relaxed);
            let mut e = emit(
                SecurityEventKind::UnexpectedUnitReply,
                AlertSeverity::Critical,
                src,
                &format!("{}", request.unit),
                Utc::now(),
            );
            e.draft = e.draft.command(&format!(
                "asked unit {} function {}, answered by unit {} function {}",
                request.unit,
                request.function(),
                reply.unit,
                reply.function()
            ));
            e.draft.detection_method = Some("reply check".into());
            e.draft.is_blocked = true;
            e.draft.response_action = Some("reply withheld; client answered 0B".into());
            shared.sink.send([e]);
            frame::exception(request, Exception::GatewayTargetFailed)
        }
        Err(e) => {
            shared
                .counters
                .upstream_failures
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(device = src.1, error = ?e, "device did not answer");
            frame::exception(request, Exception::GatewayTargetFailed)
        }
    }
}
