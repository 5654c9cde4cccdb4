//! `--prom FILE`: the report as a Prometheus textfile-collector file, so
//! node_exporter can publish it and an alert rule can page before a
//! certificate expires. Written atomically: the collector never reads half
//! a file.
//!
//! One series per presented leaf certificate, per endpoint and per server;
//! the label sets are listed in docs/guide.md ("Monitoring"). Label values are
//! escaped as the text exposition format asks (backslash, double quote,
//! newline), so a hostile host name cannot add a series.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::Error;
use crate::model::{EndpointReport, Grade, ScanReport, Severity, Status};

/// A server's grade as a number, worst highest: what `max()` in an alert
/// rule expects.
fn grade_value(g: Grade) -> u8 {
    match g {
        Grade::Ok => 0,
        Grade::Info => 1,
        Grade::Warning => 2,
        Grade::Critical => 3,
    }
}

/// Escape a label value (text exposition format 0.0.4), after making
/// control and bidi characters visible as every other output does: an
/// export name with ESC, BEL or NUL must not reach a dashboard raw.
fn escape(value: &str) -> String {
    // A newline keeps the format's own `\n` escape, so the name reads
    // back as it was.
    let value = crate::text::visible_except(value, &['\n']);
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// `name="value",...` from pairs, escaped.
fn labels(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// The labels that name an endpoint. The address is there because
/// `--all-addresses` scans one name:port at several addresses, and a
/// load balancer's namespace because one VIP serves several on one
/// address and port: two series with the same labels would be rejected.
fn endpoint_labels(e: &EndpointReport) -> Vec<(&'static str, String)> {
    let mut labels = vec![
        ("host", e.endpoint.host.clone()),
        ("port", e.endpoint.port.to_string()),
        ("role", e.endpoint.role.as_str().to_string()),
        (
            "address",
            e.endpoint
                .address
                .map(|a| a.to_string())
                .unwrap_or_default(),
        ),
    ];
    // Absent elsewhere, which Prometheus reads as empty.
    if e.endpoint.role == crate::model::Role::LoadBalancer {
        let namespace = e.endpoint.sni.as_deref().unwrap_or_default();
        labels.push(("namespace", namespace.to_string()));
    }
    labels
}

fn join(base: &[(&'static str, String)], extra: &[(&'static str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = base.iter().map(|(k, v)| (*k, v.as_str())).collect();
    pairs.extend_from_slice(extra);
    labels(&pairs)
}

/// One metric family: HELP, TYPE and its samples.
fn family(out: &mut String, name: &str, help: &str, samples: &[(String, String)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

/// Samples as `(labels, value)`, the shape [`family`] takes.
type Samples = Vec<(String, String)>;

/// The textfile-collector text for `report`.
pub fn render(report: &ScanReport) -> String {
    let e = endpoint_samples(&report.endpoints);
    let one = |value: String| vec![(String::new(), value)];
    let families: [(&str, &str, Samples); 8] = [
        (
            "excert_cert_not_after_seconds",
            "Expiry of the leaf certificate an endpoint presented, Unix seconds.",
            e.not_after,
        ),
        (
            "excert_cert_days_left",
            "Whole days from the report's as-of time to the leaf certificate's expiry (negative once expired).",
            e.days_left,
        ),
        (
            "excert_endpoint_up",
            "1 when the endpoint completed a TLS handshake, 0 when it could not be read.",
            e.up,
        ),
        (
            "excert_findings",
            "Findings on the endpoint by severity.",
            e.findings,
        ),
        (
            "excert_server_severity",
            "The server's grade: 0 ok, 1 info, 2 warning, 3 critical.",
            server_samples(report),
        ),
        (
            "excert_scan_started_seconds",
            "When the scan started, Unix seconds.",
            one(report.started_at.unix_timestamp().to_string()),
        ),
        (
            "excert_scan_as_of_seconds",
            "The time expiry was judged at, Unix seconds.",
            one(report.as_of.unix_timestamp().to_string()),
        ),
        (
            "excert_scan_complete",
            "1 when every endpoint was probed, 0 when the scan was interrupted.",
            one(u8::from(report.complete).to_string()),
        ),
    ];
    let mut out = String::new();
    for (name, help, samples) in &families {
        family(&mut out, name, help, samples);
    }
    // The Auth certificate concerns every server, once (`--inventory`).
    if let Some(org) = &report.organisation {
        family(
            &mut out,
            "excert_organisation_severity",
            "The organisation's grade (the Auth certificate): 0 ok, 1 info, 2 warning, 3 critical.",
            &one(grade_value(org.severity).to_string()),
        );
    }
    out
}

/// The per-endpoint families' samples.
#[derive(Default)]
struct EndpointSamples {
    not_after: Samples,
    days_left: Samples,
    up: Samples,
    findings: Samples,
}

fn endpoint_samples(endpoints: &[EndpointReport]) -> EndpointSamples {
    let mut out = EndpointSamples::default();
    for e in endpoints {
        let base = endpoint_labels(e);
        if let Some(leaf) = e.leaf() {
            let l = join(
                &base,
                &[
                    ("thumbprint", &leaf.sha1),
                    ("classification", leaf.classification.as_str()),
                ],
            );
            // An unparsable certificate has no dates: no sample, never a
            // made-up one.
            if let (Some(t), Some(d)) = (leaf.not_after, leaf.days_left) {
                out.not_after
                    .push((l.clone(), t.unix_timestamp().to_string()));
                out.days_left.push((l, d.to_string()));
            }
        }
        // A cancelled endpoint was never probed: absent, not down.
        if e.status != Status::Cancelled {
            let answered = u8::from(e.status == Status::Ok);
            out.up.push((join(&base, &[]), answered.to_string()));
        }
        for s in [Severity::Critical, Severity::Warning, Severity::Info] {
            let n = e.findings.iter().filter(|f| f.severity == s).count();
            out.findings
                .push((join(&base, &[("severity", s.as_str())]), n.to_string()));
        }
    }
    out
}

/// One sample per server: its grade, labelled with its verdict.
fn server_samples(report: &ScanReport) -> Samples {
    report
        .servers
        .iter()
        .map(|s| {
            let l = labels(&[("host", &s.host), ("verdict", s.verdict.as_str())]);
            (l, grade_value(s.severity).to_string())
        })
        .collect()
}

/// Write the file for `report` to `path`, atomically.
pub fn write(report: &ScanReport, path: &Path) -> Result<(), Error> {
    super::atomic::write(path, render(report).as_bytes()).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_in_label_values_are_made_visible() {
        let out = escape("ex01\u{1b}[31m\u{7}\u{0}");
        assert!(!out.chars().any(char::is_control), "{out:?}");
        assert!(out.contains("u{001B}"), "{out}");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            labels(&[("host", "a\"b\\c\nd")]),
            "host=\"a\\\"b\\\\c\\nd\""
        );
    }
}
