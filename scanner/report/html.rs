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

use std::io::Write;

use base64::Engine as _;
use handlebars::Handlebars;
use serde::Serialize;
use time::Duration;

use super::format::{days_short, days_state, format_date, format_time};
use super::groups::{act_now_groups, ActionGroup};
use super::labels;
use super::timeline::{timeline, Timeline};
use super::triage::{counts, endpoint_grade, method_name, EndpointGrade};
use crate::analyze::catalog::Rule;
use crate::model::{
    CertFacts, EndpointReport, Finding, Grade, Role, ScanReport, ServerReport, Severity, Status,
    Step, TlsInfo, TlsVersion,
};
use crate::text as sanitize;

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
    ("fleet", include_str!("../../templates/partials/fleet.hbs")),
    (
        "fleet_row",
        include_str!("../../templates/partials/fleet_row.hbs"),
    ),
    (
        "act_group",
        include_str!("../../templates/partials/act_group.hbs"),
    ),
    (
        "act_host",
        include_str!("../../templates/partials/act_host.hbs"),
    ),
    (
        "act_command",
        include_str!("../../templates/partials/act_command.hbs"),
    ),
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
    /// The page template lacks a slot the renderer fills.
    #[error("the page template has no {0} slot")]
    Slot(&'static str),
    /// Writing the page failed.
    #[error("write: {0}")]
    Io(#[from] std::io::Error),
    /// A template does not parse.
    #[error("template: {0}")]
    Template(#[from] Box<handlebars::TemplateError>),
    /// A template failed on the data.
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

/// Where the page shell and the act-now groups leave room for the lists
/// that grow with the fleet; each is streamed one item at a time.
const FLEET_SLOT: &str = "<!--excert:fleet-->";
const ACT_NOW_SLOT: &str = "<!--excert:act-now-->";
const ACT_HOSTS_SLOT: &str = "<!--excert:act-hosts-->";
const ACT_COMMANDS_SLOT: &str = "<!--excert:act-commands-->";
const ACT_BLOCK_SLOT: &str = "<!--excert:act-block-->";
const SERVERS_SLOT: &str = "<!--excert:servers-->";
const ROWS_SLOT: &str = "<!--excert:rows-->";

/// Above this many servers the page is compact: cards only for servers
/// that need work, without certificate facts, protocol matrix or steps
/// (their act-now group and remediation.ps1 have them), and no endpoint
/// table (report.csv has every endpoint), so 2,000 servers stay a few MB.
pub const COMPACT_ABOVE: usize = 600;

/// Whether `report` is rendered compact (see [`COMPACT_ABOVE`]).
pub fn compact(report: &ScanReport) -> bool {
    report.servers.len() > COMPACT_ABOVE
}

/// Servers named in an act-now group before "and N more".
const HOSTS_SHOWN: usize = 5;

/// The templates rendered one item at a time, besides the page itself.
const ITEMS: &[&str] = &[
    "fleet_row",
    "act_group",
    "act_host",
    "act_command",
    "server",
    "row",
];

/// Render the page into `out`. `catalog` fills the appendix.
///
/// The shell (counts, timeline, appendix) is small and rendered whole;
/// every list that grows with the fleet (fleet summary rows, act-now
/// hosts and their commands, server cards, table rows) is rendered item
/// by item into `out` at its slot, so memory stays flat however large the
/// fleet (a 10,000-endpoint page is tens of MB).
pub fn render_to(
    report: &ScanReport,
    catalog: &[Rule],
    out: &mut dyn Write,
) -> Result<(), RenderError> {
    let hb = registry()?;
    let groups = act_now_groups(report);
    let shell = hb
        .render("page", &page(report, catalog, !groups.is_empty()))
        .map_err(Box::new)?;
    let mut rest = shell.as_str();
    if rest.contains(ACT_NOW_SLOT) {
        rest = fill_slot(rest, ACT_NOW_SLOT, out, |out| {
            act_now(&hb, report, groups, out)
        })?;
    }
    rest = fill_slot(rest, FLEET_SLOT, out, |out| {
        for row in super::fleet_table::rows(report, anchor) {
            hb.render_to_write("fleet_row", &row, &mut *out)
                .map_err(Box::new)?;
        }
        Ok(())
    })?;
    rest = fill_slot(rest, SERVERS_SLOT, out, |out| {
        for (i, s) in report.servers.iter().enumerate() {
            if compact(report) && !needs_card(s) {
                continue;
            }
            hb.render_to_write("server", &server_view(report, i, s), &mut *out)
                .map_err(Box::new)?;
        }
        Ok(())
    })?;
    let card = card_of_endpoint(report);
    rest = fill_slot(rest, ROWS_SLOT, out, |out| {
        if compact(report) {
            return Ok(());
        }
        for (i, e) in report.endpoints.iter().enumerate() {
            let row = row_view(report, e, card.get(i).copied().unwrap_or(0));
            hb.render_to_write("row", &row, &mut *out)
                .map_err(Box::new)?;
        }
        Ok(())
    })?;
    out.write_all(rest.as_bytes())?;
    Ok(())
}

/// The page and item templates, strict and escaping through
/// [`sanitize::html`].
fn registry() -> Result<Handlebars<'static>, RenderError> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    // Partials are not re-indented to match their call site: the output
    // is not meant to be read as source, and re-indenting costs about a
    // third of the render time on a large fleet.
    hb.set_prevent_indent(true);
    hb.register_escape_fn(sanitize::html);
    hb.register_template_string("page", inline_partials(PAGE))
        .map_err(Box::new)?;
    for name in ITEMS {
        hb.register_template_string(name, inline_partials(&format!("{{{{> {name}}}}}")))
            .map_err(Box::new)?;
    }
    Ok(hb)
}

/// Write `text` up to `slot`, then what `fill` streams there; returns the
/// text after the slot.
fn fill_slot<'t>(
    text: &'t str,
    slot: &'static str,
    out: &mut dyn Write,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), RenderError>,
) -> Result<&'t str, RenderError> {
    let (head, rest) = text.split_once(slot).ok_or(RenderError::Slot(slot))?;
    out.write_all(head.as_bytes())?;
    fill(out)?;
    Ok(rest)
}

