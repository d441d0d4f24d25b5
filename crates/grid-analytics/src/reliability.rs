//! IEEE 1366 reliability indices and the 2.5β major-event-day method. Pure formulas.
//!
//! N_T customers served, N_i customers interrupted by sustained interruption i, r_i its
//! duration:
//! SAIFI = Σ N_i / N_T; SAIDI = Σ r_i·N_i / N_T (minutes); CAIDI = SAIDI / SAIFI;
//! ASAI = 1 − SAIDI (hours) / hours in the period;
//! MAIFI_E = Σ momentary interruption events × customers / N_T.
//!
//! - **Sustained**: longer than a threshold (IEEE 1366: 5 minutes; EN 50160 uses 3);
//!   momentary otherwise.
//! - **Momentary interruption events** (IEEE 1366 §3.13 and MAIFI_E): all momentary
//!   operations of one interrupting device within 5 minutes of the event's first operation
//!   are one event, its customers the most any operation interrupted; an event whose device
//!   then locks out (a sustained interruption of the same device begins within those
//!   5 minutes) is not momentary at all — the sustained interruption counts instead. The
//!   device is the one the outage names ([`Interrupter::Device`]), else its substation.
//! - **N_i ≤ N_T**: an interruption cannot interrupt more customers than the area serves; a
//!   larger N_i is capped at N_T and counted in [`Indices::capped`] (flagged, not refused, so
//!   one bad alert cannot stop a day's statistics); in an area without customers every N_i
//!   is capped to 0.

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
    /// Customers without supply.
    pub customers: i64,
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
    /// Customer-minutes of sustained interruption (Σ r_i·N_i).
    pub customer_minutes: f64,
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
    let cap = |n: i64, ix: &mut Indices| -> f64 {
        if n > nt {
            ix.capped += 1;
            nt as f64
        } else {
            n.max(0) as f64
        }
    };
    let sustained = |i: &Interruption| i.duration(now) > sustained_after;
    let mut momentary: BTreeMap<&Interrupter, Vec<&Interruption>> = BTreeMap::new();
    for i in interruptions {
        if sustained(i) {
            if period.contains(&i.start) {
                let minutes = i.duration(now).num_milliseconds() as f64 / 60_000.0;
                let n = cap(i.customers, &mut ix);
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
            let mut operations = 0;
            while k < ops.len() && ops[k].start < window_end {
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
                let n = cap(customers, &mut ix);
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
        ix.asai = Some(1.0 - (saidi / 60.0) / period_hours);
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
    ix.asai = ix.saidi.map(|saidi| 1.0 - (saidi / 60.0) / period_hours);
    ix
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
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, m, 0).unwrap()
    }

    fn day() -> Range<DateTime<Utc>> {
        at(0, 0)..at(0, 0) + Duration::days(1)
    }

    fn sub(n: u128) -> Interrupter {
        Interrupter::Substation(Uuid::from_u128(n))
    }

    fn breaker(name: &str) -> Interrupter {
        Interrupter::Device {
            substation: Uuid::from_u128(1),
            name: name.into(),
        }
    }

    fn cut(
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        customers: i64,
        by: Interrupter,
    ) -> Interruption {
        Interruption {
            start,
            end: Some(end),
            customers,
            interrupter: by,
        }
    }

    fn five() -> Duration {
        Duration::minutes(5)
    }

    #[test]
    fn indices_by_hand() {
        // N_T = 1000. Sustained: 60 min × 100 customers, 30 min × 200. Momentary: 2 min × 50.
        let list = [
            cut(at(1, 0), at(2, 0), 100, sub(1)),
            cut(at(5, 0), at(5, 30), 200, sub(1)),
            cut(at(9, 0), at(9, 2), 50, sub(1)),
        ];
        let ix = indices(&list, 1000, day(), five(), at(23, 0));
        assert_eq!((ix.sustained, ix.momentary), (2, 1));
        assert_eq!(ix.sustained_minutes, 90.0);
        // SAIDI = (60·100 + 30·200) / 1000 = 12 min; SAIFI = 300/1000 = 0.3; CAIDI = 40 min
        assert_eq!(ix.saidi, Some(12.0));
        assert_eq!(ix.saifi, Some(0.3));
        assert!((ix.caidi.unwrap() - 40.0).abs() < 1e-12);
        // ASAI = 1 − (12/60)/24 = 1 − 0.2/24
        assert!((ix.asai.unwrap() - (1.0 - 0.2 / 24.0)).abs() < 1e-15);
        // MAIFI_E = 50/1000
        assert_eq!(ix.maifi_e, Some(0.05));
    }

    #[test]
    fn a_three_shot_reclose_is_one_event_and_one_ending_in_lockout_is_none() {
        // Feeder F1 (800 customers): three momentary operations at 10:00, 10:01 and 10:03
        // (each 20 s): one event, not three → MAIFI_E = 800 / 2000 = 0.4 (MAIFI would be 1.2).
        let s = |h, m, sec| at(h, m) + Duration::seconds(sec);
        let mut list = vec![
            cut(s(10, 0, 0), s(10, 0, 20), 800, breaker("F1")),
            cut(s(10, 1, 0), s(10, 1, 20), 800, breaker("F1")),
            cut(s(10, 3, 0), s(10, 3, 20), 800, breaker("F1")),
        ];
        // Feeder F2 (300 customers): two shots at 14:00 and 14:02, then a third at 14:04 that
        // locks out for 40 minutes: no momentary event; one sustained interruption of 40 min.
        list.extend([
            cut(s(14, 0, 0), s(14, 0, 20), 300, breaker("F2")),
            cut(s(14, 2, 0), s(14, 2, 20), 300, breaker("F2")),
            cut(s(14, 4, 0), s(14, 44, 0), 300, breaker("F2")),
        ]);
        // F1 again at 10:06 (beyond 5 min of 10:00's first shot): a second event.
        list.push(cut(s(10, 6, 0), s(10, 6, 10), 500, breaker("F1")));
        let ix = indices(&list, 2000, day(), five(), at(23, 0));
        assert_eq!(ix.momentary_operations, 6, "3 + 2 + 1 momentary operations");
        assert_eq!(ix.momentary, 2, "F1 10:00 and F1 10:06; F2 locked out");
        // (800 + 500) / 2000 = 0.65
        assert_eq!(ix.maifi_e, Some(0.65));
        assert_eq!(ix.sustained, 1);
        // SAIDI = 40 × 300 / 2000 = 6 min
        assert_eq!(ix.saidi, Some(6.0));
        // Grouping is by device: the same shots by two breakers are two events.
        let two = [
            cut(s(9, 0, 0), s(9, 0, 20), 100, breaker("F1")),
            cut(s(9, 1, 0), s(9, 1, 20), 100, breaker("F2")),
        ];
        assert_eq!(indices(&two, 2000, day(), five(), at(23, 0)).momentary, 2);
    }

    #[test]
    fn more_customers_than_served_are_capped_and_counted() {
        // N_T 1,000; an alert claims 5,000 for 10 min: capped to 1,000 → SAIDI 10, SAIFI 1.
        let list = [cut(at(1, 0), at(1, 10), 5000, sub(1))];
        let ix = indices(&list, 1000, day(), five(), at(23, 0));
        assert_eq!((ix.saidi, ix.saifi, ix.capped), (Some(10.0), Some(1.0), 1));
        // A zone without customers: the interruption counts as one, its customers as none.
        let ix = indices(&list, 0, day(), five(), at(23, 0));
        assert_eq!(
            (ix.sustained, ix.customer_minutes, ix.saidi),
            (1, 0.0, None)
        );
    }

    #[test]
    fn exactly_the_threshold_is_momentary_and_no_customers_is_no_index() {
        let five_min = [cut(at(1, 0), at(1, 5), 10, sub(1))];
        let ix = indices(&five_min, 100, day(), five(), at(2, 0));
        assert_eq!((ix.sustained, ix.momentary), (0, 1));
        assert_eq!(ix.caidi, None, "no sustained interruption: CAIDI undefined");
        let none = indices(&five_min, 0, day(), five(), at(2, 0));
        assert_eq!(
            (none.saidi, none.saifi, none.asai, none.maifi_e),
            (None, None, None, None)
        );
    }

    #[test]
    fn an_ongoing_interruption_counts_until_now() {
        let open = [Interruption {
            start: at(10, 0),
            end: None,
            customers: 10,
            interrupter: sub(1),
        }];
        let ix = indices(&open, 10, day(), five(), at(10, 45));
        assert_eq!(ix.saidi, Some(45.0));
    }

    #[test]
    fn grid_wide_is_customer_weighted_over_one_population() {
        let a = indices(
            &[cut(at(1, 0), at(2, 0), 100, sub(1))],
            100,
            day(),
            five(),
            at(3, 0),
        );
        let b = indices(&[], 900, day(), five(), at(3, 0));
        // Zone SAIDIs 60 and 0; grid = 6000 / 1000 = 6, not (60 + 0) / 2 = 30.
        assert_eq!(combine(&[a, b], 24.0).saidi, Some(6.0));
        // The day: zones of 3,000 and 1,500 customers with 30,000 and 15,000
        // customer-minutes, and a zone with N_T 0 carrying 3,000 (as a row stored before
        // capping would): 45,000 / 4,500 = 10.0 min, not 48,000 / 4,500 = 10.667.
        let zone = |nt: i64, cm: f64| Indices {
            customer_minutes: cm,
            ..Indices::none(nt)
        };
        let grid = combine(
            &[zone(3000, 30_000.0), zone(1500, 15_000.0), zone(0, 3000.0)],
            24.0,
        );
        assert_eq!((grid.customers_served, grid.saidi), (4500, Some(10.0)));
    }

    #[test]
    fn period_sums_carry_the_counts() {
        let d = |n: u32, ix: Indices| DailyIndices {
            date: NaiveDate::from_ymd_opt(2026, 3, n).unwrap(),
            indices: ix,
        };
        let one = indices(
            &[cut(at(1, 0), at(1, 30), 100, sub(1))],
            1000,
            day(),
            five(),
            at(23, 0),
        );
        let p = period(&[d(1, one), d(2, one)], 48.0);
        // 2 × 30 min × 100 = 6,000 customer-minutes; SAIDI 3 + 3 = 6.
        assert_eq!((p.sustained, p.customer_minutes), (2, 6000.0));
        assert_eq!((p.sustained_minutes, p.saidi), (60.0, Some(6.0)));
    }

    #[test]
    fn major_event_threshold_by_hand() {
        // ln values: ln(e^1)=1, ln(e^2)=2, ln(e^3)=3 → α = 2, β = sample sd = 1
        // T_MED = e^(2 + 2.5) = e^4.5 = 90.0171313005…; zero days are left out.
        let e = std::f64::consts::E;
        let t = major_event_threshold(&[e, 0.0, e * e, e * e * e, 0.0]).unwrap();
        assert_eq!(t.days_used, 3);
        assert!((t.alpha - 2.0).abs() < 1e-12 && (t.beta - 1.0).abs() < 1e-12);
        assert!((t.t_med - 90.017_131_300_521_8).abs() < 1e-9, "{}", t.t_med);
        assert_eq!(major_event_threshold(&[5.0]), None);
    }
}
