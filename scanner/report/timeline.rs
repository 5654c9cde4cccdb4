//! The expiry timeline: every distinct leaf certificate on a time axis,
//! as geometry for the inline SVG in templates/partials/timeline.hbs.
//!
//! Computed here rather than in the template so the template only places
//! shapes; an admin should see an expiry cliff at a glance.

use std::collections::HashMap;

use serde::Serialize;
use time::OffsetDateTime;

use super::html::{days_short, days_state, format_date};
use crate::model::{CertFacts, Role, ScanReport};

/// Chart geometry, in SVG user units.
const WIDTH: f64 = 1160.0;
const LABEL_W: f64 = 330.0;
const RIGHT_PAD: f64 = 24.0;
const TOP: f64 = 84.0;
const LANE: f64 = 24.0;
/// More lanes than this and the chart stops being readable; the rest are
/// in the endpoint table.
const MAX_LANES: usize = 40;

#[derive(Serialize)]
pub(super) struct Timeline {
    width: f64,
    height: f64,
    plot_x: f64,
    plot_w: f64,
    plot_end: f64,
    band_h: f64,
    lanes_top: f64,
    lanes_bottom: f64,
    axis_y: f64,
    empty: bool,
    bands: Vec<Band>,
    ticks: Vec<Tick>,
    breaks: Vec<f64>,
    markers: Vec<Marker>,
    points: Vec<Point>,
    hidden: usize,
    hidden_after: String,
    cliffs: Vec<CliffView>,
    windows: String,
}

#[derive(Serialize)]
struct Band {
    x: f64,
    w: f64,
    class: &'static str,
    label: String,
    label_x: f64,
    label_y: f64,
}

#[derive(Serialize)]
struct Tick {
    x: f64,
    label: String,
    major: bool,
}

#[derive(Serialize)]
struct Marker {
    x: f64,
    label: String,
    label_y: f64,
    class: &'static str,
}

#[derive(Serialize)]
struct Point {
    x: f64,
    y: f64,
    stripe: bool,
    diamond: bool,
    diamond_path: String,
    state: &'static str,
    label: String,
    where_: String,
    date: String,
    date_x: f64,
    date_anchor: &'static str,
}

#[derive(Serialize)]
struct CliffView {
    from: String,
    to: String,
    count: usize,
    hosts: String,
}

/// A distinct leaf certificate and where it is presented.
struct Seen<'a> {
    cert: &'a CertFacts,
    /// The certificate's dates (only certificates with dates are placed).
    not_after: OffsetDateTime,
    days_left: i64,
    frontend: bool,
    places: Vec<String>,
}

/// Piecewise-linear time axis: the months around now get most of the
/// width, years far in the past or future are compressed. A 5-year
/// backend cert and one that expired last week then share one readable
/// chart, and the 30-day critical window is wide enough to see.
struct Scale {
    /// (time, x) knots, increasing in both.
    knots: Vec<(f64, f64)>,
}

impl Scale {
    fn x(&self, t: f64) -> f64 {
        let first = self.knots.first().copied().unwrap_or((0.0, 0.0));
        let last = self.knots.last().copied().unwrap_or(first);
        if t <= first.0 {
            return first.1;
        }
        for w in self.knots.windows(2) {
            let (a, b) = (w[0], w[1]);
            if t <= b.0 {
                let span = (b.0 - a.0).max(1.0);
                return a.1 + (t - a.0) / span * (b.1 - a.1);
            }
        }
        last.1
    }
}

fn secs(t: OffsetDateTime) -> f64 {
    t.unix_timestamp() as f64
}

const DAY: f64 = 86_400.0;

