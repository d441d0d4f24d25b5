//! The operator's report and its picture.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use grid_analytics::compute::LoadCurve;
use grid_health::Outcome;
use grid_model::{AlarmRateMetadata, GridZone, StatisticsMetadata};
use grid_store::AlertRepository;

use crate::error::DemoError;
use crate::simulate::Event;
use crate::summary::DemoSummary;

const COLORS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#ff7f0e", "#17becf",
];

/// One transformer's computed hot-spot over the day, for the picture.
#[derive(Debug, Clone, PartialEq)]
pub struct HotSpotCurve {
    /// `CODE name`.
    pub transformer: String,
    /// (end of step, hot-spot °C).
    pub points: Vec<(DateTime<Utc>, f64)>,
}

/// An SVG of the day: above, each zone's load curve, one `polyline` per zone (class `load`,
/// `data-zone`, a point per minute; unknown minutes are left out), and a marker per event
/// (`line` of class `event`, `data-kind`, `data-time` in RFC 3339); below, the hot-spot
/// curves of the riskiest transformers (`polyline` of class `hot-spot`, `data-transformer`)
/// against the 120 °C normal-loading limit.
pub fn svg(
    title: &str,
    day_start: DateTime<Utc>,
    curves: &[(GridZone, LoadCurve)],
    hot_spots: &[HotSpotCurve],
    events: &[Event],
) -> String {
    let (w, h, left, top, right, bottom) = (1200.0, 920.0, 70.0, 50.0, 190.0, 330.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let max = curves
        .iter()
        .flat_map(|(_, c)| c.iter().filter_map(|(_, v)| *v))
        .fold(1.0_f64, f64::max)
        * 1.1;
    let x = |t: DateTime<Utc>| left + plot_w * ((t - day_start).num_seconds() as f64 / 86_400.0);
    let y = |mw: f64| top + plot_h * (1.0 - mw / max);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="28" font-size="18">{}</text>"#,
        escape(title)
    );
    // Axes: hours along the bottom, MW up the side.
    for hour in (0..=24).step_by(3) {
        let px = left + plot_w * hour as f64 / 24.0;
        let _ = writeln!(
            s,
            r##"<line x1="{px:.1}" y1="{top}" x2="{px:.1}" y2="{:.1}" stroke="#eee"/>"##,
            top + plot_h
        );
        let _ = writeln!(
            s,
            r#"<text x="{px:.1}" y="{:.1}" text-anchor="middle">{hour:02}:00</text>"#,
            top + plot_h + 18.0
        );
    }
    for k in 0..=4 {
        let mw = max * k as f64 / 4.0;
        let py = y(mw);
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#eee"/>"##,
            left + plot_w
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{mw:.0} MW</text>"#,
            left - 6.0,
            py + 4.0
        );
    }
    for (i, (zone, curve)) in curves.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<String> = curve
            .iter()
            .filter_map(|(t, v)| v.map(|v| format!("{:.1},{:.1}", x(*t), y(v))))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline class="load" data-zone="{zone}" fill="none" stroke="{color}" stroke-width="1.5" points="{}"/>"#,
            points.join(" ")
        );
        let ly = top + 16.0 * i as f64;
        let _ = writeln!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="12" height="3" fill="{color}"/><text x="{:.1}" y="{:.1}">{zone}</text>"#,
            left + plot_w + 14.0,
            ly + 4.0,
            left + plot_w + 30.0,
            ly + 9.0
        );
    }
    for (i, e) in events.iter().enumerate() {
        let px = x(e.start);
        let _ = writeln!(
            s,
            r##"<line class="event" data-kind="{}" data-time="{}" x1="{px:.1}" y1="{top}" x2="{px:.1}" y2="{:.1}" stroke="#444" stroke-dasharray="4 3"/>"##,
            e.kind,
            e.start.to_rfc3339(),
            top + plot_h
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#444">{} ({})</text>"##,
            px + 3.0,
            top + 12.0 + 13.0 * (i % 5) as f64,
            e.kind.to_string().replace('_', " "),
            e.substation
        );
    }
    hot_spot_panel(
        &mut s,
        day_start,
        hot_spots,
        (left, top + plot_h + 60.0, plot_w, 240.0),
    );
    s.push_str("</svg>\n");
    s
}

