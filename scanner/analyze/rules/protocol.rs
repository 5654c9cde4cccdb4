//! What the handshakes showed: old protocol versions, and a different
//! certificate without SNI.

use crate::model::{Finding, FindingId, Severity, Status};

use super::ctx::{where_, EndpointCtx};
use crate::analyze::catalog::finding;
use crate::analyze::remediation;

pub(super) fn protocols(ctx: &EndpointCtx<'_>) -> Vec<Finding> {
    let Some(tls) = ctx.evidence.observation.tls.as_ref() else {
        return Vec::new();
    };
    let known = tls.known_versions();
    let Some(best) = known.last().copied() else {
        return Vec::new();
    };
    let legacy = known
        .iter()
        .filter(|v| v.is_legacy())
        .map(|v| v.name())
        .collect::<Vec<_>>();
    let host = &ctx.evidence.endpoint.host;
    let port = ctx.evidence.endpoint.port;
    if best.is_legacy() {
        vec![finding(
            FindingId::LegacyTlsOnly,
            Severity::Warning,
            format!(
                "{} accepts only {}; the best version is older than TLS 1.2.",
                where_(ctx),
                legacy.join(", ")
            ),
            vec![remediation::enable_tls12(host, port)],
        )]
    } else if !legacy.is_empty() {
        vec![finding(
            FindingId::LegacyProtocolsEnabled,
            Severity::Info,
            format!(
                "{} still accepts {} next to TLS 1.2 or later.",
                where_(ctx),
                legacy.join(", ")
            ),
            vec![remediation::disable_legacy_tls(host, port)],
        )]
    } else {
        Vec::new()
    }
}

pub(super) fn sni_dependent(ctx: &EndpointCtx<'_>) -> Option<Finding> {
    let no_sni = ctx.evidence.no_sni.as_ref()?;
    let without = ctx.no_sni_chain;
    if no_sni.status != Status::Ok || without.is_empty() {
        return None;
    }
    // The same DER gives the same SHA-256.
    if ctx
        .chain
        .iter()
        .map(|c| &c.sha256)
        .eq(without.iter().map(|c| &c.sha256))
    {
        return None;
    }
    let sha = |c: &[std::sync::Arc<crate::model::CertFacts>]| {
        c.first()
            .map(|c| c.sha1.clone())
            .unwrap_or_else(|| "(none)".into())
    };
    let sni = ctx
        .evidence
        .endpoint
        .sni
        .as_deref()
        .unwrap_or(&ctx.evidence.endpoint.host);
    Some(finding(
        FindingId::SniDependentCert,
        Severity::Info,
        format!(
            "{} presents leaf SHA-1 {} for SNI {sni} but SHA-1 {} without SNI.",
            where_(ctx),
            sha(ctx.chain),
            sha(without)
        ),
        vec![remediation::check_sni_bindings(
            &ctx.evidence.endpoint.host,
            ctx.evidence.endpoint.port,
        )],
    ))
}
