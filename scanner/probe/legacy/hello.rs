//! The ClientHello the legacy path sends: broad enough that any TLS 1.0-1.2
//! server, old Schannel included, picks something and sends its Certificate.

use std::io;
use std::net::IpAddr;

use ring::rand::{SecureRandom, SystemRandom};
use tls_parser::{
    Serialize, TlsCipherSuiteID, TlsClientHelloContents, TlsCompressionID, TlsMessage,
    TlsMessageHandshake, TlsPlaintext, TlsRecordHeader, TlsRecordType, TlsVersion,
};

use super::error::LegacyError;

/// The highest version a legacy hello offers. Every hello offers all
/// versions from TLS 1.0 up to this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LegacyVersion {
    /// TLS 1.0 only: what Windows Server 2008 R2 speaks by default.
    Tls10,
    /// TLS 1.0 and 1.1.
    Tls11,
    /// TLS 1.0 to 1.2: the hello that reads the chain.
    Tls12,
}

impl LegacyVersion {
    /// The version number on the wire, e.g. 0x0303 for TLS 1.2.
    pub fn wire(self) -> u16 {
        match self {
            LegacyVersion::Tls10 => 0x0301,
            LegacyVersion::Tls11 => 0x0302,
            LegacyVersion::Tls12 => 0x0303,
        }
    }

    /// The name as in scan.json, e.g. `TLSv1.0`.
    pub fn name(self) -> String {
        super::iana::version_name(self.wire())
    }
}

/// Suites in the order we prefer them, which is the order most servers use
/// when they honour the client's order. ECDHE first, then DHE, then plain
/// RSA key exchange (all that 2012 R2 may have left for RSA certs once
/// ECDHE-RSA-GCM is missing), then 3DES for the oldest stacks. None of them
/// is ever used to encrypt anything: we hang up after the Certificate.
const SUITES: &[u16] = &[
    0xc02c, // TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    0xc02b, // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    0xc030, // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
    0xc02f, // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    0xc024, // TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384
    0xc023, // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256
    0xc028, // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384
    0xc027, // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256
    0xc00a, // TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA
    0xc009, // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
    0xc014, // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
    0xc013, // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
    0x009f, // TLS_DHE_RSA_WITH_AES_256_GCM_SHA384
    0x009e, // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
    0x006b, // TLS_DHE_RSA_WITH_AES_256_CBC_SHA256
    0x0067, // TLS_DHE_RSA_WITH_AES_128_CBC_SHA256
    0x0039, // TLS_DHE_RSA_WITH_AES_256_CBC_SHA
    0x0033, // TLS_DHE_RSA_WITH_AES_128_CBC_SHA
    0x009d, // TLS_RSA_WITH_AES_256_GCM_SHA384
    0x009c, // TLS_RSA_WITH_AES_128_GCM_SHA256
    0x003d, // TLS_RSA_WITH_AES_256_CBC_SHA256
    0x003c, // TLS_RSA_WITH_AES_128_CBC_SHA256
    0x0035, // TLS_RSA_WITH_AES_256_CBC_SHA
    0x002f, // TLS_RSA_WITH_AES_128_CBC_SHA
    0xc012, // TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA
    0x0016, // TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA
    0x000a, // TLS_RSA_WITH_3DES_EDE_CBC_SHA
    // Signals secure renegotiation (RFC 5746) without an extension; some
    // old servers refuse hellos that carry neither. No TLS_FALLBACK_SCSV:
    // the version hellos must not look like a downgrade, or the server
    // would refuse them for that reason instead of for the version.
    0x00ff, // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
];

/// x25519, secp256r1, secp384r1, secp521r1. Schannel on 2008 R2 knows only
/// the NIST curves and skips the rest.
const GROUPS: &[u16] = &[29, 23, 24, 25];

/// Signature schemes, SHA-1 ones last: a server whose only cert is signed
/// with SHA-1 must still be willing to answer.
const SIGNATURE_SCHEMES: &[u16] = &[
    0x0403, // ecdsa_secp256r1_sha256
    0x0503, // ecdsa_secp384r1_sha384
    0x0603, // ecdsa_secp521r1_sha512
    0x0804, // rsa_pss_rsae_sha256
    0x0805, // rsa_pss_rsae_sha384
    0x0806, // rsa_pss_rsae_sha512
    0x0401, // rsa_pkcs1_sha256
    0x0501, // rsa_pkcs1_sha384
    0x0601, // rsa_pkcs1_sha512
    0x0201, // rsa_pkcs1_sha1
    0x0203, // ecdsa_sha1
];

