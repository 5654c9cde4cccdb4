//! Stage 3: evidence plus settings become facts, findings and verdicts.
//!
//! Pure: no I/O and no clock. The as-of time and the trust roots come in
//! through [`AnalysisSettings`], so the same evidence always gives the same
//! answer, live or from a saved scan.json.
//!
//! A straight line: chains are read into facts (with the stores' friendly
//! names), the stores and the fleet give what the rules need to know
//! (a renewal waiting in a store, a newer public certificate already
//! rolled out), the rules make each endpoint's findings once, and each
//! server's verdict and steps are decided once from all of them. Nothing
//! afterwards changes a finding, a verdict or a step.
//!
//! One job per submodule:
//! - [`cert`]: DER to [`CertFacts`];
//! - [`classify`]: which kind of Exchange cert it is, by shape;
//! - [`trust`]: roots and chain validation (rustls-webpki);
//! - [`hostnames`]: RFC 6125 host name matching;
//! - [`catalog`]: every finding id's severity and text ([`catalog::entry`]);
//! - `rules`: per-endpoint findings;
//! - [`fleet`]: fleet-wide findings and expiry cliffs;
//! - `protocols`: the TLS versions each server accepts, against its build
//!   (`tls13-unsupported`) and its peers (`tls-versions-inconsistent`);
//! - `support`: Exchange versions, TLS 1.3 by build and end of support
//!   (`exchange-out-of-support`);
//! - `store`: the certificate stores and the organisation (`--inventory`),
//!   a pure stage before the rules and the verdicts;
//! - [`remediation`]: every remediation step, as data;
//! - [`verdict`]: one verdict per server, with its steps, decided once
//!   from every finding (wire, fleet, store).

pub(crate) mod balancer;
pub mod catalog;
pub mod cert;
pub mod classify;
pub mod commands;
pub mod fleet;
pub mod hostnames;
pub(crate) mod protocols;
pub mod remediation;
pub(crate) mod rules;
pub(crate) mod store;
pub(crate) mod support;
pub mod trust;
pub mod verdict;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use x509_parser::prelude::{FromDer, X509Certificate};

use crate::config::AnalysisSettings;
use crate::model::json::Shared;
use crate::model::{
    CertFacts, Classification, Der, EndpointEvidence, EndpointReport, ExpiryCliff, FindingId,
    NoSniReport, Role, ServerReport, Severity, Status, Step,
};

/// What analysis made of a whole scan.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// One report per evidence item, in the same order.
    pub endpoints: Vec<EndpointReport>,
    /// One per distinct host, in first-seen order.
    pub servers: Vec<ServerReport>,
    /// Backend certs that expire close together on several hosts.
    pub expiry_cliffs: Vec<ExpiryCliff>,
    /// The namespaces inferred for sites without `--namespace`, by site
    /// (`*`: servers with no known site), for scan.json's parameters.
    pub inferred_namespaces: std::collections::BTreeMap<String, Vec<String>>,
    /// The certificate stores, judged (`--inventory`).
    pub inventory: Option<crate::model::Inventory>,
    /// The organisation's findings (the Auth certificate), with
    /// `--inventory`.
    pub organisation: Option<crate::model::Organisation>,
}

/// Analyse every endpoint, then the fleet, then decide each server's
/// verdict, with the admin's store exports (`inventory`) as more evidence:
/// wire certificates get their friendly names before the rules run.
///
/// Takes the evidence: each endpoint's evidence moves into its report once
/// the rules have run (its chain's DER is freed), and none is left when the
/// servers are judged, so a large scan never holds the raw chains and the
/// whole analysis at once.
pub fn analyze(
    evidence: Vec<EndpointEvidence>,
    inventory: Option<&crate::model::Inventory>,
    settings: &AnalysisSettings,
) -> Analysis {
    let ruled = rule_endpoints(evidence, inventory, settings);
    decide_servers(ruled, inventory, settings)
}

/// Every endpoint through the rules; what deciding the servers needs besides.
struct RuledEndpoints {
    endpoints: Vec<EndpointReport>,
    /// Hosts with the indexes of their endpoints ([`group_by_host`]).
    servers: Vec<(String, Vec<usize>)>,
    /// Per server: the public thumbprint its steps should bind.
    publics: Vec<Option<String>>,
    inferred: BTreeMap<Option<String>, Vec<String>>,
    /// The stores and the organisation, judged (`--inventory`).
    store: Option<store::StoreJudgement>,
    /// The texts the endpoints' reports hold, so the servers' steps
    /// share them.
    shared: Shared,
}

