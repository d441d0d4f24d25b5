//! IEEE 1366 reliability indices and the 2.5β major-event-day method. Pure formulas.
//!
//! N_T customers served, N_i customers interrupted by sustained interruption i, r_i its
//! duration:
//! SAIFI = Σ N_i / N_T; SAIDI = Σ r_i·N_i / N_T (minutes); CAIDI = SAIDI / SAIFI;
//! ASAI = 1 − customer-hours without supply in the period / (N_T × hours in the period);
//! MAIFI_E = Σ momentary interruption events × customers / N_T.
//!
//! - **Sustained**: longer than a threshold (IEEE 1366: 5 minutes; EN 50160 uses 3);
//!   momentary otherwise.
//! - **Momentary interruption events** (IEEE 1366 §3.13 and MAIFI_E): all momentary
//!   operations of one interrupting device within 5 minutes of the event's first operation
//!   (inclusive: one exactly 5:00 after it belongs to it, for grouping and lockout alike)
//!   are one event, counted on the day its first operation falls, its customers the most any operation interrupted; an event whose device
//!   then locks out (a sustained interruption of the same device begins within those
//!   5 minutes) is not momentary at all — the sustained interruption counts instead. The
//!   device is the one the outage names ([`Interrupter::Device`]), else its substation.
//! - **SAIDI and ASAI across days**: a sustained interruption counts in SAIDI and SAIFI on
//!   the day it began (IEEE 1366 assigns an event to the day it starts, which the
//!   major-event-day method needs), while availability is what each day had: ASAI takes the
//!   customer-hours without supply within the day, so a 30-hour outage leaves both days'
//!   ASAI in [0, 1] (before: −0.25 on its first day).
//! - **N_i ≤ served ≤ N_T**: an interruption cannot interrupt more customers than its
//!   substation serves that day ([`Interruption::served`]), nor more than the area serves; a
//!   larger N_i is capped and counted in [`Indices::capped`] (flagged, not refused, so one
//!   bad alert cannot stop a day's statistics). An outage of a substation serving no one
//!   that day (out of service) or in an area without customers is capped to 0.

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// IEEE 1366's momentary-event window: operations of a device within this time of the
/// event's first one are one event.
pub const MOMENTARY_EVENT_WINDOW: Duration = Duration::minutes(5);

/// What interrupted supply: the key momentary operations are grouped by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Interrupter {
    /// A device the outage names (a feeder breaker, a recloser), within its substation.
    Device {
        /// The substation.
        substation: Uuid,
        /// The device's name.
        name: String,
    },
    /// The substation, when the outage names no device.
    Substation(Uuid),
}

/// One interruption of supply.
#[derive(Debug, Clone, PartialEq)]
pub struct Interruption {
    /// When supply was lost.
    pub start: DateTime<Utc>,
    /// When it was restored; `None` while it lasts.
    pub end: Option<DateTime<Utc>>,
    /// Customers without supply, as reported.
    pub customers: i64,
    /// The most it can have interrupted: the customers its substation served that day, when
    /// known (`None`: only N_T bounds it).
    pub served: Option<i64>,
    /// What interrupted it.
    pub interrupter: Interrupter,
}

impl Interruption {
    /// Its duration, up to `now` while it lasts.
    pub fn duration(&self, now: DateTime<Utc>) -> Duration {
        (self.end.unwrap_or(now) - self.start).max(Duration::zero())
    }
}

/// Indices of one area over one period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Indices {
    /// Customers served (N_T).
    pub customers_served: i64,
    /// Sustained interruptions.
    pub sustained: u32,
    /// Their total duration, minutes (Σ r_i, not weighted by customers).
    pub sustained_minutes: f64,
    /// Momentary interruption events (IEEE 1366; a lockout's operations excluded).
    pub momentary: u32,
    /// Momentary operations (every momentary interruption, before grouping into events).
    #[serde(default)]
    pub momentary_operations: u32,
    /// Customer-minutes of sustained interruption (Σ r_i·N_i), of interruptions that began
    /// in the period.
    pub customer_minutes: f64,
    /// Customer-minutes without supply within the period (every sustained interruption
    /// overlapping it, clipped to it): what ASAI takes.
    #[serde(default)]
    pub customer_minutes_unavailable: f64,
    /// Customer interruptions (Σ N_i).
    pub customer_interruptions: f64,
    /// Customer momentary events (Σ events × customers).
    pub customer_momentary_events: f64,
    /// Interruptions whose customers exceeded N_T and were capped to it.
    #[serde(default)]
    pub capped: u32,
    /// SAIDI, minutes; `None` without customers served.
    pub saidi: Option<f64>,
    /// SAIFI; `None` without customers served.
    pub saifi: Option<f64>,
    /// CAIDI, minutes; `None` without customers served or without sustained interruption.
    pub caidi: Option<f64>,
    /// ASAI, 0–1; `None` without customers served.
    pub asai: Option<f64>,
    /// MAIFI_E; `None` without customers served.
    pub maifi_e: Option<f64>,
}

