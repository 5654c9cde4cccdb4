//! The hellos a server answers without its private key, against real
//! `openssl s_server` processes: the cleartext chain from a TLS 1.0-1.2
//! server with RSA key exchange, a HelloRetryRequest from a TLS 1.3 server,
//! a clear refusal from a server without RSA key exchange, and version
//! hellos that tell a refused version from refused suites.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use excert::lab::certs;
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use excert::probe::legacy::{
    no_sign_exchange, suite_name, version_answer, version_name, LegacyError, LegacyVersion,
    NoSignAnswer, Offer,
};
use tokio::net::TcpStream;

use crate::lab_support;
use crate::openssl_support;

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
        tls.cipher_suite.is_rsa_key_exchange(),
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
        tls.evidence[1].contains("up to TLSv1.2") && tls.evidence[1].contains("protocol_version"),
        "{:?}",
        tls.evidence
    );
    assert!(
        tls.evidence[2].contains("full rustls handshake"),
        "{:?}",
        tls.evidence
    );
    assert_eq!(tls.versions, [TlsVersion::Tls13]);
    assert!(
        tls.versions_scanned,
        "the refused TLS 1.2 hello settled the map"
    );
}

// How many times each kind of server signs for one whole probe (chain and
// protocol map). rustls servers count calls to their signing key; rustls
// has no RSA key exchange, so servers that accept it are `openssl
// s_server` behind a proxy that counts the signed messages it relays.

/// A signing key that counts its signatures.
#[derive(Debug)]
struct CountingKey(Arc<dyn SigningKey>, Arc<AtomicUsize>);

#[derive(Debug)]
struct CountingSigner(Box<dyn Signer>, Arc<AtomicUsize>);

impl SigningKey for CountingKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let signer = self.0.choose_scheme(offered)?;
        Some(Box::new(CountingSigner(signer, self.1.clone())))
    }
    fn algorithm(&self) -> SignatureAlgorithm {
        self.0.algorithm()
    }
}

impl Signer for CountingSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.sign(message)
    }
    fn scheme(&self) -> SignatureScheme {
        self.0.scheme()
    }
}

/// A TLS 1.3-only rustls server on loopback whose key
/// counts its signatures; returns its port and the counter.
async fn counting_rustls() -> (u16, Arc<AtomicUsize>, Vec<Vec<u8>>) {
    let served = certs::exchange_self_signed(
        "localhost",
        "contoso.lab",
        time::OffsetDateTime::now_utc() - time::Duration::days(30),
        &certs::key(1),
    );
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = provider
        .key_provider
        .load_private_key(served.key.clone_key())
        .unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let key: Arc<dyn SigningKey> = Arc::new(CountingKey(key, count.clone()));
    let certified = Arc::new(CertifiedKey::new(served.chain.clone(), key));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(certified)));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(tcp).await;
            });
        }
    });
    let chain = served.chain.iter().map(|c| c.to_vec()).collect();
    (port, count, chain)
}

/// Signatures in what a server sent on one connection: each
/// ServerKeyExchange (TLS 1.0-1.2), and a TLS 1.3 handshake past its
/// ServerHello, whose encrypted flight carries a CertificateVerify. The
/// probe never sends application data, so any encrypted record is that.
#[derive(Default)]
struct SignedMessages {
    records: Vec<u8>,
    handshake: Vec<u8>,
    signatures: usize,
    encrypted: bool,
}

impl SignedMessages {
    fn feed(&mut self, bytes: &[u8]) {
        self.records.extend_from_slice(bytes);
        while self.records.len() >= 5 {
            let len = u16::from_be_bytes([self.records[3], self.records[4]]) as usize;
            if self.records.len() < 5 + len {
                break;
            }
            let record: Vec<u8> = self.records.drain(..5 + len).collect();
            match record[0] {
                22 if !self.encrypted => self.handshake.extend_from_slice(&record[5..]),
                23 if !self.encrypted => {
                    self.encrypted = true;
                    self.signatures += 1;
                }
                _ => {}
            }
        }
        while self.handshake.len() >= 4 {
            let len =
                u32::from_be_bytes([0, self.handshake[1], self.handshake[2], self.handshake[3]])
                    as usize;
            if self.handshake.len() < 4 + len {
                break;
            }
            if self.handshake[0] == 12 {
                self.signatures += 1;
            }
            self.handshake.drain(..4 + len);
        }
    }
}

/// A proxy in front of `upstream` that counts the server's signatures.
struct Proxy {
    port: u16,
    accepted: Arc<AtomicUsize>,
    finished: tokio::sync::watch::Sender<usize>,
    signatures: Arc<AtomicUsize>,
}

