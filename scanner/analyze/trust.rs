//! Trust roots and chain validation.
//!
//! Chains are validated with rustls-webpki (the verifier rustls uses), as of
//! the analysis time, against three sources of roots: webpki-roots (the
//! Mozilla set), the OS store, and every `--ca-bundle` (an AD CS root, say).
//! Only the chain is checked here; whether the leaf covers the client
//! namespaces is a separate check ([`super::hostnames`]), so that one failure
//! never hides the other.

use std::collections::HashSet;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::Error;
use crate::input::ca_bundle::CaSources;
use crate::model::{Der, Trust};

pub(crate) mod error;
mod large;
mod words;

pub use error::BundleError;

/// The roots chains are validated against: webpki-roots, the OS store and
/// every `--ca-bundle`.
#[derive(Debug, Default)]
pub struct TrustRoots {
    anchors: Vec<TrustAnchor<'static>>,
    /// Anchor subjects (Name contents, as webpki stores them), to tell
    /// "issuer is a known root" without building a path.
    subjects: HashSet<Vec<u8>>,
    /// (subject, SPKI) of each anchor, to recognise a presented cert that
    /// *is* an anchor (excluded from the weak signature check).
    identities: HashSet<(Vec<u8>, Vec<u8>)>,
}

impl TrustRoots {
    /// webpki-roots (the Mozilla set), the OS store and every
    /// `--ca-bundle`, from bytes already read. A bundle that holds no
    /// certificate, or one that is not a usable root, is an error naming
    /// the file; an OS store certificate webpki cannot use is skipped, since
    /// the OS store is not ours to validate.
    pub fn from_sources(sources: &CaSources) -> Result<Self, Error> {
        let mut roots = TrustRoots::empty();
        for anchor in webpki_roots::TLS_SERVER_ROOTS {
            roots.add_anchor(anchor.clone());
        }
        for der in &sources.os_store {
            let _ = roots.add_der(der);
        }
        for (path, bytes) in &sources.bundles {
            roots.add_pem(bytes).map_err(|error| Error::BadCaBundle {
                path: path.clone(),
                error,
            })?;
        }
        Ok(roots)
    }

    /// No roots at all: every chain is untrusted. For tests and for callers
    /// that want only their own roots.
    pub fn empty() -> Self {
        TrustRoots::default()
    }

    /// Roots from DER certificates only (no webpki-roots, no OS store), so
    /// tests do not depend on the machine they run on.
    pub fn from_der<'a>(certs: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, BundleError> {
        let mut roots = TrustRoots::empty();
        for (i, der) in certs.into_iter().enumerate() {
            roots
                .add_der(der)
                .map_err(|reason| BundleError::NotUsableRoot {
                    index: i + 1,
                    reason,
                })?;
        }
        Ok(roots)
    }

    /// How many anchors are loaded.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether no anchors are loaded.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Every certificate of a PEM bundle; at least one.
    fn add_pem(&mut self, bytes: &[u8]) -> Result<(), BundleError> {
        let mut count = 0usize;
        for item in CertificateDer::pem_slice_iter(bytes) {
            let der = item.map_err(BundleError::BadPem)?;
            self.add_der(der.as_ref())
                .map_err(|reason| BundleError::NotUsableRoot {
                    index: count + 1,
                    reason,
                })?;
            count += 1;
        }
        if count == 0 {
            return Err(BundleError::NoCertificate);
        }
        Ok(())
    }

    fn add_der(&mut self, der: &[u8]) -> Result<(), webpki::Error> {
        let cert = CertificateDer::from(der);
        let anchor = webpki::anchor_from_trusted_cert(&cert)?;
        self.add_anchor(anchor.to_owned());
        Ok(())
    }

    fn add_anchor(&mut self, anchor: TrustAnchor<'static>) {
        self.subjects.insert(anchor.subject.as_ref().to_vec());
        self.identities.insert((
            anchor.subject.as_ref().to_vec(),
            anchor.subject_public_key_info.as_ref().to_vec(),
        ));
        self.anchors.push(anchor);
    }

    /// Whether a name (full DER, as x509-parser's `as_raw` gives it) is the
    /// subject of a trust anchor.
    pub(crate) fn knows_subject(&self, name_der: &[u8]) -> bool {
        der_contents(name_der).is_some_and(|c| self.subjects.contains(c))
    }

    /// Whether the certificate is itself a trust anchor (same subject and key).
    pub(crate) fn is_anchor(&self, cert: &X509Certificate<'_>) -> bool {
        match (
            der_contents(cert.subject().as_raw()),
            der_contents(cert.public_key().raw),
        ) {
            (Some(s), Some(k)) => self.identities.contains(&(s.to_vec(), k.to_vec())),
            _ => false,
        }
    }
}

