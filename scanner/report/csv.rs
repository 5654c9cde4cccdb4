//! report.csv (one row per endpoint), servers.csv (one row per server) and
//! the optional findings CSV (one row per finding), for Excel and pivot
//! tables.
//!
//! Excel opens these correctly by double-click: UTF-8 with a byte-order
//! mark, CRLF line ends, dates as `2027-05-20 13:33:29` (UTC), which Excel
//! reads as dates and sorts (scan.json keeps RFC 3339). Every text cell goes through
//! [`sanitize::csv_text`]; numbers (port, days left) are written as numbers
//! so a negative day count stays a number.

use std::io::Write;

use csv::{Terminator, WriterBuilder};
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use super::triage::endpoint_grade;
use crate::text as sanitize;
use std::collections::HashMap;

use crate::model::{EndpointReport, Finding, ScanReport, StoreCertificate};

/// The UTF-8 byte-order mark: without it Excel reads the file as ANSI and
/// mangles non-ASCII names.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// report.csv columns, in order: what a reader sorts and filters by
/// first. A contract: add columns, never remove one.
pub const ENDPOINT_COLUMNS: &[&str] = &[
    "server",
    "port",
    "role",
    "severity",
    "finding",
    "days_left",
    "host",
    "address",
    "status",
    "finding_ids",
    "leaf_subject",
    "leaf_issuer",
    "classification",
    "not_before",
    "not_after",
    "sha1",
    "protocol",
    "versions",
    "cipher_suite",
    "method",
    "trust",
    "error",
    "aliases",
    "site",
    "dag",
    "friendly_name",
    "services",
    "label",
    "namespace",
];

/// The order the row builders fill a row in; [`arrange`] puts it in the
/// order of [`ENDPOINT_COLUMNS`].
const BUILT: &[&str] = &[
    "host",
    "address",
    "port",
    "role",
    "status",
    "severity",
    "finding_ids",
    "leaf_subject",
    "leaf_issuer",
    "classification",
    "not_before",
    "not_after",
    "days_left",
    "sha1",
    "protocol",
    "versions",
    "cipher_suite",
    "method",
    "trust",
    "error",
    "aliases",
    "site",
    "dag",
    "friendly_name",
    "services",
    "label",
    "namespace",
];

/// servers.csv columns, in order: one row per server.
pub const SERVER_COLUMNS: &[&str] = &[
    "server",
    "site",
    "role",
    "verdict",
    "severity",
    "action",
    "worst_days_left",
    "endpoints",
    "finding_ids",
    "summary",
    "first_step",
];

/// Findings CSV columns, in order (`--csv-findings FILE`).
pub const FINDING_COLUMNS: &[&str] = &[
    "host",
    "address",
    "port",
    "role",
    "id",
    "severity",
    "title",
    "detail",
    "remediation",
    "sha1",
    "not_after",
];

/// A cell: text is neutralised, numbers are not.
enum Cell {
    Text(String),
    Number(i64),
}

fn text(s: impl AsRef<str>) -> Cell {
    Cell::Text(sanitize::csv_text(s.as_ref()))
}

/// An empty cell for an unknown date (an unparsable certificate).
fn date(t: Option<OffsetDateTime>) -> Cell {
    // Excel takes `2027-05-20 13:33:29` as a date and time, not the ISO
    // `T...Z` form. Formatting only fails for years outside 0..=9999,
    // which x509 dates cannot express; an empty cell is the honest fallback.
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    Cell::Text(
        t.and_then(|t| t.to_offset(UtcOffset::UTC).format(&fmt).ok())
            .unwrap_or_default(),
    )
}

/// A row built in [`BUILT`] order, put in [`ENDPOINT_COLUMNS`] order with
/// the two columns the builders do not fill: `server` and `finding`.
fn arrange(built: Vec<Cell>, server: Cell, finding: Cell) -> Vec<Cell> {
    let mut built: Vec<Option<Cell>> = built.into_iter().map(Some).collect();
    let (mut server, mut finding) = (Some(server), Some(finding));
    ENDPOINT_COLUMNS
        .iter()
        .map(|name| {
            let cell = match *name {
                "server" => server.take(),
                "finding" => finding.take(),
                _ => BUILT
                    .iter()
                    .position(|b| b == name)
                    .and_then(|i| built.get_mut(i))
                    .and_then(Option::take),
            };
            cell.unwrap_or_else(|| text(""))
        })
        .collect()
}