/// The act-now groups: each group's heading, then its hosts, then each
/// host's command block, one action at a time.
fn act_now(
    hb: &Handlebars<'_>,
    report: &ScanReport,
    groups: Vec<ActionGroup<'_>>,
    out: &mut dyn Write,
) -> Result<(), RenderError> {
    for g in groups {
        let head = GroupView {
            severity: g.severity.as_str(),
            verdict: g.verdict.as_str(),
            title: g.title(),
            lead: lead(&g),
        };
        let text = hb.render("act_group", &head).map_err(Box::new)?;
        let mut rest = fill_slot(&text, ACT_HOSTS_SLOT, out, |out| {
            // A few names, then the rest folded: a group of 2,000 servers
            // stays a few lines tall until it is opened.
            for (i, a) in g.actions.iter().enumerate() {
                if i == HOSTS_SHOWN {
                    let more = g.actions.len() - HOSTS_SHOWN;
                    write!(
                        out,
                        "<li class=\"more\"><details><summary>and {more} more</summary><ol class=\"actions\">"
                    )?;
                }
                hb.render_to_write("act_host", &action_view(report, a), &mut *out)
                    .map_err(Box::new)?;
            }
            if g.actions.len() > HOSTS_SHOWN {
                write!(out, "</ol></details></li>")?;
            }
            Ok(())
        })?;
        rest = fill_slot(rest, ACT_COMMANDS_SLOT, out, |out| {
            // One block for the whole group: a `foreach` over its servers
            // where their commands differ only in the server's name. It
            // names every server of the group, so it is written and
            // escaped a piece at a time, never held whole.
            let servers: Vec<&ServerReport> = g.actions.iter().map(|a| a.server).collect();
            let text = hb.render("act_command", &()).map_err(Box::new)?;
            let rest = fill_slot(&text, ACT_BLOCK_SLOT, out, |out| {
                super::script::write_group_block(&servers, &mut |piece| {
                    out.write_all(sanitize::html(piece).as_bytes())
                })?;
                Ok(())
            })?;
            out.write_all(rest.as_bytes())?;
            Ok(())
        })?;
        out.write_all(rest.as_bytes())?;
    }
    Ok(())
}

