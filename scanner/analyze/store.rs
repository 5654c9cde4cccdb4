//! The certificate stores (`--inventory`), judged and joined with the wire.
//!
//! The wire shows what a port presents; the store adds what only it knows:
//! friendly names and services ([`join_wire`], before the endpoint rules,
//! so classification can use the friendly name), renewed certificates that
//! wait unbound, the Auth certificate no port presents, and the
//! certificate a hybrid connector names ([`judge`], after them).
//!
//! Servers are matched by name: the export's `Identity` server (an FQDN)
//! and the scanned host compare equal ignoring case, or by their first
//! label when one side is a short name, or through `Get-ExchangeServer`'s
//! Name/Fqdn pairs when that export is given.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::{catalog, cert, remediation, verdict};
use crate::config::AnalysisSettings;
use crate::model::{
    CertFacts, Classification, Connector, EndpointEvidence, EndpointReport, Finding, FindingId,
    Grade, Inventory, Role, ServerReport, Severity, Status, Step, StoreCertificate, Verdict,
};

const AUTH_SUBJECT: &str = "CN=Microsoft Exchange Server Auth Certificate";
const EXCHANGE_NAME: &str = "Microsoft Exchange";
const AUTH_NAME: &str = "Microsoft Exchange Server Auth Certificate";

/// Server names as the exports and the scan spell them, made comparable.
pub(crate) struct Names(HashMap<String, String>);

impl Names {
    pub(crate) fn new(inv: &Inventory) -> Self {
        let mut map = HashMap::new();
        for s in &inv.exchange_servers {
            let canonical = s.fqdn.as_deref().unwrap_or(&s.name).to_ascii_lowercase();
            map.insert(s.name.to_ascii_lowercase(), canonical.clone());
            map.insert(canonical.clone(), canonical);
        }
        Names(map)
    }

    fn key(&self, name: &str) -> String {
        let lower = name.trim().trim_end_matches('.').to_ascii_lowercase();
        self.0.get(&lower).cloned().unwrap_or(lower)
    }

    /// Whether two spellings name one server.
    pub(crate) fn same(&self, a: &str, b: &str) -> bool {
        let (a, b) = (self.key(a), self.key(b));
        if a == b {
            return true;
        }
        let is_ip = |s: &str| s.parse::<std::net::IpAddr>().is_ok();
        if is_ip(&a) || is_ip(&b) || (a.contains('.') && b.contains('.')) {
            return false;
        }
        a.split('.').next() == b.split('.').next()
    }
}

/// What a friendly name says a self-issued certificate is.
fn by_friendly_name(friendly: &str) -> Option<Classification> {
    if friendly.eq_ignore_ascii_case(EXCHANGE_NAME) {
        Some(Classification::ExchangeSelfSigned)
    } else if friendly.eq_ignore_ascii_case(AUTH_NAME) {
        Some(Classification::ExchangeAuth)
    } else if friendly.to_ascii_lowercase().starts_with("wmsvc") {
        Some(Classification::Wmsvc)
    } else {
        None
    }
}

/// Classify by the store's friendly name when it names one of Exchange's
/// own self-issued certificates; returns the new class and reason.
fn classify_by_name(
    class: Classification,
    self_issued: bool,
    friendly: Option<&str>,
    server: &str,
    shape_reason: &str,
) -> Option<(Classification, String)> {
    let friendly = friendly?;
    let named = by_friendly_name(friendly)?;
    if !self_issued || class == Classification::Unparsable {
        return None;
    }
    let reason = if named == class {
        format!("Friendly name \"{friendly}\" in {server}'s store agrees. {shape_reason}")
    } else {
        format!(
            "Friendly name \"{friendly}\" in {server}'s store (--inventory); by shape alone it \
             would be {}: {shape_reason}",
            class.as_str()
        )
    };
    Some((named, reason))
}