/// Read every chain, run the per-endpoint and fleet rules, and turn each
/// endpoint's evidence into its report.
fn rule_endpoints(
    mut evidence: Vec<EndpointEvidence>,
    inventory: Option<&crate::model::Inventory>,
    settings: &AnalysisSettings,
) -> RuledEndpoints {
    let as_of = settings.as_of;
    let chain_facts = read_chain_facts(&evidence, inventory, settings);
    // Every chain is read: the facts keep one DER per distinct certificate,
    // and the rules read the facts, so the evidence's copies go now.
    for e in &mut evidence {
        e.observation.chain = Vec::new();
        if let Some(n) = &mut e.no_sni {
            n.chain = Vec::new();
        }
    }
    let servers = group_by_host(&evidence);
    // The stores are judged from the wire's leaves alone, before any rule:
    // an expiry whose renewal already waits in the store is then made with
    // the steps that bind it.
    let store = inventory.map(|inv| {
        let wire: Vec<store::WireEndpoint<'_>> = evidence
            .iter()
            .zip(&chain_facts)
            .map(|(e, w)| store::WireEndpoint {
                host: &e.endpoint.host,
                port: e.endpoint.port,
                role: e.endpoint.role,
                answered: e.observation.status == Status::Ok,
                leaf: w.leaf(),
            })
            .collect();
        store::findings(inv, &wire, &servers, settings)
    });
    let renewals: HashMap<usize, &[Step]> = store
        .iter()
        .flat_map(|s| &s.renewed)
        .map(|(i, steps)| (*i, steps.as_slice()))
        .collect();
    let front = front_leaves(&evidence, &chain_facts);
    let inferred = fleet::infer_namespaces(&front, as_of);

    // Frontends behind the fleet's newest public certificate for their
    // names, known before any rule runs, so their findings are made right
    // once.
    let lags = fleet::lags(&front, as_of);
    let lag_at: HashMap<usize, &fleet::Lag<'_>> = lags.iter().map(|b| (b.endpoint, b)).collect();
    let mut judged: Vec<EndpointFindings> = evidence
        .iter()
        .map(|_| EndpointFindings::default())
        .collect();
    let mut shared = Shared::default();
    let mut publics: Vec<Option<String>> = Vec::new();
    for (_, members) in &servers {
        let fleet = FleetView {
            front: &front,
            inferred: &inferred,
            lags: &lag_at,
            renewals: &renewals,
        };
        publics.push(run_rules(
            members,
            &evidence,
            &chain_facts,
            &fleet,
            settings,
            &mut judged,
            &mut shared,
        ));
    }
    // The transport side of the renewal trap needs every server's SMTP.
    let leaves: Vec<Option<&CertFacts>> = chain_facts.iter().map(ChainFacts::leaf).collect();
    // Beyond certificates: the TLS versions each server accepts, against
    // its build and its peers, and its Exchange version's support.
    let server_wide = protocols::tls13_unsupported(&evidence, &servers)
        .into_iter()
        .chain(protocols::tls_inconsistent(
            &evidence, &servers, &inferred, settings,
        ))
        .chain(support::out_of_support(&evidence, &servers, settings));
    for (i, f) in rules::smtp_inconsistent(&evidence, &leaves, settings)
        .into_iter()
        .chain(server_wide)
    {
        if let Some(slot) = judged.get_mut(i) {
            slot.findings.push(f);
        }
    }
    drop(lag_at);
    drop(lags);
    drop(renewals);
    drop(front);
    drop(leaves);
    let endpoints = endpoint_reports(evidence, chain_facts, judged, &mut shared);
    RuledEndpoints {
        endpoints,
        servers,
        publics,
        inferred,
        store,
        shared,
    }
}