/// What a group's servers share, in a sentence; each server's line says
/// its own reason and days.
fn lead(g: &ActionGroup<'_>) -> String {
    if g.actions.len() == 1 {
        "Why this server needs it, and the days left:".to_string()
    } else {
        "The same work on each server; each line says why, and the days left:".to_string()
    }
}

/// One server of an act-now group.
fn action_view(report: &ScanReport, a: &super::triage::Action<'_>) -> ActionView {
    ActionView {
        grade: a.server.severity.as_str(),
        verdict: a.server.verdict.as_str(),
        site: a.server.group.site.clone().unwrap_or_default(),
        server_role: super::triage::server_role(report, a.server).to_string(),
        roles: super::fleet_table::problem_roles(report, a.server),
        host: a.server.host.clone(),
        anchor: anchor(a.server_index),
        severity: a.severity.as_str(),
        days: a.days_left.map(days_short).unwrap_or_default(),
        headline: a.reason().to_string(),
        ids: a
            .finding_ids
            .iter()
            .map(|id| id.as_str().to_string())
            .collect(),
    }
}

/// Steps as the page shows them: numbered prose, each command on its own.
fn step_views<'a>(steps: impl Iterator<Item = &'a Step>) -> Vec<StepView> {
    let steps: Vec<&Step> = steps.collect();
    let total = steps.len();
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| StepView {
            n: i + 1,
            total,
            text: s.text().into_owned(),
            command: s.command().unwrap_or_default().to_string(),
        })
        .collect()
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
    /// A large fleet's compact page ([`COMPACT_ABOVE`]).
    compact: bool,
    compact_above: usize,
    /// The projection banner when the report is judged at another day
    /// than today; empty otherwise.
    projection: String,
    complete: bool,
    incomplete: String,
    counts: CountsView,
    /// The fleet's end-of-support line; empty when no server is past it.
    end_of_support: String,
    /// Whether the act-now list has any group (its groups are streamed).
    has_groups: bool,
    filters: super::fleet_table::Filters,
    sites: Vec<super::fleet_table::SiteRow>,
    timeline: Timeline,
    catalog: Vec<CatalogView>,
    params: ParamsView,
    invalid_targets: Vec<InvalidView>,
    skipped: Vec<SkippedView>,
    /// The organisation's findings (the Auth certificate), when any needs
    /// action; shown above the servers.
    organisation: Option<OrganisationView>,
}

/// The organisation's block at the top of the page.
#[derive(Serialize)]
struct OrganisationView {
    severity: Grade,
    summary: String,
    findings: Vec<FindingView>,
    steps: Vec<StepView>,
}

/// The organisation, when it has a finding at warning or above.
fn organisation_view(report: &ScanReport) -> Option<OrganisationView> {
    let org = report.organisation.as_ref()?;
    super::triage::organisation_action(report)?;
    Some(OrganisationView {
        severity: org.severity,
        summary: org.summary.clone(),
        findings: org
            .findings
            .iter()
            .map(|f| finding_view(f, 0, &org.remediation_steps))
            .collect(),
        steps: step_views(org.remediation_steps.iter()),
    })
}

#[derive(Serialize)]
struct SkippedView {
    host: String,
    port: u16,
    role: &'static str,
    group: String,
    reason: String,
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
    findings_critical_text: String,
    findings_warning_text: String,
    findings_info_text: String,
    ok_text: &'static str,
}

/// Servers of the act-now list that need the same work.
#[derive(Serialize)]
struct GroupView {
    severity: &'static str,
    verdict: &'static str,
    title: String,
    /// The work the group's servers share, in a sentence.
    lead: String,
}

#[derive(Serialize)]
struct ActionView {
    grade: &'static str,
    verdict: &'static str,
    site: String,
    server_role: String,
    roles: String,
    host: String,
    anchor: String,
    severity: &'static str,
    days: String,
    headline: String,
    ids: Vec<String>,
}

/// One step: `Step n of total`, its prose, and its command apart.
#[derive(Serialize)]
struct StepView {
    n: usize,
    total: usize,
    text: String,
    /// Empty when the step is done by hand.
    command: String,
}

