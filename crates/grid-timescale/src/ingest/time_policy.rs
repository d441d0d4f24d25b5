//! Which timestamps a call accepts, and which the database can store at all.

use chrono::{DateTime, Duration, Utc};

/// Which timestamps a call accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimePolicy {
    /// Live data: from `max_age` before now to `max_ahead` after (clock skew).
    Live {
        /// How old a reading may be.
        max_age: Duration,
        /// How far in the future a reading may be.
        max_ahead: Duration,
    },
    /// Backfill (CSV loads, replays after an outage, simulations): the stated range,
    /// inclusive.
    Backfill {
        /// Earliest accepted time.
        from: DateTime<Utc>,
        /// Latest accepted time.
        to: DateTime<Utc>,
    },
}

/// The instants PostgreSQL's and TimescaleDB's `timestamptz` can hold: from 4713-11-24 BC
/// (Julian day 0; year −4713 in chrono's proleptic Gregorian calendar) to the end of
/// 294246 AD (TimescaleDB's end, a little before PostgreSQL's 294276; chrono ends earlier
/// still, so only the start ever binds).
pub fn storable_times() -> (DateTime<Utc>, DateTime<Utc>) {
    let at = |y: i32, m: u32, d: u32, (hh, mm, ss): (u32, u32, u32)| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(hh, mm, ss))
            .map(|t| t.and_utc())
    };
    (
        at(-4713, 11, 24, (0, 0, 0)).unwrap_or(DateTime::<Utc>::MIN_UTC),
        at(294_246, 12, 31, (23, 59, 59)).unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}

impl TimePolicy {
    /// Live data: up to 24 h old and 5 min ahead.
    pub fn live() -> TimePolicy {
        TimePolicy::Live {
            max_age: Duration::hours(24),
            max_ahead: Duration::minutes(5),
        }
    }

    /// Replay of readings already measured (a spool after an outage): any age, up to 5 min
    /// ahead of now (clock skew), now being each batch's time.
    pub fn replay() -> TimePolicy {
        TimePolicy::Live {
            max_age: Duration::MAX,
            max_ahead: Duration::minutes(5),
        }
    }

    /// Backfill of `[from, to]`.
    pub fn backfill(from: DateTime<Utc>, to: DateTime<Utc>) -> TimePolicy {
        TimePolicy::Backfill { from, to }
    }

    /// The window readings must lie in, never wider than what the database can store
    /// ([`storable_times`]): a reading outside is refused with a reason, never left to fail
    /// its whole batch in the database.
    pub(super) fn window(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let (lo, hi) = match *self {
            TimePolicy::Live { max_age, max_ahead } => (
                now.checked_sub_signed(max_age)
                    .unwrap_or(DateTime::<Utc>::MIN_UTC),
                now.checked_add_signed(max_ahead)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC),
            ),
            TimePolicy::Backfill { from, to } => (from, to),
        };
        let (min, max) = storable_times();
        (lo.max(min), hi.min(max))
    }
}
