//! One record per server and certificate. Two exports (or two objects of
//! one) may describe the same certificate in the same store; when they
//! disagree, the record backed by the certificate's DER is kept whatever
//! the file order (a stale CSV row must not hide an expiring certificate),
//! and between equals the first read. Each disagreement is recorded, and
//! what the kept record lacks (services, status, friendly name, names) is
//! taken from the other.
//!
//! Records are found by a map keyed by (server, thumbprint): linear in the
//! number of records. A server is one key however the exports spell it:
//! case aside, `Get-ExchangeServer`'s Name and Fqdn name the same server,
//! and a short name is the one FQDN in the records that starts with it.

use std::collections::{HashMap, HashSet};

use time::{Duration, OffsetDateTime};

use crate::model::{ExchangeServerInfo, ExchangeService, InventoryConflict, StoreCertificate};

/// How far two dates may differ when one was read without a UTC offset
/// (the exporting machine's wall clock): the widest time zone offset.
const WALL_CLOCK_SLACK: Duration = Duration::hours(14);

/// Keep one record per (server, thumbprint), in first-seen order; append
/// every disagreement to `conflicts`.
pub(super) fn dedupe(
    certs: Vec<StoreCertificate>,
    servers: &[ExchangeServerInfo],
    conflicts: &mut Vec<InventoryConflict>,
) -> Vec<StoreCertificate> {
    let keys = ServerKeys::new(&certs, servers);
    let mut index: HashMap<(String, String), usize> = HashMap::with_capacity(certs.len());
    let mut out: Vec<StoreCertificate> = Vec::with_capacity(certs.len());
    for c in certs {
        let key = (keys.key(&c.server), c.thumbprint.clone());
        match index.get(&key).and_then(|&i| out.get_mut(i)) {
            Some(kept) => resolve(kept, c, conflicts),
            None => {
                index.insert(key, out.len());
                out.push(c);
            }
        }
    }
    out
}

/// One spelling per server.
struct ServerKeys {
    /// Lower-case Name or Fqdn of `Get-ExchangeServer` -> lower-case Fqdn.
    known: HashMap<String, String>,
    /// Short name -> the one FQDN starting with it; `None` when several do.
    short: HashMap<String, Option<String>>,
}

impl ServerKeys {
    fn new(certs: &[StoreCertificate], servers: &[ExchangeServerInfo]) -> Self {
        let mut known = HashMap::new();
        for s in servers {
            let fqdn = s.fqdn.as_deref().unwrap_or(&s.name).to_ascii_lowercase();
            known.insert(s.name.to_ascii_lowercase(), fqdn.clone());
            known.insert(fqdn.clone(), fqdn);
        }
        let mut fqdns: HashSet<String> = HashSet::new();
        for c in certs {
            let name = plain(&c.server);
            let name = known.get(&name).cloned().unwrap_or(name);
            if name.contains('.') && name.parse::<std::net::IpAddr>().is_err() {
                fqdns.insert(name);
            }
        }
        let mut short: HashMap<String, Option<String>> = HashMap::new();
        for f in fqdns {
            let first = f.split('.').next().unwrap_or_default().to_string();
            short
                .entry(first)
                .and_modify(|v| *v = None)
                .or_insert(Some(f));
        }
        ServerKeys { known, short }
    }

    fn key(&self, server: &str) -> String {
        let name = plain(server);
        if let Some(k) = self.known.get(&name) {
            return k.clone();
        }
        if !name.contains('.') {
            if let Some(Some(fqdn)) = self.short.get(&name) {
                return fqdn.clone();
            }
        }
        name
    }
}

fn plain(server: &str) -> String {
    server.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Settle two records of one certificate: `kept` ends up the winner.
fn resolve(
    kept: &mut StoreCertificate,
    mut other: StoreCertificate,
    conflicts: &mut Vec<InventoryConflict>,
) {
    if kept.der_base64.is_none() && other.der_base64.is_some() {
        std::mem::swap(kept, &mut other);
    }
    let loose = kept.dates_assumed_utc || other.dates_assumed_utc;
    let mut differ = |field: &str, a: String, b: String| {
        conflicts.push(InventoryConflict {
            server: kept.server.clone(),
            thumbprint: kept.thumbprint.clone(),
            field: field.to_string(),
            kept: a,
            kept_source: kept.source.clone(),
            dropped: b,
            dropped_source: other.source.clone(),
        });
    };
    if !same_time(kept.not_after, other.not_after, loose) {
        differ("not_after", date(kept.not_after), date(other.not_after));
    }
    // A CSV without NotBefore stands not_after in for it: nothing to compare.
    if other.not_before != other.not_after
        && kept.not_before != kept.not_after
        && !same_time(kept.not_before, other.not_before, loose)
    {
        differ("not_before", date(kept.not_before), date(other.not_before));
    }
    if let (Some(a), Some(b)) = (&kept.services, &other.services) {
        if !same_list(a, b) {
            differ("services", services(a), services(b));
        }
    }
    if let (Some(a), Some(b)) = (&kept.friendly_name, &other.friendly_name) {
        if a.trim() != b.trim() {
            differ("friendly_name", a.clone(), b.clone());
        }
    }
    if let (Some(a), Some(b)) = (&kept.status, &other.status) {
        if !a.trim().eq_ignore_ascii_case(b.trim()) {
            differ("status", a.clone(), b.clone());
        }
    }
    if kept.services.is_none() {
        kept.services = other.services;
    }
    if kept.status.is_none() {
        kept.status = other.status;
    }
    if kept.friendly_name.is_none() {
        kept.friendly_name = other.friendly_name;
    }
    if kept.names.is_empty() {
        kept.names = other.names;
    }
}

fn same_time(a: OffsetDateTime, b: OffsetDateTime, loose: bool) -> bool {
    let slack = if loose {
        WALL_CLOCK_SLACK
    } else {
        Duration::seconds(1)
    };
    (a - b).abs() < slack
}

fn same_list(a: &[ExchangeService], b: &[ExchangeService]) -> bool {
    let norm = |l: &[ExchangeService]| {
        let mut v: Vec<String> = l
            .iter()
            .map(|s| s.name().trim().to_ascii_uppercase())
            .collect();
        v.sort();
        v
    };
    norm(a) == norm(b)
}

/// As PowerShell prints the flags: `IIS, SMTP`, or `None`.
fn services(list: &[ExchangeService]) -> String {
    if list.is_empty() {
        "None".into()
    } else {
        ExchangeService::join(list, ", ")
    }
}

fn date(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}
