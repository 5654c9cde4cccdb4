//! Expiry: not yet valid, expired, expiring, and whether a backend cert was
//! already renewed (shared with the server verdicts).

use crate::config::AnalysisSettings;
use crate::model::{CertFacts, Classification, Finding, FindingId, Role, Severity, Status};

use super::ctx::{presents, where_, EndpointCtx};
use crate::analyze::catalog::finding;
use crate::analyze::remediation;

pub(super) fn not_yet_valid(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
    let not_before = leaf.not_before.filter(|t| *t > ctx.settings.as_of)?;
    Some(finding(
        FindingId::NotYetValid,
        Severity::Critical,
        format!(
            "{} presents {} (SHA-1 {}), valid only from {}, after the as-of date {}.",
            where_(ctx),
            leaf.subject,
            leaf.sha1,
            not_before.date(),
            ctx.settings.as_of.date()
        ),
        vec![remediation::bind_valid_now(
            &ctx.evidence.endpoint.host,
            ctx.evidence.endpoint.port,
            &leaf.sha1,
            not_before.date(),
        )],
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
    // No dates (unparsable): `cert-unparsable` says so; nothing is guessed.
    let (Some(not_after), Some(days_left)) = (leaf.not_after, leaf.days_left) else {
        return None;
    };
    let expired = not_after <= s.as_of;
    // Mail ports are judged in transport.rs.
    if role.is_mail() || (!expired && days_left >= s.warn_days) {
        return None;
    }
    let (id, severity) = match (role, expired) {
        (Role::Backend, true) => (FindingId::BackendCertExpired, Severity::Critical),
        (Role::Frontend, true) => (FindingId::FrontendCertExpired, Severity::Critical),
        (Role::Backend, false) => (FindingId::BackendCertExpiring, escalate(leaf, s)),
        (Role::Frontend, false) => (FindingId::FrontendCertExpiring, escalate(leaf, s)),
        (Role::Smtp | Role::Imap | Role::Pop, _) => return None,
        (Role::LoadBalancer | Role::Edgesync | Role::Other, _) => return None,
    };
    let when = expiry_phrase(leaf, days_left, expired);
    let detail = format!("{}, which {when}.", presents(ctx, leaf));
    // A renewal already waits in the store: renewing again would only make
    // a third certificate.
    if let Some(bind) = ctx.renewal {
        return Some(finding(id, severity, detail, bind.to_vec()));
    }
    let renewed = ctx.frontend_exchange.filter(|new| {
        new.subject_cn.is_some()
            && new
                .subject_cn
                .as_deref()
                .zip(leaf.subject_cn.as_deref())
                .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
            && outlives(new, leaf)
    });
    let host = &ctx.evidence.endpoint.host;
    let port = ctx.evidence.endpoint.port;
    let steps = match (role, renewed) {
        (Role::Backend, Some(new)) if own_backend => remediation::bind_renewed(host, port, new),
        (Role::Backend, _) if !own_backend => {
            remediation::do_not_renew_backend(host, port, &leaf.sha1)
        }
        (Role::Backend, _) => {
            remediation::renew_backend(host, port, &ctx.evidence.endpoint.group, leaf)
        }
        (Role::Frontend, _) if leaf.self_issued => {
            remediation::replace_self_signed_public(host, port, &leaf.sha1)
        }
        (Role::Frontend, _) => match ctx.rollout {
            Some(newer) => remediation::bind_fleet_public(host, port, &newer.sha1),
            None => remediation::renew_public(host, port, &leaf.sha1),
        },
        (Role::Smtp | Role::Imap | Role::Pop, _) => return None,
        (Role::LoadBalancer | Role::Edgesync | Role::Other, _) => return None,
    };
    Some(finding(id, severity, detail, steps))
}

/// `(expired, days_left)` when the leaf is expired or within
/// `--warn-days`; `None` when it has time left or no dates (an unparsable
/// certificate gets `cert-unparsable`; nothing is guessed).
pub(super) fn due(leaf: &CertFacts, s: &AnalysisSettings) -> Option<(bool, i64)> {
    let (Some(not_after), Some(days_left)) = (leaf.not_after, leaf.days_left) else {
        return None;
    };
    let expired = not_after <= s.as_of;
    (expired || days_left < s.warn_days).then_some((expired, days_left))
}

pub(super) fn escalate(leaf: &CertFacts, s: &AnalysisSettings) -> Severity {
    if leaf.days_left.is_some_and(|d| d < s.critical_days) {
        Severity::Critical
    } else {
        Severity::Warning
    }
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
                && outlives(new, old)
        })
}

/// `new` is still valid and expires after `old`; false when either date is
/// unknown.
fn outlives(new: &CertFacts, old: &CertFacts) -> bool {
    new.not_after.zip(old.not_after).is_some_and(|(n, o)| n > o)
        && new.days_left.is_some_and(|d| d > 0)
}

/// "expired on DATE (N days ago)" or "expires on DATE (N days left)": the
/// one wording every port's expiry finding uses.
pub(super) fn expiry_phrase(leaf: &CertFacts, days_left: i64, expired: bool) -> String {
    if expired {
        format!(
            "expired on {} ({} days ago)",
            leaf.not_after_text(),
            -days_left
        )
    } else {
        format!(
            "expires on {} ({} days left)",
            leaf.not_after_text(),
            days_left
        )
    }
}
