//! Certificate facts: what one DER certificate says, read with x509-parser.
//!
//! Every byte here came from the network, so nothing may panic: a DER blob
//! that does not parse still becomes a [`CertFacts`], classified
//! [`Classification::Unparsable`], with its thumbprints (which need no
//! parsing) and placeholder dates equal to the as-of time. The rules skip
//! such certs for date checks and raise [`FindingId::CertUnparsable`](crate::model::FindingId::CertUnparsable) instead, so a
//! garbled chain is never counted healthy.

use ring::digest;
use time::OffsetDateTime;
use x509_parser::asn1_rs::oid;
use x509_parser::oid_registry::{self as reg, Oid};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::classify;
use crate::model::{CertFacts, Classification, Der, HashAlgorithm, KeyAlgorithm, KeyInfo};

/// Read the facts of one certificate as of `as_of`.
pub fn facts(der: &[u8], as_of: OffsetDateTime) -> CertFacts {
    match X509Certificate::from_der(der) {
        Ok((_, cert)) => parsed_facts(&cert, der, as_of),
        Err(e) => unparsable(der, &e.to_string()),
    }
}

/// Whether `facts` could be read at all.
pub fn is_parsed(facts: &CertFacts) -> bool {
    facts.classification != Classification::Unparsable
}

fn unparsable(der: &[u8], why: &str) -> CertFacts {
    CertFacts {
        subject: format!("(unparsable certificate: {why})"),
        issuer: String::new(),
        subject_cn: None,
        sans: Vec::new(),
        serial: String::new(),
        not_before: None,
        not_after: None,
        sha1: sha1_hex(der),
        sha256: sha256_hex(der),
        key: KeyInfo {
            algorithm: KeyAlgorithm::Unknown,
            bits: 0,
            curve: None,
        },
        signature_algorithm: String::new(),
        signature_hash: None,
        self_issued: false,
        self_signed: false,
        basic_constraints_ca: None,
        key_usage: Vec::new(),
        extended_key_usage: Vec::new(),
        classification: Classification::Unparsable,
        classification_reason: format!("The certificate could not be parsed: {why}."),
        days_left: None,
        der_base64: Der(der.into()),
        friendly_name: None,
        services: None,
    }
}

fn parsed_facts(cert: &X509Certificate<'_>, der: &[u8], as_of: OffsetDateTime) -> CertFacts {
    let not_before = to_time(cert.validity().not_before.timestamp());
    let not_after = to_time(cert.validity().not_after.timestamp());
    let self_issued = is_self_issued(cert);
    let key = key_info(cert);
    let classified = classify::classify(cert, &key, self_issued);
    let (signature_algorithm, signature_hash) = signature(&cert.signature_algorithm.algorithm);
    CertFacts {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        subject_cn: common_name(cert),
        sans: sans(cert),
        serial: hex_upper(cert.raw_serial()),
        not_before: Some(not_before),
        not_after: Some(not_after),
        sha1: sha1_hex(der),
        sha256: sha256_hex(der),
        key,
        signature_algorithm,
        signature_hash,
        self_issued,
        self_signed: self_issued && signature_verifies(cert, cert),
        basic_constraints_ca: cert
            .basic_constraints()
            .ok()
            .flatten()
            .map(|bc| bc.value.ca),
        key_usage: key_usage(cert),
        extended_key_usage: extended_key_usage(cert),
        classification: classified.class,
        classification_reason: classified.reason,
        days_left: Some(days_between(as_of, not_after)),
        der_base64: Der(der.into()),
        friendly_name: None,
        services: None,
    }
}

/// Whole days from `from` to `to`, rounded toward minus infinity, so a cert
/// that expired an hour ago shows -1 and one that expires in 23 hours shows 0.
pub fn days_between(from: OffsetDateTime, to: OffsetDateTime) -> i64 {
    let secs = (to - from).whole_seconds();
    secs.div_euclid(86_400)
}

/// Dates outside what `time` can represent are clamped rather than refused:
/// a cert valid "until 9999" is simply far in the future.
fn to_time(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(if unix < 0 {
        OffsetDateTime::UNIX_EPOCH
    } else {
        time::macros::datetime!(9999-12-31 23:59:59 UTC)
    })
}

/// Subject equals issuer. Compared as DER first, then as text ignoring case,
/// because some generators re-encode the same name with another string type.
fn is_self_issued(cert: &X509Certificate<'_>) -> bool {
    cert.subject().as_raw() == cert.issuer().as_raw()
        || cert
            .subject()
            .to_string()
            .eq_ignore_ascii_case(&cert.issuer().to_string())
}

fn common_name(cert: &X509Certificate<'_>) -> Option<String> {
    cert.subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
}

/// DNS names and IP addresses from the SAN, in order.
fn sans(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some((*d).to_string()),
            GeneralName::IPAddress(ip) => ip_text(ip),
            _ => None,
        })
        .collect()
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(std::net::Ipv4Addr::from(v4).to_string());
    }
    <[u8; 16]>::try_from(bytes)
        .ok()
        .map(|v6| std::net::Ipv6Addr::from(v6).to_string())
}

