//! Key and signature facts as types, written in scan.json as before
//! (`"RSA"`, `"EC"`, ...).

use serde::{Deserialize, Serialize};

/// The algorithm of a certificate's public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyAlgorithm {
    /// RSA.
    #[serde(rename = "RSA")]
    Rsa,
    /// Elliptic curve (ECDSA) on a named curve.
    #[serde(rename = "EC")]
    Ec,
    /// DSA.
    #[serde(rename = "DSA")]
    Dsa,
    /// Ed25519.
    Ed25519,
    /// Ed448.
    Ed448,
    /// Anything else, or a key that could not be read.
    #[serde(rename = "unknown", other)]
    Unknown,
}

impl KeyAlgorithm {
    /// The name scan.json and the reports use.
    pub fn name(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa => "RSA",
            KeyAlgorithm::Ec => "EC",
            KeyAlgorithm::Dsa => "DSA",
            KeyAlgorithm::Ed25519 => "Ed25519",
            KeyAlgorithm::Ed448 => "Ed448",
            KeyAlgorithm::Unknown => "unknown",
        }
    }

    /// The smallest key size current clients accept, where size matters:
    /// RSA and DSA 2048 bits, EC 256.
    pub fn min_bits(self) -> Option<u32> {
        match self {
            KeyAlgorithm::Rsa | KeyAlgorithm::Dsa => Some(2048),
            KeyAlgorithm::Ec => Some(256),
            KeyAlgorithm::Ed25519 | KeyAlgorithm::Ed448 | KeyAlgorithm::Unknown => None,
        }
    }
}

impl std::fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The hash a certificate signature is made over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlgorithm {
    /// MD2: broken.
    Md2,
    /// MD5: broken.
    Md5,
    /// SHA-1: broken for signatures; current clients reject it.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// Whether signatures over this hash can be forged (SHA-1, MD5, MD2).
    pub fn is_broken(self) -> bool {
        matches!(
            self,
            HashAlgorithm::Md2 | HashAlgorithm::Md5 | HashAlgorithm::Sha1
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_agree_with_serde() {
        for k in [
            KeyAlgorithm::Rsa,
            KeyAlgorithm::Ec,
            KeyAlgorithm::Dsa,
            KeyAlgorithm::Ed25519,
            KeyAlgorithm::Ed448,
            KeyAlgorithm::Unknown,
        ] {
            assert_eq!(
                serde_json::to_string(&k).ok(),
                Some(format!("\"{}\"", k.name()))
            );
        }
        // Names a newer excert might write still read.
        assert_eq!(
            serde_json::from_str::<KeyAlgorithm>("\"ML-DSA\"").ok(),
            Some(KeyAlgorithm::Unknown)
        );
    }
}
