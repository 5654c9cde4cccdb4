//! What every renderer shows the same way: an endpoint's grade, the counts
//! at the top, the incomplete-scan notice and the "act now" list. Computed
//! once here so the HTML, the terminal and the CSV never disagree; a module
//! of its own so the renderers depend on it and not on `report/mod.rs`,
//! which depends on them.

use crate::model::{
    EndpointReport, Finding, FindingId, Grade, Method, ScanReport, ServerReport, Severity, Status,
};

/// The grade of one endpoint as the reports show it: its worst finding,
/// `ok` when it answered and nothing was found, and `unscanned` when it
/// could not be read and analysis attached no finding. An endpoint that was
/// not read is never shown as healthy.
pub fn endpoint_grade(e: &EndpointReport) -> EndpointGrade {
    match e.worst() {
        Some(Severity::Critical) => EndpointGrade::Critical,
        Some(Severity::Warning) => EndpointGrade::Warning,
        Some(Severity::Info) => EndpointGrade::Info,
        None if e.status == Status::Ok => EndpointGrade::Ok,
        None => EndpointGrade::Unscanned,
    }
}

/// An endpoint's grade in the tables: its worst finding, `ok`, or
/// `unscanned`. `Ord` is worst first, so tables sort by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointGrade {
    /// A critical finding.
    Critical,
    /// A warning, nothing critical.
    Warning,
    /// Only info findings.
    Info,
    /// Answered, no findings.
    Ok,
    /// Never answered; not counted healthy.
    Unscanned,
}

impl EndpointGrade {
    /// The word the reports show (`critical` ... `unscanned`).
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointGrade::Critical => "critical",
            EndpointGrade::Warning => "warning",
            EndpointGrade::Info => "info",
            EndpointGrade::Ok => "ok",
            EndpointGrade::Unscanned => "unscanned",
        }
    }
}

pub(crate) fn method_name(m: Method) -> &'static str {
    match m {
        Method::Rustls => "rustls",
        Method::Legacy => "legacy",
    }
}

/// Scope and severity counts shown at the top of every report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Distinct servers (hosts).
    pub servers: usize,
    /// Endpoints probed or listed.
    pub endpoints: usize,
    /// Endpoints that completed a handshake.
    pub answered: usize,
    /// Endpoints an interrupted scan never probed (status `cancelled`).
    pub not_probed: usize,
    /// Servers graded critical.
    pub critical: usize,
    /// Servers graded warning.
    pub warning: usize,
    /// Servers graded info.
    pub info: usize,
    /// Servers graded ok.
    pub ok: usize,
    /// Critical findings, over all endpoints, stores and the organisation.
    pub findings_critical: usize,
    /// Warning findings, likewise.
    pub findings_warning: usize,
    /// Info findings, likewise.
    pub findings_info: usize,
}

/// Count servers by grade and findings by severity.
pub fn counts(report: &ScanReport) -> Counts {
    let mut c = Counts {
        servers: report.servers.len(),
        endpoints: report.endpoints.len(),
        answered: report
            .endpoints
            .iter()
            .filter(|e| e.status == Status::Ok)
            .count(),
        not_probed: report
            .endpoints
            .iter()
            .filter(|e| e.status == Status::Cancelled)
            .count(),
        ..Counts::default()
    };
    for s in &report.servers {
        match s.severity {
            Grade::Critical => c.critical += 1,
            Grade::Warning => c.warning += 1,
            Grade::Info => c.info += 1,
            Grade::Ok => c.ok += 1,
        }
    }
    // Every finding, wherever it sits: endpoints, stores (`--inventory`)
    // and the organisation (the Auth certificate, counted once).
    let store = report.servers.iter().flat_map(|s| &s.findings);
    let organisation = report.organisation.iter().flat_map(|o| &o.findings);
    for f in report
        .endpoints
        .iter()
        .flat_map(|e| &e.findings)
        .chain(store)
        .chain(organisation)
    {
        match f.severity {
            Severity::Critical => c.findings_critical += 1,
            Severity::Warning => c.findings_warning += 1,
            Severity::Info => c.findings_info += 1,
        }
    }
    c
}

