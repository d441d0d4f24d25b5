//! The poller: one task per device on its own schedule, one writer thread that batches
//! readings into grid-timescale, a spool for while the database is away, and
//! device-communication alerts.
//!
//! - **Devices** are polled every `poll_interval_ms`, each in a task of its own, each read
//!   bounded by `timeout_ms`: one dead device never delays the others. A transport error
//!   drops the connection; reconnection backs off from 100 ms to 10 s.
//! - **Communication alerts**: after `failures_before_alert` consecutive failed polls one
//!   `device_communication` alert is raised (its time: the first failure), and it is resolved
//!   when the device answers again — one alert per outage, not one per poll.
//! - **Writing**: readings are batched by size or age ([`crate::config::BatchConfig`]) and
//!   ingested as backfill (a replayed batch may be old), with each sensor's calibration
//!   applied by ingest as for any other reading.
//! - **Nothing lost**: a batch the database cannot take goes to the [`Spool`]; the spool is
//!   replayed, oldest first, before anything newer is written. A crash loses at most the
//!   batch in memory; replays never duplicate (ingest is idempotent on the key).
//! - **Sensor tags** are resolved through the store at start and cached in the spool
//!   directory, so the poller can start while the database is down.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use grid_model::{AlertAction, AlertDraft, AlertSeverity, AlertTransition, NewAlert};
use grid_store::{AlertRepository, SensorRepository};
use grid_timescale::OperatingLimits;
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, TimePolicy};
use uuid::Uuid;

use crate::client::ReadOnlyClient;
use crate::config::{BatchConfig, ScadaConfig};
use crate::poll::{PlannedDevice, poll_once};
use crate::spool::{Spool, SpoolError};

/// Counters of a running poller (shared, readable at any time).
#[derive(Debug, Default)]
pub struct Counters {
    /// Successful polls.
    pub polls_ok: AtomicU64,
    /// Failed polls.
    pub polls_failed: AtomicU64,
    /// Values read from devices.
    pub values_read: AtomicU64,
    /// Readings stored by ingest (new ones).
    pub readings_stored: AtomicU64,
    /// Batches that went to the spool.
    pub batches_spooled: AtomicU64,
    /// Spooled batches replayed.
    pub batches_replayed: AtomicU64,
    /// Readings dropped because the spool was full.
    pub readings_dropped: AtomicU64,
    /// Communication alerts raised.
    pub alerts_raised: AtomicU64,
    /// Communication alerts resolved.
    pub alerts_resolved: AtomicU64,
    /// Poll-to-commit latency of every stored reading.
    pub latency: LatencyHistogram,
}

/// A fixed-size histogram of latencies in 10 ms buckets up to 60 s (memory never grows).
#[derive(Debug)]
pub struct LatencyHistogram {
    buckets: std::sync::Mutex<Vec<u64>>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            buckets: std::sync::Mutex::new(vec![0; 6001]),
        }
    }
}

impl LatencyHistogram {
    const BUCKET_MS: u64 = 10;

    /// Records `n` readings that took `latency` from poll to commit.
    pub fn record(&self, latency: Duration, n: u64) {
        let i = ((latency.as_millis() as u64) / Self::BUCKET_MS).min(6000) as usize;
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        b[i] += n;
    }

    /// The latency below which a fraction `q` of readings fell (bucket upper bound), or
    /// `None` before any reading.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let total: u64 = b.iter().sum();
        if total == 0 {
            return None;
        }
        let target = (q * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in b.iter().enumerate() {
            seen += n;
            if seen >= target {
                return Some(Duration::from_millis((i as u64 + 1) * Self::BUCKET_MS));
            }
        }
        None
    }
}

impl Counters {
    /// A snapshot as `name=value` pairs, for logs and status lines.
    pub fn line(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "polls_ok={} polls_failed={} values_read={} readings_stored={} batches_spooled={} batches_replayed={} readings_dropped={} alerts_raised={} alerts_resolved={}",
            g(&self.polls_ok),
            g(&self.polls_failed),
            g(&self.values_read),
            g(&self.readings_stored),
            g(&self.batches_spooled),
            g(&self.batches_replayed),
            g(&self.readings_dropped),
            g(&self.alerts_raised),
            g(&self.alerts_resolved)
        )
    }
}