const EXT_SERVER_NAME: u16 = 0;
const EXT_SUPPORTED_GROUPS: u16 = 10;
const EXT_EC_POINT_FORMATS: u16 = 11;
const EXT_SIGNATURE_ALGORITHMS: u16 = 13;

/// The name to send as SNI, or `None` when `sni` is absent or is not a DNS
/// name. RFC 6066 forbids IP literals in SNI, and some servers reset the
/// connection when they see one, so this is checked here as well as where
/// endpoints are built.
pub fn sni_name(sni: Option<&str>) -> Option<&str> {
    let name = sni?.trim().trim_end_matches('.');
    let unbracketed = name.trim_start_matches('[').trim_end_matches(']');
    if name.parse::<IpAddr>().is_ok() || unbracketed.parse::<IpAddr>().is_ok() {
        return None;
    }
    rustls_pki_types::DnsName::try_from(name).ok()?;
    Some(name)
}

/// Which cipher suites a hello offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Every suite in `SUITES`: any TLS 1.0-1.2 server finds one. The
    /// server may pick ECDHE, and then computes a key share and signs it
    /// before it sends anything.
    Broad,
    /// Only RSA key exchange (`NO_SIGN_SUITES`): the server answers with
    /// ServerHello, Certificate and ServerHelloDone, and neither signs nor
    /// computes a key share. Refused by servers without RSA key exchange.
    NoSign,
}

/// RSA key exchange suites, GCM first, then CBC and 3DES for the oldest
/// stacks. With these the server's flight needs no private-key operation;
/// the key exchange would only start with our ClientKeyExchange, which we
/// never send.
const NO_SIGN_SUITES: &[u16] = &[
    0x009d, // TLS_RSA_WITH_AES_256_GCM_SHA384
    0x009c, // TLS_RSA_WITH_AES_128_GCM_SHA256
    0x003d, // TLS_RSA_WITH_AES_256_CBC_SHA256
    0x003c, // TLS_RSA_WITH_AES_128_CBC_SHA256
    0x0035, // TLS_RSA_WITH_AES_256_CBC_SHA
    0x002f, // TLS_RSA_WITH_AES_128_CBC_SHA
    0x000a, // TLS_RSA_WITH_3DES_EDE_CBC_SHA
    0x00ff, // TLS_EMPTY_RENEGOTIATION_INFO_SCSV, as in SUITES
];

/// The TLS 1.3 suites, in rustls's order.
const TLS13_SUITES: &[u16] = &[
    0x1302, // TLS_AES_256_GCM_SHA384
    0x1301, // TLS_AES_128_GCM_SHA256
    0x1303, // TLS_CHACHA20_POLY1305_SHA256
];

const EXT_SUPPORTED_VERSIONS: u16 = 43;
const EXT_KEY_SHARE: u16 = 51;

/// A complete ClientHello record, ready to write: TLS 1.0 up to `max`, a
/// fresh random from ring, no session id, SNI only for DNS names.
pub fn client_hello(sni: Option<&str>, max: LegacyVersion) -> Result<Vec<u8>, LegacyError> {
    client_hello_offering(sni, max, Offer::Broad)
}

/// [`client_hello`] with the suites of `offer`.
pub fn client_hello_offering(
    sni: Option<&str>,
    max: LegacyVersion,
    offer: Offer,
) -> Result<Vec<u8>, LegacyError> {
    let suites = match offer {
        Offer::Broad => SUITES,
        Offer::NoSign => NO_SIGN_SUITES,
    };
    let extensions = extensions(sni_name(sni), max);
    record(max.wire(), suites.iter().copied(), &extensions)
}

/// The first hello of a probe, which no server needs its private key to
/// answer: TLS 1.0 to 1.3 with the TLS 1.3 suites and RSA key exchange,
/// and an empty key_share.
///
/// - A TLS 1.3 server has no key share to use, so it answers with a
///   HelloRetryRequest (RFC 8446 4.1.4) naming its version and suite,
///   before any key exchange or signature.
/// - A TLS 1.0-1.2 server that accepts RSA key exchange sends ServerHello,
///   Certificate and ServerHelloDone: the chain, in cleartext.
/// - Anything else (no RSA key exchange, or a stack that dislikes the
///   hello) refuses, and the probe goes on with a full handshake.
pub fn no_sign_hello(sni: Option<&str>) -> Result<Vec<u8>, LegacyError> {
    let mut extensions = extensions(sni_name(sni), LegacyVersion::Tls12);
    // TLS 1.3 down to 1.0, best first.
    push_extension(
        &mut extensions,
        EXT_SUPPORTED_VERSIONS,
        &[8, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01],
    );
    // No client shares at all: the server must ask for one.
    push_extension(&mut extensions, EXT_KEY_SHARE, &[0, 0]);
    let suites = TLS13_SUITES.iter().chain(NO_SIGN_SUITES).copied();
    // legacy_version stays TLS 1.2, as RFC 8446 4.1.2 asks.
    record(LegacyVersion::Tls12.wire(), suites, &extensions)
}

