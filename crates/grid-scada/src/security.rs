//! SCADA security events — the guard's and the poller's — into `cyber_security_events`
//! through grid-store, folded by key, with an alert ([`AlertKind::SecurityEvent`]) for each
//! new critical or emergency row; spooled to disk (a file per batch, written to a temporary
//! name, flushed, renamed, the directory synced) while the database is away and replayed in
//! order when it is back, so no event is lost to an outage. A batch is recorded in one
//! transaction, so a replay never counts an occurrence twice.

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use grid_model::{
    AlertDraft, AlertKind, AlertSeverity, NewAlert, NewSecurityEvent, SecurityEventDraft,
    SecurityEventKind,
};
use serde::{Deserialize, Serialize};

/// An event to record: `occurrences` more of the event whose repeats share `fold_key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Emit {
    /// The event (its first occurrence's fields).
    pub draft: SecurityEventDraft,
    /// What makes repeats the same event.
    pub fold_key: String,
    /// How many more.
    pub occurrences: i32,
}

impl Emit {
    /// One event of `kind` from `source` against `target`, found by `detected_by`, with
    /// `detail` completing its fold key (kind, source, target, detail).
    pub fn new(
        kind: SecurityEventKind,
        severity: AlertSeverity,
        (source, target): (Option<std::net::IpAddr>, &str),
        detail: &str,
        at: DateTime<Utc>,
        detected_by: &str,
    ) -> Emit {
        let mut draft = SecurityEventDraft::of(kind, severity, at);
        draft.source_ip = source;
        draft.target_system = Some(target.chars().take(100).collect());
        draft.detected_by = Some(detected_by.into());
        let src = source.map_or_else(|| "-".into(), |s| s.to_string());
        Emit {
            draft,
            fold_key: format!("{}|{src}|{target}|{detail}", kind.as_str()),
            occurrences: 1,
        }
    }
}

/// What the event writer counts.
#[derive(Debug, Default)]
pub struct EventCounters {
    /// Occurrences recorded in the database.
    pub recorded: AtomicU64,
    /// New rows (the rest folded into existing ones).
    pub rows: AtomicU64,
    /// Alerts raised for critical events.
    pub alerts: AtomicU64,
    /// Batches spooled while the database was away.
    pub spooled: AtomicU64,
    /// Events that could be neither recorded nor spooled, or were refused as invalid.
    pub lost: AtomicU64,
}

impl EventCounters {
    /// A snapshot as `name=value` pairs.
    pub fn line(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "events_recorded={} event_rows={} event_alerts={} event_batches_spooled={} events_lost={}",
            g(&self.recorded),
            g(&self.rows),
            g(&self.alerts),
            g(&self.spooled),
            g(&self.lost)
        )
    }
}

/// Where events go: a channel to the writer thread.
#[derive(Debug, Clone)]
pub struct EventSink {
    tx: mpsc::SyncSender<Emit>,
    counters: Arc<EventCounters>,
}

