//! One verdict per server, a sentence, and its remediation steps (written
//! by [`super::remediation`]).
//!
//! # Verdict precedence
//!
//! Only warning and critical findings decide a verdict; info never does.
//! The most severe finding wins. Among equally severe findings the order is:
//!
//! 1. `rebind-public-cert`: 443 lost its public cert, presents a different
//!    one from the fleet, or presents a cert that is not valid yet. Every
//!    client of this server is affected now (Outlook and browser warnings,
//!    ActiveSync, Autodiscover, hybrid), and the fix is one
//!    `Enable-ExchangeCertificate` with a thumbprint we already know. A lost
//!    binding is usually the trace of a backend renewal (the renewal trap),
//!    so it often comes with an expiring 444: the steps then say whether the
//!    renewed cert already exists (443 presents it: bind it to 444, no new
//!    renewal) or must still be made (renew first, re-enable IIS last, since
//!    a renewal would move IIS again).
//! 2. `renew-backend`: an expired or expiring backend (444) cert, the
//!    server's own Exchange cert. Breaks proxying to this server and remote
//!    PowerShell, and the next CU setup.
//! 3. `renew-public-cert`: the public cert itself is wrong: expiring,
//!    untrusted, missing a namespace, weak. This needs the CA, so it is slower
//!    and usually fleet-wide.
//!    (`rotate-auth-cert`, from `--inventory`, comes next.)
//! 4. `fix-transport-cert`: an SMTP, IMAP or POP port presents an expired,
//!    expiring or not-yet-valid certificate, its own self-signed one where
//!    the fleet's same port presents the public one (the transport side of
//!    the renewal trap), or offers no STARTTLS; or an Edge server's
//!    EdgeSync LDAPS presents an expired or expiring certificate (the
//!    Edge's default SMTP certificate, fixed with a new one and a new Edge
//!    Subscription). Mail flow with Exchange Online and partners depends on
//!    it; a refused or filtered mail or EdgeSync port is only info and
//!    never decides a verdict.
//! 5. `fix-backend-binding`: 444 works but presents the wrong cert (WMSvc,
//!    Auth, public, another server's). Nothing is broken today.
//! 6. `investigate`: an endpoint could not be scanned, or presented garbage.
//!    Never counted healthy, but a known problem is acted on first.
//! 7. `review`: other warnings (missing intermediate, TLS 1.2 not enabled,
//!    TLS 1.3 on a build without it, TLS versions unlike the other
//!    servers') that need a look but none of the above, and every finding
//!    on a `--tls-port` port (WMSvc, UM): no Exchange procedure fixes
//!    those, so the summary names the port by its label and the steps say,
//!    in words, where that service takes its certificate.
//! 8. `ok`: nothing at warning or above.
//!
//! A load balancer's VIP (`--load-balancer`) is no Exchange server: its
//! verdict (`fix-load-balancer-cert`, `investigate`, `review` or `ok`) and
//! steps are decided apart, in `super::balancer`.
//!
//! # Decided once
//!
//! `judge` sees every finding of a server at once: its endpoints' (wire
//! and fleet rules) and its store's (`--inventory`, a stage that ran
//! before). A store finding carries the verdict it calls for (an expired
//! "Microsoft Exchange" certificate `renew-backend`, a public one enabled
//! for IIS `renew-public-cert`, ...) and competes in the same precedence;
//! when it decides, the summary names it and its steps come first. A
//! renewal waiting in the store turns an expiry's "renew" into "bind". No
//! step after this one changes a verdict or a step.

use crate::model::{Classification, EndpointReport, Finding, FindingId, Grade, Role, Severity};

use super::remediation::{self, Step, Task};
use super::rules::already_renewed;
use super::store::StoreFinding;

mod ports;

pub use crate::model::Verdict;