/// Where and how the poller writes.
#[derive(Debug, Clone)]
pub struct PollerOptions {
    /// The database.
    pub database_url: String,
    /// The spool's directory.
    pub spool_dir: PathBuf,
    /// The spool's size limit.
    pub spool_max_bytes: u64,
    /// Operating limits for `is_out_of_range`.
    pub limits: OperatingLimits,
}

/// What stops the poller from starting.
#[derive(Debug, thiserror::Error)]
pub enum PollerError {
    /// The spool cannot be used.
    #[error(transparent)]
    Spool(#[from] SpoolError),
    /// A configured device address is not usable.
    #[error("device {device}: {reason}")]
    Device {
        /// The device.
        device: String,
        /// Why.
        reason: String,
    },
    /// Sensor tags could not be resolved: no database and no cached map.
    #[error("cannot resolve sensor tags: {0}")]
    Sensors(String),
}

/// A sensor as the poller knows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct SensorRef {
    id: Uuid,
    substation_id: Uuid,
}

fn resolve_sensors(
    opts: &PollerOptions,
    config: &ScadaConfig,
) -> Result<HashMap<String, SensorRef>, PollerError> {
    let cache = opts.spool_dir.join("sensors.json");
    let fresh = PgConnection::establish(&opts.database_url)
        .map_err(|e| e.to_string())
        .and_then(|mut c| c.sensors().map_err(|e| e.to_string()));
    let map: HashMap<String, SensorRef> = match fresh {
        Ok(sensors) => {
            let map: HashMap<String, SensorRef> = sensors
                .into_iter()
                .map(|s| {
                    (
                        s.sensor_id,
                        SensorRef {
                            id: s.id,
                            substation_id: s.substation_id,
                        },
                    )
                })
                .collect();
            let _ = std::fs::create_dir_all(&opts.spool_dir);
            let _ = std::fs::write(&cache, serde_json::to_vec(&map).unwrap_or_default());
            map
        }
        Err(db) => {
            let bytes = std::fs::read(&cache)
                .map_err(|_| PollerError::Sensors(format!("database: {db}; no cached map")))?;
            tracing::warn!(error = %db, "database unreachable at start: using the cached sensor map");
            serde_json::from_slice(&bytes).map_err(|e| PollerError::Sensors(e.to_string()))?
        }
    };
    for d in &config.devices {
        for p in &d.points {
            if !map.contains_key(&p.sensor) {
                tracing::error!(device = %d.name, sensor = %p.sensor, "unknown sensor tag: its point will be read but refused by ingest");
            }
        }
    }
    Ok(map)
}

enum ToWriter {
    Readings(Vec<Reading>),
    Alert {
        device: String,
        substation: Option<Uuid>,
        raise: bool,
        at: DateTime<Utc>,
        detail: String,
    },
}

/// Runs the poller until `stop` turns true. Returns its counters.
pub async fn run(
    config: ScadaConfig,
    opts: PollerOptions,
    mut stop: tokio::sync::watch::Receiver<bool>,
    counters: Arc<Counters>,
) -> Result<Arc<Counters>, PollerError> {
    let sensors = Arc::new(resolve_sensors(&opts, &config)?);
    let spool = Spool::open(&opts.spool_dir, opts.spool_max_bytes)?;
    let (tx, rx) = mpsc::channel::<ToWriter>();
    let writer = {
        let (batch, opts, counters) = (config.batch.clone(), opts.clone(), counters.clone());
        std::thread::spawn(move || writer(rx, batch, opts, spool, counters))
    };
    let mut tasks = Vec::new();
    for d in config.devices {
        let addr = d.socket_addr().map_err(|reason| PollerError::Device {
            device: d.name.clone(),
            reason,
        })?;
        let device = PlannedDevice::new(d);
        let (tx, sensors, counters, stop) =
            (tx.clone(), sensors.clone(), counters.clone(), stop.clone());
        tasks.push(tokio::spawn(poll_device(
            device, addr, tx, sensors, counters, stop,
        )));
    }
    drop(tx);
    let _ = stop.wait_for(|s| *s).await;
    for t in tasks {
        let _ = t.await;
    }
    // All senders are gone: the writer flushes what it holds and ends.
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    Ok(counters)
}

