//! One verdict per server, a sentence, and its remediation steps (written
//! by [`super::remediation`]).
//!
//! # Verdict precedence
//!
//! Only warning and critical findings decide a verdict; info never does.
//! The most severe finding wins. Among equally severe findings the order is:
//!
//! 1. `rebind-public-cert`: 443 lost its public cert, presents a different
//!    one from the fleet, or presents a cert that is not valid yet. Every
//!    client of this server is affected now (Outlook and browser warnings,
//!    ActiveSync, Autodiscover, hybrid), and the fix is one
//!    `Enable-ExchangeCertificate` with a thumbprint we already know. A lost
//!    binding is usually the trace of a backend renewal (the renewal trap),
//!    so it often comes with an expiring 444: the steps then say whether the
//!    renewed cert already exists (443 presents it: bind it to 444, no new
//!    renewal) or must still be made (renew first, re-enable IIS last, since
//!    a renewal would move IIS again).
//! 2. `renew-backend`: an expired or expiring backend (444) cert, the
//!    server's own Exchange cert. Breaks proxying to this server and remote
//!    PowerShell, and the next CU setup.
//! 3. `renew-public-cert`: the public cert itself is wrong: expiring,
//!    untrusted, missing a namespace, weak. This needs the CA, so it is slower
//!    and usually fleet-wide.
//!    (`rotate-auth-cert`, from `--inventory`, comes next.)
//! 4. `fix-transport-cert`: an SMTP, IMAP or POP port presents an expired,
//!    expiring or not-yet-valid certificate, its own self-signed one where
//!    the fleet's same port presents the public one (the transport side of
//!    the renewal trap), or offers no STARTTLS. Mail flow with Exchange
//!    Online and partners depends on it; a refused or filtered mail port
//!    is only info and never decides a verdict.
//! 5. `fix-backend-binding`: 444 works but presents the wrong cert (WMSvc,
//!    Auth, public, another server's). Nothing is broken today.
//! 6. `investigate`: an endpoint could not be scanned, or presented garbage.
//!    Never counted healthy, but a known problem is acted on first.
//! 7. `review`: other warnings (missing intermediate, TLS 1.2 not enabled)
//!    that need a look but none of the above.
//! 8. `ok`: nothing at warning or above.

use crate::model::{Classification, EndpointReport, Finding, FindingId, Grade, Role, Severity};

use super::remediation::{self, Step, Task};
use super::rules::already_renewed;

pub use crate::model::Verdict;

/// Which verdict a finding calls for, given the role of its endpoint.
pub fn verdict_for(id: FindingId, role: Role) -> Verdict {
    use FindingId::*;
    match (id, role) {
        (BackendCertExpired | BackendCertExpiring, _) => Verdict::RenewBackend,
        (PublicBindingLost | PublicCertInconsistent, _) => Verdict::RebindPublicCert,
        (NotYetValid, Role::Frontend) => Verdict::RebindPublicCert,
        (NotYetValid, Role::Backend) => Verdict::FixBackendBinding,
        (NameMismatch, Role::Smtp | Role::Imap | Role::Pop) => Verdict::FixTransportCert,
        (FrontendCertExpired | FrontendCertExpiring | FrontendCertUntrusted | NameMismatch, _) => {
            Verdict::RenewPublicCert
        }
        (WeakSignature | WeakKey, Role::Frontend) => Verdict::RenewPublicCert,
        // Only raised on 444.
        (WeakSignature | WeakKey, Role::Backend) | (BackendUnexpectedCert, _) => {
            Verdict::FixBackendBinding
        }
        (EndpointNotScanned | CertUnparsable, _) => Verdict::Investigate,
        (ChainIncomplete | LegacyTlsOnly | LegacyProtocolsEnabled | SniDependentCert, _) => {
            Verdict::Review
        }
        (
            SmtpCertExpired | SmtpCertExpiring | ImapCertExpired | ImapCertExpiring
            | PopCertExpired | PopCertExpiring | StarttlsNotOffered | SmtpCertInconsistent,
            _,
        ) => Verdict::FixTransportCert,
        (
            NotYetValid | WeakSignature | WeakKey | RenewedCertNotBound,
            Role::Smtp | Role::Imap | Role::Pop,
        ) => Verdict::FixTransportCert,
        (AuthCertExpired | AuthCertExpiring | AuthCertMissing, _) => Verdict::RotateAuthCert,
        (RenewedCertNotBound, Role::Frontend) => Verdict::RebindPublicCert,
        (RenewedCertNotBound, Role::Backend) => Verdict::FixBackendBinding,
        (StoreBindingDrift | HybridConnectorCertInvalid, _) => Verdict::Review,
    }
}