/// The contents of a DER TLV (what follows tag and length), which is how
/// webpki stores anchor subjects and keys.
fn der_contents(tlv: &[u8]) -> Option<&[u8]> {
    let len_byte = *tlv.get(1)?;
    let header = if len_byte < 0x80 {
        2
    } else {
        2 + usize::from(len_byte & 0x7f)
    };
    tlv.get(header..)
}

/// The outcome of validating one presented chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    /// What scan.json records: trusted as of the analysis time, and why not.
    pub trust: Trust,
    /// Why the chain fails for a reason other than dates, if it does. When
    /// the first failure was expiry, the chain is checked again at a time
    /// inside the leaf's validity, so an expired cert from an unknown CA is
    /// still reported as untrusted.
    pub non_date_error: Option<Arc<str>>,
    /// Whether the leaf's issuer is in the presented chain or is a trust
    /// anchor. False means an intermediate is missing (or an unknown CA).
    pub issuer_known: bool,
}

/// Validate `chain` (leaf first) for TLS server use at `as_of`.
pub fn check_chain(chain: &[Der], roots: &TrustRoots, as_of: OffsetDateTime) -> ChainCheck {
    let Some(leaf) = chain.first() else {
        return ChainCheck {
            trust: Trust {
                trusted: false,
                error: Some("no certificate presented".into()),
            },
            non_date_error: Some("no certificate presented".into()),
            issuer_known: false,
        };
    };
    let issuer_known = issuer_known(chain, roots);
    if let Some(size) = large::oversized(chain) {
        return check_large(chain, roots, as_of, size, issuer_known);
    }
    let first = verify_at(chain, roots, as_of);
    let non_date_error = match &first {
        Ok(()) => None,
        Err(e) if is_date_error(e) => match validity_midpoint(&leaf.0) {
            Some(t) => verify_at(chain, roots, t)
                .err()
                .filter(|e| !is_date_error(e))
                .map(|e| words::describe(&e).into()),
            None => None,
        },
        Err(e) => Some(words::describe(e).into()),
    };
    ChainCheck {
        trust: Trust {
            trusted: first.is_ok(),
            error: first.err().map(|e| words::describe(&e).into()),
        },
        non_date_error,
        issuer_known,
    }
}

/// How `trust.error` starts when the chain could be checked neither by
/// webpki nor by [`large`]: no verdict, so no finding.
const NOT_CHECKED: &str = "trust not checked";

/// Whether `trust` is no verdict at all (see `NOT_CHECKED`), which the
/// reports must not call untrusted.
pub fn not_checked(trust: &Trust) -> bool {
    !trust.trusted
        && trust
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with(NOT_CHECKED))
}

