//! The certificate stores (`--inventory`), judged as a stage of their own.
//!
//! Pure: the inventory, what the wire showed (each endpoint's leaf) and
//! the settings go in; per-server findings, the organisation's findings and
//! the stores as scan.json shows them come out. It runs before the
//! endpoint rules (which read the renewals waiting in a store) and the
//! verdicts, which are then decided once per server from every finding
//! (`verdict`); nothing changes a finding, verdict or step afterwards.
//!
//! One job per submodule:
//! - `servers`: which server an export's name means (maps, not scans);
//! - `facts`: a store record made into facts, and the store's names given
//!   to the wire certificates before the endpoint rules run;
//! - `certs`: each certificate in use judged as HealthChecker does;
//! - `auth`: the Auth certificate, once for the organisation;
//! - `wire`: what the store adds to the wire (a renewal waiting unbound,
//!   IIS drift);
//! - `hybrid`: the hybrid connectors' TlsCertificateName.
//!
//! A certificate seen both on the wire and in a store is one certificate
//! with one set of findings: when a scanned port of its server presents
//! it, the wire rules judge its dates, key and signature, and the store
//! adds only what the wire cannot see (its Status, an unbound renewal).

mod auth;
mod certs;
mod facts;
mod hybrid;
mod servers;
mod wire;

use std::collections::HashMap;

pub(crate) use facts::join_wire;

use crate::config::AnalysisSettings;
use crate::model::{
    CertFacts, Finding, Inventory, Organisation, Role, Step, StoreCertificate, Verdict,
};

/// One endpoint as the store stage sees it: where, and what it presented.
pub(crate) struct WireEndpoint<'a> {
    /// The scanned host.
    pub host: &'a str,
    /// The port.
    pub port: u16,
    /// What the port is for.
    pub role: Role,
    /// Whether a chain was read.
    pub answered: bool,
    /// The leaf, when a chain was read.
    pub leaf: Option<&'a CertFacts>,
}

/// A finding about a server's store, and the verdict it calls for.
pub(crate) struct StoreFinding {
    pub finding: Finding,
    pub verdict: Verdict,
    /// The endpoint it is about (a renewal waiting for that port), by index.
    pub endpoint: Option<usize>,
    /// That endpoint's port.
    pub port: Option<u16>,
}

/// One server's store, judged.
pub(crate) struct ServerStore {
    pub host: String,
    /// Indexes into [`StoreJudgement::certificates`], soonest expiry first.
    pub certs: Vec<usize>,
    pub findings: Vec<StoreFinding>,
}

/// What the store stage returns.
pub(crate) struct StoreJudgement {
    /// Every record, refreshed as of the as-of time, with where the scan
    /// saw it presented (`bound`).
    pub certificates: Vec<StoreCertificate>,
    /// The scanned servers in the order given, then servers known only
    /// from the exports, in export order.
    pub servers: Vec<ServerStore>,
    /// The Auth certificate, judged once.
    pub organisation: Organisation,
    /// Endpoint index -> the steps that fix its expiry: enable the renewed
    /// certificate that waits in the store.
    pub renewed: Vec<(usize, Vec<Step>)>,
}

/// A server while it is judged: its store and its endpoints.
pub(super) struct View<'a> {
    host: String,
    store: Vec<usize>,
    /// Indexes into the wire endpoints.
    endpoints: Vec<usize>,
    /// Edge, or a version older than Exchange 2013: no Auth certificate is
    /// expected in its store.
    no_auth: bool,
    connectors: Vec<&'a crate::model::Connector>,
}

/// What every part of the stage reads.
pub(super) struct Ctx<'a> {
    inv: &'a Inventory,
    certs: &'a [StoreCertificate],
    crypto: &'a [facts::Crypto],
    wire: &'a [WireEndpoint<'a>],
    settings: &'a AnalysisSettings,
    auth: auth::Current<'a>,
}

