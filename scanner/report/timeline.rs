//! The expiry timeline: every distinct leaf certificate on a time axis,
//! as geometry for the inline SVG in templates/partials/timeline.hbs.
//!
//! Computed here rather than in the template so the template only places
//! shapes; an admin should see an expiry cliff at a glance.

use std::collections::HashMap;

use serde::Serialize;
use time::OffsetDateTime;

use super::format::{days_short, days_state, format_date, truncate};
use crate::model::{CertFacts, Role, ScanReport};

/// Chart geometry, in SVG user units.
const WIDTH: f64 = 1160.0;
/// Left column with the certificate names.
const LABEL_W: f64 = 330.0;
const RIGHT_PAD: f64 = 24.0;
/// Room right of the plot for the date label of the last certificate.
const DATE_LABEL_W: f64 = 110.0;
/// Height above the first lane: markers, band and cliff labels.
const TOP: f64 = 84.0;
/// One certificate per lane.
const LANE: f64 = 24.0;
/// Gap between the last lane and the axis, and room under it for labels.
const AXIS_GAP: f64 = 6.0;
const AXIS_LABELS_H: f64 = 56.0;
/// Band labels sit this far above the lanes; cliff labels higher, so the
/// two never overlap.
const BAND_LABEL_RISE: f64 = 8.0;
const CLIFF_LABEL_RISE: f64 = 26.0;
/// Width of one character of a band label (11 px bold), and the room kept
/// between two labels, for placing cliff labels that never overlap.
const LABEL_CHAR_W: f64 = 7.0;
const LABEL_GAP: f64 = 6.0;
/// A cliff band is drawn at least this wide, so a one-day cliff shows.
const MIN_CLIFF_W: f64 = 8.0;
/// Marker labels: first row, and the second row used when "today" and
/// "as-of" are too close to share one.
const MARKER_ROW_1: f64 = 18.0;
const MARKER_ROW_2: f64 = 36.0;
const MARKER_MIN_GAP: f64 = 150.0;
/// A date label goes right of its point when this much room is left.
const POINT_LABEL_GAP: f64 = 12.0;
const POINT_LABEL_W: f64 = 140.0;
/// Ticks closer than this would overlap their labels.
const TICK_MIN_GAP: f64 = 44.0;

/// The time axis, in days: margins around now and around every
/// certificate, the focus window, and how long a span must be before it is
/// compressed behind an axis break.
const MARGIN_DAYS: f64 = 30.0;
const LEAF_MARGIN_DAYS: f64 = 20.0;
const FOCUS_MIN_FUTURE_DAYS: f64 = 120.0;
const PAST_BREAK_DAYS: f64 = 90.0;
const FUTURE_BREAK_DAYS: f64 = 120.0;
/// Share of the plot width the compressed past and future get.
const PAST_SHARE: f64 = 0.14;
const FUTURE_SHARE: f64 = 0.24;
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

/// What a band on the timeline marks; written as its CSS class suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum BandClass {
    /// The `--critical-days` window after the as-of date.
    Critical,
    /// The `--warn-days` window after it.
    Warning,
    /// An expiry cliff: many servers' certificates expiring together.
    Cliff,
}

/// Which day a marker line stands for; written as its CSS class suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum MarkerClass {
    /// The day the scan ran.
    Today,
    /// The as-of date the report is judged at (also today, when the same).
    Asof,
}

#[derive(Serialize)]
struct Band {
    x: f64,
    w: f64,
    class: BandClass,
    /// The band's full name, for its tooltip; `label` may be shorter.
    title: String,
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
    class: MarkerClass,
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

/// A distinct leaf or store certificate and where it is presented or held.
struct Seen<'a> {
    /// Its subject CN (or subject); for a store-only certificate, its
    /// friendly name when it has one.
    name: &'a str,
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
            let &[a, b] = w else { continue };
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
    let (seen, hidden, hidden_after) = distinct_leaves(report);
    let axis = Axis::new(report, &seen);
    let lanes_top = TOP;
    let lanes_bottom = lanes_top + LANE * seen.len().max(1) as f64;
    let axis_y = lanes_bottom + AXIS_GAP;
    let (bands, cliffs) = bands(report, &axis.scale);
    Timeline {
        width: WIDTH,
        height: axis_y + AXIS_LABELS_H,
        plot_x: axis.plot_x,
        plot_w: axis.plot_w,
        plot_end: axis.plot_x + axis.plot_w,
        band_h: axis_y - lanes_top,
        lanes_top,
        lanes_bottom,
        axis_y,
        empty: seen.is_empty(),
        bands,
        ticks: ticks(&axis.scale, axis.lo, axis.hi, axis.focus_lo, axis.focus_hi),
        breaks: axis.breaks.clone(),
        markers: markers(report, &axis.scale),
        points: points(report, &seen, &axis.scale, lanes_top),
        hidden,
        hidden_after,
        cliffs,
        windows: format!(
            "shaded: critical ≤ {} d, warning ≤ {} d after as-of",
            report.parameters.critical_days, report.parameters.warn_days
        ),
    }
}

