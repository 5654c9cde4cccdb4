//! The Exchange Server Auth certificate (OAuth), judged once for the
//! organisation: every server but Edge shares the one Get-AuthConfig
//! names. Its expiry, or its absence from every store, is an organisation
//! finding; a server whose store lacks it while others hold it gets only
//! `auth-cert-not-replicated`.

use super::facts::{is_auth, utc_note};
use super::{Ctx, StoreFinding, View};
use crate::analyze::{catalog, remediation};
use crate::model::{
    Finding, FindingId, Grade, Inventory, Organisation, Severity, StoreCertificate, Verdict,
};

/// The current Auth certificate and where it comes from.
pub(super) struct Current<'a> {
    /// Its thumbprint: Get-AuthConfig's, else the newest Auth certificate
    /// in the stores.
    thumbprint: Option<&'a str>,
    /// Its record, when an exported store holds it (the one expiring
    /// last, should two records disagree; else the first).
    record: Option<&'a StoreCertificate>,
    /// Where the thumbprint came from, for the finding's detail.
    from: &'static str,
    /// Non-Edge servers with a store export that lack it.
    missing_on: Vec<usize>,
}

impl Current<'_> {
    /// Whether `thumbprint` is the current Auth certificate.
    pub(super) fn is(&self, thumbprint: &str) -> bool {
        self.thumbprint
            .is_some_and(|t| t.eq_ignore_ascii_case(thumbprint))
    }
}

/// Find the current Auth certificate and the servers that lack it.
pub(super) fn current<'a>(
    inv: &'a Inventory,
    certs: &'a [StoreCertificate],
    views: &[View<'_>],
) -> Current<'a> {
    let config = inv.auth_config.as_ref();
    let (thumbprint, from) = match config {
        Some(a) => (
            a.current_thumbprint.as_deref(),
            "Get-AuthConfig's current certificate",
        ),
        None => (
            certs
                .iter()
                .filter(|c| is_auth(c))
                .max_by_key(|c| c.not_after)
                .map(|c| c.thumbprint.as_str()),
            "the newest Auth certificate in the stores",
        ),
    };
    // The first in export order among equals, so the procedure names a
    // stable server.
    let record = thumbprint.and_then(|t| {
        certs.iter().filter(|c| c.thumbprint == t).reduce(|a, b| {
            if b.not_after > a.not_after {
                b
            } else {
                a
            }
        })
    });
    // Which certificate is current is known only from AuthConfig; without
    // it, a store lacking the newest one may simply be between rotations.
    let missing_on = match (config, thumbprint, record) {
        (Some(_), Some(t), Some(_)) => views
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.no_auth && !v.store.is_empty())
            .filter(|(_, v)| !v.certs(certs).any(|c| c.thumbprint.eq_ignore_ascii_case(t)))
            .map(|(i, _)| i)
            .collect(),
        _ => Vec::new(),
    };
    Current {
        thumbprint,
        record,
        from,
        missing_on,
    }
}

/// This server's store lacks the current Auth certificate that others hold.
/// `i` is the view's position.
pub(super) fn not_replicated(ctx: &Ctx<'_>, i: usize, v: &View<'_>) -> Vec<StoreFinding> {
    let (Some(t), Some(c)) = (ctx.auth.thumbprint, ctx.auth.record) else {
        return Vec::new();
    };
    // In view order, so sorted.
    if ctx.auth.missing_on.binary_search(&i).is_err() {
        return Vec::new();
    }
    vec![StoreFinding {
        finding: catalog::finding(
            FindingId::AuthCertNotReplicated,
            Severity::Critical,
            format!(
                "Get-AuthConfig names {t} as the current Auth certificate; {} holds it, but \
                 {}'s store export does not. It expires on {}{}.",
                c.server,
                v.host,
                c.not_after.date(),
                utc_note(c)
            ),
            vec![remediation::import_auth(&v.host, t)],
        ),
        verdict: Verdict::RotateAuthCert,
        endpoint: None,
        port: None,
    }]
}

