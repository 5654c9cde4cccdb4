//! Per-endpoint rules: one function per finding id, each reading the
//! analysed chain and the server's other endpoints, never the network.
//!
//! Decisions worth knowing:
//! - Dates follow HealthChecker: `expiring` when fewer than `--warn-days`
//!   days are left, critical when fewer than `--critical-days`.
//! - When `public-binding-lost` fires, the 443 expiry, trust, chain and name
//!   rules are not raised as well: the lost binding explains all of them, and one
//!   clear critical finding beats four symptoms of it.
//! - `chain-incomplete` explains an "unknown issuer" on its own, so
//!   `frontend-cert-untrusted` is not raised next to it.
//! - `frontend-cert-untrusted` is never raised for expiry alone (the expiry
//!   rules say that better); the chain is re-checked inside the leaf's
//!   validity to find any other reason.
//! - A cert that is itself a trust anchor is not judged for its signature or
//!   key: clients trust it by identity.

use crate::config::AnalysisSettings;
use crate::model::{
    protocol_rank, CertFacts, Classification, EndpointEvidence, Finding, Role, Severity, Status,
};

use super::catalog::finding;
use super::cert::{is_parsed, is_weak_signature};
use super::names;
use super::trust::ChainCheck;

/// Everything the rules need about one endpoint.
pub(crate) struct EndpointCtx<'a> {
    pub evidence: &'a EndpointEvidence,
    /// The analysed chain, leaf first.
    pub chain: &'a [CertFacts],
    /// Per chain cert: is it a trust anchor.
    pub is_anchor: &'a [bool],
    pub check: Option<&'a ChainCheck>,
    /// SHA-1 thumbprints of self-issued leaves this server presents on its
    /// backend ports.
    pub backend_self_signed: &'a [String],
    /// SHA-1 thumbprints of the leaves this server presents on its frontend
    /// ports.
    pub frontend_leaves: &'a [String],
    /// An Exchange self-signed leaf this server presents on a frontend port:
    /// after the renewal trap, that is the renewed backend cert.
    pub frontend_exchange: Option<&'a CertFacts>,
    /// The public cert to bind: this server's own healthy one, else the
    /// fleet majority. `None` when no scanned server presents one.
    pub public_thumbprint: Option<&'a str>,
    pub settings: &'a AnalysisSettings,
}

/// What to type when the public thumbprint is unknown.
pub(crate) const UNKNOWN_PUBLIC: &str = "<public thumbprint>";