#[derive(Serialize)]
struct ServerView {
    /// Everything (certificate facts, protocol matrix, steps), or the
    /// compact card of a large fleet.
    full: bool,
    /// How many steps the server has, said on a compact card.
    step_count: usize,
    host: String,
    anchor: String,
    grade: Grade,
    verdict: String,
    /// For the card filters: the verdict id, site, Exchange role, and
    /// the port roles with a warning or critical finding.
    verdict_id: &'static str,
    site: String,
    server_role: String,
    problem_roles: String,
    summary: String,
    group: String,
    steps: Vec<StepView>,
    endpoints: Vec<EndpointView>,
    findings: Vec<FindingView>,
    /// The server's certificate store (`--inventory`).
    store: Vec<StoreRowView>,
}

/// One certificate in a server's store.
#[derive(Serialize)]
struct StoreRowView {
    friendly_name: String,
    services: String,
    subject: String,
    class_label: &'static str,
    not_after: String,
    days: String,
    days_state: &'static str,
    thumbprint: String,
    bound: String,
    utc_assumed: bool,
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
    /// Certificate facts and the protocol matrix; left out of a large
    /// fleet's cards (report.csv has them).
    full: bool,
    /// One line instead of a panel: a healthy port on a large fleet's card,
    /// where the card is about the ports that need work.
    brief: bool,
    port: u16,
    role: &'static str,
    /// The role in words; a VIP's with its namespace.
    role_label: String,
    /// A `--tls-port` port's label; empty otherwise.
    label: String,
    address: String,
    grade: EndpointGrade,
    status: &'static str,
    answered: bool,
    error: String,
    has_leaf: bool,
    subject: String,
    issuer: String,
    sans: String,
    class: &'static str,
    class_label: &'static str,
    class_reason: String,
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
    /// A mail port's greeting line (peer text: escaped like every value).
    banner: String,
    /// The handshake followed STARTTLS.
    starttls: bool,
}

#[derive(Serialize)]
struct FindingView {
    id: String,
    severity: Severity,
    title: String,
    detail: String,
    /// The fix as text, only for a finding read without steps (an older
    /// scan.json).
    remediation: String,
    /// The finding's steps that the server's steps do not already give.
    steps: Vec<StepView>,
    /// Every step of the finding is among the server's steps.
    covered: bool,
    port: u16,
}

#[derive(Serialize)]
struct RowView {
    grade: EndpointGrade,
    grade_rank: u8,
    host: String,
    anchor: String,
    address: String,
    port: u16,
    role: &'static str,
    /// A `--tls-port` port's label; empty otherwise.
    label: String,
    /// A VIP's namespace (its host is its address); empty otherwise.
    namespace: String,
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

/// The page shell's view; `has_groups` says whether the act-now list
/// (streamed into its slot) has anything.
fn page(report: &ScanReport, catalog: &[Rule], has_groups: bool) -> Page {
    Page {
        csp: content_security_policy(),
        css: CSS,
        script: SCRIPT,
        tool: format!("{} {}", report.tool.name, report.tool.version),
        started: format_time(report.started_at),
        finished: format_time(report.finished_at),
        as_of: format_time(report.as_of),
        as_of_differs: (report.as_of - report.finished_at).abs() > Duration::hours(1),
        compact: compact(report),
        compact_above: COMPACT_ABOVE,
        projection: projection(report.as_of, time::OffsetDateTime::now_utc()),
        complete: report.complete,
        incomplete: super::triage::incomplete_notice(report).unwrap_or_default(),
        counts: counts_view(report),
        end_of_support: super::triage::end_of_support_line(report).unwrap_or_default(),
        has_groups,
        filters: super::fleet_table::filters(report),
        sites: super::fleet_table::sites(report),
        timeline: timeline(report),
        // Only the finding types that fired: the appendix explains this
        // report, not the whole catalogue.
        catalog: catalog
            .iter()
            .filter(|e| fired(report, e.id))
            .map(|e| CatalogView {
                id: e.id.as_str().into(),
                severity: e.severity.as_str(),
                title: e.title.into(),
                why: e.why.into(),
                fix: e.fix.into(),
            })
            .collect(),
        params: params_view(&report.parameters),
        invalid_targets: report
            .invalid_targets
            .iter()
            .map(|t| InvalidView {
                place: format!("{}:{}", t.file, t.line),
                text: t.text.clone(),
                error: t.error.clone(),
            })
            .collect(),
        skipped: report
            .skipped_endpoints
            .iter()
            .map(|s| SkippedView {
                host: s.endpoint.host.clone(),
                port: s.endpoint.port,
                role: s.endpoint.role.as_str(),
                group: group_text(&s.endpoint.group),
                reason: s.reason.clone(),
            })
            .collect(),
        organisation: organisation_view(report),
    }
}

/// The banner of a report judged on another day than `today`: a
/// projection (a future `--as-of`) or a look back (a past one).
pub fn projection(as_of: time::OffsetDateTime, today: time::OffsetDateTime) -> String {
    let (a, t) = (format_date(as_of), format_date(today));
    if a == t {
        return String::new();
    }
    let kind = if as_of > today {
        "Projection"
    } else {
        "Judged at a past date"
    };
    format!("{kind}: certificates are judged as of {a}, not today ({t}). Days left count from {a}.")
}

/// The colour state of an endpoint's certificate: its days left, but
/// never `ok` (green) when the endpoint has a critical or warning finding
/// (a self-signed 443 with years left is still the problem).
fn cert_state(report: &ScanReport, e: &EndpointReport) -> &'static str {
    let by_days = e
        .leaf()
        .and_then(|c| c.days_left)
        .map_or("none", |d| days_state(&report.parameters, d));
    match (by_days, endpoint_grade(e)) {
        ("ok", EndpointGrade::Critical) => "critical",
        ("ok", EndpointGrade::Warning) => "warning",
        (state, _) => state,
    }
}