/// Which verdict a finding calls for, given the role of its endpoint.
pub fn verdict_for(id: FindingId, role: Role) -> Verdict {
    use FindingId::*;
    match (id, role) {
        (BackendCertExpired | BackendCertExpiring, _) => Verdict::RenewBackend,
        (PublicBindingLost | PublicCertInconsistent, _) => Verdict::RebindPublicCert,
        (NotYetValid, Role::Frontend) => Verdict::RebindPublicCert,
        (NotYetValid, Role::Backend) => Verdict::FixBackendBinding,
        (NameMismatch, Role::Smtp | Role::Imap | Role::Pop) => Verdict::FixTransportCert,
        // EdgeSync presents the Edge's transport certificate; an `other`
        // port is no Exchange site, so there is nothing to rebind or renew
        // through Exchange: review, with the service's own steps.
        (EdgesyncCertExpired | EdgesyncCertExpiring, _) => Verdict::FixTransportCert,
        (OtherCertExpired | OtherCertExpiring | OtherCertUntrusted, _) => Verdict::Review,
        (NameMismatch, Role::Edgesync | Role::Other) => Verdict::Review,
        (FrontendCertExpired | FrontendCertExpiring | FrontendCertUntrusted | NameMismatch, _) => {
            Verdict::RenewPublicCert
        }
        (WeakSignature | WeakKey, Role::Frontend) => Verdict::RenewPublicCert,
        // Only raised on 444.
        (WeakSignature | WeakKey, Role::Backend) | (BackendUnexpectedCert, _) => {
            Verdict::FixBackendBinding
        }
        (EndpointNotScanned | CertUnparsable, _) => Verdict::Investigate,
        (ChainIncomplete | LegacyTlsOnly | LegacyProtocolsEnabled | SniDependentCert, _) => {
            Verdict::Review
        }
        // SCHANNEL settings to look at; end of support is info and never
        // decides a verdict.
        (Tls13Unsupported | TlsVersionsInconsistent | ExchangeOutOfSupport, _) => Verdict::Review,
        (
            SmtpCertExpired | SmtpCertExpiring | ImapCertExpired | ImapCertExpiring
            | PopCertExpired | PopCertExpiring | StarttlsNotOffered | SmtpCertInconsistent,
            _,
        ) => Verdict::FixTransportCert,
        (
            NotYetValid | WeakSignature | WeakKey | RenewedCertNotBound,
            Role::Smtp | Role::Imap | Role::Pop,
        ) => Verdict::FixTransportCert,
        (AuthCertExpired | AuthCertExpiring | AuthCertMissing, _) => Verdict::RotateAuthCert,
        (RenewedCertNotBound, Role::Frontend) => Verdict::RebindPublicCert,
        (RenewedCertNotBound, Role::Backend) => Verdict::FixBackendBinding,
        (StoreBindingDrift | HybridConnectorCertInvalid | StoreCertInvalidStatus, _) => {
            Verdict::Review
        }
        // Store certificates carry their own verdict (`store`); by role,
        // for a caller that only has the id.
        (
            StoreCertExpired | StoreCertExpiring | StoreCertWeakKey | StoreCertWeakSignature,
            Role::Frontend,
        ) => Verdict::RenewPublicCert,
        (
            StoreCertExpired | StoreCertExpiring | StoreCertWeakKey | StoreCertWeakSignature,
            Role::Backend,
        ) => Verdict::RenewBackend,
        (
            StoreCertExpired | StoreCertExpiring | StoreCertWeakKey | StoreCertWeakSignature,
            Role::Smtp | Role::Imap | Role::Pop,
        ) => Verdict::FixTransportCert,
        (AuthCertNotReplicated, _) => Verdict::RotateAuthCert,
        (LbCertMismatch | LbCertExpired | LbCertExpiring | LbCertUntrusted | LbNameMismatch, _) => {
            Verdict::FixLoadBalancerCert
        }
        // Not an Exchange site: a balancer, EdgeSync or another TLS port.
        (_, Role::LoadBalancer | Role::Edgesync | Role::Other) => Verdict::Review,
    }
}

/// Whether a backend leaf is one to renew: the server's own Exchange cert.
/// Anything else on 444 (WMSvc, Auth, CA-issued, another server's) is a
/// binding problem, and renewing it would only entrench the wrong binding.
fn renewable_backend(e: &EndpointReport) -> bool {
    e.leaf()
        .is_some_and(|l| l.classification == Classification::ExchangeSelfSigned)
        && !e
            .findings
            .iter()
            .any(|f| f.id == FindingId::BackendUnexpectedCert)
}