async fn poll_device(
    device: PlannedDevice,
    addr: std::net::SocketAddr,
    tx: mpsc::Sender<ToWriter>,
    sensors: Arc<HashMap<String, SensorRef>>,
    counters: Arc<Counters>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let cfg = &device.config;
    let interval = Duration::from_millis(cfg.poll_interval_ms);
    let timeout = Duration::from_millis(cfg.timeout_ms);
    let substation = cfg
        .points
        .iter()
        .find_map(|p| sensors.get(&p.sensor))
        .map(|s| s.substation_id);
    let mut failures = 0u32;
    let mut first_failure: Option<DateTime<Utc>> = None;
    // `true` at start: the first answer also clears an alert a previous run left open.
    let mut alerted = true;
    let mut backoff = Duration::from_millis(100);
    let mut client: Option<ReadOnlyClient> = None;
    // Devices start at spread-out offsets within their interval, so that a hundred devices
    // do not all answer in the same millisecond and queue behind one another.
    let offset = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        cfg.name.hash(&mut h);
        Duration::from_millis(h.finish() % cfg.poll_interval_ms.max(1))
    };
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + offset, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        let at = Utc::now();
        let result = match client.as_mut() {
            Some(c) => poll_once(c, &device).await.map_err(|e| e.to_string()),
            None => match ReadOnlyClient::connect(addr, cfg.unit_id, timeout).await {
                Ok(mut c) => {
                    let r = poll_once(&mut c, &device).await.map_err(|e| e.to_string());
                    client = Some(c);
                    r
                }
                Err(e) => Err(e.to_string()),
            },
        };
        match result {
            Ok(poll) => {
                counters.polls_ok.fetch_add(1, Ordering::Relaxed);
                counters
                    .values_read
                    .fetch_add(poll.values.len() as u64, Ordering::Relaxed);
                backoff = Duration::from_millis(100);
                if alerted {
                    let _ = tx.send(ToWriter::Alert {
                        device: cfg.name.clone(),
                        substation,
                        raise: false,
                        at,
                        detail: "device answers again".into(),
                    });
                }
                failures = 0;
                first_failure = None;
                alerted = false;
                let readings: Vec<Reading> = poll
                    .values
                    .into_iter()
                    .map(|v| {
                        let id = sensors.get(&v.sensor).map_or(Uuid::nil(), |s| s.id);
                        Reading::new(id, at, v.value)
                    })
                    .collect();
                if !readings.is_empty() {
                    let _ = tx.send(ToWriter::Readings(readings));
                }
            }
            Err(e) => {
                counters.polls_failed.fetch_add(1, Ordering::Relaxed);
                client = None;
                failures += 1;
                let began = *first_failure.get_or_insert(at);
                tracing::warn!(device = %cfg.name, failures, error = %e, "poll failed");
                if failures >= cfg.failures_before_alert && !alerted {
                    alerted = true;
                    let detail = format!("{failures} consecutive failed polls: {e}");
                    let _ = tx.send(ToWriter::Alert {
                        device: cfg.name.clone(),
                        substation,
                        raise: true,
                        at: began,
                        detail,
                    });
                }
                // Back off before reconnecting, never longer than 10 s, and stop promptly.
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// The database side: batches, the spool, alerts. Runs on its own thread (Diesel is
/// synchronous) until every sender is gone.
fn writer(
    rx: mpsc::Receiver<ToWriter>,
    batch: BatchConfig,
    opts: PollerOptions,
    mut spool: Spool,
    counters: Arc<Counters>,
) {
    let mut db: Option<(PgConnection, Ingester)> = None;
    let mut pending: Vec<Reading> = Vec::new();
    let mut oldest: Option<Instant> = None;
    let mut alerts: Vec<ToWriter> = Vec::new();
    let mut open_alerts: HashMap<String, Uuid> = HashMap::new();
    let max_delay = Duration::from_millis(batch.max_delay_ms);
    let mut last_attempt = Instant::now() - Duration::from_secs(60);
    loop {
        let wait = oldest.map_or(max_delay, |t| max_delay.saturating_sub(t.elapsed()));
        let msg = rx.recv_timeout(wait.max(Duration::from_millis(10)));
        let closed = matches!(msg, Err(mpsc::RecvTimeoutError::Disconnected));
        match msg {
            Ok(ToWriter::Readings(r)) => {
                oldest.get_or_insert_with(Instant::now);
                pending.extend(r);
            }
            Ok(a @ ToWriter::Alert { .. }) => alerts.push(a),
            Err(_) => {}
        }
        let due = pending.len() >= batch.max_readings
            || oldest.is_some_and(|t| t.elapsed() >= max_delay)
            || closed;
        let retry_due = (spool.segments() > 0 || !alerts.is_empty())
            && last_attempt.elapsed() >= Duration::from_secs(1);
        if due || retry_due {
            last_attempt = Instant::now();
            if db.is_none() {
                db = connect(&opts);
            }
            let ok = match db.as_mut() {
                Some((conn, ing)) => {
                    replay(conn, ing, &mut spool, &counters)
                        && write(conn, ing, &pending, &counters)
                        && flush_alerts(conn, &mut alerts, &mut open_alerts, &counters)
                }
                None => false,
            };
            if !ok {
                db = None;
            }
            if !pending.is_empty() && (ok || due) {
                if !ok {
                    match spool.push(&pending) {
                        Ok(d) => {
                            counters.batches_spooled.fetch_add(1, Ordering::Relaxed);
                            counters
                                .readings_dropped
                                .fetch_add(d.readings, Ordering::Relaxed);
                        }
                        Err(e) => {
                            tracing::error!(error = %e, readings = pending.len(), "cannot spool a batch: it is lost")
                        }
                    }
                }
                pending.clear();
                oldest = None;
            }
        }
        if closed {
            return;
        }
    }
}

fn connect(opts: &PollerOptions) -> Option<(PgConnection, Ingester)> {
    let mut conn = PgConnection::establish(&opts.database_url)
        .map_err(|e| tracing::warn!(error = %e, "database unreachable"))
        .ok()?;
    // Replays are backfill: any time up to a little ahead of now.
    let options = IngestOptions {
        time_policy: TimePolicy::backfill(
            DateTime::<Utc>::MIN_UTC,
            Utc::now() + chrono::Duration::days(3650),
        ),
        ..Default::default()
    };
    let ing = Ingester::new(&mut conn, opts.limits.clone(), options)
        .map_err(|e| tracing::warn!(error = %e, "cannot ingest"))
        .ok()?;
    Some((conn, ing))
}

fn write(
    conn: &mut PgConnection,
    ing: &mut Ingester,
    readings: &[Reading],
    counters: &Counters,
) -> bool {
    if readings.is_empty() {
        return true;
    }
    match ing.ingest_batch(conn, readings.iter().cloned()) {
        Ok(r) => {
            counters
                .readings_stored
                .fetch_add(r.inserted, Ordering::Relaxed);
            // Readings of one poll share a timestamp: record per poll, not per reading.
            let now = Utc::now();
            let mut i = 0;
            while i < readings.len() {
                let t = readings[i].timestamp;
                let n = readings[i..]
                    .iter()
                    .take_while(|x| x.timestamp == t)
                    .count();
                counters
                    .latency
                    .record((now - t).to_std().unwrap_or_default(), n as u64);
                i += n;
            }
            if r.rejected > 0 {
                tracing::warn!(rejected = r.rejected, reasons = ?r.rejected_by_reason, "readings refused by ingest");
            }
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, "batch not written");
            false
        }
    }
}

fn replay(
    conn: &mut PgConnection,
    ing: &mut Ingester,
    spool: &mut Spool,
    counters: &Counters,
) -> bool {
    while let Some((seq, readings)) = spool.oldest() {
        if !write(conn, ing, &readings, counters) {
            return false;
        }
        if let Err(e) = spool.remove(seq) {
            tracing::error!(error = %e, "a replayed spool segment could not be removed (it will be replayed again, harmlessly)");
            return false;
        }
        counters.batches_replayed.fetch_add(1, Ordering::Relaxed);
    }
    true
}

fn flush_alerts(
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
                "device_communication",
                AlertSeverity::Warning,
                format!("No answer from SCADA device {device}"),
            );
            d.substation_id = *substation;
            d.description = Some(detail.clone());
            d.raised_at = *at;
            d.raised_by = Some("scada-poller".into());
            d.metadata = serde_json::json!({ "device": device });
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
        .find(|a| a.alert_type == "device_communication" && a.metadata["device"] == device)
        .map(|a| a.id))
}