/// Give every wire certificate found in its server's store the store's
/// friendly name and services, and classify it by the friendly name.
pub(crate) fn join_wire(
    chains: &mut [Vec<std::sync::Arc<CertFacts>>],
    evidence: &[EndpointEvidence],
    inv: &Inventory,
) {
    let names = Names::new(inv);
    let mut by_thumb: HashMap<&str, Vec<&StoreCertificate>> = HashMap::new();
    for c in &inv.certificates {
        by_thumb.entry(c.thumbprint.as_str()).or_default().push(c);
    }
    for (chain, e) in chains.iter_mut().zip(evidence) {
        for f in chain.iter_mut() {
            let Some(s) = by_thumb.get(f.sha1.as_str()).and_then(|list| {
                list.iter()
                    .find(|s| names.same(&s.server, &e.endpoint.host))
            }) else {
                continue;
            };
            // This endpoint's own copy: the store's names are per server.
            let f = std::sync::Arc::make_mut(f);
            f.friendly_name.clone_from(&s.friendly_name);
            f.services.clone_from(&s.services);
            if let Some((class, reason)) = classify_by_name(
                f.classification,
                f.self_issued,
                s.friendly_name.as_deref(),
                &s.server,
                &f.classification_reason,
            ) {
                f.classification = class;
                f.classification_reason = reason;
            }
        }
    }
}

/// A store record judged as of `as_of`: facts from the DER when the export
/// carried it, days left, classification with the friendly name.
fn refresh(c: &StoreCertificate, as_of: OffsetDateTime) -> StoreCertificate {
    let mut c = c.clone();
    let mut shape_reason = String::new();
    if let Some(der) = &c.der_base64 {
        let f = cert::facts(&der.0, as_of);
        if let (true, Some(not_before), Some(not_after)) =
            (cert::is_parsed(&f), f.not_before, f.not_after)
        {
            c.thumbprint = f.sha1;
            c.subject = f.subject;
            c.issuer = f.issuer;
            c.not_before = not_before;
            c.not_after = not_after;
            c.self_signed = f.self_signed;
            c.names = f.sans;
            c.classification = f.classification;
            shape_reason = f.classification_reason;
        }
    } else {
        c.classification = if c.subject.eq_ignore_ascii_case(AUTH_SUBJECT) && c.self_signed {
            Classification::ExchangeAuth
        } else if c.self_signed {
            Classification::SelfSigned
        } else {
            Classification::CaIssued
        };
        shape_reason =
            "From the export's Subject, Issuer and IsSelfSigned columns (no DER).".into();
    }
    c.classification_reason = Some(shape_reason.clone());
    if let Some((class, reason)) = classify_by_name(
        c.classification,
        c.self_signed,
        c.friendly_name.as_deref(),
        &c.server,
        &shape_reason,
    ) {
        c.classification = class;
        c.classification_reason = Some(reason);
    }
    c.days_left = cert::days_between(as_of, c.not_after);
    c.bound = Vec::new();
    c
}

fn is_auth(c: &StoreCertificate) -> bool {
    c.classification == Classification::ExchangeAuth || c.subject.eq_ignore_ascii_case(AUTH_SUBJECT)
}

fn valid_at(c: &StoreCertificate, as_of: OffsetDateTime) -> bool {
    c.not_before <= as_of && as_of < c.not_after
}

fn label(c: &StoreCertificate) -> String {
    match c.friendly_name.as_deref().filter(|f| !f.is_empty()) {
        Some(f) => format!("\"{f}\" ({})", c.thumbprint),
        None => format!("{} ({})", c.subject, c.thumbprint),
    }
}

fn utc_note(c: &StoreCertificate) -> &'static str {
    if c.dates_assumed_utc {
        " (the export gave local times without an offset; read as UTC)"
    } else {
        ""
    }
}

/// A store finding and the role its verdict follows.
struct StoreFinding {
    finding: Finding,
    role: Role,
}

fn found(id: FindingId, severity: Severity, detail: String, steps: Vec<Step>) -> StoreFinding {
    StoreFinding {
        finding: catalog::finding(id, severity, detail, steps),
        role: Role::Frontend,
    }
}

/// One server's slice of the analysis.
struct ServerView<'a> {
    host: String,
    store: Vec<usize>,
    endpoints: Vec<&'a EndpointReport>,
    edge: bool,
}

