//! Server names as the exports and the scan spell them, matched through
//! maps so that judging 100,000 store certificates stays linear.
//!
//! The export's `Identity` server (an FQDN) and the scanned host name one
//! server when they compare equal ignoring case, or by their first label
//! when one side is a short name, or through `Get-ExchangeServer`'s
//! Name/Fqdn pairs when that export is given.

use std::collections::HashMap;

use crate::model::Inventory;

/// Server names made comparable: `Get-ExchangeServer`'s Name and Fqdn both
/// lead to the Fqdn.
pub(crate) struct Names(HashMap<String, String>);

impl Names {
    pub(crate) fn new(inv: &Inventory) -> Self {
        let mut map = HashMap::new();
        for s in &inv.exchange_servers {
            let canonical = s.fqdn.as_deref().unwrap_or(&s.name).to_ascii_lowercase();
            map.insert(s.name.to_ascii_lowercase(), canonical.clone());
            map.insert(canonical.clone(), canonical);
        }
        Names(map)
    }

    fn key(&self, name: &str) -> String {
        let lower = name.trim().trim_end_matches('.').to_ascii_lowercase();
        self.0.get(&lower).cloned().unwrap_or(lower)
    }

    /// Whether two spellings name one server.
    #[cfg(test)]
    pub(crate) fn same(&self, a: &str, b: &str) -> bool {
        let (a, b) = (self.key(a), self.key(b));
        if a == b {
            return true;
        }
        if is_ip(&a) || is_ip(&b) || (a.contains('.') && b.contains('.')) {
            return false;
        }
        first_label(&a) == first_label(&b)
    }
}

fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

fn first_label(s: &str) -> &str {
    s.split('.').next().unwrap_or(s)
}

/// Servers by name, each at a position (its view). A name finds the
/// server spelt the same, else (one side short) the one with its first
/// label: the rule of [`Names::same`], through three maps.
pub(crate) struct ServerIndex {
    names: Names,
    exact: HashMap<String, usize>,
    /// Short names (no dot), by themselves.
    short: HashMap<String, usize>,
    /// Dotted names, by their first label.
    by_label: HashMap<String, usize>,
}

impl ServerIndex {
    pub(crate) fn new(inv: &Inventory) -> Self {
        ServerIndex {
            names: Names::new(inv),
            exact: HashMap::new(),
            short: HashMap::new(),
            by_label: HashMap::new(),
        }
    }

    /// The position of the server `name` names, if one was inserted.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        let k = self.names.key(name);
        if let Some(&i) = self.exact.get(&k) {
            return Some(i);
        }
        if is_ip(&k) {
            return None;
        }
        let label = first_label(&k);
        if k.contains('.') {
            self.short.get(label).copied()
        } else {
            self.by_label.get(label).copied()
        }
    }

    /// Give `name` the position `i`; the first server inserted under a
    /// name keeps it.
    pub(crate) fn insert(&mut self, name: &str, i: usize) {
        let k = self.names.key(name);
        if !is_ip(&k) {
            if k.contains('.') {
                self.by_label
                    .entry(first_label(&k).to_string())
                    .or_insert(i);
            } else {
                self.short.entry(k.clone()).or_insert(i);
            }
        }
        self.exact.entry(k).or_insert(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_match_short_long_and_aliases() {
        let n = Names(HashMap::new());
        assert!(n.same("EX01", "ex01.contoso.local"));
        assert!(n.same("ex01.contoso.local.", "EX01.contoso.local"));
        assert!(!n.same("ex01.a.local", "ex01.b.local"));
        assert!(!n.same("10.0.0.1", "10"));
        assert!(!n.same("ex01", "ex02"));
    }

    #[test]
    fn the_index_follows_the_same_rule() {
        let mut idx = ServerIndex::new(&Inventory::default());
        idx.insert("ex01.contoso.local", 0);
        idx.insert("EX02", 1);
        idx.insert("10.0.0.1", 2);
        assert_eq!(idx.find("EX01"), Some(0));
        assert_eq!(idx.find("ex01.contoso.local."), Some(0));
        assert_eq!(idx.find("ex01.other.local"), None);
        assert_eq!(idx.find("ex02.contoso.local"), Some(1));
        assert_eq!(idx.find("10.0.0.1"), Some(2));
        assert_eq!(idx.find("10"), None);
        assert_eq!(idx.find("ex03"), None);
    }
}
