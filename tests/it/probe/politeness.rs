//! Politeness: however many ports one server has, excert never holds more
//! than two connections to its address at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;

use std::io::{ErrorKind, Read};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use excert::config::ProbeOptions;
use excert::model::{Role, Status};
use excert::probe::probe_all;
use lab_support::endpoint;

/// What the listeners saw: the connections still open, how many were
/// accepted, and the most that were open at once.
#[derive(Default)]
struct Seen {
    open: Vec<TcpStream>,
    accepted: usize,
    peak: usize,
}

type Recorder = Arc<(Mutex<Seen>, Condvar)>;

/// Whether the client has closed `stream`: on loopback its FIN is queued
/// before its next SYN is sent, so a read that finds end-of-stream right
/// when the next connection is accepted tells the order without timing.
fn closed(mut stream: &TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return true,
        }
    }
}

/// Listeners on `ports` ports of one loopback address that accept and hold
/// each connection without a word. At every accept, the connections the
/// client already closed are dropped and the rest counted.
fn recording_server(ports: usize) -> (IpAddr, Vec<u16>, Recorder) {
    // An address of its own: other suites in this binary find "closed"
    // ports on 127.0.0.1 by binding port 0 and letting go, and one of those
    // ports may be handed to a listener here and counted as excert's.
    let ip: IpAddr = "127.0.93.1".parse().unwrap();
    let seen: Recorder = Arc::default();
    let mut bound = Vec::new();
    for _ in 0..ports {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0)).unwrap();
        bound.push(listener.local_addr().unwrap().port());
        let seen = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                stream.set_nonblocking(true).unwrap();
                let (lock, changed) = &*seen;
                let mut s = lock.lock().unwrap();
                s.open.retain(|o| !closed(o));
                s.open.push(stream);
                s.accepted += 1;
                s.peak = s.peak.max(s.open.len());
                changed.notify_all();
            }
        });
    }
    (ip, bound, seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn at_most_two_connections_per_address() {
    let (ip, ports, seen) = recording_server(12);
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
    // The kernel completes a connection before the listener thread takes
    // it: wait until every one was taken (or the count is plainly wrong).
    let (lock, changed) = &*seen;
    let (s, _) = changed
        .wait_timeout_while(lock.lock().unwrap(), Duration::from_secs(10), |s| {
            s.accepted < 12
        })
        .unwrap();
    assert_eq!(
        s.accepted, 12,
        "one connection per endpoint (no hellos after a timeout)"
    );
    assert!(
        (1..=2).contains(&s.peak),
        "{} connections at once to one address",
        s.peak
    );
}