/// Judge the stores: findings onto `servers` (store-only servers are
/// added), expiry advice on endpoints fixed by a waiting renewal, and the
/// inventory as scan.json shows it.
pub(crate) fn judge(
    inv: &Inventory,
    endpoints: &mut [EndpointReport],
    servers: &mut Vec<ServerReport>,
    settings: &AnalysisSettings,
) -> Inventory {
    let as_of = settings.as_of;
    let names = Names::new(inv);
    let mut certs: Vec<StoreCertificate> =
        inv.certificates.iter().map(|c| refresh(c, as_of)).collect();
    mark_bound(&mut certs, endpoints, &names);

    let views = server_views(inv, &certs, endpoints, servers, &names);
    let hybrid = inv.connectors.iter().any(|c| c.hybrid);
    let mut per_server: Vec<Vec<StoreFinding>> = Vec::new();
    let mut renewed_fix: Vec<(usize, Vec<Step>)> = Vec::new();
    for v in &views {
        let mut out = auth_findings(inv, &certs, v, settings, hybrid);
        for (e, f, steps) in renewed(&certs, v, as_of) {
            if let Some(i) = endpoints_index(endpoints, e) {
                renewed_fix.push((i, steps));
            }
            out.push(f);
        }
        out.extend(drift(&certs, v));
        out.extend(connectors(inv, &certs, v, &names, as_of));
        per_server.push(out);
    }
    let hosts: Vec<String> = views.into_iter().map(|v| v.host).collect();

    bind_renewed_advice(endpoints, renewed_fix);
    for (i, (host, found)) in hosts.iter().zip(per_server).enumerate() {
        if i >= servers.len() {
            servers.push(store_only_server(host));
        }
        if let Some(s) = servers.get_mut(i) {
            apply(s, found);
        }
    }

    Inventory {
        certificates: certs,
        ..inv.clone()
    }
}

/// Record on each store certificate the ports the scan saw presenting it.
fn mark_bound(certs: &mut [StoreCertificate], endpoints: &[EndpointReport], names: &Names) {
    for c in certs {
        for e in endpoints {
            if e.status == Status::Ok
                && e.leaf().is_some_and(|l| l.sha1 == c.thumbprint)
                && names.same(&c.server, &e.endpoint.host)
            {
                let port = e.endpoint.port.to_string();
                if !c.bound.contains(&port) {
                    c.bound.push(port);
                }
            }
        }
    }
}

/// Servers: the scanned ones (in `servers` order, so view `i` is server
/// `i`), then store-only ones in export order.
fn server_views<'a>(
    inv: &Inventory,
    certs: &[StoreCertificate],
    endpoints: &'a [EndpointReport],
    servers: &[ServerReport],
    names: &Names,
) -> Vec<ServerView<'a>> {
    let mut views: Vec<ServerView<'a>> = servers
        .iter()
        .map(|s| ServerView {
            host: s.host.clone(),
            store: Vec::new(),
            endpoints: s
                .endpoints
                .iter()
                .filter_map(|&i| endpoints.get(i))
                .collect(),
            edge: false,
        })
        .collect();
    for (i, c) in certs.iter().enumerate() {
        match views.iter_mut().find(|v| names.same(&v.host, &c.server)) {
            Some(v) => v.store.push(i),
            None => views.push(ServerView {
                host: c.server.clone(),
                store: vec![i],
                endpoints: Vec::new(),
                edge: false,
            }),
        }
    }
    for v in &mut views {
        v.edge = inv.exchange_servers.iter().any(|s| {
            (names.same(&s.name, &v.host)
                || s.fqdn.as_deref().is_some_and(|f| names.same(f, &v.host)))
                && s.role.as_deref().is_some_and(|r| r.contains("Edge"))
        });
    }
    views
}

/// An expiring certificate with its renewal already in the store is fixed
/// by binding that one: say so on the expiry finding itself (`fixes` pairs
/// an endpoint index with those steps).
fn bind_renewed_advice(endpoints: &mut [EndpointReport], fixes: Vec<(usize, Vec<Step>)>) {
    for (i, steps) in fixes {
        if let Some(e) = endpoints.get_mut(i) {
            for f in e.findings.iter_mut().filter(|f| {
                matches!(
                    f.id,
                    FindingId::FrontendCertExpired
                        | FindingId::FrontendCertExpiring
                        | FindingId::BackendCertExpired
                        | FindingId::BackendCertExpiring
                )
            }) {
                catalog::replace_steps(f, steps.clone());
            }
        }
    }
}