/// Whether a backend leaf is one to renew: the server's own Exchange cert.
/// Anything else on 444 (WMSvc, Auth, CA-issued, another server's) is a
/// binding problem, and renewing it would only entrench the wrong binding.
fn renewable_backend(e: &EndpointReport) -> bool {
    e.leaf()
        .is_some_and(|l| l.classification == Classification::ExchangeSelfSigned)
        && !e
            .findings
            .iter()
            .any(|f| f.id == FindingId::BackendUnexpectedCert)
}

/// The verdict a finding on this endpoint calls for. Backend expiry on a
/// cert that should not be on 444 at all calls for a rebinding; so does
/// frontend expiry on a server that lags behind the fleet's newer public
/// cert (the fleet's cert is already there to bind, nothing to renew).
fn verdict_on(e: &EndpointReport, f: &Finding) -> Verdict {
    match verdict_for(f.id, e.endpoint.role) {
        Verdict::RenewBackend if !renewable_backend(e) => Verdict::FixBackendBinding,
        Verdict::RenewPublicCert
            if (f.id == FindingId::FrontendCertExpired
                || f.id == FindingId::FrontendCertExpiring)
                && e.lags_fleet =>
        {
            Verdict::RebindPublicCert
        }
        v => v,
    }
}

/// The verdict, grade, summary and steps for one server.
pub(crate) struct ServerVerdict {
    pub verdict: Verdict,
    pub grade: Grade,
    pub summary: String,
    pub steps: Vec<Step>,
}

/// Judge one server from its endpoints (already carrying their findings).
/// `public` is the public cert thumbprint to bind (own or fleet majority).
pub(crate) fn judge(
    host: &str,
    endpoints: &[&EndpointReport],
    public: Option<&str>,
    verify: &str,
) -> ServerVerdict {
    let all: Vec<(&EndpointReport, &Finding)> = endpoints
        .iter()
        .flat_map(|e| e.findings.iter().map(move |f| (*e, f)))
        .collect();
    let grade = all
        .iter()
        .map(|(_, f)| Grade::from(f.severity))
        .min()
        .unwrap_or(Grade::Ok);
    let verdict = all
        .iter()
        .filter(|(_, f)| f.severity <= Severity::Warning)
        .map(|(e, f)| (f.severity, verdict_on(e, f)))
        .min()
        .map_or(Verdict::Ok, |(_, v)| v);
    let summary = summary(host, verdict, &all, endpoints);
    // Steps come only from what needs action: info findings add none.
    let actionable: Vec<(&EndpointReport, &Finding)> = all
        .into_iter()
        .filter(|(_, f)| f.severity <= Severity::Warning)
        .collect();
    let mut steps = steps(host, endpoints, &actionable, public);
    if !steps.is_empty() {
        let group = endpoints
            .iter()
            .map(|e| &e.endpoint.group)
            .find(|g| !g.is_empty());
        if group.is_some_and(crate::targets::is_edge)
            && steps
                .iter()
                .any(|s| matches!(s.task, Task::RenewBackend | Task::ReplacePublic))
        {
            steps.push(remediation::edge_subscription(host));
        }
        steps.push(remediation::verify(host, verify));
    }
    ServerVerdict {
        verdict,
        grade,
        summary,
        steps,
    }
}

