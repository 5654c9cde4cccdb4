//! `excert diff OLD.json NEW.json`: what changed between two saved scans,
//! such as before and after a maintenance window.
//!
//! Both scans are judged again by the caller at one as-of time with one
//! set of settings ([`crate::reanalyze`]), so time passing is not a change.
//! This module only compares: it pairs endpoints across the scans (by host,
//! port and role; then by a shared alias; then by address, so a renamed or
//! re-addressed server is followed) and lists what differs. Pure: no I/O.
//!
//! diff.json is [`Diff`] serialised; its field names are a public contract
//! (docs/guide.md "excert diff").

pub mod html;
pub mod output;
mod pair;
mod stores;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::{EndpointReport, Role, ScanReport, Severity, Status, ToolInfo};

/// The diff.json schema this build writes.
pub const DIFF_SCHEMA_VERSION: u32 = 1;

/// One of the two scans compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRef {
    /// The scan.json as given on the command line.
    pub file: String,
    /// When that scan started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// The scan's own as-of time (before re-judging).
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
}

/// Whether a change made things worse, better, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    /// A warning or critical finding appeared, or an endpoint stopped answering.
    Regression,
    /// A warning or critical finding went away, or an endpoint answers again.
    Fix,
    /// Neither: an informational finding, an endpoint added or removed, a
    /// status that changed between two failures, another certificate with
    /// no finding gained or lost.
    Other,
}

/// A finding named in a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRef {
    /// The finding id, as scan.json spells it.
    pub finding_id: String,
    /// Its severity in the new scan.
    pub severity: Severity,
}

/// What changed on one endpoint; `kind` in diff.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    /// The leaf certificate presented is another one.
    CertChanged {
        /// SHA-256 of the old leaf's DER, lowercase hex.
        old_sha256: String,
        /// SHA-256 of the new leaf's DER, lowercase hex.
        new_sha256: String,
        /// SHA-1, uppercase hex, as `Get-ExchangeCertificate` shows it.
        old_thumbprint: String,
        /// The new leaf's SHA-1, uppercase hex.
        new_thumbprint: String,
        /// Null when that certificate could not be parsed.
        #[serde(with = "time::serde::rfc3339::option")]
        old_not_after: Option<OffsetDateTime>,
        /// The new leaf's expiry; null when it could not be parsed.
        #[serde(with = "time::serde::rfc3339::option")]
        new_not_after: Option<OffsetDateTime>,
    },
    /// A finding the old scan did not have on this endpoint (or server
    /// store, or the organisation).
    FindingAdded {
        /// The finding id, as scan.json spells it.
        finding_id: String,
        /// Its severity in the new scan.
        severity: Severity,
        /// Its title in the new scan.
        title: String,
    },
    /// A finding the old scan had and the new one does not.
    FindingResolved {
        /// The finding id, as scan.json spells it.
        finding_id: String,
        /// Its severity in the old scan.
        severity: Severity,
        /// Its title in the old scan.
        title: String,
    },
    /// The endpoint's status changed, e.g. `ok` to `refused`.
    StatusChanged {
        /// The status in the old scan.
        old_status: Status,
        /// The status in the new scan.
        new_status: Status,
    },
    /// In the new scan only, with its findings there.
    EndpointAdded {
        /// Its status in the new scan.
        status: Status,
        /// Its findings in the new scan.
        findings: Vec<FindingRef>,
    },
    /// In the old scan only: not scanned this time (not the same as down).
    EndpointRemoved {
        /// Its status in the old scan.
        status: Status,
    },
}

/// What a change is about: one endpoint, a server's certificate store, or
/// the whole organisation (the Auth certificate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// One endpoint (host, port, role).
    Endpoint,
    /// A server's certificate store (`--inventory`): port 0, role null.
    Server,
    /// The organisation: host `organisation`, port 0, role null.
    Organisation,
}

fn endpoint_scope() -> Scope {
    Scope::Endpoint
}

