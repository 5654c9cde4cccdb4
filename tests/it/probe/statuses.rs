//! The probe against real lab servers on loopback: statuses, chains,
//! protocol details. No mocks: every case is a real listener. Servers that
//! misbehave (silent, plain HTTP, ...) are in hostile.rs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;

use excert::lab::{certs, HostSpec, Lab, Service};
use excert::model::{Method, Role, Status};
use excert::probe::probe_endpoint;
use lab_support::{endpoint, quick};
use time::{Duration, OffsetDateTime};

fn exchange_cert(name: &str, key: usize) -> certs::Served {
    certs::exchange_self_signed(
        name,
        "contoso.lab",
        OffsetDateTime::now_utc() - Duration::days(30),
        &certs::key(key),
    )
}

async fn lab(frontend: Service, backend: Service) -> Lab {
    Lab::start(vec![HostSpec {
        name: "EX01".into(),
        frontend,
        backend,
        smtp: Service::Closed,
    }])
    .await
    .expect("lab starts")
}

#[tokio::test]
async fn reads_the_whole_chain_of_a_tls13_server() {
    let ca = certs::LabCa::new(OffsetDateTime::now_utc());
    let now = OffsetDateTime::now_utc();
    let public = ca.issue(
        &["mail.contoso.lab"],
        now - Duration::days(1),
        now + Duration::days(90),
        &certs::key(8),
    );
    let lab = lab(
        Service::Tls(public.clone()),
        Service::Tls13Only(exchange_cert("EX01", 1)),
    )
    .await;
    let ip = lab.hosts[0].ip;

    let ep = endpoint(
        "ex01.contoso.lab",
        ip,
        lab.frontend_port,
        Role::Frontend,
        Some("ex01.contoso.lab"),
    );
    let (obs, _) = probe_endpoint(&ep, &quick(2000)).await;
    assert_eq!(obs.status, Status::Ok, "{:?}", obs.error);
    let got: Vec<&[u8]> = obs.chain.iter().map(|d| d.as_bytes()).collect();
    let want: Vec<&[u8]> = public.chain.iter().map(|d| d.as_ref()).collect();
    assert_eq!(got, want, "leaf and intermediate, leaf first, as presented");
    let tls = obs.tls.expect("tls details");
    // rustls has no RSA key exchange, so after the HelloRetryRequest the
    // hand-built hello offering every suite reads the chain in cleartext
    // (one signature, as a full handshake would).
    assert_eq!(tls.method, Method::Legacy);
    assert_eq!(tls.version.name(), "TLSv1.3");
    assert!(
        tls.cipher_suite.name().starts_with("TLS_"),
        "IANA suite name, got {}",
        tls.cipher_suite
    );

    let ep = endpoint(
        "ex01.contoso.lab",
        ip,
        lab.backend_port,
        Role::Backend,
        None,
    );
    let (obs, _) = probe_endpoint(&ep, &quick(2000)).await;
    assert_eq!(
        obs.status,
        Status::Ok,
        "a TLS 1.3-only server is read by rustls: {:?}",
        obs.error
    );
    assert_eq!(obs.chain.len(), 1);
    assert_eq!(
        obs.tls
            .unwrap()
            .versions
            .iter()
            .map(|v| v.name())
            .collect::<Vec<_>>(),
        vec!["TLSv1.3".to_string()],
        "the 1.0/1.1/1.2 hellos were refused"
    );
}

#[tokio::test]
async fn closed_port_is_refused() {
    let lab = lab(Service::Tls(exchange_cert("EX01", 1)), Service::Closed).await;
    let ep = endpoint(
        "ex01",
        lab.hosts[0].ip,
        lab.backend_port,
        Role::Backend,
        None,
    );
    let (obs, _) = probe_endpoint(&ep, &quick(2000)).await;
    assert_eq!(obs.status, Status::Refused);
    assert!(obs.error.unwrap().contains("refused"));
    assert!(obs.chain.is_empty());
}

#[tokio::test]
async fn sni_picks_the_certificate_and_no_sni_probe_sees_the_default() {
    let named = exchange_cert("NAMED", 2);
    let default = exchange_cert("DEFAULT", 3);
    let service = Service::BySni {
        names: vec![("mail.contoso.lab".into(), named.clone())],
        default: default.clone(),
    };
    let lab = lab(service, Service::Closed).await;
    let mut opts = quick(2000);
    opts.also_no_sni = true;
    let ep = endpoint(
        "10.0.0.1",
        lab.hosts[0].ip,
        lab.frontend_port,
        Role::Frontend,
        Some("mail.contoso.lab"),
    );
    let (obs, no_sni) = probe_endpoint(&ep, &opts).await;
    assert_eq!(obs.chain[0].as_bytes(), named.chain[0].as_ref());
    let no_sni = no_sni.expect("--also-no-sni adds a second probe");
    assert_eq!(no_sni.status, Status::Ok);
    assert_eq!(no_sni.chain[0].as_bytes(), default.chain[0].as_ref());
}