/// The server's steps, in the order to do them: the backend first, then the
/// public binding or certificate, then the rest.
fn steps(
    host: &str,
    endpoints: &[&EndpointReport],
    all: &[(&EndpointReport, &Finding)],
    public: Option<&str>,
) -> Vec<Step> {
    let has = |id: FindingId| all.iter().any(|(_, f)| f.id == id);
    let first = |id: FindingId| all.iter().find(|(_, f)| f.id == id).map(|(e, _)| *e);
    // The steps a finding already carries (the first such finding's).
    let steps_of = |id: FindingId| {
        all.iter()
            .find(|(_, f)| f.id == id)
            .map(|(_, f)| f.remediation_steps.clone())
            .unwrap_or_default()
    };

    let mut steps: Vec<Step> = Vec::new();

    let renew_backend = first(FindingId::BackendCertExpired)
        .or_else(|| first(FindingId::BackendCertExpiring))
        .filter(|e| renewable_backend(e));
    let renewed = renew_backend.and_then(|e| already_renewed(e, endpoints));
    let lost = has(FindingId::PublicBindingLost);
    if let (Some(_), Some(new)) = (renew_backend, renewed) {
        // 443 first: it lost the public certificate to the renewed one.
        steps.push(remediation::rebind_public(host, public));
        steps.extend(remediation::bind_renewed(host, new));
    } else if let Some((e, old)) = renew_backend.and_then(|e| Some((e, e.leaf()?))) {
        // 443 first: the re-created certificate never moves it, but a
        // binding already lost must not wait for the off-hours iisreset.
        if lost {
            steps.push(remediation::rebind_public(host, public));
        }
        steps.extend(remediation::renew_backend(host, &e.endpoint.group, old));
    } else if has(FindingId::BackendUnexpectedCert)
        || has(FindingId::BackendCertExpired)
        || has(FindingId::BackendCertExpiring)
        || role_has(all, FindingId::NotYetValid, Role::Backend)
    {
        steps.extend(remediation::fix_backend_binding(host));
    }
    if renew_backend.is_none()
        && (has(FindingId::PublicBindingLost)
            || role_has(all, FindingId::NotYetValid, Role::Frontend))
    {
        steps.push(remediation::rebind_public(host, public));
    } else if renew_backend.is_none() {
        // An expiring certificate with a newer one already rolled out on
        // other servers: its finding carries the roll-out step.
        if let Some((_, f)) = all.iter().find(|(e, f)| {
            e.lags_fleet
                && matches!(
                    f.id,
                    FindingId::FrontendCertExpired | FindingId::FrontendCertExpiring
                )
        }) {
            steps.extend(f.remediation_steps.iter().cloned());
        }
    }
    let renew_public_expiry = all.iter().any(|(e, f)| {
        matches!(
            f.id,
            FindingId::FrontendCertExpired | FindingId::FrontendCertExpiring
        ) && !e.lags_fleet
    });
    if renew_public_expiry
        || has(FindingId::FrontendCertUntrusted)
        || role_has(all, FindingId::NameMismatch, Role::Frontend)
        || role_has(all, FindingId::WeakKey, Role::Frontend)
        || role_has(all, FindingId::WeakSignature, Role::Frontend)
    {
        let current = endpoints
            .iter()
            .find(|e| e.endpoint.role == Role::Frontend)
            .and_then(|e| e.leaf())
            .map(|l| l.sha1.as_str());
        steps.extend(remediation::new_public_cert(host, current));
    }
    // Mail ports: each finding carries its own steps (port, service and
    // thumbprints differ per port); the connector check is given once.
    for (_, f) in all
        .iter()
        .filter(|(e, f)| verdict_for(f.id, e.endpoint.role) == Verdict::FixTransportCert)
    {
        for step in &f.remediation_steps {
            if !steps.contains(step) {
                steps.push(step.clone());
            }
        }
    }
    steps.extend(steps_of(FindingId::ChainIncomplete));
    steps.extend(steps_of(FindingId::LegacyTlsOnly));
    for (e, f) in all.iter().filter(|(_, f)| {
        matches!(
            f.id,
            FindingId::EndpointNotScanned | FindingId::CertUnparsable
        )
    }) {
        steps.extend(remediation::at_endpoint(
            &e.endpoint.host,
            e.endpoint.port,
            &f.remediation_steps,
        ));
    }
    if renew_backend.is_some() {
        steps.push(remediation::repeat_on_dag_members(host));
    }
    steps
}

fn role_has(all: &[(&EndpointReport, &Finding)], id: FindingId, role: Role) -> bool {
    all.iter()
        .any(|(e, f)| f.id == id && e.endpoint.role == role)
}

