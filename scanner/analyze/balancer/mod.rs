//! A load balancer's VIP (`--load-balancer NAME[=ADDR]`): what it presents
//! for the namespace it serves, judged on its own and against the servers
//! behind it. The VIP is not an Exchange server, so none of the server
//! rules (and none of their Exchange cmdlets) apply to it.
//!
//! Decisions worth knowing:
//! - The servers behind a VIP are those of its site (the rows of a targets
//!   CSV that name it in a `LoadBalancer` column, when they agree on one),
//!   else of the sites whose namespaces name it (`--namespace SITE:NAME`,
//!   else the names the site's certificates hold), else every scanned
//!   server. Their certificate is the one most of
//!   them present on 443 (the newest on a tie).
//! - `lb-cert-mismatch` compares the HTTPS VIP only. Extended Protection,
//!   on by default since Exchange 2019 CU14, binds Windows authentication
//!   to the TLS channel the client sees: with SSL bridging the balancer
//!   must present the servers' certificate, and offloading is unsupported.
//!   SMTP is not under Extended Protection, and balancers usually pass it
//!   through to whichever server answers, so an SMTP VIP is judged on
//!   expiry always, and on trust and names only when it presents a
//!   CA-issued certificate (an Exchange self-signed one passed through is
//!   normal for SMTP).
//! - Every fix says which certificate to put on the balancer: the servers'
//!   one when it would fix the finding, else a new one from the CA.

mod protocols;
mod verdict;

use std::collections::BTreeMap;
use std::sync::Arc;

use time::OffsetDateTime;

pub(crate) use verdict::{decide, is_balancer, verify_command};

use crate::config::AnalysisSettings;
use crate::model::{CertFacts, Classification, EndpointEvidence, Finding, FindingId, Role};
use crate::model::{Severity, Status, Step};

use super::catalog::finding;
use super::cert::is_parsed;
use super::fleet::{self, FrontLeaf};
use super::hostnames;
use super::remediation::{self, Vip};
use super::trust::ChainCheck;

/// What the VIP rules read about one VIP endpoint.
pub(crate) struct VipCtx<'a> {
    /// The endpoint and what it said.
    pub evidence: &'a EndpointEvidence,
    /// The analysed chain, leaf first.
    pub chain: &'a [Arc<CertFacts>],
    /// Chain validation, when a chain was read.
    pub check: Option<&'a ChainCheck>,
    /// The servers' CA-issued 443 leaves.
    pub front: &'a [FrontLeaf<'a>],
    /// The names each site's 443 certificates share, by site.
    pub inferred: &'a BTreeMap<Option<String>, Vec<String>>,
    pub settings: &'a AnalysisSettings,
}

/// The certificate the servers behind a VIP present.
struct Servers<'a> {
    cert: &'a CertFacts,
    trusted: bool,
    /// The servers presenting it, first seen first.
    on: Vec<&'a str>,
    /// Every server compared.
    hosts: Vec<&'a str>,
    /// `site HQ`, `sites HQ, Branch` or `all scanned servers`.
    scope: String,
}

/// Every finding about one VIP endpoint.
pub(crate) fn findings(ctx: &VipCtx<'_>) -> Vec<Finding> {
    let e = &ctx.evidence.endpoint;
    let vip = Vip {
        host: &e.host,
        namespace: e.sni.as_deref().unwrap_or(&e.host),
        port: e.port,
        forwards_to: e.speaks(),
    };
    let obs = &ctx.evidence.observation;
    let Some(leaf) = ctx.chain.first().filter(|_| obs.status == Status::Ok) else {
        return vec![not_scanned(ctx, &vip)];
    };
    if !is_parsed(leaf) {
        return vec![finding(
            FindingId::CertUnparsable,
            Severity::Warning,
            format!(
                "{} presents a certificate that cannot be parsed (SHA-1 {}).",
                where_(&vip),
                leaf.sha1
            ),
            vec![remediation::check_vip(&vip, Status::Ok)],
        )];
    }
    let servers = servers(ctx, vip.namespace);
    let https = vip.forwards_to != Role::Smtp;
    // An SMTP VIP passing a server's own certificate through is normal.
    let judged_for_trust = https || leaf.classification == Classification::CaIssued;
    let mut out = Vec::new();
    out.extend(not_yet_valid(ctx, &vip, leaf, servers.as_ref()));
    out.extend(expiry(ctx, &vip, leaf, servers.as_ref()));
    if judged_for_trust {
        out.extend(untrusted(ctx, &vip, leaf, servers.as_ref()));
        out.extend(name_mismatch(ctx, &vip, leaf, servers.as_ref()));
    }
    if https {
        out.extend(servers.and_then(|s| mismatch(ctx, &vip, leaf, &s)));
    }
    out.extend(protocols::findings(&vip, &where_(&vip), obs.tls.as_ref()));
    out
}