fn endpoints_index(all: &[EndpointReport], e: &EndpointReport) -> Option<usize> {
    all.iter().position(|x| std::ptr::eq(x, e))
}

fn store_only_server(host: &str) -> ServerReport {
    ServerReport {
        host: host.to_string(),
        severity: Grade::Ok,
        verdict: Verdict::Ok,
        summary: format!(
            "{host}: store export only (not scanned); nothing in its store needs action."
        ),
        remediation: Vec::new(),
        remediation_steps: Vec::new(),
        endpoints: Vec::new(),
        group: Default::default(),
        findings: Vec::new(),
    }
}

fn grade_severity(g: Grade) -> Option<Severity> {
    match g {
        Grade::Critical => Some(Severity::Critical),
        Grade::Warning => Some(Severity::Warning),
        Grade::Info => Some(Severity::Info),
        Grade::Ok => None,
    }
}

/// Put store findings on a server: grade, verdict, summary and steps.
fn apply(s: &mut ServerReport, mut found: Vec<StoreFinding>) {
    if found.is_empty() {
        return;
    }
    found.sort_by_key(|f| f.finding.severity);
    rebind_when_renewed(s, &found);
    let store_first = store_verdict(s, &found);
    for f in &found {
        s.severity = s.severity.min(Grade::from(f.finding.severity));
    }
    // The store's steps lead when the store decided the verdict, so the
    // first step matches the summary.
    let mut steps: Vec<Step> = Vec::new();
    for f in found
        .iter()
        .filter(|f| f.finding.severity <= Severity::Warning)
    {
        for st in &f.finding.remediation_steps {
            if !steps.iter().any(|x| x.text == st.text) {
                steps.push(st.clone());
            }
        }
    }
    let endpoint_steps = std::mem::take(&mut s.remediation_steps);
    let (first, second) = if store_first {
        (steps, endpoint_steps)
    } else {
        (endpoint_steps, steps)
    };
    for st in first.into_iter().chain(second) {
        if !s.remediation_steps.iter().any(|x| x.text == st.text) {
            s.remediation_steps.push(st);
        }
    }
    // Rendered from the steps when needed.
    s.remediation.clear();
    s.findings = found.into_iter().map(|f| f.finding).collect();
}

/// A renewal waiting in the store turns "renew" into "bind": the verdict
/// changes and the steps that would make a new certificate go.
fn rebind_when_renewed(s: &mut ServerReport, found: &[StoreFinding]) {
    let renewed: Vec<Role> = found
        .iter()
        .filter(|f| f.finding.id == FindingId::RenewedCertNotBound)
        .map(|f| f.role)
        .collect();
    let rebind = match s.verdict {
        Verdict::RenewPublicCert if renewed.contains(&Role::Frontend) => {
            Some(Verdict::RebindPublicCert)
        }
        Verdict::RenewBackend if renewed.contains(&Role::Backend) => {
            Some(Verdict::FixBackendBinding)
        }
        _ => None,
    };
    if let Some(v) = rebind {
        s.verdict = v;
        s.remediation_steps.retain(|st| {
            !matches!(
                st.task,
                crate::model::Task::ReplacePublic
                    | crate::model::Task::RenewBackend
                    | crate::model::Task::TrustCertificate
            )
        });
    }
}

/// Let the store's worst actionable finding decide the verdict and summary
/// when it outranks the endpoints' (`found` is sorted, worst first);
/// returns whether it did.
fn store_verdict(s: &mut ServerReport, found: &[StoreFinding]) -> bool {
    let current = grade_severity(s.severity).map(|sev| (sev, s.verdict));
    let best = found
        .iter()
        .filter(|f| f.finding.severity <= Severity::Warning)
        .map(|f| {
            (
                f.finding.severity,
                verdict::verdict_for(f.finding.id, f.role),
            )
        })
        .min();
    let Some((sev, v)) = best.filter(|&b| current.is_none_or(|c| b < c)) else {
        return false;
    };
    s.verdict = v;
    let titles: Vec<&str> = found
        .iter()
        .filter(|f| f.finding.severity == sev)
        .map(|f| f.finding.title.as_str())
        .collect();
    s.summary = format!("{}: {} (certificate store).", s.host, titles.join("; "));
    true
}