/// The title of the worst finding, the one a reader acts on.
fn worst_title(findings: &[&Finding]) -> Cell {
    text(
        findings
            .iter()
            .min_by_key(|f| f.severity)
            .map_or("", |f| &*f.title),
    )
}

/// Write the BOM, `header` and `rows` to `out` one row at a time: a large
/// fleet's table never exists whole in memory.
fn write_table(
    header: &[&str],
    rows: impl Iterator<Item = Vec<Cell>>,
    out: &mut dyn Write,
) -> Result<(), csv::Error> {
    out.write_all(BOM)?;
    let mut w = WriterBuilder::new()
        .terminator(Terminator::CRLF)
        .from_writer(out);
    w.write_record(header)?;
    for row in rows {
        w.write_record(row.into_iter().map(|c| match c {
            Cell::Text(s) => s,
            Cell::Number(n) => n.to_string(),
        }))?;
    }
    w.flush()?;
    Ok(())
}

fn address(e: &EndpointReport) -> Cell {
    text(
        e.endpoint
            .address
            .map(|a| a.to_string())
            .unwrap_or_default(),
    )
}

fn endpoint_row(e: &EndpointReport) -> Vec<Cell> {
    let found: Vec<&Finding> = e.findings.iter().collect();
    arrange(
        endpoint_cells(e),
        text(&e.endpoint.host),
        worst_title(&found),
    )
}

fn endpoint_cells(e: &EndpointReport) -> Vec<Cell> {
    let leaf = e.leaf();
    let ids: Vec<&str> = e.findings.iter().map(|f| f.id.as_str()).collect();
    let tls = e.tls.as_ref();
    // The Back End's own self-signed certificate is what Exchange expects
    // on 444: not an untrusted chain to fix.
    let own_backend = e.endpoint.role == crate::model::Role::Backend
        && leaf
            .is_some_and(|c| c.classification == crate::model::Classification::ExchangeSelfSigned);
    let trust = match &e.trust {
        Some(t) if t.trusted => "trusted".to_string(),
        Some(_) if own_backend => "self-signed, as expected on the back end".to_string(),
        // EdgeSync's certificate is trusted through the Edge Subscription.
        Some(_) if e.endpoint.role == crate::model::Role::Edgesync => {
            "not judged: the Edge Subscription makes it trusted".to_string()
        }
        Some(t) if crate::analyze::trust::not_checked(t) => {
            t.error.as_deref().unwrap_or_default().to_string()
        }
        Some(t) => match &t.error {
            Some(err) => format!("untrusted: {err}"),
            None => "untrusted".to_string(),
        },
        None => String::new(),
    };
    vec![
        text(&e.endpoint.host),
        address(e),
        Cell::Number(i64::from(e.endpoint.port)),
        text(e.endpoint.role.as_str()),
        text(e.status.as_str()),
        text(endpoint_grade(e).as_str()),
        text(ids.join(" ")),
        text(leaf.map(|c| c.subject.as_str()).unwrap_or_default()),
        text(leaf.map(|c| c.issuer.as_str()).unwrap_or_default()),
        text(leaf.map(|c| c.classification.as_str()).unwrap_or_default()),
        leaf.map_or(text(""), |c| date(c.not_before)),
        leaf.map_or(text(""), |c| date(c.not_after)),
        leaf.and_then(|c| c.days_left)
            .map_or(text(""), Cell::Number),
        text(leaf.map(|c| c.sha1.as_str()).unwrap_or_default()),
        text(tls.map(|t| t.version.name()).unwrap_or_default()),
        text(
            tls.map(|t| {
                let names: Vec<String> = t.versions.iter().map(|v| v.name()).collect();
                names.join(" ")
            })
            .unwrap_or_default(),
        ),
        text(tls.map(|t| t.cipher_suite.name()).unwrap_or_default()),
        text(
            tls.map(|t| super::triage::method_name(t.method))
                .unwrap_or_default(),
        ),
        text(trust),
        text(e.error.as_deref().unwrap_or_default()),
        text(e.endpoint.aliases.join(" ")),
        text(e.endpoint.group.site.as_deref().unwrap_or_default()),
        text(e.endpoint.group.dag.as_deref().unwrap_or_default()),
        text(
            leaf.and_then(|c| c.friendly_name.as_deref())
                .unwrap_or_default(),
        ),
        text(
            leaf.and_then(|c| c.services.as_ref())
                .map(|s| crate::model::ExchangeService::join(s, " "))
                .unwrap_or_default(),
        ),
        text(e.endpoint.label.as_deref().unwrap_or_default()),
        // A VIP's namespace: one VIP address serves several on one port.
        text(if e.endpoint.role == crate::model::Role::LoadBalancer {
            e.endpoint.sni.as_deref().unwrap_or_default()
        } else {
            ""
        }),
    ]
}

