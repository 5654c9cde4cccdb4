//! What the handshakes showed: old protocol versions, and a different
//! certificate without SNI.

use super::*;

pub(super) fn protocols(ctx: &EndpointCtx<'_>) -> Vec<Finding> {
    let Some(tls) = ctx.evidence.observation.tls.as_ref() else {
        return Vec::new();
    };
    let mut versions: Vec<&str> = tls.versions.iter().map(String::as_str).collect();
    if !tls.version.is_empty() && !versions.contains(&tls.version.as_str()) {
        versions.push(tls.version.as_str());
    }
    let ranked: Vec<(u8, &str)> = versions
        .iter()
        .filter_map(|v| protocol_rank(v).map(|r| (r, *v)))
        .collect();
    let Some(best) = ranked.iter().map(|(r, _)| *r).max() else {
        return Vec::new();
    };
    let mut legacy: Vec<&str> = ranked
        .iter()
        .filter(|(r, _)| *r < 4)
        .map(|(_, v)| *v)
        .collect();
    legacy.sort_by_key(|v| protocol_rank(v));
    let host = &ctx.evidence.endpoint.host;
    let port = ctx.evidence.endpoint.port;
    if best < 4 {
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
    if no_sni.status != Status::Ok || no_sni.chain.is_empty() {
        return None;
    }
    let with = &ctx.evidence.observation.chain;
    if *with == no_sni.chain {
        return None;
    }
    let sha = |c: &[crate::model::Der]| {
        c.first()
            .map(|d| crate::analyze::cert::sha1_hex(&d.0))
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
            sha(with),
            sha(&no_sni.chain)
        ),
        vec![remediation::check_sni_bindings(
            &ctx.evidence.endpoint.host,
            ctx.evidence.endpoint.port,
        )],
    ))
}