/// The organisation's findings: the Auth certificate expired, expiring,
/// or held by no exported store.
pub(super) fn organisation(ctx: &Ctx<'_>, views: &[View<'_>]) -> Organisation {
    let auth = &ctx.auth;
    let config = ctx.inv.auth_config.as_ref();
    let staged = config
        .and_then(|a| Some((a.next_thumbprint.as_deref()?, a.next_effective_date)))
        .map(|(t, d)| (t, d.map(|d| d.date())));
    // The procedure runs once, on a server that holds the certificate.
    let host = auth
        .record
        .map(|c| c.server.clone())
        .or_else(|| views.iter().find(|v| !v.no_auth).map(|v| v.host.clone()))
        .unwrap_or_default();
    let hybrid = ctx.inv.connectors.iter().any(|c| c.hybrid);
    // Every server that caches the Auth certificate (Edge and 2010 do not).
    let servers: Vec<&str> = views
        .iter()
        .filter(|v| !v.no_auth)
        .map(|v| v.host.as_str())
        .collect();
    let exported = views.iter().any(|v| !v.no_auth && !v.store.is_empty());
    let mut findings: Vec<Finding> = Vec::new();
    match (config, auth.thumbprint, auth.record) {
        (Some(_), None, _) if exported => findings.push(catalog::finding(
            FindingId::AuthCertMissing,
            Severity::Critical,
            "Get-AuthConfig names no current Auth certificate: OAuth (OWA/ECP sign-in, hybrid \
             free/busy) has no certificate to sign with."
                .to_string(),
            remediation::rotate_auth(&host, true, None, hybrid, &servers),
        )),
        (Some(_), Some(t), None) if exported => findings.push(catalog::finding(
            FindingId::AuthCertMissing,
            Severity::Critical,
            format!(
                "Get-AuthConfig names {t} as the current Auth certificate, but none of the \
                 exported stores ({} servers) holds it, so its expiry is unknown and OAuth fails \
                 wherever it is missing.",
                views.iter().filter(|v| !v.store.is_empty()).count()
            ),
            remediation::rotate_auth(&host, true, None, hybrid, &servers),
        )),
        (_, Some(_), Some(c)) => {
            findings.extend(expiry(ctx, c, auth.from, staged, (&host, &servers), hybrid));
        }
        _ => {}
    }
    let severity = findings
        .iter()
        .map(|f| Grade::from(f.severity))
        .min()
        .unwrap_or(Grade::Ok);
    let summary = findings
        .first()
        .map(|f| {
            format!(
                "Organisation: {} ({}); rotate it once, for every server.",
                f.title,
                f.id.as_str()
            )
        })
        .unwrap_or_default();
    let remediation_steps = findings
        .iter()
        .flat_map(|f| f.remediation_steps.iter().cloned())
        .collect();
    Organisation {
        severity,
        summary,
        findings,
        remediation_steps,
        auth_thumbprint: auth.thumbprint.map(str::to_string),
        auth_not_after: auth.record.map(|c| c.not_after),
        auth_next_thumbprint: config.and_then(|a| a.next_thumbprint.clone()),
        auth_missing_on: auth
            .missing_on
            .iter()
            .filter_map(|&i| views.get(i).map(|v| v.host.clone()))
            .collect(),
    }
}

/// The Auth certificate `c` (found as `from`) expired or expiring, with
/// the next certificate AuthConfig stages, if any.
fn expiry(
    ctx: &Ctx<'_>,
    c: &StoreCertificate,
    from: &str,
    staged: Option<(&str, Option<time::Date>)>,
    (host, servers): (&str, &[&str]),
    hybrid: bool,
) -> Option<Finding> {
    let settings = ctx.settings;
    let (id, severity) = if c.days_left < 0 {
        (FindingId::AuthCertExpired, Severity::Critical)
    } else if c.days_left < settings.critical_days {
        (FindingId::AuthCertExpiring, Severity::Critical)
    } else if c.days_left < settings.warn_days {
        (FindingId::AuthCertExpiring, Severity::Warning)
    } else {
        return None;
    };
    let when = if c.days_left < 0 {
        format!(
            "expired on {} ({} days ago)",
            c.not_after.date(),
            -c.days_left
        )
    } else {
        format!("expires on {} ({} days)", c.not_after.date(), c.days_left)
    };
    let next = match staged {
        Some((t, Some(d))) => format!(" A next certificate {t} is staged, effective {d}."),
        Some((t, None)) => format!(" A next certificate {t} is staged, with no effective date."),
        None if ctx.inv.auth_config.is_some() => " No next certificate is staged.".to_string(),
        None => String::new(),
    };
    Some(catalog::finding(
        id,
        severity,
        format!(
            "The Exchange Server Auth Certificate {} ({from}, held by {}) {when}{}.{next} \
             OWA/ECP sign-in and hybrid free/busy (OAuth) break on every server when it expires.",
            c.thumbprint,
            c.server,
            utc_note(c)
        ),
        remediation::rotate_auth(
            host,
            c.days_left < 0,
            staged.and_then(|(t, d)| Some((t, d?))),
            hybrid,
            servers,
        ),
    ))
}
