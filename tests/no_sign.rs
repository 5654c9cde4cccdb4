//! The hellos a server answers without its private key, against real
//! `openssl s_server` processes: the cleartext chain from a TLS 1.0-1.2
//! server with RSA key exchange, a HelloRetryRequest from a TLS 1.3 server,
//! a clear refusal from a server without RSA key exchange, and version
//! hellos that tell a refused version from refused suites.

use std::time::Duration;

use excert::probe::legacy::{
    no_sign_exchange, suite_name, version_answer, version_name, LegacyError, LegacyVersion,
    NoSignAnswer, Offer,
};
use tokio::net::TcpStream;

mod openssl_support;

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
