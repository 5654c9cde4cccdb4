//! The TLS versions each server accepts, as the probe saw them, and the
//! two findings that need the server or the fleet: `tls13-unsupported`
//! (TLS 1.3 on a build that does not support it) and
//! `tls-versions-inconsistent` (servers that share a site or a namespace
//! accept different versions, which Extended Protection does not allow).
//!
//! Decisions worth knowing:
//! - Only what the evidence says is known ([`Known`]): every version seen
//!   accepted; the versions above the best one accepted are refused (the
//!   hellos that found it offered them, and a server answers with the best
//!   version it shares); the versions below it are refused only when the
//!   protocol map finished (`versions_scanned`). With `--no-protocol-scan`
//!   the known versions may be just "TLS 1.3 yes or no" and "TLS 1.2 yes".
//! - Two servers differ only when one accepts a version the other is known
//!   to refuse: a version known on one side only is no difference.
//! - Servers are compared on their frontend (443; 444 when 443 told
//!   nothing): what clients and the load balancer reach, and what Extended
//!   Protection protects. Mail ports are not compared: Exchange 2019 CU15
//!   brought TLS 1.3 to HTTPS, not yet to SMTP, so they may rightly differ.
//!   A server is compared with those of its site (one with no known site
//!   with everyone) and with those that serve one of its namespaces.
//! - The servers at odds with more of their peers than agree with them get
//!   the finding (all of them when it is even): one outlier among nine
//!   servers is named, not the nine. The finding names both sides and never
//!   says which set is right.
//! - `tls13-unsupported` is one finding per server, on its first endpoint
//!   that accepts TLS 1.3, naming every port that does; an unknown build
//!   gives none.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::AnalysisSettings;
use crate::model::{
    EndpointEvidence, Finding, FindingId, Role, Severity, Status, TlsInfo, TlsVersion,
};

use super::catalog::finding;
use super::support::{group_of, Version};
use super::{fleet, hostnames, remediation};

/// The versions compared, oldest first; bit `i` of a [`Known`] mask is
/// `COMPARED[i]`. SSL is never probed, so never compared.
const COMPARED: [TlsVersion; 4] = [
    TlsVersion::Tls10,
    TlsVersion::Tls11,
    TlsVersion::Tls12,
    TlsVersion::Tls13,
];
const ALL: u8 = 0b1111;

/// Servers named per side in a detail sentence before "and N more".
const NAMED: usize = 5;

fn bit(v: TlsVersion) -> u8 {
    COMPARED.iter().position(|c| *c == v).map_or(0, |i| 1 << i)
}