impl EventSink {
    /// Hands events to the writer (never blocks; the writer drains as it can; past [`QUEUE`]
    /// waiting, events are counted as lost).
    pub fn send(&self, events: impl IntoIterator<Item = Emit>) {
        for e in events {
            if self.tx.try_send(e).is_err() {
                // A flood the writer cannot keep up with (or a writer gone): counted, never
                // memory without bound.
                self.counters.lost.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Events waiting for the writer at most; past it they are counted as lost (a flood of
/// refusals must not grow memory without bound; each event is folded anyway).
pub const QUEUE: usize = 100_000;

/// How events become rows: repeats of one fold key within `window` are one row; one source
/// opens at most `new_rows_per_source_per_minute` rows a minute, its further distinct
/// events in that minute folding into one overflow row of the source (a flood of random
/// frames grows a counter, not the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Folding {
    /// Repeats within this are one row.
    pub window: chrono::Duration,
    /// Distinct events (fold keys) one source may open rows for in a minute.
    pub new_rows_per_source_per_minute: usize,
}

impl Default for Folding {
    fn default() -> Self {
        Folding {
            window: chrono::Duration::minutes(10),
            new_rows_per_source_per_minute: 20,
        }
    }
}

/// Sources whose keys are remembered in one minute, at most; past it every further source
/// shares one overflow row (memory stays bounded whatever the flood).
const MAX_SOURCES_PER_MINUTE: usize = 10_000;

/// The per-source cap of [`Folding`]: the distinct fold keys each source used this minute.
#[derive(Debug, Default)]
struct SourceCap {
    limit: usize,
    minute: i64,
    keys: std::collections::HashMap<Option<std::net::IpAddr>, std::collections::HashSet<String>>,
}

impl SourceCap {
    fn new(limit: usize) -> Self {
        SourceCap {
            limit,
            ..Default::default()
        }
    }

    /// The event as it is to be recorded: itself, or folded into its source's overflow row.
    fn admit(&mut self, mut e: Emit) -> Emit {
        let minute = e.draft.occurred_at.timestamp().div_euclid(60);
        if minute > self.minute {
            self.minute = minute;
            self.keys.clear();
        }
        let source = e.draft.source_ip;
        let room = self.keys.len() < MAX_SOURCES_PER_MINUTE || self.keys.contains_key(&source);
        if room {
            let seen = self.keys.entry(source).or_default();
            if seen.contains(&e.fold_key) || seen.len() < self.limit {
                seen.insert(e.fold_key.clone());
                return e;
            }
        }
        let src = match (room, source) {
            (true, Some(ip)) => ip.to_string(),
            (true, None) => "-".into(),
            (false, _) => "*".into(),
        };
        e.draft.description = Some(format!(
            "more than {} distinct security events a minute from {src}: further ones are \
             counted in this row (the first: {}{})",
            self.limit,
            e.draft.event_type,
            e.draft
                .command_attempted
                .as_deref()
                .map(|c| format!(", {c}"))
                .unwrap_or_default()
        ));
        e.fold_key = format!("overflow|{src}");
        e
    }
}

/// Starts the writer thread; it ends when every sink is dropped, after writing (or
/// spooling) what it holds. Its connection carries `limits` (the program's role's).
pub fn start(
    database_url: String,
    limits: grid_store::SessionLimits,
    spool_dir: PathBuf,
    folding: Folding,
    counters: Arc<EventCounters>,
) -> std::io::Result<(EventSink, std::thread::JoinHandle<()>)> {
    fs::create_dir_all(&spool_dir)?;
    let (tx, rx) = mpsc::sync_channel(QUEUE);
    let handle = std::thread::Builder::new()
        .name("security-events".into())
        .spawn({
            let counters = counters.clone();
            move || writer(rx, (&database_url, limits), &spool_dir, folding, &counters)
        })?;
    Ok((EventSink { tx, counters }, handle))
}

fn writer(
    rx: mpsc::Receiver<Emit>,
    (url, limits): (&str, grid_store::SessionLimits),
    spool: &Path,
    folding: Folding,
    counters: &EventCounters,
) {
    let window = folding.window;
    let mut cap = SourceCap::new(folding.new_rows_per_source_per_minute);
    let mut conn: Option<PgConnection> = None;
    let mut pending: Vec<Emit> = Vec::new();
    // Whether batches wait on disk: listed once here, then known (no directory read per
    // loop), and a failed attempt is not retried for a second.
    let mut waiting = !spooled_batches(spool).is_empty();
    let mut failed_at: Option<Instant> = None;
    loop {
        let closed = match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(e) => {
                pending.push(cap.admit(e));
                pending.extend(rx.try_iter().map(|e| cap.admit(e)));
                false
            }
            Err(mpsc::RecvTimeoutError::Timeout) => false,
            Err(mpsc::RecvTimeoutError::Disconnected) => true,
        };
        let due = closed || failed_at.is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if due && (!pending.is_empty() || waiting) {
            if conn.is_none() {
                conn = grid_store::establish_with(url, limits)
                    .map_err(|e| tracing::warn!(error = %e, "events: database unreachable"))
                    .ok();
            }
            let ok = match conn.as_mut() {
                Some(c) => {
                    (!waiting || replay(c, spool, &spooled_batches(spool), window, counters))
                        && record_all(c, &pending, window, counters)
                }
                None => false,
            };
            if ok {
                waiting = false;
                failed_at = None;
            } else {
                conn = None;
                failed_at = Some(Instant::now());
                if !pending.is_empty() && spool_batch(spool, &pending, counters) {
                    waiting = true;
                }
            }
            pending.clear();
        }
        if closed {
            return;
        }
    }
}

/// Records a batch in one transaction: all of it or none (then it is spooled whole, and a
/// replay cannot count an occurrence twice).
fn record_all(
    conn: &mut PgConnection,
    events: &[Emit],
    window: chrono::Duration,
    counters: &EventCounters,
) -> bool {
    if events.is_empty() {
        return true;
    }
    let result = conn.transaction::<_, grid_store::StoreError, _>(|c| {
        let (mut rows, mut alerts, mut n) = (0, 0, 0);
        for e in events {
            let valid = match NewSecurityEvent::new(e.draft.clone()) {
                Ok(v) => v,
                Err(err) => {
                    tracing::error!(error = %err, "a security event the model refuses");
                    counters.lost.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            let r = grid_store::security::record(c, &valid, &e.fold_key, window, e.occurrences)?;
            n += e.occurrences.max(1) as u64;
            if r.new {
                rows += 1;
                if r.event.severity >= AlertSeverity::Critical {
                    raise_alert(c, &r.event)?;
                    alerts += 1;
                }
            }
        }
        Ok((rows, alerts, n))
    });
    match result {
        Ok((rows, alerts, n)) => {
            counters.rows.fetch_add(rows, Ordering::Relaxed);
            counters.alerts.fetch_add(alerts, Ordering::Relaxed);
            counters.recorded.fetch_add(n, Ordering::Relaxed);
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, events = events.len(), "events not recorded");
            false
        }
    }
}

/// One alert for a new critical row.
fn raise_alert(
    conn: &mut PgConnection,
    e: &grid_model::SecurityEvent,
) -> Result<(), grid_store::StoreError> {
    let title = format!(
        "{} from {} at {}",
        e.event_type,
        e.source_ip.map_or_else(|| "?".into(), |ip| ip.to_string()),
        e.target_system.as_deref().unwrap_or("?")
    );
    let mut d = AlertDraft::new(AlertKind::SecurityEvent, e.severity, title);
    d.description = e.command_attempted.clone();
    d.raised_at = e.occurred_at;
    d.raised_by = e.detected_by.clone();
    d.metadata = serde_json::json!({ "security_event_id": e.id });
    grid_store::alerts::raise(conn, &NewAlert::new(d)?)?;
    Ok(())
}

fn spooled_batches(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "events"))
        .collect();
    v.sort();
    v
}

fn replay(
    conn: &mut PgConnection,
    dir: &Path,
    batches: &[PathBuf],
    window: chrono::Duration,
    counters: &EventCounters,
) -> bool {
    for path in batches {
        let events: Vec<Emit> = match fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
        {
            Some(v) => v,
            None => {
                tracing::error!(file = %path.display(), "unreadable event batch set aside");
                let _ = fs::rename(path, path.with_extension("corrupt"));
                continue;
            }
        };
        if !record_all(conn, &events, window, counters) {
            return false;
        }
        if let Err(e) = fs::remove_file(path).and_then(|_| File::open(dir)?.sync_all()) {
            tracing::error!(error = %e, "a replayed event batch could not be removed");
            return false;
        }
    }
    true
}

/// Writes a batch to the spool; false when it could not (then it is counted as lost).
fn spool_batch(dir: &Path, events: &[Emit], counters: &EventCounters) -> bool {
    let name = format!(
        "{:020}-{}.events",
        Utc::now().timestamp_micros(),
        std::process::id()
    );
    let path = dir.join(name);
    let tmp = path.with_extension("tmp");
    let written = serde_json::to_vec(events)
        .map_err(std::io::Error::other)
        .and_then(|bytes| {
            let mut f = File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            File::open(dir)?.sync_all()
        });
    match written {
        Ok(()) => {
            counters.spooled.fetch_add(1, Ordering::Relaxed);
            true
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            counters
                .lost
                .fetch_add(events.len() as u64, Ordering::Relaxed);
            tracing::error!(error = %e, events = events.len(), "security events lost: neither recorded nor spooled");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(source: &str, detail: &str, second: i64) -> Emit {
        let at = DateTime::from_timestamp(1_700_000_000 / 60 * 60 + second, 0).unwrap();
        Emit::new(
            SecurityEventKind::MalformedFrame,
            AlertSeverity::Warning,
            (Some(source.parse().unwrap()), "rtu-1"),
            detail,
            at,
            "test",
        )
    }

    #[test]
    fn one_source_opens_at_most_its_cap_of_rows_a_minute() {
        let mut cap = SourceCap::new(3);
        let keys: Vec<String> = (0..10)
            .map(|i| cap.admit(event("10.0.0.1", &format!("k{i}"), 1)).fold_key)
            .collect();
        let distinct: std::collections::BTreeSet<&String> = keys.iter().collect();
        assert_eq!(
            distinct.len(),
            4,
            "three own rows and the overflow row: {keys:?}"
        );
        assert!(keys[3..].iter().all(|k| k == "overflow|10.0.0.1"));
        // A repeat of an admitted key keeps its own row; another source has its own cap.
        assert_eq!(cap.admit(event("10.0.0.1", "k1", 2)).fold_key, keys[1]);
        assert_ne!(
            cap.admit(event("10.0.0.2", "k9", 3)).fold_key,
            "overflow|10.0.0.2"
        );
        // The next minute starts afresh.
        assert_ne!(
            cap.admit(event("10.0.0.1", "k9", 61)).fold_key,
            "overflow|10.0.0.1"
        );
    }
}