/// Whether a compact page keeps the server's card: it needs work.
pub fn needs_card(s: &ServerReport) -> bool {
    matches!(s.severity, Grade::Critical | Grade::Warning)
}

/// Whether any endpoint, store or the organisation has a finding `id`.
fn fired(report: &ScanReport, id: crate::model::FindingId) -> bool {
    let endpoints = report.endpoints.iter().flat_map(|e| &e.findings);
    let stores = report.servers.iter().flat_map(|s| &s.findings);
    let organisation = report.organisation.iter().flat_map(|o| &o.findings);
    endpoints
        .chain(stores)
        .chain(organisation)
        .any(|f| f.id == id)
}

/// The report's counts, as the template reads them.
fn counts_view(report: &ScanReport) -> CountsView {
    let c = counts(report);
    CountsView {
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
        findings_critical_text: labels::count(c.findings_critical, "finding"),
        findings_warning_text: labels::count(c.findings_warning, "finding"),
        findings_info_text: labels::count(c.findings_info, "finding"),
        ok_text: if c.ok == 1 { "server" } else { "servers" },
    }
}

/// The scan parameters as the appendix lists them.
fn params_view(p: &crate::model::Parameters) -> ParamsView {
    let join = |v: &[u16]| v.iter().map(u16::to_string).collect::<Vec<_>>().join(", ");
    ParamsView {
        frontend_ports: join(&p.frontend_ports),
        backend_ports: join(&p.backend_ports),
        timeout: format!("{} s", p.timeout_secs),
        concurrency: p.concurrency.to_string(),
        warn_days: p.warn_days,
        critical_days: p.critical_days,
        namespaces: namespaces_text(p),
        ca_bundles: if p.ca_bundles.is_empty() {
            "none".to_string()
        } else {
            p.ca_bundles.join(", ")
        },
        protocol_scan: if p.protocol_scan { "yes" } else { "no" },
    }
}

/// The namespaces the name check used: given, per site, or inferred.
fn namespaces_text(p: &crate::model::Parameters) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !p.namespaces.is_empty() {
        parts.push(p.namespaces.join(", "));
    }
    for (site, names) in &p.site_namespaces {
        parts.push(format!("site {site}: {}", names.join(", ")));
    }
    if !p.inferred_namespaces.is_empty() {
        let inferred: Vec<String> = p
            .inferred_namespaces
            .iter()
            .map(|(site, names)| match site.as_str() {
                "*" => names.join(", "),
                s => format!("site {s}: {}", names.join(", ")),
            })
            .collect();
        parts.push(format!(
            "inferred from the fleet's CA-issued 443 certificates (no --namespace): {}",
            inferred.join("; ")
        ));
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join("; ")
    }
}

