//! Does a certificate cover a name? RFC 6125 rules, as browsers apply them.
//!
//! - Names compare case-insensitively, ignoring one trailing dot.
//! - A wildcard is only the whole leftmost label (`*.contoso.com`), covers
//!   exactly one label (not `a.b.contoso.com`, not `contoso.com`), and is
//!   refused when what follows it is a single label (`*.com`), since that
//!   would cover a whole public suffix.
//! - Partial wildcards such as `mail*.contoso.com` match nothing: browsers
//!   disagree on them, so a cert that relies on one is a mismatch.
//! - The subject CN is used only when the cert has no SAN at all (RFC 6125
//!   §6.4.4); modern clients ignore it otherwise.

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;

use crate::config::AnalysisSettings;
use crate::model::CertFacts;

/// Whether one certificate name (`pattern`, possibly a wildcard) covers the
/// DNS name `name`.
pub fn dns_matches(pattern: &str, name: &str) -> bool {
    let pattern = normalise(pattern);
    let name = normalise(name);
    if pattern.is_empty() || name.is_empty() {
        return false;
    }
    let Some(suffix) = pattern.strip_prefix("*.") else {
        return !pattern.contains('*') && pattern == name;
    };
    if suffix.contains('*') || !suffix.contains('.') {
        return false;
    }
    match name.split_once('.') {
        Some((first, rest)) => !first.is_empty() && rest == suffix,
        None => false,
    }
}

/// Whether the cert covers `name` (a DNS name or an IP literal).
///
/// Reads every name of the certificate: to check many names against one
/// certificate, prepare a [`NameSet`] once.
pub fn covers(cert: &CertFacts, name: &str) -> bool {
    NameSet::of(cert).covers(name)
}

/// The names a certificate covers, parsed once and kept in sets, so that a
/// coverage check costs a few lookups however many names the certificate
/// has (a leaf may carry 10,000).
#[derive(Debug, Clone, Default)]
pub struct NameSet {
    /// Exact DNS names, normalised.
    exact: HashSet<String>,
    /// What follows `*.` in each usable wildcard, normalised.
    wildcards: HashSet<String>,
    /// IP address SANs.
    ips: HashSet<IpAddr>,
}

impl NameSet {
    /// The SANs of `cert`, or its subject CN when it has no SAN at all.
    pub fn of(cert: &CertFacts) -> Self {
        NameSet::from_names(&cert.sans, cert.subject_cn.as_deref())
    }

    /// The names of a certificate with these SANs and subject CN.
    pub fn from_names(sans: &[String], subject_cn: Option<&str>) -> Self {
        let mut set = NameSet::default();
        for san in sans {
            match san.parse::<IpAddr>() {
                Ok(ip) => {
                    set.ips.insert(ip);
                }
                Err(_) => set.add_dns(san),
            }
        }
        if sans.is_empty() {
            if let Some(cn) = subject_cn {
                set.add_dns(cn);
            }
        }
        set
    }

    fn add_dns(&mut self, pattern: &str) {
        let pattern = normalise(pattern);
        if pattern.is_empty() {
            return;
        }
        match pattern.strip_prefix("*.") {
            // The rules of [`dns_matches`]: a whole leftmost label, and not
            // over a single label.
            Some(suffix) if !suffix.contains('*') && suffix.contains('.') => {
                self.wildcards.insert(suffix.to_string());
            }
            Some(_) => {}
            None if !pattern.contains('*') => {
                self.exact.insert(pattern);
            }
            None => {}
        }
    }

    /// Whether these names cover `name` (a DNS name or an IP literal), as
    /// [`dns_matches`] decides for each.
    pub fn covers(&self, name: &str) -> bool {
        if let Ok(ip) = name.trim_matches(['[', ']']).parse::<IpAddr>() {
            return self.ips.contains(&ip);
        }
        let name = normalise(name);
        if name.is_empty() {
            return false;
        }
        self.exact.contains(&name)
            || name
                .split_once('.')
                .is_some_and(|(first, rest)| !first.is_empty() && self.wildcards.contains(rest))
    }
}

/// Whether `host` is a DNS name worth checking a cert against: it has a dot
/// and is not an IP literal. Short names like `EX01` are what Exchange's own
/// cert covers, not a client namespace.
pub fn is_checkable_dns_name(host: &str) -> bool {
    let h = normalise(host);
    h.contains('.') && h.parse::<IpAddr>().is_err() && !h.contains(':')
}