fn summary(
    host: &str,
    verdict: Verdict,
    all: &[(&EndpointReport, &Finding)],
    endpoints: &[&EndpointReport],
) -> String {
    let leaf_of = |id: FindingId| {
        all.iter()
            .find(|(_, f)| f.id == id)
            .and_then(|(e, _)| e.leaf())
    };
    match verdict {
        Verdict::RenewBackend => {
            let leaf = leaf_of(FindingId::BackendCertExpired).or_else(|| leaf_of(FindingId::BackendCertExpiring));
            let when = leaf.and_then(|l| l.days_left.map(|d| (l, d))).map_or(String::new(), |(l, d)| {
                if d < 0 {
                    format!(" expired on {}", l.not_after_text())
                } else {
                    format!(" expires on {} ({d} days)", l.not_after_text())
                }
            });
            let lost = if all.iter().any(|(_, f)| f.id == FindingId::PublicBindingLost) {
                ", and 443 lost its public certificate"
            } else {
                ""
            };
            format!("{host}: the backend (444) certificate{when}{lost}; renew it.")
        }
        Verdict::RebindPublicCert => {
            let backend = all
                .iter()
                .any(|(_, f)| f.id == FindingId::BackendCertExpired || f.id == FindingId::BackendCertExpiring);
            if all.iter().any(|(_, f)| f.id == FindingId::PublicBindingLost) && backend {
                format!("{host}: 443 presents a self-signed certificate and the backend (444) certificate needs renewing; re-enable IIS on the public certificate and fix 444.")
            } else if all.iter().any(|(_, f)| f.id == FindingId::PublicBindingLost) {
                format!("{host}: 443 presents a self-signed certificate; re-enable IIS on the public certificate.")
            } else if endpoints.iter().any(|e| e.lags_fleet) {
                format!("{host}: 443 presents an older public certificate than the one already rolled out to other servers; roll the newest one out here.")
            } else {
                format!("{host}: 443 presents a certificate that is not valid yet; bind a valid one.")
            }
        }
        Verdict::RenewPublicCert => format!(
            "{host}: the public (443) certificate needs replacing ({}).",
            ids(all, |v| v == Verdict::RenewPublicCert, endpoints)
        ),
        Verdict::FixBackendBinding => format!(
            "{host}: 444 presents the wrong certificate; bind the server's own \"Microsoft Exchange\" certificate."
        ),
        Verdict::Investigate => {
            let failed: Vec<String> = endpoints
                .iter()
                .filter(|e| e.findings.iter().any(|f| f.id == FindingId::EndpointNotScanned || f.id == FindingId::CertUnparsable))
                .map(|e| {
                    // It answered, but what it sent could not be read.
                    let what = if e.status == crate::model::Status::Ok {
                        "unparsable certificate"
                    } else {
                        e.status.as_str()
                    };
                    format!("{}: {what}", e.endpoint.port)
                })
                .collect();
            format!(
                "{host}: could not be fully scanned (port {}); not counted healthy.",
                failed.join(", ")
            )
        }
        Verdict::Review => format!(
            "{host}: needs a look ({}).",
            ids(all, |v| v == Verdict::Review, endpoints)
        ),
        Verdict::RotateAuthCert => format!(
            "{host}: the Exchange Server Auth Certificate (OAuth) needs rotating or importing."
        ),
        Verdict::FixTransportCert => transport_summary(host, all),
        Verdict::Ok => format!("{host}: no action needed."),
    }
}

fn ids(
    all: &[(&EndpointReport, &Finding)],
    keep: impl Fn(Verdict) -> bool,
    _endpoints: &[&EndpointReport],
) -> String {
    let mut ids: Vec<&str> = all
        .iter()
        .filter(|(e, f)| f.severity <= Severity::Warning && keep(verdict_on(e, f)))
        .map(|(_, f)| f.id.as_str())
        .collect();
    let mut seen = Vec::new();
    ids.retain(|id| {
        let first = !seen.contains(id);
        seen.push(*id);
        first
    });
    ids.join(", ")
}

/// `ex02: SMTP 25 presents its own self-signed certificate unlike the
/// fleet; ...`: what is wrong on which mail port, worst first.
fn transport_summary(host: &str, all: &[(&EndpointReport, &Finding)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (e, f) in all.iter().filter(|(e, f)| {
        f.severity <= Severity::Warning
            && verdict_for(f.id, e.endpoint.role) == Verdict::FixTransportCert
    }) {
        let what = match f.id {
            FindingId::SmtpCertExpired | FindingId::ImapCertExpired | FindingId::PopCertExpired => {
                "certificate expired"
            }
            FindingId::SmtpCertExpiring
            | FindingId::ImapCertExpiring
            | FindingId::PopCertExpiring => "certificate expiring",
            FindingId::StarttlsNotOffered => "no STARTTLS",
            FindingId::SmtpCertInconsistent => {
                "self-signed where the fleet presents its public certificate"
            }
            _ => f.title.as_str(),
        };
        let part = format!(
            "{} {}: {what}",
            e.endpoint.role.as_str().to_ascii_uppercase(),
            e.endpoint.port
        );
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    format!(
        "{host}: mail transport needs a certificate fix ({}).",
        parts.join("; ")
    )
}
