//! Each command of `sentinel`, on one connection of the configured database.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Context;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grid_store::SensorRepository;
use grid_timescale::csv_load::load_csv_scored;
use grid_timescale::ingest::{IngestOptions, Ingester, TimePolicy};
use grid_timescale::query::{SeriesTarget, SourcePreference, series};
use uuid::Uuid;

use super::{Command, Format, UsersAction};
use crate::config::SentinelConfig;

/// Runs `command` (every one but the demo) with `config`.
pub(super) fn run(command: &Command, config: &SentinelConfig) -> anyhow::Result<()> {
    let url = config.database_url()?;
    let mut conn = grid_store::establish_with(url.expose(), config.session_limits())?;
    let conn = &mut conn;
    match command {
        Command::Migrate => {
            let report = crate::bootstrap::ready(conn, config)?;
            println!(
                "migrations applied now: {}; setup applied: {}; server mode {}",
                report.migrations.len(),
                if report.setup.applied.is_empty() {
                    "nothing (all in place)".to_owned()
                } else {
                    report.setup.applied.join(", ")
                },
                report.setup.capabilities.mode
            );
            if let Some(access) = report.access {
                println!("roles created now: {}", access.created_roles.len());
            }
        }
        Command::Ingest {
            file,
            from,
            to,
            refused,
            quiet,
        } => ingest(
            conn,
            config,
            file,
            from.zip(*to),
            refused.as_deref(),
            *quiet,
        )?,
        Command::Refresh => {
            let r = grid_timescale::refresh(conn)?;
            println!(
                "hours recomputed {}, local days {}, set aside now {}, set aside in all {}, left to the aggregates' owner {}",
                r.hours,
                r.days,
                r.set_aside.len(),
                r.still_set_aside,
                r.left_to_owner
            );
        }
        Command::Retention { keep_days } => {
            let keep = chrono::Duration::days(i64::from(*keep_days));
            let r = grid_timescale::retention::apply_retention(conn, keep, Utc::now())?;
            println!(
                "readings before {} removed ({:?}: {}); readings before {} refused from now on",
                r.horizon, r.method, r.removed, r.frozen_before
            );
        }
        Command::Report {
            from,
            to,
            zone,
            format,
        } => super::demo::report(conn, (*from, *to), *zone, *format)?,
        Command::Detect { from, to, format } => {
            super::engines::detect(conn, config, (*from, *to), *format)?
        }
        Command::Thermal { day, format } => super::engines::thermal(conn, config, *day, *format)?,
        Command::Export {
            sensor,
            from,
            to,
            width_s,
            day,
        } => match (sensor, day) {
            (Some(tag), _) => export_series(
                conn,
                tag,
                from.context("--from")?,
                to.context("--to")?,
                *width_s,
            )?,
            (None, Some(day)) => export_day(conn, *day)?,
            (None, None) => anyhow::bail!("give --sensor with --from and --to, or --day"),
        },
        Command::Health { format } => {
            let h = crate::health::health(conn, Utc::now())?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&h)?),
                Format::Table => {
                    println!("status                 {}", h.status);
                    println!("server mode            {}", h.server_mode);
                    println!("setup                  {}", h.setup_components.join(", "));
                    println!(
                        "rollups refreshed at   {} (lag {} s)",
                        h.rollups_refreshed_at
                            .map_or("never".into(), |t| t.to_rfc3339()),
                        h.rollup_lag_s.map_or("-".into(), |s| s.to_string())
                    );
                    println!("hours waiting refresh  {}", h.hours_waiting_refresh);
                    println!(
                        "newest reading         {}",
                        h.newest_reading_at
                            .map_or("none".into(), |t| t.to_rfc3339())
                    );
                }
            }
        }
        Command::Serve => super::demo::serve(config.clone())?,
        Command::Users { action } => users(conn, action)?,
        Command::Alarms { from, to, format } => {
            super::engines::alarms(conn, config, (*from, *to), *format)?
        }
        Command::Demo { .. } => unreachable!("the demo runs without a configuration"),
    }
    Ok(())
}

fn ingest(
    conn: &mut PgConnection,
    config: &SentinelConfig,
    file: &std::path::Path,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    refused: Option<&std::path::Path>,
    quiet: bool,
) -> anyhow::Result<()> {
    let tags: HashMap<String, Uuid> = conn.sensors()?.into_iter().map(|s| (s.tag, s.id)).collect();
    let size = std::fs::metadata(file)
        .with_context(|| format!("opening {}", file.display()))?
        .len();
    let input = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let batch = config.ingest.batch_size;
    let options = IngestOptions {
        // Readings already measured: any age (or the stated window), never the future.
        time_policy: window.map_or_else(TimePolicy::replay, |(a, b)| TimePolicy::backfill(a, b)),
        physical_bounds: config.ingest.physical_bounds.clone(),
        max_rejection_details: batch,
        ..IngestOptions::default()
    };
    let mut ingester = Ingester::new(conn, config.limits.clone(), options)?;
    let mut report_file = match refused {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => None,
    };
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(size)
    };
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{bar:40} {msg} readings stored",
    )?);
    let started = std::time::Instant::now();
    // Every point's limit alarm is evaluated with each batch (readings older than
    // alarms.late_after_s are history: raised and cleared, not announced).
    let mut alarms = grid_alarms_store::AlarmEngine::new(config.alarm_settings());
    let report = load_csv_scored(
        conn,
        &mut ingester,
        (std::io::BufReader::new(input), &tags),
        batch,
        report_file.as_mut().map(|w| w as &mut dyn Write),
        Some(&mut alarms),
        |s| bar.set_message(s.report.inserted.to_string()),
    )?;
    bar.finish_and_clear();
    if let Some(mut w) = report_file {
        w.flush()?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{} records: {} stored, {} duplicates, {} refused ({:.0} readings/s)",
        report.records,
        report.ingest.report.inserted,
        report.ingest.report.duplicates,
        report.refused,
        report.ingest.report.inserted as f64 / secs.max(1e-9)
    );
    for (reason, n) in &report.refused_by_reason {
        println!("  refused {n:>8}  {reason}");
    }
    for line in &report.first_refused {
        println!("  line {}: {} {}", line.line, line.reason, line.detail);
    }
    let a = alarms.counts();
    println!(
        "limit alarms: {} raised ({} late, recorded as history), {} cleared, {} regraded, {} floods",
        a.raised, a.late, a.cleared, a.regraded, a.floods
    );
    Ok(())
}

