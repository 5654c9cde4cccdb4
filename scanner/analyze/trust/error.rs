//! Why a `--ca-bundle` file cannot be used. Kept in a file that imports
//! nothing from the crate, so `crate::error` can name it without a cycle.

use rustls_pki_types::pem;

/// Why a CA bundle (or a list of DER roots) gives no usable roots. The file
/// is named by [`crate::error::Error::BadCaBundle`].
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The PEM armour is broken (a missing END line, bad base64).
    #[error("bad PEM: {0:?}")]
    BadPem(pem::Error),
    /// A certificate webpki cannot use as a trust anchor.
    #[error("certificate {index} is not a usable root: {reason:?}")]
    NotUsableRoot {
        /// 1-based position in the file.
        index: usize,
        /// webpki's reason.
        reason: webpki::Error,
    },
    /// Not one `-----BEGIN CERTIFICATE-----` block.
    #[error("no PEM certificate (-----BEGIN CERTIFICATE-----) found")]
    NoCertificate,
}