/// [`check_chain`] for a chain with a certificate over webpki's 64 KB
/// limit (`size` bytes), checked by [`large`] instead. If that check cannot
/// tell, trust is "not checked", which is no finding: never "untrusted".
fn check_large(
    chain: &[Der],
    roots: &TrustRoots,
    as_of: OffsetDateTime,
    size: usize,
    issuer_known: bool,
) -> ChainCheck {
    use large::Problem;
    let first = large::verify_at(chain, roots, as_of);
    let non_date_error = match &first {
        Ok(()) | Err(Problem::Unchecked) => None,
        Err(Problem::Date(_)) => chain
            .first()
            .and_then(|leaf| validity_midpoint(&leaf.0))
            .and_then(|t| match large::verify_at(chain, roots, t) {
                Err(Problem::Other(why)) => Some(why.into()),
                _ => None,
            }),
        Err(Problem::Other(why)) => Some(Arc::from(*why)),
    };
    let error = match first {
        Ok(()) => None,
        Err(Problem::Unchecked) => Some(
            format!(
                "{NOT_CHECKED}: certificate of {} KB is over the verifier's 64 KB limit",
                size.div_ceil(1024)
            )
            .into(),
        ),
        Err(Problem::Date(why) | Problem::Other(why)) => Some(why.into()),
    };
    ChainCheck {
        trust: Trust {
            trusted: error.is_none(),
            error,
        },
        non_date_error,
        issuer_known,
    }
}

fn verify_at(chain: &[Der], roots: &TrustRoots, at: OffsetDateTime) -> Result<(), webpki::Error> {
    let leaf_der = match chain.first() {
        Some(d) => CertificateDer::from(&d.0[..]),
        None => return Err(webpki::Error::BadDer),
    };
    let intermediates: Vec<CertificateDer<'_>> = chain
        .iter()
        .skip(1)
        .map(|d| CertificateDer::from(&d.0[..]))
        .collect();
    let leaf = webpki::EndEntityCert::try_from(&leaf_der)?;
    let secs = u64::try_from(at.unix_timestamp()).unwrap_or(0);
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
    leaf.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &roots.anchors,
        &intermediates,
        time,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .map(|_| ())
}

fn is_date_error(e: &webpki::Error) -> bool {
    matches!(
        e,
        webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. }
    )
}

fn validity_midpoint(der: &[u8]) -> Option<OffsetDateTime> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let nb = cert.validity().not_before.timestamp();
    let na = cert.validity().not_after.timestamp();
    OffsetDateTime::from_unix_timestamp(nb + (na - nb) / 2).ok()
}

/// The leaf's issuer is presented, or is a known root. A self-issued leaf
/// counts as known: nothing is missing, it is simply self-signed.
fn issuer_known(chain: &[Der], roots: &TrustRoots) -> bool {
    let Some(Ok((_, leaf))) = chain.first().map(|d| X509Certificate::from_der(&d.0)) else {
        return false;
    };
    let issuer = leaf.issuer().as_raw();
    if issuer == leaf.subject().as_raw() || roots.knows_subject(issuer) {
        return true;
    }
    chain
        .iter()
        .skip(1)
        .any(|d| X509Certificate::from_der(&d.0).is_ok_and(|(_, c)| c.subject().as_raw() == issuer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_contents_skips_short_and_long_headers() {
        assert_eq!(der_contents(&[0x30, 0x02, 1, 2]), Some(&[1u8, 2][..]));
        assert_eq!(der_contents(&[0x30, 0x81, 0x01, 9]), Some(&[9u8][..]));
        assert_eq!(der_contents(&[0x30]), None);
    }

    #[test]
    fn only_the_no_verdict_error_is_not_checked() {
        let trust = |error: &str| Trust {
            trusted: false,
            error: Some(error.into()),
        };
        assert!(not_checked(&trust(
            "trust not checked: certificate of 200 KB is over the verifier's 64 KB limit"
        )));
        assert!(!not_checked(&trust(
            "unknown issuer: no path to a trusted root"
        )));
    }

    #[test]
    fn empty_chain_is_untrusted() {
        let c = check_chain(&[], &TrustRoots::empty(), OffsetDateTime::UNIX_EPOCH);
        assert!(!c.trust.trusted);
        assert!(!c.issuer_known);
    }
}
