//! Health score, remaining life and a relative risk index, from insulation ageing.
//!
//! # Why no failure probability
//!
//! A probability of failure within 7 or 30 days needs a hazard model fitted to failures of
//! comparable transformers (a fleet's failure statistics by age and condition). No source
//! this project can cite gives one that applies to these data; published fleet failure rates
//! (of the order of 1 % a year) are averages, not a transformer's own hazard. So the
//! assessment leaves the probabilities unset and ranks by a named relative index instead.
//!
//! # The figures
//!
//! - **Life consumed** is known only from what was measured: a **starting condition** (the
//!   life consumed at a date, or a degree of polymerisation measured then, IEC 60450,
//!   through [`consumed_from_dp`]) plus every assessed hour since at its computed ageing
//!   factor; or, for a transformer whose monitoring began in its year of manufacture, its
//!   assessed history from then. Hours the data does not cover after a known start count at
//!   F_AA = 1 (the rated design's rate, stated as this rule). Otherwise it is **unknown**,
//!   and so are the remaining life and the health score: never a number from an assumption
//!   (before, an unknown past was counted at F_AA = 1 since manufacture, and cool
//!   transformers of 1990 showed "health 0.0, life left 0 y").
//! - **Remaining insulation life**: the normal insulation life minus the life consumed.
//! - **Health score**, 0–100: 100 × remaining fraction of the normal insulation life ×
//!   condition factors. The condition factors are this project's, not a standard's:
//!   oil level below 90 % scales by level/90 (floor 0.5: low oil uncovers the windings and
//!   cools less); a measured top oil on average more than 10 K above the model (a cooling
//!   fault: fans, pumps, blocked radiators) scales by 0.8.
//! - **Estimated remaining life, years**: the remaining insulation life at the ageing rate of
//!   the recent days (their F_EQA), capped at 100 years (beyond that the figure says nothing);
//!   unknown without a recent F_EQA.
//! - **Relative risk index**: the latest day's F_EQA, the rate at which insulation is being
//!   consumed relative to normal (1.0 = normal, C57.91 clause 5). It ranks; it is not a
//!   probability.

use serde::{Deserialize, Serialize};

/// Hours in a mean Gregorian year.
pub const HOURS_PER_YEAR: f64 = 8765.82;

/// Remaining-life figures above this are reported as this, years.
pub const MAX_REMAINING_LIFE_YEARS: f64 = 100.0;

/// What the health figures are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HealthInputs {
    /// Life consumed since manufacture, hours of normal life; `None` when unknown.
    pub life_consumed_hours: Option<f64>,
    /// The normal insulation life, hours.
    pub normal_life_hours: f64,
    /// F_EQA of the recent assessed days (`None`: none assessed).
    pub recent_ageing_factor: Option<f64>,
    /// F_EQA of the latest assessed day.
    pub latest_ageing_factor: Option<f64>,
    /// Oil level, %.
    pub oil_level_percentage: f64,
    /// Mean measured − modelled top oil of the latest day, K.
    pub top_oil_residual_mean_k: Option<f64>,
}

/// The health figures; those resting on the life consumed are `None` when it is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// 0–100.
    pub health_score: Option<f64>,
    /// Remaining insulation life, hours of normal life.
    pub remaining_life_hours: Option<f64>,
    /// At the recent ageing rate, years (≤ [`MAX_REMAINING_LIFE_YEARS`]).
    pub estimated_remaining_life_years: Option<f64>,
    /// The latest day's F_EQA.
    pub relative_risk_index: Option<f64>,
    /// The condition factor applied (product of the factors above).
    pub condition_factor: f64,
}

/// Degree of polymerisation of new kraft paper (typical, 1000–1200) and at the end of the
/// insulation's life (200: the paper has lost most of its tensile strength; IEEE C57.91
/// Annex I, CIGRE brochure 323).
pub const DP_NEW: f64 = 1000.0;
/// See [`DP_NEW`].
pub const DP_END: f64 = 200.0;

/// The life consumed, hours of `normal_life_hours`, that a measured degree of
/// polymerisation `dp` stands for: paper ages by chain scission at a rate the normal
/// ageing keeps constant, so 1/DP grows linearly with consumed life (Ekenstam 1936;
/// Emsley and Stevens 1994) from 1/[`DP_NEW`] to 1/[`DP_END`].
pub fn consumed_from_dp(dp: f64, normal_life_hours: f64) -> f64 {
    let f = (1.0 / dp - 1.0 / DP_NEW) / (1.0 / DP_END - 1.0 / DP_NEW);
    f.clamp(0.0, 1.0) * normal_life_hours
}

/// A mean top-oil residual above this, K, is read as a cooling fault.
pub const COOLING_FAULT_RESIDUAL_K: f64 = 10.0;

/// The health figures of `inputs` (see the module's notes).
pub fn assess(inputs: &HealthInputs) -> Health {
    let remaining = inputs
        .life_consumed_hours
        .map(|c| (inputs.normal_life_hours - c).max(0.0));
    let oil = (inputs.oil_level_percentage / 90.0).clamp(0.5, 1.0);
    let cooling = match inputs.top_oil_residual_mean_k {
        Some(r) if r > COOLING_FAULT_RESIDUAL_K => 0.8,
        _ => 1.0,
    };
    let condition_factor = oil * cooling;
    let years = remaining
        .zip(inputs.recent_ageing_factor)
        .map(|(remaining, f)| {
            if remaining == 0.0 {
                0.0
            } else if f <= 0.0 {
                MAX_REMAINING_LIFE_YEARS
            } else {
                (remaining / f / HOURS_PER_YEAR).min(MAX_REMAINING_LIFE_YEARS)
            }
        });
    Health {
        health_score: remaining
            .map(|r| (100.0 * r / inputs.normal_life_hours * condition_factor).clamp(0.0, 100.0)),
        remaining_life_hours: remaining,
        estimated_remaining_life_years: years,
        relative_risk_index: inputs.latest_ageing_factor,
        condition_factor,
    }
}