/// The verdict a finding on this endpoint calls for. Backend expiry on a
/// cert that should not be on 444 at all calls for a rebinding; so does
/// frontend expiry on a server that lags behind the fleet's newer public
/// cert (the fleet's cert is already there to bind, nothing to renew).
/// A renewed certificate waiting in the store (`renewed` lists the ports)
/// turns "renew" into "bind" the same way.
fn verdict_on(e: &EndpointReport, f: &Finding, renewed: &[u16]) -> Verdict {
    let waits = renewed.contains(&e.endpoint.port);
    match verdict_for(f.id, e.endpoint.role) {
        Verdict::RenewBackend if !renewable_backend(e) || waits => Verdict::FixBackendBinding,
        Verdict::RenewPublicCert
            if (f.id == FindingId::FrontendCertExpired
                || f.id == FindingId::FrontendCertExpiring)
                && (e.lags_fleet || waits) =>
        {
            Verdict::RebindPublicCert
        }
        v => v,
    }
}

/// An expiry finding, which a renewal waiting in the store fixes.
fn is_expiry(id: FindingId) -> bool {
    matches!(
        id,
        FindingId::FrontendCertExpired
            | FindingId::FrontendCertExpiring
            | FindingId::BackendCertExpired
            | FindingId::BackendCertExpiring
    )
}

/// The verdict, grade, summary and steps for one server.
pub(crate) struct ServerVerdict {
    pub verdict: Verdict,
    pub grade: Grade,
    pub summary: String,
    pub steps: Vec<Step>,
}

/// Everything one server's verdict is decided from.
pub(crate) struct ServerInput<'a> {
    /// The server.
    pub host: &'a str,
    /// Its endpoints, carrying their findings (wire and fleet).
    pub endpoints: &'a [&'a EndpointReport],
    /// Its store's findings (`--inventory`).
    pub store: &'a [StoreFinding],
    /// The public cert thumbprint to bind (own or fleet majority).
    pub public: Option<&'a str>,
    /// The command that checks the fix; none for a server not scanned.
    pub verify: Option<&'a str>,
}

/// Judge one server, once, from every finding: its endpoints' and its
/// store's. Nothing changes the verdict or its steps afterwards.
pub(crate) fn decide(input: &ServerInput<'_>) -> ServerVerdict {
    let ServerInput {
        host,
        endpoints,
        store,
        public,
        verify,
    } = *input;
    let renewed: Vec<u16> = store
        .iter()
        .filter(|f| f.finding.id == FindingId::RenewedCertNotBound)
        .filter_map(|f| f.port)
        .collect();
    let all: Vec<(&EndpointReport, &Finding)> = all_findings(endpoints).collect();
    let grade = all
        .iter()
        .map(|(_, f)| f.severity)
        .chain(store.iter().map(|f| f.finding.severity))
        .map(Grade::from)
        .min()
        .unwrap_or(Grade::Ok);
    let wire_best = all
        .iter()
        .filter(|(_, f)| f.severity <= Severity::Warning)
        .map(|(e, f)| (f.severity, verdict_on(e, f, &renewed)))
        .min();
    let store_best = store
        .iter()
        .filter(|f| f.finding.severity <= Severity::Warning)
        .map(|f| (f.finding.severity, f.verdict))
        .min();
    let store_decides = store_best.is_some_and(|s| wire_best.is_none_or(|w| s < w));
    let verdict = wire_best
        .into_iter()
        .chain(store_best)
        .min()
        .map_or(Verdict::Ok, |(_, v)| v);
    let summary = match store_best.filter(|_| store_decides) {
        Some(best) => store_summary(host, store, best),
        None if endpoints.is_empty() && verdict == Verdict::Ok => {
            format!("{host}: store export only (not scanned); nothing in its store needs action.")
        }
        None => summary(host, verdict, &all, endpoints, &renewed),
    };
    // Steps come only from what needs action: info findings add none. An
    // expiry a waiting renewal fixes takes the renewal's steps (below).
    let actionable: Vec<(&EndpointReport, &Finding)> = all
        .into_iter()
        .filter(|(_, f)| f.severity <= Severity::Warning)
        .filter(|(e, f)| !(is_expiry(f.id) && renewed.contains(&e.endpoint.port)))
        .collect();
    let wire_steps = steps(host, endpoints, &actionable, public);
    // The findings that decided come first, so the first step matches the
    // summary.
    let mut urgent: Vec<&StoreFinding> = store
        .iter()
        .filter(|f| f.finding.severity <= Severity::Warning)
        .collect();
    urgent.sort_by_key(|f| (f.finding.severity, f.verdict));
    // A renewal that fixes an expiry leads: binding it is what the verdict
    // asks for.
    let fixes_expiry = |f: &StoreFinding| {
        f.finding.id == FindingId::RenewedCertNotBound
            && f.port.is_some_and(|p| {
                all_findings(endpoints).any(|(e, x)| e.endpoint.port == p && is_expiry(x.id))
            })
    };
    let (lead, urgent): (Vec<&StoreFinding>, Vec<&StoreFinding>) =
        urgent.into_iter().partition(|f| fixes_expiry(f));
    let steps_of = |list: &[&StoreFinding]| {
        let mut out: Vec<Step> = Vec::new();
        for st in list.iter().flat_map(|f| &f.finding.remediation_steps) {
            if !out.contains(st) {
                out.push(st.clone());
            }
        }
        out
    };
    let store_steps = steps_of(&urgent);
    let (first, second) = if store_decides {
        (store_steps, wire_steps)
    } else {
        (wire_steps, store_steps)
    };
    let mut steps: Vec<Step> = Vec::new();
    for st in steps_of(&lead).into_iter().chain(first).chain(second) {
        // An iisreset may be due twice (after the 444 binding, and again
        // after IIS moves to a new public certificate); only one right
        // after another is dropped.
        let repeat = if st.task == Task::Iisreset {
            steps.last() == Some(&st)
        } else {
            steps.contains(&st)
        };
        if !repeat {
            steps.push(st);
        }
    }
    if !steps.is_empty() {
        let group = endpoints
            .iter()
            .map(|e| &e.endpoint.group)
            .find(|g| !g.is_empty());
        if group.is_some_and(|g| g.roles().is_edge())
            && steps.iter().any(|s| {
                matches!(
                    s.task,
                    Task::RenewBackend | Task::ReplacePublic | Task::RenewEdgeCertificate
                )
            })
            && !steps
                .iter()
                .any(|s| s.task == Task::RecreateEdgeSubscription)
        {
            let site = group.and_then(|g| g.site.as_deref());
            steps.extend(remediation::edge_subscription(host, site));
        }
        if let Some(verify) = verify.filter(|_| !endpoints.is_empty()) {
            steps.push(remediation::verify(host, verify));
        }
    }
    ServerVerdict {
        verdict,
        grade,
        summary,
        steps,
    }
}

