//! A real fleet as `Get-ExchangeServer | Export-Csv` describes it
//! (fixtures/inputs/get-exchangeserver-fleet.csv): two sites with their own
//! namespaces, a public certificate rollout in progress, the server's own
//! certificate in the shapes real servers carry (a long host name, 4096
//! bits, an SKI and another extension order), an Exchange 2010 and a
//! CAS-only 2013 server without 444, and an Edge server with SMTP only.
//! Every port speaks TLS 1.2 only, as Windows serves these builds: TLS 1.3
//! is supported from Exchange 2019 CU15, and the one CU15 server keeps it
//! off like the rest of its site (the same TLS versions on every server).
//! Healthy throughout: scanned from the CSV with no option, nothing may be
//! a warning.

use time::{Duration, OffsetDateTime};

use super::certs::{self, LabCa, Served};
use super::smtp::{SmtpSpec, Starttls};
use super::{BalancerSpec, HostSpec, Service};

/// The fleet, in the CSV's row order.
pub struct SitesFleet {
    /// The servers, in the CSV's row order.
    pub hosts: Vec<HostSpec>,
    /// Each host's FQDN in the CSV, in `hosts` order.
    pub fqdns: Vec<&'static str>,
    /// The CA every public certificate chains to.
    pub ca: LabCa,
    /// SHA-1 of the public certificate being rolled out (HQ) ...
    pub hq_new: String,
    /// ... and of the one it replaces, still valid for 90 days.
    pub hq_old: String,
    /// A load balancer VIP per site's namespace, each presenting its
    /// site's newest certificate on HTTPS and SMTP: healthy too.
    pub balancers: Vec<BalancerSpec>,
}

/// The CSV's FQDNs, row by row.
pub const FQDNS: [&str; 8] = [
    "EX01.contoso.local",
    "EX02.contoso.local",
    "exchange-mailbox01.contoso.local",
    "EX4096.contoso.local",
    "EX2013.contoso.local",
    "EX13CAS.contoso.local",
    "EX2010.contoso.local",
    "EDGE01.dmz.contoso.com",
];

/// A committed openssl fixture and its key, served as it is.
fn fixture(der: &[u8], key_pem: &str) -> Service {
    let key = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(key_pem, &rcgen::PKCS_RSA_SHA256)
        .expect("committed fixture keys are valid");
    Service::Tls(certs::served(
        vec![rustls::pki_types::CertificateDer::from(der.to_vec())],
        &key,
    ))
}

fn sha1(s: &Served) -> String {
    s.chain
        .first()
        .map(|c| crate::analyze::cert::sha1_hex(c.as_ref()))
        .unwrap_or_default()
}

/// The fleet as of `now`; the fixtures' own certificates are valid from
/// 2024 to 2027 at least, so `now` should lie in 2025 or 2026.
pub fn sites_fleet(now: OffsetDateTime) -> SitesFleet {
    let ca = LabCa::new(now);
    let days = Duration::days;
    let hq_names = ["mail.contoso.com", "autodiscover.contoso.com"];
    let eu_names = ["mail-eu.contoso.com", "autodiscover.contoso.com"];
    let hq_new = ca.issue(&hq_names, now - days(30), now + days(335), &certs::key(8));
    let hq_old = ca.issue(&hq_names, now - days(300), now + days(90), &certs::key(8));
    let eu = ca.issue(&eu_names, now - days(100), now + days(265), &certs::key(7));
    let own = |short: &str, k: usize| {
        Service::Tls(certs::exchange_self_signed(
            short,
            "contoso.local",
            now - Duration::days(400),
            &certs::key(k),
        ))
    };
    // The cert on 443 (none for Edge), on 444, and on 25, in FQDNS order.
    let ports: [(Option<&Served>, Service, &Served); 8] = [
        (Some(&hq_new), own("EX01", 1), &hq_new),
        (Some(&hq_old), own("EX02", 2), &hq_new),
        (Some(&hq_new), long_name(), &hq_new),
        (Some(&eu), rsa_4096(), &eu),
        (Some(&eu), ski_sha256(), &eu),
        // A CAS-only 2013 server and Exchange 2010: no 444.
        (Some(&eu), Service::Closed, &eu),
        (Some(&hq_old), Service::Closed, &hq_new),
        // Edge: SMTP only.
        (None, Service::Closed, &hq_new),
    ];
    let hosts = FQDNS
        .iter()
        .zip(ports)
        .map(|(fqdn, (on_443, on_444, on_25))| HostSpec {
            name: fqdn.split('.').next().unwrap_or("EX").to_string(),
            frontend: on_443.map_or(Service::Closed, |s| Service::Tls12Only(s.clone())),
            backend: tls12_only(on_444),
            smtp: Service::Smtp(SmtpSpec::exchange(fqdn, Starttls::Tls12(on_25.clone()))),
        })
        .collect();
    let vip = |namespace: &str, cert: &Served| BalancerSpec {
        namespace: namespace.to_string(),
        frontend: Service::Tls(cert.clone()),
        smtp: Service::Smtp(SmtpSpec::exchange(
            "EX01.contoso.local",
            Starttls::Tls(cert.clone()),
        )),
    };
    let balancers = vec![
        vip("mail.contoso.com", &hq_new),
        vip("mail-eu.contoso.com", &eu),
    ];
    SitesFleet {
        balancers,
        hosts,
        fqdns: FQDNS.to_vec(),
        hq_new: sha1(&hq_new),
        hq_old: sha1(&hq_old),
        ca,
    }
}

/// The same service, limited to TLS 1.2.
fn tls12_only(service: Service) -> Service {
    match service {
        Service::Tls(s) => Service::Tls12Only(s),
        other => other,
    }
}

/// The own certificate of a server with a long host name.
fn long_name() -> Service {
    fixture(
        include_bytes!("../../fixtures/certs/ex-long-name.der"),
        include_str!("../../fixtures/keys/key-02.pem"),
    )
}

/// An own certificate with a 4096-bit key.
fn rsa_4096() -> Service {
    fixture(
        include_bytes!("../../fixtures/certs/ex-4096.der"),
        include_str!("../../fixtures/keys/key-4096.pem"),
    )
}

/// An own certificate with an SKI, signed with SHA-256, extensions in
/// another order.
fn ski_sha256() -> Service {
    fixture(
        include_bytes!("../../fixtures/certs/ex-ski-sha256.der"),
        include_str!("../../fixtures/keys/key-04.pem"),
    )
}