/// The names a server's 443 certificate must cover: `--namespace` (for
/// every site, plus `SITE:NAME` for the server's site), else the names
/// inferred for its site from the fleet's own CA-issued certificates. The
/// server's scanned (often internal `.local`) name is never one of them: a
/// public CA cannot issue it.
pub(crate) fn expected(
    site: Option<&str>,
    settings: &AnalysisSettings,
    inferred: &BTreeMap<Option<String>, Vec<String>>,
) -> Vec<String> {
    let mut names = settings.namespaces.clone();
    if let Some(site) = site {
        for (s, list) in &settings.site_namespaces {
            if s.eq_ignore_ascii_case(site) {
                names.extend(list.iter().cloned());
            }
        }
    }
    if !names.is_empty() {
        return names;
    }
    let key = inferred
        .keys()
        .find(|k| match (k.as_deref(), site) {
            (Some(k), Some(s)) => k.eq_ignore_ascii_case(s),
            (None, None) => true,
            _ => false,
        })
        .cloned();
    key.and_then(|k| inferred.get(&k).cloned())
        .unwrap_or_default()
}

/// The inferred namespaces that stood in for `--namespace`, keyed by site
/// (`*` for servers with no known site): only sites with no explicit name.
pub(crate) fn inferred_used(
    inferred: &BTreeMap<Option<String>, Vec<String>>,
    settings: &AnalysisSettings,
) -> BTreeMap<String, Vec<String>> {
    inferred
        .iter()
        .filter(|(_, names)| !names.is_empty())
        .filter(|(site, _)| expected(site.as_deref(), settings, &BTreeMap::new()).is_empty())
        .map(|(site, names)| (site.clone().unwrap_or_else(|| "*".into()), names.clone()))
        .collect()
}

fn normalise(s: &str) -> String {
    s.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_covers_exactly_one_label() {
        assert!(dns_matches("*.contoso.com", "mail.contoso.com"));
        assert!(dns_matches("*.Contoso.COM", "MAIL.contoso.com."));
        assert!(!dns_matches("*.contoso.com", "a.b.contoso.com"));
        assert!(!dns_matches("*.contoso.com", "contoso.com"));
        assert!(!dns_matches("*.com", "contoso.com"));
        assert!(!dns_matches("mail*.contoso.com", "mail1.contoso.com"));
        assert!(!dns_matches("mail.*.com", "mail.contoso.com"));
        assert!(!dns_matches("*.contoso.com", ".contoso.com"));
    }

    #[test]
    fn exact_names_ignore_case() {
        assert!(dns_matches("Mail.Contoso.com", "mail.contoso.com"));
        assert!(!dns_matches("mail.contoso.com", "autodiscover.contoso.com"));
        assert!(!dns_matches("", "x"));
    }

    #[test]
    fn a_name_set_decides_as_dns_matches_does() {
        let patterns = [
            "*.contoso.com",
            "Mail.Contoso.com.",
            "*.com",
            "mail*.contoso.com",
            "10.0.0.1",
            "",
        ];
        let sans: Vec<String> = patterns.iter().map(|s| s.to_string()).collect();
        let set = NameSet::from_names(&sans, Some("ignored.example.org"));
        for name in [
            "a.contoso.com",
            "a.b.contoso.com",
            "contoso.com",
            "MAIL.contoso.com.",
            "mail1.contoso.com",
            "x.com",
            "*.contoso.com",
            ".contoso.com",
            "",
        ] {
            let one_by_one = patterns
                .iter()
                .filter(|p| p.parse::<IpAddr>().is_err())
                .any(|p| dns_matches(p, name));
            assert_eq!(set.covers(name), one_by_one, "{name}");
        }
        assert!(set.covers("10.0.0.1") && set.covers("[10.0.0.1]"));
        assert!(!set.covers("10.0.0.2"));
        assert!(!set.covers("ignored.example.org"), "CN only without SANs");
        let cn_only = NameSet::from_names(&[], Some("ex01.contoso.com"));
        assert!(cn_only.covers("EX01.contoso.com"));
    }

    #[test]
    fn checkable_names() {
        assert!(is_checkable_dns_name("mail.contoso.com"));
        assert!(!is_checkable_dns_name("EX01"));
        assert!(!is_checkable_dns_name("10.0.0.1"));
        assert!(!is_checkable_dns_name("::1"));
    }
}
