//! What the store adds to what a port presents: a renewed certificate
//! that waits unbound, and an IIS certificate 443 does not present.

use super::facts::{is_auth, label, names_key, valid_at};
use super::{Ctx, StoreFinding, View};
use crate::analyze::{catalog, remediation};
use crate::model::{
    CertFacts, Classification, ExchangeService, FindingId, Role, Severity, StoreCertificate,
    Verdict,
};

fn same_names(a: &[String], b: &[String]) -> bool {
    !a.is_empty() && names_key(a) == names_key(b)
}

/// Whether store record `c` is a renewal of `leaf`: another certificate of
/// the same kind (friendly name or names), valid now, expiring later.
fn renews(c: &StoreCertificate, leaf: &CertFacts, as_of: time::OffsetDateTime) -> bool {
    c.thumbprint != leaf.sha1
        && !is_auth(c)
        && valid_at(c, as_of)
        && leaf.not_after.is_some_and(|t| c.not_after > t)
        && (leaf
            .friendly_name
            .as_deref()
            .is_some_and(|f| !f.is_empty() && c.friendly_name.as_deref() == Some(f))
            || same_names(&c.names, &leaf.sans))
}

/// Ports presenting a certificate older than a valid one of the same kind
/// that waits in this server's store. Each finding names its endpoint, so
/// the verdict binds the renewal instead of renewing again.
pub(super) fn renewed(ctx: &Ctx<'_>, v: &View<'_>) -> Vec<StoreFinding> {
    let as_of = ctx.settings.as_of;
    let mut out = Vec::new();
    for (i, e) in v.endpoints(ctx.wire) {
        let Some(leaf) = e.leaf.filter(|_| e.answered) else {
            continue;
        };
        // EdgeSync and --tls-port services do not take their certificate
        // from Exchange's services: binding a renewal there is not a step
        // this export can tell.
        if matches!(e.role, Role::Edgesync | Role::Other) {
            continue;
        }
        let Some(c) = v
            .certs(ctx.certs)
            .filter(|c| renews(c, leaf, as_of))
            .max_by_key(|c| c.not_after)
        else {
            continue;
        };
        let port = e.port;
        let services = match c.services.as_deref() {
            Some([]) => ", enabled for no service".to_string(),
            Some(s) => format!(", enabled for {}", ExchangeService::join(s, ", ")),
            None => String::new(),
        };
        let steps = remediation::enable_renewed(&v.host, port, &leaf.sha1, &c.thumbprint, e.role);
        let verdict = match e.role {
            Role::Frontend => Verdict::RebindPublicCert,
            Role::Backend => Verdict::FixBackendBinding,
            Role::Smtp | Role::Imap | Role::Pop => Verdict::FixTransportCert,
            Role::LoadBalancer | Role::Edgesync | Role::Other => Verdict::Review,
        };
        out.push(StoreFinding {
            finding: super::certs::about(
                c,
                catalog::finding(
                    FindingId::RenewedCertNotBound,
                    Severity::Warning,
                    format!(
                        "{}:{port} presents {} ({}, expires {}), but {}'s store holds {}, valid \
                     until {}{services}: it was renewed but never bound.",
                        e.host,
                        leaf.subject,
                        leaf.sha1,
                        leaf.not_after_text(),
                        v.host,
                        label(c),
                        c.not_after.date()
                    ),
                    steps,
                ),
            ),
            verdict,
            endpoint: Some(i),
            port: Some(port),
        });
    }
    out
}

/// How many idle IIS certificates a drift finding names.
const NAMED: usize = 5;

fn has_iis(c: &StoreCertificate) -> bool {
    c.services
        .as_ref()
        .is_some_and(|s| s.contains(&ExchangeService::Iis))
}

/// The certificate 443 presents (`c`), when the store lists its services
/// and IIS is not among them.
fn presented_not_for_iis(c: &StoreCertificate) -> Option<String> {
    let services = c.services.as_deref()?;
    if has_iis(c) {
        return None;
    }
    let services = if services.is_empty() {
        "no service".to_string()
    } else {
        ExchangeService::join(services, ", ")
    };
    Some(format!(
        "443 presents {}, which the store has enabled for {services}, not IIS",
        label(c)
    ))
}

/// 443 against the store's IIS service flag.
pub(super) fn drift(ctx: &Ctx<'_>, v: &View<'_>) -> Option<StoreFinding> {
    let (_, front) = v
        .endpoints(ctx.wire)
        .find(|(_, e)| e.role == Role::Frontend && e.answered)?;
    let leaf = front.leaf?;
    let mut why: Vec<String> = v
        .certs(ctx.certs)
        .find(|c| c.thumbprint == leaf.sha1)
        .and_then(presented_not_for_iis)
        .into_iter()
        .collect();
    // 444 presents the server's own certificate, which Exchange also lists
    // with IIS: only an IIS certificate no scanned port presents drifts.
    let all_scanned = v.endpoints(ctx.wire).all(|(_, e)| e.answered);
    let idle: Vec<&StoreCertificate> = v
        .certs(ctx.certs)
        .filter(|c| has_iis(c) && c.bound.is_empty() && !is_auth(c))
        .collect();
    if all_scanned {
        // A few named, the rest counted: a detail stays a sentence.
        for c in idle.iter().take(NAMED) {
            why.push(format!(
                "the store has {} enabled for IIS, but 443 presents {} ({})",
                label(c),
                leaf.subject,
                leaf.sha1
            ));
        }
        if idle.len() > NAMED {
            why.push(format!(
                "and {} more certificates enabled for IIS",
                idle.len() - NAMED
            ));
        }
    }
    if why.is_empty() {
        return None;
    }
    let intended = idle
        .iter()
        .filter(|c| c.classification == Classification::CaIssued)
        .max_by_key(|c| c.not_after)
        .map(|c| c.thumbprint.as_str());
    Some(StoreFinding {
        finding: catalog::finding(
            FindingId::StoreBindingDrift,
            Severity::Warning,
            format!(
                "On {}: {}. Usually an Enable-ExchangeCertificate waiting for an iisreset, or a \
                 binding changed in IIS Manager.",
                v.host,
                why.join("; ")
            ),
            remediation::check_iis_binding(&v.host, front.port, intended),
        ),
        verdict: Verdict::Review,
        endpoint: None,
        port: None,
    })
}
