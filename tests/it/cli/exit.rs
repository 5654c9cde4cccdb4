//! The command line as monitoring systems and admins meet it: help, exit
//! codes (Nagios convention), and interruption.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;

use excert::lab::{certs, HostSpec, Lab, LabCa, Service};
use excert::model::Status;
use lab_support::*;
use time::{Duration, OffsetDateTime};

/// One server: public cert with `public_days` left, healthy backend.
async fn one_server(public_days: i64) -> (Lab, LabCa) {
    let now = OffsetDateTime::now_utc();
    let ca = LabCa::new(now);
    let public = ca.issue(
        &["ex01.contoso.lab"],
        now - Duration::days(300),
        now + Duration::days(public_days),
        &certs::key(8),
    );
    let backend = certs::exchange_self_signed(
        "EX01",
        "contoso.lab",
        now - Duration::days(400),
        &certs::key(1),
    );
    let lab = Lab::start(vec![HostSpec {
        name: "EX01".into(),
        frontend: Service::Tls(public),
        backend: Service::Tls(backend),
        smtp: Service::Closed,
    }])
    .await
    .unwrap();
    (lab, ca)
}

/// `excert scan` trusting the lab CA, writing under `dir/out`.
fn scan_args(ca: &LabCa, dir: &std::path::Path) -> Vec<String> {
    let ca_path = dir.join("root.pem");
    std::fs::write(&ca_path, ca.root_pem()).unwrap();
    strings(&[
        "scan",
        "--ca-bundle",
        &path_arg(&ca_path),
        "--out",
        &path_arg(&dir.join("out")),
    ])
}

async fn scan_code(lab: &Lab, ca: &LabCa, extra: &[&str]) -> (i32, String) {
    let (_t, dir) = tmp();
    let mut args = scan_args(ca, &dir);
    args.extend(lab_args(lab));
    args.extend(strings(extra));
    let out = excert(&args).await;
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_follow_the_nagios_convention() {
    let (healthy, ca) = one_server(200).await;
    assert_eq!(
        scan_code(&healthy, &ca, &[]).await.0,
        0,
        "nothing at warning or above"
    );

    let (warning, ca) = one_server(45).await;
    assert_eq!(
        scan_code(&warning, &ca, &[]).await.0,
        1,
        "45 days left is a warning"
    );
    assert_eq!(
        scan_code(&warning, &ca, &["--fail-on", "critical"]).await.0,
        0
    );

    let (critical, ca) = one_server(10).await;
    assert_eq!(
        scan_code(&critical, &ca, &[]).await.0,
        2,
        "10 days left is critical"
    );
    assert_eq!(
        scan_code(&critical, &ca, &["--fail-on", "never"]).await.0,
        0
    );

    let dead = Lab::start(vec![HostSpec {
        name: "EX09".into(),
        frontend: Service::Closed,
        backend: Service::Closed,
        smtp: Service::Closed,
    }])
    .await
    .unwrap();
    assert_eq!(
        scan_code(&dead, &ca, &[]).await.0,
        3,
        "nothing could be scanned"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn output_streams_stay_clean_for_scripts() {
    let (lab, ca) = one_server(200).await;
    let (_t, dir) = tmp();
    let mut args = scan_args(&ca, &dir);
    args.extend(lab_args(&lab));
    let out = excert(&args).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "no progress bar when stderr is not a terminal"
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("report.html") && !summary.contains('\u{1b}'),
        "plain summary: {summary}"
    );

    args.push("--quiet".into());
    let out = excert(&args).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "--quiet prints nothing but errors"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_64_and_help_has_examples() {
    let out = excert(&strings(&["scan", "--no-such-flag"])).await;
    assert_eq!(out.status.code(), Some(64));
    let out = excert(&strings(&["scan", "ex01", "--timeout", "0"])).await;
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--timeout"));
    let out = excert(&strings(&["report", "/no/such/scan.json"])).await;
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/scan.json"));

    let out = excert(&strings(&["--help"])).await;
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("Examples:") && help.contains("excert demo"),
        "{help}"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_leaves_valid_reports_marked_incomplete() {
    // 40 silent hosts (SMTP closed): each probe waits for its 20 s timeout,
    // so the scan is mid-flight when it is stopped. Each accepted connection
    // is announced, so the signal goes once probing has begun.
    let (accepted, mut first) = tokio::sync::mpsc::unbounded_channel::<()>();
    let silent = Service::Raw(std::sync::Arc::new(move |stream| {
        let accepted = accepted.clone();
        Box::pin(async move {
            let _ = accepted.send(());
            // Hold the connection open without a word until the test ends.
            std::future::pending::<()>().await;
            drop(stream);
        })
    }));
    let specs = (0..40)
        .map(|i| HostSpec {
            name: format!("HANG{i:02}"),
            frontend: silent.clone(),
            backend: silent.clone(),
            smtp: Service::Closed,
        })
        .collect();
    let lab = Lab::start(specs).await.unwrap();
    let (_t, dir) = tmp();
    let mut args = strings(&["scan", "--out", &path_arg(&dir), "--concurrency", "8"]);
    args.extend(lab_args(&lab));
    args.extend(strings(&["--timeout", "20"]));
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_excert"))
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(30), first.recv())
        .await
        .expect("the scan connects to a lab host");
    let pid = child.id().unwrap().to_string();
    let started = std::time::Instant::now();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "stops within a second or so"
    );
    assert_ne!(
        out.status.code(),
        Some(0),
        "an interrupted scan exits non-zero"
    );

    let report = read_scan(&dir);
    assert!(!report.complete, "scan.json says it is incomplete");
    assert_eq!(
        report.endpoints.len(),
        120,
        "every endpoint (443, 444 and SMTP per host) is listed, probed or not"
    );
    assert!(report.endpoints.iter().all(|e| e.status != Status::Ok));
    assert!(report
        .endpoints
        .iter()
        .any(|e| e.status == Status::Cancelled));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.to_ascii_lowercase().contains("incomplete"),
        "the HTML says so too"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            !matches!(
                n.as_str(),
                "scan.json" | "report.csv" | "servers.csv" | "report.html" | "remediation.ps1"
            )
        })
        .collect();
    assert!(
        leftovers.is_empty(),
        "no half-written temp files: {leftovers:?}"
    );
}
