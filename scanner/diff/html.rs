//! diff.html: the changes as one self-contained page, with report.html's
//! style and Content-Security-Policy. Regressions come first (what the
//! maintenance window broke), then fixes, then everything else.
//!
//! As for report.html, every label is prepared here and handlebars runs in
//! strict mode with [`sanitize::html`] as its escape function.

use handlebars::Handlebars;
use serde::Serialize;

use super::{Change, Diff, Event, Impact, Kind};
use crate::report::format::format_time;
use crate::report::html::{content_security_policy, RenderError};
use crate::text as sanitize;

const PAGE: &str = include_str!("../../templates/diff.html.hbs");
const CSS: &str = include_str!("../../templates/report.css");

#[derive(Serialize)]
struct Page {
    csp: String,
    css: &'static str,
    tool: String,
    as_of: String,
    old_file: String,
    old_started: String,
    new_file: String,
    new_started: String,
    total: usize,
    groups: Vec<Group>,
    notices: Vec<String>,
}

#[derive(Serialize)]
struct Group {
    id: &'static str,
    title: &'static str,
    lead: &'static str,
    /// Severity class for the badge colour.
    class: &'static str,
    count: usize,
    rows: Vec<Row>,
}

#[derive(Serialize)]
struct Row {
    host: String,
    old_host: String,
    /// Empty for a store or organisation finding, which has no port.
    port: String,
    role: String,
    kind: &'static str,
    /// The change in words.
    label: &'static str,
    what: String,
    detail: String,
}

fn kind_name(k: &Kind) -> &'static str {
    match k {
        Kind::CertChanged { .. } => "cert_changed",
        Kind::FindingAdded { .. } => "finding_added",
        Kind::FindingResolved { .. } => "finding_resolved",
        Kind::StatusChanged { .. } => "status_changed",
        Kind::EndpointAdded { .. } => "endpoint_added",
        Kind::EndpointRemoved { .. } => "endpoint_removed",
    }
}

/// The change in words, as the page shows it (`data-kind` keeps the id).
fn kind_label(k: &Kind) -> &'static str {
    match k {
        Kind::CertChanged { .. } => "Certificate changed",
        Kind::FindingAdded { .. } => "New finding",
        Kind::FindingResolved { .. } => "Finding cleared",
        Kind::StatusChanged { .. } => "Answer changed",
        Kind::EndpointAdded { .. } => "Endpoint added",
        Kind::EndpointRemoved { .. } => "Endpoint removed",
    }
}

/// One row per event: the cause's place and label, the whole event in
/// words, and full thumbprints when a certificate changed.
fn row(diff: &Diff, event: &Event) -> Option<Row> {
    let changes = event.changes(diff);
    let c: &Change = changes.first()?;
    // Full thumbprints, for matching against Get-ExchangeCertificate.
    let detail = changes
        .iter()
        .find_map(|c| match &c.kind {
            Kind::CertChanged {
                old_thumbprint,
                new_thumbprint,
                ..
            } => Some(format!("{old_thumbprint} → {new_thumbprint}")),
            _ => None,
        })
        .unwrap_or_default();
    Some(Row {
        host: c.host.clone(),
        old_host: c.old_host.clone().unwrap_or_default(),
        port: if c.scope == super::Scope::Endpoint {
            c.port.to_string()
        } else {
            String::new()
        },
        role: c.role_shown(),
        kind: kind_name(&c.kind),
        label: kind_label(&c.kind),
        what: event.describe(diff),
        detail,
    })
}

/// Render diff.html.
pub fn render(diff: &Diff) -> Result<String, RenderError> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(sanitize::html);
    hb.register_template_string("page", PAGE)
        .map_err(Box::new)?;
    let group = |impact: Impact| -> Vec<Row> {
        diff.events
            .iter()
            .filter(|e| e.impact == impact)
            .filter_map(|e| row(diff, e))
            .collect()
    };
    let groups = vec![
        Group {
            id: "regressions",
            title: "Regressions",
            lead: "New warning or critical findings, and endpoints that stopped answering: what the window broke.",
            class: "critical",
            count: 0,
            rows: group(Impact::Regression),
        },
        Group {
            id: "fixes",
            title: "Fixes",
            lead: "Certificates renewed or rebound, findings cleared, endpoints answering again.",
            class: "ok",
            count: 0,
            rows: group(Impact::Fix),
        },
        Group {
            id: "other",
            title: "Other changes",
            lead: "Endpoints added to or removed from the scan, and informational findings.",
            class: "info",
            count: 0,
            rows: group(Impact::Other),
        },
    ];
    let mut groups = groups;
    for g in &mut groups {
        g.count = g.rows.len();
    }
    let page = Page {
        csp: content_security_policy(),
        css: CSS,
        tool: format!("{} {}", diff.tool.name, diff.tool.version),
        as_of: format_time(diff.as_of),
        old_file: diff.old.file.clone(),
        old_started: format_time(diff.old.started_at),
        new_file: diff.new.file.clone(),
        new_started: format_time(diff.new.started_at),
        total: diff.events.len(),
        groups,
        notices: diff.notices.clone(),
    };
    Ok(hb.render("page", &page).map_err(Box::new)?)
}
