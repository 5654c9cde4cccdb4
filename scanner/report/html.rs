//! report.html: one self-contained page rendered by handlebars from the
//! templates embedded in the binary.
//!
//! The templates only lay out a prepared view: every date is formatted,
//! every coordinate of the timeline computed and every label chosen here in
//! Rust, where it is typed and tested. Handlebars runs in strict mode (a
//! misspelt field is an error, not an empty cell) and escapes everything
//! through [`sanitize::html`], so certificate text can neither add markup
//! nor hide behind bidi controls.
//!
//! The page makes no request: CSS and SVG are inline, and the one inline
//! script is allowed by its SHA-256 hash in the Content-Security-Policy,
//! computed from the exact text embedded.

use std::collections::HashMap;
use std::io::Write;

use base64::Engine as _;
use handlebars::Handlebars;
use serde::Serialize;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, UtcOffset};

use super::{act_now, counts, endpoint_grade, method_name, sanitize};
use crate::analyze::catalog::Rule;
use crate::model::{CertFacts, EndpointReport, Role, ScanReport, ServerReport, Status, TlsInfo};

const PAGE: &str = include_str!("../../templates/report.html.hbs");
const CSS: &str = include_str!("../../templates/report.css");
/// The filter/sort script. Constant text: it reads everything from the DOM,
/// so no scan data ever appears inside a `<script>` element.
pub const SCRIPT: &str = include_str!("../../templates/report.js");
const PARTIALS: &[(&str, &str)] = &[
    (
        "summary",
        include_str!("../../templates/partials/summary.hbs"),
    ),
    (
        "timeline",
        include_str!("../../templates/partials/timeline.hbs"),
    ),
    (
        "server",
        include_str!("../../templates/partials/server.hbs"),
    ),
    (
        "endpoint",
        include_str!("../../templates/partials/endpoint.hbs"),
    ),
    ("table", include_str!("../../templates/partials/table.hbs")),
    ("row", include_str!("../../templates/partials/row.hbs")),
    (
        "appendix",
        include_str!("../../templates/partials/appendix.hbs"),
    ),
];

/// Why report.html could not be rendered. Both are bugs in the templates,
/// not in the data; tests render every template.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the page template has no {0} slot")]
    Slot(&'static str),
    #[error("write: {0}")]
    Io(#[from] std::io::Error),
    #[error("template: {0}")]
    Template(#[from] Box<handlebars::TemplateError>),
    #[error("render: {0}")]
    Render(#[from] Box<handlebars::RenderError>),
}

/// The Content-Security-Policy of the page: nothing may load, inline
/// styles are allowed, and the only script that may run is [`SCRIPT`].
pub fn content_security_policy() -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, SCRIPT.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; \
         script-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'"
    )
}

/// Render the page to a string (tests and small reports).
pub fn render(report: &ScanReport, catalog: &[Rule]) -> Result<String, RenderError> {
    let mut out = Vec::new();
    render_to(report, catalog, &mut out)?;
    String::from_utf8(out).map_err(|e| RenderError::Io(std::io::Error::other(e)))
}

/// Where the page shell leaves room for the per-server cards and the
/// per-endpoint rows, which are streamed one at a time.
const SERVERS_SLOT: &str = "<!--excert:servers-->";
const ROWS_SLOT: &str = "<!--excert:rows-->";

/// Render the page into `out`. `catalog` fills the appendix.
///
/// The shell (summary, timeline, appendix) is rendered whole; server cards
/// and table rows are rendered one by one into `out`, so memory stays flat
/// however large the fleet (a 10,000-endpoint page is tens of MB).
pub fn render_to(
    report: &ScanReport,
    catalog: &[Rule],
    out: &mut dyn Write,
) -> Result<(), RenderError> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    // Partials are not re-indented to match their call site: the output
    // is not meant to be read as source, and re-indenting costs about a
    // third of the render time on a large fleet.
    hb.set_prevent_indent(true);
    hb.register_escape_fn(sanitize::html);
    hb.register_template_string("page", inline_partials(PAGE))
        .map_err(Box::new)?;
    hb.register_template_string("server", inline_partials("{{> server}}"))
        .map_err(Box::new)?;
    hb.register_template_string("row", inline_partials("{{> row}}"))
        .map_err(Box::new)?;

    let shell = hb
        .render("page", &page(report, catalog))
        .map_err(Box::new)?;
    let (head, rest) = shell
        .split_once(SERVERS_SLOT)
        .ok_or(RenderError::Slot(SERVERS_SLOT))?;
    let (middle, tail) = rest
        .split_once(ROWS_SLOT)
        .ok_or(RenderError::Slot(ROWS_SLOT))?;
    out.write_all(head.as_bytes())?;
    for (i, s) in report.servers.iter().enumerate() {
        hb.render_to_write("server", &server_view(report, i, s), &mut *out)
            .map_err(Box::new)?;
    }
    out.write_all(middle.as_bytes())?;
    let card = card_of_endpoint(report);
    for (i, e) in report.endpoints.iter().enumerate() {
        let row = row_view(report, e, card.get(i).copied().unwrap_or(0));
        hb.render_to_write("row", &row, &mut *out)
            .map_err(Box::new)?;
    }
    out.write_all(tail.as_bytes())?;
    Ok(())
}

