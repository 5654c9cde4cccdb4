//! Findings that sit on no endpoint: each server's store findings and the
//! organisation's (`--inventory`). Servers pair by host name, ignoring
//! case; a finding by its id and the store certificate it concerns.

use std::collections::{BTreeMap, HashMap};

use super::{impact_of, Change, Impact, Kind, Scope};
use crate::model::{Finding, ScanReport, Severity};

/// A finding's key within its server: its id, and its certificate when it
/// concerns one (two expired certificates are two findings).
type Findings<'a> = BTreeMap<(&'a str, Option<&'a str>), &'a Finding>;

fn keyed(findings: &[Finding]) -> Findings<'_> {
    findings
        .iter()
        .map(|f| ((f.id.as_str(), f.thumbprint.as_deref()), f))
        .collect()
}

/// Store and organisation findings the new scan added or resolved, when
/// both scans have store exports. A server only the old scan has is not in
/// the new exports: nothing about it is known, so nothing is said.
pub(super) fn changes(old: &ScanReport, new: &ScanReport) -> Vec<Change> {
    // A scan without store exports judged no store: comparing it with one
    // that has them would report every store finding as new.
    if old.inventory.is_none() || new.inventory.is_none() {
        return Vec::new();
    }
    let before: HashMap<String, &[Finding]> = old
        .servers
        .iter()
        .map(|s| (s.host.to_ascii_lowercase(), s.findings.as_slice()))
        .collect();
    let mut out = Vec::new();
    for s in &new.servers {
        let was = before
            .get(&s.host.to_ascii_lowercase())
            .copied()
            .unwrap_or_default();
        out.extend(compare(&s.host, Scope::Server, was, &s.findings));
    }
    out.extend(compare(
        "organisation",
        Scope::Organisation,
        org(old),
        org(new),
    ));
    out
}

fn org(r: &ScanReport) -> &[Finding] {
    r.organisation
        .as_ref()
        .map_or(&[][..], |o| o.findings.as_slice())
}

/// Findings only `after` has (added), then those only `before` had
/// (resolved).
fn compare(host: &str, scope: Scope, before: &[Finding], after: &[Finding]) -> Vec<Change> {
    let (before, after) = (keyed(before), keyed(after));
    let change = |kind: Kind, severity: Severity, serious: Impact| Change {
        host: host.to_string(),
        port: 0,
        role: None,
        scope,
        kind,
        impact: impact_of(severity, serious),
        old_host: None,
        label: None,
        namespace: None,
    };
    let mut out = Vec::new();
    for (_, f) in after.iter().filter(|(k, _)| !before.contains_key(*k)) {
        let kind = Kind::FindingAdded {
            finding_id: f.id.to_string(),
            severity: f.severity,
            title: f.title.to_string(),
        };
        out.push(change(kind, f.severity, Impact::Regression));
    }
    for (_, f) in before.iter().filter(|(k, _)| !after.contains_key(*k)) {
        let kind = Kind::FindingResolved {
            finding_id: f.id.to_string(),
            severity: f.severity,
            title: f.title.to_string(),
        };
        out.push(change(kind, f.severity, Impact::Fix));
    }
    out
}
