//! Classification from the wire.
//!
//! The friendly name ("Microsoft Exchange") lives in the Windows store, not in
//! the certificate, so excert recognises Exchange's certificates by shape.
//! The shapes were decoded from real Exchange 2016/2019 servers:
//!
//! - `exchange_self_signed`: subject = issuer = the single RDN `CN=<short
//!   name>` (no dot); SAN exactly the short name and `short.<AD domain>`
//!   (either order, case-insensitive); RSA 2048; exactly four extensions in
//!   the order KeyUsage critical (digitalSignature, keyEncipherment), SAN,
//!   EKU serverAuth, BasicConstraints critical CA:FALSE (so no SKI/AKI); and
//!   a lifetime of 5 calendar years (1 year for Exchange 2007). The lifetime
//!   is compared to the day, with one day of slack for generators that round.
//! - `exchange_auth`: self-issued, single RDN `CN=Microsoft Exchange Server
//!   Auth Certificate`, no SAN. The name alone is distinctive, so the
//!   lifetime (1800 days from setup, other values after `Set-AuthConfig`
//!   renewals) is not required.
//! - `wmsvc`: self-issued `CN=WMSvc-<host>` or `CN=WMSvc-SHA2-<host>`, no SAN,
//!   no BasicConstraints.
//! - `self_signed`: any other self-issued cert.
//! - `ca_issued`: everything else.

use time::{Duration, OffsetDateTime};
use x509_parser::prelude::X509Certificate;

use crate::model::{Classification, KeyInfo};

const OID_KEY_USAGE: &str = "2.5.29.15";
const OID_SAN: &str = "2.5.29.17";
const OID_EKU: &str = "2.5.29.37";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const AUTH_CN: &str = "Microsoft Exchange Server Auth Certificate";

/// Classify a parsed certificate. `self_issued` is subject == issuer.
pub fn classify(cert: &X509Certificate<'_>, key: &KeyInfo, self_issued: bool) -> Classification {
    if !self_issued {
        return Classification::CaIssued;
    }
    let cn = single_cn(cert);
    let has_san = has_extension(cert, OID_SAN);
    if let Some(cn) = &cn {
        if cn.eq_ignore_ascii_case(AUTH_CN) && !has_san {
            return Classification::ExchangeAuth;
        }
        if is_wmsvc_name(cn) && !has_san && !has_extension(cert, OID_BASIC_CONSTRAINTS) {
            return Classification::Wmsvc;
        }
        if is_exchange_shape(cert, cn, key) {
            return Classification::ExchangeSelfSigned;
        }
    }
    Classification::SelfSigned
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
    if attrs.next().is_some() || attr.attr_type().to_id_string() != "2.5.4.3" {
        return None;
    }
    attr.as_str().ok().map(str::to_string)
}

fn has_extension(cert: &X509Certificate<'_>, oid: &str) -> bool {
    cert.extensions()
        .iter()
        .any(|e| e.oid.to_id_string() == oid)
}

fn is_exchange_shape(cert: &X509Certificate<'_>, cn: &str, key: &KeyInfo) -> bool {
    if cn.is_empty() || cn.contains('.') || key.algorithm != "RSA" || key.bits != 2048 {
        return false;
    }
    let order: Vec<String> = cert
        .extensions()
        .iter()
        .map(|e| e.oid.to_id_string())
        .collect();
    if order != [OID_KEY_USAGE, OID_SAN, OID_EKU, OID_BASIC_CONSTRAINTS] {
        return false;
    }
    let critical = |oid: &str| {
        cert.extensions()
            .iter()
            .any(|e| e.oid.to_id_string() == oid && e.critical)
    };
    if !critical(OID_KEY_USAGE) || !critical(OID_BASIC_CONSTRAINTS) {
        return false;
    }
    let ku_ok = matches!(cert.key_usage(), Ok(Some(ku))
        if ku.value.digital_signature() && ku.value.key_encipherment()
            && !ku.value.non_repudiation() && !ku.value.data_encipherment()
            && !ku.value.key_agreement() && !ku.value.key_cert_sign()
            && !ku.value.crl_sign());
    let eku_ok = matches!(cert.extended_key_usage(), Ok(Some(eku))
        if eku.value.server_auth && !eku.value.client_auth && !eku.value.any
            && !eku.value.code_signing && !eku.value.email_protection
            && !eku.value.time_stamping && !eku.value.ocsp_signing
            && eku.value.other.is_empty());
    let bc_ok = matches!(cert.basic_constraints(), Ok(Some(bc)) if !bc.value.ca);
    ku_ok && eku_ok && bc_ok && sans_are_short_and_fqdn(cert, cn) && lifetime_ok(cert)
}

/// SAN is exactly two DNS names: the short name and `short.<domain>`.
fn sans_are_short_and_fqdn(cert: &X509Certificate<'_>, cn: &str) -> bool {
    use x509_parser::prelude::GeneralName;
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return false;
    };
    let mut dns = Vec::new();
    for name in &san.value.general_names {
        match name {
            GeneralName::DNSName(d) => dns.push(d.to_ascii_lowercase()),
            _ => return false,
        }
    }
    let short = cn.to_ascii_lowercase();
    let fqdn_prefix = format!("{short}.");
    let is_fqdn = |d: &String| d.len() > fqdn_prefix.len() && d.starts_with(&fqdn_prefix);
    match dns.as_slice() {
        [a, b] => (*a == short && is_fqdn(b)) || (*b == short && is_fqdn(a)),
        _ => false,
    }
}

/// 5 calendar years (setup, renewals) or 1 year (Exchange 2007).
fn lifetime_ok(cert: &X509Certificate<'_>) -> bool {
    let (Ok(nb), Ok(na)) = (
        OffsetDateTime::from_unix_timestamp(cert.validity().not_before.timestamp()),
        OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp()),
    ) else {
        return false;
    };
    [5, 1].into_iter().any(|years| {
        add_years(nb, years).is_some_and(|expected| (na - expected).abs() <= Duration::days(1))
    })
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
}
