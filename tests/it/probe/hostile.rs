//! Hostile and broken servers: each must give a clear status within the
//! time bounds. Never a panic, a hang, or runaway memory.
//!
//! Every server here is a real listener on loopback speaking raw bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use excert::lab::{HostSpec, Lab, Service};
use excert::model::{Observation, Role, Status};
use excert::probe::probe_endpoint;
use lab_support::{endpoint, quick};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TIMEOUT_MS: u64 = 800;

fn raw<F, Fut>(f: F) -> Service
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Service::Raw(Arc::new(move |s| Box::pin(f(s))))
}

/// Probe a one-host lab serving `service` on the frontend port, and check
/// the probe ends in time.
async fn probe(service: Service) -> Observation {
    let lab = Lab::start(vec![HostSpec {
        name: "EVIL".into(),
        frontend: service,
        backend: Service::Closed,
        smtp: Service::Closed,
    }])
    .await
    .expect("lab starts");
    let ep = endpoint(
        "evil.contoso.lab",
        lab.hosts[0].ip,
        lab.frontend_port,
        Role::Frontend,
        Some("evil.contoso.lab"),
    );
    let opts = quick(TIMEOUT_MS);
    let started = Instant::now();
    let (obs, _) = probe_endpoint(&ep, &opts).await;
    let bound = opts.endpoint_deadline + Duration::from_millis(500);
    assert!(
        started.elapsed() <= bound,
        "probe took {:?}, bound {bound:?}",
        started.elapsed()
    );
    assert!(
        obs.error.as_deref().is_some_and(|e| !e.is_empty()),
        "a failure always has a reason: {obs:?}"
    );
    obs
}

async fn read_hello(s: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await;
}

fn record(content_type: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![
        content_type,
        0x03,
        0x03,
        (body.len() >> 8) as u8,
        body.len() as u8,
    ];
    r.extend_from_slice(body);
    r
}

fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let n = body.len();
    let mut m = vec![msg_type, (n >> 16) as u8, (n >> 8) as u8, n as u8];
    m.extend_from_slice(body);
    m
}

/// A TLS 1.2 ServerHello choosing TLS_RSA_WITH_AES_128_CBC_SHA.
fn server_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0x42; 32]);
    body.extend_from_slice(&[0x00, 0x00, 0x2f, 0x00]);
    handshake(0x02, &body)
}

/// A Certificate message of `count` certificates of `size` bytes each.
fn certificate_message(count: usize, size: usize) -> Vec<u8> {
    let mut list = Vec::new();
    for i in 0..count {
        list.extend_from_slice(&[(size >> 16) as u8, (size >> 8) as u8, size as u8]);
        list.extend(std::iter::repeat_n(i as u8, size));
    }
    let mut body = vec![
        (list.len() >> 16) as u8,
        (list.len() >> 8) as u8,
        list.len() as u8,
    ];
    body.extend(list);
    handshake(0x0b, &body)
}

/// Split handshake bytes into records of at most 16 KiB.
fn records(handshake_bytes: &[u8]) -> Vec<u8> {
    handshake_bytes
        .chunks(16384)
        .flat_map(|c| record(0x16, c))
        .collect()
}

fn assert_failed(obs: &Observation, allowed: &[Status]) {
    assert!(
        allowed.contains(&obs.status),
        "status {:?} not in {allowed:?}: {:?}",
        obs.status,
        obs.error
    );
    assert!(obs.chain.is_empty() || obs.status == Status::Ok);
}

#[tokio::test]
async fn never_speaks() {
    let obs = probe(Service::Silent).await;
    assert_eq!(obs.status, Status::Timeout);
}