fn key_info(cert: &X509Certificate<'_>) -> KeyInfo {
    let spki = cert.public_key();
    let key = |algorithm, bits, curve| KeyInfo {
        algorithm,
        bits,
        curve,
    };
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => key(KeyAlgorithm::Rsa, rsa_bits(rsa.modulus), None),
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            let (name, bits) = match curve.as_ref() {
                Some(oid) => curve_facts(oid),
                None => (None, 0),
            };
            key(KeyAlgorithm::Ec, bits, name)
        }
        Ok(PublicKey::DSA(y)) => key(KeyAlgorithm::Dsa, rsa_bits(y), None),
        _ if spki.algorithm.algorithm == reg::OID_SIG_ED25519 => {
            key(KeyAlgorithm::Ed25519, 256, None)
        }
        _ if spki.algorithm.algorithm == reg::OID_SIG_ED448 => key(KeyAlgorithm::Ed448, 456, None),
        _ => key(KeyAlgorithm::Unknown, 0, None),
    }
}

/// A named curve's usual name and size; the dotted OID and 0 when unknown.
fn curve_facts(curve: &Oid<'_>) -> (Option<String>, u32) {
    // The registry has the NIST curves; these three it lacks.
    const SECP256K1: Oid<'static> = oid!(1.3.132 .0 .10);
    const P192: Oid<'static> = oid!(1.2.840 .10045 .3 .1 .1);
    const P224: Oid<'static> = oid!(1.3.132 .0 .33);
    let known: [(&Oid<'_>, &str, u32); 6] = [
        (&reg::OID_EC_P256, "P-256", 256),
        (&reg::OID_NIST_EC_P384, "P-384", 384),
        (&reg::OID_NIST_EC_P521, "P-521", 521),
        (&SECP256K1, "secp256k1", 256),
        (&P192, "P-192", 192),
        (&P224, "P-224", 224),
    ];
    known
        .iter()
        .find(|(oid, _, _)| *oid == curve)
        .map_or((Some(curve.to_id_string()), 0), |(_, name, bits)| {
            (Some((*name).to_string()), *bits)
        })
}

/// The size of an RSA modulus in bits, from its big-endian bytes.
///
/// DER integers carry a leading zero byte when the top bit is set, and
/// x509-parser's `key_size()` miscounts some of those, so count it here:
/// skip leading zero bytes, then 8 bits per remaining byte minus the leading
/// zero bits of the first one.
pub fn rsa_bits(modulus: &[u8]) -> u32 {
    let significant: &[u8] = match modulus.iter().position(|b| *b != 0) {
        Some(i) => modulus.get(i..).unwrap_or(&[]),
        None => return 0,
    };
    let Some(first) = significant.first() else {
        return 0;
    };
    let len = u32::try_from(significant.len()).unwrap_or(u32::MAX / 8);
    len.saturating_mul(8).saturating_sub(first.leading_zeros())
}

/// The OpenSSL-style name of a signature algorithm (e.g.
/// `sha256WithRSAEncryption`; the dotted OID when unknown) and the hash it
/// signs over.
fn signature(alg: &Oid<'_>) -> (String, Option<HashAlgorithm>) {
    use HashAlgorithm::*;
    // The registry lacks ecdsa-with-SHA1.
    const ECDSA_WITH_SHA1: Oid<'static> = oid!(1.2.840 .10045 .4 .1);
    let known: [(&Oid<'_>, &str, Option<HashAlgorithm>); 16] = [
        (
            &reg::OID_PKCS1_MD2WITHRSAENC,
            "md2WithRSAEncryption",
            Some(Md2),
        ),
        (
            &reg::OID_PKCS1_MD5WITHRSAENC,
            "md5WithRSAEncryption",
            Some(Md5),
        ),
        (
            &reg::OID_PKCS1_SHA1WITHRSA,
            "sha1WithRSAEncryption",
            Some(Sha1),
        ),
        (&reg::OID_SHA1_WITH_RSA, "sha1WithRSAEncryption", Some(Sha1)),
        (&reg::OID_PKCS1_RSASSAPSS, "rsassaPss", None),
        (
            &reg::OID_PKCS1_SHA256WITHRSA,
            "sha256WithRSAEncryption",
            Some(Sha256),
        ),
        (
            &reg::OID_PKCS1_SHA384WITHRSA,
            "sha384WithRSAEncryption",
            Some(Sha384),
        ),
        (
            &reg::OID_PKCS1_SHA512WITHRSA,
            "sha512WithRSAEncryption",
            Some(Sha512),
        ),
        (
            &reg::OID_PKCS1_SHA224WITHRSA,
            "sha224WithRSAEncryption",
            Some(Sha224),
        ),
        (&ECDSA_WITH_SHA1, "ecdsa-with-SHA1", Some(Sha1)),
        (
            &reg::OID_SIG_ECDSA_WITH_SHA224,
            "ecdsa-with-SHA224",
            Some(Sha224),
        ),
        (
            &reg::OID_SIG_ECDSA_WITH_SHA256,
            "ecdsa-with-SHA256",
            Some(Sha256),
        ),
        (
            &reg::OID_SIG_ECDSA_WITH_SHA384,
            "ecdsa-with-SHA384",
            Some(Sha384),
        ),
        (
            &reg::OID_SIG_ECDSA_WITH_SHA512,
            "ecdsa-with-SHA512",
            Some(Sha512),
        ),
        (&reg::OID_SIG_DSA_WITH_SHA1, "dsa-with-sha1", Some(Sha1)),
        (&reg::OID_SIG_ED25519, "Ed25519", None),
    ];
    if *alg == reg::OID_SIG_ED448 {
        return ("Ed448".into(), None);
    }
    known
        .iter()
        .find(|(oid, _, _)| *oid == alg)
        .map_or((alg.to_id_string(), None), |(_, name, hash)| {
            ((*name).to_string(), *hash)
        })
}

/// Whether `issuer`'s key verifies `cert`'s signature.
///
/// ring's legacy 1024-bit RSA verifiers are used on purpose: a self-signed
/// 1024-bit cert is still self-signed, and [`FindingId::WeakKey`](crate::model::FindingId::WeakKey) reports the size.
/// Algorithms ring does not have (PSS, odd curves) fall back to x509-parser.
pub fn signature_verifies(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    use ring::signature as sig;
    let oid = &cert.signature_algorithm.algorithm;
    let alg: &dyn sig::VerificationAlgorithm =
        if *oid == reg::OID_PKCS1_SHA1WITHRSA || *oid == reg::OID_SHA1_WITH_RSA {
            &sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY
        } else if *oid == reg::OID_PKCS1_SHA256WITHRSA {
            &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
        } else if *oid == reg::OID_PKCS1_SHA384WITHRSA {
            &sig::RSA_PKCS1_2048_8192_SHA384
        } else if *oid == reg::OID_PKCS1_SHA512WITHRSA {
            &sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
        } else {
            return cert.verify_signature(Some(issuer.public_key())).is_ok();
        };
    let key = sig::UnparsedPublicKey::new(alg, &issuer.public_key().subject_public_key.data);
    key.verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
        .is_ok()
}

fn key_usage(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(ku)) = cert.key_usage() else {
        return Vec::new();
    };
    let ku = ku.value;
    [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "nonRepudiation"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
        (ku.encipher_only(), "encipherOnly"),
        (ku.decipher_only(), "decipherOnly"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_string())
    .collect()
}

fn extended_key_usage(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(eku)) = cert.extended_key_usage() else {
        return Vec::new();
    };
    let e = eku.value;
    let mut out: Vec<String> = [
        (e.any, "anyExtendedKeyUsage"),
        (e.server_auth, "serverAuth"),
        (e.client_auth, "clientAuth"),
        (e.code_signing, "codeSigning"),
        (e.email_protection, "emailProtection"),
        (e.time_stamping, "timeStamping"),
        (e.ocsp_signing, "OCSPSigning"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_string())
    .collect();
    out.extend(e.other.iter().map(|o| o.to_id_string()));
    out
}

/// SHA-1 thumbprint in uppercase hex, as `Get-ExchangeCertificate` shows it.
pub fn sha1_hex(der: &[u8]) -> String {
    hex_upper(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref())
}

/// SHA-256 fingerprint in lowercase hex.
pub fn sha256_hex(der: &[u8]) -> String {
    hex_upper(digest::digest(&digest::SHA256, der).as_ref()).to_ascii_lowercase()
}

fn hex_upper(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_bits_ignores_leading_zero_bytes() {
        // A 2048-bit modulus as DER encodes it: a 0x00 pad, then 256 bytes
        // whose top bit is set.
        let mut m = vec![0u8];
        m.push(0xC1);
        m.extend(std::iter::repeat_n(0xAB, 255));
        assert_eq!(rsa_bits(&m), 2048);
        // A modulus whose top byte is small: 2047 bits would be reported
        // as 2048 by a byte count.
        let mut short = vec![0x7F];
        short.extend(std::iter::repeat_n(0xFF, 255));
        assert_eq!(rsa_bits(&short), 2047);
        assert_eq!(rsa_bits(&[0, 0]), 0);
        assert_eq!(rsa_bits(&[]), 0);
    }

    #[test]
    fn garbage_der_is_unparsable_not_a_panic() {
        let as_of = time::macros::datetime!(2024-01-01 0:00 UTC);
        for bytes in [
            &b""[..],
            b"\x30\x82\xff\xff",
            b"hello world",
            &[0x30, 0x03, 0x02, 0x01],
        ] {
            let f = facts(bytes, as_of);
            assert_eq!(f.classification, Classification::Unparsable);
            assert_eq!(f.sha1.len(), 40);
        }
    }

    #[test]
    fn days_round_down() {
        let t = time::macros::datetime!(2024-01-01 0:00 UTC);
        assert_eq!(days_between(t, t + time::Duration::hours(23)), 0);
        assert_eq!(days_between(t, t - time::Duration::hours(1)), -1);
        assert_eq!(days_between(t, t + time::Duration::days(30)), 30);
    }
}
