//! Per-endpoint rules: one function per finding id, each reading the
//! analysed chain and the server's other endpoints, never the network.
//!
//! Decisions worth knowing:
//! - Dates follow HealthChecker: `expiring` when fewer than `--warn-days`
//!   days are left, critical when fewer than `--critical-days`.
//! - When [`FindingId::PublicBindingLost`] fires, the 443 expiry, trust,
//!   chain and name rules are not raised as well: the lost binding explains
//!   all of them, and one clear critical finding beats four symptoms of it.
//! - [`FindingId::ChainIncomplete`] explains an "unknown issuer" on its own,
//!   so [`FindingId::FrontendCertUntrusted`] is not raised next to it.
//! - [`FindingId::FrontendCertUntrusted`] is never raised for expiry alone
//!   (the expiry rules say that better); the chain is re-checked inside the
//!   leaf's validity to find any other reason.
//! - A cert that is itself a trust anchor is not judged for its signature or
//!   key: clients trust it by identity.

use crate::model::{Finding, FindingId, Role, Severity, Status};

use super::catalog::finding;
use super::cert::is_parsed;
use super::remediation;

// One file per family of findings; each reads the endpoint's context.
mod binding;
mod chain;
mod crypto;
mod ctx;
mod expiry;
mod ports;
mod protocol;
mod transport;

use binding::*;
use chain::*;
use crypto::*;
use expiry::*;
use protocol::*;

use ctx::where_;
pub(crate) use ctx::EndpointCtx;
pub(crate) use expiry::already_renewed;
pub(crate) use transport::smtp_inconsistent;

/// Run every per-endpoint rule.
pub(crate) fn endpoint_findings(ctx: &EndpointCtx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let obs = &ctx.evidence.observation;
    let Some(leaf) = ctx.chain.first().filter(|_| obs.status == Status::Ok) else {
        out.push(if obs.status == Status::NoStarttls {
            transport::starttls_not_offered(ctx)
        } else {
            not_scanned(ctx)
        });
        return out;
    };
    if !is_parsed(leaf) {
        out.push(finding(
            FindingId::CertUnparsable,
            Severity::Warning,
            format!(
                "{} presents a certificate that cannot be parsed (SHA-1 {}).",
                where_(ctx),
                leaf.sha1
            ),
            vec![remediation::rebind_unparsable(
                &ctx.evidence.endpoint.host,
                ctx.evidence.endpoint.port,
            )],
        ));
    } else {
        let role = ctx.evidence.endpoint.role;
        let lost = if role == Role::Frontend {
            public_binding_lost(ctx, leaf)
        } else {
            None
        };
        let lost_fired = lost.is_some();
        let unexpected = if role == Role::Backend {
            backend_unexpected(ctx, leaf)
        } else {
            None
        };
        out.extend(not_yet_valid(ctx, leaf));
        // A self-signed cert that should not be on 443 at all: its expiry
        // date is in the lost-binding detail, and rebinding fixes both.
        if !lost_fired {
            out.extend(expiry(ctx, leaf, unexpected.is_none()));
        }
        out.extend(lost);
        if role == Role::Frontend && !lost_fired {
            let incomplete = chain_incomplete(ctx, leaf);
            if incomplete.is_none() {
                out.extend(untrusted(ctx));
            }
            out.extend(incomplete);
            out.extend(name_mismatch(ctx, leaf));
        }
        out.extend(unexpected);
        if role.is_mail() {
            out.extend(transport::mail_checks(ctx, leaf));
        }
        out.extend(ports::port_checks(ctx, leaf));
        out.extend(weak_signature(ctx));
        out.extend(weak_key(ctx));
    }
    out.extend(unparsable_intermediates(ctx));
    out.extend(protocols(ctx));
    out.extend(sni_dependent(ctx));
    out
}

/// Every certificate after the leaf that cannot be parsed is named: a
/// garbled intermediate is not just a "chain incomplete".
fn unparsable_intermediates<'c>(ctx: &'c EndpointCtx<'_>) -> impl Iterator<Item = Finding> + 'c {
    ctx.chain
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, c)| !is_parsed(c))
        .map(move |(i, c)| {
            finding(
                FindingId::CertUnparsable,
                Severity::Warning,
                format!(
                    "{} presents, as certificate {} of its chain, one that cannot be parsed \
                     (SHA-1 {}).",
                    where_(ctx),
                    i + 1,
                    c.sha1
                ),
                vec![remediation::rebind_unparsable(
                    &ctx.evidence.endpoint.host,
                    ctx.evidence.endpoint.port,
                )],
            )
        })
}

fn not_scanned(ctx: &EndpointCtx<'_>) -> Finding {
    let e = &ctx.evidence.endpoint;
    let obs = &ctx.evidence.observation;
    let error = obs
        .error
        .as_deref()
        .unwrap_or("no certificate was presented");
    let mut detail = format!(
        "{} could not be scanned: status {}, {}.",
        where_(ctx),
        obs.status.as_str(),
        error.trim_end_matches('.')
    );
    if e.role == Role::Backend && obs.status == Status::Refused {
        detail.push_str(
            " A refused 444 may mean Exchange 2010 or a CAS-only 2013 server, which have no \
             Exchange Back End site; it does not mean the certificate expired.",
        );
    }
    // Many networks block 25 (and IMAP/POP) between the admin's
    // workstation and the servers: an unreachable mail port is worth
    // knowing, never a reason to act on the server. So is EdgeSync (open
    // only from the Mailbox servers to the perimeter) and a --tls-port
    // port, asked of every server though only some run that service.
    let unreachable = matches!(
        obs.status,
        Status::Refused | Status::Timeout | Status::Unreachable
    );
    let quiet_role = e.role.is_mail() || matches!(e.role, Role::Edgesync | Role::Other);
    let severity = if quiet_role && unreachable {
        Severity::Info
    } else {
        Severity::Warning
    };
    finding(
        FindingId::EndpointNotScanned,
        severity,
        detail,
        vec![remediation::check_endpoint(
            &e.host, e.port, e.role, obs.status,
        )],
    )
}
