//! The report's fleet-scale views: the one-table fleet summary that opens
//! the printed report (a row per server: site, role, each port's
//! certificate and days left, verdict), and the values the server-card
//! filters offer (verdicts and sites present).

use serde::Serialize;

use super::format::days_short;
use super::triage::endpoint_grade;
use crate::model::{EndpointReport, ScanReport, ServerReport, Severity};

/// One row of the fleet summary.
#[derive(Debug, Serialize)]
pub struct SummaryRow {
    /// The server, as its card names it.
    pub host: String,
    /// The id of the server's card, for the row's link; empty when the
    /// page has no card for it.
    pub anchor: String,
    /// The server's grade: `critical`, `warning`, `info` or `ok`.
    pub grade: &'static str,
    /// The grade's place, worst first, for sorting.
    pub grade_rank: u8,
    /// The AD site; empty when unknown.
    pub site: String,
    /// The Exchange server role (`load_balancer` for a VIP; the filters
    /// match it); empty when unknown.
    pub server_role: String,
    /// The role as the page shows it ("Load balancer" for a VIP).
    pub server_role_label: String,
    /// The namespaces a load balancer's VIP serves, comma-separated; empty
    /// for a server.
    pub namespaces: String,
    /// The verdict, e.g. `renew-backend` (the filters match it).
    pub verdict: &'static str,
    /// The verdict in words, as the page shows it.
    pub verdict_label: &'static str,
    /// The fewest days left on any of the server's certificates, for
    /// sorting; absent when no certificate was read.
    pub worst_days: Option<i64>,
    /// `worst_days` in words (`20 d left`); empty when unknown.
    pub worst_days_text: String,
    /// `worst_days` as the sort key; unknown sorts last.
    pub worst_days_key: i64,
    /// The port roles where the server has a warning or critical finding.
    pub problem_roles: String,
    /// Every port of the server, frontends first.
    pub ports: Vec<PortCell>,
}

/// One port of a server in the fleet summary.
#[derive(Debug, Serialize)]
pub struct PortCell {
    /// The TCP port.
    pub port: u16,
    /// The endpoint's grade, `unscanned` when nothing was read.
    pub grade: &'static str,
    /// The leaf's CN (or subject), or the status when nothing was read.
    pub cert: String,
    /// The leaf's days left (`20 d left`, `expired 3 d ago`); empty when
    /// unknown.
    pub days: String,
}

/// What the server cards can be filtered by.
#[derive(Debug, Default, Serialize)]
pub struct Filters {
    /// Every verdict some server has, sorted by id.
    pub verdicts: Vec<Choice>,
    /// Every AD site some server is in, sorted.
    pub sites: Vec<String>,
    /// Every port role some endpoint has (`frontend`, `backend`, `smtp`,
    /// `imap`, `pop`, ...), in role order.
    pub roles: Vec<Choice>,
    /// Every Exchange server role some server has (Mailbox, Edge, and
    /// `load_balancer` for a VIP), sorted.
    pub server_roles: Vec<Choice>,
}

/// One choice of a filter: the id it matches and the words shown (an id
/// such as `renew-backend` or `load_balancer` is never shown as text).
#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Choice {
    /// What the filter matches, e.g. `renew-backend`.
    pub id: String,
    /// The choice in words.
    pub label: String,
}

impl Choice {
    fn new(id: &str, label: &str) -> Choice {
        Choice {
            id: id.to_string(),
            label: label.to_string(),
        }
    }
}

/// The servers' endpoints, frontends first.
fn endpoints<'a>(report: &'a ScanReport, s: &ServerReport) -> Vec<&'a EndpointReport> {
    let mut eps: Vec<&EndpointReport> = s
        .endpoints
        .iter()
        .filter_map(|&i| report.endpoints.get(i))
        .collect();
    eps.sort_by_key(|e| (e.endpoint.role, e.endpoint.port));
    eps
}

