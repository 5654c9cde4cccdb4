//! `excert report A.json B.json ...`: several scans (one per network
//! segment or site, each run where it can reach its servers) become one
//! fleet. No agent, no service: just evidence files.
//!
//! Endpoints are de-duplicated by host, port and role: the newest
//! observation wins, and the older scans that also saw the endpoint are kept
//! in its `from_scan.superseded`. The result is evidence only; the caller
//! judges it again ([`crate::reanalyze`]) so fleet checks (consistency of
//! the public cert, rollouts, expiry cliffs) run across the merged fleet.

use std::collections::HashMap;

use time::OffsetDateTime;

use crate::model::{
    EndpointReport, MergedScan, Parameters, Role, ScanOrigin, ScanReport, ScanSeen, ToolInfo,
};

/// Host, port, role, and for a load balancer's VIP the namespace (one VIP
/// serves several, each with its own certificate).
type Key = (String, u16, Role, String);

fn key(e: &EndpointReport) -> Key {
    (
        e.endpoint.host.to_ascii_lowercase(),
        e.endpoint.port,
        e.endpoint.role,
        vip_namespace(e),
    )
}

/// The namespace a VIP endpoint serves, lowercase; empty for any other.
fn vip_namespace(e: &EndpointReport) -> String {
    match (e.endpoint.role, &e.endpoint.sni) {
        (Role::LoadBalancer, Some(sni)) => sni.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// When this observation was made: its own origin when the input was
/// itself a merged report, else the scan's start.
fn observed(e: &EndpointReport, scan: &ScanReport) -> OffsetDateTime {
    e.endpoint
        .from_scan
        .as_ref()
        .map_or(scan.started_at, |o| o.started_at)
}

/// Merge `scans` (each with the file it was read from) into one report of
/// evidence. Needs at least one scan.
#[allow(clippy::expect_used)] // The caller passes at least one scan (clap requires it).
pub fn merge(scans: Vec<(String, ScanReport)>) -> ScanReport {
    let (endpoints, mut merged_from) = kept_endpoints(&scans);
    merged_from.sort_by_key(|m| m.started_at);
    let latest = scans
        .iter()
        .map(|(_, s)| s)
        .max_by_key(|s| s.started_at)
        .expect("at least one scan to merge");
    ScanReport {
        schema_version: latest.schema_version,
        tool: ToolInfo::default(),
        started_at: scans
            .iter()
            .map(|(_, s)| s.started_at)
            .min()
            .unwrap_or(latest.started_at),
        finished_at: scans
            .iter()
            .map(|(_, s)| s.finished_at)
            .max()
            .unwrap_or(latest.finished_at),
        as_of: latest.as_of,
        complete: scans.iter().all(|(_, s)| s.complete),
        parameters: merged_parameters(latest, &scans),
        endpoints,
        // Judged again by the caller.
        servers: Vec::new(),
        inventory: merged_inventory(&scans),
        // Judged again by the caller, with the inventory.
        organisation: None,
        expiry_cliffs: Vec::new(),
        invalid_targets: scans
            .iter()
            .flat_map(|(_, s)| s.invalid_targets.iter().cloned())
            .collect(),
        skipped_endpoints: scans
            .iter()
            .flat_map(|(_, s)| s.skipped_endpoints.iter().cloned())
            .collect(),
        merged_from,
    }
}

/// For each endpoint key, the index of the scan that observed it most
/// recently.
fn newest_scans(scans: &[(String, ScanReport)]) -> HashMap<Key, usize> {
    let mut newest: HashMap<Key, (OffsetDateTime, usize)> = HashMap::new();
    for (i, (_, scan)) in scans.iter().enumerate() {
        for e in &scan.endpoints {
            let t = observed(e, scan);
            let slot = newest.entry(key(e)).or_insert((t, i));
            // Ties go to the later file on the command line.
            if t >= slot.0 {
                *slot = (t, i);
            }
        }
    }
    newest.into_iter().map(|(k, (_, i))| (k, i)).collect()
}

/// Every scan that saw each key, for `superseded`.
fn sightings(scans: &[(String, ScanReport)]) -> HashMap<Key, Vec<ScanSeen>> {
    let mut seen: HashMap<Key, Vec<ScanSeen>> = HashMap::new();
    for (file, scan) in scans {
        for e in &scan.endpoints {
            let list = seen.entry(key(e)).or_default();
            let one = ScanSeen {
                file: file.clone(),
                started_at: observed(e, scan),
            };
            if !list.contains(&one) {
                list.push(one);
            }
        }
    }
    seen
}

/// The endpoints each scan wins (in command-line order, each with its
/// origin), and each scan's line in `merged_from`.
fn kept_endpoints(scans: &[(String, ScanReport)]) -> (Vec<EndpointReport>, Vec<MergedScan>) {
    let newest = newest_scans(scans);
    let seen = sightings(scans);
    let mut endpoints = Vec::new();
    let mut merged_from = Vec::new();
    for (i, (file, scan)) in scans.iter().enumerate() {
        let before = endpoints.len();
        for e in &scan.endpoints {
            let k = key(e);
            if newest.get(&k) == Some(&i) {
                let older = seen.get(&k).map_or(&[][..], Vec::as_slice);
                endpoints.push(with_origin(e, file, scan, older));
            }
        }
        merged_from.push(MergedScan {
            file: file.clone(),
            started_at: scan.started_at,
            finished_at: scan.finished_at,
            as_of: scan.as_of,
            complete: scan.complete,
            endpoints: scan.endpoints.len(),
            kept: endpoints.len() - before,
        });
    }
    (endpoints, merged_from)
}

/// `e` with its `from_scan`: the origin it already carries (a merged input)
/// or this scan, plus every other scan that saw it as `superseded`.
fn with_origin(
    e: &EndpointReport,
    file: &str,
    scan: &ScanReport,
    seen: &[ScanSeen],
) -> EndpointReport {
    let mut e = e.clone();
    let mut origin = e.endpoint.from_scan.take().unwrap_or_else(|| {
        Box::new(ScanOrigin {
            file: file.to_string(),
            started_at: scan.started_at,
            superseded: Vec::new(),
        })
    });
    for older in seen {
        let same = older.file == origin.file && older.started_at == origin.started_at;
        if !same && !origin.superseded.contains(older) {
            origin.superseded.push(older.clone());
        }
    }
    e.endpoint.from_scan = Some(origin);
    e
}

/// The newest scan's parameters, with every scan's ports, namespaces, CA
/// bundles and load balancers added.
fn merged_parameters(latest: &ScanReport, scans: &[(String, ScanReport)]) -> Parameters {
    let mut parameters = latest.parameters.clone();
    for (_, s) in scans {
        union(&mut parameters.frontend_ports, &s.parameters.frontend_ports);
        union(&mut parameters.backend_ports, &s.parameters.backend_ports);
        union(&mut parameters.namespaces, &s.parameters.namespaces);
        for (site, names) in &s.parameters.site_namespaces {
            union(
                parameters.site_namespaces.entry(site.clone()).or_default(),
                names,
            );
        }
        union(&mut parameters.ca_bundles, &s.parameters.ca_bundles);
        union(&mut parameters.edgesync_ports, &s.parameters.edgesync_ports);
        union(&mut parameters.tls_ports, &s.parameters.tls_ports);
        union(&mut parameters.load_balancers, &s.parameters.load_balancers);
    }
    parameters
}

fn union<T: Clone + PartialEq>(into: &mut Vec<T>, from: &[T]) {
    for x in from {
        if !into.contains(x) {
            into.push(x.clone());
        }
    }
}

/// The scans' store exports, together: the stores are evidence like the
/// endpoints, and the caller judges them again.
fn merged_inventory(scans: &[(String, ScanReport)]) -> Option<crate::model::Inventory> {
    let mut all: Option<crate::model::Inventory> = None;
    for (_, s) in scans {
        if let Some(inv) = &s.inventory {
            crate::inventory::merge_saved(all.get_or_insert_with(Default::default), inv.clone());
        }
    }
    all
}
