//! Store records made into facts: the DER read when the export carried
//! it, the friendly name's say on what a certificate is, and the store's
//! names given to the wire certificates it holds.

use std::collections::HashMap;
use std::sync::Arc;

use time::OffsetDateTime;

use super::servers::ServerIndex;
use crate::analyze::cert;
use crate::model::{
    CertFacts, Classification, EndpointEvidence, ExchangeService, HashAlgorithm, Inventory,
    KeyAlgorithm, StoreCertificate,
};

pub(super) const AUTH_SUBJECT: &str = "CN=Microsoft Exchange Server Auth Certificate";
const EXCHANGE_NAME: &str = "Microsoft Exchange";
const AUTH_NAME: &str = "Microsoft Exchange Server Auth Certificate";

/// What a friendly name says a self-issued certificate is.
fn by_friendly_name(friendly: &str) -> Option<Classification> {
    if friendly.eq_ignore_ascii_case(EXCHANGE_NAME) {
        Some(Classification::ExchangeSelfSigned)
    } else if friendly.eq_ignore_ascii_case(AUTH_NAME) {
        Some(Classification::ExchangeAuth)
    } else if friendly
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("wmsvc"))
    {
        Some(Classification::Wmsvc)
    } else {
        None
    }
}

/// Classify by the store's friendly name when it names one of Exchange's
/// own self-issued certificates; returns the new class and reason.
fn classify_by_name(
    class: Classification,
    self_issued: bool,
    friendly: Option<&str>,
    server: &str,
    shape_reason: &str,
) -> Option<(Classification, String)> {
    let friendly = friendly?;
    let named = by_friendly_name(friendly)?;
    if !self_issued || class == Classification::Unparsable {
        return None;
    }
    let reason = if named == class {
        format!("Friendly name \"{friendly}\" in {server}'s store agrees. {shape_reason}")
    } else {
        format!(
            "Friendly name \"{friendly}\" in {server}'s store (--inventory); by shape alone it \
             would be {}: {shape_reason}",
            class.as_str()
        )
    };
    Some((named, reason))
}

/// Give every wire certificate found in its server's store the store's
/// friendly name and services, and classify it by the friendly name.
/// Keyed by thumbprint and server, so it is linear in chains plus records.
pub(crate) fn join_wire(
    chains: &mut [Vec<Arc<CertFacts>>],
    evidence: &[EndpointEvidence],
    inv: &Inventory,
) {
    let mut servers = ServerIndex::new(inv);
    for (i, e) in evidence.iter().enumerate() {
        if servers.find(&e.endpoint.host).is_none() {
            servers.insert(&e.endpoint.host, i);
        }
    }
    // Thumbprint -> (server's first endpoint, record): a thumbprint is in
    // a handful of stores at most.
    let mut held: HashMap<&str, Vec<(usize, &StoreCertificate)>> = HashMap::new();
    for c in &inv.certificates {
        if let Some(s) = servers.find(&c.server) {
            held.entry(c.thumbprint.as_str()).or_default().push((s, c));
        }
    }
    for (chain, e) in chains.iter_mut().zip(evidence) {
        let Some(server) = servers.find(&e.endpoint.host) else {
            continue;
        };
        for f in chain.iter_mut() {
            let Some(s) = held
                .get(f.sha1.as_str())
                .and_then(|list| list.iter().find(|(s, _)| *s == server))
                .map(|(_, c)| *c)
            else {
                continue;
            };
            // This endpoint's own copy: the store's names are per server.
            let f = Arc::make_mut(f);
            f.friendly_name.clone_from(&s.friendly_name);
            f.services.clone_from(&s.services);
            if let Some((class, reason)) = classify_by_name(
                f.classification,
                f.self_issued,
                s.friendly_name.as_deref(),
                &s.server,
                &f.classification_reason,
            ) {
                f.classification = class;
                f.classification_reason = reason;
            }
        }
    }
}

/// What only the DER tells about a store certificate: its key and
/// signature. Unknown (`None`) for a CSV record.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Crypto {
    /// RSA key size in bits, for an RSA key.
    pub rsa_bits: Option<u32>,
    /// The signature's hash.
    pub signature_hash: Option<HashAlgorithm>,
}

