//! The legacy probe against real `openssl s_server` processes that rustls
//! cannot talk to (TLS 1.0, TLS 1.1, RSA-key-exchange-only TLS 1.2), a
//! fragmented 3-certificate chain, a TLS 1.3-only server, and a few
//! misbehaving in-process servers.
//!
//! Keys and certificates are made at test time with the openssl CLI. Every
//! server listens on 127.0.0.1 port 0 and is killed when its guard drops.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use excert::model::Status;
use excert::probe::legacy::{
    accepts_version, legacy_hello, suite_name, version_name, FlightReader, Goal, LegacyError,
    LegacyVersion, ServerFlight, MAX_RECORD_LEN,
};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::openssl_support;

use openssl_support::{pki, s_server};

const TIMEOUT: Duration = Duration::from_secs(5);

async fn connect(port: u16) -> TcpStream {
    TcpStream::connect(("127.0.0.1", port)).await.unwrap()
}

async fn probe(port: u16, max: LegacyVersion) -> Result<ServerFlight, LegacyError> {
    let mut stream = connect(port).await;
    legacy_hello(&mut stream, Some("localhost"), max, TIMEOUT).await
}

async fn accepts(port: u16, version: LegacyVersion) -> Result<Option<u16>, LegacyError> {
    let mut stream = connect(port).await;
    accepts_version(&mut stream, Some("localhost"), version, TIMEOUT).await
}

fn assert_flight(flight: &ServerFlight, version: &str, suite: &str) {
    assert_eq!(version_name(flight.version), version);
    assert_eq!(suite_name(flight.cipher_suite), suite);
    assert_eq!(flight.chain.len(), 3, "leaf, intermediate and root");
    assert!(
        flight.chain == pki().chain,
        "the chain read must be the served PEM files, leaf first"
    );
}

#[tokio::test]
async fn tls10_only_server_gives_its_chain() {
    let server = s_server(&["-tls1", "-cipher", "ALL:@SECLEVEL=0"]);
    let flight = probe(server.port, LegacyVersion::Tls12).await.unwrap();
    assert_flight(&flight, "TLSv1.0", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA");
}

#[tokio::test]
async fn tls11_only_server_gives_its_chain() {
    let server = s_server(&["-tls1_1", "-cipher", "ALL:@SECLEVEL=0"]);
    let flight = probe(server.port, LegacyVersion::Tls12).await.unwrap();
    assert_flight(&flight, "TLSv1.1", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA");
}

#[tokio::test]
async fn rsa_key_exchange_cbc_only_server_gives_its_chain() {
    let server = s_server(&["-tls1_2", "-cipher", "AES256-SHA"]);
    let flight = probe(server.port, LegacyVersion::Tls12).await.unwrap();
    assert_flight(&flight, "TLSv1.2", "TLS_RSA_WITH_AES_256_CBC_SHA");
}

/// Reads what the server sends while passing it through, so a real flight
/// can be replayed into the reassembler in other chunkings.
struct Recording<'a> {
    inner: &'a mut TcpStream,
    seen: Vec<u8>,
}

impl AsyncRead for Recording<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let poll = Pin::new(&mut *this.inner).poll_read(cx, buf);
        this.seen.extend_from_slice(&buf.filled()[before..]);
        poll
    }
}

impl AsyncWrite for Recording<'_> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.inner).poll_write(cx, data)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.inner).poll_shutdown(cx)
    }
}

/// Count the records in a captured byte stream (trusted test data).
fn count_records(mut bytes: &[u8]) -> usize {
    let mut n = 0;
    while bytes.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        bytes = &bytes[(5 + len).min(bytes.len())..];
        n += 1;
    }
    n
}

fn replay(bytes: &[u8], chunk: usize) -> ServerFlight {
    let mut reader = FlightReader::new(Goal::Certificate);
    for piece in bytes.chunks(chunk) {
        if reader.feed(piece).unwrap() {
            break;
        }
    }
    reader
        .into_flight()
        .expect("the replayed flight is complete")
}

#[tokio::test]
async fn chain_split_over_many_512_byte_records_is_reassembled() {
    let server = s_server(&["-max_send_frag", "512"]);
    let mut stream = connect(server.port).await;
    let mut recording = Recording {
        inner: &mut stream,
        seen: Vec::new(),
    };
    let flight = legacy_hello(
        &mut recording,
        Some("localhost"),
        LegacyVersion::Tls12,
        TIMEOUT,
    )
    .await
    .unwrap();
    assert_flight(&flight, "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    let captured = recording.seen;
    assert!(
        count_records(&captured) >= 6,
        "a 3-cert chain at 512 bytes a record spans many records"
    );
    // The same real flight, fed in awkward pieces, gives the same answer.
    for chunk in [1, 7, 13, 4099] {
        assert_eq!(replay(&captured, chunk), flight, "chunk size {chunk}");
    }
    if std::env::var_os("EXCERT_WRITE_FIXTURES").is_some() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/legacy");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("flight-tls12-frag512.bin"), &captured).unwrap();
        let chain: Vec<u8> = flight.chain.concat();
        std::fs::write(dir.join("flight-tls12-frag512.chain.der"), chain).unwrap();
    }
}

