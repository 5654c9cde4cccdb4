//! Bindings: 443 lost its public cert (the renewal trap), or 444 presents
//! something other than the server's own Exchange cert.

use crate::model::{CertFacts, Classification, Finding, FindingId, Severity};

use super::ctx::{short_host, where_, EndpointCtx};
use crate::analyze::catalog::finding;
use crate::analyze::remediation;

pub(super) fn public_binding_lost(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
    let exchange = leaf.classification == Classification::ExchangeSelfSigned;
    let same_as_backend = leaf.self_issued && ctx.backend_self_signed.contains(&leaf.sha1);
    if !exchange && !same_as_backend {
        return None;
    }
    let what = if same_as_backend {
        "the same self-signed certificate as its backend (444)"
    } else {
        "the Exchange self-signed certificate"
    };
    let expires = if leaf.expired_at(ctx.settings.as_of) {
        "expired"
    } else {
        "expires"
    };
    Some(finding(
        FindingId::PublicBindingLost,
        Severity::Critical,
        format!(
            "{} presents {what}, {} (SHA-1 {}, {expires} {}), instead of the public certificate.",
            where_(ctx),
            leaf.subject,
            leaf.sha1,
            leaf.not_after_text()
        ),
        remediation::public_binding_lost(
            &ctx.evidence.endpoint.host,
            ctx.evidence.endpoint.port,
            ctx.public_thumbprint,
        ),
    ))
}

pub(super) fn backend_unexpected(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
    let host = &ctx.evidence.endpoint.host;
    let short = short_host(host);
    let host_is_name = host.parse::<std::net::IpAddr>().is_err();
    let what = match leaf.classification {
        Classification::ExchangeSelfSigned => {
            // Long host names have a 15-character NetBIOS CN, so compare
            // what Exchange guarantees: the CN or a SAN names this host.
            if crate::analyze::classify::is_own_cert(leaf, host) {
                return None;
            }
            let cn = leaf.subject_cn.as_deref().unwrap_or("");
            format!("another server's self-signed certificate (CN={cn})")
        }
        Classification::Wmsvc => "the WMSvc (IIS Web Management Service) certificate".into(),
        Classification::ExchangeAuth => {
            "the Exchange Server Auth certificate (OAuth), which should not be bound to IIS".into()
        }
        Classification::CaIssued if ctx.frontend_leaves.contains(&leaf.sha1) => {
            "the CA-issued public certificate that 443 also presents (it works, but it is not \
             the default and breaks when that certificate is renewed)"
                .into()
        }
        Classification::CaIssued => {
            "a CA-issued certificate (it works, but it is not the default and breaks when that \
             certificate is renewed)"
                .into()
        }
        Classification::SelfSigned => {
            let cn = leaf.subject_cn.as_deref().unwrap_or("");
            if host_is_name
                && !cn.is_empty()
                && !cn.eq_ignore_ascii_case(&short)
                && !cn
                    .to_ascii_lowercase()
                    .starts_with(&format!("{}.", short.to_ascii_lowercase()))
            {
                format!("another server's or an admin-made self-signed certificate (CN={cn})")
            } else {
                "a self-signed certificate that is not the Exchange-made one".into()
            }
        }
        Classification::Unparsable => return None,
    };
    Some(finding(
        FindingId::BackendUnexpectedCert,
        Severity::Warning,
        format!(
            "{} presents {what}: {} (SHA-1 {}, expires {}), not {short}'s own \"Microsoft \
             Exchange\" certificate.",
            where_(ctx),
            leaf.subject,
            leaf.sha1,
            leaf.not_after_text()
        ),
        remediation::bind_own_backend(host, ctx.evidence.endpoint.port, &leaf.sha1),
    ))
}