/// Run every per-endpoint rule.
pub(crate) fn endpoint_findings(ctx: &EndpointCtx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let obs = &ctx.evidence.observation;
    let Some(leaf) = ctx.chain.first().filter(|_| obs.status == Status::Ok) else {
        out.push(not_scanned(ctx));
        return out;
    };
    if !is_parsed(leaf) {
        out.push(finding(
            "cert-unparsable",
            Severity::Warning,
            format!(
                "{} presents a certificate that cannot be parsed (SHA-1 {}).",
                where_(ctx),
                leaf.sha1
            ),
            "Check the IIS binding of this site (IIS Manager, certlm.msc) and bind a valid \
             certificate."
                .into(),
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
        out.extend(weak_signature(ctx));
        out.extend(weak_key(ctx));
    }
    out.extend(protocols(ctx));
    out.extend(sni_dependent(ctx));
    out
}

/// `EX01:444 (backend)`, for detail sentences.
fn where_(ctx: &EndpointCtx<'_>) -> String {
    let e = &ctx.evidence.endpoint;
    format!("{}:{} ({})", e.host, e.port, e.role.as_str())
}

fn short_host(host: &str) -> String {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return host.to_string();
    }
    host.split('.').next().unwrap_or(host).to_string()
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
    let remediation = match obs.status {
        Status::DnsFailed => format!(
            "Check that {} resolves from the scanning host (or pin it with --resolve), then scan again.",
            e.host
        ),
        Status::Refused if e.role == Role::Backend => format!(
            "If {} is an Exchange 2013+ Mailbox server, check that the Exchange Back End site is \
             started and bound to https *:{} in IIS Manager (HttpEvent 15021 in the System log \
             means the binding points to a deleted certificate); otherwise no action.",
            e.host, e.port
        ),
        _ => format!(
            "Check that {} is up, that port {} is reachable from the scanning host, and that the \
             IIS site is bound to a certificate; then scan again.",
            e.host, e.port
        ),
    };
    finding(
        "endpoint-not-scanned",
        Severity::Warning,
        detail,
        remediation,
    )
}

fn not_yet_valid(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
    if leaf.not_before <= ctx.settings.as_of {
        return None;
    }
    Some(finding(
        "not-yet-valid",
        Severity::Critical,
        format!(
            "{} presents {} (SHA-1 {}), valid only from {}, after the as-of date {}.",
            where_(ctx),
            leaf.subject,
            leaf.sha1,
            leaf.not_before.date(),
            ctx.settings.as_of.date()
        ),
        format!(
            "Check the clock on {}; bind a certificate that is valid now instead of {} until {}.",
            ctx.evidence.endpoint.host,
            leaf.sha1,
            leaf.not_before.date()
        ),
    ))
}

/// `own_backend`: on 444, the leaf is this server's own Exchange cert, so
/// the fix is a renewal; otherwise it is a rebinding.
fn expiry(ctx: &EndpointCtx<'_>, leaf: &CertFacts, own_backend: bool) -> Option<Finding> {
    let s = ctx.settings;
    let role = ctx.evidence.endpoint.role;
    let expired = leaf.not_after <= s.as_of;
    if !expired && leaf.days_left >= s.warn_days {
        return None;
    }
    let (id, severity) = match (role, expired) {
        (Role::Backend, true) => ("backend-cert-expired", Severity::Critical),
        (Role::Frontend, true) => ("frontend-cert-expired", Severity::Critical),
        (Role::Backend, false) => ("backend-cert-expiring", escalate(leaf, s)),
        (Role::Frontend, false) => ("frontend-cert-expiring", escalate(leaf, s)),
    };
    let when = if expired {
        format!(
            "expired on {} ({} days ago)",
            leaf.not_after.date(),
            -leaf.days_left
        )
    } else {
        format!(
            "expires on {} ({} days left)",
            leaf.not_after.date(),
            leaf.days_left
        )
    };
    let detail = format!(
        "{} presents {} ({}, SHA-1 {}), which {}.",
        where_(ctx),
        leaf.subject,
        leaf.classification.label(),
        leaf.sha1,
        when
    );
    let renewed = ctx.frontend_exchange.filter(|new| {
        new.subject_cn.is_some()
            && new
                .subject_cn
                .as_deref()
                .zip(leaf.subject_cn.as_deref())
                .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
            && new.not_after > leaf.not_after
            && new.days_left > 0
    });
    let remediation = match role {
        Role::Backend if own_backend && renewed.is_some() => renewed
            .map(|new| {
                bind_renewed_steps(&ctx.evidence.endpoint.host, new, ctx.public_thumbprint)
                    .join(" ")
            })
            .unwrap_or_default(),
        Role::Backend if !own_backend => format!(
            "Do not renew {} for 444: bind {}'s own \"Microsoft Exchange\" certificate to \
             Exchange Back End https/444 (*:444) instead, then iisreset off-hours (after moving \
             DAG databases).",
            leaf.sha1, ctx.evidence.endpoint.host
        ),
        Role::Backend => backend_renewal_steps(
            &ctx.evidence.endpoint.host,
            &leaf.sha1,
            ctx.public_thumbprint,
        )
        .join(" "),
        Role::Frontend if leaf.self_issued => format!(
            "Replace the self-signed certificate {} with a CA-issued certificate for your \
             namespaces, import it on every server and run Enable-ExchangeCertificate -Thumbprint \
             <new> -Services IIS.",
            leaf.sha1
        ),
        Role::Frontend => format!(
            "Renew the public certificate {} with your CA (same names), import it on every \
             server with Import-ExchangeCertificate, and run Enable-ExchangeCertificate \
             -Thumbprint <new> -Services IIS on each.",
            leaf.sha1
        ),
    };
    Some(finding(id, severity, detail, remediation))
}

fn escalate(leaf: &CertFacts, s: &AnalysisSettings) -> Severity {
    if leaf.days_left < s.critical_days {
        Severity::Critical
    } else {
        Severity::Warning
    }
}

/// The full fix for an expired or expiring backend cert, numbered, with the
/// thumbprints filled in. Shared with the server remediation.
pub(crate) fn backend_renewal_steps(host: &str, old: &str, public: Option<&str>) -> Vec<String> {
    vec![
        format!(
            "1. Renew the backend certificate on {host}: EAC > Servers > Certificates > Renew, or \
             Get-ExchangeCertificate -Thumbprint {old} | New-ExchangeCertificate -Force \
             -PrivateKeyExportable $true."
        ),
        "2. Copy the new certificate from Personal to Trusted Root Certification Authorities \
         (certlm.msc, Local Computer); renewal does not do this."
            .to_string(),
        "3. In IIS Manager open Exchange Back End > Bindings > https 444 and select the new \
         certificate. Keep the binding on All Unassigned (*:444): a single-IP binding breaks \
         Extended Protection."
            .to_string(),
        format!(
            "4. Run iisreset: off-hours on a standalone server, or after moving the active \
             databases off {host} in a DAG."
        ),
        format!(
            "5. Re-enable IIS on the public certificate, since renewal moves IIS to the new \
             self-signed one: Enable-ExchangeCertificate -Thumbprint {} -Services IIS.",
            public.unwrap_or(UNKNOWN_PUBLIC)
        ),
    ]
}

/// The renewal trap's trace: 443 presents this server's own Exchange cert,
/// valid longer than the one on 444. That cert is the renewed one; it only
/// needs binding to 444.
pub(crate) fn already_renewed<'a>(
    backend: &crate::model::EndpointReport,
    endpoints: &[&'a crate::model::EndpointReport],
) -> Option<&'a CertFacts> {
    let old = backend.leaf()?;
    endpoints
        .iter()
        .filter(|e| e.endpoint.role == Role::Frontend && e.status == Status::Ok)
        .filter_map(|e| e.leaf())
        .find(|new| {
            new.classification == Classification::ExchangeSelfSigned
                && new.subject_cn.is_some()
                && new
                    .subject_cn
                    .as_deref()
                    .zip(old.subject_cn.as_deref())
                    .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
                && new.not_after > old.not_after
                && new.days_left > 0
        })
}