/// The Auth certificate: expired, expiring or missing on this server.
fn auth_findings(
    inv: &Inventory,
    certs: &[StoreCertificate],
    v: &ServerView<'_>,
    settings: &AnalysisSettings,
    hybrid: bool,
) -> Vec<StoreFinding> {
    let here = |t: &str| {
        v.store
            .iter()
            .filter_map(|&i| certs.get(i))
            .find(|c| c.thumbprint == t)
    };
    let (current, from) = match inv
        .auth_config
        .as_ref()
        .and_then(|a| a.current_thumbprint.as_deref())
    {
        // Edge servers have no Auth certificate, and a server without a
        // store export cannot be said to miss one.
        Some(t) if here(t).is_none() && !v.edge && !v.store.is_empty() => {
            return vec![auth_missing(certs, v, t)];
        }
        Some(t) => (here(t), "Get-AuthConfig's current certificate"),
        None => (
            v.store
                .iter()
                .filter_map(|&i| certs.get(i))
                .filter(|c| is_auth(c))
                .max_by_key(|c| c.not_after),
            "the newest Auth certificate in the store",
        ),
    };
    current
        .and_then(|c| auth_expiry(inv, c, from, &v.host, settings, hybrid))
        .into_iter()
        .collect()
}

/// The Auth certificate AuthConfig names (`thumb`) is not in this server's
/// store export.
fn auth_missing(certs: &[StoreCertificate], v: &ServerView<'_>, thumb: &str) -> StoreFinding {
    let known = certs.iter().find(|c| c.thumbprint == thumb);
    let expiry = known.map_or(
        " No store export holds it, so its expiry is unknown.".to_string(),
        |c| format!(" It expires on {}{}.", c.not_after.date(), utc_note(c)),
    );
    found(
        FindingId::AuthCertMissing,
        Severity::Critical,
        format!(
            "Get-AuthConfig names {thumb} as the current Auth certificate, but {}'s store \
             export does not hold it.{expiry}",
            v.host
        ),
        vec![remediation::import_auth(&v.host, thumb)],
    )
}

/// The Auth certificate `c` (found as `from`) expired or expiring on
/// `host`, with the next certificate AuthConfig stages, if any.
fn auth_expiry(
    inv: &Inventory,
    c: &StoreCertificate,
    from: &str,
    host: &str,
    settings: &AnalysisSettings,
    hybrid: bool,
) -> Option<StoreFinding> {
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
    let auth = inv.auth_config.as_ref();
    let staged = auth
        .and_then(|a| Some((a.next_thumbprint.as_deref()?, a.next_effective_date)))
        .map(|(t, d)| (t, d.map(|d| d.date())));
    let next = match staged {
        Some((t, Some(d))) => format!(" A next certificate {t} is staged, effective {d}."),
        Some((t, None)) => format!(" A next certificate {t} is staged, with no effective date."),
        None if auth.is_some() => " No next certificate is staged.".to_string(),
        None => String::new(),
    };
    Some(found(
        id,
        severity,
        format!(
            "The Exchange Server Auth Certificate {} ({from}, on {host}) {when}{}.{next} OWA/ECP \
             sign-in and hybrid free/busy (OAuth) break when it expires.",
            c.thumbprint,
            utc_note(c)
        ),
        remediation::rotate_auth(
            host,
            c.days_left < 0,
            staged.and_then(|(t, d)| Some((t, d?))),
            hybrid,
            &[host],
        ),
    ))
}

fn same_names(a: &[String], b: &[String]) -> bool {
    let norm = |v: &[String]| {
        let mut v: Vec<String> = v.iter().map(|s| s.to_ascii_lowercase()).collect();
        v.sort();
        v.dedup();
        v
    };
    !a.is_empty() && norm(a) == norm(b)
}

