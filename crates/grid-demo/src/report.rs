//! The operator's report and its picture.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use grid_analytics::compute::LoadCurve;
use grid_model::GridZone;
use grid_store::{AlertRepository, TransformerRepository};

use crate::error::DemoError;
use crate::simulate::Event;
use crate::summary::DemoSummary;

const COLORS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#ff7f0e", "#17becf",
];

/// An SVG of each zone's load curve over the day, one `polyline` per zone (class `load`,
/// `data-zone`, a point per minute; unknown minutes are left out), and a marker per event
/// (`line` of class `event`, `data-kind`, `data-time` in RFC 3339).
pub fn svg(
    title: &str,
    day_start: DateTime<Utc>,
    curves: &[(GridZone, LoadCurve)],
    events: &[Event],
) -> String {
    let (w, h, left, top, right, bottom) = (1200.0, 640.0, 70.0, 50.0, 190.0, 50.0);
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
    s.push_str("</svg>\n");
    s
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The operator's report of the day, as printed: server, ingest, events, each zone's
/// figures, the riskiest transformers, open alerts and stuck sensors. Times are local (the
/// database's zone).
pub(crate) fn operator_report(
    conn: &mut PgConnection,
    day: &DemoSummary,
    stuck: &[(usize, DateTime<Utc>, f64)],
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
    let risky = conn.transformers_at_risk(0.15, 60.0)?;
    let _ = writeln!(
        out,
        "\nRiskiest transformers (7-day failure probability ≥ 0.15 or health ≤ 60):"
    );
    for t in risky.iter().take(5) {
        let sub = grid
            .substations
            .iter()
            .find(|s| s.id == t.substation_id)
            .map(|s| s.code.as_str())
            .unwrap_or("?");
        let _ = writeln!(
            out,
            "  {sub:<8} {:<3} {:>5.1} MVA {:<5} health {:>5.1}  P(fail 7 d) {:.2}",
            t.name,
            t.capacity_mva,
            t.cooling_type.as_deref().unwrap_or(""),
            t.health_score,
            t.failure_probability_7days
        );
    }
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
    let _ = writeln!(out, "Stuck sensors found: {}", stuck.len());
    for (i, t, v) in stuck {
        let _ = writeln!(
            out,
            "  {} repeats {v} since {}",
            grid.sensors[*i].sensor.tag,
            hm(*t)
        );
    }
    let _ = writeln!(out, "Picture: {}", day.svg_path.display());
    Ok(out)
}