/// The page with every `{{> name}}` replaced by the partial's text.
///
/// Handlebars copies the whole current context for each partial it
/// expands, and at the top of the page that is the whole fleet: a
/// 1,000-endpoint report spent most of its render time copying. Our
/// partials take no parameters, so pasting them in is the same template.
fn inline_partials(template: &str) -> String {
    let mut out = template.to_string();
    // Partials nest (server includes endpoint); a few passes settle it.
    for _ in 0..4 {
        for (name, text) in PARTIALS {
            out = out.replace(&format!("{{{{> {name}}}}}"), text);
        }
    }
    out
}

/// `2026-11-25`.
pub(crate) fn format_date(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]");
    t.to_offset(UtcOffset::UTC).format(&fmt).unwrap_or_default()
}

/// `2026-11-25 14:03 UTC`.
pub(crate) fn format_time(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.to_offset(UtcOffset::UTC).format(&fmt).unwrap_or_default()
}

#[derive(Serialize)]
struct Page {
    csp: String,
    css: &'static str,
    script: &'static str,
    tool: String,
    started: String,
    finished: String,
    as_of: String,
    as_of_differs: bool,
    complete: bool,
    incomplete: String,
    counts: CountsView,
    actions: Vec<ActionView>,
    timeline: Timeline,
    catalog: Vec<CatalogView>,
    params: ParamsView,
    invalid_targets: Vec<InvalidView>,
}

#[derive(Serialize)]
struct CountsView {
    servers: usize,
    endpoints: usize,
    answered: usize,
    unanswered: usize,
    not_probed: usize,
    critical: usize,
    warning: usize,
    info: usize,
    ok: usize,
    findings_critical: usize,
    findings_warning: usize,
    findings_info: usize,
}

#[derive(Serialize)]
struct ActionView {
    host: String,
    anchor: String,
    severity: &'static str,
    days: String,
    headline: String,
    fix: String,
    ids: Vec<String>,
}

#[derive(Serialize)]
struct ServerView {
    host: String,
    anchor: String,
    grade: &'static str,
    verdict: String,
    summary: String,
    group: String,
    steps: String,
    endpoints: Vec<EndpointView>,
    findings: Vec<FindingView>,
}

#[derive(Serialize)]
struct VersionCell {
    name: &'static str,
    mark: &'static str,
    state: &'static str,
    title: &'static str,
}

#[derive(Serialize)]
struct EndpointView {
    port: u16,
    role: &'static str,
    role_label: &'static str,
    address: String,
    grade: &'static str,
    status: &'static str,
    answered: bool,
    error: String,
    has_leaf: bool,
    subject: String,
    issuer: String,
    sans: String,
    class: &'static str,
    class_label: &'static str,
    not_before: String,
    not_after: String,
    days: String,
    days_state: &'static str,
    sha1: String,
    key: String,
    signature: String,
    chain_len: usize,
    protocol: String,
    cipher: String,
    method: &'static str,
    matrix: Vec<VersionCell>,
    trust: String,
    trust_state: &'static str,
}

