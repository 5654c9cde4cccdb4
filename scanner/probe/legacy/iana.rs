//! Names people read for protocol numbers: versions, IANA suite names and
//! alerts. Used for both the rustls and the legacy path.

use tls_parser::TlsAlertDescription;

/// The name of a protocol version as it appears on the wire, e.g. `TLSv1.2`
/// for 0x0303. Unknown numbers come back as hex, e.g. `0x7F17`.
pub fn version_name(version: u16) -> String {
    crate::model::TlsVersion::from_wire(version).name()
}

/// The IANA name of a cipher suite, e.g. `TLS_RSA_WITH_AES_256_CBC_SHA` for
/// 0x0035, from tls-parser's copy of the IANA registry. Unknown numbers come
/// back as hex, e.g. `0x1234`.
pub fn suite_name(suite: u16) -> String {
    crate::model::CipherSuite(suite).name()
}

/// The IANA name of an alert, e.g. `handshake_failure` for 40. Unknown
/// numbers come back as `alert_<n>`.
pub fn alert_name(description: u8) -> String {
    // tls-parser names alerts in CamelCase (`HandshakeFailure`) and prints
    // unknown ones as `TlsAlertDescription(..)`; the registry spells them in
    // snake_case, which is what people search for.
    let camel = TlsAlertDescription(description).to_string();
    if camel.is_empty() || !camel.chars().all(|c| c.is_ascii_alphanumeric()) {
        return format!("alert_{description}");
    }
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_like_openssl() {
        assert_eq!(version_name(0x0301), "TLSv1.0");
        assert_eq!(version_name(0x0302), "TLSv1.1");
        assert_eq!(version_name(0x0303), "TLSv1.2");
        assert_eq!(version_name(0x0304), "TLSv1.3");
        assert_eq!(version_name(0x0300), "SSLv3");
        assert_eq!(version_name(0x7f17), "0x7F17");
    }

    #[test]
    fn suites_use_iana_names() {
        assert_eq!(suite_name(0x0035), "TLS_RSA_WITH_AES_256_CBC_SHA");
        assert_eq!(suite_name(0xc030), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
        assert_eq!(suite_name(0x1302), "TLS_AES_256_GCM_SHA384");
        assert_eq!(suite_name(0x000a), "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
        assert_eq!(suite_name(0xeeee), "0xEEEE");
    }

    #[test]
    fn alerts_use_iana_names() {
        assert_eq!(alert_name(40), "handshake_failure");
        assert_eq!(alert_name(70), "protocol_version");
        assert_eq!(alert_name(112), "unrecognized_name");
        assert_eq!(alert_name(0), "close_notify");
        assert_eq!(alert_name(200), "alert_200");
    }
}
