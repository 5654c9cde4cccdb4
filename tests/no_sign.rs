//! The hellos a server answers without its private key, against real
//! `openssl s_server` processes: the cleartext chain from a TLS 1.0-1.2
//! server with RSA key exchange, a HelloRetryRequest from a TLS 1.3 server,
//! a clear refusal from a server without RSA key exchange, and version
//! hellos that tell a refused version from refused suites.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use excert::probe::legacy::{
    no_sign_exchange, suite_name, version_answer, version_name, LegacyError, LegacyVersion,
    NoSignAnswer, Offer,
};
use tokio::net::TcpStream;

mod lab_support;
mod openssl_support;

use excert::model::{Method, Role, Status, TlsVersion};
use excert::probe::probe_endpoint;
use lab_support::{endpoint, quick};
use openssl_support::{pki, s_server};

const TIMEOUT: Duration = Duration::from_secs(5);

async fn no_sign(port: u16) -> Result<NoSignAnswer, LegacyError> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    no_sign_exchange(&mut stream, Some("localhost"), TIMEOUT).await
}

async fn version(port: u16, max: LegacyVersion, offer: Offer) -> Result<Option<u16>, LegacyError> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    version_answer(&mut stream, Some("localhost"), max, offer, TIMEOUT).await
}

#[tokio::test]
async fn tls12_server_gives_its_chain_with_rsa_key_exchange() {
    let server = s_server(&["-tls1_2"]);
    let Ok(NoSignAnswer::Flight(flight)) = no_sign(server.port).await else {
        panic!("expected a cleartext flight");
    };
    assert_eq!(version_name(flight.version), "TLSv1.2");
    assert!(
        suite_name(flight.cipher_suite).starts_with("TLS_RSA_WITH_"),
        "{}",
        suite_name(flight.cipher_suite)
    );
    assert!(flight.chain == pki().chain, "leaf, intermediate and root");
}

#[tokio::test]
async fn tls10_only_server_answers_the_tls13_hello_with_tls10() {
    let server = s_server(&["-tls1", "-cipher", "ALL:@SECLEVEL=0"]);
    let Ok(NoSignAnswer::Flight(flight)) = no_sign(server.port).await else {
        panic!("expected a cleartext flight");
    };
    assert_eq!(version_name(flight.version), "TLSv1.0");
    assert!(flight.chain == pki().chain);
}

#[tokio::test]
async fn tls13_server_sends_a_hello_retry_request() {
    let server = s_server(&[]);
    let answer = no_sign(server.port).await.unwrap();
    let NoSignAnswer::Tls13 { cipher_suite } = answer else {
        panic!("expected TLS 1.3, got {answer:?}");
    };
    assert_eq!(suite_name(cipher_suite), "TLS_AES_256_GCM_SHA384");
}

#[tokio::test]
async fn server_without_rsa_key_exchange_refuses() {
    let server = s_server(&["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]);
    let err = no_sign(server.port).await.unwrap_err();
    assert!(err.is_refusal(), "{err}");
    assert!(!err.is_version_refusal(), "the suites were refused: {err}");
}

#[tokio::test]
async fn version_hellos_tell_a_refused_version_from_refused_suites() {
    let server = s_server(&["-tls1_2"]);
    let err = version(server.port, LegacyVersion::Tls11, Offer::NoSign)
        .await
        .unwrap_err();
    assert!(err.is_version_refusal(), "{err}");

    let server = s_server(&["-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"]);
    let err = version(server.port, LegacyVersion::Tls10, Offer::NoSign)
        .await
        .unwrap_err();
    assert!(err.is_refusal() && !err.is_version_refusal(), "{err}");
    let accepted = version(server.port, LegacyVersion::Tls10, Offer::Broad).await;
    assert_eq!(accepted.unwrap(), Some(0x0301), "the broad hello gets in");
}

/// The whole probe of a TLS 1.2 server with RSA key exchange: the chain and
/// the protocol map from hellos the server answers without signing, each
/// recorded in `tls.evidence`.
#[tokio::test]
async fn tls12_endpoint_is_read_and_mapped_without_a_signature() {
    let server = s_server(&["-tls1_2"]);
    let ep = endpoint(
        "localhost",
        "127.0.0.1".parse().unwrap(),
        server.port,
        Role::Frontend,
        Some("localhost"),
    );
    let (obs, _) = probe_endpoint(&ep, &quick(5000)).await;
    assert_eq!(obs.status, Status::Ok, "{:?}", obs.error);
    let got: Vec<&[u8]> = obs.chain.iter().map(|d| d.as_bytes()).collect();
    let want: Vec<&[u8]> = pki().chain.iter().map(|c| c.as_slice()).collect();
    assert_eq!(got, want);
    let tls = obs.tls.unwrap();
    assert_eq!(tls.method, Method::Legacy, "the hand-built hello read it");
    assert_eq!(tls.version, TlsVersion::Tls12);
    assert!(
        tls.cipher_suite.starts_with("TLS_RSA_WITH_"),
        "{}",
        tls.cipher_suite
    );
    assert_eq!(tls.versions, [TlsVersion::Tls12]);
    assert!(tls.versions_scanned);
    assert_eq!(tls.evidence.len(), 2, "{:?}", tls.evidence);
    assert!(
        tls.evidence[0].contains("signed nothing"),
        "{:?}",
        tls.evidence
    );
    assert!(
        tls.evidence[1].contains("TLSv1.1") && tls.evidence[1].contains("protocol_version"),
        "{:?}",
        tls.evidence
    );
}

/// A TLS 1.3 server: the HelloRetryRequest names it, and rustls reads the
/// chain that TLS 1.3 clients get.
#[tokio::test]
async fn tls13_endpoint_is_read_with_rustls_after_the_hello_retry() {
    let server = s_server(&["-tls1_3"]);
    let ep = endpoint(
        "localhost",
        "127.0.0.1".parse().unwrap(),
        server.port,
        Role::Frontend,
        Some("localhost"),
    );
    let (obs, _) = probe_endpoint(&ep, &quick(5000)).await;
    assert_eq!(obs.status, Status::Ok, "{:?}", obs.error);
    assert_eq!(obs.chain.len(), 3);
    let tls = obs.tls.unwrap();
    assert_eq!(tls.method, Method::Rustls);
    assert_eq!(tls.version, TlsVersion::Tls13);
    assert!(
        tls.evidence[0].contains("HelloRetryRequest"),
        "{:?}",
        tls.evidence
    );
    assert!(
        tls.evidence[1].contains("full rustls handshake"),
        "{:?}",
        tls.evidence
    );
}
