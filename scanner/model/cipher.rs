//! Cipher suites by IANA number, written by IANA name.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tls_parser::{TlsCipherKx, TlsCipherSuite};

/// A TLS cipher suite, by its IANA number. scan.json and the reports
/// write its IANA name (`TLS_RSA_WITH_AES_256_CBC_SHA`), or `0x1234` for a
/// number the registry does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CipherSuite(pub u16);

impl CipherSuite {
    /// The IANA name, from tls-parser's copy of the registry; hex for an
    /// unknown number.
    pub fn name(self) -> String {
        match TlsCipherSuite::from_id(self.0) {
            Some(s) => s.name.to_string(),
            None => format!("0x{:04X}", self.0),
        }
    }

    /// The suite [`Self::name`] writes, from its IANA name or hex.
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(s) = TlsCipherSuite::from_name(text) {
            return Some(CipherSuite(s.id.0));
        }
        let hex = text.strip_prefix("0x")?;
        if hex.len() != 4 {
            return None;
        }
        u16::from_str_radix(hex, 16).ok().map(CipherSuite)
    }

    /// Whether the suite uses RSA key exchange: the client encrypts the
    /// premaster secret to the server's key, so the server never signs.
    pub fn is_rsa_key_exchange(self) -> bool {
        TlsCipherSuite::from_id(self.0).is_some_and(|s| s.kx == TlsCipherKx::Rsa)
    }
}

impl std::fmt::Display for CipherSuite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for CipherSuite {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for CipherSuite {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CipherSuite::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown cipher suite {:?}: expected an IANA name or 0x followed by four hex digits",
                crate::text::excerpt(&text)
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_rsa_is_told_by_number() {
        for id in [0x0035, 0xc030, 0x1302, 0x1234] {
            let s = CipherSuite(id);
            assert_eq!(CipherSuite::parse(&s.name()), Some(s));
        }
        assert_eq!(CipherSuite(0x0035).name(), "TLS_RSA_WITH_AES_256_CBC_SHA");
        assert_eq!(CipherSuite(0x1234).name(), "0x1234");
        assert!(CipherSuite(0x0035).is_rsa_key_exchange());
        assert!(!CipherSuite(0xc030).is_rsa_key_exchange());
        assert!(!CipherSuite(0x1302).is_rsa_key_exchange());
        assert_eq!(CipherSuite::parse("TLS_FANCY"), None);
        assert_eq!(CipherSuite::parse("0x12"), None);
    }
}
