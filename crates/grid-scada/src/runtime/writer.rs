//! The database side of the poller: batches, the spool and its replay.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::PgConnection;
use grid_timescale::ingest::{Both, IngestOptions, Ingester, Reading, TimePolicy};
use uuid::Uuid;

use crate::config::BatchConfig;
use crate::spool::Spool;

use super::*;

/// The database side: batches, the spool, alerts. Runs on its own thread (Diesel is
/// synchronous) until every sender is gone.
pub(super) fn writer(
    rx: mpsc::Receiver<ToWriter>,
    batch: BatchConfig,
    opts: PollerOptions,
    mut spool: Spool,
    counters: Arc<Counters>,
) {
    let mut db: Option<Db> = None;
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
                Some(d) => {
                    replay(d, &mut spool, &counters)
                        && store(d, &pending, &mut spool, &counters)
                        && flush_alerts(&mut d.conn, &mut alerts, &mut open_alerts, &counters)
                }
                None => false,
            };
            if !ok {
                db = None;
            }
            if !pending.is_empty() && (ok || due) {
                if !ok {
                    spool_or_count_lost(&mut spool, &pending, &counters);
                }
                pending.clear();
                oldest = None;
            }
            spool_gauges(&spool, &counters);
        }
        if closed {
            return;
        }
    }
}

/// The writer's database side: the connection, the ingester and, when enabled, the anomaly
/// engine (loaded, and caught up over what was stored, at every connect) and the limit
/// alarms' engine.
struct Db {
    conn: PgConnection,
    ing: Ingester,
    engine: Option<grid_detect::OnlineDetector>,
    alarms: Option<grid_alarms_store::AlarmEngine>,
}

fn connect(opts: &PollerOptions) -> Option<Db> {
    let mut conn = grid_store::establish_with(&opts.database_url, opts.session_limits)
        .map_err(|e| tracing::warn!(error = %e, "database unreachable"))
        .ok()?;
    // A replayed batch may be old, but nothing a device measured lies more than a little
    // ahead of now (a device clock 10 years ahead is refused, not stored).
    let options = IngestOptions {
        time_policy: TimePolicy::replay(),
        ..Default::default()
    };
    let ing = Ingester::new(&mut conn, opts.limits.clone(), options)
        .map_err(|e| tracing::warn!(error = %e, "cannot ingest"))
        .ok()?;
    let engine = match opts.anomaly_detection {
        Some(policy) => Some(
            grid_detect::OnlineDetector::load(&mut conn, policy)
                .map_err(|e| tracing::warn!(error = %e, "cannot load the anomaly engine"))
                .ok()?,
        ),
        None => None,
    };
    // The limit alarms' states are the store's: a reconnect (or a restart) loads them again.
    let alarms = opts.alarms.clone().map(grid_alarms_store::AlarmEngine::new);
    Some(Db {
        conn,
        ing,
        engine,
        alarms,
    })
}

/// Spools a batch the database could not take; a batch the spool cannot keep either (a full
/// disk) is counted as lost, loudly.
fn spool_or_count_lost(spool: &mut Spool, pending: &[Reading], counters: &Counters) {
    match spool.push(pending) {
        Ok(d) => {
            counters.batches_spooled.fetch_add(1, Ordering::Relaxed);
            counters
                .readings_dropped
                .fetch_add(d.readings, Ordering::Relaxed);
        }
        Err(e) => {
            counters
                .readings_dropped
                .fetch_add(pending.len() as u64, Ordering::Relaxed);
            tracing::error!(
                error = %e,
                disk_full = e.is_disk_full(),
                readings = pending.len(),
                "cannot spool a batch while the database is away: its readings are lost"
            );
        }
    }
}

/// The spool's state and what it set aside, into the counters.
fn spool_gauges(spool: &Spool, counters: &Counters) {
    let s = spool.set_aside();
    counters
        .spool_records_damaged
        .store(s.damaged_records, Ordering::Relaxed);
    counters
        .spool_segments_corrupt
        .store(s.corrupt_segments, Ordering::Relaxed);
    counters
        .spool_segments
        .store(spool.segments() as u64, Ordering::Relaxed);
    counters.spool_bytes.store(spool.bytes(), Ordering::Relaxed);
}