/// Ports presenting a certificate older than a valid one of the same kind
/// that waits in this server's store.
fn renewed<'a>(
    certs: &[StoreCertificate],
    v: &ServerView<'a>,
    as_of: OffsetDateTime,
) -> Vec<(&'a EndpointReport, StoreFinding, Vec<Step>)> {
    let mut out = Vec::new();
    for &e in &v.endpoints {
        let Some(leaf) = e.leaf().filter(|_| e.status == Status::Ok) else {
            continue;
        };
        let newer =
            v.store
                .iter()
                .filter_map(|&i| certs.get(i))
                .filter(|c| {
                    c.thumbprint != leaf.sha1
                        && !is_auth(c)
                        && valid_at(c, as_of)
                        && leaf.not_after.is_some_and(|t| c.not_after > t)
                        && (leaf.friendly_name.as_deref().is_some_and(|f| {
                            !f.is_empty() && c.friendly_name.as_deref() == Some(f)
                        }) || same_names(&c.names, &leaf.sans))
                })
                .max_by_key(|c| c.not_after);
        let Some(c) = newer else { continue };
        let port = e.endpoint.port;
        let services = match c.services.as_deref() {
            Some([]) => ", enabled for no service".to_string(),
            Some(s) => format!(", enabled for {}", s.join(", ")),
            None => String::new(),
        };
        let steps =
            remediation::enable_renewed(&v.host, port, &leaf.sha1, &c.thumbprint, e.endpoint.role);
        let mut f = found(
            FindingId::RenewedCertNotBound,
            Severity::Warning,
            format!(
                "{}:{port} presents {} ({}, expires {}), but {}'s store holds {}, valid until \
                 {}{services}: it was renewed but never bound.",
                e.endpoint.host,
                leaf.subject,
                leaf.sha1,
                leaf.not_after_text(),
                v.host,
                label(c),
                c.not_after.date()
            ),
            steps.clone(),
        );
        f.role = e.endpoint.role;
        out.push((e, f, steps));
    }
    out
}

/// 443 against the store's IIS service flag.
fn drift(certs: &[StoreCertificate], v: &ServerView<'_>) -> Option<StoreFinding> {
    let front = v
        .endpoints
        .iter()
        .find(|e| e.endpoint.role == Role::Frontend && e.status == Status::Ok)?;
    let leaf = front.leaf()?;
    let store: Vec<&StoreCertificate> = v.store.iter().filter_map(|&i| certs.get(i)).collect();
    let mut why: Vec<String> = store
        .iter()
        .find(|c| c.thumbprint == leaf.sha1)
        .and_then(|c| presented_not_for_iis(c))
        .into_iter()
        .collect();
    // 444 presents the server's own certificate, which Exchange also lists
    // with IIS: only an IIS certificate no scanned port presents drifts.
    let all_scanned = v.endpoints.iter().all(|e| e.status == Status::Ok);
    let idle: Vec<&&StoreCertificate> = store
        .iter()
        .filter(|c| has_iis(c) && c.bound.is_empty() && !is_auth(c))
        .collect();
    if all_scanned {
        for c in &idle {
            why.push(format!(
                "the store has {} enabled for IIS, but 443 presents {} ({})",
                label(c),
                leaf.subject,
                leaf.sha1
            ));
        }
    }
    if why.is_empty() {
        return None;
    }
    let intended = idle
        .iter()
        .filter(|c| c.classification == Classification::CaIssued)
        .max_by_key(|c| c.not_after)
        .map(|c| c.thumbprint.as_str());
    Some(found(
        FindingId::StoreBindingDrift,
        Severity::Warning,
        format!(
            "On {}: {}. Usually an Enable-ExchangeCertificate waiting for an iisreset, or a \
             binding changed in IIS Manager.",
            v.host,
            why.join("; ")
        ),
        remediation::check_iis_binding(&v.host, front.endpoint.port, intended),
    ))
}

fn has_iis(c: &StoreCertificate) -> bool {
    c.services
        .as_ref()
        .is_some_and(|s| s.iter().any(|x| x.eq_ignore_ascii_case("IIS")))
}

/// The certificate 443 presents (`c`), when the store lists its services
/// and IIS is not among them.
fn presented_not_for_iis(c: &StoreCertificate) -> Option<String> {
    let services = c.services.as_deref()?;
    if has_iis(c) {
        return None;
    }
    let services = if services.is_empty() {
        "no service".to_string()
    } else {
        services.join(", ")
    };
    Some(format!(
        "443 presents {}, which the store has enabled for {services}, not IIS",
        label(c)
    ))
}