/// One entry of `changes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The new scan's name for the endpoint (the old one's when removed);
    /// the server for a store finding; `organisation` for the
    /// organisation's.
    pub host: String,
    /// The endpoint's TCP port; 0 for a server or organisation finding.
    pub port: u16,
    /// What the port is for; null for a server or organisation finding.
    pub role: Option<Role>,
    /// What the change is about.
    #[serde(default = "endpoint_scope")]
    pub scope: Scope,
    /// What changed; `kind` and its fields sit directly in this object.
    #[serde(flatten)]
    pub kind: Kind,
    /// Whether the change made things worse, better, or neither.
    pub impact: Impact,
    /// The old scan's host name, when the endpoint was matched by alias or
    /// address under another name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_host: Option<String>,
    /// A `--tls-port` port's label (`wmsvc`); absent for every other
    /// port and for server or organisation changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// A load balancer VIP's namespace (the SNI it was probed with), since
    /// its host is the VIP's address; absent for every other port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// One thing that happened to one endpoint (or to one server store or the
/// organisation): the changes it went through together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The worst impact among its changes.
    pub impact: Impact,
    /// Indices into `changes`, the cause first (an endpoint added or
    /// removed, a status, a certificate, then the findings).
    pub changes: Vec<usize>,
}

/// Changes (or events) by impact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffCounts {
    /// Changes with impact `regression`.
    pub regressions: usize,
    /// Changes with impact `fix`.
    pub fixes: usize,
    /// Changes with impact `other`.
    pub other: usize,
}

/// The whole of diff.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    /// The diff.json layout version: [`DIFF_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The program and version that wrote it.
    pub tool: ToolInfo,
    /// The single time both scans were judged at.
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
    /// The earlier scan.
    pub old: ScanRef,
    /// The later scan.
    pub new: ScanRef,
    /// How many changes of each impact.
    pub counts: DiffCounts,
    /// Regressions first, then fixes, then the rest; by host and port within.
    pub changes: Vec<Change>,
    /// The changes grouped into what happened, one entry per endpoint (a
    /// renewal is one event: the certificate changed and its findings
    /// cleared), as the terminal and diff.html list them; regressions first.
    #[serde(default)]
    pub events: Vec<Event>,
    /// Events by impact (an event's impact is the worst of its changes').
    #[serde(default)]
    pub event_counts: DiffCounts,
    /// What makes this comparison say less than it seems, in sentences
    /// with what to do: OLD and NEW are the same scan, or NEW is older
    /// than OLD. Absent when there is nothing to say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}

impl Diff {
    /// The worst severity the new scan adds: a finding that appeared on an
    /// endpoint, or one an added endpoint brings.
    pub fn worst_added(&self) -> Option<Severity> {
        self.changes
            .iter()
            .flat_map(|c| match &c.kind {
                Kind::FindingAdded { severity, .. } => vec![*severity],
                Kind::EndpointAdded { findings, .. } => {
                    findings.iter().map(|f| f.severity).collect()
                }
                _ => Vec::new(),
            })
            .min()
    }
}

impl Change {
    /// The role as the terminal and diff.html show it: the port's role,
    /// `store` or `organisation`.
    pub fn role_label(&self) -> &'static str {
        match (self.scope, self.role) {
            (Scope::Organisation, _) => "organisation",
            (_, Some(r)) => r.as_str(),
            (_, None) => "store",
        }
    }

    /// [`Change::role_label`] with a `--tls-port` port's label
    /// (`other wmsvc`) or a VIP's namespace (`load_balancer
    /// mail.contoso.com`), as the terminal and diff.html show it.
    pub fn role_shown(&self) -> String {
        match self.label.as_ref().or(self.namespace.as_ref()) {
            Some(l) => format!("{} {}", self.role_label(), crate::text::visible(l)),
            None => self.role_label().to_string(),
        }
    }

    /// The change in a sentence, for the terminal and diff.html.
    pub fn describe(&self) -> String {
        use crate::report::format::format_date;
        let short = |t: &str| t.chars().take(8).collect::<String>();
        match &self.kind {
            Kind::CertChanged {
                old_thumbprint,
                new_thumbprint,
                old_not_after,
                new_not_after,
                ..
            } => format!(
                "certificate changed: {}… (expires {}) → {}… (expires {})",
                short(old_thumbprint),
                old_not_after.map_or_else(|| "unknown".into(), format_date),
                short(new_thumbprint),
                new_not_after.map_or_else(|| "unknown".into(), format_date)
            ),
            Kind::FindingAdded {
                finding_id,
                severity,
                title,
            } => format!("new {} finding {finding_id}: {title}", severity.as_str()),
            Kind::FindingResolved {
                finding_id,
                severity,
                title,
            } => format!(
                "resolved {} finding {finding_id}: {title}",
                severity.as_str()
            ),
            Kind::StatusChanged {
                old_status,
                new_status,
            } => format!("status {} → {}", old_status.as_str(), new_status.as_str()),
            Kind::EndpointAdded { status, findings } => {
                let worst = findings.iter().map(|f| f.severity).min();
                match worst {
                    Some(w) => format!(
                        "new endpoint ({}), {} finding(s), worst {}",
                        status.as_str(),
                        findings.len(),
                        w.as_str()
                    ),
                    None => format!("new endpoint ({}), no findings", status.as_str()),
                }
            }
            Kind::EndpointRemoved { status } => {
                format!("not in the new scan (was {})", status.as_str())
            }
        }
    }
}