#[derive(Serialize)]
struct FindingView {
    id: String,
    severity: &'static str,
    title: String,
    detail: String,
    remediation: String,
    port: u16,
}

#[derive(Serialize)]
struct RowView {
    grade: &'static str,
    grade_rank: u8,
    host: String,
    anchor: String,
    address: String,
    port: u16,
    role: &'static str,
    status: &'static str,
    answered: bool,
    subject: String,
    class: &'static str,
    class_label: &'static str,
    not_after: String,
    not_after_key: i64,
    days: String,
    days_key: i64,
    days_state: &'static str,
    sha1: String,
    protocol: String,
    ids: String,
}

#[derive(Serialize)]
struct CatalogView {
    id: String,
    severity: &'static str,
    title: String,
    why: String,
    fix: String,
}

#[derive(Serialize)]
struct ParamsView {
    frontend_ports: String,
    backend_ports: String,
    timeout: String,
    concurrency: String,
    warn_days: i64,
    critical_days: i64,
    namespaces: String,
    ca_bundles: String,
    protocol_scan: &'static str,
}

#[derive(Serialize)]
struct InvalidView {
    place: String,
    text: String,
    error: String,
}

fn page(report: &ScanReport, catalog: &[Rule]) -> Page {
    let c = counts(report);
    let p = &report.parameters;
    let join = |v: &[u16]| v.iter().map(u16::to_string).collect::<Vec<_>>().join(", ");
    let or_none = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    Page {
        csp: content_security_policy(),
        css: CSS,
        script: SCRIPT,
        tool: format!("{} {}", report.tool.name, report.tool.version),
        started: format_time(report.started_at),
        finished: format_time(report.finished_at),
        as_of: format_time(report.as_of),
        as_of_differs: (report.as_of - report.finished_at).abs() > Duration::hours(1),
        complete: report.complete,
        incomplete: super::incomplete_notice(report).unwrap_or_default(),
        counts: CountsView {
            servers: c.servers,
            endpoints: c.endpoints,
            answered: c.answered,
            unanswered: c.endpoints - c.answered,
            not_probed: c.not_probed,
            critical: c.critical,
            warning: c.warning,
            info: c.info,
            ok: c.ok,
            findings_critical: c.findings_critical,
            findings_warning: c.findings_warning,
            findings_info: c.findings_info,
        },
        actions: actions(report),
        timeline: timeline(report),
        catalog: catalog
            .iter()
            .map(|e| CatalogView {
                id: e.id.into(),
                severity: e.severity.as_str(),
                title: e.title.into(),
                why: e.why.into(),
                fix: e.fix.into(),
            })
            .collect(),
        params: ParamsView {
            frontend_ports: join(&p.frontend_ports),
            backend_ports: join(&p.backend_ports),
            timeout: format!("{} s", p.timeout_secs),
            concurrency: p.concurrency.to_string(),
            warn_days: p.warn_days,
            critical_days: p.critical_days,
            namespaces: or_none(&p.namespaces),
            ca_bundles: or_none(&p.ca_bundles),
            protocol_scan: if p.protocol_scan { "yes" } else { "no" },
        },
        invalid_targets: report
            .invalid_targets
            .iter()
            .map(|t| InvalidView {
                place: format!("{}:{}", t.file, t.line),
                text: t.text.clone(),
                error: t.error.clone(),
            })
            .collect(),
    }
}

/// Anchor of a server card. Built from the index, never from the host
/// name, so no network text ends up in an `id` or `href`.
fn anchor(index: usize) -> String {
    format!("server-{index}")
}

/// For each endpoint, the index of the server card that shows it. Built
/// once: fleets have thousands of endpoints.
fn card_of_endpoint(report: &ScanReport) -> Vec<usize> {
    let mut card = vec![0; report.endpoints.len()];
    for (i, s) in report.servers.iter().enumerate() {
        for &e in &s.endpoints {
            if let Some(slot) = card.get_mut(e) {
                *slot = i;
            }
        }
    }
    card
}