/// The stores' and the organisation's findings. `scanned` lists the
/// scanned servers (host, indexes into `wire`), in the order their reports
/// will have.
pub(crate) fn findings(
    inv: &Inventory,
    wire: &[WireEndpoint<'_>],
    scanned: &[(String, Vec<usize>)],
    settings: &AnalysisSettings,
) -> StoreJudgement {
    let (mut certificates, crypto): (Vec<StoreCertificate>, Vec<facts::Crypto>) = inv
        .certificates
        .iter()
        .map(|c| facts::refresh(c, settings.as_of))
        .unzip();
    let mut views = views(inv, &certificates, scanned);
    mark_bound(&mut certificates, &views, wire);
    for v in &mut views {
        v.store
            .sort_by_key(|&i| certificates.get(i).map(|c| c.not_after));
    }
    let auth = auth::current(inv, &certificates, &views);
    let ctx = Ctx {
        inv,
        certs: &certificates,
        crypto: &crypto,
        wire,
        settings,
        auth,
    };
    let mut renewed = Vec::new();
    let servers: Vec<ServerStore> = views
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut found = auth::not_replicated(&ctx, i, v);
            let waiting = wire::renewed(&ctx, v);
            renewed.extend(
                waiting
                    .iter()
                    .filter_map(|f| Some((f.endpoint?, f.finding.remediation_steps.clone()))),
            );
            found.extend(waiting);
            found.extend(wire::drift(&ctx, v));
            found.extend(hybrid::findings(&ctx, v));
            found.extend(certs::findings(&ctx, v));
            found.sort_by_key(|f| f.finding.severity);
            ServerStore {
                host: v.host.clone(),
                certs: v.store.clone(),
                findings: found,
            }
        })
        .collect();
    let organisation = auth::organisation(&ctx, &views);
    StoreJudgement {
        certificates,
        servers,
        organisation,
        renewed,
    }
}

/// Every server: the scanned ones first, then those only the exports
/// name; each store record and connector placed through the name index.
fn views<'a>(
    inv: &'a Inventory,
    certs: &[StoreCertificate],
    scanned: &[(String, Vec<usize>)],
) -> Vec<View<'a>> {
    let mut index = servers::ServerIndex::new(inv);
    let view = |host: &str, endpoints: Vec<usize>| View {
        host: host.to_string(),
        store: Vec::new(),
        endpoints,
        no_auth: false,
        connectors: Vec::new(),
    };
    // Scanned hosts are distinct servers already: one view each.
    let mut views: Vec<View<'a>> = scanned
        .iter()
        .enumerate()
        .map(|(i, (host, members))| {
            index.insert(host, i);
            view(host, members.clone())
        })
        .collect();
    for (i, c) in certs.iter().enumerate() {
        let v = match index.find(&c.server) {
            Some(v) => v,
            None => {
                index.insert(&c.server, views.len());
                views.push(view(&c.server, Vec::new()));
                views.len() - 1
            }
        };
        if let Some(view) = views.get_mut(v) {
            view.store.push(i);
        }
    }
    for s in &inv.exchange_servers {
        let edge = s
            .role
            .as_deref()
            .is_some_and(|r| crate::model::ServerRoles::lenient(r).is_edge());
        // OAuth and its Auth certificate came with Exchange 2013.
        let legacy = s
            .version
            .as_deref()
            .and_then(crate::model::version_of)
            .is_some_and(|(product, _)| product == "2010");
        for name in std::iter::once(s.name.as_str()).chain(s.fqdn.as_deref()) {
            if let Some(v) = index.find(name).and_then(|i| views.get_mut(i)) {
                v.no_auth |= edge || legacy;
            }
        }
    }
    for c in &inv.connectors {
        let mut seen: Vec<usize> = Vec::new();
        for i in c.servers.iter().filter_map(|s| index.find(s)) {
            if !seen.contains(&i) {
                seen.push(i);
                if let Some(v) = views.get_mut(i) {
                    v.connectors.push(c);
                }
            }
        }
    }
    views
}

/// Record on each store certificate the ports of its server that the scan
/// saw presenting it, through a (server, thumbprint) map.
fn mark_bound(certs: &mut [StoreCertificate], views: &[View<'_>], wire: &[WireEndpoint<'_>]) {
    let mut ports: HashMap<(usize, &str), Vec<String>> = HashMap::new();
    for (v, view) in views.iter().enumerate() {
        for e in view.endpoints.iter().filter_map(|&i| wire.get(i)) {
            let Some(leaf) = e.leaf.filter(|_| e.answered) else {
                continue;
            };
            let list = ports.entry((v, leaf.sha1.as_str())).or_default();
            let port = e.port.to_string();
            if !list.contains(&port) {
                list.push(port);
            }
        }
    }
    for (v, view) in views.iter().enumerate() {
        for &i in &view.store {
            if let Some(c) = certs.get_mut(i) {
                if let Some(p) = ports.get(&(v, c.thumbprint.as_str())) {
                    c.bound.clone_from(p);
                }
            }
        }
    }
}

impl View<'_> {
    /// This server's store records.
    fn certs<'c>(
        &'c self,
        all: &'c [StoreCertificate],
    ) -> impl Iterator<Item = &'c StoreCertificate> {
        self.store.iter().filter_map(move |&i| all.get(i))
    }

    /// This server's endpoints, with their indexes.
    fn endpoints<'c>(
        &'c self,
        wire: &'c [WireEndpoint<'c>],
    ) -> impl Iterator<Item = (usize, &'c WireEndpoint<'c>)> {
        self.endpoints
            .iter()
            .filter_map(move |&i| Some((i, wire.get(i)?)))
    }
}
