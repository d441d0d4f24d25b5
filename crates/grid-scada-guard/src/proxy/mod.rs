//! The proxy: one listener per device, one task per client connection, a capped pool of
//! connections to each device. Every request is parsed (bounded), judged against the
//! policy, and either forwarded — under a transaction id of the guard's own, so clients
//! cannot confuse each other's replies, with the reply checked for its unit id and function
//! — or answered with an exception and recorded as a security event. Idle clients, and
//! clients that start a frame but do not finish it, are disconnected.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use grid_model::{AlertSeverity, SecurityEventKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use crate::frame::{self, Exception, Frame, FrameError, Request};
use crate::judge::{Finding, Verdict, judge};
use crate::policy::{DevicePolicy, GuardPolicy};
use crate::watch::{Watch, emit};
use grid_scada::security::{Emit, EventSink};

mod upstream;
use upstream::Upstream;

/// What the proxy counts.
#[derive(Debug, Default)]
pub struct GuardCounters {
    /// Client connections accepted.
    pub connections: AtomicU64,
    /// Connections of clients the policy does not list, closed at once.
    pub unknown_clients: AtomicU64,
    /// Requests forwarded and answered by the device.
    pub forwarded: AtomicU64,
    /// Requests refused with an exception (never forwarded).
    pub refused: AtomicU64,
    /// Connections closed for a malformed or oversized frame.
    pub bad_frames: AtomicU64,
    /// Connections closed for idleness or a frame not finished in time.
    pub timeouts: AtomicU64,
    /// Forwarded requests the device did not answer properly (answered 0B).
    pub upstream_failures: AtomicU64,
}

impl GuardCounters {
    /// A snapshot as `name=value` pairs.
    pub fn line(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "connections={} unknown_clients={} forwarded={} refused={} bad_frames={} timeouts={} upstream_failures={}",
            g(&self.connections),
            g(&self.unknown_clients),
            g(&self.forwarded),
            g(&self.refused),
            g(&self.bad_frames),
            g(&self.timeouts),
            g(&self.upstream_failures)
        )
    }
}

struct Shared {
    policy: GuardPolicy,
    zone: Option<chrono_tz::Tz>,
    watch: Mutex<Watch>,
    sink: EventSink,
    counters: Arc<GuardCounters>,
}

impl Shared {
    fn emit(&self, f: impl FnOnce(&mut Watch) -> Vec<Emit>) {
        let events = {
            let mut w = self.watch.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut w)
        };
        self.sink.send(events);
    }
}

/// A running guard.
pub struct Running {
    /// Each device's name and the address it listens on (resolved when the policy says port
    /// 0).
    pub listening: Vec<(String, SocketAddr)>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, closes every client connection and waits for the tasks.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }

    /// The address a device listens on.
    pub fn addr(&self, device: &str) -> Option<SocketAddr> {
        self.listening
            .iter()
            .find(|(n, _)| n == device)
            .map(|(_, a)| *a)
    }
}

/// Binds every device's listener and starts serving.
pub async fn start(
    policy: GuardPolicy,
    sink: EventSink,
    counters: Arc<GuardCounters>,
) -> std::io::Result<Running> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        zone: policy.zone(),
        watch: Mutex::new(Watch::new(policy.scan.clone())),
        policy,
        sink,
        counters,
    });
    let mut listening = Vec::new();
    let mut tasks = Vec::new();
    for (i, dev) in shared.policy.devices.iter().enumerate() {
        let listener = TcpListener::bind(dev.listen_addr()).await?;
        listening.push((dev.name.clone(), listener.local_addr()?));
        let upstream = Arc::new(Upstream {
            addr: dev.upstream_addr(),
            permits: Semaphore::new(dev.max_upstream),
            idle: Mutex::new(Vec::new()),
            next_tid: AtomicU16::new(1),
            timeout: Duration::from_millis(shared.policy.guard.request_timeout_ms),
        });
        tasks.push(tokio::spawn(accept(
            listener,
            i,
            upstream,
            shared.clone(),
            stop_rx.clone(),
        )));
    }
    // Probes below the scan threshold are reported when their window ends.
    let ticker = {
        let (shared, mut stop) = (shared.clone(), stop_rx.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {
                        shared.emit(|w| w.tick(Utc::now()));
                    }
                    _ = stop.wait_for(|s| *s) => {
                        shared.emit(|w| w.tick(Utc::now() + chrono::Duration::days(1)));
                        return;
                    }
                }
            }
        })
    };
    tasks.push(ticker);
    Ok(Running {
        listening,
        stop: stop_tx,
        tasks,
    })
}

async fn accept(
    listener: TcpListener,
    device: usize,
    upstream: Arc<Upstream>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let mut clients = tokio::task::JoinSet::new();
    let for_clients = stop.clone();
    loop {
        tokio::select! {
            r = listener.accept() => {
                let Ok((stream, peer)) = r else { continue };
                let _ = stream.set_nodelay(true);
                shared.counters.connections.fetch_add(1, Ordering::Relaxed);
                let (up, sh, st) = (upstream.clone(), shared.clone(), for_clients.clone());
                clients.spawn(async move {
                    let mut st2 = st.clone();
                    tokio::select! {
                        _ = serve_client(stream, peer, device, up, sh) => {}
                        _ = st2.wait_for(|s| *s) => {}
                    }
                });
            }
            _ = stop.wait_for(|s| *s) => break,
        }
        while clients.try_join_next().is_some() {}
    }
    clients.abort_all();
    while clients.join_next().await.is_some() {}
}

enum ReadEnd {
    Closed,
    Idle,
    Slow,
    Bad(FrameError),
}

/// The next frame from a client: its first byte within the idle timeout, its last within
/// the frame timeout of its first.
async fn next_frame(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    idle: Duration,
    whole: Duration,
) -> Result<Frame, ReadEnd> {
    let mut started: Option<Instant> = (!buf.is_empty()).then(Instant::now);
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
            None => idle,
            Some(t) => whole.saturating_sub(t.elapsed()),
        };
        match tokio::time::timeout(wait, stream.read(&mut chunk)).await {
            Err(_) if started.is_none() => return Err(ReadEnd::Idle),
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

fn frame_event(kind: SecurityEventKind, (ip, device): (IpAddr, &str), what: String) -> Emit {
    let mut e = emit(kind, AlertSeverity::Warning, (ip, device), "", Utc::now());
    e.draft = e.draft.command(&what);
    e.draft.detection_method = Some("frame check".into());
    e.draft.is_blocked = true;
    e.draft.response_action = Some("connection closed".into());
    e
}

async fn serve_client(
    mut stream: TcpStream,
    peer: SocketAddr,
    device: usize,
    upstream: Arc<Upstream>,
    shared: Arc<Shared>,
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
    let (idle, whole) = (
        Duration::from_millis(g.idle_timeout_ms),
        Duration::from_millis(g.frame_timeout_ms),
    );
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
                shared.sink.send([frame_event(kind, src, e.to_string())]);
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
            let mut ev = frame_event(SecurityEventKind::MalformedFrame, src, e.to_string());
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
