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

    /// The histogram in Prometheus' text format under `name` (buckets at 10 ms, 100 ms, 1 s,
    /// 10 s, 60 s and +Inf; the sum from bucket upper bounds, so an upper estimate).
    pub fn prometheus(&self, name: &str) -> String {
        let b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = format!(
            "# HELP {name} Poll-to-commit latency of stored readings.\n# TYPE {name} histogram\n"
        );
        let mut cumulative = 0u64;
        let mut sum_ms = 0u64;
        let mut next = 0usize;
        let bounds_ms = [10u64, 100, 1_000, 10_000, 60_000];
        for (i, n) in b.iter().enumerate() {
            let upper = (i as u64 + 1) * Self::BUCKET_MS;
            while next < bounds_ms.len() && upper > bounds_ms[next] {
                out.push_str(&format!(
                    "{name}_bucket{{le=\"{}\"}} {cumulative}\n",
                    bounds_ms[next] as f64 / 1000.0
                ));
                next += 1;
            }
            cumulative += n;
            sum_ms += n * upper;
        }
        while next < bounds_ms.len() {
            out.push_str(&format!(
                "{name}_bucket{{le=\"{}\"}} {cumulative}\n",
                bounds_ms[next] as f64 / 1000.0
            ));
            next += 1;
        }
        out.push_str(&format!(
            "{name}_bucket{{le=\"+Inf\"}} {cumulative}\n{name}_sum {}\n{name}_count {cumulative}\n",
            sum_ms as f64 / 1000.0
        ));
        out
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
    /// A snapshot in Prometheus' text format (`grid_scada_*`), for a `/metrics` endpoint.
    pub fn prometheus(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, u64)]| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            for (labels, v) in samples {
                out.push_str(&format!("{name}{labels} {v}\n"));
            }
        };
        metric(
            "grid_scada_polls_total",
            "counter",
            "Polls of the devices.",
            &[
                ("{outcome=\"ok\"}", g(&self.polls_ok)),
                ("{outcome=\"failed\"}", g(&self.polls_failed)),
            ],
        );
        metric(
            "grid_scada_values_read_total",
            "counter",
            "Values read from the devices.",
            &[("", g(&self.values_read))],
        );
        metric(
            "grid_scada_readings_total",
            "counter",
            "Readings by fate.",
            &[
                ("{fate=\"stored\"}", g(&self.readings_stored)),
                ("{fate=\"dropped\"}", g(&self.readings_dropped)),
                ("{fate=\"refused\"}", g(&self.readings_refused)),
            ],
        );
        metric(
            "grid_scada_spool_batches_total",
            "counter",
            "Batches spooled and replayed.",
            &[
                ("{step=\"spooled\"}", g(&self.batches_spooled)),
                ("{step=\"replayed\"}", g(&self.batches_replayed)),
            ],
        );
        metric(
            "grid_scada_spool_damaged_total",
            "counter",
            "Spool records and segments set aside.",
            &[
                ("{what=\"record\"}", g(&self.spool_records_damaged)),
                ("{what=\"segment\"}", g(&self.spool_segments_corrupt)),
            ],
        );
        metric(
            "grid_scada_spool_segments",
            "gauge",
            "Segments in the spool now.",
            &[("", g(&self.spool_segments))],
        );
        metric(
            "grid_scada_spool_bytes",
            "gauge",
            "Bytes in the spool now.",
            &[("", g(&self.spool_bytes))],
        );
        metric(
            "grid_scada_alerts_total",
            "counter",
            "Communication alerts.",
            &[
                ("{step=\"raised\"}", g(&self.alerts_raised)),
                ("{step=\"resolved\"}", g(&self.alerts_resolved)),
            ],
        );
        out.push_str(&self.latency.prometheus("grid_scada_poll_to_commit_seconds"));
        out
    }

    /// Whether the poller is healthy, with its figures: healthy unless every poll so far
    /// failed (no device answers) or readings were lost (the spool at its limit, a full
    /// disk).
    pub fn health(&self) -> (bool, serde_json::Value) {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let (ok, failed, dropped) = (
            g(&self.polls_ok),
            g(&self.polls_failed),
            g(&self.readings_dropped),
        );
        let healthy = !(ok == 0 && failed > 0) && dropped == 0;
        let body = serde_json::json!({
            "status": if healthy { "ok" } else { "degraded" },
            "polls_ok": ok,
            "polls_failed": failed,
            "readings_stored": g(&self.readings_stored),
            "readings_dropped": dropped,
            "spool_bytes": g(&self.spool_bytes),
            "spool_segments": g(&self.spool_segments),
        });
        (healthy, body)
    }

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