impl Indices {
    /// No interruption yet, for an area of `customers_served`.
    pub fn none(customers_served: i64) -> Indices {
        Indices {
            customers_served,
            sustained: 0,
            sustained_minutes: 0.0,
            momentary: 0,
            momentary_operations: 0,
            customer_minutes: 0.0,
            customer_minutes_unavailable: 0.0,
            customer_interruptions: 0.0,
            customer_momentary_events: 0.0,
            capped: 0,
            saidi: None,
            saifi: None,
            caidi: None,
            asai: None,
            maifi_e: None,
        }
    }

    /// Adds another area's or day's counts and sums (not the indices).
    fn add_counts(&mut self, o: &Indices) {
        self.sustained += o.sustained;
        self.sustained_minutes += o.sustained_minutes;
        self.momentary += o.momentary;
        self.momentary_operations += o.momentary_operations;
        self.customer_minutes += o.customer_minutes;
        self.customer_minutes_unavailable += o.customer_minutes_unavailable;
        self.customer_interruptions += o.customer_interruptions;
        self.customer_momentary_events += o.customer_momentary_events;
        self.capped += o.capped;
    }
}

/// Computes the indices of an area of `customers_served` over `period`, from the
/// interruptions that began in it. `interruptions` may include some that began up to
/// [`MOMENTARY_EVENT_WINDOW`] before or after it: they only decide which momentary
/// operations form one event or end in a lockout. `sustained_after` is the sustained
/// threshold (strictly longer); an interruption still going counts until `now`.
pub fn indices(
    interruptions: &[Interruption],
    customers_served: i64,
    period: Range<DateTime<Utc>>,
    sustained_after: Duration,
    now: DateTime<Utc>,
) -> Indices {
    let mut ix = Indices::none(customers_served);
    let nt = customers_served.max(0);
    let cap = |n: i64, served: Option<i64>, ix: &mut Indices| -> f64 {
        let limit = served.map_or(nt, |s| s.clamp(0, nt));
        if n > limit {
            ix.capped += 1;
            limit as f64
        } else {
            n.max(0) as f64
        }
    };
    let sustained = |i: &Interruption| i.duration(now) > sustained_after;
    let mut momentary: BTreeMap<&Interrupter, Vec<&Interruption>> = BTreeMap::new();
    for i in interruptions {
        if sustained(i) {
            let (a, b) = (
                i.start.max(period.start),
                i.end.unwrap_or(now).min(period.end),
            );
            if b > a {
                let within = (b - a).num_milliseconds() as f64 / 60_000.0;
                let n = i
                    .customers
                    .clamp(0, i.served.map_or(nt, |s| s.clamp(0, nt)));
                ix.customer_minutes_unavailable += within * n as f64;
            }
            if period.contains(&i.start) {
                let minutes = i.duration(now).num_milliseconds() as f64 / 60_000.0;
                let n = cap(i.customers, i.served, &mut ix);
                ix.sustained += 1;
                ix.sustained_minutes += minutes;
                ix.customer_minutes += minutes * n;
                ix.customer_interruptions += n;
            }
        } else {
            momentary.entry(&i.interrupter).or_default().push(i);
        }
    }
    for (device, mut ops) in momentary {
        ops.sort_by_key(|i| i.start);
        let mut k = 0;
        while k < ops.len() {
            let first = ops[k].start;
            let window_end = first + MOMENTARY_EVENT_WINDOW;
            let mut customers = 0;
            let served = ops[k].served;
            let mut operations = 0;
            while k < ops.len() && ops[k].start <= window_end {
                customers = customers.max(ops[k].customers);
                operations += 1;
                k += 1;
            }
            if !period.contains(&first) {
                continue;
            }
            let locked_out = interruptions.iter().any(|i| {
                &i.interrupter == device
                    && sustained(i)
                    && i.start >= first
                    && i.start <= window_end
            });
            ix.momentary_operations += operations;
            if !locked_out {
                let n = cap(customers, served, &mut ix);
                ix.momentary += 1;
                ix.customer_momentary_events += n;
            }
        }
    }
    let hours = (period.end - period.start).num_milliseconds() as f64 / 3_600_000.0;
    finish(&mut ix, hours);
    ix
}

fn finish(ix: &mut Indices, period_hours: f64) {
    if ix.customers_served > 0 {
        let nt = ix.customers_served as f64;
        let saidi = ix.customer_minutes / nt;
        let saifi = ix.customer_interruptions / nt;
        ix.saidi = Some(saidi);
        ix.saifi = Some(saifi);
        ix.caidi = (saifi > 0.0).then(|| saidi / saifi);
        ix.asai = Some(asai(ix.customer_minutes_unavailable, nt, period_hours));
        ix.maifi_e = Some(ix.customer_momentary_events / nt);
    }
}

