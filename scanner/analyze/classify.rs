//! Classification from the wire, with the reason written down.
//!
//! The friendly name ("Microsoft Exchange") lives in the Windows store, not in
//! the certificate, so excert recognises Exchange's certificates by what
//! Exchange guarantees about them, not by one byte layout: servers renewed
//! with `-KeySize 4096`, re-created with `New-ExchangeCertificate`, made by
//! Exchange 2010 or named after a long host all differ in layout but are the
//! same certificate to an admin.
//!
//! - `exchange_self_signed` ("Microsoft Exchange"), all of these must hold:
//!   - self-issued and not a CA (no BasicConstraints CA:TRUE);
//!   - an RSA key (`New-ExchangeCertificate` makes nothing else);
//!   - the subject is the single RDN `CN=<NetBIOS name>`: one label, at most
//!     15 characters;
//!   - the SAN holds that name and an FQDN whose first label is the name, or
//!     whose first label cut to 15 characters is the name (a host
//!     `exchange-mailbox01` has `CN=EXCHANGE-MAILBO`); it holds nothing else;
//!   - the EKU includes serverAuth;
//!   - a lifetime of 5 calendar years (1 year for Exchange 2007), compared to
//!     the day, with one day of slack for generators that round.
//!
//!   Extension order, SKI/AKI, the key size (2048 or 4096) and the signature
//!   hash vary between setup, renewals and versions: they are only recorded
//!   in the reason, as confidence signals.
//! - `exchange_auth`: self-issued, single RDN `CN=Microsoft Exchange Server
//!   Auth Certificate`. The name alone is distinctive; a SAN is allowed (an
//!   Auth certificate re-created with `-DomainName` has one), and the
//!   lifetime (1800 days from setup) is not required.
//! - `wmsvc`: self-issued `CN=WMSvc-<host>` or `CN=WMSvc-SHA2-<host>`, no SAN,
//!   no BasicConstraints.
//! - `self_signed`: any other self-issued cert; the reason names the first
//!   guarantee it misses.
//! - `ca_issued`: everything else.

use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{GeneralName, X509Certificate};

use crate::model::{CertFacts, Classification, KeyInfo};

const OID_KEY_USAGE: &str = "2.5.29.15";
const OID_SAN: &str = "2.5.29.17";
const OID_EKU: &str = "2.5.29.37";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_SKI: &str = "2.5.29.14";
const OID_AKI: &str = "2.5.29.35";
const OID_CN: &str = "2.5.4.3";
const AUTH_CN: &str = "Microsoft Exchange Server Auth Certificate";

/// Longest NetBIOS computer name; Windows cuts longer host names to it.
pub const NETBIOS_MAX: usize = 15;

/// What a certificate is, and why excert thinks so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// The class scan.json records.
    pub class: Classification,
    /// One sentence an admin can check against the certificate.
    pub reason: String,
}

/// Classify a parsed certificate. `self_issued` is subject == issuer.
pub fn classify(cert: &X509Certificate<'_>, key: &KeyInfo, self_issued: bool) -> Classified {
    let done = |class, reason: String| Classified { class, reason };
    if !self_issued {
        return done(
            Classification::CaIssued,
            format!("Issued by {}.", cert.issuer()),
        );
    }
    let cn = single_cn(cert);
    let san = san_names(cert);
    if let Some(cn) = &cn {
        if cn.eq_ignore_ascii_case(AUTH_CN) {
            return done(Classification::ExchangeAuth, auth_reason(&san));
        }
        if is_wmsvc_name(cn) && san.is_none() && !has_extension(cert, OID_BASIC_CONSTRAINTS) {
            return done(
                Classification::Wmsvc,
                format!(
                    "IIS Web Management Service certificate: self-issued, CN {cn}, no SAN, no \
                     BasicConstraints."
                ),
            );
        }
    }
    match exchange_own(cert, cn.as_deref(), san.as_ref(), key) {
        Ok(reason) => done(Classification::ExchangeSelfSigned, reason),
        Err(why_not) => done(
            Classification::SelfSigned,
            format!("Self-issued, but not Exchange's own certificate: {why_not}."),
        ),
    }
}

fn auth_reason(san: &Option<SanNames>) -> String {
    match san {
        Some(s) if !s.all.is_empty() => format!(
            "Exchange Server Auth certificate (OAuth): self-issued, CN {AUTH_CN}; its SAN ({}) \
             means it was re-created with New-ExchangeCertificate -DomainName.",
            s.all.join(", ")
        ),
        _ => {
            format!("Exchange Server Auth certificate (OAuth): self-issued, CN {AUTH_CN}, no SAN.")
        }
    }
}