pub(super) fn timeline(report: &ScanReport) -> Timeline {
    let mut seen: Vec<Seen<'_>> = Vec::new();
    let mut by_sha1: HashMap<&str, usize> = HashMap::new();
    for e in &report.endpoints {
        let Some(leaf) = e.leaf() else { continue };
        // An unparsable certificate has no date to place it at.
        let (Some(not_after), Some(days_left)) = (leaf.not_after, leaf.days_left) else {
            continue;
        };
        // The port matters more than the domain suffix, so the host is
        // shortened and the port kept.
        let place = format!("{}:{}", truncate(&e.endpoint.host, 13), e.endpoint.port);
        let frontend = e.endpoint.role == Role::Frontend;
        match by_sha1
            .get(leaf.sha1.as_str())
            .and_then(|&i| seen.get_mut(i))
        {
            Some(s) => {
                s.frontend |= frontend;
                s.places.push(place);
            }
            None => {
                by_sha1.insert(&leaf.sha1, seen.len());
                seen.push(Seen {
                    cert: leaf,
                    not_after,
                    days_left,
                    frontend,
                    places: vec![place],
                });
            }
        }
    }
    seen.sort_by_key(|s| s.not_after);
    let hidden = seen.len().saturating_sub(MAX_LANES);
    let hidden_after = seen
        .get(MAX_LANES)
        .map(|s| format_date(s.not_after))
        .unwrap_or_default();
    seen.truncate(MAX_LANES);

    let as_of = secs(report.as_of);
    let today = secs(report.finished_at);
    let warn = report.parameters.warn_days.max(0) as f64 * DAY;
    let crit = report
        .parameters
        .critical_days
        .clamp(0, report.parameters.warn_days.max(0)) as f64
        * DAY;

    let plot_x = LABEL_W;
    let plot_w = WIDTH - LABEL_W - RIGHT_PAD - 110.0;
    let mut lo = as_of.min(today) - 30.0 * DAY;
    let mut hi = as_of.max(today) + warn + 30.0 * DAY;
    for s in &seen {
        lo = lo.min(secs(s.not_after) - 20.0 * DAY);
        hi = hi.max(secs(s.not_after) + 20.0 * DAY);
    }
    let focus_lo = (as_of.min(today) - 30.0 * DAY).max(lo);
    let focus_hi = (as_of.max(today) + (1.5 * warn).max(120.0 * DAY)).min(hi);
    let mut knots = Vec::new();
    let mut breaks = Vec::new();
    // Compress only spans long enough to be worth a break in the axis;
    // a few weeks either side just widen the focus.
    let past = lo < focus_lo - 90.0 * DAY;
    let future = hi > focus_hi + 120.0 * DAY;
    let focus_lo = if past { focus_lo } else { lo };
    let focus_hi = if future { focus_hi } else { hi };
    let past_w = if past { plot_w * 0.14 } else { 0.0 };
    let future_w = if future { plot_w * 0.24 } else { 0.0 };
    if past {
        knots.push((lo, plot_x));
        breaks.push(plot_x + past_w);
    }
    knots.push((focus_lo, plot_x + past_w));
    knots.push((focus_hi, plot_x + plot_w - future_w));
    if future {
        knots.push((hi, plot_x + plot_w));
        breaks.push(plot_x + plot_w - future_w);
    }
    let scale = Scale { knots };

    let lanes_top = TOP;
    let lanes_bottom = lanes_top + LANE * seen.len().max(1) as f64;
    let axis_y = lanes_bottom + 6.0;
    let height = axis_y + 56.0;

    let band = |from: f64, to: f64, class: &'static str, label: String| {
        let x = scale.x(from);
        let w = (scale.x(to) - x).max(0.0);
        Band {
            x,
            w,
            class,
            label,
            label_x: x + w / 2.0,
            label_y: if class == "cliff" {
                TOP - 26.0
            } else {
                TOP - 8.0
            },
        }
    };
    let mut bands = vec![
        band(as_of, as_of + crit, "critical", "critical".to_string()),
        band(as_of + crit, as_of + warn, "warning", "warning".to_string()),
    ];
    let mut cliffs = Vec::new();
    for c in &report.expiry_cliffs {
        let (from, to) = (secs(c.from), secs(c.to));
        let mut b = band(
            from,
            to,
            "cliff",
            format!("cliff: {} servers", c.hosts.len()),
        );
        if b.w < 8.0 {
            b.x -= (8.0 - b.w) / 2.0;
            b.w = 8.0;
        }
        bands.push(b);
        cliffs.push(CliffView {
            from: format_date(c.from),
            to: format_date(c.to),
            count: c.hosts.len(),
            hosts: c.hosts.join(", "),
        });
    }

    let ticks = ticks(&scale, lo, hi, focus_lo, focus_hi);

    let mut markers = Vec::new();
    let same_day = (as_of - today).abs() < DAY;
    if same_day {
        markers.push(Marker {
            x: scale.x(as_of),
            label: format!("today = as-of {}", format_date(report.as_of)),
            label_y: 18.0,
            class: "asof",
        });
    } else {
        let (xt, xa) = (scale.x(today), scale.x(as_of));
        markers.push(Marker {
            x: xt,
            label: format!("today {}", format_date(report.finished_at)),
            label_y: 18.0,
            class: "today",
        });
        markers.push(Marker {
            x: xa,
            label: format!("as-of {}", format_date(report.as_of)),
            label_y: if (xt - xa).abs() < 150.0 { 36.0 } else { 18.0 },
            class: "asof",
        });
    }

    let points = seen
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let x = scale.x(secs(s.not_after));
            let y = lanes_top + LANE * i as f64 + LANE / 2.0;
            let name = s
                .cert
                .subject_cn
                .clone()
                .unwrap_or_else(|| s.cert.subject.clone());
            let mut where_ = s.places.first().cloned().unwrap_or_default();
            if s.places.len() > 1 {
                where_ = format!("{where_} +{}", s.places.len() - 1);
            }
            let right = x + 12.0 + 140.0 <= WIDTH;
            Point {
                x,
                y,
                stripe: i % 2 == 1,
                diamond: s.frontend,
                diamond_path: format!("M{:.1} {:.1} l7 7 l-7 7 l-7 -7 z", x, y - 7.0),
                state: days_state(report, s.days_left),
                label: truncate(&name, 22),
                where_,
                date: format!("{} · {}", format_date(s.not_after), days_short(s.days_left)),
                date_x: if right { x + 12.0 } else { x - 12.0 },
                date_anchor: if right { "start" } else { "end" },
            }
        })
        .collect();

    Timeline {
        width: WIDTH,
        height,
        plot_x,
        plot_w,
        plot_end: plot_x + plot_w,
        band_h: axis_y - lanes_top,
        lanes_top,
        lanes_bottom,
        axis_y,
        empty: seen.is_empty(),
        bands,
        ticks,
        breaks,
        markers,
        points,
        hidden,
        hidden_after,
        cliffs,
        windows: format!(
            "shaded: critical ≤ {} d, warning ≤ {} d after as-of",
            report.parameters.critical_days, report.parameters.warn_days
        ),
    }
}

