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
    type Key = (String, u16, Role);
    let key = |e: &EndpointReport| -> Key {
        (
            e.endpoint.host.to_ascii_lowercase(),
            e.endpoint.port,
            e.endpoint.role,
        )
    };
    let mut by_key: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    for (i, e) in old.iter().enumerate() {
        by_key.entry(key(e)).or_default().push(i);
    }
    let mut pairs = Vec::new();
    let mut used_old = BTreeSet::new();
    let mut left_new = Vec::new();
    for (n, e) in new.iter().enumerate() {
        let candidates: Vec<usize> = by_key
            .get(&key(e))
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|o| !used_old.contains(o))
                    .collect()
            })
            .unwrap_or_default();
        let same_address = candidates.iter().copied().find(|&o| {
            old.get(o)
                .is_some_and(|x| x.endpoint.address == e.endpoint.address)
        });
        match same_address.or(candidates.first().copied()) {
            Some(o) => {
                used_old.insert(o);
                pairs.push((o, n));
            }
            None => left_new.push(n),
        }
    }
    let names = |e: &EndpointReport| -> BTreeSet<String> {
        std::iter::once(&e.endpoint.host)
            .chain(&e.endpoint.aliases)
            .map(|h| h.to_ascii_lowercase())
            .collect()
    };
    let same_slot = |a: &EndpointReport, b: &EndpointReport| {
        a.endpoint.port == b.endpoint.port && a.endpoint.role == b.endpoint.role
    };
    type Rule<'a> = &'a dyn Fn(&EndpointReport, &EndpointReport) -> bool;
    let rules: [Rule<'_>; 2] = [
        &|a, b| same_slot(a, b) && !names(a).is_disjoint(&names(b)),
        &|a, b| {
            same_slot(a, b)
                && a.endpoint.address.is_some()
                && a.endpoint.address == b.endpoint.address
        },
    ];
    for rule in rules {
        let mut still = Vec::new();
        for n in left_new {
            let found = (0..old.len()).find(|o| {
                !used_old.contains(o)
                    && matches!((old.get(*o), new.get(n)), (Some(a), Some(b)) if rule(a, b))
            });
            match found {
                Some(o) => {
                    used_old.insert(o);
                    pairs.push((o, n));
                }
                None => still.push(n),
            }
        }
        left_new = still;
    }
    pairs
}
