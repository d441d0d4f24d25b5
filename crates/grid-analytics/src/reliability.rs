//! IEEE 1366 reliability indices and the 2.5β major-event-day method. Pure formulas.
//!
//! N_T customers served, N_i customers interrupted by sustained interruption i, r_i its
//! duration:
//! SAIFI = Σ N_i / N_T; SAIDI = Σ r_i·N_i / N_T (minutes); CAIDI = SAIDI / SAIFI;
//! ASAI = 1 − SAIDI (hours) / hours in the period; MAIFI_E = Σ momentary events × customers / N_T.
//! An interruption is sustained when it lasts longer than a threshold (IEEE 1366: 5 minutes;
//! EN 50160 uses 3), momentary otherwise; each momentary interruption counts as one event.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One interruption of supply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interruption {
    /// When supply was lost.
    pub start: DateTime<Utc>,
    /// When it was restored; `None` while it lasts.
    pub end: Option<DateTime<Utc>>,
    /// Customers without supply.
    pub customers: i64,
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
    /// Momentary interruptions.
    pub momentary: u32,
    /// Customer-minutes of sustained interruption (Σ r_i·N_i).
    pub customer_minutes: f64,
    /// Customer interruptions (Σ N_i).
    pub customer_interruptions: f64,
    /// Customer momentary events (Σ events × customers).
    pub customer_momentary_events: f64,
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
            customer_minutes: 0.0,
            customer_interruptions: 0.0,
            customer_momentary_events: 0.0,
            saidi: None,
            saifi: None,
            caidi: None,
            asai: None,
            maifi_e: None,
        }
    }
}

/// Computes the indices of `interruptions` for an area of `customers_served` over a period of
/// `period_hours`, with `sustained_after` as the sustained threshold (strictly longer).
pub fn indices(
    interruptions: &[Interruption],
    customers_served: i64,
    period_hours: f64,
    sustained_after: Duration,
    now: DateTime<Utc>,
) -> Indices {
    let mut ix = Indices::none(customers_served);
    for i in interruptions {
        let d = i.duration(now);
        let minutes = d.num_milliseconds() as f64 / 60_000.0;
        if d > sustained_after {
            ix.sustained += 1;
            ix.sustained_minutes += minutes;
            ix.customer_minutes += minutes * i.customers as f64;
            ix.customer_interruptions += i.customers as f64;
        } else {
            ix.momentary += 1;
            ix.customer_momentary_events += i.customers as f64;
        }
    }
    finish(&mut ix, period_hours);
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

/// Period indices from daily ones: customer-minutes and interruptions summed, each day
/// normalised by its own N_T (as IEEE 1366's daily SAIDI is), so SAIDI and SAIFI are sums of
/// the daily values. `None` indices when no day had customers.
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
/// minutes / Σ N_T), never an average of the zones' values.
pub fn combine(zones: &[Indices], period_hours: f64) -> Indices {
    let mut ix = Indices::none(0);
    for z in zones {
        ix.customers_served += z.customers_served;
        ix.sustained += z.sustained;
        ix.sustained_minutes += z.sustained_minutes;
        ix.momentary += z.momentary;
        ix.customer_minutes += z.customer_minutes;
        ix.customer_interruptions += z.customer_interruptions;
        ix.customer_momentary_events += z.customer_momentary_events;
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

    #[test]
    fn indices_by_hand() {
        // N_T = 1000. Sustained: 60 min × 100 customers, 30 min × 200. Momentary: 2 min × 50.
        let list = [
            Interruption {
                start: at(1, 0),
                end: Some(at(2, 0)),
                customers: 100,
            },
            Interruption {
                start: at(5, 0),
                end: Some(at(5, 30)),
                customers: 200,
            },
            Interruption {
                start: at(9, 0),
                end: Some(at(9, 2)),
                customers: 50,
            },
        ];
        let ix = indices(&list, 1000, 24.0, Duration::minutes(5), at(23, 0));
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
    fn exactly_the_threshold_is_momentary_and_no_customers_is_no_index() {
        let five = [Interruption {
            start: at(1, 0),
            end: Some(at(1, 5)),
            customers: 10,
        }];
        let ix = indices(&five, 100, 24.0, Duration::minutes(5), at(2, 0));
        assert_eq!((ix.sustained, ix.momentary), (0, 1));
        assert_eq!(ix.caidi, None, "no sustained interruption: CAIDI undefined");
        let none = indices(&five, 0, 24.0, Duration::minutes(5), at(2, 0));
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
        }];
        let ix = indices(&open, 10, 24.0, Duration::minutes(5), at(10, 45));
        assert_eq!(ix.saidi, Some(45.0));
    }

    #[test]
    fn grid_wide_is_customer_weighted() {
        let a = indices(
            &[Interruption {
                start: at(1, 0),
                end: Some(at(2, 0)),
                customers: 100,
            }],
            100,
            24.0,
            Duration::minutes(5),
            at(3, 0),
        );
        let b = indices(&[], 900, 24.0, Duration::minutes(5), at(3, 0));
        // Zone SAIDIs 60 and 0; grid = 6000 / 1000 = 6, not (60 + 0) / 2 = 30.
        assert_eq!(combine(&[a, b], 24.0).saidi, Some(6.0));
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
