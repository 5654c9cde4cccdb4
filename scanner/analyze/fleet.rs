//! Rules that need the whole fleet: which public certificate is the one to
//! have (the newest of a rollout), who has not got it yet, which names the
//! fleet serves, and backend certs that expire together.
//!
//! Decisions worth knowing:
//! - A rollout is normal life, not a fault. Among valid (in date) CA-issued
//!   443 certificates that cover the same names, the most recently issued
//!   one is the target; a server still on an older, valid one gets an info
//!   finding ("roll out X here"), a server on the target gets nothing. The
//!   target always covers every name of the certificate it replaces, so
//!   excert never advises binding a certificate for another namespace, nor
//!   an older one.
//! - Sites are kept apart: a certificate is compared only with those of the
//!   same AD site (servers with no known site compare with everyone).
//! - A trusted certificate is never replaced by an untrusted one.
//! - Without `--namespace`, the client namespaces are the names common to
//!   the site's valid CA-issued 443 certificates: a public CA cannot issue
//!   the servers' internal `.local` names, so checking against those would
//!   flag every healthy server.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use time::{Duration, OffsetDateTime};

use crate::model::{CertFacts, Classification, ExpiryCliff};

use super::hostnames;

/// A CA-issued leaf seen on a frontend endpoint that answered.
pub(crate) struct FrontLeaf<'a> {
    /// Index into the endpoints vec.
    pub endpoint: usize,
    pub host: &'a str,
    /// The server's AD site, when known.
    pub site: Option<&'a str>,
    pub leaf: &'a CertFacts,
    /// The chain validated against the trust roots.
    pub trusted: bool,
    /// The leaf's names, parsed once: coverage checks run for every pair
    /// of leaves of a site.
    pub names: hostnames::NameSet,
}

/// Whether two servers may share a public certificate: same site, or one
/// site unknown.
pub(crate) fn same_site(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => true,
    }
}

/// CA-issued and inside its validity at `as_of`.
fn in_date(c: &CertFacts, as_of: OffsetDateTime) -> bool {
    c.classification == Classification::CaIssued
        && c.not_before.is_some_and(|t| t <= as_of)
        && c.not_after.is_some_and(|t| t > as_of)
}

/// The DNS names a certificate is for (SAN, else the CN), lowercase.
pub(crate) fn cert_names(c: &CertFacts) -> Vec<String> {
    let mut out: Vec<String> = c
        .sans
        .iter()
        .filter(|s| s.parse::<std::net::IpAddr>().is_err())
        .map(|s| s.to_ascii_lowercase())
        .collect();
    if c.sans.is_empty() {
        out.extend(c.subject_cn.iter().map(|s| s.to_ascii_lowercase()));
    }
    out
}

/// Newer: issued later, then valid longer.
fn newer(a: &CertFacts, b: &CertFacts) -> bool {
    (a.not_before, a.not_after) > (b.not_before, b.not_after)
}

/// The newest in-date certificate of `site` that covers every one of
/// `names`; with `trusted_only`, only certificates whose chain validated.
fn newest_covering<'l, 'a>(
    leaves: &'l [FrontLeaf<'a>],
    site: Option<&str>,
    names: &[String],
    trusted_only: bool,
    as_of: OffsetDateTime,
) -> Option<&'l FrontLeaf<'a>> {
    leaves
        .iter()
        .filter(|l| same_site(site, l.site) && in_date(l.leaf, as_of))
        .filter(|l| l.trusted || !trusted_only)
        .filter(|l| names.iter().all(|n| l.names.covers(n)))
        .max_by(|a, b| {
            (a.trusted, a.leaf.not_before, a.leaf.not_after)
                .cmp(&(b.trusted, b.leaf.not_before, b.leaf.not_after))
                // Never depend on input order: the lower thumbprint wins a tie.
                .then_with(|| b.leaf.sha1.cmp(&a.leaf.sha1))
        })
}

/// A frontend still presenting an older certificate than the one being
/// rolled out for its names.
pub(crate) struct Lag<'a> {
    pub endpoint: usize,
    /// The newest certificate for the same names: the one to bind.
    pub target: &'a CertFacts,
    /// How many servers already present it.
    pub on_target: usize,
}

