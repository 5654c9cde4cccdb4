//! A VIP's verdict: decided apart from the servers', since none of the
//! servers' verdicts (renew the backend, rebind IIS, ...) is work on a
//! balancer, and none of their steps may run against it.

use crate::model::{EndpointReport, Finding, FindingId, Grade, Role, Severity};

use crate::analyze::hostnames;
use crate::analyze::remediation::{self, Step};
use crate::analyze::verdict::{ServerInput, ServerVerdict, Verdict};

/// Whether every endpoint of a host is a VIP: the host is a balancer.
pub(crate) fn is_balancer(endpoints: &[&EndpointReport]) -> bool {
    !endpoints.is_empty()
        && endpoints
            .iter()
            .all(|e| e.endpoint.role == Role::LoadBalancer)
}

/// The balancer's certificate findings: fixed on the balancer.
fn on_balancer(id: FindingId) -> bool {
    matches!(
        id,
        FindingId::LbCertMismatch
            | FindingId::LbCertExpired
            | FindingId::LbCertExpiring
            | FindingId::LbCertUntrusted
            | FindingId::LbNameMismatch
            | FindingId::NotYetValid
            | FindingId::CertUnparsable
    )
}

/// The verdict of a host whose endpoints are all VIPs.
pub(crate) fn decide(input: &ServerInput<'_>) -> ServerVerdict {
    let host = input.host;
    let all: Vec<(&EndpointReport, &Finding)> = input
        .endpoints
        .iter()
        .flat_map(|e| e.findings.iter().map(move |f| (*e, f)))
        .collect();
    let grade = all
        .iter()
        .map(|(_, f)| Grade::from(f.severity))
        .min()
        .unwrap_or(Grade::Ok);
    let mut actionable: Vec<&(&EndpointReport, &Finding)> = all
        .iter()
        .filter(|(_, f)| f.severity <= Severity::Warning)
        .collect();
    // The worst first, the balancer's certificate before the rest, so the
    // first step is what the verdict says.
    actionable.sort_by_key(|(_, f)| (f.severity, !on_balancer(f.id)));
    let verdict = if actionable.iter().any(|(_, f)| on_balancer(f.id)) {
        Verdict::FixLoadBalancerCert
    } else if actionable
        .iter()
        .any(|(_, f)| f.id == FindingId::EndpointNotScanned)
    {
        Verdict::Investigate
    } else if actionable.is_empty() {
        Verdict::Ok
    } else {
        Verdict::Review
    };
    let mut steps: Vec<Step> = Vec::new();
    for step in actionable.iter().flat_map(|(_, f)| &f.remediation_steps) {
        if !steps.contains(step) {
            steps.push(step.clone());
        }
    }
    // A balancer ahead of its servers is followed by them: the summary
    // says the direction the first step takes.
    let servers_follow = steps
        .first()
        .is_some_and(|s| s.task == crate::model::Task::ImportCertificate);
    if let Some(verify) = input.verify.filter(|_| !steps.is_empty()) {
        steps.push(remediation::verify_balancer(host, verify));
    }
    ServerVerdict {
        verdict,
        grade,
        summary: summary(host, verdict, &actionable, input.endpoints, servers_follow),
        steps,
    }
}

/// The line that checks the fix: the VIP again, on the ports it was
/// scanned on, with the servers whose 443 certificate covers one of its
/// namespaces, to compare with.
pub(crate) fn verify_command(
    host: &str,
    vip: &[&EndpointReport],
    all: &[EndpointReport],
    settings: &crate::config::AnalysisSettings,
) -> String {
    let names = namespaces(vip);
    let ports = |role: Role| {
        let mut p: Vec<u16> = vip
            .iter()
            .filter(|e| e.endpoint.speaks() == role)
            .map(|e| e.endpoint.port)
            .collect();
        p.sort_unstable();
        p.dedup();
        p
    };
    let mut servers: Vec<&str> = Vec::new();
    for e in all.iter().filter(|e| e.endpoint.role == Role::Frontend) {
        let serves = e
            .leaf()
            .is_some_and(|l| names.iter().any(|n| hostnames::covers(l, n)));
        if serves
            && !servers
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&e.endpoint.host))
        {
            servers.push(&e.endpoint.host);
        }
    }
    remediation::balancer_verify_command(
        host,
        &names,
        (&ports(Role::Frontend), &ports(Role::Smtp)),
        &servers,
        settings,
    )
}

/// The namespaces a balancer host serves, in endpoint order.
pub(crate) fn namespaces<'a>(endpoints: &[&'a EndpointReport]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for e in endpoints {
        let n = e.endpoint.sni.as_deref().unwrap_or(&e.endpoint.host);
        if !out.iter().any(|o| o.eq_ignore_ascii_case(n)) {
            out.push(n);
        }
    }
    out
}

fn summary(
    host: &str,
    verdict: Verdict,
    actionable: &[&(&EndpointReport, &Finding)],
    endpoints: &[&EndpointReport],
    servers_follow: bool,
) -> String {
    let what = format!(
        "{host}: load balancer for {}",
        namespaces(endpoints).join(", ")
    );
    let mut ids: Vec<&str> = Vec::new();
    for (_, f) in actionable {
        if !ids.contains(&f.id.as_str()) {
            ids.push(f.id.as_str());
        }
    }
    let mismatch = ids.contains(&FindingId::LbCertMismatch.as_str());
    match verdict {
        Verdict::Ok => format!("{what}; no action needed."),
        Verdict::FixLoadBalancerCert if mismatch && servers_follow => format!(
            "{what}; it presents a newer certificate than the servers behind it, and \
             Extended Protection needs the same one on both: put the balancer's certificate on \
             the servers ({}).",
            ids.join(", ")
        ),
        Verdict::FixLoadBalancerCert if mismatch => {
            format!(
                "{what}; it presents another certificate than the servers behind it, which \
                 Extended Protection does not allow: put the servers' certificate on the \
                 balancer ({}).",
                ids.join(", ")
            )
        }
        Verdict::FixLoadBalancerCert => format!(
            "{what}; its certificate needs replacing on the balancer ({}).",
            ids.join(", ")
        ),
        Verdict::Investigate => {
            format!("{what}; could not be fully scanned; not counted healthy.")
        }
        _ => format!("{what}; needs a look ({}).", ids.join(", ")),
    }
}