/// The fix when the renewed backend cert already exists (443 presents it).
pub(crate) fn bind_renewed_steps(host: &str, new: &CertFacts, public: Option<&str>) -> Vec<String> {
    vec![
        format!(
            "1. Re-enable IIS on the public certificate on {host}: Enable-ExchangeCertificate \
             -Thumbprint {} -Services IIS (import it first with Import-ExchangeCertificate if it \
             is not on this server).",
            public.unwrap_or(UNKNOWN_PUBLIC)
        ),
        format!(
            "2. The renewed self-signed certificate {} (expires {}) already exists on {host}: do \
             not renew again. Copy it from Personal to Trusted Root Certification Authorities \
             (certlm.msc, Local Computer) if it is not there yet.",
            new.sha1,
            new.not_after.date()
        ),
        format!(
            "3. In IIS Manager open Exchange Back End > Bindings > https 444 and select {}. Keep \
             the binding on All Unassigned (*:444): a single-IP binding breaks Extended \
             Protection.",
            new.sha1
        ),
        format!(
            "4. Run iisreset: off-hours on a standalone server, or after moving the active \
             databases off {host} in a DAG."
        ),
    ]
}

fn public_binding_lost(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
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
    let public = ctx.public_thumbprint.unwrap_or(UNKNOWN_PUBLIC);
    let expires = if leaf.not_after <= ctx.settings.as_of {
        "expired"
    } else {
        "expires"
    };
    Some(finding(
        "public-binding-lost",
        Severity::Critical,
        format!(
            "{} presents {what}, {} (SHA-1 {}, {expires} {}), instead of the public certificate.",
            where_(ctx),
            leaf.subject,
            leaf.sha1,
            leaf.not_after.date()
        ),
        format!(
            "On {} run Enable-ExchangeCertificate -Thumbprint {public} -Services IIS (import the \
             public certificate first if it is not on this server), then check that \
             https://{}/ presents it.",
            ctx.evidence.endpoint.host, ctx.evidence.endpoint.host
        ),
    ))
}