/// One verdict per server, decided once from every finding, and the
/// expiry cliffs.
fn decide_servers(
    judged: RuledEndpoints,
    inventory: Option<&crate::model::Inventory>,
    settings: &AnalysisSettings,
) -> Analysis {
    let RuledEndpoints {
        endpoints,
        servers,
        publics,
        inferred,
        store,
        mut shared,
    } = judged;
    let as_of = settings.as_of;
    let server_reports = server_reports(
        &servers,
        &publics,
        &endpoints,
        store.as_ref(),
        settings,
        &mut shared,
    );
    drop(shared);
    let expiry_cliffs = fleet::expiry_cliffs(&backend_expiries(&endpoints), as_of);
    let (inventory, organisation) = match (inventory, store) {
        (Some(inv), Some(judged)) => (
            Some(crate::model::Inventory {
                certificates: judged.certificates,
                ..inv.clone()
            }),
            Some(judged.organisation),
        ),
        _ => (None, None),
    };
    Analysis {
        endpoints,
        servers: server_reports,
        expiry_cliffs,
        inferred_namespaces: hostnames::inferred_used(&inferred, settings),
        inventory,
        organisation,
    }
}

/// What was read from one endpoint's chain, before any rule runs.
struct ChainFacts {
    /// The analysed chain, leaf first, shared with [`Memo`].
    chain: Vec<Arc<CertFacts>>,
    /// Per chain cert: is it a trust anchor.
    anchors: Vec<bool>,
    /// Chain validation, for endpoints that presented a chain.
    check: Option<trust::ChainCheck>,
    /// The chain presented without SNI (`--also-no-sni`), analysed.
    no_sni: Vec<Arc<CertFacts>>,
}

impl ChainFacts {
    fn leaf(&self) -> Option<&CertFacts> {
        self.chain.first().map(|c| &**c)
    }
}

/// What the rules made of one endpoint.
#[derive(Default)]
struct EndpointFindings {
    findings: Vec<crate::model::Finding>,
    /// Presents an older public cert than the fleet's newest for its names.
    lags_fleet: bool,
}

/// The fleet-wide facts the per-endpoint rules read.
struct FleetView<'a> {
    front: &'a [fleet::FrontLeaf<'a>],
    inferred: &'a BTreeMap<Option<String>, Vec<String>>,
    /// Frontends on an older public certificate than the site's newest,
    /// by endpoint index.
    lags: &'a HashMap<usize, &'a fleet::Lag<'a>>,
    /// The steps that bind a renewal waiting in the store (`--inventory`),
    /// by endpoint index.
    renewals: &'a HashMap<usize, &'a [Step]>,
}

