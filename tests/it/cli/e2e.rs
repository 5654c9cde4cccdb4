//! End to end through the real binary: the demo fleet on loopback, scanned
//! like production servers, then re-judged from scan.json.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;

use excert::lab::{demo_fleet, Lab};
use excert::model::{FindingId, Grade, Role, ScanReport, Status, Verdict};
use lab_support::*;
use time::OffsetDateTime;

struct Scanned {
    report: ScanReport,
    lab: Lab,
    dir: std::path::PathBuf,
    _tmp: tempfile::TempDir,
    code: i32,
}

async fn scan_demo_fleet(extra: &[&str]) -> Scanned {
    let fleet = demo_fleet(OffsetDateTime::now_utc());
    let (tmp, dir) = tmp();
    let ca = dir.join("root.pem");
    std::fs::write(&ca, fleet.ca.root_pem()).unwrap();
    let lab = Lab::start(fleet.hosts).await.expect("lab starts");
    let mut args = strings(&[
        "scan",
        "--ca-bundle",
        &path_arg(&ca),
        "--out",
        &path_arg(&dir.join("out")),
    ]);
    for ns in &fleet.namespaces {
        args.extend(strings(&["--namespace", ns]));
    }
    for (host, site) in &fleet.sites {
        args.extend(strings(&["--site", &format!("{host}={site}")]));
    }
    args.extend(lab_args(&lab));
    args.extend(strings(extra));
    let out = excert(&args).await;
    let report = read_scan(&dir.join("out"));
    Scanned {
        report,
        lab,
        dir: dir.join("out"),
        _tmp: tmp,
        code: out.status.code().unwrap_or(-1),
    }
}