/// A ClientHello record with a fresh random from ring and no session id.
fn record(
    version: u16,
    suites: impl Iterator<Item = u16>,
    extensions: &[u8],
) -> Result<Vec<u8>, LegacyError> {
    let mut random = [0u8; 32];
    SystemRandom::new()
        .fill(&mut random)
        .map_err(|_| LegacyError::Io {
            kind: io::ErrorKind::Other,
            message: "the system random number generator failed".into(),
        })?;
    let hello = TlsClientHelloContents::new(
        version,
        &random,
        None,
        suites.map(TlsCipherSuiteID).collect(),
        vec![TlsCompressionID::Null],
        Some(extensions),
    );
    let record = TlsPlaintext {
        hdr: TlsRecordHeader {
            record_type: TlsRecordType::Handshake,
            // The record layer says TLS 1.0 whatever we offer inside: some
            // old stacks drop a first record with a newer version number.
            version: TlsVersion::Tls10,
            // The serializer computes the real length.
            len: 0,
        },
        msg: vec![TlsMessage::Handshake(TlsMessageHandshake::ClientHello(
            hello,
        ))],
    };
    record.serialize().map_err(|e| LegacyError::Io {
        kind: io::ErrorKind::Other,
        message: format!("could not build the ClientHello: {e:?}"),
    })
}

/// The extension block. tls-parser's serializer only knows SNI and
/// supported_groups, not ec_point_formats or signature_algorithms, so the
/// block is laid out here as plain type-length-value entries; the tests
/// parse it back with tls-parser.
fn extensions(sni: Option<&str>, max: LegacyVersion) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    if let Some(name) = sni {
        let name = name.as_bytes();
        let mut entry = Vec::with_capacity(name.len() + 5);
        // One entry of type host_name (0).
        push_u16(&mut entry, len16(name.len() + 3));
        entry.push(0);
        push_u16(&mut entry, len16(name.len()));
        entry.extend_from_slice(name);
        push_extension(&mut out, EXT_SERVER_NAME, &entry);
    }
    push_extension(&mut out, EXT_SUPPORTED_GROUPS, &u16_list(GROUPS));
    // One format: uncompressed.
    push_extension(&mut out, EXT_EC_POINT_FORMATS, &[1, 0]);
    // RFC 5246 7.4.1.4.1: signature_algorithms only means something in
    // TLS 1.2, and a client offering only older versions must not send it.
    if max == LegacyVersion::Tls12 {
        push_extension(
            &mut out,
            EXT_SIGNATURE_ALGORITHMS,
            &u16_list(SIGNATURE_SCHEMES),
        );
    }
    out
}

fn u16_list(values: &[u16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 2 + 2);
    push_u16(&mut out, len16(values.len() * 2));
    for &v in values {
        push_u16(&mut out, v);
    }
    out
}

fn push_extension(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    push_u16(out, kind);
    push_u16(out, len16(body.len()));
    out.extend_from_slice(body);
}

