//! Retrying a batch rolled back by a deadlock or a serialization failure.

use uuid::Uuid;

/// How often a batch rolled back by a deadlock or a serialization failure is tried again.
/// The batch keeps its validated rows for the retry (so a batch's memory is bounded by its
/// size, whatever the retries); a retry is safe because a batch is one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: none).
    pub max_retries: u32,
    /// The first wait; each retry doubles it, with up to 50 % random extra (so two writers
    /// that collided do not collide again in step).
    pub base_delay: std::time::Duration,
}

impl Default for RetryPolicy {
    /// 5 retries, from 20 ms (at most about 1 s of waiting in all).
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: std::time::Duration::from_millis(20),
        }
    }
}

impl RetryPolicy {
    /// No retries: the first deadlock is returned as an error.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Default::default()
        }
    }

    pub(super) fn delay(&self, retry: u32) -> std::time::Duration {
        let base = self.base_delay * 2u32.saturating_pow(retry.saturating_sub(1).min(16));
        let jitter = f64::from(Uuid::new_v4().as_bytes()[0]) / 255.0 * 0.5;
        base.mul_f64(1.0 + jitter)
    }
}