fn names(mask: u8) -> String {
    COMPARED
        .iter()
        .filter(|v| mask & bit(**v) != 0)
        .map(|v| v.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the evidence says about the TLS versions one endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Known {
    /// Versions seen accepted.
    accepted: u8,
    /// Versions known to be refused.
    refused: u8,
}

impl Known {
    /// From one handshake's record; `None` when it names no TLS version.
    pub(crate) fn of(tls: &TlsInfo) -> Option<Known> {
        let accepted = tls
            .versions
            .iter()
            .chain([&tls.version])
            .fold(0u8, |m, v| m | bit(*v));
        if accepted == 0 {
            return None;
        }
        // The best version accepted, and every version above it.
        let top = 1u8 << (7 - accepted.leading_zeros());
        let above = ALL & !(top | (top - 1));
        let below = (top - 1) & !accepted;
        let refused = above | if tls.versions_scanned { below } else { 0 };
        Some(Known { accepted, refused })
    }

    /// Whether `v` was seen accepted.
    pub(crate) fn accepts(self, v: TlsVersion) -> bool {
        self.accepted & bit(v) != 0
    }

    /// One accepts a version the other is known to refuse.
    fn differs(self, other: Known) -> bool {
        (self.accepted & other.refused) | (other.accepted & self.refused) != 0
    }

    /// `accepts TLSv1.2, TLSv1.3 and refuses TLSv1.0, TLSv1.1`.
    fn describe(self) -> String {
        let mut out = format!("accepts {}", names(self.accepted));
        if self.refused != 0 {
            out.push_str(&format!(" and refuses {}", names(self.refused)));
        }
        let unknown = ALL & !(self.accepted | self.refused);
        if unknown != 0 {
            out.push_str(&format!(" ({} not tested)", names(unknown)));
        }
        out
    }
}

/// What one answered endpoint's handshake says, for the roles that are the
/// server's own (a load balancer's VIP is not).
fn known_at(e: &EndpointEvidence) -> Option<Known> {
    let own = matches!(
        e.endpoint.role,
        Role::Frontend | Role::Backend | Role::Smtp | Role::Imap | Role::Pop
    );
    if !own || e.observation.status != Status::Ok {
        return None;
    }
    Known::of(e.observation.tls.as_ref()?)
}

/// `tls13-unsupported`: per server whose build is known not to support
/// TLS 1.3, when an endpoint of it accepted TLS 1.3.
pub(crate) fn tls13_unsupported(
    evidence: &[EndpointEvidence],
    servers: &[(String, Vec<usize>)],
) -> Vec<(usize, Finding)> {
    let mut out = Vec::new();
    for (host, members) in servers {
        let Some(group) = group_of(members, evidence) else {
            continue;
        };
        let Some(version) = Version::of(group).filter(|v| v.supports_tls13() == Some(false)) else {
            continue;
        };
        let on: Vec<(usize, u16)> = members
            .iter()
            .filter_map(|&i| {
                let e = evidence.get(i)?;
                known_at(e)
                    .filter(|k| k.accepts(TlsVersion::Tls13))
                    .map(|_| (i, e.endpoint.port))
            })
            .collect();
        let Some(&(at, _)) = on.first() else {
            continue;
        };
        let ports: Vec<String> = on.iter().map(|(_, p)| p.to_string()).collect();
        let detail = format!(
            "{host} accepts TLS 1.3 (port {}) but runs {}: Exchange supports TLS 1.3 only from \
             Exchange 2019 CU15 (15.2.1748) and in Exchange SE, on Windows Server 2022 or \
             later. HealthChecker reports it red.",
            ports.join(", "),
            version.describe()
        );
        let steps = vec![remediation::disable_tls13(host, group.roles().is_edge())];
        out.push((
            at,
            finding(
                FindingId::Tls13Unsupported,
                Severity::Warning,
                detail,
                steps,
            ),
        ));
    }
    out
}

/// One server's frontend, for the comparison.
struct Front<'a> {
    host: &'a str,
    endpoint: usize,
    port: u16,
    site: Option<&'a str>,
    /// The client namespaces it serves, lowercase.
    namespaces: BTreeSet<String>,
    known: Known,
}

/// What makes servers alike for the comparison: site (lowercase),
/// namespaces and what is known of their versions.
type Kind<'a> = (Option<String>, &'a BTreeSet<String>, Known);

/// Whether two servers are compared: same site (or one unknown), or a
/// namespace in common.
fn compared(a: &Front<'_>, b: &Front<'_>) -> bool {
    fleet::same_site(a.site, b.site) || a.namespaces.intersection(&b.namespaces).next().is_some()
}