fn push_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Every length here is bounded by our own constants and a DNS name (at
/// most 253 bytes), so it always fits.
fn len16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tls_parser::{
        parse_tls_client_hello_extensions, parse_tls_plaintext, SNIType, TlsExtension,
    };

    fn parse(record: &[u8]) -> (u16, u16, Vec<u16>, Vec<u8>) {
        let (rest, plain) = parse_tls_plaintext(record).expect("our hello parses");
        assert!(rest.is_empty());
        let Some(TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch))) = plain.msg.first()
        else {
            panic!("not a ClientHello: {plain:?}");
        };
        (
            plain.hdr.version.0,
            ch.version.0,
            ch.ciphers.iter().map(|c| c.0).collect(),
            ch.ext.unwrap_or_default().to_vec(),
        )
    }

    #[test]
    fn hello_is_capped_and_offers_the_old_suites() {
        for max in [
            LegacyVersion::Tls10,
            LegacyVersion::Tls11,
            LegacyVersion::Tls12,
        ] {
            let record = client_hello(Some("mail.contoso.com"), max).unwrap();
            let (record_version, version, suites, _) = parse(&record);
            assert_eq!(record_version, 0x0301);
            assert_eq!(version, max.wire());
            assert!(suites.contains(&0x0035), "RSA key exchange + CBC");
            assert!(suites.contains(&0xc02f), "ECDHE_RSA + GCM");
            assert!(suites.contains(&0x000a), "3DES");
            assert!(suites.contains(&0x00ff), "renegotiation SCSV");
            assert!(!suites.contains(&0x5600), "never the fallback SCSV");
        }
    }

    #[test]
    fn extensions_parse_back_with_tls_parser() {
        let record = client_hello(Some("mail.contoso.com."), LegacyVersion::Tls12).unwrap();
        let (_, _, _, ext) = parse(&record);
        let (rest, exts) = parse_tls_client_hello_extensions(&ext).unwrap();
        assert!(rest.is_empty());
        assert!(exts.contains(&TlsExtension::SNI(vec![(
            SNIType::HostName,
            &b"mail.contoso.com"[..]
        )])));
        assert!(exts.iter().any(|e| matches!(e,
            TlsExtension::EllipticCurves(g) if g.iter().any(|g| g.0 == 23))));
        assert!(exts.contains(&TlsExtension::EcPointFormats(&[0])));
        let Some(TlsExtension::SignatureAlgorithms(schemes)) = exts
            .iter()
            .find(|e| matches!(e, TlsExtension::SignatureAlgorithms(_)))
        else {
            panic!("no signature_algorithms in {exts:?}");
        };
        assert!(schemes.contains(&0x0201) && schemes.contains(&0x0203));
    }

    #[test]
    fn no_sni_for_ip_literals_or_nonsense() {
        for bad in [
            "192.0.2.10",
            "2001:db8::1",
            "[2001:db8::1]",
            "",
            "not a name",
        ] {
            assert_eq!(sni_name(Some(bad)), None, "{bad}");
            let record = client_hello(Some(bad), LegacyVersion::Tls12).unwrap();
            let (_, _, _, ext) = parse(&record);
            let (_, exts) = parse_tls_client_hello_extensions(&ext).unwrap();
            assert!(
                !exts.iter().any(|e| matches!(e, TlsExtension::SNI(_))),
                "{bad}"
            );
        }
        assert_eq!(
            sni_name(Some("EXCH01.contoso.local")),
            Some("EXCH01.contoso.local")
        );
    }

    #[test]
    fn old_hellos_leave_out_signature_algorithms() {
        let record = client_hello(None, LegacyVersion::Tls10).unwrap();
        let (_, _, _, ext) = parse(&record);
        let (_, exts) = parse_tls_client_hello_extensions(&ext).unwrap();
        assert!(!exts
            .iter()
            .any(|e| matches!(e, TlsExtension::SignatureAlgorithms(_))));
    }

    #[test]
    fn no_sign_hellos_offer_only_rsa_key_exchange() {
        let record = client_hello_offering(None, LegacyVersion::Tls11, Offer::NoSign).unwrap();
        let (_, version, suites, _) = parse(&record);
        assert_eq!(version, 0x0302);
        assert!(suites.contains(&0x0035) && suites.contains(&0x000a));
        // No ECDHE (0xc0xx) or DHE suite: nothing the server must sign.
        assert!(
            suites
                .iter()
                .all(|s| s >> 8 != 0xc0 && ![0x0016, 0x0033, 0x0039].contains(s)),
            "{suites:04x?}"
        );

        let record = no_sign_hello(Some("mail.contoso.com")).unwrap();
        let (_, version, suites, ext) = parse(&record);
        assert_eq!(version, 0x0303, "legacy_version stays TLS 1.2");
        assert!(suites.contains(&0x1301) && suites.contains(&0x009c));
        assert!(suites.iter().all(|s| s >> 8 != 0xc0), "{suites:04x?}");
        let (rest, exts) = parse_tls_client_hello_extensions(&ext).unwrap();
        assert!(rest.is_empty());
        assert!(exts.contains(&TlsExtension::SupportedVersions(vec![
            TlsVersion::Tls13,
            TlsVersion::Tls12,
            TlsVersion::Tls11,
            TlsVersion::Tls10,
        ])));
        assert!(
            exts.contains(&TlsExtension::KeyShare(&[0, 0])),
            "an empty key_share: {exts:?}"
        );
    }

    #[test]
    fn every_hello_has_a_fresh_random() {
        let a = client_hello(None, LegacyVersion::Tls12).unwrap();
        let b = client_hello(None, LegacyVersion::Tls12).unwrap();
        // Bytes 11..43: the random, after record and handshake headers and
        // the version.
        assert_ne!(a.get(11..43), b.get(11..43));
    }
}