impl Event {
    /// Its changes in `diff`, the cause first.
    pub fn changes<'a>(&self, diff: &'a Diff) -> Vec<&'a Change> {
        self.changes
            .iter()
            .filter_map(|&i| diff.changes.get(i))
            .collect()
    }

    /// The event in a sentence: its cause, then the findings that came or
    /// went with it ("certificate changed: ... ; clears
    /// backend-cert-expired (critical)").
    pub fn describe(&self, diff: &Diff) -> String {
        let changes = self.changes(diff);
        let Some((lead, rest)) = changes.split_first() else {
            return String::new();
        };
        let cause = matches!(
            lead.kind,
            Kind::CertChanged { .. } | Kind::StatusChanged { .. }
        );
        let mut out = lead.describe();
        let (mut brings, mut clears) = (Vec::new(), Vec::new());
        for c in rest {
            match &c.kind {
                Kind::FindingAdded {
                    finding_id,
                    severity,
                    ..
                } if cause => brings.push(format!("{finding_id} ({})", severity.as_str())),
                Kind::FindingResolved {
                    finding_id,
                    severity,
                    ..
                } if cause => clears.push(format!("{finding_id} ({})", severity.as_str())),
                _ => {
                    out.push_str("; ");
                    out.push_str(&c.describe());
                }
            }
        }
        if !brings.is_empty() {
            out.push_str("; brings ");
            out.push_str(&brings.join(", "));
        }
        if !clears.is_empty() {
            out.push_str("; clears ");
            out.push_str(&clears.join(", "));
        }
        out
    }
}

impl ScanRef {
    /// `report` as read from `file`, before it was judged again.
    pub fn of(report: &ScanReport, file: &str) -> ScanRef {
        ScanRef {
            file: file.to_string(),
            started_at: report.started_at,
            as_of: report.as_of,
        }
    }
}

/// Compare two scans already judged at the same as-of time; `old_ref` and
/// `new_ref` say where they came from.
pub fn compare(old: &ScanReport, new: &ScanReport, old_ref: ScanRef, new_ref: ScanRef) -> Diff {
    let mut changes = Vec::new();
    let mut seen_old = vec![false; old.endpoints.len()];
    let mut seen_new = vec![false; new.endpoints.len()];
    for &(o, n) in &pair::pair(&old.endpoints, &new.endpoints) {
        let (Some(seen_o), Some(seen_n), Some(old_e), Some(new_e)) = (
            seen_old.get_mut(o),
            seen_new.get_mut(n),
            old.endpoints.get(o),
            new.endpoints.get(n),
        ) else {
            continue;
        };
        *seen_o = true;
        *seen_n = true;
        changes.extend(endpoint_changes(old_e, new_e));
    }
    // The flags are as long as the endpoint lists, so zip misses none.
    for (e, _) in new
        .endpoints
        .iter()
        .zip(&seen_new)
        .filter(|(_, &seen)| !seen)
    {
        changes.push(endpoint_added(e));
    }
    for (e, _) in old
        .endpoints
        .iter()
        .zip(&seen_old)
        .filter(|(_, &seen)| !seen)
    {
        let kind = Kind::EndpointRemoved { status: e.status };
        changes.push(change(e, None, kind, Impact::Other));
    }
    changes.extend(stores::changes(old, new));
    changes.sort_by(|a, b| order(a).cmp(&order(b)));
    let notices = notices(old, new, &old_ref, &new_ref);
    let events = events(&changes);
    let event_counts = counts(events.iter().map(|e| e.impact));
    Diff {
        schema_version: DIFF_SCHEMA_VERSION,
        tool: ToolInfo::default(),
        as_of: new.as_of,
        old: old_ref,
        new: new_ref,
        counts: counts(changes.iter().map(|c| c.impact)),
        changes,
        events,
        event_counts,
        notices,
    }
}

