//! The public chain as clients judge it: trust, missing intermediates and
//! names.

use crate::model::{CertFacts, Finding, FindingId, Severity};

use super::ctx::{where_, EndpointCtx};
use crate::analyze::catalog::finding;
use crate::analyze::hostnames;
use crate::analyze::remediation;

pub(super) fn untrusted(ctx: &EndpointCtx<'_>) -> Option<Finding> {
    let why = ctx.check?.non_date_error.as_deref()?;
    let leaf = ctx.chain.first()?;
    Some(finding(
        FindingId::FrontendCertUntrusted,
        Severity::Warning,
        format!(
            "{} presents {} (SHA-1 {}, issuer {}), whose chain does not validate: {}.",
            where_(ctx),
            leaf.subject,
            leaf.sha1,
            leaf.issuer,
            why
        ),
        remediation::trusted_public(&ctx.evidence.endpoint.host, ctx.evidence.endpoint.port),
    ))
}

pub(super) fn chain_incomplete(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
    let check = ctx.check?;
    if leaf.self_issued || check.issuer_known {
        return None;
    }
    Some(finding(
        FindingId::ChainIncomplete,
        Severity::Warning,
        format!(
            "{} presents {} (SHA-1 {}) without its issuer \"{}\", which is not a known root \
             either: an intermediate is missing, or the root of a private CA was not given \
             with --ca-bundle.",
            where_(ctx),
            leaf.subject,
            leaf.sha1,
            leaf.issuer
        ),
        vec![remediation::import_intermediate(
            &ctx.evidence.endpoint.host,
            ctx.evidence.endpoint.port,
            &leaf.issuer,
        )],
    ))
}

/// The names a leaf covers, for detail sentences: its SANs, else its CN.
pub(super) fn covered(leaf: &CertFacts) -> String {
    if leaf.sans.is_empty() {
        format!("CN {}", leaf.subject_cn.as_deref().unwrap_or("(none)"))
    } else {
        leaf.sans.join(", ")
    }
}

pub(super) fn name_mismatch(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
    let missing: Vec<String> = ctx
        .expected_names
        .iter()
        .filter(|n| !hostnames::covers(leaf, n))
        .cloned()
        .collect();
    if missing.is_empty() {
        return None;
    }
    let covered = covered(leaf);
    Some(finding(
        FindingId::NameMismatch,
        Severity::Warning,
        format!(
            "{} presents {} (SHA-1 {}), which does not cover {}; it covers {}.",
            where_(ctx),
            leaf.subject,
            leaf.sha1,
            missing.join(", "),
            covered
        ),
        remediation::add_names(
            &ctx.evidence.endpoint.host,
            ctx.evidence.endpoint.port,
            &missing,
        ),
    ))
}
