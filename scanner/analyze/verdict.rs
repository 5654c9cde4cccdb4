//! One verdict per server, a sentence, and numbered remediation steps.
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
//! 4. `fix-backend-binding`: 444 works but presents the wrong cert (WMSvc,
//!    Auth, public, another server's). Nothing is broken today.
//! 5. `investigate`: an endpoint could not be scanned, or presented garbage.
//!    Never counted healthy, but a known problem is acted on first.
//! 6. `review`: other warnings (missing intermediate, TLS 1.2 not enabled)
//!    that need a look but none of the above.
//! 7. `ok`: nothing at warning or above.

use crate::model::{Classification, EndpointReport, Finding, FindingId, Grade, Role, Severity};

use super::rules::{already_renewed, backend_renewal_steps, bind_renewed_steps, UNKNOWN_PUBLIC};

pub use crate::model::Verdict;

/// Which verdict a finding calls for, given the role of its endpoint.
pub fn verdict_for(id: FindingId, role: Role) -> Verdict {
    use FindingId::*;
    match (id, role) {
        (BackendCertExpired | BackendCertExpiring, _) => Verdict::RenewBackend,
        (PublicBindingLost | PublicCertInconsistent, _) => Verdict::RebindPublicCert,
        (NotYetValid, Role::Frontend) => Verdict::RebindPublicCert,
        (NotYetValid, Role::Backend) => Verdict::FixBackendBinding,
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
    pub remediation: Vec<String>,
}

/// Judge one server from its endpoints (already carrying their findings).
/// `public` is the public cert thumbprint to bind (own or fleet majority).
pub(crate) fn judge(
    host: &str,
    endpoints: &[&EndpointReport],
    public: Option<&str>,
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
    let all: Vec<(&EndpointReport, &Finding)> = all
        .into_iter()
        .filter(|(_, f)| f.severity <= Severity::Warning)
        .collect();
    let has = |id: FindingId| all.iter().any(|(_, f)| f.id == id);
    let first = |id: FindingId| all.iter().find(|(_, f)| f.id == id).map(|(e, _)| *e);

    let mut steps: Vec<String> = Vec::new();

    let renew_backend = first(FindingId::BackendCertExpired)
        .or_else(|| first(FindingId::BackendCertExpiring))
        .filter(|e| renewable_backend(e));
    let renewed = renew_backend.and_then(|e| already_renewed(e, endpoints));
    if let (Some(_), Some(new)) = (renew_backend, renewed) {
        steps.extend(strip_numbers(bind_renewed_steps(host, new, public)));
    } else if let Some(e) = renew_backend {
        let old = e.leaf().map_or("<backend thumbprint>", |l| l.sha1.as_str());
        steps.extend(strip_numbers(backend_renewal_steps(host, old, public)));
    } else if has(FindingId::BackendUnexpectedCert)
        || has(FindingId::BackendCertExpired)
        || has(FindingId::BackendCertExpiring)
        || (has(FindingId::NotYetValid) && role_has(&all, FindingId::NotYetValid, Role::Backend))
    {
        steps.push(format!(
            "Find {host}'s own \"Microsoft Exchange\" certificate (Get-ExchangeCertificate | \
             Where-Object FriendlyName -eq 'Microsoft Exchange'); create one with \
             New-ExchangeCertificate and copy it to Trusted Root if it is missing or expired."
        ));
        steps.push(
            "In IIS Manager open Exchange Back End > Bindings > https 444 and select that \
             certificate, keeping All Unassigned (*:444)."
                .into(),
        );
        steps.push(format!(
            "Run iisreset: off-hours on a standalone server, or after moving the active databases \
             off {host} in a DAG."
        ));
    }
    let inconsistent = all
        .iter()
        .find(|(_, f)| f.id == FindingId::PublicCertInconsistent);
    if renew_backend.is_none()
        && (has(FindingId::PublicBindingLost)
            || role_has(&all, FindingId::NotYetValid, Role::Frontend))
    {
        steps.push(format!(
            "Re-enable IIS on the public certificate on {host}: Enable-ExchangeCertificate \
             -Thumbprint {} -Services IIS (import it first with Import-ExchangeCertificate if it \
             is not on this server).",
            public.unwrap_or(UNKNOWN_PUBLIC)
        ));
    } else if let (None, Some((_, f))) = (renew_backend, inconsistent) {
        steps.push(f.remediation.clone());
    }
    let renew_public_expiry = all.iter().any(|(e, f)| {
        (f.id == FindingId::FrontendCertExpired || f.id == FindingId::FrontendCertExpiring)
            && !e.lags_fleet
    });
    if renew_public_expiry
        || has(FindingId::FrontendCertUntrusted)
        || has(FindingId::NameMismatch)
        || (has(FindingId::WeakKey) && role_has(&all, FindingId::WeakKey, Role::Frontend))
        || (has(FindingId::WeakSignature)
            && role_has(&all, FindingId::WeakSignature, Role::Frontend))
    {
        let current = endpoints
            .iter()
            .find(|e| e.endpoint.role == Role::Frontend)
            .and_then(|e| e.leaf())
            .map_or("the current certificate".to_string(), |l| l.sha1.clone());
        steps.push(format!(
            "Get a new public certificate from your CA (SHA-256, RSA 2048+, every namespace in \
             the SAN) to replace {current}; import it on every server with \
             Import-ExchangeCertificate."
        ));
        steps.push(format!(
            "On {host} run Enable-ExchangeCertificate -Thumbprint <new> -Services IIS."
        ));
    }
    if has(FindingId::ChainIncomplete) {
        steps.extend(
            all.iter()
                .filter(|(_, f)| f.id == FindingId::ChainIncomplete)
                .map(|(_, f)| f.remediation.clone())
                .take(1),
        );
    }
    if has(FindingId::LegacyTlsOnly) {
        steps.extend(
            all.iter()
                .filter(|(_, f)| f.id == FindingId::LegacyTlsOnly)
                .map(|(_, f)| f.remediation.clone())
                .take(1),
        );
    }
    for (e, f) in all
        .iter()
        .filter(|(_, f)| f.id == FindingId::EndpointNotScanned || f.id == FindingId::CertUnparsable)
    {
        steps.push(format!(
            "{}:{}: {}",
            e.endpoint.host, e.endpoint.port, f.remediation
        ));
    }
    if renew_backend.is_some() {
        steps.push(
            "Repeat on every DAG member: each has its own self-signed certificate and must be \
             checked and renewed on its own."
                .into(),
        );
    }
    let remediation = steps
        .into_iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {}", i + 1, s))
        .collect();
    ServerVerdict {
        verdict,
        grade,
        summary,
        remediation,
    }
}

fn role_has(all: &[(&EndpointReport, &Finding)], id: FindingId, role: Role) -> bool {
    all.iter()
        .any(|(e, f)| f.id == id && e.endpoint.role == role)
}

/// The renewal steps are numbered on their own; the server list renumbers.
fn strip_numbers(steps: Vec<String>) -> Vec<String> {
    steps
        .into_iter()
        .map(|s| match s.split_once(". ") {
            Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => rest.to_string(),
            _ => s,
        })
        .collect()
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
            let when = leaf.map_or(String::new(), |l| {
                if l.days_left < 0 {
                    format!(" expired on {}", l.not_after.date())
                } else {
                    format!(" expires on {} ({} days)", l.not_after.date(), l.days_left)
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
            } else if all.iter().any(|(_, f)| f.id == FindingId::PublicCertInconsistent) {
                format!("{host}: 443 presents a different public certificate from the rest of the fleet; bind the fleet's certificate.")
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
                .map(|e| format!("{}: {}", e.endpoint.port, e.status.as_str()))
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