/// One day's indices of an area, as stored (what period figures are built from).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DailyIndices {
    /// The local day.
    pub date: NaiveDate,
    /// The day's indices.
    pub indices: Indices,
}

/// Period indices from daily ones: counts, customer-minutes and interruptions summed, each
/// day normalised by its own N_T (as IEEE 1366's daily SAIDI is), so SAIDI and SAIFI are
/// sums of the daily values; `customers_served` is the largest daily N_T. `None` indices
/// when no day had customers.
pub fn period(days: &[DailyIndices], period_hours: f64) -> Indices {
    let mut ix = Indices::none(
        days.iter()
            .map(|d| d.indices.customers_served)
            .max()
            .unwrap_or(0),
    );
    // Each index sums over the days that define it (a day without customers defines none).
    let sum = |f: fn(&Indices) -> Option<f64>| -> Option<f64> {
        days.iter()
            .filter_map(|d| f(&d.indices))
            .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
    };
    for d in days {
        ix.add_counts(&d.indices);
    }
    ix.saidi = sum(|i| i.saidi);
    ix.saifi = sum(|i| i.saifi);
    ix.maifi_e = sum(|i| i.maifi_e);
    if let (Some(saidi), Some(saifi)) = (ix.saidi, ix.saifi) {
        ix.caidi = (saifi > 0.0).then(|| saidi / saifi);
    }
    // Availability per day (each day's unavailable customer-hours over its own N_T),
    // summed over the period.
    let unavailable: Option<f64> = days
        .iter()
        .filter(|d| d.indices.customers_served > 0)
        .map(|d| d.indices.customer_minutes_unavailable / d.indices.customers_served as f64)
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v));
    ix.asai = unavailable.map(|m| (1.0 - (m / 60.0) / period_hours).clamp(0.0, 1.0));
    ix
}

/// ASAI from the customer-minutes without supply in a period of `hours` for `nt` customers:
/// in [0, 1] (overlapping interruptions of one area cannot take more than all of it).
fn asai(customer_minutes_unavailable: f64, nt: f64, hours: f64) -> f64 {
    (1.0 - customer_minutes_unavailable / 60.0 / (nt * hours)).clamp(0.0, 1.0)
}

/// Grid-wide indices from zones' indices of the same day: customer-weighted (Σ customer
/// minutes / Σ N_T), never an average of the zones' values. One population: a zone without
/// customers served adds nothing to the numerators either (its customer figures cannot
/// belong to the N_T they would be divided by); its interruption counts still add up.
pub fn combine(zones: &[Indices], period_hours: f64) -> Indices {
    let mut ix = Indices::none(0);
    for z in zones {
        if z.customers_served > 0 {
            ix.customers_served += z.customers_served;
            ix.add_counts(z);
        } else {
            ix.sustained += z.sustained;
            ix.sustained_minutes += z.sustained_minutes;
            ix.momentary += z.momentary;
            ix.momentary_operations += z.momentary_operations;
            ix.capped += z.capped;
        }
    }
    finish(&mut ix, period_hours);
    ix
}

/// The 2.5β major-event-day threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MajorEventThreshold {
    /// T_MED = exp(α + 2.5β), SAIDI minutes per day.
    pub t_med: f64,
    /// α: mean of ln(daily SAIDI).
    pub alpha: f64,
    /// β: sample standard deviation (n − 1) of ln(daily SAIDI).
    pub beta: f64,
    /// Days with SAIDI > 0 the threshold was computed from.
    pub days_used: usize,
}

/// The IEEE 1366 2.5β threshold from a history of daily SAIDI values (normally the five
/// years before the period; fewer when fewer exist). Days with zero SAIDI are left out
/// (ln 0 is undefined). β is the *sample* standard deviation (n − 1): the history is a
/// sample of the area's behaviour, and IEEE 1366's worked example computes it so. `None`
/// with fewer than two non-zero days (no spread can be estimated).
pub fn major_event_threshold(daily_saidi: &[f64]) -> Option<MajorEventThreshold> {
    let logs: Vec<f64> = daily_saidi
        .iter()
        .copied()
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(f64::ln)
        .collect();
    let n = logs.len();
    if n < 2 {
        return None;
    }
    let alpha = logs.iter().sum::<f64>() / n as f64;
    let var = logs.iter().map(|l| (l - alpha).powi(2)).sum::<f64>() / (n - 1) as f64;
    let beta = var.sqrt();
    Some(MajorEventThreshold {
        t_med: (alpha + 2.5 * beta).exp(),
        alpha,
        beta,
        days_used: n,
    })
}

#[cfg(test)]
mod tests;
