//! rustls-webpki's errors in words an admin reads: no library error name
//! (`TrailingData(SignedData)`, `BadDer`) ever reaches a report.

/// One sentence fragment for `e`, e.g. `certificate expired`.
pub(super) fn describe(e: &webpki::Error) -> String {
    use webpki::Error as E;
    let words = match e {
        E::UnknownIssuer => "unknown issuer: no path to a trusted root",
        E::CaUsedAsEndEntity => "a CA certificate is used as the server certificate",
        E::EndEntityUsedAsCa => "a server certificate is used as an issuing CA",
        E::CertExpired { .. } => "certificate expired",
        E::CertNotValidYet { .. } => "certificate not valid yet",
        E::InvalidCertValidity => "the certificate's validity dates are reversed",
        E::InvalidSignatureForPublicKey => "a signature in the chain does not verify",
        E::SignatureAlgorithmMismatch => {
            "a certificate's signature algorithm does not match the one it declares"
        }
        E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "unsupported signature algorithm or key (SHA-1, MD5 or an RSA key under 2048 bits)"
        }
        E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => {
            "not valid for server authentication (extended key usage)"
        }
        E::CertDistrusted => "a certificate in the chain is distrusted",
        E::CertRevoked => "a certificate in the chain is revoked",
        E::CertNotValidForName(_) => "the certificate does not cover the name",
        E::NameConstraintViolation | E::InvalidNetworkMaskConstraint => {
            "the certificate's names break its issuer's name constraints"
        }
        E::PathLenConstraintViolated => "the chain is longer than an issuer allows",
        E::MaximumPathDepthExceeded
        | E::MaximumPathBuildCallsExceeded
        | E::MaximumSignatureChecksExceeded
        | E::MaximumNameConstraintComparisonsExceeded => {
            "the chain is too long or tangled to build a path"
        }
        E::UnsupportedCertVersion => "the certificate is not an X.509 version 3 certificate",
        E::UnsupportedCriticalExtension => {
            "a certificate has a critical extension clients do not understand"
        }
        E::TrailingData(_) => "a certificate is too large (over 64 KB) or has bytes after its end",
        E::BadDer
        | E::BadDerTime
        | E::ExtensionValueInvalid
        | E::MalformedExtensions
        | E::MalformedDnsIdentifier
        | E::MalformedNameConstraint
        | E::InvalidSerialNumber
        | E::UnsupportedNameType => "the certificate is not valid DER",
        // Revocation lists are never checked, so those errors cannot
        // happen here; the enum also grows (and keeps deprecated unit
        // variants of the ones above), so anything else gets a plain
        // sentence.
        _ => "the chain does not validate",
    };
    words.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_error_is_shown_by_its_rust_name() {
        for e in [
            webpki::Error::TrailingData(webpki::DerTypeId::SignedData),
            webpki::Error::BadDer,
            webpki::Error::UnknownIssuer,
            webpki::Error::CertRevoked,
        ] {
            let words = describe(&e);
            let name = format!("{e:?}");
            let variant = name.split('(').next().unwrap_or_default();
            assert!(!words.contains(variant), "{words}");
            assert!(
                words.starts_with(|c: char| c.is_ascii_lowercase()),
                "{words}"
            );
        }
    }
}