/// Every finding of these endpoints, with its endpoint.
fn all_findings<'a>(
    endpoints: &'a [&'a EndpointReport],
) -> impl Iterator<Item = (&'a EndpointReport, &'a Finding)> {
    endpoints
        .iter()
        .flat_map(|e| e.findings.iter().map(move |f| (*e, f)))
}

/// `ex01: <titles> (certificate store).`: the store's findings that decided
/// the verdict (`best`: their severity and verdict).
fn store_summary(host: &str, store: &[StoreFinding], best: (Severity, Verdict)) -> String {
    let mut titles: Vec<&str> = Vec::new();
    for f in store
        .iter()
        .filter(|f| (f.finding.severity, f.verdict) == best)
    {
        if !titles.contains(&&*f.finding.title) {
            titles.push(&f.finding.title);
        }
    }
    format!("{host}: {} (certificate store).", titles.join("; "))
}

/// The server's steps, in the order to do them: the backend first, then the
/// public binding or certificate, then the rest.
fn steps(
    host: &str,
    endpoints: &[&EndpointReport],
    all: &[(&EndpointReport, &Finding)],
    public: Option<&str>,
) -> Vec<Step> {
    let renew_backend = first(all, FindingId::BackendCertExpired)
        .or_else(|| first(all, FindingId::BackendCertExpiring))
        .filter(|e| renewable_backend(e));
    let mut steps = backend_steps(host, endpoints, all, public, renew_backend);
    if renew_backend.is_none() {
        steps.extend(public_binding_steps(host, all, public));
    }
    if needs_new_public_cert(all) {
        let current = endpoints
            .iter()
            .find(|e| e.endpoint.role == Role::Frontend)
            .and_then(|e| e.leaf());
        steps.extend(remediation::new_public_cert(host, current));
    }
    // Mail ports: each finding carries its own steps (port, service and
    // thumbprints differ per port); the connector check is given once.
    for (_, f) in all.iter().filter(|(e, f)| {
        verdict_for(f.id, e.endpoint.role) == Verdict::FixTransportCert
            && !ports::own_steps(e.endpoint.role)
    }) {
        for step in &f.remediation_steps {
            if !steps.contains(step) {
                steps.push(step.clone());
            }
        }
    }
    ports::add_steps(&mut steps, all);
    steps.extend(steps_of(all, FindingId::ChainIncomplete));
    steps.extend(steps_of(all, FindingId::LegacyTlsOnly));
    steps.extend(steps_of(all, FindingId::Tls13Unsupported));
    steps.extend(steps_of(all, FindingId::TlsVersionsInconsistent));
    for (e, f) in all.iter().filter(|(_, f)| {
        matches!(
            f.id,
            FindingId::EndpointNotScanned | FindingId::CertUnparsable
        )
    }) {
        steps.extend(remediation::at_endpoint(
            &e.endpoint.host,
            e.endpoint.port,
            &f.remediation_steps,
        ));
    }
    if renew_backend.is_some() {
        steps.push(remediation::repeat_on_dag_members(host));
    }
    steps
}