/// A certificate in a server's store (`--inventory`): role `store`, the
/// status as exported, where the scan saw it presented in `port`.
/// `found`: the findings about it (its server's store findings naming its
/// thumbprint), worst first.
fn store_row(c: &StoreCertificate, found: &[&Finding]) -> Vec<Cell> {
    arrange(store_cells(c, found), text(&c.server), worst_title(found))
}

fn store_cells(c: &StoreCertificate, found: &[&Finding]) -> Vec<Cell> {
    let ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
    vec![
        text(&c.server),
        text(""),
        text(c.bound.join(" ")),
        text("store"),
        text(c.status.as_deref().unwrap_or_default()),
        text(
            found
                .iter()
                .map(|f| f.severity)
                .min()
                .map_or("", |s| s.as_str()),
        ),
        text(ids.join(" ")),
        text(&c.subject),
        text(&c.issuer),
        text(c.classification.as_str()),
        date(Some(c.not_before)),
        date(Some(c.not_after)),
        Cell::Number(c.days_left),
        text(&c.thumbprint),
        text(""),
        text(""),
        text(""),
        text(""),
        text(""),
        text(""),
        text(""),
        text(""),
        text(""),
        text(c.friendly_name.as_deref().unwrap_or_default()),
        text(
            c.services
                .as_ref()
                .map(|s| crate::model::ExchangeService::join(s, " "))
                .unwrap_or_default(),
        ),
    ]
}

/// report.csv as bytes (tests and small reports); [`write_endpoints`]
/// streams it.
pub fn render_endpoints(report: &ScanReport) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::new();
    write_endpoints(report, &mut out)?;
    Ok(out)
}

/// report.csv: header plus one row per endpoint, in scan.json order, then
/// one per store certificate (`--inventory`).
pub fn write_endpoints(report: &ScanReport, out: &mut dyn Write) -> Result<(), csv::Error> {
    // Each store certificate's findings, through its server's store view.
    let mut found: HashMap<usize, Vec<&Finding>> = HashMap::new();
    let certs = report
        .inventory
        .as_ref()
        .map_or(&[][..], |i| &i.certificates);
    for s in &report.servers {
        for &i in &s.store {
            let Some(c) = certs.get(i) else { continue };
            let mut list: Vec<&Finding> = s
                .findings
                .iter()
                .filter(|f| f.thumbprint.as_deref() == Some(c.thumbprint.as_str()))
                .collect();
            list.sort_by_key(|f| f.severity);
            found.insert(i, list);
        }
    }
    let store = certs
        .iter()
        .enumerate()
        .map(|(i, c)| store_row(c, found.get(&i).map_or(&[][..], Vec::as_slice)));
    let rows = report.endpoints.iter().map(endpoint_row).chain(store);
    write_table(ENDPOINT_COLUMNS, rows, out)
}

