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
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::policy::GuardPolicy;
use crate::watch::{Watch, emit};
use grid_scada::security::{Emit, EventSink};

pub mod admission;
mod client;
mod upstream;
use admission::{Admission, Backoff};
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
    /// Connections refused because the guard held as many as it may (see
    /// [`admission`]), closed at once.
    pub refused_connections: AtomicU64,
    /// `accept()` calls that failed (each followed by a back-off).
    pub accept_errors: AtomicU64,
}

impl GuardCounters {
    /// A snapshot as `name=value` pairs.
    pub fn line(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "connections={} unknown_clients={} forwarded={} refused={} bad_frames={} timeouts={} upstream_failures={} refused_connections={} accept_errors={}",
            g(&self.connections),
            g(&self.unknown_clients),
            g(&self.forwarded),
            g(&self.refused),
            g(&self.bad_frames),
            g(&self.timeouts),
            g(&self.upstream_failures),
            g(&self.refused_connections),
            g(&self.accept_errors)
        )
    }
}

struct Shared {
    admission: Arc<Admission>,
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
    let g = &policy.guard;
    let reserved = admission::RESERVED_DESCRIPTORS
        + policy
            .devices
            .iter()
            .map(|d| 1 + d.max_upstream as u64)
            .sum::<u64>();
    let limit = Admission::descriptor_limit().unwrap_or(u64::MAX);
    let admission = Arc::new(Admission::new(
        g.max_connections,
        g.max_connections_per_client,
        limit,
        reserved,
    ));
    tracing::info!(
        descriptor_limit = limit,
        reserved,
        max_connections = admission.total_cap(),
        per_client = g.max_connections_per_client,
        "client connections capped"
    );
    let shared = Arc::new(Shared {
        admission,
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
    let mut backoff = Backoff::default();
    let mut logged: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.wait_for(|s| *s) => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff.reset();
                shared.counters.connections.fetch_add(1, Ordering::Relaxed);
                let ticket = match shared.admission.admit(peer.ip()) {
                    Ok(t) => t,
                    Err(why) => {
                        // Closed at once: a flood costs one descriptor for a moment.
                        drop(stream);
                        refuse_connection(&shared, device, peer.ip(), why);
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let (up, sh, st) = (upstream.clone(), shared.clone(), for_clients.clone());
                clients.spawn(async move {
                    let mut st2 = st.clone();
                    tokio::select! {
                        _ = client::serve(stream, peer, device, up, sh, ticket) => {}
                        _ = st2.wait_for(|s| *s) => {}
                    }
                });
            }
            Err(e) => {
                let n = shared
                    .counters
                    .accept_errors
                    .fetch_add(1, Ordering::Relaxed)
                    + 1;
                if logged.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                    tracing::warn!(error = %e, accept_errors = n, "accept failed; backing off");
                    logged = Some(Instant::now());
                }
                let wait = backoff.failed();
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
            }
        }
        while clients.try_join_next().is_some() {}
    }
    clients.abort_all();
    while clients.join_next().await.is_some() {}
}

/// A connection refused by the caps: counted, and a security event (folded per source and
/// reason, so a flood is one row).
fn refuse_connection(shared: &Shared, device: usize, ip: IpAddr, why: admission::Refusal) {
    shared
        .counters
        .refused_connections
        .fetch_add(1, Ordering::Relaxed);
    let dev = &shared.policy.devices[device];
    let mut e = emit(
        SecurityEventKind::ConnectionRefused,
        AlertSeverity::Warning,
        (ip, dev.name.as_str()),
        why.as_str(),
        Utc::now(),
    );
    e.draft.detection_method = Some(format!("connection cap ({})", why.as_str()));
    e.draft.is_blocked = true;
    e.draft.response_action = Some("connection closed at once".into());
    shared.sink.send([e]);
}