/// `mail.contoso.com at 10.1.2.50:443 (load balancer)`.
fn where_(vip: &Vip<'_>) -> String {
    let at = if vip.host.eq_ignore_ascii_case(vip.namespace) {
        format!("{}:{}", vip.host, vip.port)
    } else {
        format!("{} at {}:{}", vip.namespace, vip.host, vip.port)
    };
    let what = if vip.forwards_to == Role::Smtp {
        "load balancer, SMTP"
    } else {
        "load balancer"
    };
    format!("{at} ({what})")
}

fn not_scanned(ctx: &VipCtx<'_>, vip: &Vip<'_>) -> Finding {
    let obs = &ctx.evidence.observation;
    let error = obs
        .error
        .as_deref()
        .unwrap_or("no certificate was presented");
    // A mail port filtered between the workstation and the VIP is common
    // and worth knowing; an HTTPS VIP that does not answer is not.
    let unreachable = matches!(
        obs.status,
        Status::Refused | Status::Timeout | Status::Unreachable
    );
    let severity = if vip.forwards_to == Role::Smtp && unreachable {
        Severity::Info
    } else {
        Severity::Warning
    };
    finding(
        FindingId::EndpointNotScanned,
        severity,
        format!(
            "{} could not be scanned: status {}, {}.",
            where_(vip),
            obs.status.as_str(),
            error.trim_end_matches('.')
        ),
        vec![remediation::check_vip(vip, obs.status)],
    )
}

/// The sites whose servers serve `namespace`: the VIP's own (a targets
/// CSV's `LoadBalancer` column on the rows of one site), else those named
/// by `--namespace SITE:NAME`, else by the site's certificates; `None` for
/// every server.
fn serving_sites(ctx: &VipCtx<'_>, namespace: &str) -> Option<Vec<Option<String>>> {
    if let Some(site) = &ctx.evidence.endpoint.group.site {
        return Some(vec![Some(site.clone())]);
    }
    let s = ctx.settings;
    let named = |names: &[String]| names.iter().any(|n| n.eq_ignore_ascii_case(namespace));
    let explicit: Vec<Option<String>> = s
        .site_namespaces
        .iter()
        .filter(|(_, names)| named(names))
        .map(|(site, _)| Some(site.clone()))
        .collect();
    if !explicit.is_empty() {
        return Some(explicit);
    }
    if named(&s.namespaces) {
        return None;
    }
    let inferred: Vec<Option<String>> = ctx
        .inferred
        .iter()
        .filter(|(_, names)| named(names))
        .map(|(site, _)| site.clone())
        .collect();
    (!inferred.is_empty()).then_some(inferred)
}

/// The certificate most servers behind the VIP present on 443.
fn servers<'a>(ctx: &VipCtx<'a>, namespace: &str) -> Option<Servers<'a>> {
    let sites = serving_sites(ctx, namespace);
    let in_scope = |l: &FrontLeaf<'_>| match &sites {
        None => true,
        Some(list) => list.iter().any(|site| match site {
            Some(site) => fleet::same_site(Some(site), l.site),
            None => l.site.is_none(),
        }),
    };
    let leaves: Vec<&FrontLeaf<'a>> = ctx.front.iter().filter(|l| in_scope(l)).collect();
    let mut hosts: Vec<&'a str> = Vec::new();
    // sha1 -> (leaf, trusted, hosts presenting it)
    let mut by_cert: BTreeMap<&str, (&'a CertFacts, bool, Vec<&'a str>)> = BTreeMap::new();
    for l in &leaves {
        if !hosts.iter().any(|h| h.eq_ignore_ascii_case(l.host)) {
            hosts.push(l.host);
        }
        let slot = by_cert
            .entry(l.leaf.sha1.as_str())
            .or_insert((l.leaf, l.trusted, Vec::new()));
        if !slot.2.iter().any(|h| h.eq_ignore_ascii_case(l.host)) {
            slot.2.push(l.host);
        }
    }
    // Most servers first, then the newest; never input order.
    let (_, (cert, trusted, on)) = by_cert.into_iter().max_by(|(a_sha, a), (b_sha, b)| {
        (a.2.len(), a.0.not_before, a.0.not_after)
            .cmp(&(b.2.len(), b.0.not_before, b.0.not_after))
            .then_with(|| b_sha.cmp(a_sha))
    })?;
    let scope = match &sites {
        None => "all scanned servers".to_string(),
        Some(list) => {
            let names: Vec<&str> = list
                .iter()
                .map(|s| s.as_deref().unwrap_or("(no site)"))
                .collect();
            let noun = if names.len() == 1 { "site" } else { "sites" };
            format!("{noun} {}", names.join(", "))
        }
    };
    Some(Servers {
        cert,
        trusted,
        on,
        hosts,
        scope,
    })
}