/// A store record judged as of `as_of`: facts from the DER when the export
/// carried it, days left, classification with the friendly name.
pub(super) fn refresh(c: &StoreCertificate, as_of: OffsetDateTime) -> (StoreCertificate, Crypto) {
    let mut c = c.clone();
    let mut crypto = Crypto::default();
    let mut shape_reason = String::new();
    if let Some(der) = &c.der_base64 {
        let f = cert::facts(&der.0, as_of);
        if let (true, Some(not_before), Some(not_after)) =
            (cert::is_parsed(&f), f.not_before, f.not_after)
        {
            crypto = Crypto {
                rsa_bits: (f.key.algorithm == KeyAlgorithm::Rsa).then_some(f.key.bits),
                signature_hash: f.signature_hash,
            };
            c.thumbprint = f.sha1;
            c.subject = f.subject;
            c.issuer = f.issuer;
            c.not_before = not_before;
            c.not_after = not_after;
            c.self_signed = f.self_signed;
            c.names = f.sans;
            c.classification = f.classification;
            shape_reason = f.classification_reason;
        }
    } else {
        c.classification = if c.subject.eq_ignore_ascii_case(AUTH_SUBJECT) && c.self_signed {
            Classification::ExchangeAuth
        } else if c.self_signed {
            Classification::SelfSigned
        } else {
            Classification::CaIssued
        };
        shape_reason =
            "From the export's Subject, Issuer and IsSelfSigned columns (no DER).".into();
    }
    c.classification_reason = Some(shape_reason.clone());
    if let Some((class, reason)) = classify_by_name(
        c.classification,
        c.self_signed,
        c.friendly_name.as_deref(),
        &c.server,
        &shape_reason,
    ) {
        c.classification = class;
        c.classification_reason = Some(reason);
    }
    c.days_left = cert::days_between(as_of, c.not_after);
    c.bound = Vec::new();
    (c, crypto)
}

/// An Exchange Server Auth certificate, by class or subject.
pub(super) fn is_auth(c: &StoreCertificate) -> bool {
    c.classification == Classification::ExchangeAuth || c.subject.eq_ignore_ascii_case(AUTH_SUBJECT)
}

/// Valid at `as_of` by its dates.
pub(super) fn valid_at(c: &StoreCertificate, as_of: OffsetDateTime) -> bool {
    c.not_before <= as_of && as_of < c.not_after
}

/// `"friendly name" (thumbprint)`, or the subject when it has no name.
pub(super) fn label(c: &StoreCertificate) -> String {
    match c.friendly_name.as_deref().filter(|f| !f.is_empty()) {
        Some(f) => format!("\"{f}\" ({})", c.thumbprint),
        None => format!("{} ({})", c.subject, c.thumbprint),
    }
}

/// Said after a date read from an export without an offset.
pub(super) fn utc_note(c: &StoreCertificate) -> &'static str {
    if c.dates_assumed_utc {
        " (the export gave local times without an offset; read as UTC)"
    } else {
        ""
    }
}

/// The services Exchange lists that make a certificate in use (IIS, SMTP,
/// IMAP, POP, in that order).
pub(super) fn services_in_use(c: &StoreCertificate) -> Vec<ExchangeService> {
    let Some(list) = c.services.as_deref() else {
        return Vec::new();
    };
    // A saved scan may hold one "IMAP, POP, IIS, SMTP" string as a single
    // unknown value: read it as the list it is.
    let listed: Vec<ExchangeService> = list
        .iter()
        .flat_map(|s| match s {
            ExchangeService::Other(text) => ExchangeService::list(text),
            known => vec![known.clone()],
        })
        .collect();
    use ExchangeService::{Iis, Imap, Pop, Smtp};
    [Iis, Smtp, Imap, Pop]
        .into_iter()
        .filter(|s| listed.contains(s))
        .collect()
}

/// DNS names made comparable as a set: lowercase, sorted, once each.
pub(super) fn names_key(names: &[String]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_ascii_lowercase()).collect();
    v.sort();
    v.dedup();
    v
}

/// `CN=a, O=b` and `O=b,CN=a` name one subject: compare the RDNs as a set.
pub(super) fn dn_key(dn: &str) -> Vec<String> {
    let mut parts: Vec<String> = dn
        .split([',', '+'])
        .map(|p| {
            let p = p.trim().to_ascii_lowercase();
            match p.split_once('=') {
                Some((k, v)) => format!("{}={}", k.trim(), v.trim()),
                None => p,
            }
        })
        .filter(|p| !p.is_empty())
        .collect();
    parts.sort();
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_compare_as_rdn_sets() {
        assert_eq!(
            dn_key("CN=mail.contoso.com, O=Contoso, C=US"),
            dn_key("C = US,O=Contoso,  CN=mail.contoso.com")
        );
        assert_ne!(dn_key("CN=a"), dn_key("CN=b"));
    }
}
