//! The database side of the poller: batches, the spool and its replay.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::{Connection, PgConnection};
use grid_timescale::ingest::{IngestOptions, Ingester, Reading, TimePolicy};
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
                        && write(d, &pending, &counters)
                        && flush_alerts(&mut d.conn, &mut alerts, &mut open_alerts, &counters)
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

/// The writer's database side: the connection, the ingester and, when enabled, the anomaly
/// engine (loaded, and caught up over what was stored, at every connect).
struct Db {
    conn: PgConnection,
    ing: Ingester,
    engine: Option<grid_detect::OnlineDetector>,
}

fn connect(opts: &PollerOptions) -> Option<Db> {
    let mut conn = PgConnection::establish(&opts.database_url)
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
    Some(Db { conn, ing, engine })
}

fn write(db: &mut Db, readings: &[Reading], counters: &Counters) -> bool {
    if readings.is_empty() {
        return true;
    }
    let Db { conn, ing, engine } = db;
    let result = match engine {
        Some(engine) => ing.ingest_batch_scored(conn, readings.iter().cloned(), engine),
        None => ing.ingest_batch(conn, readings.iter().cloned()),
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
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, "batch not written");
            false
        }
    }
}

fn replay(db: &mut Db, spool: &mut Spool, counters: &Counters) -> bool {
    while let Some((seq, readings)) = spool.oldest() {
        if !write(db, &readings, counters) {
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