#[tokio::test]
async fn one_byte_per_second() {
    let obs = probe(raw(|mut s| async move {
        read_hello(&mut s).await;
        for b in record(0x16, &server_hello()).iter().cycle() {
            if s.write_all(&[*b]).await.is_err() {
                return;
            }
            // Deliberately slow, not a wait for readiness: this peer is
            // the slow-loris the probe's deadline must cut off.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }))
    .await;
    assert_eq!(obs.status, Status::Timeout, "{:?}", obs.error);
}

#[tokio::test]
async fn random_bytes() {
    let obs = probe(raw(|mut s| async move {
        read_hello(&mut s).await;
        let junk: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let _ = s.write_all(&junk).await;
    }))
    .await;
    assert_failed(&obs, &[Status::NotTls, Status::HandshakeFailed]);
}

#[tokio::test]
async fn record_declaring_16_megabytes() {
    let obs = probe(raw(|mut s| async move {
        read_hello(&mut s).await;
        // A handshake record whose message claims 16 MB, then silence
        // until the probe hangs up.
        let _ = s.write_all(&record(0x16, &[0x0b, 0xff, 0xff, 0xff])).await;
        let _ = s.write_all(&[0x16, 0x03, 0x03, 0xff, 0xff]).await;
        let _ = tokio::io::copy(&mut s, &mut tokio::io::sink()).await;
    }))
    .await;
    assert_failed(
        &obs,
        &[Status::HandshakeFailed, Status::NotTls, Status::Timeout],
    );
}

#[tokio::test]
async fn endless_tiny_handshake_records() {
    let obs = probe(raw(|mut s| async move {
        read_hello(&mut s).await;
        let mut stream = server_hello();
        stream.extend_from_slice(&certificate_message(1, 60000));
        for b in stream.iter().cycle() {
            if s.write_all(&record(0x16, &[*b])).await.is_err() {
                return;
            }
        }
    }))
    .await;
    assert_failed(&obs, &[Status::HandshakeFailed, Status::Timeout]);
}

#[tokio::test]
async fn hundred_certificate_chain() {
    let obs = probe(raw(|mut s| async move {
        read_hello(&mut s).await;
        let mut flight = server_hello();
        flight.extend_from_slice(&certificate_message(100, 10_000));
        flight.extend_from_slice(&handshake(0x0e, &[]));
        let _ = s.write_all(&records(&flight)).await;
        read_hello(&mut s).await;
    }))
    .await;
    // Either read in full or refused as too large: a clear answer, in time.
    assert!(
        matches!(obs.status, Status::Ok | Status::HandshakeFailed),
        "{obs:?}"
    );
    if obs.status == Status::Ok {
        assert_eq!(obs.chain.len(), 100);
    }
}

#[tokio::test]
async fn reset_after_server_hello() {
    let obs = probe(raw(|mut s| async move {
        read_hello(&mut s).await;
        let _ = s.write_all(&record(0x16, &server_hello())).await;
        // Linger 0 turns the close into a TCP reset, and never blocks.
        #[allow(deprecated)]
        let _ = s.set_linger(Some(Duration::ZERO));
        drop(s);
    }))
    .await;
    assert_failed(&obs, &[Status::HandshakeFailed]);
}

#[tokio::test]
async fn fatal_alert() {
    let obs = probe(raw(|mut s| async move {
        read_hello(&mut s).await;
        let _ = s.write_all(&record(0x15, &[0x02, 0x28])).await;
    }))
    .await;
    assert_failed(&obs, &[Status::HandshakeFailed]);
    let error = obs.error.unwrap().to_ascii_lowercase();
    assert!(
        error.contains("handshake") && error.contains("failure"),
        "names the alert: {error}"
    );
}

#[tokio::test]
async fn hello_retry_request_loop() {
    const HRR_RANDOM: [u8; 32] = [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8,
        0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
        0x33, 0x9c,
    ];
    let obs = probe(raw(|mut s| async move {
        let mut body = vec![0x03, 0x03];
        body.extend_from_slice(&HRR_RANDOM);
        body.extend_from_slice(&[0x00, 0x13, 0x01, 0x00]);
        body.extend_from_slice(&[
            0x00, 0x0c, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00, 0x02, 0x00, 0x17,
        ]);
        let hrr = record(0x16, &handshake(0x02, &body));
        for _ in 0..20 {
            read_hello(&mut s).await;
            if s.write_all(&hrr).await.is_err() {
                return;
            }
        }
    }))
    .await;
    assert_failed(&obs, &[Status::HandshakeFailed]);
}

#[tokio::test]
async fn plain_http() {
    let obs = probe(Service::PlainHttp).await;
    assert_eq!(obs.status, Status::NotTls, "{:?}", obs.error);
}

#[tokio::test]
async fn closes_halfway_through_the_certificate() {
    let obs = probe(raw(|mut s| async move {
        read_hello(&mut s).await;
        let mut flight = server_hello();
        let cert = certificate_message(2, 1500);
        flight.extend_from_slice(&cert[..cert.len() / 2]);
        let _ = s.write_all(&record(0x16, &flight)).await;
        let _ = s.shutdown().await;
    }))
    .await;
    assert_failed(&obs, &[Status::HandshakeFailed]);
}
