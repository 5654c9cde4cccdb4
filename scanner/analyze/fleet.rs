//! Rules that need the whole fleet: which public cert most servers present,
//! who differs from it, and backend certs that expire together.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use time::{Duration, OffsetDateTime};

use crate::model::{CertFacts, ExpiryCliff};

/// Backend certs whose expiry dates fall within this many days of each other
/// form one cliff: servers installed together fall over together.
pub const CLIFF_WINDOW_DAYS: i64 = 21;

/// A CA-issued leaf seen on a frontend endpoint.
pub(crate) struct FrontLeaf<'a> {
    /// Index into the endpoints vec.
    pub endpoint: usize,
    pub host: &'a str,
    pub leaf: &'a CertFacts,
}

/// The public cert most servers present: the CA-issued, unexpired frontend
/// leaf presented by the most hosts (ties go to the one valid longest).
pub(crate) fn majority_public<'a>(
    leaves: &[FrontLeaf<'a>],
    as_of: OffsetDateTime,
) -> Option<&'a CertFacts> {
    pick_majority(
        leaves
            .iter()
            .filter(|l| l.leaf.not_after.is_some_and(|t| t > as_of)),
        false,
    )
}

/// Count distinct hosts per thumbprint and pick the most common one. With
/// `strict`, a tie for first place or a count under two gives `None`.
fn pick_majority<'a, 'b>(
    leaves: impl Iterator<Item = &'b FrontLeaf<'a>>,
    strict: bool,
) -> Option<&'a CertFacts>
where
    'a: 'b,
{
    let mut hosts: HashMap<&str, (BTreeSet<String>, &'a CertFacts)> = HashMap::new();
    for l in leaves {
        hosts
            .entry(l.leaf.sha1.as_str())
            .or_insert_with(|| (BTreeSet::new(), l.leaf))
            .0
            .insert(l.host.to_ascii_lowercase());
    }
    let mut ranked: Vec<(usize, Option<OffsetDateTime>, &str, &'a CertFacts)> = hosts
        .iter()
        .map(|(sha, (h, c))| (h.len(), c.not_after, *sha, *c))
        .collect();
    // Most hosts first, then the longest-lived, then by thumbprint so the
    // answer never depends on hash order.
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2)));
    let first = ranked.first()?;
    if strict {
        let tie = ranked.get(1).is_some_and(|second| second.0 == first.0);
        if first.0 < 2 || tie {
            return None;
        }
    }
    Some(first.3)
}

/// An endpoint whose public cert differs from what most servers present for
/// the same names.
pub(crate) struct OddOneOut<'a> {
    pub endpoint: usize,
    pub majority: &'a CertFacts,
    /// How many servers present the majority cert, and how many were compared.
    pub majority_hosts: usize,
    pub compared_hosts: usize,
}

/// Group the CA-issued frontend leaves by shared DNS names (certs that share
/// any name are for the same namespace), find each group's strict majority
/// (presented by at least two servers, no tie) and return every endpoint
/// presenting something else.
pub(crate) fn inconsistent<'a>(leaves: &[FrontLeaf<'a>]) -> Vec<OddOneOut<'a>> {
    let groups = group_by_names(leaves);
    let mut out = Vec::new();
    for members in groups.values() {
        let group: Vec<&FrontLeaf<'a>> = members.iter().filter_map(|i| leaves.get(*i)).collect();
        let Some(majority) = pick_majority(group.iter().copied(), true) else {
            continue;
        };
        let compared: BTreeSet<String> =
            group.iter().map(|l| l.host.to_ascii_lowercase()).collect();
        let majority_hosts: BTreeSet<String> = group
            .iter()
            .filter(|l| l.leaf.sha1 == majority.sha1)
            .map(|l| l.host.to_ascii_lowercase())
            .collect();
        for l in &group {
            if l.leaf.sha1 != majority.sha1 {
                out.push(OddOneOut {
                    endpoint: l.endpoint,
                    majority,
                    majority_hosts: majority_hosts.len(),
                    compared_hosts: compared.len(),
                });
            }
        }
    }
    out.sort_by_key(|o| o.endpoint);
    out
}