/// The hot-spot panel at `(left, top, width, height)`.
fn hot_spot_panel(
    s: &mut String,
    day_start: DateTime<Utc>,
    curves: &[HotSpotCurve],
    (left, top, plot_w, plot_h): (f64, f64, f64, f64),
) {
    let limit = 120.0;
    let values = curves.iter().flat_map(|c| c.points.iter().map(|p| p.1));
    let hi = values.clone().fold(limit, f64::max) + 10.0;
    let lo = values.fold(limit, f64::min).min(20.0);
    let x = |t: DateTime<Utc>| left + plot_w * ((t - day_start).num_seconds() as f64 / 86_400.0);
    let y = |c: f64| top + plot_h * (1.0 - (c - lo) / (hi - lo));
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="{:.1}" font-size="14">Hot-spot of the riskiest transformers, °C (a winding sensor where one is fitted, else the IEEE C57.91 clause 7 model)</text>"#,
        top - 10.0
    );
    for k in 0..=4 {
        let c = lo + (hi - lo) * k as f64 / 4.0;
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end">{c:.0} °C</text>"##,
            left + plot_w,
            left - 6.0,
            y(c) + 4.0,
            py = y(c)
        );
    }
    let _ = writeln!(
        s,
        r##"<line class="limit" x1="{left}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#d62728" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" fill="#d62728" font-size="11">120 °C: normal-loading limit (IEEE C57.91 Table 7, IEC 60076-7 Table 3)</text>"##,
        left + plot_w,
        left + 4.0,
        y(limit) - 4.0,
        py = y(limit)
    );
    for (i, c) in curves.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<String> = c
            .points
            .iter()
            .map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline class="hot-spot" data-transformer="{}" fill="none" stroke="{color}" stroke-width="1.5" points="{}"/>"#,
            escape(&c.transformer),
            points.join(" ")
        );
        let ly = top + 20.0 + 16.0 * i as f64;
        let _ = writeln!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="12" height="3" fill="{color}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            left + plot_w + 14.0,
            ly + 4.0,
            left + plot_w + 30.0,
            ly + 9.0,
            escape(&c.transformer)
        );
    }
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The operator's report of the day, as printed: server, ingest, events, each zone's
/// figures, the riskiest transformers, open alerts and the anomaly episodes. Times are local
/// (the database's zone).
pub(crate) fn operator_report(
    conn: &mut PgConnection,
    day: &DemoSummary,
) -> Result<String, DemoError> {
    let (zone, grid) = (day.zone, &day.grid);
    let hm = |t: DateTime<Utc>| zone.format(t, "%H:%M");
    let caps = grid_timescale::capabilities::detect(conn)?;
    let mut out = String::new();
    let date = day.date;
    let _ = writeln!(
        out,
        "SmartGrid Sentinel — operator's report for {date} ({zone})"
    );
    let _ = writeln!(out, "Server: {caps}");
    let r = &day.ingest.report;
    let secs = day.ingest_seconds;
    let _ = writeln!(
        out,
        "Ingest: {} readings of {} sensors in {secs:.1} s ({:.0} readings/s): {} stored, {} rejected {:?}, {} out of range",
        r.received,
        grid.sensors.len(),
        r.received as f64 / secs.max(1e-9),
        r.inserted,
        r.rejected,
        r.rejected_by_reason,
        r.out_of_range
    );
    let _ = writeln!(out, "\nEvents of the day:");
    for e in &day.events {
        let kind = e.kind.to_string();
        let _ = writeln!(
            out,
            "  {} {kind:<20} {:<8} {}",
            hm(e.start),
            e.substation,
            e.description
        );
    }
    let _ = writeln!(
        out,
        "\n{:<9} {:>8} {:>6} {:>11} {:>6} {:>6} {:>7} {:>9} {:>9} {:>7}",
        "zone",
        "peak MW",
        "at",
        "energy MWh",
        "V exc",
        "F exc",
        "outages",
        "SAIDI min",
        "SAIDI h",
        "SAIFI"
    );
    for s in &day.statistics {
        let at = s.peak_load_time.map(hm).unwrap_or_default();
        let opt =
            |v: Option<f64>, p: usize| v.map(|v| format!("{v:.p$}")).unwrap_or_else(|| "—".into());
        let _ = writeln!(
            out,
            "{:<9} {:>8} {:>6} {:>11} {:>6} {:>6} {:>7} {:>9} {:>9} {:>7}",
            s.zone.as_str(),
            opt(s.peak_load_mw, 1),
            at,
            opt(s.total_energy_mwh, 0),
            s.voltage_violations_count,
            s.frequency_violations_count,
            s.total_outages,
            opt(s.saidi, 2),
            opt(s.saidi.map(|m| m / 60.0), 3),
            opt(s.saifi, 4)
        );
    }
    thermal_section(&mut out, day, &hm);
    let open_alerts = conn.open_alerts()?;
    let mut by_severity: BTreeMap<String, usize> = BTreeMap::new();
    for a in &open_alerts {
        *by_severity.entry(a.severity.to_string()).or_default() += 1;
    }
    let _ = writeln!(
        out,
        "\nAlerts raised: {} (one per condition); still open: {} {:?}",
        day.alerts_raised,
        open_alerts.len(),
        by_severity
    );
    alarm_rate_line(&mut out, day);
    anomaly_section(conn, &mut out, day, &hm)?;
    let _ = writeln!(out, "Picture: {}", day.svg_path.display());
    Ok(out)
}