/// The fleet's end-of-support line, from the servers'
/// `exchange-out-of-support` findings: `2 of 9 servers run an Exchange
/// version past its end of support (Exchange 2016: 1, Exchange 2019: 1)`;
/// `None` when no server does.
pub fn end_of_support_line(report: &ScanReport) -> Option<String> {
    let mut by_version: std::collections::BTreeMap<String, usize> = Default::default();
    // A load balancer runs no Exchange version: it is not one of the
    // servers counted.
    let servers: Vec<&ServerReport> = report
        .servers
        .iter()
        .filter(|s| !is_balancer(report, s))
        .collect();
    for s in &servers {
        let past = s.endpoints.iter().any(|&i| {
            report.endpoints.get(i).is_some_and(|e| {
                e.findings
                    .iter()
                    .any(|f| f.id == FindingId::ExchangeOutOfSupport)
            })
        });
        if past {
            // Only the names `AdminDisplayVersion` gives: a saved scan's
            // group is input like any other.
            let version = match s.group.exchange_version.as_deref() {
                Some(v @ ("2010" | "2013" | "2016" | "2019")) => format!("Exchange {v}"),
                _ => "another version".to_string(),
            };
            *by_version.entry(version).or_default() += 1;
        }
    }
    let n: usize = by_version.values().sum();
    if n == 0 {
        return None;
    }
    let parts: Vec<String> = by_version
        .iter()
        .map(|(v, count)| format!("{v}: {count}"))
        .collect();
    Some(format!(
        "{n} of {} {} an Exchange version past its end of support ({})",
        super::labels::count(servers.len(), "server"),
        if n == 1 { "runs" } else { "run" },
        parts.join(", ")
    ))
}

/// The incomplete-scan warning, or `None` for a complete scan.
pub fn incomplete_notice(report: &ScanReport) -> Option<String> {
    if report.complete {
        return None;
    }
    let n = counts(report).not_probed;
    let what = match n {
        0 => "some targets were not probed".to_string(),
        1 => "1 endpoint not probed".to_string(),
        n => format!("{n} endpoints not probed"),
    };
    Some(format!("Scan interrupted: {what} — incomplete"))
}

/// One line of the "Act now" list: a server that needs work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action<'a> {
    /// The server.
    pub server: &'a ServerReport,
    /// Position of `server` in `report.servers`.
    pub server_index: usize,
    /// Its worst finding at warning or above.
    pub severity: Severity,
    /// Fewest days left on a certificate behind a critical or warning
    /// finding of this server, if that certificate is inside the warning
    /// window; `None` otherwise (a lost binding, an endpoint that did not
    /// answer).
    pub days_left: Option<i64>,
    /// Ids of the critical and warning findings, store findings first.
    pub finding_ids: Vec<FindingId>,
    /// What is wrong, in a sentence.
    pub headline: &'a str,
    /// The most urgent finding, whose first step is the fix when the
    /// server has no steps of its own.
    first_urgent: Option<&'a Finding>,
}

impl Action<'_> {
    /// The headline without the server's name in front (the line already
    /// names it): `the backend (444) certificate expired on 2026-11-17`.
    pub fn reason(&self) -> &str {
        let h = self.headline;
        h.get(..self.server.host.len())
            .filter(|p| p.eq_ignore_ascii_case(&self.server.host))
            .and_then(|_| h.get(self.server.host.len()..))
            .and_then(|r| r.strip_prefix(':'))
            .map_or(h, str::trim_start)
    }

    /// The first step of the fix, on one line. Made when shown, not kept:
    /// a large fleet's act-now list would otherwise hold a copy of every
    /// server's first step.
    pub fn fix(&self) -> String {
        self.server
            .remediation_lines()
            .first()
            .map(|s| first_line(s))
            .or_else(|| self.first_urgent.map(|f| first_line(&f.remediation_text())))
            .unwrap_or_default()
    }
}

/// Whether `server` is a load balancer's VIP (`--load-balancer`): every
/// endpoint it has is one.
pub fn is_balancer(report: &ScanReport, server: &ServerReport) -> bool {
    !server.endpoints.is_empty()
        && server.endpoints.iter().all(|&i| {
            report
                .endpoints
                .get(i)
                .is_some_and(|e| e.endpoint.role == crate::model::Role::LoadBalancer)
        })
}

/// The namespaces a VIP serves (the SNI it was probed with), in endpoint
/// order; empty for a server. Its host is its address, so the namespaces
/// say which VIP it is.
pub fn balancer_namespaces<'a>(report: &'a ScanReport, server: &ServerReport) -> Vec<&'a str> {
    if !is_balancer(report, server) {
        return Vec::new();
    }
    let mut out: Vec<&str> = Vec::new();
    for e in server
        .endpoints
        .iter()
        .filter_map(|&i| report.endpoints.get(i))
    {
        let n = e.endpoint.sni.as_deref().unwrap_or(&e.endpoint.host);
        if !out.iter().any(|o| o.eq_ignore_ascii_case(n)) {
            out.push(n);
        }
    }
    out
}

