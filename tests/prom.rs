//! `--prom FILE`: what node_exporter's textfile collector and Prometheus
//! would read. The file is checked by `promtool check metrics` (Debian's
//! `prometheus` package) and parsed by the Python `prometheus_client`
//! parser (`python3-prometheus-client`), and every value is compared with
//! scan.json. Both are installed by .ci/run; set EXCERT_REQUIRE_PROMETHEUS=1
//! to fail instead of skipping when they are missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod lab_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use excert::lab::{demo_fleet, Lab};
use excert::model::{Grade, ScanReport, Status};
use lab_support::*;
use time::OffsetDateTime;

/// One sample: metric name, labels, value.
#[derive(Debug, serde::Deserialize)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1], encoding="utf-8").read()
out = []
for family in text_string_to_metric_families(text):
    for s in family.samples:
        out.append({"name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps(out))
"#;

fn python() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import prometheus_client.parser"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn missing(what: &str) {
    if std::env::var_os("EXCERT_REQUIRE_PROMETHEUS").is_some() {
        panic!("{what} is required (EXCERT_REQUIRE_PROMETHEUS is set)");
    }
    eprintln!("skipping: {what} not installed");
}

/// Parse with the real client library; `None` when it is not installed.
fn parse(path: &Path) -> Option<Vec<Sample>> {
    let Some(py) = python() else {
        missing("python3-prometheus-client");
        return None;
    };
    let out = Command::new(py)
        .args(["-c", PARSE])
        .arg(path)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "prometheus_client rejected the file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("parser output"))
}

/// `promtool check metrics`: the format and naming lints Prometheus uses.
fn promtool_check(path: &Path) {
    let Ok(out) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(path).unwrap())
        .output()
    else {
        missing("promtool (Debian package prometheus)");
        return;
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The issue names `excert_cert_days_left`; promtool's naming lint would
    // have it in seconds, which is `excert_cert_not_after_seconds`. That
    // one lint is expected; a parse error or any other lint fails.
    let accepted = "excert_cert_days_left use base unit \"seconds\" instead of \"days\"";
    let problems: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && l.trim() != accepted)
        .collect();
    assert!(
        problems.is_empty() && matches!(out.status.code(), Some(0 | 3)),
        "promtool check metrics: {text}"
    );
}

fn find<'a>(samples: &'a [Sample], name: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect()
}

fn one(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found = find(samples, name, labels);
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0].value
}

/// Every series agrees with scan.json.
fn assert_matches_scan(samples: &[Sample], report: &ScanReport) {
    let mut certs = 0;
    for e in &report.endpoints {
        let port = e.endpoint.port.to_string();
        let base = [
            ("host", e.endpoint.host.as_str()),
            ("port", port.as_str()),
            ("role", e.endpoint.role.as_str()),
        ];
        if let Some(leaf) = e.leaf() {
            certs += 1;
            let mut l = base.to_vec();
            l.push(("thumbprint", &leaf.sha1));
            l.push(("classification", leaf.classification.as_str()));
            assert_eq!(
                one(samples, "excert_cert_not_after_seconds", &l),
                leaf.not_after.expect("parsed").unix_timestamp() as f64
            );
            assert_eq!(
                one(samples, "excert_cert_days_left", &l),
                leaf.days_left.expect("parsed") as f64
            );
        }
        let up = if e.status == Status::Ok { 1.0 } else { 0.0 };
        assert_eq!(one(samples, "excert_endpoint_up", &base), up, "{base:?}");
        for sev in ["critical", "warning", "info"] {
            let mut l = base.to_vec();
            l.push(("severity", sev));
            let n = e
                .findings
                .iter()
                .filter(|f| f.severity.as_str() == sev)
                .count();
            assert_eq!(one(samples, "excert_findings", &l), n as f64, "{l:?}");
        }
    }
    assert_eq!(
        find(samples, "excert_cert_not_after_seconds", &[]).len(),
        certs
    );
    for s in &report.servers {
        let want = match s.severity {
            Grade::Ok => 0.0,
            Grade::Info => 1.0,
            Grade::Warning => 2.0,
            Grade::Critical => 3.0,
        };
        assert_eq!(
            one(samples, "excert_server_severity", &[("host", &s.host)]),
            want
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn scan_and_report_write_a_textfile_prometheus_reads_with_the_scans_values() {
    let fleet = demo_fleet(OffsetDateTime::now_utc());
    let (_tmp, dir) = tmp();
    let ca = dir.join("root.pem");
    std::fs::write(&ca, fleet.ca.root_pem()).unwrap();
    let lab = Lab::start(fleet.hosts).await.expect("lab starts");
    let prom = dir.join("excert.prom");
    let mut args = strings(&["scan", "-q", "--ca-bundle", &path_arg(&ca)]);
    args.extend(strings(&["--out", &path_arg(&dir.join("out"))]));
    args.extend(strings(&["--prom", &path_arg(&prom)]));
    for ns in &fleet.namespaces {
        args.extend(strings(&["--namespace", ns]));
    }
    args.extend(lab_args(&lab));
    let out = excert(&args).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "the demo fleet has critical servers"
    );
    let report = read_scan(&dir.join("out"));
    assert!(report.endpoints.iter().any(|e| e.status != Status::Ok));

    promtool_check(&prom);
    if let Some(samples) = parse(&prom) {
        assert_matches_scan(&samples, &report);
        // The closed backend port of EX06 is down, and says so.
        let ex06 = format!("ex06.{}", lab.domain);
        let be = lab.backend_port.to_string();
        assert_eq!(
            one(
                &samples,
                "excert_endpoint_up",
                &[("host", &ex06), ("port", &be)]
            ),
            0.0
        );
    }

    // `excert report` on the saved scan writes the same values.
    let again = dir.join("again.prom");
    let saved = path_arg(&dir.join("out").join("scan.json"));
    let out = excert(&strings(&[
        "report",
        &saved,
        "-q",
        "--out",
        &path_arg(&dir.join("re")),
        "--prom",
        &path_arg(&again),
    ]))
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(&prom).unwrap(),
        std::fs::read_to_string(&again).unwrap()
    );
    // Atomic: nothing but the finished files is left next to them.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
}

#[test]
fn a_hostile_host_name_stays_inside_its_label() {
    let mut report = common::sample_report();
    let hostile = "ex\"01\\evil\n} 1\nexcert_endpoint_up{host=\"x";
    let first = report.servers[0].host.clone();
    for e in report
        .endpoints
        .iter_mut()
        .filter(|e| e.endpoint.host == first)
    {
        e.endpoint.host = hostile.into();
    }
    report.servers[0].host = hostile.into();
    let (_tmp, dir) = tmp();
    let path = dir.join("hostile.prom");
    excert::report::prom::write(&report, &path).unwrap();
    promtool_check(&path);
    if let Some(samples) = parse(&path) {
        let hosts: Vec<&str> = samples
            .iter()
            .filter_map(|s| s.labels.get("host").map(String::as_str))
            .collect();
        assert!(hosts.contains(&hostile), "{hosts:?}");
        assert!(!samples
            .iter()
            .any(|s| s.labels.get("host").map(String::as_str) == Some("x")));
    }
}
