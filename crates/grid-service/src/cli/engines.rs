//! The commands that run an engine over stored days with the configured alarm settings:
//! `detect` (grid-detect's anomaly engine, `alarms.anomaly`) and `thermal` (grid-health's
//! transformer assessment, `alarms.thermal`).

use chrono::NaiveDate;
use diesel::PgConnection;
use grid_health::{HealthConfig, Outcome, assess_day};

use super::Format;
use crate::config::SentinelConfig;

/// Runs the anomaly engine over the stored readings of the local days `[from, to]` (each
/// sensor from where its stored state stopped: a repeat changes nothing) and prints what it
/// stored and raised.
pub(super) fn detect(
    conn: &mut PgConnection,
    config: &SentinelConfig,
    (from, to): (NaiveDate, NaiveDate),
    format: Format,
) -> anyhow::Result<()> {
    let (start, end) = local_days(conn, from, to)?;
    let r = grid_detect::detect_range(conn, start, end, &config.alarms.anomaly)?;
    let failed: Vec<String> = r
        .failed
        .iter()
        .map(|(code, day, e)| format!("{code} {day}: {e}"))
        .collect();
    match format {
        Format::Json => {
            let out = serde_json::json!({
                "from": from, "to": to,
                "substation_days": r.units, "readings": r.readings, "refused": r.refused,
                "marked": r.marked, "episodes_opened": r.opened, "episodes_closed": r.closed,
                "groups_compared": r.groups_compared,
                "alerts_raised": r.alerts.raised, "storm_alerts": r.alerts.storms,
                "alerts_resolved": r.alerts.resolved, "failed": failed,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Format::Table => {
            println!(
                "anomaly detection {from} to {to}: {} substation-days, {} readings scored ({} refused), {} marked anomalous",
                r.units, r.readings, r.refused, r.marked
            );
            println!(
                "episodes opened {}, closed {}; alerts raised {} (one per episode), storm alerts {}, resolved {}",
                r.opened, r.closed, r.alerts.raised, r.alerts.storms, r.alerts.resolved
            );
            for f in &failed {
                println!("rolled back: {f}");
            }
        }
    }
    anyhow::ensure!(
        failed.is_empty(),
        "{} substation-days rolled back",
        failed.len()
    );
    Ok(())
}

/// Assesses every transformer for the local day `day` (IEEE C57.91 clause 7 / IEC 60076-7
/// ageing; alarms by `alarms.thermal`) and prints the fleet riskiest first.
pub(super) fn thermal(
    conn: &mut PgConnection,
    config: &SentinelConfig,
    day: NaiveDate,
    format: Format,
) -> anyhow::Result<()> {
    let health = HealthConfig {
        alarms: config.alarms.thermal.clone(),
        starting_conditions: config.thermal.starting_conditions.clone(),
        ..HealthConfig::default()
    };
    let a = assess_day(conn, day, &health)?;
    let ranked = a.ranked();
    let not_assessed: Vec<String> = a
        .transformers
        .iter()
        .filter_map(|o| match &o.outcome {
            Outcome::Skipped(why) => Some(format!("{}: {why}", o.transformer.label())),
            Outcome::Failed(e) => Some(format!("{}: {e}", o.transformer.label())),
            Outcome::Assessed(_) => None,
        })
        .collect();
    let raised: usize = ranked.iter().map(|(_, d)| d.alerts_raised).sum();
    let failed = a
        .transformers
        .iter()
        .filter(|o| matches!(o.outcome, Outcome::Failed(_)))
        .count();
    // The category as the configuration spells it (`long_time_emergency`).
    let category = serde_json::to_value(config.alarms.thermal.category)?;
    let category = category.as_str().unwrap_or("?");
    match format {
        Format::Json => {
            let rows: Vec<_> = ranked
                .iter()
                .map(|(t, d)| {
                    serde_json::json!({
                        "transformer": t.label(), "thermal": d.thermal, "health": d.health,
                        "life_unknown": d.life_unknown, "alerts_raised": d.alerts_raised,
                    })
                })
                .collect();
            let out = serde_json::json!({
                "day": day, "category": category,
                "ranked": rows, "alerts_raised": raised, "not_assessed": not_assessed,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Format::Table => {
            println!(
                "thermal assessment of {day} (IEEE C57.91 clause 7; F_EQA 1.0 = normal ageing; alarms at the {category} loading limits)"
            );
            println!(
                "{:<14} {:>8} {:>8} {:>8} {:>8} {:>7}",
                "transformer", "peak HS", "top oil", "F_EQA", "LoL h", "health"
            );
            let c = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.1}"));
            for (t, d) in &ranked {
                let th = &d.thermal;
                let health = d
                    .health
                    .health_score
                    .map_or("unknown".to_owned(), |h| format!("{h:.1}"));
                println!(
                    "{:<14} {:>8} {:>8} {:>8} {:>8.2} {:>7}{}",
                    t.label(),
                    c(th.peak_hot_spot_c),
                    c(th.peak_top_oil_c),
                    th.equivalent_ageing_factor
                        .map_or("—".to_owned(), |f| format!("{f:.3}")),
                    th.loss_of_life_hours,
                    health,
                    d.life_unknown
                        .as_deref()
                        .map(|w| format!("  ({w})"))
                        .unwrap_or_default()
                );
            }
            for n in &not_assessed {
                println!("not assessed: {n}");
            }
            println!("thermal alarms raised now: {raised}");
        }
    }
    // A transformer that could not be assessed is a failure of the command, not a footnote.
    anyhow::ensure!(
        failed == 0,
        "{failed} transformers could not be assessed (each named above)"
    );
    Ok(())
}

/// Runs the limit alarms over the stored readings of the local days `[from, to]` (each
/// point from its last evaluated reading on: a repeat raises nothing) and prints what it
/// did.
pub(super) fn alarms(
    conn: &mut PgConnection,
    config: &SentinelConfig,
    (from, to): (NaiveDate, NaiveDate),
    format: Format,
) -> anyhow::Result<()> {
    let (start, end) = local_days(conn, from, to)?;
    let mut engine = grid_alarms_store::AlarmEngine::new(config.alarm_settings());
    let c = grid_alarms_store::evaluate_range(conn, &mut engine, start, end)?;
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"from": from, "to": to, "counts": c})
            )?
        ),
        Format::Table => {
            println!(
                "limit alarms {from} to {to}: {} raised ({} late, recorded as history), {} regraded, {} cleared, {} floods",
                c.raised, c.late, c.regraded, c.cleared, c.floods
            );
            println!(
                "readings evaluated before (skipped) {}, not evaluated (out of service or an outage) {}, raised while shelved {}",
                c.already_evaluated, c.not_evaluated, c.shelved
            );
        }
    }
    Ok(())
}

/// The instants from the start of local day `from` to the end of local day `to`, in the
/// database's zone.
fn local_days(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    let zone = grid_timescale::local_zone(conn)?;
    let start = grid_analytics::compute::day_bounds(conn, from, zone)?.0;
    let end = grid_analytics::compute::day_bounds(conn, to, zone)?.1;
    Ok((start, end))
}