/// The SAN's entries: DNS names, and whether anything else (IP addresses,
/// e-mail, URIs) is there.
struct SanNames {
    dns: Vec<String>,
    /// Every entry as text, for the reason.
    all: Vec<String>,
    other: bool,
}

fn san_names(cert: &X509Certificate<'_>) -> Option<SanNames> {
    if !has_extension(cert, OID_SAN) {
        return None;
    }
    let mut out = SanNames {
        dns: Vec::new(),
        all: Vec::new(),
        other: false,
    };
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => {
                    out.dns.push((*d).to_string());
                    out.all.push((*d).to_string());
                }
                GeneralName::IPAddress(ip) => {
                    out.other = true;
                    out.all.push(format!("IP address {}", ip_text(ip)));
                }
                _ => {
                    out.other = true;
                    out.all.push("a name that is not DNS".into());
                }
            }
        }
    }
    Some(out)
}

/// Why a certificate is not Exchange's own, as the clause the
/// classification reason shows ("it is a CA certificate ..."). Not an
/// error: a finding about the certificate, read by the admin.
type NotOwn = String;

/// `Ok(reason)` when every guarantee of the "Microsoft Exchange" certificate
/// holds, else `Err` naming the first one that does not.
fn exchange_own(
    cert: &X509Certificate<'_>,
    cn: Option<&str>,
    san: Option<&SanNames>,
    key: &KeyInfo,
) -> Result<String, NotOwn> {
    let cn = own_subject(cert, cn, key)?;
    let fqdn = own_san(san, cn)?;
    if !matches!(cert.extended_key_usage(), Ok(Some(eku)) if eku.value.server_auth) {
        return Err("its EKU does not include serverAuth".into());
    }
    let Some(years) = lifetime_years(cert) else {
        return Err(format!(
            "its lifetime is {} days; Exchange makes 5-year certificates (1 year on Exchange \
             2007)",
            lifetime_days(cert)
        ));
    };
    let truncated = is_fqdn_of(fqdn, cn) == Some(true);
    let name = if truncated {
        format!(
            "CN {cn} (the NetBIOS name: the first {NETBIOS_MAX} characters of {}) and {fqdn} in \
             the SAN",
            fqdn.split('.').next().unwrap_or(fqdn)
        )
    } else {
        format!("CN {cn} and {fqdn} in the SAN")
    };
    let lifetime = if years == 5 {
        "5-year lifetime"
    } else {
        "1-year lifetime (Exchange 2007)"
    };
    Ok(format!(
        "Exchange's own \"Microsoft Exchange\" certificate: self-issued, {name}, serverAuth, \
         {lifetime}; {}; {}; {} signature.",
        layout_signal(cert),
        key_signal(key),
        hash_name(&cert.signature_algorithm.algorithm.to_id_string()),
    ))
}

/// The subject and key guarantees: not a CA, a single CN that is a NetBIOS
/// computer name, an RSA key. Returns the CN.
fn own_subject<'a>(
    cert: &X509Certificate<'_>,
    cn: Option<&'a str>,
    key: &KeyInfo,
) -> Result<&'a str, NotOwn> {
    if matches!(cert.basic_constraints(), Ok(Some(bc)) if bc.value.ca) {
        return Err("it is a CA certificate (BasicConstraints CA:TRUE)".into());
    }
    let Some(cn) = cn.filter(|c| !c.is_empty()) else {
        return Err(format!(
            "its subject {} is not a single CN",
            display_or_empty(&cert.subject().to_string())
        ));
    };
    if cn.contains('.') || cn.contains(' ') || cn.chars().count() > NETBIOS_MAX {
        return Err(format!(
            "CN {cn} is not a NetBIOS computer name (one label, at most {NETBIOS_MAX} characters)"
        ));
    }
    if key.algorithm != crate::model::KeyAlgorithm::Rsa {
        return Err(format!(
            "its key is {}; Exchange makes RSA keys",
            key.algorithm
        ));
    }
    Ok(cn)
}