/// servers.csv as bytes (tests); [`write_servers`] streams it.
pub fn render_servers(report: &ScanReport) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::new();
    write_servers(report, &mut out)?;
    Ok(out)
}

/// servers.csv: one row per server, with its verdict (id, for filters)
/// and the action in words, its worst days left and its first step.
pub fn write_servers(report: &ScanReport, out: &mut dyn Write) -> Result<(), csv::Error> {
    let rows = report.servers.iter().map(|s| {
        let eps: Vec<&EndpointReport> = s
            .endpoints
            .iter()
            .filter_map(|&i| report.endpoints.get(i))
            .collect();
        let mut ids: Vec<&str> = Vec::new();
        for f in s
            .findings
            .iter()
            .chain(eps.iter().flat_map(|e| &e.findings))
        {
            if !ids.contains(&f.id.as_str()) {
                ids.push(f.id.as_str());
            }
        }
        let ports: Vec<String> = eps.iter().map(|e| e.endpoint.port.to_string()).collect();
        let first_step = s
            .remediation_steps
            .first()
            .map(|st| st.text().into_owned())
            .or_else(|| s.remediation.first().cloned())
            .unwrap_or_default();
        vec![
            text(&s.host),
            text(s.group.site.as_deref().unwrap_or_default()),
            text(super::triage::server_role(report, s)),
            text(s.verdict.as_str()),
            text(s.severity.as_str()),
            text(super::groups::work_text(s)),
            super::fleet_table::worst_days(report, s).map_or(text(""), Cell::Number),
            text(ports.join(" ")),
            text(ids.join(" ")),
            text(&s.summary),
            text(first_step),
        ]
    });
    write_table(SERVER_COLUMNS, rows, out)
}

/// The findings CSV as bytes (tests); [`write_findings`] streams it.
pub fn render_findings(report: &ScanReport) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::new();
    write_findings(report, &mut out)?;
    Ok(out)
}

/// The findings CSV: one row per finding, with the endpoint it sits on.
pub fn write_findings(report: &ScanReport, out: &mut dyn Write) -> Result<(), csv::Error> {
    let rows = report
        .endpoints
        .iter()
        .flat_map(|e| {
            let leaf = e.leaf();
            e.findings.iter().map(move |f| {
                vec![
                    text(&e.endpoint.host),
                    address(e),
                    Cell::Number(i64::from(e.endpoint.port)),
                    text(e.endpoint.role.as_str()),
                    text(f.id.as_str()),
                    text(f.severity.as_str()),
                    text(&f.title),
                    text(f.detail.text()),
                    text(f.remediation_text()),
                    text(leaf.map(|c| c.sha1.as_str()).unwrap_or_default()),
                    leaf.map_or(text(""), |c| date(c.not_after)),
                ]
            })
        })
        .chain(report.servers.iter().flat_map(|s| {
            // Store findings (`--inventory`) concern the server, not a port.
            s.findings.iter().map(move |f| {
                vec![
                    text(&s.host),
                    text(""),
                    text(""),
                    text("store"),
                    text(f.id.as_str()),
                    text(f.severity.as_str()),
                    text(&f.title),
                    text(f.detail.text()),
                    text(f.remediation_text()),
                    text(f.thumbprint.as_deref().unwrap_or_else(|| {
                        f.remediation_steps
                            .iter()
                            .flat_map(|st| st.thumbprints.first())
                            .next()
                            .map_or("", |t| t.as_str())
                    })),
                    text(""),
                ]
            })
        }))
        .chain(report.organisation.iter().flat_map(|o| {
            // The Auth certificate concerns every server: host `organisation`.
            o.findings.iter().map(move |f| {
                vec![
                    text("organisation"),
                    text(""),
                    text(""),
                    text("organisation"),
                    text(f.id.as_str()),
                    text(f.severity.as_str()),
                    text(&f.title),
                    text(f.detail.text()),
                    text(f.remediation_text()),
                    text(o.auth_thumbprint.as_deref().unwrap_or_default()),
                    date(o.auth_not_after),
                ]
            })
        }));
    write_table(FINDING_COLUMNS, rows, out)
}