/// The backend's steps: bind the already renewed certificate, renew the
/// server's own one (`renew`), or fix a wrong 444 binding. 443 comes first
/// when the renewal took it or it is already lost.
fn backend_steps(
    host: &str,
    endpoints: &[&EndpointReport],
    all: &[(&EndpointReport, &Finding)],
    public: Option<&str>,
    renew: Option<&EndpointReport>,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let renewed = renew.and_then(|e| already_renewed(e, endpoints));
    if let (Some(e), Some(new)) = (renew, renewed) {
        // 443 first: it lost the public certificate to the renewed one.
        steps.push(remediation::rebind_public(host, public));
        steps.extend(remediation::bind_renewed(host, e.endpoint.port, new));
    } else if let Some((e, old)) = renew.and_then(|e| Some((e, e.leaf()?))) {
        // 443 first: the re-created certificate never moves it, but a
        // binding already lost must not wait for the off-hours iisreset.
        if has(all, FindingId::PublicBindingLost) {
            steps.push(remediation::rebind_public(host, public));
        }
        steps.extend(remediation::renew_backend(
            host,
            e.endpoint.port,
            &e.endpoint.group,
            old,
        ));
    } else if has(all, FindingId::BackendUnexpectedCert)
        || has(all, FindingId::BackendCertExpired)
        || has(all, FindingId::BackendCertExpiring)
        || role_has(all, FindingId::NotYetValid, Role::Backend)
    {
        // The scanned backend port, which is not always 444.
        let port = endpoints
            .iter()
            .find(|e| e.endpoint.role == Role::Backend)
            .map_or(444, |e| e.endpoint.port);
        steps.extend(remediation::fix_backend_binding(host, port));
    }
    steps
}

/// The public binding's steps when no backend renewal already handles 443:
/// rebind a lost or not-yet-valid binding, or roll out the fleet's newer
/// certificate.
fn public_binding_steps(
    host: &str,
    all: &[(&EndpointReport, &Finding)],
    public: Option<&str>,
) -> Vec<Step> {
    if has(all, FindingId::PublicBindingLost)
        || role_has(all, FindingId::NotYetValid, Role::Frontend)
    {
        // Exchange may keep the previous certificate until IIS restarts.
        return vec![
            remediation::rebind_public(host, public),
            remediation::iisreset(host),
        ];
    }
    // An expiring certificate with a newer one already rolled out on
    // other servers: its finding carries the roll-out step.
    all.iter()
        .find(|(e, f)| {
            e.lags_fleet
                && matches!(
                    f.id,
                    FindingId::FrontendCertExpired | FindingId::FrontendCertExpiring
                )
        })
        .map(|(_, f)| f.remediation_steps.clone())
        .unwrap_or_default()
}

/// Whether the public certificate itself must be replaced (through the
/// CA): expiring with nothing newer in the fleet, untrusted, missing a
/// namespace, or weak.
fn needs_new_public_cert(all: &[(&EndpointReport, &Finding)]) -> bool {
    let expiry = all.iter().any(|(e, f)| {
        matches!(
            f.id,
            FindingId::FrontendCertExpired | FindingId::FrontendCertExpiring
        ) && !e.lags_fleet
    });
    expiry
        || has(all, FindingId::FrontendCertUntrusted)
        || role_has(all, FindingId::NameMismatch, Role::Frontend)
        || role_has(all, FindingId::WeakKey, Role::Frontend)
        || role_has(all, FindingId::WeakSignature, Role::Frontend)
}

fn has(all: &[(&EndpointReport, &Finding)], id: FindingId) -> bool {
    all.iter().any(|(_, f)| f.id == id)
}