/// The changes of one endpoint make one event; a store or organisation
/// change is an event of its own. A VIP serving two namespaces on one
/// address and port is two endpoints, so two events.
fn events(changes: &[Change]) -> Vec<Event> {
    type Key = (String, u16, Option<Role>, Option<String>);
    let mut by_key: BTreeMap<Key, usize> = BTreeMap::new();
    let mut out: Vec<Event> = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        let key = (
            c.host.to_ascii_lowercase(),
            c.port,
            c.role,
            c.namespace.as_deref().map(str::to_ascii_lowercase),
        );
        let at = match c.scope {
            Scope::Endpoint => by_key.get(&key).copied(),
            Scope::Server | Scope::Organisation => None,
        };
        match at.and_then(|at| out.get_mut(at)) {
            Some(event) => {
                event.impact = event.impact.min(c.impact);
                event.changes.push(i);
            }
            None => {
                if c.scope == Scope::Endpoint {
                    by_key.insert(key, out.len());
                }
                out.push(Event {
                    impact: c.impact,
                    changes: vec![i],
                });
            }
        }
    }
    for e in &mut out {
        e.changes
            .sort_by_key(|&i| changes.get(i).map(|c| kind_rank(&c.kind)));
    }
    // Stable: within an impact, in the order of their first change.
    out.sort_by_key(|e| e.impact);
    out
}

/// Same scan times and the same evidence on every endpoint: one scan
/// given twice (perhaps judged at two dates), which no diff can tell
/// anything about.
fn same_scan(old: &ScanReport, new: &ScanReport) -> bool {
    let evidence = |e: &EndpointReport| {
        (
            e.endpoint.host.to_ascii_lowercase(),
            e.endpoint.port,
            e.status,
            e.leaf().map(|c| c.sha1.clone()),
        )
    };
    old.started_at == new.started_at
        && old.finished_at == new.finished_at
        && old.endpoints.len() == new.endpoints.len()
        && old
            .endpoints
            .iter()
            .zip(&new.endpoints)
            .all(|(a, b)| evidence(a) == evidence(b))
}

/// The notices of [`Diff::notices`].
fn notices(
    old: &ScanReport,
    new: &ScanReport,
    old_ref: &ScanRef,
    new_ref: &ScanRef,
) -> Vec<String> {
    let mut out = Vec::new();
    if same_scan(old, new) {
        out.push(format!(
            "OLD and NEW are the same scan (started {}, same evidence), so nothing can show as \
             changed. To see that scan judged at a later date, run: excert report {} --as-of DATE",
            crate::report::format::format_time(new_ref.started_at),
            new_ref.file
        ));
    } else if new_ref.started_at < old_ref.started_at {
        out.push(format!(
            "NEW ({}, started {}) is older than OLD ({}, started {}): regressions and fixes \
             read backwards. Give the older scan first: excert diff {} {}",
            new_ref.file,
            crate::report::format::format_time(new_ref.started_at),
            old_ref.file,
            crate::report::format::format_time(old_ref.started_at),
            new_ref.file,
            old_ref.file
        ));
    }
    out
}

/// An endpoint only the new scan has: a regression when it arrives with a
/// warning or critical finding.
fn endpoint_added(e: &EndpointReport) -> Change {
    let findings: Vec<FindingRef> = e
        .findings
        .iter()
        .map(|f| FindingRef {
            finding_id: f.id.to_string(),
            severity: f.severity,
        })
        .collect();
    let worst = findings.iter().map(|f| f.severity).min();
    let impact = worst.map_or(Impact::Other, |s| impact_of(s, Impact::Regression));
    let kind = Kind::EndpointAdded {
        status: e.status,
        findings,
    };
    change(e, None, kind, impact)
}

/// `serious` for a warning or critical finding; info changes nothing.
pub(super) fn impact_of(severity: Severity, serious: Impact) -> Impact {
    if severity <= Severity::Warning {
        serious
    } else {
        Impact::Other
    }
}

/// The list's order: regressions first, the organisation before servers,
/// then by endpoint, then by kind.
fn order(
    c: &Change,
) -> (
    Impact,
    std::cmp::Reverse<Scope>,
    &str,
    u16,
    Option<Role>,
    u8,
) {
    (
        c.impact,
        std::cmp::Reverse(c.scope),
        &c.host,
        c.port,
        c.role,
        kind_rank(&c.kind),
    )
}