/// A leaf's lane name: its subject CN, else its subject.
fn leaf_name(leaf: &CertFacts) -> &str {
    leaf.subject_cn.as_deref().unwrap_or(&leaf.subject)
}

/// Every distinct leaf and store certificate, soonest expiry first, capped at [`MAX_LANES`];
/// also how many were left out and the first date left out.
fn distinct_leaves(report: &ScanReport) -> (Vec<Seen<'_>>, usize, String) {
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
        // A VIP's HTTPS certificate is a public one, as on 443.
        let frontend = e.endpoint.speaks() == Role::Frontend;
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
                    name: leaf_name(leaf),
                    not_after,
                    days_left,
                    frontend,
                    places: vec![place],
                });
            }
        }
    }
    // The stores' certificates are dated certificates too (`--inventory`);
    // one a port presents is already in its lane.
    let certs = report.inventory.iter().flat_map(|i| &i.certificates);
    for c in certs {
        let place = format!("{} store", truncate(&c.server, 13));
        match by_sha1
            .get(c.thumbprint.as_str())
            .and_then(|&i| seen.get_mut(i))
        {
            Some(s) if c.bound.is_empty() => s.places.push(place),
            Some(_) => {}
            None => {
                by_sha1.insert(&c.thumbprint, seen.len());
                seen.push(Seen {
                    name: c
                        .friendly_name
                        .as_deref()
                        .filter(|f| !f.is_empty())
                        .unwrap_or(&c.subject),
                    not_after: c.not_after,
                    days_left: c.days_left,
                    frontend: false,
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
    (seen, hidden, hidden_after)
}

/// The warning and critical windows, in seconds after as-of.
fn windows(report: &ScanReport) -> (f64, f64) {
    let warn_days = report.parameters.warn_days.max(0);
    let crit_days = report.parameters.critical_days.clamp(0, warn_days);
    (warn_days as f64 * DAY, crit_days as f64 * DAY)
}

/// The time axis: its extent, the focus window, and where it breaks.
struct Axis {
    scale: Scale,
    plot_x: f64,
    plot_w: f64,
    lo: f64,
    hi: f64,
    focus_lo: f64,
    focus_hi: f64,
    breaks: Vec<f64>,
}

impl Axis {
    fn new(report: &ScanReport, seen: &[Seen<'_>]) -> Axis {
        let as_of = secs(report.as_of);
        let today = secs(report.finished_at);
        let (warn, _) = windows(report);
        let plot_x = LABEL_W;
        let plot_w = WIDTH - LABEL_W - RIGHT_PAD - DATE_LABEL_W;
        let mut lo = as_of.min(today) - MARGIN_DAYS * DAY;
        let mut hi = as_of.max(today) + warn + MARGIN_DAYS * DAY;
        for s in seen {
            lo = lo.min(secs(s.not_after) - LEAF_MARGIN_DAYS * DAY);
            hi = hi.max(secs(s.not_after) + LEAF_MARGIN_DAYS * DAY);
        }
        let focus_lo = (as_of.min(today) - MARGIN_DAYS * DAY).max(lo);
        let focus_hi = (as_of.max(today) + (1.5 * warn).max(FOCUS_MIN_FUTURE_DAYS * DAY)).min(hi);
        // Compress only spans long enough to be worth a break in the axis;
        // a few weeks either side just widen the focus.
        let past = lo < focus_lo - PAST_BREAK_DAYS * DAY;
        let future = hi > focus_hi + FUTURE_BREAK_DAYS * DAY;
        let focus_lo = if past { focus_lo } else { lo };
        let focus_hi = if future { focus_hi } else { hi };
        let past_w = if past { plot_w * PAST_SHARE } else { 0.0 };
        let future_w = if future { plot_w * FUTURE_SHARE } else { 0.0 };
        let mut knots = Vec::new();
        let mut breaks = Vec::new();
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
        Axis {
            scale: Scale { knots },
            plot_x,
            plot_w,
            lo,
            hi,
            focus_lo,
            focus_hi,
            breaks,
        }
    }
}

/// The critical and warning windows after as-of, and one band per expiry
/// cliff.
fn bands(report: &ScanReport, scale: &Scale) -> (Vec<Band>, Vec<CliffView>) {
    let as_of = secs(report.as_of);
    let (warn, crit) = windows(report);
    let band = |from: f64, to: f64, class: BandClass, label: String| {
        let x = scale.x(from);
        let w = (scale.x(to) - x).max(0.0);
        let rise = if class == BandClass::Cliff {
            CLIFF_LABEL_RISE
        } else {
            BAND_LABEL_RISE
        };
        Band {
            x,
            w,
            class,
            title: label.clone(),
            label,
            label_x: x + w / 2.0,
            label_y: TOP - rise,
        }
    };
    let mut bands = vec![
        band(
            as_of,
            as_of + crit,
            BandClass::Critical,
            "critical".to_string(),
        ),
        band(
            as_of + crit,
            as_of + warn,
            BandClass::Warning,
            "warning".to_string(),
        ),
    ];
    let mut cliffs = Vec::new();
    let mut cliff_bands = Vec::new();
    for c in &report.expiry_cliffs {
        let label = format!("cliff: {} servers", c.hosts.len());
        let mut b = band(secs(c.from), secs(c.to), BandClass::Cliff, label);
        if b.w < MIN_CLIFF_W {
            b.x -= (MIN_CLIFF_W - b.w) / 2.0;
            b.w = MIN_CLIFF_W;
        }
        cliff_bands.push(b);
        cliffs.push(CliffView {
            from: format_date(c.from),
            to: format_date(c.to),
            count: c.hosts.len(),
            hosts: few(&c.hosts),
        });
    }
    place_cliff_labels(&mut cliff_bands);
    bands.extend(cliff_bands);
    (bands, cliffs)
}

fn label_w(label: &str) -> f64 {
    label.chars().count() as f64 * LABEL_CHAR_W
}

/// Cliff labels side by side on one row, left to right, none overlapping
/// another or leaving the chart: a label with no room is shortened to the
/// server count, and dropped when even that has none (the list under the
/// chart names every cliff, and the band keeps its tooltip).
fn place_cliff_labels(cliffs: &mut [Band]) {
    cliffs.sort_by(|a, b| a.label_x.total_cmp(&b.label_x));
    let mut free_from = LABEL_W;
    for b in cliffs.iter_mut() {
        let short = b
            .label
            .trim_start_matches("cliff: ")
            .replace(" servers", "");
        let fits = |label: &str| {
            let w = label_w(label);
            // Not `clamp`, which panics when the row is already full.
            let x = b.label_x.max(free_from + w / 2.0).min(WIDTH - w / 2.0);
            // Moved at most half a label off its band, so it still names it.
            (x - w / 2.0 >= free_from && (x - b.label_x).abs() <= w / 2.0).then_some((x, w))
        };
        let full = fits(&b.label);
        match full
            .map(|f| (f, None))
            .or_else(|| fits(&short).map(|f| (f, Some(short))))
        {
            Some(((x, w), short)) => {
                if let Some(short) = short {
                    b.label = short;
                }
                b.label_x = x;
                free_from = x + w / 2.0 + LABEL_GAP;
            }
            None => b.label.clear(),
        }
    }
}

/// "today" and "as-of" lines: one marker when they are the same day.
fn markers(report: &ScanReport, scale: &Scale) -> Vec<Marker> {
    let as_of = secs(report.as_of);
    let today = secs(report.finished_at);
    if (as_of - today).abs() < DAY {
        return vec![Marker {
            x: scale.x(as_of),
            label: format!("today = as-of {}", format_date(report.as_of)),
            label_y: MARKER_ROW_1,
            class: MarkerClass::Asof,
        }];
    }
    let (xt, xa) = (scale.x(today), scale.x(as_of));
    vec![
        Marker {
            x: xt,
            label: format!("today {}", format_date(report.finished_at)),
            label_y: MARKER_ROW_1,
            class: MarkerClass::Today,
        },
        Marker {
            x: xa,
            label: format!("as-of {}", format_date(report.as_of)),
            label_y: if (xt - xa).abs() < MARKER_MIN_GAP {
                MARKER_ROW_2
            } else {
                MARKER_ROW_1
            },
            class: MarkerClass::Asof,
        },
    ]
}

/// One point per certificate lane, at its expiry date.
fn points(report: &ScanReport, seen: &[Seen<'_>], scale: &Scale, lanes_top: f64) -> Vec<Point> {
    seen.iter()
        .enumerate()
        .map(|(i, s)| {
            let x = scale.x(secs(s.not_after));
            let y = lanes_top + LANE * i as f64 + LANE / 2.0;
            let name = s.name;
            let mut where_ = s.places.first().cloned().unwrap_or_default();
            if s.places.len() > 1 {
                where_ = format!("{where_} +{}", s.places.len() - 1);
            }
            let right = x + POINT_LABEL_GAP + POINT_LABEL_W <= WIDTH;
            Point {
                x,
                y,
                stripe: i % 2 == 1,
                diamond: s.frontend,
                diamond_path: format!("M{:.1} {:.1} l7 7 l-7 7 l-7 -7 z", x, y - 7.0),
                state: days_state(&report.parameters, s.days_left),
                label: truncate(name, 22),
                where_,
                date: format!("{} · {}", format_date(s.not_after), days_short(s.days_left)),
                date_x: if right {
                    x + POINT_LABEL_GAP
                } else {
                    x - POINT_LABEL_GAP
                },
                date_anchor: if right { "start" } else { "end" },
            }
        })
        .collect()
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
            let room = out.last().is_none_or(|p| x - p.x >= TICK_MIN_GAP);
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

/// Names shown in a list before "and N more": a cliff of 200 servers
/// stays one line.
const FEW: usize = 5;

/// The first few names, then how many more.
fn few(hosts: &[String]) -> String {
    let shown: Vec<&str> = hosts.iter().take(FEW).map(String::as_str).collect();
    match hosts.len().saturating_sub(FEW) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
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
            organisation: None,
        };
        let t = timeline(&report);
        assert!(t.empty);
        // The critical band starts at as-of and ends before the warning one.
        let crit = t
            .bands
            .iter()
            .find(|b| b.class == BandClass::Critical)
            .map(|b| (b.x, b.w));
        let warn = t
            .bands
            .iter()
            .find(|b| b.class == BandClass::Warning)
            .map(|b| (b.x, b.w));
        match (crit, warn) {
            (Some((cx, cw)), Some((wx, _))) => assert!((cx + cw - wx).abs() < 0.01 && cw > 0.0),
            other => panic!("bands missing: {other:?}"),
        }
    }

    fn cliff(x: f64) -> Band {
        Band {
            x,
            w: MIN_CLIFF_W,
            class: BandClass::Cliff,
            title: "cliff: 12 servers".into(),
            label: "cliff: 12 servers".into(),
            label_x: x + MIN_CLIFF_W / 2.0,
            label_y: TOP - CLIFF_LABEL_RISE,
        }
    }

    #[test]
    fn cliff_labels_never_overlap_and_stay_on_the_chart() {
        // Cliffs a few days apart, one at the right edge.
        let mut bands: Vec<Band> = [700.0, 704.0, 760.0, 900.0, 1100.0, 1150.0, 1155.0]
            .into_iter()
            .map(cliff)
            .collect();
        place_cliff_labels(&mut bands);
        let shown: Vec<(f64, f64)> = bands
            .iter()
            .filter(|b| !b.label.is_empty())
            .map(|b| {
                let w = label_w(&b.label);
                (b.label_x - w / 2.0, b.label_x + w / 2.0)
            })
            .collect();
        assert!(shown.len() >= 3, "{shown:?}");
        for pair in shown.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "overlap: {shown:?}");
        }
        assert!(shown.iter().all(|&(l, r)| l >= LABEL_W && r <= WIDTH));
        // The second of two cliffs 4 units apart has no room for its words.
        assert_ne!(bands[1].label, "cliff: 12 servers");
        assert_eq!(bands[1].title, "cliff: 12 servers");
    }
}
