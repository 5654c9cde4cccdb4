//! report.csv (one row per endpoint) and the optional findings CSV (one row
//! per finding), for Excel and pivot tables.
//!
//! Excel opens these correctly by double-click: UTF-8 with a byte-order
//! mark, CRLF line ends, ISO 8601 dates. Every text cell goes through
//! [`sanitize::csv_text`]; numbers (port, days left) are written as numbers
//! so a negative day count stays a number.

use std::io::Write;

use csv::{Terminator, WriterBuilder};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::triage::endpoint_grade;
use crate::text as sanitize;
use std::collections::HashMap;

use crate::model::{EndpointReport, Finding, ScanReport, StoreCertificate};

/// The UTF-8 byte-order mark: without it Excel reads the file as ANSI and
/// mangles non-ASCII names.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// report.csv columns, in order. A contract: add at the end, never reorder.
pub const ENDPOINT_COLUMNS: &[&str] = &[
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
    // Rfc3339 formatting only fails for years outside 0..=9999, which
    // x509 dates cannot express; an empty cell is the honest fallback.
    Cell::Text(t.and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default())
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
    let leaf = e.leaf();
    let ids: Vec<&str> = e.findings.iter().map(|f| f.id.as_str()).collect();
    let tls = e.tls.as_ref();
    let trust = match &e.trust {
        Some(t) if t.trusted => "trusted".to_string(),
        Some(t) if crate::analyze::trust::not_checked(t) => t.error.clone().unwrap_or_default(),
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
    ]
}

/// A certificate in a server's store (`--inventory`): role `store`, the
/// status as exported, where the scan saw it presented in `port`.
/// `found`: the findings about it (its server's store findings naming its
/// thumbprint), worst first.
fn store_row(c: &StoreCertificate, found: &[&Finding]) -> Vec<Cell> {
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
                    text(&f.detail),
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
                    text(&f.detail),
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
                    text(&f.detail),
                    text(f.remediation_text()),
                    text(o.auth_thumbprint.as_deref().unwrap_or_default()),
                    date(o.auth_not_after),
                ]
            })
        }));
    write_table(FINDING_COLUMNS, rows, out)
}