fn counts(impacts: impl Iterator<Item = Impact> + Clone) -> DiffCounts {
    let count = |impact: Impact| impacts.clone().filter(|&i| i == impact).count();
    DiffCounts {
        regressions: count(Impact::Regression),
        fixes: count(Impact::Fix),
        other: count(Impact::Other),
    }
}

/// Order of kinds for one endpoint: status, then certificate, then findings.
fn kind_rank(k: &Kind) -> u8 {
    match k {
        Kind::EndpointAdded { .. } | Kind::EndpointRemoved { .. } => 0,
        Kind::StatusChanged { .. } => 1,
        Kind::CertChanged { .. } => 2,
        Kind::FindingAdded { .. } => 3,
        Kind::FindingResolved { .. } => 4,
    }
}

fn change(e: &EndpointReport, old_host: Option<&str>, kind: Kind, impact: Impact) -> Change {
    Change {
        host: e.endpoint.host.clone(),
        port: e.endpoint.port,
        role: Some(e.endpoint.role),
        scope: Scope::Endpoint,
        kind,
        impact,
        old_host: old_host
            .filter(|h| !h.eq_ignore_ascii_case(&e.endpoint.host))
            .map(str::to_string),
        label: e.endpoint.label.as_deref().map(str::to_string),
        namespace: e
            .endpoint
            .sni
            .as_deref()
            .filter(|_| e.endpoint.role == Role::LoadBalancer)
            .map(str::to_string),
    }
}

/// What differs between two observations of one endpoint.
fn endpoint_changes(o: &EndpointReport, n: &EndpointReport) -> Vec<Change> {
    let mut out: Vec<Change> = status_change(o, n).into_iter().collect();
    let findings = finding_changes(o, n);
    let worse = findings.iter().any(|c| c.impact == Impact::Regression);
    let better = findings.iter().any(|c| c.impact == Impact::Fix);
    out.extend(findings);
    if let (Some(a), Some(b)) = (o.leaf(), n.leaf()) {
        if a.sha256 != b.sha256 {
            // A new certificate is a fix when it cleared a problem (renewed,
            // rebound) and a regression when it brought one (the public
            // binding replaced by a self-signed cert).
            let impact = if worse {
                Impact::Regression
            } else if better {
                Impact::Fix
            } else {
                Impact::Other
            };
            let kind = Kind::CertChanged {
                old_sha256: a.sha256.clone(),
                new_sha256: b.sha256.clone(),
                old_thumbprint: a.sha1.clone(),
                new_thumbprint: b.sha1.clone(),
                old_not_after: a.not_after,
                new_not_after: b.not_after,
            };
            out.push(change(n, Some(&o.endpoint.host), kind, impact));
        }
    }
    out
}

/// The endpoint answers again (a fix), stopped answering (a regression),
/// or fails differently.
fn status_change(o: &EndpointReport, n: &EndpointReport) -> Option<Change> {
    if o.status == n.status {
        return None;
    }
    let impact = if n.status == Status::Ok {
        Impact::Fix
    } else if o.status == Status::Ok {
        Impact::Regression
    } else {
        Impact::Other
    };
    let kind = Kind::StatusChanged {
        old_status: o.status,
        new_status: n.status,
    };
    Some(change(n, Some(&o.endpoint.host), kind, impact))
}

/// Findings only the new observation has, then those only the old one had.
fn finding_changes(o: &EndpointReport, n: &EndpointReport) -> Vec<Change> {
    let ids = |e: &EndpointReport| -> BTreeMap<String, (Severity, String)> {
        e.findings
            .iter()
            .map(|f| (f.id.to_string(), (f.severity, f.title.to_string())))
            .collect()
    };
    let (before, after) = (ids(o), ids(n));
    let old_host = Some(o.endpoint.host.as_str());
    let mut out = Vec::new();
    for (id, (severity, title)) in after.iter().filter(|(id, _)| !before.contains_key(*id)) {
        let kind = Kind::FindingAdded {
            finding_id: id.clone(),
            severity: *severity,
            title: title.clone(),
        };
        out.push(change(
            n,
            old_host,
            kind,
            impact_of(*severity, Impact::Regression),
        ));
    }
    for (id, (severity, title)) in before.iter().filter(|(id, _)| !after.contains_key(*id)) {
        let kind = Kind::FindingResolved {
            finding_id: id.clone(),
            severity: *severity,
            title: title.clone(),
        };
        out.push(change(n, old_host, kind, impact_of(*severity, Impact::Fix)));
    }
    out
}