/// `CN=a, O=b` and `O=b,CN=a` name one subject: compare the RDNs as a set.
fn dn_key(dn: &str) -> Vec<String> {
    let mut parts: Vec<String> = dn
        .split([',', '+'])
        .map(|p| p.trim().to_ascii_lowercase().replace(" = ", "="))
        .filter(|p| !p.is_empty())
        .collect();
    parts.sort();
    parts
}

/// Hybrid connectors on this server must name a present, valid certificate.
fn connectors(
    inv: &Inventory,
    certs: &[StoreCertificate],
    v: &ServerView<'_>,
    names: &Names,
    as_of: OffsetDateTime,
) -> Vec<StoreFinding> {
    if v.store.is_empty() {
        return Vec::new();
    }
    inv.connectors
        .iter()
        .filter(|c| c.hybrid && c.servers.iter().any(|s| names.same(s, &v.host)))
        .filter_map(|conn| connector_finding(conn, certs, v, as_of))
        .collect()
}

/// One hybrid connector of this server: its TlsCertificateName (`<I>issuer<S>subject`)
/// matches no valid certificate in the store, or not the one port 25
/// presents.
fn connector_finding(
    conn: &Connector,
    certs: &[StoreCertificate],
    v: &ServerView<'_>,
    as_of: OffsetDateTime,
) -> Option<StoreFinding> {
    let tls = conn.tls_certificate_name.as_deref()?;
    let (issuer, subject) = tls.strip_prefix("<I>").and_then(|r| r.split_once("<S>"))?;
    let matching: Vec<&StoreCertificate> = v
        .store
        .iter()
        .filter_map(|&i| certs.get(i))
        .filter(|c| dn_key(&c.issuer) == dn_key(issuer) && dn_key(&c.subject) == dn_key(subject))
        .collect();
    if matching.iter().any(|c| valid_at(c, as_of)) {
        return smtp_mismatch(conn, tls, (issuer, subject), v);
    }
    let state = match matching.iter().max_by_key(|c| c.not_after) {
        Some(c) => format!(
            "the only match, {}, expired on {}",
            label(c),
            c.not_after.date()
        ),
        None => "no certificate in its store matches".to_string(),
    };
    Some(found(
        FindingId::HybridConnectorCertInvalid,
        Severity::Critical,
        format!(
            "The hybrid {} connector \"{}\" names TlsCertificateName {tls:?}, but on {} {state}.",
            conn.kind, conn.name, v.host
        ),
        vec![remediation::fix_hybrid_connector(&v.host, &conn.name)],
    ))
}

/// The receive connector presents the certificate it names on STARTTLS:
/// port 25, when scanned, must show that issuer and subject.
fn smtp_mismatch(
    conn: &Connector,
    tls: &str,
    (issuer, subject): (&str, &str),
    v: &ServerView<'_>,
) -> Option<StoreFinding> {
    if conn.kind != "receive" {
        return None;
    }
    let smtp = v.endpoints.iter().find(|e| {
        e.endpoint.role == Role::Smtp && e.endpoint.port == 25 && e.status == Status::Ok
    })?;
    let l = smtp.leaf()?;
    if dn_key(&l.issuer) == dn_key(issuer) && dn_key(&l.subject) == dn_key(subject) {
        return None;
    }
    Some(found(
        FindingId::HybridConnectorCertInvalid,
        Severity::Critical,
        format!(
            "The hybrid receive connector \"{}\" names TlsCertificateName {tls:?}, but {}:25 \
             presents {} issued by {} ({}).",
            conn.name, v.host, l.subject, l.issuer, l.sha1
        ),
        vec![remediation::fix_hybrid_connector(&v.host, &conn.name)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_match_short_long_and_aliases() {
        let n = Names(HashMap::new());
        assert!(n.same("EX01", "ex01.contoso.local"));
        assert!(n.same("ex01.contoso.local.", "EX01.contoso.local"));
        assert!(!n.same("ex01.a.local", "ex01.b.local"));
        assert!(!n.same("10.0.0.1", "10"));
        assert!(!n.same("ex01", "ex02"));
    }

    #[test]
    fn subjects_compare_as_rdn_sets() {
        assert_eq!(
            dn_key("CN=mail.contoso.com, O=Contoso, C=US"),
            dn_key("C=US, O=Contoso, CN=mail.contoso.com")
        );
        assert_ne!(dn_key("CN=a"), dn_key("CN=b"));
    }
}
