//! Certificates for the lab, made at run time relative to "now" so the demo
//! and the tests never rot.
//!
//! The Exchange self-signed cert is built with the exact extension layout
//! Exchange setup uses (KeyUsage, SAN, EKU, BasicConstraints, in that order,
//! no SKI/AKI), so the classifier sees what it would see on a real server.

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, SerialNumber,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// The committed lab keys (fixtures/lab), embedded so `excert demo` runs
/// from anywhere.
const KEYS: [&str; 10] = [
    include_str!("../../fixtures/lab/key-01.pem"),
    include_str!("../../fixtures/lab/key-02.pem"),
    include_str!("../../fixtures/lab/key-03.pem"),
    include_str!("../../fixtures/lab/key-04.pem"),
    include_str!("../../fixtures/lab/key-05.pem"),
    include_str!("../../fixtures/lab/key-06.pem"),
    include_str!("../../fixtures/lab/key-07.pem"),
    include_str!("../../fixtures/lab/key-08.pem"),
    include_str!("../../fixtures/lab/key-09.pem"),
    include_str!("../../fixtures/lab/key-10.pem"),
];

/// Lab key `n` (1-based, wraps around), for RSA-SHA256 signing.
pub fn key(n: usize) -> KeyPair {
    let pem = KEYS[(n.max(1) - 1) % KEYS.len()];
    KeyPair::from_pkcs8_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256)
        .expect("committed lab keys are valid")
}

/// A chain and the key that goes with its leaf, ready for a rustls server.
#[derive(Debug)]
pub struct Served {
    /// Leaf first, as the server presents it.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
}

impl Clone for Served {
    fn clone(&self) -> Self {
        Served {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl Served {
    fn new(chain: Vec<CertificateDer<'static>>, key: &KeyPair) -> Self {
        Served {
            chain,
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        }
    }
}

/// A chain and its leaf's key, e.g. a committed fixture, ready to serve.
pub fn served(chain: Vec<CertificateDer<'static>>, key: &KeyPair) -> Served {
    Served::new(chain, key)
}

/// Exchange's `now + 5 calendar years`.
pub fn plus_years(t: OffsetDateTime, years: i32) -> OffsetDateTime {
    let date = t.date();
    let target = date.replace_year(date.year() + years).unwrap_or_else(|_| {
        // 29 February: Windows lands on 28 February.
        date.replace_day(28)
            .and_then(|d| d.replace_year(date.year() + years))
            .unwrap_or(date)
    });
    t.replace_date(target)
}

fn serial(seed: &str) -> SerialNumber {
    let digest = ring::digest::digest(&ring::digest::SHA256, seed.as_bytes());
    let mut bytes = digest.as_ref()[..16].to_vec();
    bytes[0] &= 0x7f; // keep it positive
    SerialNumber::from_slice(&bytes)
}

fn der_len(len: usize) -> Vec<u8> {
    if len < 0x80 {
        vec![len as u8]
    } else if len < 0x100 {
        vec![0x81, len as u8]
    } else {
        vec![0x82, (len >> 8) as u8, len as u8]
    }
}

fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_len(body.len()));
    out.extend_from_slice(body);
    out
}

/// The "Microsoft Exchange" cert as setup (SHA-1) or a renewal (SHA-256)
/// makes it; rcgen signs SHA-256, as a renewal would.
pub fn exchange_self_signed(
    short: &str,
    domain: &str,
    not_before: OffsetDateTime,
    key: &KeyPair,
) -> Served {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, short);
    params.distinguished_name = dn;
    params.not_before = not_before;
    params.not_after = plus_years(not_before, 5);
    params.serial_number = Some(serial(&format!("{short}{not_before}")));
    params.is_ca = IsCa::NoCa;
    let fqdn = format!("{short}.{domain}");
    let names: Vec<u8> = [short, fqdn.as_str()]
        .iter()
        .flat_map(|n| tlv(0x82, n.as_bytes()))
        .collect();
    let mut ku = CustomExtension::from_oid_content(&[2, 5, 29, 15], vec![0x03, 0x02, 0x05, 0xa0]);
    ku.set_criticality(true);
    let san = CustomExtension::from_oid_content(&[2, 5, 29, 17], tlv(0x30, &names));
    let server_auth = tlv(0x06, &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01]);
    let eku = CustomExtension::from_oid_content(&[2, 5, 29, 37], tlv(0x30, &server_auth));
    let mut bc = CustomExtension::from_oid_content(&[2, 5, 29, 19], vec![0x30, 0x00]);
    bc.set_criticality(true);
    params.custom_extensions = vec![ku, san, eku, bc];
    let cert = params.self_signed(key).expect("lab cert params are valid");
    Served::new(vec![cert.der().clone()], key)
}

