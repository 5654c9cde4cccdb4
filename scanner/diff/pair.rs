//! Which endpoint of the old scan is which endpoint of the new one.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{EndpointReport, Role};

/// Pair old and new endpoints: `(old index, new index)`.
///
/// First by host, port and role (several addresses of one name pair by
/// address, then in order); then, among those left, by a shared name
/// (alias) on the same port and role; then by the same address, port and
/// role, so a server scanned by IP once and by name once is followed.
pub fn pair(old: &[EndpointReport], new: &[EndpointReport]) -> Vec<(usize, usize)> {
    let mut p = Pairing::default();
    let mut left_new = p.by_key(old, new);
    let rules: [fn(&EndpointReport, &EndpointReport) -> bool; 2] =
        [shares_a_name, shares_an_address];
    for rule in rules {
        left_new = p.by_rule(old, new, left_new, rule);
    }
    p.pairs
}

/// The pairs found so far, and the old endpoints they use.
#[derive(Default)]
struct Pairing {
    pairs: Vec<(usize, usize)>,
    used_old: BTreeSet<usize>,
}

impl Pairing {
    fn take(&mut self, o: usize, n: usize) {
        self.used_old.insert(o);
        self.pairs.push((o, n));
    }

    /// Pair by host, port and role, preferring the same address; returns
    /// the new endpoints left unpaired.
    fn by_key(&mut self, old: &[EndpointReport], new: &[EndpointReport]) -> Vec<usize> {
        // A VIP serves several namespaces on one port: each pairs with its own.
        type Key = (String, u16, Role, String);
        let key = |e: &EndpointReport| -> Key {
            let namespace = match (e.endpoint.role, &e.endpoint.sni) {
                (Role::LoadBalancer, Some(sni)) => sni.to_ascii_lowercase(),
                _ => String::new(),
            };
            (
                e.endpoint.host.to_ascii_lowercase(),
                e.endpoint.port,
                e.endpoint.role,
                namespace,
            )
        };
        let mut by_key: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
        for (i, e) in old.iter().enumerate() {
            by_key.entry(key(e)).or_default().push(i);
        }
        let mut left_new = Vec::new();
        for (n, e) in new.iter().enumerate() {
            let candidates: Vec<usize> = by_key
                .get(&key(e))
                .map(|v| {
                    v.iter()
                        .copied()
                        .filter(|o| !self.used_old.contains(o))
                        .collect()
                })
                .unwrap_or_default();
            let same_address = candidates.iter().copied().find(|&o| {
                old.get(o)
                    .is_some_and(|x| x.endpoint.address == e.endpoint.address)
            });
            match same_address.or(candidates.first().copied()) {
                Some(o) => self.take(o, n),
                None => left_new.push(n),
            }
        }
        left_new
    }

    /// Pair each of `left_new` with the first unused old endpoint `rule`
    /// accepts; returns those still unpaired.
    fn by_rule(
        &mut self,
        old: &[EndpointReport],
        new: &[EndpointReport],
        left_new: Vec<usize>,
        rule: fn(&EndpointReport, &EndpointReport) -> bool,
    ) -> Vec<usize> {
        let mut still = Vec::new();
        for n in left_new {
            let found = (0..old.len()).find(|o| {
                !self.used_old.contains(o)
                    && matches!((old.get(*o), new.get(n)), (Some(a), Some(b)) if rule(a, b))
            });
            match found {
                Some(o) => self.take(o, n),
                None => still.push(n),
            }
        }
        still
    }
}

fn same_slot(a: &EndpointReport, b: &EndpointReport) -> bool {
    a.endpoint.port == b.endpoint.port && a.endpoint.role == b.endpoint.role
}

/// Same port and role, and a host name or alias in common.
fn shares_a_name(a: &EndpointReport, b: &EndpointReport) -> bool {
    let names = |e: &EndpointReport| -> BTreeSet<String> {
        std::iter::once(&e.endpoint.host)
            .chain(&e.endpoint.aliases)
            .map(|h| h.to_ascii_lowercase())
            .collect()
    };
    same_slot(a, b) && !names(a).is_disjoint(&names(b))
}

/// Same port and role at the same (known) address.
fn shares_an_address(a: &EndpointReport, b: &EndpointReport) -> bool {
    same_slot(a, b) && a.endpoint.address.is_some() && a.endpoint.address == b.endpoint.address
}