/// Every frontend whose certificate has a newer, in-date successor in its
/// site (one that covers all its names, and is trusted if it is).
pub(crate) fn lags<'a>(leaves: &[FrontLeaf<'a>], as_of: OffsetDateTime) -> Vec<Lag<'a>> {
    let mut out = Vec::new();
    // Servers of a rollout share a few certificates: look each up once.
    let mut targets: HashMap<(&str, Option<String>, bool), Option<&'a CertFacts>> = HashMap::new();
    for l in leaves {
        let trusted_only = l.trusted && in_date(l.leaf, as_of);
        let key = (
            l.leaf.sha1.as_str(),
            l.site.map(str::to_ascii_lowercase),
            trusted_only,
        );
        let target = *targets.entry(key).or_insert_with(|| {
            let names = cert_names(l.leaf);
            if names.is_empty() {
                return None;
            }
            newest_covering(leaves, l.site, &names, trusted_only, as_of).map(|t| t.leaf)
        });
        let Some(target) = target else {
            continue;
        };
        if target.sha1 == l.leaf.sha1 || !newer(target, l.leaf) {
            continue;
        }
        let on_target: BTreeSet<String> = leaves
            .iter()
            .filter(|o| o.leaf.sha1 == target.sha1 && same_site(l.site, o.site))
            .map(|o| o.host.to_ascii_lowercase())
            .collect();
        out.push(Lag {
            endpoint: l.endpoint,
            target,
            on_target: on_target.len(),
        });
    }
    out
}

/// The public certificate a server should present on 443: the newest
/// successor of its own CA-issued certificate (or that certificate), else,
/// when 443 lost its certificate, the site's newest one, but only when the
/// site has a single family of names; otherwise `None` (the thumbprint is
/// then left for the admin to fill in, rather than guessed).
pub(crate) fn public_for<'a>(
    site: Option<&str>,
    own: Option<&'a CertFacts>,
    leaves: &[FrontLeaf<'a>],
    as_of: OffsetDateTime,
) -> Option<&'a CertFacts> {
    if let Some(own) = own.filter(|c| c.classification == Classification::CaIssued) {
        let names = cert_names(own);
        return newest_covering(leaves, site, &names, false, as_of)
            .map(|t| t.leaf)
            .filter(|t| newer(t, own))
            .or_else(|| in_date(own, as_of).then_some(own));
    }
    let candidates: Vec<&FrontLeaf<'a>> = leaves
        .iter()
        .filter(|l| same_site(site, l.site) && in_date(l.leaf, as_of))
        .collect();
    let best = newest_covering(leaves, site, &[], false, as_of)?;
    let one_family = candidates
        .iter()
        .all(|c| cert_names(c.leaf).iter().all(|n| best.names.covers(n)));
    one_family.then_some(best.leaf)
}

/// The client namespaces of each site (`None`: servers with no site), as
/// the names every in-date CA-issued 443 certificate of that site holds.
pub(crate) fn infer_namespaces(
    leaves: &[FrontLeaf<'_>],
    as_of: OffsetDateTime,
) -> BTreeMap<Option<String>, Vec<String>> {
    let mut by_site: BTreeMap<Option<String>, Option<BTreeSet<String>>> = BTreeMap::new();
    for l in leaves.iter().filter(|l| in_date(l.leaf, as_of)) {
        let names: BTreeSet<String> = cert_names(l.leaf).into_iter().collect();
        let slot = by_site.entry(l.site.map(str::to_string)).or_default();
        *slot = Some(match slot.take() {
            Some(common) => common.intersection(&names).cloned().collect(),
            None => names,
        });
    }
    by_site
        .into_iter()
        .map(|(site, names)| (site, names.unwrap_or_default().into_iter().collect()))
        .collect()
}

/// Backend certs whose expiry dates fall within this many days of each other
/// form one cliff: servers installed together fall over together.
pub const CLIFF_WINDOW_DAYS: i64 = 21;

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