/// `tls-versions-inconsistent`: per server whose frontend accepts TLS
/// versions that more of the servers it is compared with refuse (or the
/// reverse) than agree with it.
pub(crate) fn tls_inconsistent(
    evidence: &[EndpointEvidence],
    servers: &[(String, Vec<usize>)],
    inferred: &BTreeMap<Option<String>, Vec<String>>,
    settings: &AnalysisSettings,
) -> Vec<(usize, Finding)> {
    let fronts: Vec<Front<'_>> = servers
        .iter()
        .filter_map(|(host, members)| {
            // The frontend, else the Exchange Back End (IIS too); never a
            // mail port, whose TLS 1.3 support differs from IIS's.
            let on = |role: Role| {
                members.iter().find_map(|&i| {
                    let e = evidence.get(i).filter(|e| e.endpoint.role == role)?;
                    Some((i, e, known_at(e)?))
                })
            };
            let (endpoint, e, known) = on(Role::Frontend).or_else(|| on(Role::Backend))?;
            let site = e.endpoint.group.site.as_deref();
            let namespaces = hostnames::expected(site, settings, inferred)
                .into_iter()
                .map(|n| n.to_ascii_lowercase())
                .collect();
            Some(Front {
                host,
                endpoint,
                port: e.endpoint.port,
                site,
                namespaces,
                known,
            })
        })
        .collect();
    // Servers alike in site, namespaces and versions are judged together:
    // a fleet holds a handful of such kinds, however many servers it has.
    let mut kinds: BTreeMap<Kind<'_>, Vec<usize>> = BTreeMap::new();
    for (i, f) in fronts.iter().enumerate() {
        let site = f.site.map(str::to_ascii_lowercase);
        kinds
            .entry((site, &f.namespaces, f.known))
            .or_default()
            .push(i);
    }
    let kinds: Vec<&Vec<usize>> = kinds.values().collect();
    let mut out = Vec::new();
    for members in &kinds {
        let Some(me) = members.first().and_then(|&i| fronts.get(i)) else {
            continue;
        };
        let mut other: Vec<&Front<'_>> = Vec::new();
        let mut same: Vec<&Front<'_>> = Vec::new();
        for theirs in &kinds {
            for peer in theirs.iter().filter_map(|&i| fronts.get(i)) {
                if !compared(me, peer) {
                    continue;
                }
                if me.known.differs(peer.known) {
                    other.push(peer);
                } else {
                    same.push(peer);
                }
            }
        }
        // `same` holds the server itself.
        if other.is_empty() || other.len() < same.len() {
            continue;
        }
        // Said once for the kind: a large fleet split in two must not
        // list every peer for every server.
        let sides = other_sides(&other);
        let alike: Vec<&str> = same.iter().take(NAMED + 1).map(|s| s.host).collect();
        for f in members.iter().filter_map(|&i| fronts.get(i)) {
            let detail = inconsistent_detail(f, &sides, &alike, same.len().saturating_sub(1));
            let steps = vec![remediation::align_tls_versions(f.host, f.port)];
            out.push((
                f.endpoint,
                finding(
                    FindingId::TlsVersionsInconsistent,
                    Severity::Warning,
                    detail,
                    steps,
                ),
            ));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out
}

/// Up to [`NAMED`] of `hosts`, then `and N more` for the rest of `total`.
fn listed(hosts: &[&str], total: usize) -> String {
    let shown: Vec<&str> = hosts.iter().take(NAMED).copied().collect();
    let mut out = shown.join(", ");
    if total > shown.len() {
        out.push_str(&format!(" and {} more", total - shown.len()));
    }
    out
}

/// The other side, by what its servers accept: `EX03, EX04 accept
/// TLSv1.2; EX05 accept TLSv1.0, TLSv1.2`.
fn other_sides(other: &[&Front<'_>]) -> String {
    let mut sides: BTreeMap<u8, Vec<&str>> = BTreeMap::new();
    for o in other {
        sides.entry(o.known.accepted).or_default().push(o.host);
    }
    sides
        .iter()
        .map(|(accepted, hosts)| {
            format!("{} accept {}", listed(hosts, hosts.len()), names(*accepted))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `f`'s detail: what it accepts, the other side (`sides`), and the
/// servers on its own side (`alike`, the first few of them; `alike_count`
/// besides itself).
fn inconsistent_detail(f: &Front<'_>, sides: &str, alike: &[&str], alike_count: usize) -> String {
    let alike: Vec<&str> = alike
        .iter()
        .copied()
        .filter(|h| !h.eq_ignore_ascii_case(f.host))
        .collect();
    let scope = match f.site {
        Some(site) => format!("servers of site {site} or sharing a namespace with it"),
        None => "servers it is compared with".to_string(),
    };
    format!(
        "{}:{} {}. Among the {scope}, {sides}{}. Extended Protection requires the same TLS \
         configuration on every Exchange server (CSS-Exchange's \
         ExchangeExtendedProtectionManagement.ps1 checks it before it enables anything).",
        f.host,
        f.port,
        f.known.describe(),
        if alike_count == 0 {
            String::new()
        } else {
            format!(
                "; {} accept the same as this one",
                listed(&alike, alike_count)
            )
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CipherSuite, Method};

    fn tls(version: TlsVersion, versions: &[TlsVersion], scanned: bool) -> TlsInfo {
        TlsInfo {
            version,
            cipher_suite: CipherSuite(0xC030),
            method: Method::Legacy,
            versions: versions.to_vec(),
            versions_scanned: scanned,
            evidence: Vec::new(),
            starttls: false,
        }
    }

    #[test]
    fn only_what_the_hellos_showed_is_known() {
        use TlsVersion::*;
        // The first hello alone: TLS 1.2 accepted, TLS 1.3 refused, the
        // rest not tested.
        let first = Known::of(&tls(Tls12, &[Tls12], false)).unwrap();
        assert_eq!(
            first.describe(),
            "accepts TLSv1.2 and refuses TLSv1.3 (TLSv1.0, TLSv1.1 not tested)"
        );
        let mapped = Known::of(&tls(Tls13, &[Tls12, Tls13], true)).unwrap();
        assert_eq!(
            mapped.describe(),
            "accepts TLSv1.2, TLSv1.3 and refuses TLSv1.0, TLSv1.1"
        );
        assert!(first.differs(mapped));
        // Legacy versions known on one side only are no difference.
        let legacy = Known::of(&tls(Tls12, &[Tls10, Tls12], true)).unwrap();
        assert!(!first.differs(legacy));
        assert!(legacy.differs(Known::of(&tls(Tls12, &[Tls12], true)).unwrap()));
        assert_eq!(Known::of(&tls(Ssl3, &[Ssl3], true)), None);
    }
}