/// The SAN guarantees: DNS names only, the CN and an FQDN of it, nothing
/// else. Returns the (first) FQDN.
fn own_san<'a>(san: Option<&'a SanNames>, cn: &str) -> Result<&'a str, NotOwn> {
    let Some(san) = san else {
        return Err(format!("it has no SAN; Exchange's has {cn} and the FQDN"));
    };
    if san.other {
        return Err(format!(
            "its SAN holds more than DNS names ({})",
            san.all.join(", ")
        ));
    }
    if !san.dns.iter().any(|d| d.eq_ignore_ascii_case(cn)) {
        return Err(format!(
            "its SAN ({}) does not hold the CN {cn}",
            san.dns.join(", ")
        ));
    }
    let Some(fqdn) = san.dns.iter().find(|d| is_fqdn_of(d, cn).is_some()) else {
        return Err(format!(
            "its SAN ({}) holds no FQDN of {cn}",
            san.dns.join(", ")
        ));
    };
    let foreign: Vec<&str> = san
        .dns
        .iter()
        .filter(|d| !d.eq_ignore_ascii_case(cn) && is_fqdn_of(d, cn).is_none())
        .map(String::as_str)
        .collect();
    if !foreign.is_empty() {
        return Err(format!(
            "its SAN also names {}, as an admin-made certificate would",
            foreign.join(", ")
        ));
    }
    Ok(fqdn)
}

fn ip_text(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return std::net::Ipv4Addr::from(v4).to_string();
    }
    <[u8; 16]>::try_from(bytes).map_or_else(
        |_| "(malformed)".into(),
        |v6| std::net::Ipv6Addr::from(v6).to_string(),
    )
}

fn display_or_empty(s: &str) -> String {
    if s.is_empty() {
        "(empty)".into()
    } else {
        s.to_string()
    }
}

/// `Some(false)` when `dns` is `<cn>.<domain>`, `Some(true)` when its first
/// label is longer than a NetBIOS name and starts with `cn` (the name
/// Windows cut), `None` otherwise.
fn is_fqdn_of(dns: &str, cn: &str) -> Option<bool> {
    let (first, rest) = dns.split_once('.')?;
    if rest.is_empty() || first.is_empty() {
        return None;
    }
    if first.eq_ignore_ascii_case(cn) {
        return Some(false);
    }
    let cut: String = first.chars().take(NETBIOS_MAX).collect();
    (first.chars().count() > NETBIOS_MAX
        && cn.chars().count() == NETBIOS_MAX
        && cut.eq_ignore_ascii_case(cn))
    .then_some(true)
}

/// The NetBIOS name Windows gives a host: its first label, cut to 15
/// characters.
pub fn netbios_name(host: &str) -> String {
    host.split('.')
        .next()
        .unwrap_or(host)
        .chars()
        .take(NETBIOS_MAX)
        .collect()
}

/// Whether an Exchange self-signed certificate is `host`'s own. The SAN's
/// FQDN decides when there is one (its first label is the host's: the DNS
/// suffix may differ from the name scanned), since two long host names can
/// cut to the same 15 characters; otherwise the CN must be the host's
/// NetBIOS name. Unknown (an IP literal) counts as its own: nothing says
/// otherwise.
pub fn is_own_cert(leaf: &CertFacts, host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.parse::<std::net::IpAddr>().is_ok() || host.is_empty() {
        return true;
    }
    let label = host.split('.').next().unwrap_or(host);
    let fqdn_labels: Vec<&str> = leaf
        .sans
        .iter()
        .filter_map(|s| s.split_once('.').map(|(first, _)| first))
        .collect();
    if !fqdn_labels.is_empty() {
        return fqdn_labels.iter().any(|l| l.eq_ignore_ascii_case(label));
    }
    leaf.subject_cn
        .as_deref()
        .is_some_and(|cn| cn.eq_ignore_ascii_case(&netbios_name(host)))
}

/// Setup's layout is KeyUsage (critical), SAN, EKU, BasicConstraints
/// (critical) and nothing else; anything else is a re-created or older cert.
fn layout_signal(cert: &X509Certificate<'_>) -> String {
    let exts: Vec<(String, bool)> = cert
        .extensions()
        .iter()
        .map(|e| (e.oid.to_id_string(), e.critical))
        .collect();
    let setup = [
        (OID_KEY_USAGE, true),
        (OID_SAN, false),
        (OID_EKU, false),
        (OID_BASIC_CONSTRAINTS, true),
    ];
    let is_setup = exts.len() == setup.len()
        && exts
            .iter()
            .zip(setup)
            .all(|((oid, crit), (want, want_crit))| oid == want && *crit == want_crit);
    if is_setup {
        return "setup's extension layout (KeyUsage, SAN, EKU, BasicConstraints; no SKI/AKI)"
            .into();
    }
    let names: Vec<&str> = exts.iter().map(|(oid, _)| extension_name(oid)).collect();
    let ski = exts.iter().any(|(o, _)| o == OID_SKI || o == OID_AKI);
    format!(
        "extensions {}{} (not setup's layout: re-created, renewed elsewhere or an older version)",
        names.join(", "),
        if ski { ", with SKI/AKI" } else { "" }
    )
}