/// The alarm load per operator area (a zone), from the daily statistics' `alarm_rate`
/// (EEMUA 191: more than 10 alarms in 10 minutes is a flood).
fn alarm_rate_line(out: &mut String, day: &DemoSummary) {
    let rates: Vec<(GridZone, AlarmRateMetadata)> = day
        .statistics
        .iter()
        .filter_map(|s| {
            Some((
                s.zone,
                StatisticsMetadata::from_json(&s.metadata).alarm_rate?,
            ))
        })
        .collect();
    let Some((zone, busiest)) = rates.iter().max_by_key(|(_, r)| r.peak_per_10_min) else {
        return;
    };
    let floods: u32 = rates.iter().map(|(_, r)| r.flood_windows).sum();
    let _ = writeln!(
        out,
        "Alarm rate per operator area (zone; EEMUA 191 flood: > 10 in 10 min): busiest 10 minutes {} alarms ({}); flood windows: {floods}",
        busiest.peak_per_10_min,
        zone.as_str()
    );
}

/// The day's anomaly episodes, as the engine (grid-anomaly, in the ingest path) stored them.
fn anomaly_section(
    conn: &mut PgConnection,
    out: &mut String,
    day: &DemoSummary,
    hm: &dyn Fn(DateTime<Utc>) -> String,
) -> Result<(), DemoError> {
    let day_end = day.day_start + chrono::Duration::days(1);
    let mut rows = Vec::new();
    for s in &day.grid.sensors {
        for a in grid_store::anomalies::episodes_between(conn, s.sensor.id, day.day_start, day_end)?
        {
            rows.push((a.episode_start, s.sensor.tag.clone(), a));
        }
    }
    rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let sensors: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let _ = writeln!(
        out,
        "Anomaly episodes (the engine's, scored as the readings were stored; learned from five quiet days before): {} on {} of {} sensors",
        rows.len(),
        sensors.len(),
        day.grid.sensors.len()
    );
    for (_, tag, a) in &rows {
        let _ = writeln!(
            out,
            "  {}–{} {:<13} {:<24} score {:.2} {}",
            hm(a.episode_start),
            hm(a.episode_end),
            a.anomaly_type,
            tag,
            a.anomaly_score,
            a.severity
        );
    }
    Ok(())
}

/// The transformers ranked by the day's computed insulation ageing, and what was not assessed.
fn thermal_section(out: &mut String, day: &DemoSummary, hm: &dyn Fn(DateTime<Utc>) -> String) {
    let _ = writeln!(
        out,
        "\nRiskiest transformers by the day's insulation ageing (computed from the day's readings, \
         IEEE C57.91 clause 7; relative risk index = the day's F_EQA, 1.0 = normal ageing, not a probability):"
    );
    for (t, d) in day.thermal.ranked().iter().take(5) {
        let th = &d.thermal;
        let peak = th
            .peak_hot_spot_c
            .map(|c| format!("{c:.1} °C"))
            .unwrap_or_else(|| "—".into());
        let at = th.peak_hot_spot_at.map(hm).unwrap_or_default();
        let residual = th
            .top_oil_residual_mean_k
            .map(|r| format!("  top oil {r:+.1} K vs model (measured)"))
            .unwrap_or_default();
        let years = d
            .health
            .estimated_remaining_life_years
            .map(|y| {
                if y >= grid_thermal::health::MAX_REMAINING_LIFE_YEARS {
                    "≥100 y".to_string()
                } else {
                    format!("{y:.0} y")
                }
            })
            .unwrap_or_else(|| "unknown".into());
        let health = match (d.health.health_score, &d.life_unknown) {
            (Some(h), _) => format!("health {h:.1}  life left {years}"),
            (None, Some(why)) => format!("health and life left unknown: {why}"),
            (None, None) => "health and life left unknown".to_owned(),
        };
        let _ = writeln!(
            out,
            "  {:<11} {:>5.1} MVA {:<5} hot-spot peak {peak} at {at}  F_EQA {:.3}  loss of life {:.2} h  {health}{residual}",
            t.label(),
            t.capacity_mva,
            t.cooling_type.as_deref().unwrap_or("?"),
            th.equivalent_ageing_factor.unwrap_or(0.0),
            th.loss_of_life_hours,
        );
    }
    for o in &day.thermal.transformers {
        match &o.outcome {
            Outcome::Skipped(why) => {
                let _ = writeln!(out, "  not assessed: {} ({why})", o.transformer.label());
            }
            Outcome::Failed(e) => {
                let _ = writeln!(out, "  not assessed: {e}");
            }
            Outcome::Assessed(_) => {}
        }
    }
    let _ = writeln!(
        out,
        "Failure probabilities: not computed (no cited hazard model supports one from these data)."
    );
}