impl Proxy {
    async fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Proxy {
            port: listener.local_addr().unwrap().port(),
            accepted: Arc::default(),
            finished: tokio::sync::watch::channel(0).0,
            signatures: Arc::default(),
        };
        let (accepted, finished, total) = (
            proxy.accepted.clone(),
            proxy.finished.clone(),
            proxy.signatures.clone(),
        );
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                let (finished, total) = (finished.clone(), total.clone());
                tokio::spawn(async move {
                    let server = TcpStream::connect(("127.0.0.1", upstream)).await.unwrap();
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let up = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                    });
                    let mut seen = SignedMessages::default();
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = match server_read.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        seen.feed(&buf[..n]);
                        if client_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    total.fetch_add(seen.signatures, Ordering::SeqCst);
                    up.abort();
                    finished.send_modify(|n| *n += 1);
                });
            }
        });
        proxy
    }

    /// The signatures, once every connection the proxy accepted is over.
    async fn signatures(&self) -> usize {
        let accepted = self.accepted.load(Ordering::SeqCst);
        let mut finished = self.finished.subscribe();
        finished.wait_for(|&n| n >= accepted).await.unwrap();
        self.signatures.load(Ordering::SeqCst)
    }
}

/// The whole default probe of one endpoint on `port`; its chain, as DER.
async fn probe_all(port: u16) -> (Vec<Vec<u8>>, excert::model::TlsInfo) {
    let ep = endpoint(
        "localhost",
        "127.0.0.1".parse().unwrap(),
        port,
        Role::Frontend,
        Some("localhost"),
    );
    let (obs, _) = probe_endpoint(&ep, &quick(5000)).await;
    assert_eq!(obs.status, Status::Ok, "{:?}", obs.error);
    let chain = obs.chain.iter().map(|d| d.as_bytes().to_vec()).collect();
    (chain, obs.tls.unwrap())
}

/// Signatures an `openssl s_server` with `flags` makes for one probe, and
/// what the probe saw.
async fn openssl_signatures(flags: &[&str]) -> (usize, excert::model::TlsInfo) {
    let server = s_server(flags);
    let proxy = Proxy::start(server.port).await;
    let (chain, tls) = probe_all(proxy.port).await;
    assert!(chain == pki().chain, "the chain as served");
    (proxy.signatures().await, tls)
}

#[tokio::test(flavor = "multi_thread")]
async fn tls12_and_13_server_with_rsa_key_exchange_never_signs() {
    let (signatures, tls) = openssl_signatures(&["-cipher", "ALL:@SECLEVEL=0"]).await;
    assert_eq!(signatures, 0, "{:?}", tls.evidence);
    assert_eq!(tls.version, TlsVersion::Tls13);
    assert_eq!(
        tls.versions,
        [
            TlsVersion::Tls10,
            TlsVersion::Tls11,
            TlsVersion::Tls12,
            TlsVersion::Tls13
        ]
    );
    assert!(tls.versions_scanned);
    assert!(
        tls.evidence.iter().any(|l| l.contains("HelloRetryRequest"))
            && tls
                .evidence
                .iter()
                .any(|l| l.starts_with("chain: cleartext")),
        "{:?}",
        tls.evidence
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tls12_only_server_never_signs() {
    let (signatures, tls) = openssl_signatures(&["-tls1_2"]).await;
    assert_eq!(signatures, 0, "{:?}", tls.evidence);
    assert_eq!(tls.versions, [TlsVersion::Tls12]);
    assert!(tls.versions_scanned);
}

#[tokio::test(flavor = "multi_thread")]
async fn tls13_only_server_signs_once() {
    let (port, count, served) = counting_rustls().await;
    let (chain, tls) = probe_all(port).await;
    assert_eq!(chain, served);
    assert_eq!(count.load(Ordering::SeqCst), 1, "{:?}", tls.evidence);
    assert_eq!(tls.versions, [TlsVersion::Tls13]);
    assert!(tls.versions_scanned);
}

/// Without RSA key exchange the chain costs one hello offering every suite
/// (one signature, as a full handshake would), which also proves TLS 1.2;
/// the map's hellos below it cost nothing.
#[tokio::test(flavor = "multi_thread")]
async fn server_without_rsa_key_exchange_signs_once() {
    let (signatures, tls) = openssl_signatures(&["-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]).await;
    assert_eq!(signatures, 1, "{:?}", tls.evidence);
    assert_eq!(tls.version, TlsVersion::Tls13);
    assert_eq!(tls.versions, [TlsVersion::Tls12, TlsVersion::Tls13]);
    assert!(tls.versions_scanned);
    assert!(
        tls.evidence.iter().any(|l| l.contains("signed once")),
        "{:?}",
        tls.evidence
    );
}