fn untrusted(ctx: &EndpointCtx<'_>) -> Option<Finding> {
    let why = ctx.check?.non_date_error.as_deref()?;
    let leaf = ctx.chain.first()?;
    Some(finding(
        "frontend-cert-untrusted",
        Severity::Warning,
        format!(
            "{} presents {} (SHA-1 {}, issuer {}), whose chain does not validate: {}.",
            where_(ctx),
            leaf.subject,
            leaf.sha1,
            leaf.issuer,
            why
        ),
        "Bind a certificate from a CA your clients trust and enable IIS on it \
         (Enable-ExchangeCertificate -Thumbprint <new> -Services IIS); if the issuer is your \
         enterprise CA, pass its root with --ca-bundle."
            .into(),
    ))
}

fn chain_incomplete(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
    let check = ctx.check?;
    if leaf.self_issued || check.issuer_known {
        return None;
    }
    Some(finding(
        "chain-incomplete",
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
        format!(
            "On {} import the intermediate certificate of \"{}\" into Intermediate \
             Certification Authorities (certlm.msc, Local Computer) and run iisreset at a safe \
             time.",
            ctx.evidence.endpoint.host, leaf.issuer
        ),
    ))
}

/// The names clients use for this endpoint: the namespaces, or the scanned
/// DNS name when none were given.
fn expected_names(ctx: &EndpointCtx<'_>) -> Vec<String> {
    if !ctx.settings.namespaces.is_empty() {
        return ctx.settings.namespaces.clone();
    }
    let e = &ctx.evidence.endpoint;
    let scanned = e.sni.as_deref().unwrap_or(&e.host);
    if names::is_checkable_dns_name(scanned) {
        vec![scanned.to_ascii_lowercase()]
    } else {
        Vec::new()
    }
}

fn name_mismatch(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
    let missing: Vec<String> = expected_names(ctx)
        .into_iter()
        .filter(|n| !names::covers(leaf, n))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let covered = if leaf.sans.is_empty() {
        format!("CN {}", leaf.subject_cn.as_deref().unwrap_or("(none)"))
    } else {
        leaf.sans.join(", ")
    };
    Some(finding(
        "name-mismatch",
        Severity::Warning,
        format!(
            "{} presents {} (SHA-1 {}), which does not cover {}; it covers {}.",
            where_(ctx),
            leaf.subject,
            leaf.sha1,
            missing.join(", "),
            covered
        ),
        format!(
            "Reissue the public certificate with {} in its SAN, import it on every server and \
             run Enable-ExchangeCertificate -Thumbprint <new> -Services IIS.",
            missing.join(", ")
        ),
    ))
}

fn is_exchange_made(c: Classification) -> bool {
    matches!(
        c,
        Classification::ExchangeSelfSigned | Classification::ExchangeAuth | Classification::Wmsvc
    )
}

fn weak_signature(ctx: &EndpointCtx<'_>) -> Option<Finding> {
    let mut warn = Vec::new();
    let mut info = Vec::new();
    for (i, c) in ctx.chain.iter().enumerate() {
        if !is_parsed(c) || ctx.is_anchor.get(i).copied().unwrap_or(false) {
            continue;
        }
        if !is_weak_signature(&c.signature_algorithm) {
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
        "weak-signature",
        severity,
        detail,
        "Reissue the certificate signed with SHA-256 and enable IIS on the new one \
         (Enable-ExchangeCertificate -Thumbprint <new> -Services IIS)."
            .into(),
    ))
}

fn weak_key(ctx: &EndpointCtx<'_>) -> Option<Finding> {
    let weak: Vec<String> = ctx
        .chain
        .iter()
        .enumerate()
        .filter(|(i, c)| is_parsed(c) && !ctx.is_anchor.get(*i).copied().unwrap_or(false))
        .filter(|(_, c)| match c.key.algorithm.as_str() {
            "RSA" | "DSA" => c.key.bits > 0 && c.key.bits < 2048,
            "EC" => c.key.bits > 0 && c.key.bits < 256,
            _ => false,
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
        "weak-key",
        Severity::Warning,
        format!("{} presents weak keys: {}.", where_(ctx), weak.join("; ")),
        "Request a new certificate with an RSA 2048-bit (or larger) or P-256 key, import it \
         and enable it for IIS (Enable-ExchangeCertificate -Thumbprint <new> -Services IIS)."
            .into(),
    ))
}