/// The IIS Web Management Service's own certificate as Windows makes it
/// at install: self-signed `CN=WMSvc-SHA2-<HOST>`, no SAN, no
/// BasicConstraints, valid ten years (what `--tls-port wmsvc:8172` reads
/// on a healthy server).
pub fn wmsvc_self_signed(short: &str, not_before: OffsetDateTime, key: &KeyPair) -> Served {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    let cn = format!("WMSvc-SHA2-{}", short.to_ascii_uppercase());
    dn.push(DnType::CommonName, cn.as_str());
    params.distinguished_name = dn;
    params.not_before = not_before;
    params.not_after = plus_years(not_before, 10);
    params.serial_number = Some(serial(&format!("{cn}{not_before}")));
    params.is_ca = IsCa::NoCa;
    let server_auth = tlv(0x06, &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01]);
    let eku = CustomExtension::from_oid_content(&[2, 5, 29, 37], tlv(0x30, &server_auth));
    params.custom_extensions = vec![eku];
    let cert = params.self_signed(key).expect("lab cert params are valid");
    Served::new(vec![cert.der().clone()], key)
}

/// A two-level lab PKI, like an enterprise or public CA.
pub struct LabCa {
    /// The self-signed root, valid 20 years from three years back.
    pub root: CertificateDer<'static>,
    inter_params: CertificateParams,
    inter_key: KeyPair,
    /// The issuing CA under the root; every leaf chain includes it.
    pub intermediate: CertificateDer<'static>,
}

fn ca_params(cn: &str, not_before: OffsetDateTime, years: i32) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Contoso Lab");
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.not_before = not_before;
    params.not_after = plus_years(not_before, years);
    params.serial_number = Some(serial(cn));
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

impl LabCa {
    /// The root and intermediate, dated relative to `now` so both are valid
    /// then.
    pub fn new(now: OffsetDateTime) -> Self {
        let root_key = key(9);
        let inter_key = key(10);
        let root_params = ca_params("Contoso Lab Root CA", now - Duration::days(3 * 365), 20);
        let root = root_params
            .self_signed(&root_key)
            .expect("lab root")
            .der()
            .clone();
        let mut inter_params = ca_params(
            "Contoso Lab Issuing CA 01",
            now - Duration::days(2 * 365),
            10,
        );
        inter_params.use_authority_key_identifier_extension = true;
        let issuer = Issuer::from_params(&root_params, &root_key);
        let intermediate = inter_params
            .signed_by(&inter_key, &issuer)
            .expect("lab intermediate")
            .der()
            .clone();
        LabCa {
            root,
            inter_params,
            inter_key,
            intermediate,
        }
    }

    /// The root as PEM, to pass as `--ca-bundle`.
    pub fn root_pem(&self) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(self.root.as_ref());
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    }

    /// A CA-issued server cert for `names`, served with the intermediate.
    pub fn issue(
        &self,
        names: &[&str],
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
        key: &KeyPair,
    ) -> Served {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .expect("lab names are valid");
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, names.first().copied().unwrap_or("lab"));
        params.distinguished_name = dn;
        params.not_before = not_before;
        params.not_after = not_after;
        params.serial_number = Some(serial(&format!("{names:?}{not_before}")));
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let issuer = Issuer::from_params(&self.inter_params, &self.inter_key);
        let cert = params.signed_by(key, &issuer).expect("lab leaf");
        Served::new(vec![cert.der().clone(), self.intermediate.clone()], key)
    }
}