fn extension_name(oid: &str) -> &str {
    match oid {
        OID_KEY_USAGE => "KeyUsage",
        OID_SAN => "SAN",
        OID_EKU => "EKU",
        OID_BASIC_CONSTRAINTS => "BasicConstraints",
        OID_SKI => "SKI",
        OID_AKI => "AKI",
        other => other,
    }
}

fn key_signal(key: &KeyInfo) -> String {
    match key.bits {
        2048 | 4096 => format!("RSA {}", key.bits),
        bits => format!("RSA {bits} (unusual: New-ExchangeCertificate makes 2048 or 4096)"),
    }
}

fn hash_name(sig_oid: &str) -> &'static str {
    match sig_oid {
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => "SHA-1",
        "1.2.840.113549.1.1.11" => "SHA-256",
        "1.2.840.113549.1.1.12" => "SHA-384",
        "1.2.840.113549.1.1.13" => "SHA-512",
        "1.2.840.113549.1.1.10" => "RSA-PSS",
        _ => "another",
    }
}

/// `WMSvc-<host>` or `WMSvc-SHA2-<host>`, with a non-empty host.
fn is_wmsvc_name(cn: &str) -> bool {
    let lower = cn.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("wmsvc-sha2-")
        .or_else(|| lower.strip_prefix("wmsvc-"));
    rest.is_some_and(|h| !h.is_empty())
}

/// The CN when the subject is exactly one RDN holding one CN attribute.
fn single_cn(cert: &X509Certificate<'_>) -> Option<String> {
    let mut rdns = cert.subject().iter();
    let rdn = rdns.next()?;
    if rdns.next().is_some() {
        return None;
    }
    let mut attrs = rdn.iter();
    let attr = attrs.next()?;
    if attrs.next().is_some() || attr.attr_type().to_id_string() != OID_CN {
        return None;
    }
    attr.as_str().ok().map(str::to_string)
}

fn has_extension(cert: &X509Certificate<'_>, oid: &str) -> bool {
    cert.extensions()
        .iter()
        .any(|e| e.oid.to_id_string() == oid)
}

fn validity(cert: &X509Certificate<'_>) -> Option<(OffsetDateTime, OffsetDateTime)> {
    let nb = OffsetDateTime::from_unix_timestamp(cert.validity().not_before.timestamp()).ok()?;
    let na = OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp()).ok()?;
    Some((nb, na))
}

/// 5 calendar years (setup, renewals) or 1 year (Exchange 2007).
fn lifetime_years(cert: &X509Certificate<'_>) -> Option<i32> {
    let (nb, na) = validity(cert)?;
    [5, 1].into_iter().find(|years| {
        add_years(nb, *years).is_some_and(|expected| (na - expected).abs() <= Duration::days(1))
    })
}

fn lifetime_days(cert: &X509Certificate<'_>) -> i64 {
    validity(cert).map_or(0, |(nb, na)| (na - nb).whole_days())
}

/// `t` plus calendar years; 29 February becomes 28 February.
fn add_years(t: OffsetDateTime, years: i32) -> Option<OffsetDateTime> {
    let year = t.year().checked_add(years)?;
    t.replace_year(year)
        .ok()
        .or_else(|| t.replace_day(28).ok()?.replace_year(year).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wmsvc_names() {
        assert!(is_wmsvc_name("WMSvc-EX01"));
        assert!(is_wmsvc_name("WMSvc-SHA2-EX01"));
        assert!(is_wmsvc_name("wmsvc-ex01"));
        assert!(!is_wmsvc_name("WMSvc-"));
        assert!(!is_wmsvc_name("EX01"));
    }

    #[test]
    fn leap_day_plus_five_years() {
        let t = time::macros::datetime!(2024-02-29 10:00 UTC);
        assert_eq!(
            add_years(t, 5),
            Some(time::macros::datetime!(2029-02-28 10:00 UTC))
        );
    }

    #[test]
    fn fqdn_of_a_netbios_name() {
        assert_eq!(is_fqdn_of("ex01.contoso.com", "EX01"), Some(false));
        assert_eq!(
            is_fqdn_of("exchange-mailbox01.contoso.com", "EXCHANGE-MAILBO"),
            Some(true)
        );
        assert_eq!(is_fqdn_of("exchange-mailbox01.contoso.com", "EXCH"), None);
        assert_eq!(is_fqdn_of("ex01", "EX01"), None);
        assert_eq!(is_fqdn_of("ex01.", "EX01"), None);
        assert_eq!(
            netbios_name("exchange-mailbox01.contoso.com"),
            "exchange-mailbo"
        );
    }
}