/// Parse, verify and validate every chain. A fleet serves a handful of
/// distinct certs many times over (one public cert on every 443), so each
/// is parsed and each chain validated once.
fn read_chain_facts(
    evidence: &[EndpointEvidence],
    inventory: Option<&crate::model::Inventory>,
    settings: &AnalysisSettings,
) -> Vec<ChainFacts> {
    let mut facts = Memo::default();
    let mut chains: Vec<Vec<Arc<CertFacts>>> = evidence
        .iter()
        .map(|e| facts.chain(&e.observation.chain, settings.as_of))
        .collect();
    if let Some(inv) = inventory {
        store::join_wire(&mut chains, evidence, inv);
    }
    let mut checked: HashMap<&[Der], trust::ChainCheck> = HashMap::new();
    evidence
        .iter()
        .zip(chains)
        .map(|(e, chain)| {
            let der = e.observation.chain.as_slice();
            let check = (e.observation.status == Status::Ok && !der.is_empty()).then(|| {
                checked
                    .entry(der)
                    .or_insert_with(|| trust::check_chain(der, &settings.roots, settings.as_of))
                    .clone()
            });
            ChainFacts {
                chain,
                anchors: anchor_flags(der, settings),
                check,
                no_sni: e
                    .no_sni
                    .as_ref()
                    .map(|n| facts.chain(&n.chain, settings.as_of))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The fleet's public certs: CA-issued leaves on frontends that answered.
fn front_leaves<'a>(
    evidence: &'a [EndpointEvidence],
    chain_facts: &'a [ChainFacts],
) -> Vec<fleet::FrontLeaf<'a>> {
    evidence
        .iter()
        .zip(chain_facts)
        .enumerate()
        .filter(|(_, (e, _))| {
            e.endpoint.role == Role::Frontend && e.observation.status == Status::Ok
        })
        .filter_map(|(i, (e, w))| {
            let leaf = w.leaf()?;
            (leaf.classification == Classification::CaIssued).then(|| fleet::FrontLeaf {
                endpoint: i,
                host: e.endpoint.host.as_str(),
                site: e.endpoint.group.site.as_deref(),
                leaf,
                trusted: w.check.as_ref().is_some_and(|c| c.trust.trusted),
                names: hostnames::NameSet::of(leaf),
            })
        })
        .collect()
}

/// Run the per-endpoint rules on one server's endpoints (`members`) and
/// return the public cert thumbprint its steps should bind.
fn run_rules(
    members: &[usize],
    evidence: &[EndpointEvidence],
    chain_facts: &[ChainFacts],
    fleet: &FleetView<'_>,
    settings: &AnalysisSettings,
    judged: &mut [EndpointFindings],
    shared: &mut Shared,
) -> Option<String> {
    // This server's answered leaves, with their roles.
    let leaves: Vec<(Role, &CertFacts)> = members
        .iter()
        .filter_map(|&i| {
            let e = evidence.get(i)?;
            let leaf = chain_facts.get(i)?.leaf()?;
            (e.observation.status == Status::Ok).then_some((e.endpoint.role, leaf))
        })
        .collect();
    let sha_where = |role: Role, self_issued_only: bool| -> Vec<String> {
        leaves
            .iter()
            .filter(|(r, leaf)| *r == role && (!self_issued_only || leaf.self_issued))
            .map(|(_, leaf)| leaf.sha1.clone())
            .collect()
    };
    let backend_self_signed = sha_where(Role::Backend, true);
    let frontend_leaves = sha_where(Role::Frontend, false);
    let frontend_exchange = leaves.iter().find_map(|(r, leaf)| {
        (*r == Role::Frontend && leaf.classification == Classification::ExchangeSelfSigned)
            .then_some(*leaf)
    });
    let site = members
        .iter()
        .find_map(|&i| evidence.get(i)?.endpoint.group.site.as_deref());
    let own = leaves
        .iter()
        .find_map(|(r, leaf)| (*r == Role::Frontend).then_some(*leaf));
    let public = fleet::public_for(site, own, fleet.front, settings.as_of).map(|c| c.sha1.clone());
    let expected = hostnames::expected(site, settings, fleet.inferred);
    for &i in members {
        let (Some(e), Some(w), Some(slot)) =
            (evidence.get(i), chain_facts.get(i), judged.get_mut(i))
        else {
            continue;
        };
        let ctx = rules::EndpointCtx {
            evidence: e,
            chain: &w.chain,
            no_sni_chain: &w.no_sni,
            is_anchor: &w.anchors,
            check: w.check.as_ref(),
            backend_self_signed: &backend_self_signed,
            frontend_leaves: &frontend_leaves,
            frontend_exchange,
            public_thumbprint: public.as_deref(),
            expected_names: &expected,
            rollout: fleet.lags.get(&i).map(|b| b.target),
            renewal: fleet.renewals.get(&i).copied(),
            settings,
        };
        // A VIP is not an Exchange server: its own rules, none of theirs.
        slot.findings = if e.endpoint.role == Role::LoadBalancer {
            balancer::findings(&balancer::VipCtx {
                evidence: e,
                chain: &w.chain,
                check: w.check.as_ref(),
                front: fleet.front,
                inferred: fleet.inferred,
                settings,
            })
        } else {
            rules::endpoint_findings(&ctx)
        };
        // The fleet's own finding about this endpoint: a rollout to finish.
        if let (Some(b), Some(leaf)) = (fleet.lags.get(&i), w.leaf()) {
            slot.lags_fleet = true;
            slot.findings.push(lag_finding(e, leaf, b));
        }
        // Held for the whole scan: no spare capacity, one copy of each
        // step text.
        slot.findings.shrink_to_fit();
        slot.findings
            .iter_mut()
            .for_each(|f| f.compact(&e.endpoint.host, shared));
    }
    public
}

/// Every endpoint's report, in input order. Made from the back, so the
/// evidence list gives its room back as the reports list fills: a report
/// is larger than its evidence, so it cannot take the evidence's place,
/// and a large fleet held both lists in full for a moment.
fn endpoint_reports(
    mut evidence: Vec<EndpointEvidence>,
    mut facts: Vec<ChainFacts>,
    mut judged: Vec<EndpointFindings>,
    shared: &mut Shared,
) -> Vec<EndpointReport> {
    /// How many endpoints between two give-backs of the evidence's room.
    const GIVE_BACK_EVERY: usize = 1024;
    let n = evidence.len().min(facts.len()).min(judged.len());
    evidence.truncate(n);
    facts.truncate(n);
    judged.truncate(n);
    // Untouched room costs no memory until a report is written into it.
    let mut reports = Vec::with_capacity(n);
    while let (Some(e), Some(f), Some(j)) = (evidence.pop(), facts.pop(), judged.pop()) {
        reports.push(endpoint_report(e, f, j, shared));
        if evidence.len() % GIVE_BACK_EVERY == 0 {
            evidence.shrink_to_fit();
            facts.shrink_to_fit();
            judged.shrink_to_fit();
        }
    }
    reports.reverse();
    reports
}

/// One endpoint's part of scan.json: the evidence, the facts and findings.
/// The evidence moves in; its DER goes (the facts keep their own copy).
fn endpoint_report(
    e: EndpointEvidence,
    facts: ChainFacts,
    mut judged: EndpointFindings,
    shared: &mut Shared,
) -> EndpointReport {
    judged.findings.sort_by_key(|f| f.severity);
    // The few added after the rules (fleet checks) are compacted here.
    judged.findings.shrink_to_fit();
    judged
        .findings
        .iter_mut()
        .for_each(|f| f.compact(&e.endpoint.host, shared));
    let EndpointEvidence {
        endpoint,
        observation,
        no_sni,
    } = e;
    let mut tls = observation.tls;
    if let Some(t) = &mut tls {
        // The probe's lines, held until the reports are written: one copy
        // of each distinct line.
        t.evidence.shrink_to_fit();
        t.evidence.iter_mut().for_each(|line| shared.share(line));
    }
    EndpointReport {
        endpoint,
        status: observation.status,
        error: observation.error,
        tls,
        chain: facts.chain,
        dialogue: observation.dialogue,
        no_sni: no_sni.map(|n| {
            let n = *n;
            Box::new(NoSniReport {
                status: n.status,
                error: n.error,
                tls: n.tls,
                chain: facts.no_sni,
            })
        }),
        trust: facts.check.map(|c| c.trust),
        findings: judged.findings,
        lags_fleet: judged.lags_fleet,
    }
}

/// One verdict per server, from its endpoints' and its store's findings:
/// the scanned servers in order, then those known only from the stores.
fn server_reports(
    servers: &[(String, Vec<usize>)],
    publics: &[Option<String>],
    endpoints: &[EndpointReport],
    store: Option<&store::StoreJudgement>,
    settings: &AnalysisSettings,
    shared: &mut Shared,
) -> Vec<ServerReport> {
    let stores = store.map_or(&[][..], |s| s.servers.as_slice());
    let count = servers.len().max(stores.len());
    // Sized up front: grown by doubling, a large fleet's list would hold
    // up to twice the room it needs until the reports are written.
    let mut reports: Vec<ServerReport> = Vec::with_capacity(count);
    reports.extend((0..count).filter_map(|i| {
        let scanned = servers.get(i);
        let own = stores.get(i);
        let host = scanned.map(|(h, _)| h).or(own.map(|s| &s.host))?;
        let members = scanned.map_or(&[][..], |(_, m)| m.as_slice());
        let reports: Vec<&EndpointReport> =
            members.iter().filter_map(|&i| endpoints.get(i)).collect();
        let vip = balancer::is_balancer(&reports);
        let verify = if vip {
            balancer::verify_command(host, &reports, endpoints, settings)
        } else {
            remediation::verify_command(host, &reports, settings)
        };
        let store_findings = own.map_or(&[][..], |s| s.findings.as_slice());
        let input = verdict::ServerInput {
            host,
            endpoints: &reports,
            store: store_findings,
            public: publics.get(i).and_then(|p| p.as_deref()),
            verify: Some(&verify),
        };
        let mut v = if vip {
            balancer::decide(&input)
        } else {
            verdict::decide(&input)
        };
        // Held for the whole scan: no spare capacity.
        v.steps.shrink_to_fit();
        v.steps.iter_mut().for_each(|s| s.compact(shared));
        v.summary.shrink_to_fit();
        Some(ServerReport {
            host: host.clone(),
            severity: v.grade,
            verdict: v.verdict,
            summary: v.summary,
            // Rendered from the steps when needed.
            remediation: Vec::new(),
            remediation_steps: v.steps,
            endpoints: members.to_vec(),
            group: reports
                .iter()
                .map(|r| r.endpoint.group.clone())
                .find(|g| !g.is_empty())
                .unwrap_or_default(),
            findings: store_findings.iter().map(|f| f.finding.clone()).collect(),
            store: own.map(|s| s.certs.clone()).unwrap_or_default(),
        })
    }));
    // Load balancers first: clients reach the servers through them, and
    // the report shows each VIP above the servers behind it.
    let vip = |s: &ServerReport| {
        let reports: Vec<&EndpointReport> = s
            .endpoints
            .iter()
            .filter_map(|&i| endpoints.get(i))
            .collect();
        balancer::is_balancer(&reports)
    };
    // In place and stable: the servers keep their order behind the VIPs.
    reports.sort_by_key(|s| !vip(s));
    reports
}

/// (host, not_after) of every parsed backend leaf that answered.
fn backend_expiries(endpoints: &[EndpointReport]) -> Vec<(String, time::OffsetDateTime)> {
    endpoints
        .iter()
        .filter(|e| e.endpoint.role == Role::Backend && e.status == Status::Ok)
        .filter_map(|e| {
            let leaf = e.leaf().filter(|l| cert::is_parsed(l))?;
            Some((e.endpoint.host.clone(), leaf.not_after?))
        })
        .collect()
}

/// Facts per distinct DER, computed once per analysis and shared by every
/// endpoint that presents the certificate: a fleet's 10,000 endpoints hold
/// a handful of certificates, not 10,000 copies.
#[derive(Default)]
struct Memo<'a>(HashMap<&'a [u8], Arc<CertFacts>>);

impl<'a> Memo<'a> {
    fn chain(&mut self, chain: &'a [Der], as_of: time::OffsetDateTime) -> Vec<Arc<CertFacts>> {
        chain
            .iter()
            .map(|d| {
                Arc::clone(
                    self.0
                        .entry(&d.0)
                        .or_insert_with(|| Arc::new(cert::facts(&d.0, as_of))),
                )
            })
            .collect()
    }
}

fn anchor_flags(chain: &[Der], settings: &AnalysisSettings) -> Vec<bool> {
    chain
        .iter()
        .map(|d| X509Certificate::from_der(&d.0).is_ok_and(|(_, c)| settings.roots.is_anchor(&c)))
        .collect()
}

/// Hosts in first-seen order with the indexes of their endpoints. Hosts
/// compare case-insensitively (EX01 and ex01 are one server); the first
/// spelling is kept.
fn group_by_host(evidence: &[EndpointEvidence]) -> Vec<(String, Vec<usize>)> {
    let mut servers: Vec<(String, Vec<usize>)> = Vec::new();
    // Lowercase host -> position in `servers`, so big fleets stay linear.
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, e) in evidence.iter().enumerate() {
        let key = e.endpoint.host.to_ascii_lowercase();
        match index.get(&key).and_then(|&s| servers.get_mut(s)) {
            Some((_, members)) => members.push(i),
            None => {
                index.insert(key, servers.len());
                servers.push((e.endpoint.host.clone(), vec![i]));
            }
        }
    }
    servers
}

/// A server still on an older certificate than the newest one for its
/// names: info, with the step that rolls the newer one out.
fn lag_finding(
    e: &EndpointEvidence,
    leaf: &CertFacts,
    b: &fleet::Lag<'_>,
) -> crate::model::Finding {
    let t = b.target;
    let servers = if b.on_target == 1 {
        "1 server".to_string()
    } else {
        format!("{} servers", b.on_target)
    };
    let detail = format!(
        "{}:{} presents {} (SHA-1 {}, issued {}, expires {}); a newer certificate for the same \
         names, SHA-1 {} (issued {}, expires {}), is already on {servers}{}. A rollout in \
         progress: roll the newer one out here too.",
        e.endpoint.host,
        e.endpoint.port,
        leaf.subject,
        leaf.sha1,
        leaf.not_before_text(),
        leaf.not_after_text(),
        t.sha1,
        t.not_before_text(),
        t.not_after_text(),
        e.endpoint
            .group
            .site
            .as_deref()
            .map_or(String::new(), |s| format!(" of site {s}")),
    );
    catalog::finding(
        FindingId::PublicCertInconsistent,
        Severity::Info,
        detail,
        remediation::bind_fleet_public(&e.endpoint.host, e.endpoint.port, &t.sha1),
    )
}
