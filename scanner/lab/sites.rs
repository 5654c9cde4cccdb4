//! A real fleet as `Get-ExchangeServer | Export-Csv` describes it
//! (fixtures/inputs/get-exchangeserver-fleet.csv): two sites with their own
//! namespaces, a public certificate rollout in progress, the server's own
//! certificate in the shapes real servers carry (a long host name, 4096
//! bits, an SKI and another extension order), an Exchange 2010 and a
//! CAS-only 2013 server without 444, and an Edge server with SMTP only.
//! Healthy throughout: scanned from the CSV with no option, nothing may be
//! a warning.

use time::{Duration, OffsetDateTime};

use super::certs::{self, LabCa, Served};
use super::smtp::{SmtpSpec, Starttls};
use super::{HostSpec, Service};

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
    let hq_names = ["mail.contoso.com", "autodiscover.contoso.com"];
    let eu_names = ["mail-eu.contoso.com", "autodiscover.contoso.com"];
    let hq_new = ca.issue(
        &hq_names,
        now - Duration::days(30),
        now + Duration::days(335),
        &certs::key(8),
    );
    let hq_old = ca.issue(
        &hq_names,
        now - Duration::days(300),
        now + Duration::days(90),
        &certs::key(8),
    );
    let eu = ca.issue(
        &eu_names,
        now - Duration::days(100),
        now + Duration::days(265),
        &certs::key(7),
    );
    let own = |short: &str, k: usize| {
        Service::Tls(certs::exchange_self_signed(
            short,
            "contoso.local",
            now - Duration::days(400),
            &certs::key(k),
        ))
    };
    let smtp = |fqdn: &str, served: &Served| {
        Service::Smtp(SmtpSpec::exchange(fqdn, Starttls::Tls(served.clone())))
    };
    let host = |i: usize, frontend: Service, backend: Service, mail: &Served| HostSpec {
        name: FQDNS[i].split('.').next().unwrap_or("EX").to_string(),
        frontend,
        backend,
        smtp: smtp(FQDNS[i], mail),
    };
    let keys = [
        include_str!("../../fixtures/keys/key-02.pem"),
        include_str!("../../fixtures/keys/key-4096.pem"),
        include_str!("../../fixtures/keys/key-04.pem"),
    ];
    let hosts = vec![
        host(0, Service::Tls(hq_new.clone()), own("EX01", 1), &hq_new),
        host(1, Service::Tls(hq_old.clone()), own("EX02", 2), &hq_new),
        host(
            2,
            Service::Tls(hq_new.clone()),
            fixture(
                include_bytes!("../../fixtures/certs/ex-long-name.der"),
                keys[0],
            ),
            &hq_new,
        ),
        host(
            3,
            Service::Tls(eu.clone()),
            fixture(include_bytes!("../../fixtures/certs/ex-4096.der"), keys[1]),
            &eu,
        ),
        host(
            4,
            Service::Tls(eu.clone()),
            fixture(
                include_bytes!("../../fixtures/certs/ex-ski-sha256.der"),
                keys[2],
            ),
            &eu,
        ),
        host(5, Service::Tls(eu.clone()), Service::Closed, &eu),
        host(6, Service::Tls(hq_old.clone()), Service::Closed, &hq_new),
        host(7, Service::Closed, Service::Closed, &hq_new),
    ];
    SitesFleet {
        hosts,
        fqdns: FQDNS.to_vec(),
        hq_new: sha1(&hq_new),
        hq_old: sha1(&hq_old),
        ca,
    }
}
