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
//!   ingested under the replay time policy (a replayed batch may be old, never far ahead of
//!   now), with each sensor's calibration
//!   applied by ingest as for any other reading.
//! - **Nothing lost**: a batch the database cannot take goes to the [`Spool`]; the spool is
//!   replayed, oldest first, before anything newer is written. A crash loses at most the
//!   batch in memory; replays never duplicate (ingest is idempotent on the key).
//! - **Sensor tags** are resolved through the store at start and cached in the spool
//!   directory, so the poller can start while the database is down.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use grid_timescale::OperatingLimits;
use grid_timescale::ingest::Reading;
use uuid::Uuid;

use crate::client::ReadOnlyClient;
use crate::config::ScadaConfig;
use crate::poll::{PlannedDevice, poll_once};
use crate::security::{self, EventSink};
use crate::spool::{Spool, SpoolError};

mod alerts;
mod counters;
mod device_watch;
mod tags;
mod writer;

use alerts::flush_alerts;
use device_watch::DeviceWatch;
use tags::{SensorRef, resolve_sensors};
use writer::writer;

pub use counters::{Counters, LatencyHistogram};
use tracing::Instrument;

/// Where and how the poller writes. Its `Debug` hides the database password.
#[derive(Clone)]
pub struct PollerOptions {
    /// The database.
    pub database_url: String,
    /// The spool's directory.
    pub spool_dir: PathBuf,
    /// The spool's size limit.
    pub spool_max_bytes: u64,
    /// Operating limits for `is_out_of_range`.
    pub limits: OperatingLimits,
    /// Score every reading with the anomaly engine before it is stored, with this alert
    /// policy (`None`: readings are stored unscored).
    pub anomaly_detection: Option<grid_detect::AlertPolicy>,
    /// Evaluate every point's limit alarm on each batch, with these settings (grid-alarms-store:
    /// alerts, states and floods committed with the batch; `None`: no limit alarms).
    pub alarms: Option<grid_alarms_store::AlarmSettings>,
    /// Statement and idle limits of the writer's connection (grid-access's poller role has
    /// 30 s and 30 s).
    pub session_limits: grid_store::SessionLimits,
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
        /// What is wrong with it.
        reason: String,
    },
    /// Sensor tags could not be resolved: no database and no cached map.
    #[error("cannot resolve sensor tags: {0}")]
    Sensors(String),
    /// The security events' spool cannot be used.
    #[error("security event spool: {0}")]
    SecurityEvents(std::io::Error),
}

impl std::fmt::Debug for PollerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollerOptions")
            .field("database_url", &grid_secrets::redact(&self.database_url))
            .field("spool_dir", &self.spool_dir)
            .field("spool_max_bytes", &self.spool_max_bytes)
            .field("operating_limits", &self.limits)
            .field("anomaly_detection", &self.anomaly_detection)
            .field("session_limits", &self.session_limits)
            .finish()
    }
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

/// Runs the poller until `stop` turns true. Returns its counters. Every database call runs
/// off the runtime threads (a writer thread, the blocking pool).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use grid_scada::ScadaConfig;
/// use grid_scada::runtime::{Counters, PollerOptions, run};
///
/// let config = ScadaConfig::from_toml(&std::fs::read_to_string("scada.toml")?)?;
/// let opts = PollerOptions {
///     database_url: std::env::var("DATABASE_URL")?,
///     spool_dir: "/var/lib/sentinel/spool".into(),
///     spool_max_bytes: 1 << 30,
///     limits: Default::default(),
///     anomaly_detection: None,
///     alarms: Some(Default::default()),
///     session_limits: Default::default(),
/// };
/// let (stop, stop_rx) = tokio::sync::watch::channel(false);
/// let poller = tokio::spawn(run(config, opts, stop_rx, Arc::new(Counters::default())));
/// tokio::signal::ctrl_c().await?;
/// stop.send(true)?;
/// let counters = poller.await??;
/// println!("{}", counters.line());
/// # Ok(()) }
/// ```
pub async fn run(
    config: ScadaConfig,
    opts: PollerOptions,
    mut stop: tokio::sync::watch::Receiver<bool>,
    counters: Arc<Counters>,
) -> Result<Arc<Counters>, PollerError> {
    // Connecting blocks: off the runtime threads.
    let sensors = {
        let (o, c) = (opts.clone(), config.clone());
        tokio::task::spawn_blocking(move || resolve_sensors(&o, &c))
            .await
            .map_err(|e| PollerError::Sensors(e.to_string()))??
    };
    let sensors = Arc::new(sensors);
    let spool = Spool::open(&opts.spool_dir, opts.spool_max_bytes)?;
    // What the poller sees that matters for security (a device's identity changing, a read
    // that worked refused): recorded as the guard's events are, spooled beside the readings.
    let (security, security_writer) = security::start(
        opts.database_url.clone(),
        opts.session_limits,
        opts.spool_dir.join("security"),
        security::Folding::default(),
        Arc::new(security::EventCounters::default()),
    )
    .map_err(PollerError::SecurityEvents)?;
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
            device,
            addr,
            (tx, security.clone()),
            sensors,
            counters,
            stop,
        )));
    }
    drop(tx);
    drop(security);
    let _ = stop.wait_for(|s| *s).await;
    for t in tasks {
        let _ = t.await;
    }
    // All senders are gone: the writers flush what they hold and end.
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    let _ = tokio::task::spawn_blocking(move || security_writer.join()).await;
    Ok(counters)
}

async fn poll_device(
    device: PlannedDevice,
    addr: std::net::SocketAddr,
    (tx, security): (mpsc::Sender<ToWriter>, EventSink),
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
        .find_map(|p| sensors.get(&p.tag))
        .map(|s| s.substation_id);
    let mut failures = 0u32;
    let mut first_failure: Option<DateTime<Utc>> = None;
    // `true` at start: the first answer also clears an alert a previous run left open.
    let mut alerted = true;
    let mut backoff = Duration::from_millis(100);
    let mut client: Option<ReadOnlyClient> = None;
    let mut watch = DeviceWatch::new(&cfg.name, addr);
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
        let span = tracing::debug_span!(
            "poll",
            device = %cfg.name,
            connected = client.is_some(),
            values = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        let result = async {
            match client.as_mut() {
                Some(c) => poll_once(c, &device).await,
                None => match ReadOnlyClient::connect(addr, cfg.unit_id, timeout).await {
                    Ok(mut c) => {
                        security.send(watch.connected(&mut c).await);
                        let r = poll_once(&mut c, &device).await;
                        client = Some(c);
                        r
                    }
                    Err(e) => Err(e),
                },
            }
        }
        .instrument(span.clone())
        .await;
        match &result {
            Ok(poll) => span.record("values", poll.values.len()),
            Err(e) => span.record("error", tracing::field::display(e)),
        };
        security.send(watch.polled(&device.reads, &result));
        let result = result.map_err(|e| e.to_string());
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
                        let id = sensors.get(&v.tag).map_or(Uuid::nil(), |s| s.id);
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