fn export_series(
    conn: &mut PgConnection,
    tag: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    width_s: i64,
) -> anyhow::Result<()> {
    let sensor = grid_store::sensors::get_by_tag(conn, tag)?;
    let s = series(
        conn,
        SeriesTarget::sensor(sensor.id),
        from,
        to,
        chrono::Duration::seconds(width_s),
        SourcePreference::Auto,
    )?;
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record(["bucket", "avg", "min", "max", "count"])?;
    for b in &s.buckets {
        let f = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        out.write_record([
            b.start.to_rfc3339(),
            f(b.avg),
            f(b.min),
            f(b.max),
            b.count.to_string(),
        ])?;
    }
    out.flush()?;
    eprintln!("{} buckets from {:?}", s.buckets.len(), s.source);
    Ok(())
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Double)]
    value: f64,
}

/// Readings one page of an export holds: memory stays bounded by it, whatever the day.
const EXPORT_PAGE: i64 = 100_000;

/// Every reading of a local day, sensor by sensor (by tag) and in time order, streamed:
/// each sensor's readings are read in pages along its key, never the whole day at once.
fn export_day(conn: &mut PgConnection, day: chrono::NaiveDate) -> anyhow::Result<()> {
    let zone = grid_timescale::local_zone(conn)?;
    let bound = |d: chrono::NaiveDate| -> anyhow::Result<DateTime<Utc>> {
        use chrono::TimeZone;
        let midnight = d.and_hms_opt(0, 0, 0).context("midnight")?;
        zone.tz()
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .context("the day's start in the local zone")
    };
    let (lo, hi) = (bound(day)?, bound(day.succ_opt().context("the next day")?)?);
    let mut sensors = conn.sensors()?;
    sensors.sort_by(|a, b| a.tag.cmp(&b.tag));
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record(["sensor_tag", "timestamp", "value"])?;
    let mut written = 0u64;
    for s in &sensors {
        let mut after = lo - chrono::Duration::microseconds(1);
        loop {
            let rows: Vec<Row> = diesel::sql_query(
                "SELECT \"timestamp\" AS at, value FROM sensor_readings
                  WHERE sensor_id = $1 AND \"timestamp\" > $2 AND \"timestamp\" < $3
                  ORDER BY \"timestamp\" LIMIT $4",
            )
            .bind::<diesel::sql_types::Uuid, _>(s.id)
            .bind::<diesel::sql_types::Timestamptz, _>(after)
            .bind::<diesel::sql_types::Timestamptz, _>(hi)
            .bind::<diesel::sql_types::BigInt, _>(EXPORT_PAGE)
            .load(conn)?;
            for r in &rows {
                out.write_record([s.tag.as_str(), &r.at.to_rfc3339(), &r.value.to_string()])?;
            }
            written += rows.len() as u64;
            match rows.last() {
                Some(last) if rows.len() as i64 == EXPORT_PAGE => after = last.at,
                _ => break,
            }
        }
    }
    out.flush()?;
    eprintln!("{written} readings of {day} ({})", zone.name());
    Ok(())
}

fn users(conn: &mut PgConnection, action: &UsersAction) -> anyhow::Result<()> {
    use grid_store::users;
    match action {
        UsersAction::Add { name, role, zones } => {
            let u = users::add(conn, name, (*role).into(), zones)?;
            println!(
                "added {} ({}, zones: {})",
                u.name,
                u.role,
                zones_text(&u.zones)
            );
        }
        UsersAction::List => {
            for u in users::list(conn)? {
                println!(
                    "{:<30} {:<9} {:<40} {}",
                    u.name,
                    u.role.as_str(),
                    zones_text(&u.zones),
                    u.disabled_at.map_or("active".to_owned(), |t| format!(
                        "disabled {}",
                        t.to_rfc3339()
                    ))
                );
            }
        }
        UsersAction::Disable { name } => {
            let u = users::disable(conn, name)?;
            println!("disabled {}", u.name);
        }
        UsersAction::Token { name, expires_days } => {
            let expires = expires_days.map(|d| Utc::now() + chrono::Duration::days(i64::from(d)));
            // The token alone on standard output, so that it can be piped into a file.
            println!("{}", users::issue_token(conn, name, expires)?);
        }
        UsersAction::Revoke { name } => {
            println!(
                "revoked {} tokens of {name}",
                users::revoke_tokens(conn, name)?
            );
        }
    }
    Ok(())
}

fn zones_text(zones: &[grid_model::GridZone]) -> String {
    if zones.is_empty() {
        "every zone".to_owned()
    } else {
        zones
            .iter()
            .map(|z| z.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}