/// How a write ended.
enum Written {
    Stored,
    /// The database is away (or the connection broke): keep the batch whole and retry.
    Down,
    /// The database answers but refused the batch; `certain` when its error says the data
    /// is at fault (a check, not-null, foreign-key or unique violation).
    Refused {
        certain: bool,
    },
}

/// Stores a batch; when the database refuses it for its data, splits it until the readings
/// it refuses stand alone, stores the rest and keeps those apart (`Spool::refuse`). A
/// reading is only ever set aside alone, and only when its error names the data or other
/// readings of the batch were stored meanwhile: a refusal of everything (a full server disk,
/// a failing trigger) is not a poison reading and keeps the batch whole for a retry.
/// Returns whether the batch is done with (false: keep it).
fn store(db: &mut Db, readings: &[Reading], spool: &mut Spool, counters: &Counters) -> bool {
    let mut split = Split::default();
    if !split.run(db, readings, counters) {
        return false;
    }
    if split.refused.is_empty() {
        return true;
    }
    if !split.stored_any && !split.certain {
        tracing::warn!(
            readings = readings.len(),
            "the database refused every reading of the batch: kept whole for a retry"
        );
        return false;
    }
    counters
        .readings_refused
        .fetch_add(split.refused.len() as u64, Ordering::Relaxed);
    for r in &split.refused {
        tracing::error!(sensor = %r.sensor_id, timestamp = %r.timestamp, value_raw = r.value_raw, "reading refused by the database, set aside");
    }
    if let Err(e) = spool.refuse(&split.refused) {
        tracing::error!(error = %e, readings = split.refused.len(), "cannot keep the refused readings");
    }
    true
}

/// The state of one batch's splitting.
#[derive(Default)]
struct Split {
    refused: Vec<Reading>,
    stored_any: bool,
    certain: bool,
}

impl Split {
    /// Writes `readings`, halving on a refusal; false when the database went away.
    fn run(&mut self, db: &mut Db, readings: &[Reading], counters: &Counters) -> bool {
        match write(db, readings, counters) {
            Written::Stored => {
                self.stored_any |= !readings.is_empty();
                true
            }
            Written::Down => false,
            Written::Refused { certain } => {
                self.certain |= certain;
                if let [one] = readings {
                    self.refused.push(one.clone());
                    return true;
                }
                let (a, b) = readings.split_at(readings.len() / 2);
                self.run(db, a, counters) && self.run(db, b, counters)
            }
        }
    }
}

fn write(db: &mut Db, readings: &[Reading], counters: &Counters) -> Written {
    if readings.is_empty() {
        return Written::Stored;
    }
    let Db {
        conn,
        ing,
        engine,
        alarms,
    } = db;
    let batch = readings.iter().cloned();
    let result = match (engine, alarms) {
        (Some(engine), Some(alarms)) => {
            ing.ingest_batch_scored(conn, batch, &mut Both(engine, alarms))
        }
        (Some(engine), None) => ing.ingest_batch_scored(conn, batch, engine),
        (None, Some(alarms)) => ing.ingest_batch_scored(conn, batch, alarms),
        (None, None) => ing.ingest_batch(conn, batch),
    };
    match result {
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
            Written::Stored
        }
        Err(e) => {
            tracing::warn!(error = %e, readings = readings.len(), "batch not written");
            classify(&mut db.conn, &e)
        }
    }
}

/// Whether a failed write means the database is away or that it refused the data.
fn classify(conn: &mut PgConnection, e: &grid_timescale::TimescaleError) -> Written {
    use grid_store::StoreError;
    use grid_timescale::TimescaleError;
    match e {
        TimescaleError::Store(StoreError::Invalid(_) | StoreError::Conflict { .. }) => {
            Written::Refused { certain: true }
        }
        TimescaleError::Store(StoreError::Unavailable(_)) => Written::Down,
        _ => {
            // The database's other errors do not say their class through Diesel: if the
            // connection still answers, the database refused this batch.
            use diesel::connection::SimpleConnection;
            if conn.batch_execute("SELECT 1").is_ok() {
                Written::Refused { certain: false }
            } else {
                Written::Down
            }
        }
    }
}

fn replay(db: &mut Db, spool: &mut Spool, counters: &Counters) -> bool {
    while let Some((seq, readings)) = spool.oldest() {
        if !store(db, &readings, spool, counters) {
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
