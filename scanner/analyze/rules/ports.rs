//! EdgeSync LDAPS on Edge servers, and the ports given with `--tls-port`.
//!
//! Decisions worth knowing:
//! - EdgeSync presents the Edge server's own certificate, whose public key
//!   the Edge Subscription file carried to the Mailbox servers: they trust
//!   it through the subscription, not through a CA. Only its dates are
//!   judged here; a self-signed, untrusted or misnamed certificate there is
//!   normal and never a finding.
//! - An `other` port is judged as its clients judge it: dates, trust, a
//!   missing intermediate, and whether it covers the name it was scanned
//!   by. A self-signed certificate there (WMSvc's own `WMSvc-<host>`, made
//!   at install, or UM's self-signed default) is what the service ships
//!   with and clients are asked to accept once: `other-cert-untrusted` is
//!   info for it, and its names are not checked (nobody trusts it by name).
//!   A healthy fleet scanned with `--tls-port wmsvc:8172` gets no warning.
//! - The name checked is the host as scanned (the SNI sent), and only when
//!   it is a DNS name with a dot: a short name or an IP literal is not a
//!   name a certificate is issued for.

use crate::model::{CertFacts, Finding, FindingId, Role, Severity};

use super::chain::{chain_incomplete, covered};
use super::ctx::{presents, where_, EndpointCtx};
use super::expiry::{due, escalate, expiry_phrase};
use crate::analyze::catalog::finding;
use crate::analyze::hostnames;
use crate::analyze::remediation;

/// The checks for an EdgeSync or `--tls-port` port that presented a
/// parsable chain; nothing for other roles.
pub(super) fn port_checks(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Vec<Finding> {
    match ctx.evidence.endpoint.role {
        Role::Edgesync => expiry(ctx, leaf).into_iter().collect(),
        Role::Other => {
            let mut out: Vec<Finding> = expiry(ctx, leaf).into_iter().collect();
            // A missing intermediate explains an unknown issuer on its own.
            let incomplete = chain_incomplete(ctx, leaf);
            if incomplete.is_none() {
                out.extend(untrusted(ctx, leaf));
            }
            out.extend(incomplete);
            if !leaf.self_issued {
                out.extend(name(ctx, leaf));
            }
            out
        }
        _ => Vec::new(),
    }
}

fn expiry(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
    let s = ctx.settings;
    let e = &ctx.evidence.endpoint;
    let (expired, days_left) = due(leaf, s)?;
    let (id, severity) = match (e.role, expired) {
        (Role::Edgesync, true) => (FindingId::EdgesyncCertExpired, Severity::Critical),
        (Role::Edgesync, false) => (FindingId::EdgesyncCertExpiring, escalate(leaf, s)),
        (Role::Other, true) => (FindingId::OtherCertExpired, Severity::Critical),
        (Role::Other, false) => (FindingId::OtherCertExpiring, escalate(leaf, s)),
        _ => return None,
    };
    let when = expiry_phrase(leaf, days_left, expired);
    if e.role == Role::Edgesync {
        let detail = format!(
            "{}, which {when}. The Mailbox servers' EdgeSync reaches this Edge server over LDAPS \
             on this port with the certificate its Edge Subscription carried: once it expires, \
             recipients and configuration on the Edge stop being updated.",
            presents(ctx, leaf)
        );
        let steps = remediation::renew_edgesync(&e.host, e.port, leaf, e.group.site.as_deref());
        return Some(finding(id, severity, detail, steps));
    }
    let detail = format!("{}, which {when}.", presents(ctx, leaf));
    let steps = remediation::replace_other(&e.host, e.port, e.label.as_deref(), leaf);
    Some(finding(id, severity, detail, steps))
}

/// The chain does not validate for a reason other than its dates: a
/// warning for a CA-issued certificate, info for a self-signed one.
fn untrusted(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
    let why = ctx.check?.non_date_error.as_deref()?;
    let e = &ctx.evidence.endpoint;
    let (severity, note) = if leaf.self_issued {
        (
            Severity::Info,
            " It is self-signed, as this service's own certificate is by default (WMSvc makes \
             \"WMSvc-<host>\" at install): clients are asked to accept it once. Only info.",
        )
    } else {
        (Severity::Warning, "")
    };
    Some(finding(
        FindingId::OtherCertUntrusted,
        severity,
        format!(
            "{} presents {} (SHA-1 {}, issuer {}), whose chain does not validate: {}.{note}",
            where_(ctx),
            leaf.subject,
            leaf.sha1,
            leaf.issuer,
            why
        ),
        if leaf.self_issued {
            Vec::new()
        } else {
            remediation::trust_other(&e.host, e.port, e.label.as_deref())
        },
    ))
}

/// A CA-issued certificate that does not cover the name the port was
/// scanned by.
fn name(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
    let e = &ctx.evidence.endpoint;
    let scanned = e.sni.as_deref().unwrap_or(&e.host);
    if !hostnames::is_checkable_dns_name(scanned) || hostnames::covers(leaf, scanned) {
        return None;
    }
    let covered = covered(leaf);
    Some(finding(
        FindingId::NameMismatch,
        Severity::Warning,
        format!(
            "{} presents {} (SHA-1 {}), which does not cover {scanned}, the name it was scanned \
             by; it covers {covered}.",
            where_(ctx),
            leaf.subject,
            leaf.sha1,
        ),
        remediation::rename_other(&e.host, e.port, e.label.as_deref(), scanned),
    ))
}