/// The server's role as the reports show it (servers.csv, the server
/// table, the cards and the role filter): the Exchange role, or
/// `load_balancer` for a VIP, which runs none; empty when unknown.
pub fn server_role<'a>(report: &ScanReport, server: &'a ServerReport) -> &'a str {
    if is_balancer(report, server) {
        return crate::model::Role::LoadBalancer.as_str();
    }
    server.group.server_role.as_deref().unwrap_or_default()
}

/// Servers graded critical or warning, most urgent first: critical before
/// warning, then the Auth certificate, then load balancers (every client
/// goes through them), then fewest days left (expired certs first), then host name.
pub fn act_now(report: &ScanReport) -> Vec<Action<'_>> {
    let mut actions: Vec<Action<'_>> = report
        .servers
        .iter()
        .enumerate()
        .filter_map(|(i, server)| action(report, i, server))
        .collect();
    // The Auth certificate goes to the top of its severity: where it is
    // missing, OWA/ECP sign-in breaks.
    let auth = |a: &Action<'_>| !a.finding_ids.iter().any(|id| id.is_auth());
    // A load balancer comes before the servers behind it: every client
    // goes through it.
    let server = |a: &Action<'_>| !is_balancer(report, a.server);
    actions.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| auth(a).cmp(&auth(b)))
            .then_with(|| server(a).cmp(&server(b)))
            .then_with(|| match (a.days_left, b.days_left) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.server.host.cmp(&b.server.host))
    });
    actions
}

fn action<'a>(
    report: &'a ScanReport,
    server_index: usize,
    server: &'a ServerReport,
) -> Option<Action<'a>> {
    // Act now lists what is at warning or worse.
    let severity = server
        .severity
        .severity()
        .filter(|s| *s <= Severity::Warning)?;
    let endpoints = server
        .endpoints
        .iter()
        .filter_map(|&i| report.endpoints.get(i));
    let mut urgent: Vec<(&EndpointReport, &Finding)> = endpoints
        .flat_map(|e| e.findings.iter().map(move |f| (e, f)))
        .filter(|(_, f)| f.severity <= Severity::Warning)
        .collect();
    urgent.sort_by_key(|(_, f)| f.severity);
    // The store's certificates behind its urgent findings count too.
    let certs = report
        .inventory
        .as_ref()
        .map_or(&[][..], |i| i.certificates.as_slice());
    let store_days = server
        .store
        .iter()
        .filter_map(|&i| certs.get(i))
        .filter(|c| {
            server.findings.iter().any(|f| {
                f.severity <= Severity::Warning && f.thumbprint.as_deref() == Some(&c.thumbprint)
            })
        });
    let days_left = urgent
        .iter()
        .filter_map(|(e, _)| e.leaf().and_then(|c| c.days_left))
        .chain(store_days.map(|c| c.days_left))
        // A cert far from expiry is not why this server is listed (a lost
        // binding, say); showing "900 d left" would mislead.
        .filter(|&d| d <= report.parameters.warn_days)
        .min();
    let mut finding_ids: Vec<FindingId> = Vec::new();
    // Store findings (`--inventory`) first: the Auth certificate, when it
    // applies, is what breaks sign-in for everyone.
    let store = server
        .findings
        .iter()
        .filter(|f| f.severity <= Severity::Warning);
    for f in store.chain(urgent.iter().map(|(_, f)| *f)) {
        if !finding_ids.contains(&f.id) {
            finding_ids.push(f.id);
        }
    }
    let first_urgent = urgent.first().map(|(_, f)| *f);
    let headline = if !server.summary.trim().is_empty() {
        server.summary.as_str()
    } else {
        first_urgent
            .map(|f| &*f.title)
            .unwrap_or_else(|| server.verdict.as_str())
    };
    Some(Action {
        server,
        server_index,
        severity,
        days_left,
        finding_ids,
        headline,
        first_urgent,
    })
}

/// The first non-empty line, trimmed.
fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}

/// The organisation's line at the top of the reports (the Auth
/// certificate, `--inventory`): its worst severity, its headline and its
/// first step; `None` when nothing at warning or above concerns it.
pub fn organisation_action(report: &ScanReport) -> Option<(Severity, &str, String)> {
    let org = report.organisation.as_ref()?;
    let severity = org
        .findings
        .iter()
        .map(|f| f.severity)
        .min()
        .filter(|&s| s <= Severity::Warning)?;
    let fix = org
        .remediation_steps
        .first()
        .map(|s| first_line(&s.text()))
        .unwrap_or_default();
    Some((severity, org.summary.as_str(), fix))
}
