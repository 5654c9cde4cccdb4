//! Stage 3: evidence plus settings become facts, findings and verdicts.
//!
//! Pure: no I/O and no clock. The as-of time and the trust roots come in
//! through [`AnalysisSettings`], so the same evidence always gives the same
//! answer, live or from a saved scan.json.
//!
//! One job per submodule:
//! - [`cert`]: DER to [`CertFacts`];
//! - [`classify`]: which kind of Exchange cert it is, by shape;
//! - [`trust`]: roots and chain validation (rustls-webpki);
//! - [`names`]: RFC 6125 name matching;
//! - [`catalog`]: every finding id's severity and text ([`catalog::entry`]);
//! - [`rules`]: per-endpoint findings;
//! - [`fleet`]: fleet-wide findings and expiry cliffs;
//! - [`remediation`]: every remediation step, as data;
//! - [`verdict`]: one verdict per server, with its steps.

pub mod catalog;
pub mod cert;
pub mod classify;
pub mod fleet;
pub mod names;
pub mod remediation;
pub(crate) mod rules;
pub(crate) mod store;
pub mod trust;
pub mod verdict;

use std::collections::HashMap;

use x509_parser::prelude::{FromDer, X509Certificate};

use crate::config::AnalysisSettings;
use crate::model::{
    CertFacts, Classification, Der, EndpointEvidence, EndpointReport, ExpiryCliff, FindingId,
    NoSniReport, Role, ServerReport, Severity, Status,
};

/// What analysis made of a whole scan.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// One report per evidence item, in the same order.
    pub endpoints: Vec<EndpointReport>,
    /// One per distinct host, in first-seen order.
    pub servers: Vec<ServerReport>,
    pub expiry_cliffs: Vec<ExpiryCliff>,
    /// The namespaces inferred for sites without `--namespace`, by site
    /// (`*`: servers with no known site), for scan.json's parameters.
    pub inferred_namespaces: std::collections::BTreeMap<String, Vec<String>>,
    /// The certificate stores, judged (`--inventory`).
    pub inventory: Option<crate::model::Inventory>,
}

/// Analyse every endpoint, then the fleet, then judge each server.
pub fn analyze(evidence: &[EndpointEvidence], settings: &AnalysisSettings) -> Analysis {
    analyze_with(evidence, None, settings)
}