/// The endpoint of the first finding with `id`.
fn first<'a>(all: &[(&'a EndpointReport, &Finding)], id: FindingId) -> Option<&'a EndpointReport> {
    all.iter().find(|(_, f)| f.id == id).map(|(e, _)| *e)
}

/// The steps a finding already carries (the first such finding's).
fn steps_of(all: &[(&EndpointReport, &Finding)], id: FindingId) -> Vec<Step> {
    all.iter()
        .find(|(_, f)| f.id == id)
        .map(|(_, f)| f.remediation_steps.clone())
        .unwrap_or_default()
}

fn role_has(all: &[(&EndpointReport, &Finding)], id: FindingId, role: Role) -> bool {
    all.iter()
        .any(|(e, f)| f.id == id && e.endpoint.role == role)
}

/// The verdict's sentence: what is wrong on this server and what to do.
fn summary(
    host: &str,
    verdict: Verdict,
    all: &[(&EndpointReport, &Finding)],
    endpoints: &[&EndpointReport],
    renewed: &[u16],
) -> String {
    let ids = |keep: fn(Verdict) -> bool| ids(all, renewed, keep);
    // An expiring certificate whose renewal waits in the store.
    let waiting = all
        .iter()
        .any(|(e, f)| is_expiry(f.id) && renewed.contains(&e.endpoint.port));
    match verdict {
        Verdict::RenewBackend => backend_summary(host, all),
        Verdict::RebindPublicCert if waiting && !has(all, FindingId::PublicBindingLost) => {
            format!(
                "{host}: a renewed certificate already waits in the store; bind it instead of \
                 renewing again."
            )
        }
        Verdict::FixBackendBinding if waiting => format!(
            "{host}: a renewed certificate already waits in the store; bind it instead of \
             renewing again."
        ),
        Verdict::RebindPublicCert => rebind_summary(host, all, endpoints),
        Verdict::RenewPublicCert => format!(
            "{host}: the public (443) certificate needs replacing ({}).",
            ids(|v| v == Verdict::RenewPublicCert)
        ),
        Verdict::FixBackendBinding => format!(
            "{host}: 444 presents the wrong certificate; bind the server's own \"Microsoft Exchange\" certificate."
        ),
        Verdict::Investigate => unscanned_summary(host, endpoints),
        Verdict::Review => {
            let decided: Vec<(&EndpointReport, &Finding)> = all
                .iter()
                .filter(|(e, f)| {
                    f.severity <= Severity::Warning
                        && verdict_on(e, f, renewed) == Verdict::Review
                })
                .copied()
                .collect();
            ports::other_summary(host, &decided).unwrap_or_else(|| {
                format!("{host}: needs a look ({}).", ids(|v| v == Verdict::Review))
            })
        }
        Verdict::RotateAuthCert => format!(
            "{host}: the Exchange Server Auth Certificate (OAuth) needs rotating or importing."
        ),
        Verdict::FixTransportCert => transport_summary(host, all),
        Verdict::Ok => format!("{host}: no action needed."),
        // Decided for balancers only (`super::balancer`); a host that
        // mixes a VIP with a server's ports says it the same way.
        Verdict::FixLoadBalancerCert => format!(
            "{host}: the load balancer's certificate needs replacing ({}).",
            ids(|v| v == Verdict::FixLoadBalancerCert)
        ),
    }
}

/// `ex01: the backend (444) certificate expires on ... (12 days); renew it.`
fn backend_summary(host: &str, all: &[(&EndpointReport, &Finding)]) -> String {
    let leaf_of = |id| first(all, id).and_then(|e| e.leaf());
    let leaf =
        leaf_of(FindingId::BackendCertExpired).or_else(|| leaf_of(FindingId::BackendCertExpiring));
    let when = leaf
        .and_then(|l| l.days_left.map(|d| (l, d)))
        .map_or(String::new(), |(l, d)| {
            if d < 0 {
                format!(" expired on {}", l.not_after_text())
            } else {
                format!(" expires on {} ({d} days)", l.not_after_text())
            }
        });
    let lost = if has(all, FindingId::PublicBindingLost) {
        ", and 443 lost its public certificate"
    } else {
        ""
    };
    format!("{host}: the backend (444) certificate{when}{lost}; renew it.")
}