/// The fleet summary, in the order of the server cards.
pub fn rows(report: &ScanReport, anchor: impl Fn(usize) -> String) -> Vec<SummaryRow> {
    report
        .servers
        .iter()
        .enumerate()
        .map(|(i, s)| SummaryRow {
            host: s.host.clone(),
            // A large fleet's page has cards only for servers that need
            // work: no link to a card that is not there.
            anchor: if super::html::compact(report) && !super::html::needs_card(s) {
                String::new()
            } else {
                anchor(i)
            },
            grade: s.severity.as_str(),
            grade_rank: match s.severity {
                crate::model::Grade::Critical => 0,
                crate::model::Grade::Warning => 1,
                crate::model::Grade::Info => 2,
                crate::model::Grade::Ok => 3,
            },
            site: s.group.site.clone().unwrap_or_default(),
            server_role: super::triage::server_role(report, s).to_string(),
            server_role_label: super::labels::server_role(super::triage::server_role(report, s))
                .to_string(),
            namespaces: super::triage::balancer_namespaces(report, s).join(", "),
            verdict: s.verdict.as_str(),
            verdict_label: super::labels::verdict_label(s.verdict),
            worst_days: worst_days(report, s),
            worst_days_text: worst_days(report, s).map(days_short).unwrap_or_default(),
            worst_days_key: worst_days(report, s).unwrap_or(i64::MAX),
            problem_roles: problem_roles(report, s),
            ports: endpoints(report, s)
                .into_iter()
                .map(|e| PortCell {
                    port: e.endpoint.port,
                    grade: endpoint_grade(e).as_str(),
                    cert: e.leaf().map_or_else(
                        || e.status.as_str().to_string(),
                        |c| c.subject_cn.clone().unwrap_or_else(|| c.subject.clone()),
                    ),
                    days: e
                        .leaf()
                        .and_then(|c| c.days_left)
                        .map(days_short)
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect()
}

/// The fewest days left on any certificate the server presents.
pub fn worst_days(report: &ScanReport, s: &ServerReport) -> Option<i64> {
    s.endpoints
        .iter()
        .filter_map(|&i| report.endpoints.get(i))
        .filter_map(|e| e.leaf().and_then(|c| c.days_left))
        .min()
}

/// The verdicts, sites and roles present, in a stable order.
pub fn filters(report: &ScanReport) -> Filters {
    let mut f = Filters::default();
    for s in &report.servers {
        let v = Choice::new(s.verdict.as_str(), super::labels::verdict_label(s.verdict));
        if !f.verdicts.contains(&v) {
            f.verdicts.push(v);
        }
        if let Some(site) = &s.group.site {
            if !f.sites.contains(site) {
                f.sites.push(site.clone());
            }
        }
        let role = super::triage::server_role(report, s);
        if !role.is_empty() && !f.server_roles.iter().any(|r| r.id == role) {
            f.server_roles
                .push(Choice::new(role, super::labels::server_role(role)));
        }
    }
    let mut roles: Vec<_> = report.endpoints.iter().map(|e| e.endpoint.role).collect();
    roles.sort();
    roles.dedup();
    f.roles = roles
        .into_iter()
        .map(|r| Choice::new(r.as_str(), super::labels::port_role(r)))
        .collect();
    f.verdicts.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    f.sites.sort();
    f.server_roles.sort();
    f
}

/// The roles (`frontend`, `backend`) where a server has a warning or
/// critical finding, space-separated: what the card's role filter matches.
pub fn problem_roles(report: &ScanReport, s: &ServerReport) -> String {
    let mut roles: Vec<&str> = endpoints(report, s)
        .into_iter()
        .filter(|e| e.worst().is_some_and(|w| w <= Severity::Warning))
        .map(|e| e.endpoint.role.as_str())
        .collect();
    roles.dedup();
    roles.join(" ")
}

/// One AD site of the per-site summary.
#[derive(Debug, Default, Serialize)]
pub struct SiteRow {
    /// The site's name.
    pub name: String,
    /// Servers in the site.
    pub servers: usize,
    /// Servers graded critical.
    pub critical: usize,
    /// Servers graded warning.
    pub warning: usize,
    /// Servers graded info.
    pub info: usize,
    /// Healthy servers.
    pub ok: usize,
}

/// Servers by grade per AD site, sites sorted; empty when no server has a
/// known site (a list of names says nothing about sites).
pub fn sites(report: &ScanReport) -> Vec<SiteRow> {
    let mut rows: Vec<SiteRow> = Vec::new();
    for s in &report.servers {
        let Some(site) = &s.group.site else { continue };
        let i = match rows.iter().position(|r| &r.name == site) {
            Some(i) => i,
            None => {
                rows.push(SiteRow {
                    name: site.clone(),
                    ..SiteRow::default()
                });
                rows.len() - 1
            }
        };
        let Some(row) = rows.get_mut(i) else { continue };
        row.servers += 1;
        match s.severity {
            crate::model::Grade::Critical => row.critical += 1,
            crate::model::Grade::Warning => row.warning += 1,
            crate::model::Grade::Info => row.info += 1,
            crate::model::Grade::Ok => row.ok += 1,
        }
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
}