fn backend_unexpected(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
    let host = &ctx.evidence.endpoint.host;
    let short = short_host(host);
    let host_is_name = host.parse::<std::net::IpAddr>().is_err();
    let what = match leaf.classification {
        Classification::ExchangeSelfSigned => {
            let cn = leaf.subject_cn.as_deref().unwrap_or("");
            if host_is_name && !cn.eq_ignore_ascii_case(&short) {
                format!("another server's self-signed certificate (CN={cn})")
            } else {
                return None;
            }
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
        "backend-unexpected-cert",
        Severity::Warning,
        format!(
            "{} presents {what}: {} (SHA-1 {}, expires {}), not {short}'s own \"Microsoft \
             Exchange\" certificate.",
            where_(ctx),
            leaf.subject,
            leaf.sha1,
            leaf.not_after.date()
        ),
        format!(
            "On {host} find the \"Microsoft Exchange\" certificate (Get-ExchangeCertificate | \
             Where-Object FriendlyName -eq 'Microsoft Exchange'); in IIS Manager open Exchange \
             Back End > Bindings > https 444 and select it instead of {}, keeping All Unassigned \
             (*:444). If it is missing or expired, create one with New-ExchangeCertificate and \
             copy it to Trusted Root first. Then iisreset off-hours (after moving DAG databases).",
            leaf.sha1
        ),
    ))
}

fn protocols(ctx: &EndpointCtx<'_>) -> Vec<Finding> {
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
    if best < 4 {
        vec![finding(
            "legacy-tls-only",
            Severity::Warning,
            format!(
                "{} accepts only {}; the best version is older than TLS 1.2.",
                where_(ctx),
                legacy.join(", ")
            ),
            format!(
                "Enable TLS 1.2 on {host}: Exchange 2013 CU19+ or 2016 CU8+, then the SCHANNEL \
                 TLS 1.2 and .NET SchUseStrongCrypto registry settings, and restart the server."
            ),
        )]
    } else if !legacy.is_empty() {
        vec![finding(
            "legacy-protocols-enabled",
            Severity::Info,
            format!(
                "{} still accepts {} next to TLS 1.2 or later.",
                where_(ctx),
                legacy.join(", ")
            ),
            format!(
                "Once every client speaks TLS 1.2, disable TLS 1.0 and 1.1 on {host} (SCHANNEL \
                 registry settings) and restart the server."
            ),
        )]
    } else {
        Vec::new()
    }
}

fn sni_dependent(ctx: &EndpointCtx<'_>) -> Option<Finding> {
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
            .map(|d| super::cert::sha1_hex(&d.0))
            .unwrap_or_else(|| "(none)".into())
    };
    let sni = ctx
        .evidence
        .endpoint
        .sni
        .as_deref()
        .unwrap_or(&ctx.evidence.endpoint.host);
    Some(finding(
        "sni-dependent-cert",
        Severity::Info,
        format!(
            "{} presents leaf SHA-1 {} for SNI {sni} but SHA-1 {} without SNI.",
            where_(ctx),
            sha(with),
            sha(&no_sni.chain)
        ),
        format!(
            "In IIS Manager check the bindings of the site on port {}: an SNI binding next to an \
             All Unassigned binding with another certificate. Bind the same certificate to both \
             unless the difference is intended.",
            ctx.evidence.endpoint.port
        ),
    ))
}

#[cfg(test)]
mod tests {
    use crate::model::protocol_rank;

    #[test]
    fn protocol_spellings() {
        assert_eq!(protocol_rank("TLSv1.2"), Some(4));
        assert_eq!(protocol_rank("TLS 1.2"), Some(4));
        assert_eq!(protocol_rank("tls1.3"), Some(5));
        assert_eq!(protocol_rank("TLSv1"), Some(2));
        assert_eq!(protocol_rank("TLSv1.0"), Some(2));
        assert_eq!(protocol_rank("SSLv3"), Some(1));
        assert_eq!(protocol_rank("QUIC"), None);
    }
}