/// [`analyze`], with the admin's store exports as more evidence: wire
/// certificates get their friendly names before the rules run, and the
/// stores are judged after them ([`store`]).
pub fn analyze_with(
    evidence: &[EndpointEvidence],
    inventory: Option<&crate::model::Inventory>,
    settings: &AnalysisSettings,
) -> Analysis {
    let as_of = settings.as_of;
    // A fleet serves a handful of distinct certs many times over (one
    // public cert on every 443): parse, verify and validate each once.
    let mut facts = Memo::default();
    let mut chains: Vec<Vec<CertFacts>> = evidence
        .iter()
        .map(|e| facts.chain(&e.observation.chain, as_of))
        .collect();
    if let Some(inv) = inventory {
        store::join_wire(&mut chains, evidence, inv);
    }
    let anchors: Vec<Vec<bool>> = evidence
        .iter()
        .map(|e| anchor_flags(&e.observation.chain, settings))
        .collect();
    let mut checked: HashMap<&[Der], trust::ChainCheck> = HashMap::new();
    let checks: Vec<Option<trust::ChainCheck>> = evidence
        .iter()
        .map(|e| {
            let chain = e.observation.chain.as_slice();
            (e.observation.status == Status::Ok && !chain.is_empty()).then(|| {
                checked
                    .entry(chain)
                    .or_insert_with(|| trust::check_chain(chain, &settings.roots, as_of))
                    .clone()
            })
        })
        .collect();

    let servers = group_by_host(evidence);

    // The fleet's public certs: CA-issued leaves on frontends that answered.
    let front: Vec<fleet::FrontLeaf<'_>> = evidence
        .iter()
        .enumerate()
        .filter(|(_, e)| e.endpoint.role == Role::Frontend && e.observation.status == Status::Ok)
        .filter_map(|(i, e)| {
            let leaf = chains.get(i)?.first()?;
            (leaf.classification == Classification::CaIssued).then(|| fleet::FrontLeaf {
                endpoint: i,
                host: e.endpoint.host.as_str(),
                site: e.endpoint.group.site.as_deref(),
                leaf,
                trusted: checks
                    .get(i)
                    .and_then(|c| c.as_ref())
                    .is_some_and(|c| c.trust.trusted),
            })
        })
        .collect();
    let behind = fleet::behind(&front, as_of);
    let inferred = fleet::infer_namespaces(&front, as_of);

    let mut findings: Vec<Vec<crate::model::Finding>> = vec![Vec::new(); evidence.len()];
    let mut public_for_server: Vec<Option<String>> = Vec::new();
    for (_, members) in &servers {
        let sha_where = |role: Role, self_issued_only: bool| -> Vec<String> {
            members
                .iter()
                .filter_map(|&i| {
                    let e = evidence.get(i)?;
                    let leaf = chains.get(i)?.first()?;
                    (e.endpoint.role == role
                        && e.observation.status == Status::Ok
                        && (!self_issued_only || leaf.self_issued))
                        .then(|| leaf.sha1.clone())
                })
                .collect()
        };
        let backend_self_signed = sha_where(Role::Backend, true);
        let frontend_exchange = members.iter().find_map(|&i| {
            let e = evidence.get(i)?;
            let leaf = chains.get(i)?.first()?;
            (e.endpoint.role == Role::Frontend
                && e.observation.status == Status::Ok
                && leaf.classification == Classification::ExchangeSelfSigned)
                .then_some(leaf)
        });
        let frontend_leaves = sha_where(Role::Frontend, false);
        let site = members
            .iter()
            .find_map(|&i| evidence.get(i)?.endpoint.group.site.as_deref());
        let own = members.iter().find_map(|&i| {
            let e = evidence.get(i)?;
            (e.endpoint.role == Role::Frontend && e.observation.status == Status::Ok)
                .then(|| chains.get(i)?.first())
                .flatten()
        });
        let public = fleet::public_for(site, own, &front, as_of).map(|c| c.sha1.clone());
        let expected = names::expected(site, settings, &inferred);
        for &i in members {
            let (Some(e), Some(chain), Some(flags), Some(check)) = (
                evidence.get(i),
                chains.get(i),
                anchors.get(i),
                checks.get(i),
            ) else {
                continue;
            };
            let ctx = rules::EndpointCtx {
                evidence: e,
                chain,
                is_anchor: flags,
                check: check.as_ref(),
                backend_self_signed: &backend_self_signed,
                frontend_leaves: &frontend_leaves,
                frontend_exchange,
                public_thumbprint: public.as_deref(),
                expected_names: &expected,
                settings,
            };
            if let Some(slot) = findings.get_mut(i) {
                *slot = rules::endpoint_findings(&ctx);
            }
        }
        public_for_server.push(public);
    }
    let mut lagging: Vec<bool> = vec![false; evidence.len()];
    for b in &behind {
        if let (Some(slot), Some(lags), Some(e), Some(leaf)) = (
            findings.get_mut(b.endpoint),
            lagging.get_mut(b.endpoint),
            evidence.get(b.endpoint),
            chains.get(b.endpoint).and_then(|c| c.first()),
        ) {
            *lags = true;
            let f = behind_finding(e, leaf, b);
            // Expiry of a lagging cert is fixed by binding the newer one.
            for x in slot.iter_mut().filter(|x| {
                matches!(
                    x.id,
                    FindingId::FrontendCertExpired | FindingId::FrontendCertExpiring
                )
            }) {
                catalog::replace_steps(x, f.remediation_steps.clone());
            }
            slot.push(f);
        }
    }

    // The transport side of the renewal trap needs every server's SMTP.
    for (i, f) in rules::smtp_inconsistent(evidence, &chains) {
        if let Some(slot) = findings.get_mut(i) {
            slot.push(f);
        }
    }

    let mut endpoints: Vec<EndpointReport> = evidence
        .iter()
        .zip(chains)
        .zip(checks)
        .zip(findings)
        .zip(lagging)
        .map(|((((e, chain), check), mut findings), lags_fleet)| {
            findings.sort_by_key(|f| f.severity);
            EndpointReport {
                endpoint: e.endpoint.clone(),
                status: e.observation.status,
                error: e.observation.error.clone(),
                tls: e.observation.tls.clone(),
                chain,
                dialogue: e.observation.dialogue.clone(),
                no_sni: e.no_sni.as_ref().map(|n| NoSniReport {
                    status: n.status,
                    error: n.error.clone(),
                    tls: n.tls.clone(),
                    chain: facts.chain(&n.chain, as_of),
                }),
                trust: check.map(|c| c.trust),
                findings,
                lags_fleet,
            }
        })
        .collect();

    let mut server_reports: Vec<ServerReport> = servers
        .iter()
        .zip(&public_for_server)
        .map(|((host, members), public)| {
            let reports: Vec<&EndpointReport> =
                members.iter().filter_map(|&i| endpoints.get(i)).collect();
            let verify = remediation::verify_command(host, &reports, settings);
            let v = verdict::judge(host, &reports, public.as_deref(), &verify);
            ServerReport {
                host: host.clone(),
                severity: v.grade,
                verdict: v.verdict,
                summary: v.summary,
                remediation: remediation::numbered(&v.steps),
                remediation_steps: v.steps,
                endpoints: members.clone(),
                group: reports
                    .iter()
                    .map(|r| r.endpoint.group.clone())
                    .find(|g| !g.is_empty())
                    .unwrap_or_default(),
                findings: Vec::new(),
            }
        })
        .collect();

    let backends: Vec<(String, time::OffsetDateTime)> = endpoints
        .iter()
        .filter(|e| e.endpoint.role == Role::Backend && e.status == Status::Ok)
        .filter_map(|e| {
            let leaf = e.leaf().filter(|l| cert::is_parsed(l))?;
            Some((e.endpoint.host.clone(), leaf.not_after))
        })
        .collect();
    let expiry_cliffs = fleet::expiry_cliffs(&backends, as_of);
    let inventory =
        inventory.map(|inv| store::judge(inv, &mut endpoints, &mut server_reports, settings));

    Analysis {
        endpoints,
        servers: server_reports,
        expiry_cliffs,
        inferred_namespaces: names::inferred_used(&inferred, settings),
        inventory,
    }
}

/// Facts per distinct DER, computed once per analysis.
#[derive(Default)]
struct Memo<'a>(HashMap<&'a [u8], CertFacts>);

impl<'a> Memo<'a> {
    fn chain(&mut self, chain: &'a [Der], as_of: time::OffsetDateTime) -> Vec<CertFacts> {
        chain
            .iter()
            .map(|d| {
                self.0
                    .entry(&d.0)
                    .or_insert_with(|| cert::facts(&d.0, as_of))
                    .clone()
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
fn behind_finding(
    e: &EndpointEvidence,
    leaf: &CertFacts,
    b: &fleet::Behind<'_>,
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
        leaf.not_before.date(),
        leaf.not_after.date(),
        t.sha1,
        t.not_before.date(),
        t.not_after.date(),
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
        vec![remediation::bind_fleet_public(
            &e.endpoint.host,
            e.endpoint.port,
            &t.sha1,
        )],
    )
}
