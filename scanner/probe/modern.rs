//! The rustls path: a real TLS 1.2/1.3 handshake.
//!
//! It costs the server a signature, so it runs only when no cleartext hello
//! gave the chain: it is the only way into TLS 1.3-only servers, where the
//! Certificate message is encrypted. Its verifier accepts every
//! chain: the probe records evidence and `analyze` judges it. Signatures are
//! not checked either, since no application data is ever sent and a 1024-bit
//! server key (which ring refuses to verify) must still give us its chain.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::model::{Der, Method, TlsInfo};

/// Accepts any chain; see the module docs for why.
#[derive(Debug)]
struct RecordAnything(Vec<SignatureScheme>);

impl ServerCertVerifier for RecordAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.clone()
    }
}

/// One client config for the whole scan: building it per endpoint would
/// cost more than the handshake on loopback.
#[allow(clippy::expect_used)] // Fixed inputs: the ring provider has both versions.
fn connector() -> TlsConnector {
    static CONNECTOR: OnceLock<TlsConnector> = OnceLock::new();
    CONNECTOR
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let schemes = provider
                .signature_verification_algorithms
                .supported_schemes();
            let mut config = ClientConfig::builder_with_provider(provider)
                .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
                .expect("the ring provider supports TLS 1.2 and 1.3")
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(RecordAnything(schemes)))
                .with_no_client_auth();
            // Resumption would let a second probe skip the Certificate message.
            config.resumption = rustls::client::Resumption::disabled();
            TlsConnector::from(Arc::new(config))
        })
        .clone()
}

/// What a successful rustls handshake showed.
pub struct Handshake {
    /// The negotiated version and suite (`method` is `rustls`).
    pub tls: TlsInfo,
    /// The chain as presented, leaf first.
    pub chain: Vec<Der>,
}

/// Why the rustls handshake gave no chain.
#[derive(Debug)]
pub enum HandshakeError {
    /// No answer within the handshake timeout.
    Timeout,
    /// The peer spoke, but not a TLS 1.2/1.3 rustls could finish: the legacy
    /// probe may still read its chain.
    Failed(String),
}

/// Handshake over an open connection. `sni` is sent only when it is a DNS
/// name; `None` makes rustls send no server_name extension.
pub async fn handshake(
    tcp: TcpStream,
    sni: Option<&str>,
    addr: std::net::IpAddr,
    timeout: Duration,
) -> Result<Handshake, HandshakeError> {
    let name = match sni.and_then(|s| ServerName::try_from(s.to_string()).ok()) {
        Some(name @ ServerName::DnsName(_)) => name,
        _ => ServerName::IpAddress(addr.into()),
    };
    let stream = match tokio::time::timeout(timeout, connector().connect(name, tcp)).await {
        Err(_) => return Err(HandshakeError::Timeout),
        Ok(Err(e)) => return Err(HandshakeError::Failed(e.to_string())),
        Ok(Ok(stream)) => stream,
    };
    let (_, conn) = stream.get_ref();
    let chain: Vec<Der> = conn
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|c| Der(c.as_ref().into()))
        .collect();
    let version = conn.protocol_version().map(u16::from).unwrap_or_default();
    let suite = conn
        .negotiated_cipher_suite()
        .map(|s| u16::from(s.suite()))
        .unwrap_or_default();
    Ok(Handshake {
        tls: super::versions::negotiated(version, suite, Method::Rustls),
        chain,
    })
    // The stream drops here: a TCP close, with no application data sent.
}
