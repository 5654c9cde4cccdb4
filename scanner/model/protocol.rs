//! Protocol versions as a type: ordered oldest first, written in scan.json as
//! OpenSSL spells them (`TLSv1.2`), and read back from any spelling older
//! scan.json files or other tools use (`TLS 1.2`, `TLS1.2`, `tls1.3`,
//! `TLSv1`, `SSLv3`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A TLS or SSL protocol version. `Ord` is oldest first; a version excert
/// has no name for sorts after every known one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TlsVersion {
    /// SSL 2.0.
    Ssl2,
    /// SSL 3.0.
    Ssl3,
    /// TLS 1.0.
    Tls10,
    /// TLS 1.1.
    Tls11,
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
    /// A version number excert has no name for, as on the wire.
    Other(u16),
}

impl TlsVersion {
    /// The version a ServerHello carries on the wire (`0x0303` is TLS 1.2).
    pub fn from_wire(v: u16) -> TlsVersion {
        match v {
            0x0002 => TlsVersion::Ssl2,
            0x0300 => TlsVersion::Ssl3,
            0x0301 => TlsVersion::Tls10,
            0x0302 => TlsVersion::Tls11,
            0x0303 => TlsVersion::Tls12,
            0x0304 => TlsVersion::Tls13,
            other => TlsVersion::Other(other),
        }
    }

    /// Older than TLS 1.2: what Exchange hybrid and modern clients refuse.
    pub fn is_legacy(self) -> bool {
        self < TlsVersion::Tls12
    }

    /// Whether excert knows this version by name.
    pub fn is_known(self) -> bool {
        !matches!(self, TlsVersion::Other(_))
    }

    /// The name scan.json and the reports use, e.g. `TLSv1.2`; unknown
    /// versions as hex, e.g. `0x7F17`.
    pub fn name(self) -> String {
        match self {
            TlsVersion::Ssl2 => "SSLv2".into(),
            TlsVersion::Ssl3 => "SSLv3".into(),
            TlsVersion::Tls10 => "TLSv1.0".into(),
            TlsVersion::Tls11 => "TLSv1.1".into(),
            TlsVersion::Tls12 => "TLSv1.2".into(),
            TlsVersion::Tls13 => "TLSv1.3".into(),
            TlsVersion::Other(v) => format!("0x{v:04X}"),
        }
    }

    /// Read any spelling: `TLSv1.2`, `TLS 1.2`, `TLS1.2`, `tls1.3`, `TLSv1`,
    /// `SSLv3`, or hex such as `0x7F17`. `None` for anything else.
    pub fn parse(text: &str) -> Option<TlsVersion> {
        if let Some(hex) = text.strip_prefix("0x") {
            return u16::from_str_radix(hex, 16).ok().map(TlsVersion::from_wire);
        }
        let n: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | 'v' | 'V'))
            .collect::<String>()
            .to_ascii_uppercase();
        match n.as_str() {
            "SSL2" | "SSL2.0" => Some(TlsVersion::Ssl2),
            "SSL3" | "SSL3.0" => Some(TlsVersion::Ssl3),
            "TLS1" | "TLS1.0" => Some(TlsVersion::Tls10),
            "TLS1.1" => Some(TlsVersion::Tls11),
            "TLS1.2" => Some(TlsVersion::Tls12),
            "TLS1.3" => Some(TlsVersion::Tls13),
            _ => None,
        }
    }
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for TlsVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for TlsVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        TlsVersion::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown protocol version {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_reads_back() {
        for (text, v) in [
            ("TLSv1.2", TlsVersion::Tls12),
            ("TLS 1.2", TlsVersion::Tls12),
            ("tls1.3", TlsVersion::Tls13),
            ("TLSv1", TlsVersion::Tls10),
            ("TLSv1.0", TlsVersion::Tls10),
            ("SSLv3", TlsVersion::Ssl3),
            ("0x7F17", TlsVersion::Other(0x7F17)),
        ] {
            assert_eq!(TlsVersion::parse(text), Some(v), "{text}");
        }
        assert_eq!(TlsVersion::parse("QUIC"), None);
    }

    #[test]
    fn names_are_openssl_spellings_and_round_trip() {
        for wire in [0x0002, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x7f17] {
            let v = TlsVersion::from_wire(wire);
            let json = serde_json::to_string(&v).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", v.name()));
            assert_eq!(serde_json::from_str::<TlsVersion>(&json).ok(), Some(v));
        }
        assert_eq!(TlsVersion::from_wire(0x0301).name(), "TLSv1.0");
        assert_eq!(TlsVersion::from_wire(0x7f17).name(), "0x7F17");
        assert!(TlsVersion::Tls11.is_legacy() && !TlsVersion::Tls12.is_legacy());
        assert!(TlsVersion::Tls13 < TlsVersion::Other(0));
    }
}