/// Month ticks inside the focus window, year ticks outside it, thinned so
/// labels never overlap.
fn ticks(scale: &Scale, lo: f64, hi: f64, focus_lo: f64, focus_hi: f64) -> Vec<Tick> {
    let mut out: Vec<Tick> = Vec::new();
    let Ok(start) = OffsetDateTime::from_unix_timestamp(lo as i64) else {
        return out;
    };
    let (mut year, mut month) = (start.year(), u8::from(start.month()));
    // Bounded: a chart spans at most a few decades of months.
    for _ in 0..1200 {
        let Ok(m) = time::Month::try_from(month) else {
            break;
        };
        let Ok(date) = time::Date::from_calendar_date(year, m, 1) else {
            break;
        };
        let t = date.midnight().assume_utc();
        let ts = secs(t);
        if ts > hi {
            break;
        }
        let in_focus = ts >= focus_lo && ts <= focus_hi;
        let major = month == 1;
        if ts >= lo && (in_focus || major) {
            let x = scale.x(ts);
            let label = if in_focus && !major {
                format!("{}", t.month()).chars().take(3).collect()
            } else {
                year.to_string()
            };
            let room = out.last().is_none_or(|p| x - p.x >= 44.0);
            if room {
                out.push(Tick { x, label, major });
            } else if major {
                // A year label beats the month label it would collide with.
                if let Some(p) = out.last_mut() {
                    if !p.major {
                        *p = Tick { x, label, major };
                    }
                }
            }
        }
        month += 1;
        if month > 12 {
            month = 1;
            year += 1;
        }
    }
    out
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_window_starts_where_the_critical_window_ends() {
        let report = ScanReport {
            schema_version: 1,
            tool: crate::model::ToolInfo::default(),
            started_at: OffsetDateTime::UNIX_EPOCH,
            finished_at: OffsetDateTime::UNIX_EPOCH,
            as_of: OffsetDateTime::UNIX_EPOCH,
            complete: true,
            parameters: crate::model::Parameters {
                warn_days: 60,
                critical_days: 30,
                ..Default::default()
            },
            endpoints: Vec::new(),
            servers: Vec::new(),
            expiry_cliffs: Vec::new(),
            invalid_targets: Vec::new(),
            skipped_endpoints: Vec::new(),
            merged_from: Vec::new(),
            inventory: None,
        };
        let t = timeline(&report);
        assert!(t.empty);
        // The critical band starts at as-of and ends before the warning one.
        let crit = t
            .bands
            .iter()
            .find(|b| b.class == "critical")
            .map(|b| (b.x, b.w));
        let warn = t
            .bands
            .iter()
            .find(|b| b.class == "warning")
            .map(|b| (b.x, b.w));
        match (crit, warn) {
            (Some((cx, cw)), Some((wx, _))) => assert!((cx + cw - wx).abs() < 0.01 && cw > 0.0),
            other => panic!("bands missing: {other:?}"),
        }
    }
}
