//! Names become addresses, and endpoints that meet at the same address:port
//! are folded into one.
//!
//! Names go through the system resolver (`getaddrinfo` via
//! `tokio::net::lookup_host`), so short names such as `EX01` follow the
//! machine's DNS search domains and `/etc/hosts`, exactly as `ping EX01`
//! would.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::TargetOptions;
use crate::model::Endpoint;

/// Lookups in flight at once. Each holds one of tokio's blocking threads;
/// 32 clears hundreds of names against AD DNS in a few round trips without
/// throwing hundreds of queries at once at a small resolver.
const CONCURRENT_LOOKUPS: usize = 32;

/// `getaddrinfo` cannot be cancelled; past this we stop waiting and report
/// the name as not resolving.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(15);

/// What one name resolved to: addresses in the resolver's order, or its
/// error message.
type Lookup = Result<Vec<IpAddr>, String>;

/// The key a name is resolved under: lowercase, without a trailing dot.
pub(crate) fn name_key(host: &str) -> String {
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

/// Resolve each distinct unresolved name once, concurrently.
async fn lookup_all(names: Vec<String>) -> HashMap<String, Lookup> {
    let limit = Arc::new(Semaphore::new(CONCURRENT_LOOKUPS));
    let mut tasks = JoinSet::new();
    for name in names {
        let limit = Arc::clone(&limit);
        tasks.spawn(async move {
            // The semaphore is never closed, so an error cannot happen; if it
            // did, resolving without the limit is still correct.
            let _permit = limit.acquire_owned().await.ok();
            let result = lookup(&name).await;
            (name, result)
        });
    }
    let mut out = HashMap::new();
    while let Some(joined) = tasks.join_next().await {
        // A lookup task only panics if the runtime is shutting down; the
        // name then stays absent and is reported as not resolved.
        if let Ok((name, result)) = joined {
            out.insert(name, result);
        }
    }
    out
}

async fn lookup(name: &str) -> Lookup {
    match tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((name, 0))).await {
        Err(_) => Err(format!(
            "DNS lookup timed out after {} s",
            LOOKUP_TIMEOUT.as_secs()
        )),
        Ok(Err(e)) => Err(format!("cannot resolve {name}: {e}")),
        Ok(Ok(addrs)) => {
            let mut seen = HashSet::new();
            let ips: Vec<IpAddr> = addrs
                .map(|a| a.ip())
                .filter(|ip| seen.insert(*ip))
                .collect();
            if ips.is_empty() {
                Err(format!("cannot resolve {name}: no addresses"))
            } else {
                Ok(ips)
            }
        }
    }
}

/// The addresses to scan for a name: all of them, or the first IPv4 (else
/// the first IPv6). IPv4 first because Exchange servers answer on IPv4
/// everywhere, while IPv6 is often registered but filtered.
fn pick(addrs: &[IpAddr], all: bool) -> Vec<IpAddr> {
    if all {
        return addrs.to_vec();
    }
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .map(|a| vec![*a])
        .unwrap_or_default()
}

/// See [`crate::targets::resolve`].
pub(crate) async fn resolve(
    endpoints: Vec<Endpoint>,
    opts: &TargetOptions,
) -> Vec<(Endpoint, Option<String>)> {
    let mut names = Vec::new();
    let mut wanted = HashSet::new();
    for e in endpoints.iter().filter(|e| e.address.is_none()) {
        let key = name_key(&e.host);
        if wanted.insert(key.clone()) {
            names.push(key);
        }
    }
    let found = lookup_all(names).await;

    let mut expanded = Vec::with_capacity(endpoints.len());
    for e in endpoints {
        if e.address.is_some() {
            expanded.push((e, None));
            continue;
        }
        match found.get(&name_key(&e.host)) {
            Some(Ok(addrs)) => {
                for addr in pick(addrs, opts.all_addresses) {
                    expanded.push((
                        Endpoint {
                            address: Some(addr),
                            ..e.clone()
                        },
                        None,
                    ));
                }
            }
            Some(Err(message)) => expanded.push((e, Some(message.clone()))),
            None => {
                let message = format!("cannot resolve {}: lookup did not finish", e.host);
                expanded.push((e, Some(message)));
            }
        }
    }
    dedupe(expanded)
}

/// Fold endpoints that reach the same address:port into the first one, in
/// input order; later names become its aliases. Names that did not resolve
/// fold by name:port, so a name listed twice fails once.
pub(crate) fn dedupe(list: Vec<(Endpoint, Option<String>)>) -> Vec<(Endpoint, Option<String>)> {
    #[derive(Hash, PartialEq, Eq)]
    enum Key {
        Addr(IpAddr, u16),
        Name(String, u16),
        /// A balancer picks its certificate by SNI: one VIP serving two
        /// namespaces is two endpoints.
        Balancer(Box<Key>, String),
    }
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut out: Vec<(Endpoint, Option<String>)> = Vec::with_capacity(list.len());
    for (e, err) in list {
        let mut key = match e.address {
            Some(a) => Key::Addr(a, e.port),
            None => Key::Name(name_key(&e.host), e.port),
        };
        if e.role == crate::model::Role::LoadBalancer {
            key = Key::Balancer(Box::new(key), e.sni.clone().unwrap_or_default());
        }
        match index.get(&key).and_then(|i| out.get_mut(*i)) {
            Some((first, _)) => {
                let known = std::iter::once(&first.host)
                    .chain(first.aliases.iter())
                    .any(|h| h.eq_ignore_ascii_case(&e.host));
                if !known {
                    first.aliases.push(e.host);
                }
            }
            None => {
                index.insert(key, out.len());
                out.push((e, err));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pick_is_first_ipv4_else_first_ipv6() {
        let v6: IpAddr = "fd00::1".parse().unwrap();
        let v4a: IpAddr = "10.0.0.1".parse().unwrap();
        let v4b: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(pick(&[v6, v4a, v4b], false), vec![v4a]);
        assert_eq!(pick(&[v6], false), vec![v6]);
        assert_eq!(pick(&[v6, v4a, v4b], true), vec![v6, v4a, v4b]);
        assert!(pick(&[], false).is_empty());
    }
}
