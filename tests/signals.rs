//! Real signals and real limits against the real binary: SIGHUP (a dropped
//! SSH session) keeps what was collected, a low open-files limit is said
//! out loud and does not serialise the scan, and loose flags are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_excert");

/// A server that accepts and never says a word, so probes hang until
/// their timeout. The receiver hears of each accepted connection, so a test
/// can wait until probing has begun.
fn silent_server() -> (u16, mpsc::Receiver<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (accepted, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
            let _ = accepted.send(());
        }
    });
    (port, rx)
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn sighup_writes_what_was_collected_marked_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let (port, accepted) = silent_server();
    let port = port.to_string();
    let mut child = Command::new(BIN)
        .args(["scan", "127.0.0.1", "127.0.0.2", "--frontend-ports", &port])
        .args([
            "--backend-ports",
            "1",
            "--timeout",
            "60",
            "--out",
            p(&out_dir),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    accepted
        .recv_timeout(Duration::from_secs(30))
        .expect("the scan connects to the silent server");
    let sent = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped promptly"
    );
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    let scan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("scan.json")).unwrap()).unwrap();
    assert_eq!(scan["complete"], false);
    assert!(out_dir.join("report.html").exists());
}

#[test]
fn a_low_open_files_limit_is_reported_and_keeps_a_useful_floor() {
    let dir = tempfile::tempdir().unwrap();
    // 64 endpoints on closed loopback ports: each refuses at once.
    let ports: Vec<String> = (30_002..30_066).map(|p| p.to_string()).collect();
    let script = format!(
        "ulimit -n 40 && exec {BIN} scan 127.0.0.1 --frontend-ports {} --backend-ports 1 --out {}",
        ports.join(","),
        p(&dir.path().join("out"))
    );
    let out = Command::new("sh").args(["-c", &script]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the open-files limit (40) allows") && err.contains("instead of 256"),
        "{err}"
    );
    // Refusals are answers: the scan finished and found nothing healthy.
    assert_eq!(out.status.code(), Some(3), "{err}");
}

fn usage_error(args: &[&str], expect: &str) {
    let out = Command::new(BIN).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{args:?}: {err}");
    assert!(err.contains(expect), "{args:?}: {err}");
}

#[test]
fn loose_flags_are_refused() {
    usage_error(&["scan", "h", "--timeout", "1e-9"], "between 0.01 and 3600");
    usage_error(&["scan", "h", "--connect-timeout", "0.001"], "between 0.01");
    usage_error(&["scan", "h", "--sni", "a b<script>"], "--sni");
    usage_error(&["scan", "h", "--sni", "a_b..c"], "not a DNS name");
    usage_error(&["scan", "h", "--namespace", ""], "--namespace");
    usage_error(
        &["scan", "h", "--namespace", "mail\u{1b}[31m.contoso.com"],
        "\\u{001B}",
    );
}