/// Why 443 needs rebinding: a lost binding (with or without a backend to
/// fix too), a lag behind the fleet, or a certificate not valid yet.
fn rebind_summary(
    host: &str,
    all: &[(&EndpointReport, &Finding)],
    endpoints: &[&EndpointReport],
) -> String {
    let backend =
        has(all, FindingId::BackendCertExpired) || has(all, FindingId::BackendCertExpiring);
    let lost = has(all, FindingId::PublicBindingLost);
    if lost && backend {
        format!("{host}: 443 presents a self-signed certificate and the backend (444) certificate needs renewing; re-enable IIS on the public certificate and fix 444.")
    } else if lost {
        format!("{host}: 443 presents a self-signed certificate; re-enable IIS on the public certificate.")
    } else if let Some(lagging) = endpoints.iter().find(|e| e.lags_fleet) {
        // Said with its own expiry once a finding says it matters: "older"
        // alone reads as harmless on a certificate that has expired.
        let due = |id| lagging.findings.iter().any(|f| f.id == id);
        let own = lagging
            .leaf()
            .and_then(|l| Some((l.days_left?, l.not_after_text())))
            .and_then(|(days, date)| {
                if due(FindingId::FrontendCertExpired) {
                    Some(format!("expired on {date} ({} days ago)", -days))
                } else if due(FindingId::FrontendCertExpiring) {
                    Some(format!("expires on {date} ({days} days)"))
                } else {
                    None
                }
            });
        match own {
            Some(own) => format!("{host}: 443 still presents an older public certificate, which {own}, while a newer one is already rolled out to other servers; roll the newest one out here."),
            None => format!("{host}: 443 presents an older public certificate than the one already rolled out to other servers; roll the newest one out here."),
        }
    } else {
        format!("{host}: 443 presents a certificate that is not valid yet; bind a valid one.")
    }
}

/// `ex01: could not be fully scanned (port 444: refused); ...`
fn unscanned_summary(host: &str, endpoints: &[&EndpointReport]) -> String {
    let failed: Vec<String> = endpoints
        .iter()
        .filter(|e| {
            e.findings
                .iter()
                .any(|f| f.id == FindingId::EndpointNotScanned || f.id == FindingId::CertUnparsable)
        })
        .map(|e| {
            // It answered, but what it sent could not be read.
            let what = if e.status == crate::model::Status::Ok {
                "unparsable certificate"
            } else {
                e.status.as_str()
            };
            format!("{}: {what}", e.endpoint.port)
        })
        .collect();
    format!(
        "{host}: could not be fully scanned (port {}); not counted healthy.",
        failed.join(", ")
    )
}

/// The ids of the actionable findings whose verdict `keep` selects, each
/// once, in finding order.
fn ids(
    all: &[(&EndpointReport, &Finding)],
    renewed: &[u16],
    keep: impl Fn(Verdict) -> bool,
) -> String {
    let mut ids: Vec<&str> = all
        .iter()
        .filter(|(e, f)| f.severity <= Severity::Warning && keep(verdict_on(e, f, renewed)))
        .map(|(_, f)| f.id.as_str())
        .collect();
    let mut seen = Vec::new();
    ids.retain(|id| {
        let first = !seen.contains(id);
        seen.push(*id);
        first
    });
    ids.join(", ")
}

/// `ex02: SMTP 25 presents its own self-signed certificate unlike the
/// fleet; ...`: what is wrong on which mail port, worst first.
fn transport_summary(host: &str, all: &[(&EndpointReport, &Finding)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (e, f) in all.iter().filter(|(e, f)| {
        f.severity <= Severity::Warning
            && verdict_for(f.id, e.endpoint.role) == Verdict::FixTransportCert
    }) {
        let what = match f.id {
            FindingId::SmtpCertExpired
            | FindingId::ImapCertExpired
            | FindingId::PopCertExpired
            | FindingId::EdgesyncCertExpired => "certificate expired",
            FindingId::SmtpCertExpiring
            | FindingId::ImapCertExpiring
            | FindingId::PopCertExpiring
            | FindingId::EdgesyncCertExpiring => "certificate expiring",
            FindingId::StarttlsNotOffered => "no STARTTLS",
            FindingId::SmtpCertInconsistent => {
                "self-signed where the fleet presents its public certificate"
            }
            _ => &f.title,
        };
        let part = format!("{}: {what}", ports::port_name(e));
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    format!(
        "{host}: mail transport needs a certificate fix ({}).",
        parts.join("; ")
    )
}
