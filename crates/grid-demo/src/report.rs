//! The operator's report and its picture.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use grid_analytics::compute::LoadCurve;
use grid_model::GridZone;

use crate::simulate::Event;

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
            e.kind.replace('_', " "),
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
