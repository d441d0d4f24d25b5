//! The commands that do more than one call: the demo, the period report, the server.

use std::path::Path;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use diesel::PgConnection;
use grid_analytics::compute::{AnalyticsConfig, compute_days};
use grid_analytics::period::{PeriodReport, ReportingYear, period_report};
use grid_analytics::reliability::Indices;
use grid_model::GridZone;

use super::Format;
use crate::config::SentinelConfig;

/// The sentinel demo, on the configured database or a throwaway server, with the
/// configuration's operating limits, alarm settings and time zone seed.
pub(super) fn run(
    config: &SentinelConfig,
    date: Option<NaiveDate>,
    svg: &Path,
    force: bool,
    progress: bool,
) -> anyhow::Result<()> {
    let (_cluster, url) = match config.database_url() {
        Ok(url) => {
            println!(
                "Using the configured database ({})",
                grid_secrets::redact(url.expose())
            );
            (None, url.expose().to_owned())
        }
        Err(_) => grid_testdb::database_url_or_throwaway()?,
    };
    let mut conn = grid_store::establish(&url)
        .with_context(|| format!("connecting to {}", grid_secrets::redact(&url)))?;
    let applied =
        grid_demo::prepare(&mut conn, &config.timescale()).context("migrating and setting up")?;
    println!("Migrations applied now: {}", applied.len());
    if let Some(dir) = svg.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let started = std::time::Instant::now();
    let summary = grid_demo::run(
        &mut conn,
        &grid_demo::DemoOptions {
            date,
            svg_path: svg.to_owned(),
            force,
            progress,
            alarms: config.alarm_settings(),
            anomaly: config.alarms.anomaly,
            thermal: config.alarms.thermal.clone(),
            starting_conditions: config.thermal.starting_conditions.clone(),
        },
    )?;
    println!("\n{}", summary.report);
    println!("Done in {:.1} s.", started.elapsed().as_secs_f64());
    Ok(())
}

/// Computes the daily statistics of `[from, to]` (refreshing the rollups first) and prints
/// the period's IEEE 1366 indices for `zone` or the grid.
pub(super) fn report(
    conn: &mut PgConnection,
    (from, to): (NaiveDate, NaiveDate),
    zone: Option<GridZone>,
    format: Format,
) -> anyhow::Result<()> {
    anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    let days = compute_days(conn, &AnalyticsConfig::default(), from, to, Utc::now())?;
    let period = period_report(conn, zone, (from, to), ReportingYear::default())?;
    let kpis = alarm_kpis(conn, (from, to), zone)?;
    match format {
        Format::Json => {
            let rows: Vec<_> = days
                .iter()
                .filter(|d| zone.is_none_or(|z| d.zone == z))
                .collect();
            let kpis: Vec<_> = kpis
                .iter()
                .map(|(d, z, k)| serde_json::json!({"date": d, "zone": z, "alarm_kpis": k}))
                .collect();
            let out =
                serde_json::json!({"daily_statistics": rows, "period": period, "alarms": kpis});
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Format::Table => {
            print_table(&period, &days, zone);
            print_kpis(&kpis);
        }
    }
    Ok(())
}

/// The limit alarms' KPIs of each zone (or `zone`) and local day of `[from, to]`.
fn alarm_kpis(
    conn: &mut PgConnection,
    (from, to): (NaiveDate, NaiveDate),
    zone: Option<GridZone>,
) -> anyhow::Result<Vec<(NaiveDate, GridZone, grid_alarms::AlarmKpis)>> {
    let tz = grid_timescale::local_zone(conn)?;
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        let bounds = grid_analytics::compute::day_bounds(conn, day, tz)?;
        for z in GridZone::ALL
            .iter()
            .filter(|z| zone.is_none_or(|w| w == **z))
        {
            out.push((day, *z, grid_alarms_store::zone_kpis(conn, *z, bounds)?));
        }
        day = day.succ_opt().context("the next day")?;
    }
    Ok(out)
}

/// The alarm KPIs as a table: per area and day (ISA-18.2 clause 16, EEMUA 191).
fn print_kpis(kpis: &[(NaiveDate, GridZone, grid_alarms::AlarmKpis)]) {
    println!();
    println!(
        "Limit alarms per operator area (EEMUA 191: about 1 per 10 minutes is manageable, more than 10 a flood)"
    );
    println!(
        "{:<12} {:<10} {:>7} {:>12} {:>10} {:>9} {:>6} {:>11} {:>9}",
        "date",
        "zone",
        "alarms",
        "per 10 min",
        "peak 10m",
        "standing",
        "stale",
        "chattering",
        "flood %"
    );
    for (d, z, k) in kpis
        .iter()
        .filter(|(_, _, k)| k.alarms > 0 || k.standing > 0)
    {
        println!(
            "{:<12} {:<10} {:>7} {:>12.3} {:>10} {:>9} {:>6} {:>11} {:>9.1}",
            d.to_string(),
            z.as_str(),
            k.alarms,
            k.per_10_min_average,
            k.per_10_min_peak,
            k.standing,
            k.stale,
            k.chattering_points,
            k.flood_share * 100.0
        );
    }
}

fn print_table(
    period: &PeriodReport,
    days: &[grid_model::DailyStatistics],
    zone: Option<GridZone>,
) {
    let area = zone.map_or("the grid".to_owned(), |z| z.as_str().to_owned());
    println!(
        "IEEE 1366 reliability of {area}, {} to {}",
        period.from, period.to
    );
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "", "SAIDI min", "SAIFI", "CAIDI min", "ASAI", "MAIFI_E"
    );
    let line = |name: &str, i: &Indices| {
        let f = |v: Option<f64>, p: usize| v.map_or("-".to_owned(), |v| format!("{v:.p$}"));
        println!(
            "{name:<28} {:>10} {:>10} {:>10} {:>10} {:>10}",
            f(i.saidi, 2),
            f(i.saifi, 4),
            f(i.caidi, 2),
            f(i.asai, 6),
            f(i.maifi_e, 4)
        );
    };
    line("all days", &period.all_days);
    line("without major event days", &period.without_major_events);
    if !period.major_event_days.is_empty() {
        let d: Vec<String> = period
            .major_event_days
            .iter()
            .map(|d| d.to_string())
            .collect();
        println!("major event days (2.5 beta): {}", d.join(", "));
    }
    println!();
    println!(
        "{:<12} {:<10} {:>10} {:>10} {:>12}",
        "date", "zone", "peak MW", "energy MWh", "alerts"
    );
    for d in days.iter().filter(|d| zone.is_none_or(|z| d.zone == z)) {
        let f = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1}"));
        println!(
            "{:<12} {:<10} {:>10} {:>10} {:>12}",
            d.date.to_string(),
            d.zone.as_str(),
            f(d.peak_load_mw),
            f(d.total_energy_mwh),
            d.total_alerts
        );
    }
}

/// Ctrl-C or SIGTERM, whichever comes first.
async fn stopped() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "no SIGTERM handler: Ctrl-C only");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("stopping: requests under way finish first");
}

/// Serves the HTTP endpoints until Ctrl-C or SIGTERM, letting requests under way finish.
pub(super) fn serve(config: SentinelConfig) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listen = config.http.listen;
        let (sentinel, report) = crate::Sentinel::bootstrap(config).await?;
        tracing::info!(mode = %report.setup.capabilities.mode, %listen, "serving");
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        println!("listening on {}", listener.local_addr()?);
        axum::serve(listener, crate::http::router(sentinel))
            .with_graceful_shutdown(stopped())
            .await?;
        anyhow::Ok(())
    })
}
