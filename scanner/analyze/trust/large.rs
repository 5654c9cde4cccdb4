//! Chains rustls-webpki cannot read. Its DER reader stops at two-byte
//! lengths, so it refuses any certificate over 64 KB, and a leaf with
//! thousands of names is bigger (the badssl.com 10,000-name leaf is about
//! 200 KB). Such a chain is checked here with x509-parser instead: a path
//! of verified signatures from the leaf to a trust anchor through the
//! presented certificates, each inside its validity, every issuer a CA, a
//! leaf usable for server authentication, and only signature algorithms
//! webpki also accepts. Names are checked elsewhere, as for every chain.

use time::OffsetDateTime;
use x509_parser::oid_registry::{
    Oid, OID_PKCS1_RSASSAPSS, OID_PKCS1_SHA256WITHRSA, OID_PKCS1_SHA384WITHRSA,
    OID_PKCS1_SHA512WITHRSA, OID_SIG_ECDSA_WITH_SHA256, OID_SIG_ECDSA_WITH_SHA384, OID_SIG_ED25519,
};
use x509_parser::prelude::{ASN1Time, FromDer, X509Certificate};
use x509_parser::x509::SubjectPublicKeyInfo;

use super::{der_contents, TrustRoots};
use crate::model::Der;

/// The largest DER value webpki reads: a two-byte length.
const WEBPKI_MAX_LEN: usize = 0xFFFF;

/// How many issuers a path may climb, as webpki allows about as many.
const MAX_DEPTH: usize = 6;

/// The size of the largest certificate of `chain`, if one is over what
/// webpki reads.
pub(super) fn oversized(chain: &[Der]) -> Option<usize> {
    chain
        .iter()
        .map(|d| d.0.len())
        .max()
        .filter(|&n| n > WEBPKI_MAX_LEN)
}

/// Why a large chain does not validate, in the words webpki's errors get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Problem {
    /// A certificate is outside its validity (at the time asked).
    Date(&'static str),
    /// Any other reason, in words.
    Other(&'static str),
    /// This check cannot tell (an algorithm x509-parser cannot verify).
    Unchecked,
}

/// Validate `chain` (leaf first) for TLS server use at `at`.
pub(super) fn verify_at(
    chain: &[Der],
    roots: &TrustRoots,
    at: OffsetDateTime,
) -> Result<(), Problem> {
    let certs: Vec<X509Certificate<'_>> = chain
        .iter()
        .map(|d| X509Certificate::from_der(&d.0).map(|(_, c)| c))
        .collect::<Result<_, _>>()
        .map_err(|_| Problem::Other("the certificate is not valid DER"))?;
    let time = ASN1Time::from_timestamp(at.unix_timestamp())
        .map_err(|_| Problem::Other("the analysis time is out of range"))?;
    let leaf = certs
        .first()
        .ok_or(Problem::Other("no certificate presented"))?;
    if leaf.is_ca() {
        return Err(Problem::Other(
            "a CA certificate is used as the server certificate",
        ));
    }
    if let Ok(Some(eku)) = leaf.extended_key_usage() {
        if !(eku.value.server_auth || eku.value.any) {
            return Err(Problem::Other(
                "not valid for server authentication (extended key usage)",
            ));
        }
    }
    let mut current = leaf;
    for _ in 0..MAX_DEPTH {
        in_date(current, time)?;
        accepted_algorithm(current)?;
        if signed_by_anchor(current, roots)? {
            return Ok(());
        }
        let issuer = certs
            .iter()
            .skip(1)
            .filter(|c| c.subject().as_raw() == current.issuer().as_raw())
            .find(|c| c.is_ca() && verify(current, c.public_key()).is_ok());
        current = issuer.ok_or(Problem::Other("unknown issuer: no path to a trusted root"))?;
    }
    Err(Problem::Other("the chain is too long to build a path"))
}

fn in_date(cert: &X509Certificate<'_>, time: ASN1Time) -> Result<(), Problem> {
    let validity = cert.validity();
    if time < validity.not_before {
        return Err(Problem::Date("certificate not valid yet"));
    }
    if time > validity.not_after {
        return Err(Problem::Date("certificate expired"));
    }
    Ok(())
}

/// webpki refuses SHA-1 and MD5 signatures; so does this check.
fn accepted_algorithm(cert: &X509Certificate<'_>) -> Result<(), Problem> {
    let accepted: [Oid<'static>; 7] = [
        OID_PKCS1_SHA256WITHRSA,
        OID_PKCS1_SHA384WITHRSA,
        OID_PKCS1_SHA512WITHRSA,
        OID_PKCS1_RSASSAPSS,
        OID_SIG_ECDSA_WITH_SHA256,
        OID_SIG_ECDSA_WITH_SHA384,
        OID_SIG_ED25519,
    ];
    if accepted.contains(&cert.signature_algorithm.algorithm) {
        Ok(())
    } else {
        Err(Problem::Other(
            "unsupported signature algorithm or key (SHA-1, MD5 or an RSA key under 2048 bits)",
        ))
    }
}

fn verify(cert: &X509Certificate<'_>, key: &SubjectPublicKeyInfo<'_>) -> Result<(), Problem> {
    use x509_parser::error::X509Error;
    match cert.verify_signature(Some(key)) {
        Ok(()) => Ok(()),
        Err(X509Error::SignatureUnsupportedAlgorithm) => Err(Problem::Unchecked),
        Err(_) => Err(Problem::Other("a signature in the chain does not verify")),
    }
}

/// Whether a trust anchor named as `cert`'s issuer signed it.
fn signed_by_anchor(cert: &X509Certificate<'_>, roots: &TrustRoots) -> Result<bool, Problem> {
    let Some(issuer) = der_contents(cert.issuer().as_raw()) else {
        return Ok(false);
    };
    let mut unchecked = false;
    for anchor in roots
        .anchors
        .iter()
        .filter(|a| a.subject.as_ref() == issuer)
    {
        let spki = sequence(anchor.subject_public_key_info.as_ref());
        let Ok((_, key)) = SubjectPublicKeyInfo::from_der(&spki) else {
            continue;
        };
        match verify(cert, &key) {
            Ok(()) => return Ok(true),
            Err(Problem::Unchecked) => unchecked = true,
            Err(_) => {}
        }
    }
    if unchecked {
        return Err(Problem::Unchecked);
    }
    Ok(false)
}

/// `contents` wrapped as a DER SEQUENCE: webpki keeps an anchor's key
/// without its outer tag and length.
fn sequence(contents: &[u8]) -> Vec<u8> {
    let len = contents.len();
    let mut out = vec![0x30];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(contents);
    out
}