/// What is wrong with the VIP's certificate, for the fix.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wrong {
    /// Expired, expiring or not valid yet.
    Dates,
    /// The chain does not validate.
    Trust,
    /// It does not cover the namespace.
    Names,
}

/// In date at `as_of`.
fn in_date(c: &CertFacts, as_of: OffsetDateTime) -> bool {
    c.not_before.is_some_and(|t| t <= as_of) && c.not_after.is_some_and(|t| t > as_of)
}

/// The fix: put the servers' certificate on the balancer when it is
/// another one and would fix the finding (trusted, in date, covering the
/// namespace, outliving the VIP's); else a new certificate from the CA.
fn fix(
    ctx: &VipCtx<'_>,
    vip: &Vip<'_>,
    leaf: &CertFacts,
    servers: Option<&Servers<'_>>,
    (wrong, why): (Wrong, &str),
) -> Vec<Step> {
    let as_of = ctx.settings.as_of;
    let fits = |s: &&Servers<'_>| {
        s.cert.sha1 != leaf.sha1
            && s.trusted
            && in_date(s.cert, as_of)
            && hostnames::covers(s.cert, vip.namespace)
            && s.cert.not_after >= leaf.not_after.filter(|_| leaf.not_after > Some(as_of))
    };
    match servers.filter(fits) {
        Some(s) => {
            let from = s.on.first().copied().unwrap_or_default();
            vec![
                remediation::export_for_balancer(from, s.cert),
                remediation::import_on_balancer(vip, s.cert, leaf),
            ]
        }
        // The servers' own certificate: a renewal reaches the balancer
        // with theirs; a chain is completed on the balancer alone.
        None if wrong == Wrong::Dates && servers.is_some_and(|s| s.cert.sha1 == leaf.sha1) => {
            vec![remediation::follow_servers_renewal(vip, leaf)]
        }
        None if wrong == Wrong::Trust
            && !leaf.self_issued
            && ctx.check.is_some_and(|c| !c.issuer_known) =>
        {
            vec![remediation::complete_balancer_chain(vip, leaf)]
        }
        // The servers' certificate is out of date too: both take its
        // renewal (the same step as the mismatch's, so it is said once).
        None => match servers
            .filter(|s| !in_date(s.cert, as_of) && hostnames::covers(s.cert, vip.namespace))
        {
            Some(s) => vec![remediation::after_servers_renewal(vip, s.cert, leaf)],
            None => vec![remediation::new_balancer_cert(vip, leaf, why)],
        },
    }
}

fn not_yet_valid(
    ctx: &VipCtx<'_>,
    vip: &Vip<'_>,
    leaf: &CertFacts,
    servers: Option<&Servers<'_>>,
) -> Option<Finding> {
    let from = leaf.not_before.filter(|t| *t > ctx.settings.as_of)?;
    let why = format!("is valid only from {}", from.date());
    Some(finding(
        FindingId::NotYetValid,
        Severity::Critical,
        format!(
            "{} presents {} (SHA-1 {}), valid only from {}, after the as-of date {}.",
            where_(vip),
            leaf.subject,
            leaf.sha1,
            from.date(),
            ctx.settings.as_of.date()
        ),
        fix(ctx, vip, leaf, servers, (Wrong::Dates, &why)),
    ))
}

fn expiry(
    ctx: &VipCtx<'_>,
    vip: &Vip<'_>,
    leaf: &CertFacts,
    servers: Option<&Servers<'_>>,
) -> Option<Finding> {
    let s = ctx.settings;
    let (not_after, days) = (leaf.not_after?, leaf.days_left?);
    let expired = not_after <= s.as_of;
    if !expired && days >= s.warn_days {
        return None;
    }
    let (id, severity, when) = if expired {
        let when = format!("expired on {} ({} days ago)", leaf.not_after_text(), -days);
        (FindingId::LbCertExpired, Severity::Critical, when)
    } else {
        let severity = if days < s.critical_days {
            Severity::Critical
        } else {
            Severity::Warning
        };
        let when = format!("expires on {} ({days} days left)", leaf.not_after_text());
        (FindingId::LbCertExpiring, severity, when)
    };
    Some(finding(
        id,
        severity,
        format!(
            "{} presents {} ({}, SHA-1 {}), which {when}.",
            where_(vip),
            leaf.subject,
            leaf.classification.label(),
            leaf.sha1
        ),
        fix(ctx, vip, leaf, servers, (Wrong::Dates, &when)),
    ))
}

