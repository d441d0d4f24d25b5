//! What a running poller counts, readable at any time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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
    /// Readings lost: dropped because the spool was at its limit, or never spooled because
    /// the disk was full.
    pub readings_dropped: AtomicU64,
    /// Readings the database refused for their data, found alone by splitting their batch
    /// and kept apart in the spool's `*.refused` files.
    pub readings_refused: AtomicU64,
    /// Spool records that failed their checksum or were cut short, set aside on replay.
    pub spool_records_damaged: AtomicU64,
    /// Spool segments that could not be read at all, set aside.
    pub spool_segments_corrupt: AtomicU64,
    /// Segments in the spool now.
    pub spool_segments: AtomicU64,
    /// Bytes in the spool now.
    pub spool_bytes: AtomicU64,
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
            "polls_ok={} polls_failed={} values_read={} readings_stored={} batches_spooled={} batches_replayed={} readings_dropped={} readings_refused={} spool_records_damaged={} spool_segments_corrupt={} spool_segments={} spool_bytes={} alerts_raised={} alerts_resolved={}",
            g(&self.polls_ok),
            g(&self.polls_failed),
            g(&self.values_read),
            g(&self.readings_stored),
            g(&self.batches_spooled),
            g(&self.batches_replayed),
            g(&self.readings_dropped),
            g(&self.readings_refused),
            g(&self.spool_records_damaged),
            g(&self.spool_segments_corrupt),
            g(&self.spool_segments),
            g(&self.spool_bytes),
            g(&self.alerts_raised),
            g(&self.alerts_resolved)
        )
    }
}