/// Site, DAG, role and version, as one line for a card.
fn group_text(g: &crate::model::Group) -> String {
    let version = match (&g.exchange_version, &g.exchange_build) {
        (Some(v), Some(b)) => Some(format!("Exchange {v} ({b})")),
        (Some(v), None) => Some(format!("Exchange {v}")),
        (None, Some(b)) => Some(format!("build {b}")),
        (None, None) => None,
    };
    [
        g.site.as_ref().map(|v| format!("site {v}")),
        g.dag.as_ref().map(|v| format!("DAG {v}")),
        g.server_role.clone(),
        version,
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ")
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

fn role_order(e: &EndpointReport) -> (u8, u16) {
    let r = match e.endpoint.role {
        Role::Frontend => 0,
        Role::Backend => 1,
        Role::Smtp => 2,
        Role::Imap => 3,
        Role::Pop => 4,
        Role::Edgesync => 5,
        Role::Other => 6,
        Role::LoadBalancer => 7,
    };
    (r, e.endpoint.port)
}

/// The same step, as the server's list and a finding's list both hold it
/// (the server's may name its endpoint first).
fn same_step(a: &Step, b: &Step) -> bool {
    a.task == b.task && a.command() == b.command() && a.text().ends_with(&*b.text())
}

/// A finding as a card lists it, with only the steps that `listed` (the
/// server's or organisation's own list) does not already give; `port` 0
/// for a store or organisation finding.
fn finding_view(f: &Finding, port: u16, listed: &[Step]) -> FindingView {
    let own: Vec<&Step> = f
        .remediation_steps
        .iter()
        .filter(|st| !listed.iter().any(|o| same_step(o, st)))
        .collect();
    FindingView {
        id: f.id.as_str().to_string(),
        severity: f.severity,
        title: f.title.to_string(),
        detail: f.detail.to_string(),
        remediation: if f.remediation_steps.is_empty() {
            f.remediation_text().into_owned()
        } else {
            String::new()
        },
        covered: !f.remediation_steps.is_empty() && own.is_empty(),
        steps: step_views(own.into_iter()),
        port,
    }
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
            e.findings
                .iter()
                .map(|f| finding_view(f, e.endpoint.port, &s.remediation_steps))
        })
        .collect();
    // Store findings concern the server, not a port.
    findings.extend(
        s.findings
            .iter()
            .map(|f| finding_view(f, 0, &s.remediation_steps)),
    );
    findings.sort_by_key(|f| f.severity);
    let group = group_text(&s.group);
    let full = !compact(report);
    // A large fleet's card leaves the steps to its act-now group (one
    // command block for all its servers) and to remediation.ps1.
    let steps = if full {
        step_views(s.remediation_steps.iter())
    } else {
        Vec::new()
    };
    if !full {
        for f in &mut findings {
            f.steps.clear();
            f.remediation.clear();
        }
    }
    ServerView {
        full,
        step_count: s.remediation_steps.len(),
        host: s.host.clone(),
        anchor: anchor(index),
        grade: s.severity,
        verdict: super::labels::verdict_label(s.verdict).to_string(),
        verdict_id: s.verdict.as_str(),
        site: s.group.site.clone().unwrap_or_default(),
        server_role: super::triage::server_role(report, s).to_string(),
        problem_roles: super::fleet_table::problem_roles(report, s),
        summary: s.summary.clone(),
        group,
        steps,
        endpoints: eps.iter().map(|e| endpoint_view(report, e)).collect(),
        findings,
        store: store_rows(report, s),
    }
}