#[tokio::test]
async fn tls13_only_server_is_a_clear_refusal_not_a_hang() {
    let server = s_server(&["-tls1_3"]);
    let started = Instant::now();
    let err = probe(server.port, LegacyVersion::Tls12).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "no waiting for a timeout"
    );
    assert_eq!(
        err,
        LegacyError::Alert {
            level: 2,
            description: 70
        }
    );
    assert_eq!(err.status(), Status::HandshakeFailed);
    assert_eq!(
        err.to_string(),
        "server sent fatal alert protocol_version (70)"
    );
}

#[tokio::test]
async fn tls12_only_server_refuses_tls10_and_tls11_hellos() {
    let server = s_server(&["-tls1_2"]);
    assert_eq!(
        accepts(server.port, LegacyVersion::Tls10).await.unwrap(),
        None
    );
    assert_eq!(
        accepts(server.port, LegacyVersion::Tls11).await.unwrap(),
        None
    );
    assert_eq!(
        accepts(server.port, LegacyVersion::Tls12).await.unwrap(),
        Some(0x0303)
    );
}

#[tokio::test]
async fn tls10_server_accepts_tls10_but_not_tls11() {
    let server = s_server(&["-tls1", "-cipher", "ALL:@SECLEVEL=0"]);
    assert_eq!(
        accepts(server.port, LegacyVersion::Tls10).await.unwrap(),
        Some(0x0301)
    );
    // It answers a 1.1 hello with 1.0: TLS 1.1 itself is not accepted.
    assert_eq!(
        accepts(server.port, LegacyVersion::Tls11).await.unwrap(),
        None
    );
}

/// An in-process TCP server that runs `behave` on its first connection.
async fn misbehaving<F, Fut>(behave: F) -> u16
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        if let Ok((stream, _)) = listener.accept().await {
            behave(stream).await;
        }
    });
    port
}

async fn read_some(stream: &mut TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    let _ = stream.read(&mut buf).await;
}

#[tokio::test]
async fn plain_http_is_not_tls() {
    let port = misbehaving(|mut s| async move {
        read_some(&mut s).await;
        let _ = s
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await;
        // Silent until the client hangs up.
        let _ = tokio::io::copy(&mut s, &mut tokio::io::sink()).await;
    })
    .await;
    let err = probe(port, LegacyVersion::Tls12).await.unwrap_err();
    assert_eq!(err.status(), Status::NotTls);
    assert!(err.to_string().contains("HTTP/1.1 400"), "{err}");
}

#[tokio::test]
async fn silent_and_trickling_servers_cost_one_timeout() {
    let silent = misbehaving(|mut s| async move {
        read_some(&mut s).await;
        // Silent until the client hangs up.
        let _ = tokio::io::copy(&mut s, &mut tokio::io::sink()).await;
    })
    .await;
    let trickle = misbehaving(|mut s| async move {
        read_some(&mut s).await;
        // A valid-looking record header, then one byte every 50 ms forever.
        let _ = s.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]).await;
        loop {
            if s.write_all(&[0]).await.is_err() {
                return;
            }
            // Deliberately slow, not a wait for readiness: the trickle
            // must cost the client one timeout, not one per byte.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    for port in [silent, trickle] {
        let mut stream = connect(port).await;
        let started = Instant::now();
        let err = legacy_hello(
            &mut stream,
            None,
            LegacyVersion::Tls12,
            Duration::from_millis(500),
        )
        .await
        .unwrap_err();
        assert_eq!(err, LegacyError::Timeout);
        assert_eq!(err.status(), Status::Timeout);
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}

#[tokio::test]
async fn huge_record_header_fails_at_once() {
    let port = misbehaving(|mut s| async move {
        read_some(&mut s).await;
        let _ = s.write_all(&[0x16, 0x03, 0x03, 0xff, 0xff]).await;
        // Silent until the client hangs up.
        let _ = tokio::io::copy(&mut s, &mut tokio::io::sink()).await;
    })
    .await;
    let started = Instant::now();
    let err = probe(port, LegacyVersion::Tls12).await.unwrap_err();
    assert_eq!(
        err,
        LegacyError::RecordTooLong {
            declared: 0xffff,
            limit: MAX_RECORD_LEN
        }
    );
    assert_eq!(err.status(), Status::HandshakeFailed);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn close_without_answer_is_a_refusal_of_the_version() {
    // Schannel refuses a disabled protocol version by hanging up.
    let hang_up = || {
        misbehaving(|mut s| async move {
            read_some(&mut s).await;
        })
    };
    let err = probe(hang_up().await, LegacyVersion::Tls12)
        .await
        .unwrap_err();
    assert_eq!(err, LegacyError::Closed);
    assert_eq!(err.status(), Status::HandshakeFailed);
    assert_eq!(
        accepts(hang_up().await, LegacyVersion::Tls10)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn close_half_way_through_the_flight_is_truncated() {
    let port = misbehaving(|mut s| async move {
        read_some(&mut s).await;
        // A record header promising 100 bytes, and only 10 of them.
        let _ = s.write_all(&[0x16, 0x03, 0x03, 0x00, 100]).await;
        let _ = s.write_all(&[2, 0, 0, 70, 3, 3, 0, 0, 0, 0]).await;
    })
    .await;
    let err = probe(port, LegacyVersion::Tls12).await.unwrap_err();
    assert_eq!(err, LegacyError::Truncated);
    assert_eq!(
        err.to_string(),
        "server closed the connection before its certificate was complete"
    );
}