fn actions(report: &ScanReport) -> Vec<ActionView> {
    act_now(report)
        .into_iter()
        .map(|a| ActionView {
            host: a.server.host.clone(),
            anchor: anchor(a.server_index),
            severity: a.severity.as_str(),
            days: a.days_left.map(days_short).unwrap_or_default(),
            headline: a.headline,
            fix: a.fix,
            ids: a.finding_ids.iter().map(|s| s.to_string()).collect(),
        })
        .collect()
}

/// `expired 3 d ago`, `today`, `20 d left`.
fn days_short(days: i64) -> String {
    match days {
        d if d < 0 => format!("expired {} d ago", -d),
        0 => "expires today".into(),
        d => format!("{d} d left"),
    }
}

fn days_state(report: &ScanReport, days: i64) -> &'static str {
    if days < 0 {
        "expired"
    } else if days <= report.parameters.critical_days {
        "critical"
    } else if days <= report.parameters.warn_days {
        "warning"
    } else {
        "ok"
    }
}

fn role_order(e: &EndpointReport) -> (u8, u16) {
    let r = match e.endpoint.role {
        Role::Frontend => 0,
        Role::Backend => 1,
    };
    (r, e.endpoint.port)
}

fn server_view(report: &ScanReport, index: usize, s: &ServerReport) -> ServerView {
    let mut eps: Vec<&EndpointReport> = s
        .endpoints
        .iter()
        .filter_map(|&i| report.endpoints.get(i))
        .collect();
    eps.sort_by_key(|e| role_order(e));
    let mut findings: Vec<FindingView> = eps
        .iter()
        .flat_map(|e| {
            e.findings.iter().map(|f| FindingView {
                id: f.id.clone(),
                severity: f.severity.as_str(),
                title: f.title.clone(),
                detail: f.detail.clone(),
                remediation: f.remediation.clone(),
                port: e.endpoint.port,
            })
        })
        .collect();
    findings.sort_by_key(|f| severity_rank(f.severity));
    let group = [
        s.group.site.as_ref().map(|v| format!("site {v}")),
        s.group.dag.as_ref().map(|v| format!("DAG {v}")),
        s.group.server_role.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let steps = s
        .remediation
        .iter()
        .enumerate()
        .map(|(i, step)| {
            // Steps may or may not carry their own numbers.
            let t = step.trim();
            if t.starts_with(|c: char| c.is_ascii_digit()) {
                t.to_string()
            } else {
                format!("{}. {t}", i + 1)
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    ServerView {
        host: s.host.clone(),
        anchor: anchor(index),
        grade: s.severity.as_str(),
        verdict: s.verdict.replace('-', " "),
        summary: s.summary.clone(),
        group,
        steps,
        endpoints: eps.iter().map(|e| endpoint_view(report, e)).collect(),
        findings,
    }
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "critical" => 0,
        "warning" => 1,
        "info" => 2,
        "ok" => 3,
        _ => 4,
    }
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Frontend => "Default Web Site",
        Role::Backend => "Exchange Back End",
    }
}

fn endpoint_view(report: &ScanReport, e: &EndpointReport) -> EndpointView {
    let leaf = e.leaf();
    let tls = e.tls.as_ref();
    let exchange_backend = e.endpoint.role == Role::Backend
        && leaf
            .is_some_and(|c| c.classification == crate::model::Classification::ExchangeSelfSigned);
    let (trust, trust_state) = match &e.trust {
        Some(t) if t.trusted => ("trusted".to_string(), "ok"),
        // Exchange's own cert on 444 is self-signed by design: the
        // frontends trust it from the Trusted Root store, not from a CA.
        Some(_) if exchange_backend => (
            "self-signed, as Exchange intends on 444".to_string(),
            "none",
        ),
        Some(t) => (
            match &t.error {
                Some(err) => format!("not trusted: {err}"),
                None => "not trusted".into(),
            },
            "bad",
        ),
        None => (String::new(), "none"),
    };
    EndpointView {
        port: e.endpoint.port,
        role: e.endpoint.role.as_str(),
        role_label: role_label(e.endpoint.role),
        address: e
            .endpoint
            .address
            .map(|a| a.to_string())
            .unwrap_or_else(|| "unresolved".into()),
        grade: endpoint_grade(e),
        status: e.status.as_str(),
        answered: e.status == Status::Ok,
        error: e.error.clone().unwrap_or_default(),
        has_leaf: leaf.is_some(),
        subject: leaf.map(|c| c.subject.clone()).unwrap_or_default(),
        issuer: leaf.map(|c| c.issuer.clone()).unwrap_or_default(),
        sans: leaf.map(|c| c.sans.join(", ")).unwrap_or_default(),
        class: leaf.map_or("", |c| c.classification.as_str()),
        class_label: leaf.map_or("", |c| c.classification.label()),
        not_before: leaf.map(|c| format_date(c.not_before)).unwrap_or_default(),
        not_after: leaf.map(|c| format_date(c.not_after)).unwrap_or_default(),
        days: leaf.map(|c| days_short(c.days_left)).unwrap_or_default(),
        days_state: leaf.map_or("none", |c| days_state(report, c.days_left)),
        sha1: leaf.map(|c| c.sha1.clone()).unwrap_or_default(),
        key: leaf.map(key_text).unwrap_or_default(),
        signature: leaf
            .map(|c| c.signature_algorithm.clone())
            .unwrap_or_default(),
        chain_len: e.chain.len(),
        protocol: tls.map(|t| t.version.clone()).unwrap_or_default(),
        cipher: tls.map(|t| t.cipher_suite.clone()).unwrap_or_default(),
        method: tls.map_or("", |t| method_name(t.method)),
        matrix: matrix(tls),
        trust,
        trust_state,
    }
}

fn key_text(c: &CertFacts) -> String {
    match &c.key.curve {
        Some(curve) => format!("{} {} ({curve})", c.key.algorithm, c.key.bits),
        None => format!("{} {}", c.key.algorithm, c.key.bits),
    }
}

const VERSIONS: [(&str, &str); 4] = [
    ("TLSv1.0", "1.0"),
    ("TLSv1.1", "1.1"),
    ("TLSv1.2", "1.2"),
    ("TLSv1.3", "1.3"),
];

/// The protocol matrix: ✓ accepted, ✗ known refused, – not known.
///
/// "Refused" is only claimed where the evidence supports it. A server
/// answers with the highest version both sides offer: rustls offers 1.2
/// and 1.3, and the legacy hello (used only after rustls failed) offers
/// 1.0 to 1.2. So every version above the negotiated one was refused. The
/// versions below it are known only when the extra 1.0/1.1 hellos ran.
fn matrix(tls: Option<&TlsInfo>) -> Vec<VersionCell> {
    let negotiated = tls.and_then(|t| VERSIONS.iter().position(|(v, _)| *v == t.version));
    VERSIONS
        .iter()
        .enumerate()
        .map(|(i, (wire, name))| {
            let accepted =
                tls.is_some_and(|t| t.versions.iter().any(|v| v == wire)) || negotiated == Some(i);
            let refused = !accepted
                && match (tls, negotiated) {
                    (Some(t), Some(n)) => {
                        let above = i > n;
                        let below_scanned = i < n && i <= 1 && t.versions_scanned;
                        above || below_scanned
                    }
                    _ => false,
                };
            let (mark, state, title) = if accepted {
                ("✓", "yes", "accepted")
            } else if refused {
                ("✗", "no", "refused")
            } else {
                ("–", "unknown", "not tested")
            };
            VersionCell {
                name,
                mark,
                state,
                title,
            }
        })
        .collect()
}

/// One row of the endpoint table; `card` is the index of its server card.
fn row_view(report: &ScanReport, e: &EndpointReport, card: usize) -> RowView {
    let leaf = e.leaf();
    let grade = endpoint_grade(e);
    RowView {
        grade,
        grade_rank: severity_rank(grade),
        host: e.endpoint.host.clone(),
        anchor: anchor(card),
        address: e
            .endpoint
            .address
            .map(|a| a.to_string())
            .unwrap_or_default(),
        port: e.endpoint.port,
        role: e.endpoint.role.as_str(),
        status: e.status.as_str(),
        answered: e.status == Status::Ok,
        subject: leaf.map(|c| c.subject.clone()).unwrap_or_default(),
        class: leaf.map_or("", |c| c.classification.as_str()),
        class_label: leaf.map_or("", |c| c.classification.label()),
        not_after: leaf.map(|c| format_date(c.not_after)).unwrap_or_default(),
        not_after_key: leaf.map_or(i64::MAX, |c| c.not_after.unix_timestamp()),
        days: leaf.map(|c| c.days_left.to_string()).unwrap_or_default(),
        days_key: leaf.map_or(i64::MAX, |c| c.days_left),
        days_state: leaf.map_or("none", |c| days_state(report, c.days_left)),
        sha1: leaf.map(|c| c.sha1.clone()).unwrap_or_default(),
        protocol: e
            .tls
            .as_ref()
            .map(|t| t.version.clone())
            .unwrap_or_default(),
        ids: e
            .findings
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

// ---------------------------------------------------------------------------
// The expiry timeline.

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
struct Timeline {
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

fn timeline(report: &ScanReport) -> Timeline {
    let mut seen: Vec<Seen<'_>> = Vec::new();
    let mut by_sha1: HashMap<&str, usize> = HashMap::new();
    for e in &report.endpoints {
        let Some(leaf) = e.leaf() else { continue };
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
                    frontend,
                    places: vec![place],
                });
            }
        }
    }
    seen.sort_by_key(|s| s.cert.not_after);
    let hidden = seen.len().saturating_sub(MAX_LANES);
    let hidden_after = seen
        .get(MAX_LANES)
        .map(|s| format_date(s.cert.not_after))
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
        lo = lo.min(secs(s.cert.not_after) - 20.0 * DAY);
        hi = hi.max(secs(s.cert.not_after) + 20.0 * DAY);
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
            let x = scale.x(secs(s.cert.not_after));
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
                state: days_state(report, s.cert.days_left),
                label: truncate(&name, 22),
                where_,
                date: format!(
                    "{} · {}",
                    format_date(s.cert.not_after),
                    days_short(s.cert.days_left)
                ),
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
    #[test]
    fn every_partial_is_inlined() {
        let page = super::inline_partials(super::PAGE);
        assert!(
            !page.contains("{{>"),
            "a partial the page uses is missing from PARTIALS"
        );
    }

    use super::*;
    use crate::model::Method;

    fn tls(version: &str, method: Method, versions: &[&str], scanned: bool) -> TlsInfo {
        TlsInfo {
            version: version.into(),
            cipher_suite: String::new(),
            method,
            versions: versions.iter().map(|v| v.to_string()).collect(),
            versions_scanned: scanned,
        }
    }

    fn marks(t: Option<&TlsInfo>) -> String {
        matrix(t).iter().map(|c| c.mark).collect()
    }

    #[test]
    fn matrix_claims_refused_only_where_the_probe_showed_it() {
        // A TLS 1.0-only server read by the legacy hello, 1.1 tested too.
        let legacy = tls("TLSv1.0", Method::Legacy, &["TLSv1.0"], true);
        assert_eq!(marks(Some(&legacy)), "✓✗✗✗");
        // TLS 1.3 over rustls without the extra hellos: 1.0-1.2 unknown.
        let modern = tls("TLSv1.3", Method::Rustls, &["TLSv1.3"], false);
        assert_eq!(marks(Some(&modern)), "–––✓");
        // Same with the extra hellos refused: 1.0/1.1 known refused, 1.2
        // still unknown (nothing offered only 1.2).
        let scanned = tls("TLSv1.3", Method::Rustls, &["TLSv1.3"], true);
        assert_eq!(marks(Some(&scanned)), "✗✗–✓");
        // No handshake: nothing known.
        assert_eq!(marks(None), "––––");
    }

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