/// The store certificates of this server, soonest expiry first: the
/// server's store view, as the analysis left it.
fn store_rows(report: &ScanReport, s: &ServerReport) -> Vec<StoreRowView> {
    let Some(inv) = &report.inventory else {
        return Vec::new();
    };
    s.store
        .iter()
        .filter_map(|&i| inv.certificates.get(i))
        .map(|c| StoreRowView {
            friendly_name: c
                .friendly_name
                .clone()
                .unwrap_or_else(|| "(not exported)".into()),
            services: match c.services.as_deref() {
                None => "unknown".into(),
                Some([]) => "none".into(),
                Some(list) => crate::model::ExchangeService::join(list, ", "),
            },
            subject: c.subject.clone(),
            class_label: c.classification.label(),
            not_after: format_date(c.not_after),
            days: days_short(c.days_left),
            days_state: days_state(&report.parameters, c.days_left),
            thumbprint: c.thumbprint.clone(),
            bound: if s.endpoints.is_empty() {
                "not scanned".into()
            } else if c.bound.is_empty() {
                "not presented".into()
            } else {
                c.bound
                    .iter()
                    .map(|p| format!(":{p}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            },
            utc_assumed: c.dates_assumed_utc,
        })
        .collect()
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Frontend => "Default Web Site",
        Role::Backend => "Exchange Back End",
        Role::Smtp => "SMTP",
        Role::Imap => "IMAP",
        Role::Pop => "POP3",
        Role::LoadBalancer => "Load balancer",
        Role::Edgesync => "EdgeSync LDAPS",
        Role::Other => "Other TLS port",
    }
}

/// The greeting a mail port sent, for the card.
fn mail_banner(e: &EndpointReport) -> String {
    let d = &e.dialogue;
    d.smtp
        .as_ref()
        .map(|s| s.banner.clone())
        .or_else(|| d.imap.as_ref().map(|m| m.banner.clone()))
        .or_else(|| d.pop.as_ref().map(|m| m.banner.clone()))
        .unwrap_or_default()
}

fn endpoint_view(report: &ScanReport, e: &EndpointReport) -> EndpointView {
    let leaf = e.leaf();
    let tls = e.tls.as_ref();
    let (trust, trust_state) = trust_text(e);
    let grade = endpoint_grade(e);
    EndpointView {
        full: !compact(report),
        brief: compact(report) && grade == EndpointGrade::Ok && leaf.is_some(),
        port: e.endpoint.port,
        role: e.endpoint.role.as_str(),
        role_label: match (e.endpoint.role, e.endpoint.forwards_to) {
            (Role::LoadBalancer, forwards_to) => format!(
                "Load balancer ({}) for {}",
                if forwards_to == Some(Role::Smtp) {
                    "SMTP"
                } else {
                    "HTTPS"
                },
                vip_namespace(e)
            ),
            (role, _) => role_label(role).to_string(),
        },
        label: e.endpoint.label.as_deref().unwrap_or_default().to_string(),
        address: e
            .endpoint
            .address
            .map(|a| a.to_string())
            .unwrap_or_else(|| "unresolved".into()),
        grade,
        status: e.status.as_str(),
        answered: e.status == Status::Ok,
        error: e.error.clone().unwrap_or_default(),
        has_leaf: leaf.is_some(),
        subject: leaf.map(|c| c.subject.clone()).unwrap_or_default(),
        issuer: leaf.map(|c| c.issuer.clone()).unwrap_or_default(),
        sans: leaf.map(|c| c.sans.join(", ")).unwrap_or_default(),
        class: leaf.map_or("", |c| c.classification.as_str()),
        class_label: leaf.map_or("", |c| c.classification.label()),
        class_reason: leaf
            .map(|c| c.classification_reason.clone())
            .unwrap_or_default(),
        not_before: leaf
            .and_then(|c| c.not_before)
            .map(format_date)
            .unwrap_or_default(),
        not_after: leaf
            .and_then(|c| c.not_after)
            .map(format_date)
            .unwrap_or_default(),
        days: leaf
            .and_then(|c| c.days_left)
            .map(days_short)
            .unwrap_or_default(),
        days_state: cert_state(report, e),
        sha1: leaf.map(|c| c.sha1.clone()).unwrap_or_default(),
        key: leaf.map(key_text).unwrap_or_default(),
        signature: leaf
            .map(|c| c.signature_algorithm.clone())
            .unwrap_or_default(),
        chain_len: e.chain.len(),
        protocol: tls.map(|t| t.version.name()).unwrap_or_default(),
        cipher: tls.map(|t| t.cipher_suite.name()).unwrap_or_default(),
        method: tls.map_or("", |t| method_name(t.method)),
        matrix: matrix(tls),
        banner: mail_banner(e),
        starttls: tls.is_some_and(|t| t.starttls),
        trust,
        trust_state,
    }
}

/// The chain's trust as the card says it, and its state for the CSS.
fn trust_text(e: &EndpointReport) -> (String, &'static str) {
    let exchange_backend = e.endpoint.role == Role::Backend
        && e.leaf()
            .is_some_and(|c| c.classification == crate::model::Classification::ExchangeSelfSigned);
    match &e.trust {
        Some(t) if t.trusted => ("trusted".to_string(), "ok"),
        Some(t) if crate::analyze::trust::not_checked(t) => {
            (t.error.as_deref().unwrap_or_default().to_string(), "none")
        }
        // Exchange's own cert on 444 is self-signed by design: the
        // frontends trust it from the Trusted Root store, not from a CA.
        Some(_) if exchange_backend => (
            "self-signed, as Exchange intends on 444".to_string(),
            "none",
        ),
        // EdgeSync's certificate is trusted through the Edge Subscription.
        Some(_) if e.endpoint.role == Role::Edgesync => (
            "not judged: the Edge Subscription makes it trusted".to_string(),
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
    }
}

fn key_text(c: &CertFacts) -> String {
    match &c.key.curve {
        Some(curve) => format!("{} {} ({curve})", c.key.algorithm, c.key.bits),
        None => format!("{} {}", c.key.algorithm, c.key.bits),
    }
}

const VERSIONS: [(TlsVersion, &str); 4] = [
    (TlsVersion::Tls10, "1.0"),
    (TlsVersion::Tls11, "1.1"),
    (TlsVersion::Tls12, "1.2"),
    (TlsVersion::Tls13, "1.3"),
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
            let accepted = tls.is_some_and(|t| t.versions.contains(wire)) || negotiated == Some(i);
            let refused = !accepted
                && match (tls, negotiated) {
                    (Some(t), Some(n)) => {
                        let above = i > n;
                        // The protocol map tries every version below the negotiated one.
                        let below_scanned = i < n && t.versions_scanned;
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
/// A VIP's namespace, as shown: the SNI it was probed with, else its host.
fn vip_namespace(e: &EndpointReport) -> String {
    crate::text::visible(e.endpoint.sni.as_deref().unwrap_or(&e.endpoint.host))
}

fn row_view(report: &ScanReport, e: &EndpointReport, card: usize) -> RowView {
    let leaf = e.leaf();
    let grade = endpoint_grade(e);
    RowView {
        grade,
        grade_rank: grade as u8,
        host: e.endpoint.host.clone(),
        anchor: anchor(card),
        address: e
            .endpoint
            .address
            .map(|a| a.to_string())
            .unwrap_or_default(),
        port: e.endpoint.port,
        role: e.endpoint.role.as_str(),
        label: e.endpoint.label.as_deref().unwrap_or_default().to_string(),
        namespace: if e.endpoint.role == Role::LoadBalancer {
            vip_namespace(e)
        } else {
            String::new()
        },
        status: e.status.as_str(),
        answered: e.status == Status::Ok,
        subject: leaf.map(|c| c.subject.clone()).unwrap_or_default(),
        class: leaf.map_or("", |c| c.classification.as_str()),
        class_label: leaf.map_or("", |c| c.classification.label()),
        not_after: leaf
            .and_then(|c| c.not_after)
            .map(format_date)
            .unwrap_or_default(),
        not_after_key: leaf
            .and_then(|c| c.not_after)
            .map_or(i64::MAX, |t| t.unix_timestamp()),
        days: leaf
            .and_then(|c| c.days_left)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        days_key: leaf.and_then(|c| c.days_left).unwrap_or(i64::MAX),
        days_state: cert_state(report, e),
        sha1: leaf.map(|c| c.sha1.clone()).unwrap_or_default(),
        protocol: e.tls.as_ref().map(|t| t.version.name()).unwrap_or_default(),
        ids: e
            .findings
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>()
            .join(" "),
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
            version: TlsVersion::parse(version).unwrap_or(TlsVersion::Other(0)),
            cipher_suite: crate::model::CipherSuite(0x1302),
            method,
            versions: versions
                .iter()
                .filter_map(|v| TlsVersion::parse(v))
                .collect(),
            versions_scanned: scanned,
            evidence: Vec::new(),
            starttls: false,
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
        // Same with the extra hellos refused: every version below 1.3 is
        // known refused.
        let scanned = tls("TLSv1.3", Method::Rustls, &["TLSv1.3"], true);
        assert_eq!(marks(Some(&scanned)), "✗✗✗✓");
        let both = tls("TLSv1.3", Method::Rustls, &["TLSv1.2", "TLSv1.3"], true);
        assert_eq!(marks(Some(&both)), "✗✗✓✓");
        // No handshake: nothing known.
        assert_eq!(marks(None), "––––");
    }
}