fn untrusted(
    ctx: &VipCtx<'_>,
    vip: &Vip<'_>,
    leaf: &CertFacts,
    servers: Option<&Servers<'_>>,
) -> Option<Finding> {
    let check = ctx.check?;
    let why = check.non_date_error.as_deref()?;
    let missing = if !leaf.self_issued && !check.issuer_known {
        format!(
            " Its issuer \"{}\" is neither presented nor a known root: an intermediate is \
             missing from the balancer's chain, or the root of a private CA was not given with \
             --ca-bundle.",
            leaf.issuer
        )
    } else {
        String::new()
    };
    Some(finding(
        FindingId::LbCertUntrusted,
        Severity::Warning,
        format!(
            "{} presents {} (SHA-1 {}, issuer {}), whose chain does not validate: {}.{missing}",
            where_(vip),
            leaf.subject,
            leaf.sha1,
            leaf.issuer,
            why.trim_end_matches('.')
        ),
        fix(ctx, vip, leaf, servers, (Wrong::Trust, "does not validate")),
    ))
}

fn name_mismatch(
    ctx: &VipCtx<'_>,
    vip: &Vip<'_>,
    leaf: &CertFacts,
    servers: Option<&Servers<'_>>,
) -> Option<Finding> {
    if hostnames::covers(leaf, vip.namespace) {
        return None;
    }
    let covered = if leaf.sans.is_empty() {
        format!("CN {}", leaf.subject_cn.as_deref().unwrap_or("(none)"))
    } else {
        leaf.sans.join(", ")
    };
    let why = format!("does not cover {}", vip.namespace);
    Some(finding(
        FindingId::LbNameMismatch,
        Severity::Warning,
        format!(
            "{} presents {} (SHA-1 {}), which does not cover the namespace {} it serves; it \
             covers {covered}.",
            where_(vip),
            leaf.subject,
            leaf.sha1,
            vip.namespace
        ),
        fix(ctx, vip, leaf, servers, (Wrong::Names, &why)),
    ))
}

fn mismatch(ctx: &VipCtx<'_>, vip: &Vip<'_>, leaf: &CertFacts, s: &Servers<'_>) -> Option<Finding> {
    if s.cert.sha1 == leaf.sha1 {
        return None;
    }
    let on = if s.on.len() == s.hosts.len() {
        format!("all {} of them", s.hosts.len())
    } else {
        format!("{} of {}: {}", s.on.len(), s.hosts.len(), s.on.join(", "))
    };
    let detail = format!(
        "{} presents {} (SHA-1 {}, expires {}), but the servers behind it ({}) present {} \
         (SHA-1 {}, expires {}) on 443 ({on}). Extended Protection, on by default since \
         Exchange 2019 CU14, does not support SSL offloading, and with SSL bridging the load \
         balancer must present the same certificate as the servers: while it is on, Windows \
         (NTLM and Kerberos) sign-ins through this VIP fail.",
        where_(vip),
        leaf.subject,
        leaf.sha1,
        leaf.not_after_text(),
        s.scope,
        s.cert.subject,
        s.cert.sha1,
        s.cert.not_after_text(),
    );
    let from = s.on.first().copied().unwrap_or_default();
    // The balancer already has the renewal the servers lack: they follow it.
    let balancer_newer = (leaf.not_before, leaf.not_after) > (s.cert.not_before, s.cert.not_after)
        && leaf.classification == Classification::CaIssued
        && in_date(leaf, ctx.settings.as_of)
        && hostnames::covers(leaf, vip.namespace);
    let steps = if balancer_newer {
        vec![remediation::servers_follow_balancer(vip, leaf, &s.hosts)]
    } else if !in_date(s.cert, ctx.settings.as_of) {
        // Never export a certificate that is out of date itself.
        vec![remediation::after_servers_renewal(vip, s.cert, leaf)]
    } else {
        vec![
            remediation::export_for_balancer(from, s.cert),
            remediation::import_on_balancer(vip, s.cert, leaf),
        ]
    };
    Some(finding(
        FindingId::LbCertMismatch,
        Severity::Warning,
        detail,
        steps,
    ))
}
