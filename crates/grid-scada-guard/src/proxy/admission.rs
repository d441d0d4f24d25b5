//! Who may hold a client connection. A guard that accepts every connection runs out of
//! descriptors under a flood of idle ones: `accept()` then fails, and a loop that retries at
//! once spins (seen: 3.7 CPU-seconds in 5 s, a new allowed read timed out). So:
//!
//! - at most `max_connections_per_client` connections from one address, and at most
//!   `max_connections` in all, never more than the process's descriptor limit
//!   (`RLIMIT_NOFILE`) leaves after a reserve for everything else the guard opens
//!   (listeners, device connections, the database, the spool, the endpoints), so a flood is
//!   refused by the guard, never by the kernel;
//! - past three quarters of that, clients are under pressure: a silent client is cut off
//!   after `pressure_idle_timeout_ms` instead of the idle timeout;
//! - `accept()` errors (any left: another process's descriptors, the kernel's memory) are
//!   counted, logged at most once a second, and retried after a back-off that doubles
//!   from 10 ms to 1 s.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Descriptors kept for everything but client connections, beyond one per device listener
/// and one per device connection: the database and the spool, the endpoints and their
/// clients, standard streams, the runtime's own (epoll, eventfd), the libraries'.
pub const RESERVED_DESCRIPTORS: u64 = 64;

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The guard holds as many as it may in all.
    Total,
    /// The address holds as many as it may.
    PerClient,
}

impl Refusal {
    /// The fold key's part, and words.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Total => "total",
            Refusal::PerClient => "per_client",
        }
    }
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// The connection caps (see the module docs).
#[derive(Debug)]
pub struct Admission {
    total: usize,
    per_client: usize,
    open: Mutex<Open>,
}

/// A held connection's place; dropping it frees the place.
#[derive(Debug)]
pub struct Ticket {
    admission: Arc<Admission>,
    ip: IpAddr,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = self.admission.lock();
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_client.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.by_client.remove(&self.ip);
            }
        }
    }
}

impl Admission {
    /// Caps of `max_total` and `per_client`, the total lowered to what `descriptor_limit`
    /// leaves after `reserved` (at least one connection).
    pub fn new(max_total: usize, per_client: usize, descriptor_limit: u64, reserved: u64) -> Self {
        let room = descriptor_limit.saturating_sub(reserved).max(1);
        Admission {
            total: max_total.min(usize::try_from(room).unwrap_or(usize::MAX)),
            per_client,
            open: Mutex::new(Open::default()),
        }
    }

    /// The process's soft descriptor limit (`RLIMIT_NOFILE`), `None` when unlimited.
    pub fn descriptor_limit() -> Option<u64> {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cap on connections in all, after the descriptor limit.
    pub fn total_cap(&self) -> usize {
        self.total
    }

    /// A place for a connection from `ip`, or why not.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Ticket, Refusal> {
        let mut open = self.lock();
        if open.total >= self.total {
            return Err(Refusal::Total);
        }
        let n = open.by_client.entry(ip).or_default();
        if *n >= self.per_client {
            return Err(Refusal::PerClient);
        }
        *n += 1;
        open.total += 1;
        Ok(Ticket {
            admission: self.clone(),
            ip,
        })
    }

    /// Whether three quarters of the places are taken.
    pub fn under_pressure(&self) -> bool {
        self.lock().total * 4 >= self.total * 3
    }
}

/// The back-off after failed `accept()`s: 10 ms, doubling to 1 s, back to none after one
/// that worked.
#[derive(Debug, Default)]
pub struct Backoff {
    next: Option<Duration>,
}

impl Backoff {
    /// The wait after one more failure.
    pub fn failed(&mut self) -> Duration {
        let d = self.next.map_or(Duration::from_millis(10), |d| {
            (d * 2).min(Duration::from_secs(1))
        });
        self.next = Some(d);
        d
    }

    /// An `accept()` worked.
    pub fn reset(&mut self) {
        self.next = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_client_and_in_all_and_places_come_back() {
        let a = Arc::new(Admission::new(5, 2, 1024, RESERVED_DESCRIPTORS));
        let (x, y): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t1 = a.admit(x).unwrap();
        let _t2 = a.admit(x).unwrap();
        assert_eq!(a.admit(x).unwrap_err(), Refusal::PerClient);
        let mut others: Vec<Ticket> = (0..2).map(|_| a.admit(y).unwrap()).collect();
        assert!(a.under_pressure());
        let z: IpAddr = "10.0.0.3".parse().unwrap();
        let _t5 = a.admit(z).unwrap();
        assert_eq!(a.admit(z).unwrap_err(), Refusal::Total);
        drop(t1);
        others.pop();
        a.admit(x).unwrap();
        a.admit(z).unwrap();
    }

    #[test]
    fn the_total_never_exceeds_what_the_descriptor_limit_leaves() {
        let a = Admission::new(10_000, 16, 1024, 100);
        assert_eq!(a.total_cap(), 924);
        assert_eq!(Admission::new(10_000, 16, 10, 100).total_cap(), 1);
        assert_eq!(Admission::new(512, 16, 1 << 20, 100).total_cap(), 512);
    }

    #[test]
    fn the_backoff_doubles_to_a_second_and_resets() {
        let mut b = Backoff::default();
        let waits: Vec<u128> = (0..9).map(|_| b.failed().as_millis()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        b.reset();
        assert_eq!(b.failed(), Duration::from_millis(10));
    }
}
