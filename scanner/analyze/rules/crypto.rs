//! Weak signatures and keys.

use crate::model::{Classification, Finding, FindingId, Severity};

use super::ctx::{where_, EndpointCtx};
use crate::analyze::catalog::finding;
use crate::analyze::cert::is_parsed;
use crate::analyze::remediation;

pub(super) fn is_exchange_made(c: Classification) -> bool {
    matches!(
        c,
        Classification::ExchangeSelfSigned | Classification::ExchangeAuth | Classification::Wmsvc
    )
}

pub(super) fn weak_signature(ctx: &EndpointCtx<'_>) -> Option<Finding> {
    let mut warn = Vec::new();
    let mut info = Vec::new();
    for (i, c) in ctx.chain.iter().enumerate() {
        if !is_parsed(c) || ctx.is_anchor.get(i).copied().unwrap_or(false) {
            continue;
        }
        if !c.signature_hash.is_some_and(|h| h.is_broken()) {
            continue;
        }
        let text = format!(
            "{} (SHA-1 {}, {})",
            c.subject, c.sha1, c.signature_algorithm
        );
        if !c.self_issued {
            warn.push(text);
        } else if i == 0 && !is_exchange_made(c.classification) {
            info.push(text);
        }
    }
    let (severity, certs) = if !warn.is_empty() {
        (Severity::Warning, warn)
    } else if !info.is_empty() {
        (Severity::Info, info)
    } else {
        return None;
    };
    let detail = if severity == Severity::Warning {
        format!(
            "{} presents CA-issued certificates signed with a broken hash: {}.",
            where_(ctx),
            certs.join("; ")
        )
    } else {
        format!(
            "{} presents a self-signed certificate signed with a broken hash: {}. On a \
             self-signed certificate the signature protects nothing, so this is only info.",
            where_(ctx),
            certs.join("; ")
        )
    };
    Some(finding(
        FindingId::WeakSignature,
        severity,
        detail,
        remediation::reissue_sha256(
            &ctx.evidence.endpoint.host,
            ctx.evidence.endpoint.port,
            ctx.evidence.endpoint.role,
        ),
    ))
}

pub(super) fn weak_key(ctx: &EndpointCtx<'_>) -> Option<Finding> {
    let weak: Vec<String> = ctx
        .chain
        .iter()
        .enumerate()
        .filter(|(i, c)| is_parsed(c) && !ctx.is_anchor.get(*i).copied().unwrap_or(false))
        .filter(|(_, c)| {
            c.key
                .algorithm
                .min_bits()
                .is_some_and(|min| c.key.bits > 0 && c.key.bits < min)
        })
        .map(|(_, c)| {
            format!(
                "{} (SHA-1 {}, {} {} bits)",
                c.subject, c.sha1, c.key.algorithm, c.key.bits
            )
        })
        .collect();
    if weak.is_empty() {
        return None;
    }
    Some(finding(
        FindingId::WeakKey,
        Severity::Warning,
        format!("{} presents weak keys: {}.", where_(ctx), weak.join("; ")),
        remediation::stronger_key(
            &ctx.evidence.endpoint.host,
            ctx.evidence.endpoint.port,
            ctx.evidence.endpoint.role,
        ),
    ))
}