/// Union-find over "shares a DNS name". Returns root -> member indexes.
fn group_by_names(leaves: &[FrontLeaf<'_>]) -> BTreeMap<usize, Vec<usize>> {
    let mut parent: Vec<usize> = (0..leaves.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while let Some(&p) = parent.get(i) {
            if p == i {
                break;
            }
            let grand = parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = parent.get_mut(i) {
                *slot = grand;
            }
            i = p;
        }
        i
    }
    let mut owner: HashMap<String, usize> = HashMap::new();
    for (i, l) in leaves.iter().enumerate() {
        for name in cert_names(l.leaf) {
            match owner.get(&name) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        if let Some(slot) = parent.get_mut(a) {
                            *slot = b;
                        }
                    }
                }
                None => {
                    owner.insert(name, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..leaves.len() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }
    groups
}

fn cert_names(c: &CertFacts) -> Vec<String> {
    let mut names: Vec<String> = c.sans.iter().map(|s| s.to_ascii_lowercase()).collect();
    if names.is_empty() {
        names.extend(c.subject_cn.iter().map(|s| s.to_ascii_lowercase()));
    }
    names
}

/// Backend certs that expire within [`CLIFF_WINDOW_DAYS`] of each other on
/// two or more hosts. Only certs not yet expired count: expired ones already
/// have critical findings. `backends` is (host, not_after) per backend leaf.
pub fn expiry_cliffs(
    backends: &[(String, OffsetDateTime)],
    as_of: OffsetDateTime,
) -> Vec<ExpiryCliff> {
    // One date per host: the earliest backend expiry is the one that bites.
    let mut per_host: BTreeMap<String, (String, OffsetDateTime)> = BTreeMap::new();
    for (host, when) in backends.iter().filter(|(_, t)| *t > as_of) {
        let key = host.to_ascii_lowercase();
        let entry = per_host.entry(key).or_insert((host.clone(), *when));
        if *when < entry.1 {
            *entry = (host.clone(), *when);
        }
    }
    let mut dated: Vec<(OffsetDateTime, String)> =
        per_host.into_values().map(|(h, t)| (t, h)).collect();
    dated.sort();
    let window = Duration::days(CLIFF_WINDOW_DAYS);
    let mut cliffs = Vec::new();
    let mut i = 0;
    while let Some((start, _)) = dated.get(i).cloned() {
        let members: Vec<&(OffsetDateTime, String)> = dated
            .iter()
            .skip(i)
            .take_while(|(t, _)| *t - start <= window)
            .collect();
        let n = members.len().max(1);
        if members.len() >= 2 {
            cliffs.push(ExpiryCliff {
                from: start,
                to: members.last().map_or(start, |m| m.0),
                hosts: members.iter().map(|m| m.1.clone()).collect(),
            });
        }
        i += n;
    }
    cliffs
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn cliffs_group_close_dates_on_two_or_more_hosts() {
        let as_of = datetime!(2024-01-01 0:00 UTC);
        let b = vec![
            ("EX01".to_string(), datetime!(2025-03-01 0:00 UTC)),
            ("EX02".to_string(), datetime!(2025-03-10 0:00 UTC)),
            ("EX03".to_string(), datetime!(2025-03-20 0:00 UTC)),
            ("EX04".to_string(), datetime!(2026-01-01 0:00 UTC)),
            ("EX05".to_string(), datetime!(2023-06-01 0:00 UTC)),
        ];
        let c = expiry_cliffs(&b, as_of);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].hosts, ["EX01", "EX02", "EX03"]);
        assert_eq!(c[0].to, datetime!(2025-03-20 0:00 UTC));
    }
}
