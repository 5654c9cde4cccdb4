//! Expiry: not yet valid, expired, expiring, and the renewal steps that
//! fix a backend cert (shared with the server verdicts).

use super::*;

pub(super) fn not_yet_valid(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
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
pub(super) fn expiry(
    ctx: &EndpointCtx<'_>,
    leaf: &CertFacts,
    own_backend: bool,
) -> Option<Finding> {
    let s = ctx.settings;
    let role = ctx.evidence.endpoint.role;
    let expired = leaf.not_after <= s.as_of;
    // Mail ports are judged in transport.rs.
    if role.is_mail() || (!expired && leaf.days_left >= s.warn_days) {
        return None;
    }
    let (id, severity) = match (role, expired) {
        (Role::Backend, true) => ("backend-cert-expired", Severity::Critical),
        (Role::Frontend, true) => ("frontend-cert-expired", Severity::Critical),
        (Role::Backend, false) => ("backend-cert-expiring", escalate(leaf, s)),
        (Role::Frontend, false) => ("frontend-cert-expiring", escalate(leaf, s)),
        (Role::Smtp | Role::Imap | Role::Pop, _) => return None,
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
        Role::Smtp | Role::Imap | Role::Pop => return None,
    };
    Some(finding(id, severity, detail, remediation))
}

pub(super) fn escalate(leaf: &CertFacts, s: &AnalysisSettings) -> Severity {
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
