//! Mail ports (SMTP, IMAP, POP): expiry, STARTTLS, names, and the
//! transport side of the renewal trap.
//!
//! Decisions worth knowing:
//! - A self-signed certificate on a mail port is not a finding by itself:
//!   it is Exchange's default, expected on the internal transport ports
//!   (2525, 465, 717, 475) and normal on 25 for internal-only servers. Only
//!   where most servers' same (non-internal) port presents a CA-issued
//!   certificate is it [`FindingId::SmtpCertInconsistent`].
//! - Names are checked only against the namespaces the admin gave
//!   (`--namespace`): MX-facing names often differ from the 443 names, so
//!   names inferred from the fleet's 443 certificates would flag healthy
//!   servers. A CA-issued mail certificate must then cover one of them.
//! - A refused, filtered or silent mail port is info (see `not_scanned`),
//!   and `no_starttls` is [`FindingId::StarttlsNotOffered`].

use std::collections::BTreeMap;

use crate::config::AnalysisSettings;
use crate::model::{
    CertFacts, Classification, EndpointEvidence, Finding, FindingId, Role, Severity, Status,
};

use super::chain::{chain_incomplete, name_mismatch};
use super::ctx::{presents, where_, EndpointCtx};
use super::expiry::escalate;
use crate::analyze::catalog::finding;
use crate::analyze::cert::is_parsed;
use crate::analyze::hostnames;
use crate::analyze::remediation;

/// Ports of Exchange's internal transport, where the server's own
/// self-signed certificate is expected: 2525 (Transport service), 465
/// (client proxy), 717 (Front End outbound proxy), 475 (Mailbox Transport
/// Delivery).
pub(crate) const INTERNAL_TRANSPORT_PORTS: [u16; 4] = [2525, 465, 717, 475];

/// The checks for a mail port that presented a parsable chain.
pub(super) fn mail_checks(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Vec<Finding> {
    let mut out: Vec<Finding> = expiry(ctx, leaf).into_iter().collect();
    if !leaf.self_issued {
        out.extend(chain_incomplete(ctx, leaf));
        out.extend(names(ctx, leaf));
    }
    out
}

/// `after STARTTLS` or `over implicit TLS`, for detail sentences.
fn how(ctx: &EndpointCtx<'_>) -> &'static str {
    let starttls = ctx
        .evidence
        .observation
        .tls
        .as_ref()
        .is_some_and(|t| t.starttls);
    if starttls {
        "after STARTTLS"
    } else {
        "over implicit TLS"
    }
}

fn expiry(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
    let s = ctx.settings;
    let e = &ctx.evidence.endpoint;
    let (expired, days_left) = super::expiry::due(leaf, s)?;
    let id = match (e.role, expired) {
        (Role::Smtp, true) => FindingId::SmtpCertExpired,
        (Role::Smtp, false) => FindingId::SmtpCertExpiring,
        (Role::Imap, true) => FindingId::ImapCertExpired,
        (Role::Imap, false) => FindingId::ImapCertExpiring,
        (Role::Pop, true) => FindingId::PopCertExpired,
        (Role::Pop, false) => FindingId::PopCertExpiring,
        (Role::Frontend | Role::Backend, _) => return None,
        (Role::LoadBalancer | Role::Edgesync | Role::Other, _) => return None,
    };
    let severity = if expired {
        Severity::Critical
    } else {
        escalate(leaf, s)
    };
    let when = super::expiry::expiry_phrase(leaf, days_left, expired);
    let detail = format!("{} {}, which {when}.", presents(ctx, leaf), how(ctx));
    let steps = remediation::renew_transport(
        &e.host,
        e.port,
        e.role,
        leaf,
        ctx.public_thumbprint,
        e.group.roles().is_edge(),
    );
    Some(finding(id, severity, detail, steps))
}

/// A CA-issued mail certificate that covers none of the namespaces the
/// admin gave.
fn names(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> Option<Finding> {
    let e = &ctx.evidence.endpoint;
    let given = hostnames::expected(e.group.site.as_deref(), ctx.settings, &BTreeMap::new());
    if given.is_empty() || given.iter().any(|n| hostnames::covers(leaf, n)) {
        return None;
    }
    name_mismatch(ctx, leaf)
}

/// The port spoke its protocol but gave no STARTTLS.
pub(super) fn starttls_not_offered(ctx: &EndpointCtx<'_>) -> Finding {
    let e = &ctx.evidence.endpoint;
    let obs = &ctx.evidence.observation;
    let d = &obs.dialogue;
    let (banner, exchange) = match (&d.smtp, &d.imap, &d.pop) {
        (Some(s), _, _) => (Some(s.banner.as_str()), s.exchange_banner),
        (_, Some(m), _) | (_, _, Some(m)) => (Some(m.banner.as_str()), m.exchange_banner),
        _ => (None, false),
    };
    let detail = format!(
        "{} spoke {} but gave no TLS: {}.{}",
        where_(ctx),
        e.role.as_str().to_ascii_uppercase(),
        obs.error
            .as_deref()
            .unwrap_or("STARTTLS not offered")
            .trim_end_matches('.'),
        banner.map_or(String::new(), |b| format!(" Its greeting: {b}"))
    );
    finding(
        FindingId::StarttlsNotOffered,
        Severity::Warning,
        detail,
        vec![remediation::offer_starttls(
            &e.host,
            e.port,
            e.role,
            exchange,
            e.group.roles().is_edge(),
        )],
    )
}

/// An SMTP leaf that answered, for the fleet comparison.
struct SmtpLeaf<'a> {
    endpoint: usize,
    host: &'a str,
    port: u16,
    site: Option<&'a str>,
    edge: bool,
    leaf: &'a CertFacts,
}

/// `smtp-cert-inconsistent`: on each non-internal SMTP port, when most
/// servers present a CA-issued certificate, every server presenting a
/// self-issued one instead gets a warning naming the certificate to
/// enable (see [`choose`]).
pub(crate) fn smtp_inconsistent(
    evidence: &[EndpointEvidence],
    leaves: &[Option<&CertFacts>],
    settings: &AnalysisSettings,
) -> Vec<(usize, Finding)> {
    let leaves: Vec<SmtpLeaf<'_>> = evidence
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.endpoint.role == Role::Smtp
                && e.observation.status == Status::Ok
                && !INTERNAL_TRANSPORT_PORTS.contains(&e.endpoint.port)
        })
        .filter_map(|(i, e)| {
            let leaf = leaves.get(i).copied().flatten().filter(|l| is_parsed(l))?;
            Some(SmtpLeaf {
                endpoint: i,
                host: &e.endpoint.host,
                port: e.endpoint.port,
                site: e.endpoint.group.site.as_deref(),
                edge: e.endpoint.group.roles().is_edge(),
                leaf,
            })
        })
        .collect();
    let mut ports: BTreeMap<u16, Vec<&SmtpLeaf<'_>>> = BTreeMap::new();
    for l in &leaves {
        ports.entry(l.port).or_default().push(l);
    }
    let mut out = Vec::new();
    for (port, on_port) in ports {
        let ca: Vec<&SmtpLeaf<'_>> = on_port
            .iter()
            .copied()
            .filter(|l| l.leaf.classification == Classification::CaIssued)
            .collect();
        if ca.len() * 2 <= on_port.len() {
            continue;
        }
        for l in on_port.iter().filter(|l| l.leaf.self_issued) {
            let Some(public) = choose(l, &ca, settings) else {
                continue;
            };
            let detail = format!(
                "{}:{port} (smtp) presents its own self-signed certificate {} (SHA-1 {}, \
                 expires {}), while {} of {} servers present a CA-issued certificate on port \
                 {port} ({} for this server: {}, expires {}). Exchange Online and partners that \
                 check the certificate refuse this one: the transport side of the renewal trap.",
                l.host,
                l.leaf.subject,
                l.leaf.sha1,
                l.leaf.not_after_text(),
                ca.len(),
                on_port.len(),
                if l.site.is_some() && public_site(&ca, public) == l.site {
                    "its site's"
                } else {
                    "the best match"
                },
                public.sha1,
                public.not_after_text()
            );
            out.push((
                l.endpoint,
                finding(
                    FindingId::SmtpCertInconsistent,
                    Severity::Warning,
                    detail,
                    remediation::smtp_fleet_cert(l.host, port, &public.sha1, l.edge),
                ),
            ));
        }
    }
    out
}

