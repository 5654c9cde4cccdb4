//! Politeness: however many ports one server has, excert never holds more
//! than two connections to its address at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod lab_support;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use excert::config::ProbeOptions;
use excert::model::{Role, Status};
use excert::probe::probe_all;
use lab_support::endpoint;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

type Spans = Arc<Mutex<Vec<(Instant, Instant)>>>;

/// Listeners on `ports` ports of one loopback address that accept, hold
/// each connection without a word until the client closes, and record
/// when each connection was open.
async fn recording_server(ports: usize) -> (IpAddr, Vec<u16>, Spans) {
    let ip: IpAddr = "127.0.0.1".parse().unwrap();
    let spans: Spans = Arc::default();
    let mut bound = Vec::new();
    for _ in 0..ports {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await.unwrap();
        bound.push(listener.local_addr().unwrap().port());
        let spans = spans.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let spans = spans.clone();
                tokio::spawn(async move {
                    let opened = Instant::now();
                    let mut buf = [0u8; 1024];
                    let hold =
                        async { while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {} };
                    let _ = tokio::time::timeout(Duration::from_secs(5), hold).await;
                    spans.lock().unwrap().push((opened, Instant::now()));
                });
            }
        });
    }
    (ip, bound, spans)
}

/// Most connections open at once. The server notices a close a moment
/// after the client made it, so each span is trimmed by `slack`.
fn peak(spans: &[(Instant, Instant)], slack: Duration) -> usize {
    spans
        .iter()
        .map(|(start, _)| {
            spans
                .iter()
                .filter(|(s, e)| s <= start && *start < e.checked_sub(slack).unwrap_or(*s))
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn at_most_two_connections_per_address() {
    let (ip, ports, spans) = recording_server(12).await;
    let endpoints = ports
        .iter()
        .map(|&p| {
            (
                endpoint("ex01.contoso.lab", ip, p, Role::Frontend, None),
                None,
            )
        })
        .collect();
    let opts = ProbeOptions {
        connect_timeout: Duration::from_secs(2),
        handshake_timeout: Duration::from_millis(200),
        endpoint_deadline: Duration::from_secs(3),
        retries: 0,
        protocol_scan: false,
        ..ProbeOptions::default()
    };
    let probed = probe_all(endpoints, &opts, excert::Cancel::default()).await;
    assert!(probed.complete);
    assert_eq!(probed.evidence.len(), 12);
    assert!(probed
        .evidence
        .iter()
        .all(|e| e.observation.status == Status::Timeout));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let spans = spans.lock().unwrap().clone();
    assert_eq!(
        spans.len(),
        12,
        "one connection per endpoint (no hellos after a timeout)"
    );
    let most = peak(&spans, Duration::from_millis(100));
    assert!(
        (1..=2).contains(&most),
        "{most} connections at once to one address"
    );
}