fn server<'a>(r: &'a ScanReport, short: &str) -> &'a excert::model::ServerReport {
    let prefix = format!("{}.", short.to_ascii_lowercase());
    r.servers
        .iter()
        .find(|s| s.host.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no server {short}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_fleet_gets_the_verdicts_an_admin_expects() {
    let s = scan_demo_fleet(&[]).await;
    let (r, fe, be) = (&s.report, s.lab.frontend_port, s.lab.backend_port);
    assert!(r.complete);
    assert_eq!(r.endpoints.len(), 27, "9 hosts x 3 ports (443, 444, SMTP)");

    let smtp = s.lab.smtp_port;
    for e in r.endpoints.iter().filter(|e| e.endpoint.role == Role::Smtp) {
        assert_eq!(e.status, Status::Ok, "{}: {:?}", e.endpoint.host, e.error);
        assert!(e.tls.as_ref().unwrap().starttls, "{}", e.endpoint.host);
        let banner = &e.dialogue.smtp.as_ref().unwrap().banner;
        assert!(banner.contains("Microsoft ESMTP MAIL Service"), "{banner}");
    }
    assert_eq!(
        r.endpoints
            .iter()
            .filter(|e| e.endpoint.role == Role::Smtp)
            .count(),
        r.servers.len(),
        "SMTP on every server"
    );
    // The transport side of the renewal trap: EX02's 25 presents its own
    // renewed self-signed certificate, the rest of the fleet the public one.
    assert_eq!(ids(r, "EX02", smtp), ["smtp-cert-inconsistent"]);
    assert_eq!(server(r, "EX02").verdict, Verdict::FixTransportCert);
    assert_eq!(server(r, "EX02").severity, Grade::Warning);
    let fix = server(r, "EX02").remediation_lines().join("\n");
    assert!(
        fix.contains("-Services SMTP") && fix.contains("TlsCertificateName"),
        "{fix}"
    );
    let inconsistent: usize = r
        .endpoints
        .iter()
        .flat_map(|e| &e.findings)
        .filter(|f| f.id == FindingId::SmtpCertInconsistent)
        .count();
    assert_eq!(inconsistent, 1, "exactly one smtp-cert-inconsistent");
    // EX07 presents last year's public certificate on 25 too.
    assert_eq!(ids(r, "EX07", smtp), ["smtp-cert-expiring"]);

    for healthy in ["EX01"] {
        let srv = server(r, healthy);
        assert_eq!(srv.verdict, Verdict::Ok, "{healthy}: {srv:?}");
        assert!(
            matches!(srv.severity, Grade::Ok | Grade::Info),
            "{healthy}: {srv:?}"
        );
        for port in [fe, be] {
            let ids = ids(r, healthy, port);
            assert!(
                ids.is_empty()
                    || ids
                        .iter()
                        .all(|i| i.starts_with("legacy-") || i == "weak-signature"),
                "{ids:?}"
            );
        }
    }
    assert!(ids(r, "EX03", be).contains(&"backend-cert-expired".to_string()));
    assert_eq!(server(r, "EX03").verdict, Verdict::RenewBackend);
    assert_eq!(server(r, "EX03").severity, Grade::Critical);

    let ex04 = r
        .endpoints
        .iter()
        .find(|e| e.endpoint.host.starts_with("ex04.") && e.endpoint.port == be)
        .unwrap();
    let expiring = ex04
        .findings
        .iter()
        .find(|f| f.id == FindingId::BackendCertExpiring)
        .expect("EX04 expiring");
    assert_eq!(
        expiring.severity,
        excert::model::Severity::Critical,
        "20 days left is inside --critical-days 30"
    );
    assert_eq!(server(r, "EX04").verdict, Verdict::RenewBackend);

    assert!(ids(r, "EX05", fe).contains(&"public-binding-lost".to_string()));
    assert_eq!(server(r, "EX05").verdict, Verdict::RebindPublicCert);
    let steps = server(r, "EX05").remediation_lines().join("\n");
    let public_sha1 = &r
        .endpoints
        .iter()
        .find(|e| e.endpoint.host.starts_with("ex01.") && e.endpoint.port == fe)
        .unwrap()
        .chain[0]
        .sha1;
    assert!(
        steps.contains(public_sha1.as_str()),
        "the fix names the public thumbprint still bound elsewhere: {steps}"
    );

    let ex06 = r
        .endpoints
        .iter()
        .find(|e| e.endpoint.host.starts_with("ex06.") && e.endpoint.port == be)
        .unwrap();
    assert_eq!(ex06.status, Status::Refused);
    assert_eq!(
        server(r, "EX06").verdict,
        Verdict::Investigate,
        "never healthy when a port was not scanned"
    );

    assert!(ids(r, "EX07", fe).contains(&"public-cert-inconsistent".to_string()));
    assert!(!ids(r, "EX01", fe).contains(&"public-cert-inconsistent".to_string()));

    // EX08 is still on the previous certificate, valid for 100 more days:
    // a rollout in progress is info, with the newest one to roll out.
    assert_eq!(ids(r, "EX08", fe), ["public-cert-inconsistent"]);
    assert_eq!(server(r, "EX08").verdict, Verdict::Ok);
    assert_eq!(server(r, "EX08").severity, Grade::Info);
    let ex08 = r
        .endpoints
        .iter()
        .find(|e| e.endpoint.host.starts_with("ex08.") && e.endpoint.port == fe)
        .unwrap();
    assert!(ex08.findings[0]
        .remediation_text()
        .contains(&format!("-Thumbprint {public_sha1} -Services IIS")));
    // EX09, the branch office, has its own namespace and certificate: not
    // compared with HQ's, nothing to do.
    assert!(ids(r, "EX09", fe).is_empty(), "{:?}", ids(r, "EX09", fe));
    assert_eq!(server(r, "EX09").verdict, Verdict::Ok);
    assert_eq!(server(r, "EX09").group.site.as_deref(), Some("Branch"));
    // No step anywhere enables an older public certificate than EX01's.
    let older: Vec<&str> = ["EX07", "EX08"]
        .iter()
        .map(|h| {
            r.endpoints
                .iter()
                .find(|e| {
                    e.endpoint
                        .host
                        .starts_with(&format!("{}.", h.to_ascii_lowercase()))
                        && e.endpoint.port == fe
                })
                .unwrap()
                .chain[0]
                .sha1
                .as_str()
        })
        .collect();
    for srv in &r.servers {
        for step in &srv.remediation_steps {
            if step.task == excert::model::Task::EnablePublic {
                assert!(
                    !older
                        .iter()
                        .any(|o| step.thumbprints.iter().any(|t| t == o)),
                    "{}: {}",
                    srv.host,
                    step.text()
                );
            }
        }
    }

    assert_eq!(s.code, 2, "a critical finding exits 2");
    let html = std::fs::read_to_string(s.dir.join("report.html")).unwrap();
    for needle in ["EX03", "backend-cert-expired", "public-binding-lost"] {
        assert!(html.contains(needle), "report.html shows {needle}");
    }
    let csv = std::fs::read_to_string(s.dir.join("report.csv")).unwrap();
    assert_eq!(csv.lines().count(), 28, "a header and a row per endpoint");
}

#[tokio::test(flavor = "multi_thread")]
async fn report_reproduces_the_live_findings_and_looks_ahead() {
    let s = scan_demo_fleet(&[]).await;
    let scan_json = path_arg(&s.dir.join("scan.json"));
    let (_t, again) = tmp();
    let out = excert(&strings(&[
        "report",
        &scan_json,
        "--out",
        &path_arg(&again),
    ]))
    .await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replay = read_scan(&again);
    for (live, saved) in s.report.endpoints.iter().zip(&replay.endpoints) {
        assert_eq!(
            live.findings, saved.findings,
            "{}:{}",
            live.endpoint.host, live.endpoint.port
        );
    }
    assert_eq!(
        s.report
            .servers
            .iter()
            .map(|v| &v.verdict)
            .collect::<Vec<_>>(),
        replay
            .servers
            .iter()
            .map(|v| &v.verdict)
            .collect::<Vec<_>>()
    );

    // A year on, the public certificate (165 days left today) has expired.
    let next_year = (OffsetDateTime::now_utc() + time::Duration::days(365))
        .date()
        .to_string();
    let (_t2, ahead) = tmp();
    let out = excert(&strings(&[
        "report",
        &scan_json,
        "--as-of",
        &next_year,
        "--out",
        &path_arg(&ahead),
    ]))
    .await;
    assert_eq!(out.status.code(), Some(2));
    let future = read_scan(&ahead);
    assert!(
        ids(&future, "EX01", s.lab.frontend_port).contains(&"frontend-cert-expired".to_string())
    );
    assert!(
        !ids(&s.report, "EX01", s.lab.frontend_port).contains(&"frontend-cert-expired".to_string())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn report_refuses_a_scan_json_it_cannot_read() {
    let (_t, dir) = tmp();
    let bad = dir.join("scan.json");
    std::fs::write(&bad, r#"{"schema_version": 99, "endpoints": []}"#).unwrap();
    let out = excert(&strings(&[
        "report",
        &path_arg(&bad),
        "--out",
        &path_arg(&dir.join("o")),
    ]))
    .await;
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("schema_version 99") && err.contains("scan.json"),
        "{err}"
    );

    std::fs::write(&bad, "{ not json").unwrap();
    let out = excert(&strings(&["report", &path_arg(&bad)])).await;
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid JSON"));
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_command_writes_all_three_reports() {
    let (_t, dir) = tmp();
    let out = excert(&strings(&["demo", "--out", &path_arg(&dir)])).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "demo exits 0: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in ["scan.json", "report.csv", "report.html"] {
        assert!(dir.join(f).is_file(), "{f} written");
    }
    let report = read_scan(&dir);
    let verdicts: Vec<&str> = report.servers.iter().map(|s| s.verdict.as_str()).collect();
    assert!(
        verdicts.contains(&"renew-backend") && verdicts.contains(&"rebind-public-cert"),
        "{verdicts:?}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("report.html"),
        "the summary says where the report is: {stdout}"
    );
}