fn public_site<'a>(ca: &[&SmtpLeaf<'a>], cert: &CertFacts) -> Option<&'a str> {
    ca.iter()
        .find(|c| c.leaf.sha1 == cert.sha1)
        .and_then(|c| c.site)
}

/// The CA-issued certificate to enable on `l`'s server: valid at the
/// as-of date and not itself due for renewal (else its own server's steps
/// replace it with a new one), covering the namespaces given for the
/// server's site when there are any, from the server's own site first;
/// then the one most servers present, the later expiry and the lower
/// thumbprint breaking ties.
fn choose<'a>(
    l: &SmtpLeaf<'_>,
    ca: &[&SmtpLeaf<'a>],
    settings: &AnalysisSettings,
) -> Option<&'a CertFacts> {
    let wanted = hostnames::expected(l.site, settings, &BTreeMap::new());
    let usable: Vec<&&SmtpLeaf<'a>> = ca
        .iter()
        .filter(|c| {
            c.leaf.not_after.is_some_and(|t| t > settings.as_of)
                && c.leaf.days_left.is_some_and(|d| d >= settings.warn_days)
                && (wanted.is_empty() || wanted.iter().any(|n| hostnames::covers(c.leaf, n)))
        })
        .collect();
    let same_site: Vec<&&SmtpLeaf<'a>> = usable
        .iter()
        .copied()
        .filter(|c| {
            l.site.is_some()
                && c.site.map(str::to_ascii_lowercase) == l.site.map(str::to_ascii_lowercase)
        })
        .collect();
    let pool = if same_site.is_empty() {
        usable
    } else {
        same_site
    };
    let mut counts: BTreeMap<&str, (usize, &'a CertFacts)> = BTreeMap::new();
    for c in pool {
        counts.entry(&c.leaf.sha1).or_insert((0, c.leaf)).0 += 1;
    }
    counts
        .into_values()
        .max_by(|(n, a), (m, b)| {
            n.cmp(m)
                .then(a.not_after.cmp(&b.not_after))
                .then(b.sha1.cmp(&a.sha1))
        })
        .map(|(_, c)| c)
}
