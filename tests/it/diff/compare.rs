//! `excert diff`: a maintenance window simulated on loopback. The same
//! names are pinned with `--resolve` first to the "before" servers, then to
//! the "after" ones (renewed, rebound, newly broken), and the real binary
//! compares the two saved scans.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use excert::lab::certs::{self, LabCa};
use excert::lab::{HostSpec, Lab, Service, DOMAIN};
use lab_support::*;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

/// One lab holding both versions of every server (`EX01-BEFORE`,
/// `EX01-AFTER`, ...), so both scans see the same ports.
struct Window {
    lab: Lab,
    ca: PathBuf,
    namespaces: Vec<String>,
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

fn fqdn(short: &str) -> String {
    format!("{}.{DOMAIN}", short.to_ascii_lowercase())
}

async fn window() -> Window {
    let now = OffsetDateTime::now_utc();
    let ca = LabCa::new(now);
    let mail = format!("mail.{DOMAIN}");
    let names = [mail.as_str()];
    let public = Service::Tls(ca.issue(
        &names,
        now - Duration::days(100),
        now + Duration::days(300),
        &certs::key(8),
    ));
    let backend = |short: &str, key: usize, not_before: OffsetDateTime| {
        Service::Tls(certs::exchange_self_signed(
            short,
            DOMAIN,
            not_before,
            &certs::key(key),
        ))
    };
    let expired = |short: &str, key: usize| {
        backend(short, key, certs::plus_years(now - Duration::days(10), -5))
    };
    let fresh = |short: &str, key: usize| backend(short, key, now - Duration::days(1));
    let host = |name: &str, frontend: Service, backend: Service| HostSpec {
        name: name.into(),
        frontend,
        backend,
        smtp: Service::Closed,
    };
    let hosts = vec![
        // EX01: healthy before; during the window someone bound a
        // self-signed cert to the Default Web Site (public binding lost).
        host("EX01-BEFORE", public.clone(), fresh("EX01", 1)),
        host("EX01-AFTER", fresh("EX01", 2), fresh("EX01", 1)),
        // EX02: expired backend cert, renewed in the window.
        host("EX02-BEFORE", public.clone(), expired("EX02", 3)),
        host("EX02-AFTER", public.clone(), fresh("EX02", 3)),
        // EX03: lost binding before, public cert rebound in the window.
        host("EX03-BEFORE", fresh("EX03", 4), fresh("EX03", 5)),
        host("EX03-AFTER", public.clone(), fresh("EX03", 5)),
        // EX04: untouched.
        host("EX04-BEFORE", public.clone(), fresh("EX04", 6)),
        host("EX04-AFTER", public.clone(), fresh("EX04", 6)),
        // EX05 is decommissioned; EX06 is new (and its backend is down).
        host("EX05-BEFORE", public.clone(), fresh("EX05", 7)),
        host("EX06-AFTER", public.clone(), Service::Closed),
    ];
    let (tmp, dir) = tmp();
    let ca_path = dir.join("root.pem");
    std::fs::write(&ca_path, ca.root_pem()).unwrap();
    Window {
        lab: Lab::start(hosts).await.expect("lab starts"),
        ca: ca_path,
        namespaces: vec![mail],
        _tmp: tmp,
        dir,
    }
}

impl Window {
    fn ip(&self, name: &str) -> IpAddr {
        self.lab
            .hosts
            .iter()
            .find(|h| h.name == name)
            .unwrap_or_else(|| panic!("no lab host {name}"))
            .ip
    }

    /// Scan `EXnn` names pinned to the `EXnn-<phase>` servers; returns the
    /// scan.json path.
    async fn scan(&self, phase: &str, shorts: &[&str]) -> PathBuf {
        let out = self.dir.join(phase);
        let mut args = strings(&["scan", "-q", "--ca-bundle", &path_arg(&self.ca)]);
        args.extend(strings(&["--out", &path_arg(&out)]));
        args.extend(strings(&[
            "--frontend-ports",
            &self.lab.frontend_port.to_string(),
            "--backend-ports",
            &self.lab.backend_port.to_string(),
        ]));
        for ns in &self.namespaces {
            args.extend(strings(&["--namespace", ns]));
        }
        for short in shorts {
            let ip = self.ip(&format!("{short}-{phase}"));
            args.push(fqdn(short));
            args.extend(strings(&["--resolve", &format!("{}:{ip}", fqdn(short))]));
        }
        let done = excert(&args).await;
        assert!(
            matches!(done.status.code(), Some(0..=2)),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        out.join("scan.json")
    }
}

struct Diffed {
    code: i32,
    stdout: String,
    stderr: String,
    json: Value,
    html: String,
}

async fn diff(old: &Path, new: &Path, out: &Path, extra: &[&str]) -> Diffed {
    let mut args = strings(&["diff", &path_arg(old), &path_arg(new)]);
    args.extend(strings(&["--out", &path_arg(out)]));
    args.extend(strings(extra));
    let done = excert(&args).await;
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap_or_default();
    Diffed {
        code: done.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&done.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&done.stderr).into_owned(),
        json: serde_json::from_str(&read("diff.json")).unwrap_or(Value::Null),
        html: read("diff.html"),
    }
}

/// Changes for `short` as `(kind, finding_id or "")`.
fn changes_of(d: &Value, short: &str) -> Vec<(String, String)> {
    let host = fqdn(short);
    d["changes"]
        .as_array()
        .expect("changes is a list")
        .iter()
        .filter(|c| c["host"] == host.as_str())
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_string(),
                c["finding_id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn has(list: &[(String, String)], kind: &str, id: &str) -> bool {
    list.iter().any(|(k, i)| k == kind && i == id)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_maintenance_window_shows_what_broke_what_was_fixed_and_what_moved() {
    let w = window().await;
    let before = w
        .scan("BEFORE", &["EX01", "EX02", "EX03", "EX04", "EX05"])
        .await;
    let after = w
        .scan("AFTER", &["EX01", "EX02", "EX03", "EX04", "EX06"])
        .await;
    let d = diff(&before, &after, &w.dir.join("diff"), &[]).await;
    let j = &d.json;
    assert_eq!(j["schema_version"], 1, "{}", d.stderr);

    // EX01 lost its public binding: critical regression, exit 2.
    let ex01 = changes_of(j, "EX01");
    assert!(
        has(&ex01, "finding_added", "public-binding-lost"),
        "{ex01:?}"
    );
    assert!(has(&ex01, "cert_changed", ""), "{ex01:?}");
    assert_eq!(d.code, 2, "{}", d.stdout);

    // EX02's backend was renewed: the expiry finding is resolved, and the
    // certificate change carries both thumbprints and expiry dates.
    let ex02 = changes_of(j, "EX02");
    assert!(
        has(&ex02, "finding_resolved", "backend-cert-expired"),
        "{ex02:?}"
    );
    let renewed = j["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["host"] == fqdn("EX02").as_str() && c["kind"] == "cert_changed")
        .expect("EX02 cert_changed");
    assert_eq!(renewed["role"], "backend");
    assert_eq!(renewed["port"], w.lab.backend_port);
    for field in [
        "old_sha256",
        "new_sha256",
        "old_thumbprint",
        "new_thumbprint",
        "old_not_after",
        "new_not_after",
    ] {
        assert!(renewed[field].is_string(), "{field}: {renewed}");
    }
    assert_ne!(renewed["old_sha256"], renewed["new_sha256"]);
    assert_eq!(renewed["impact"], "fix");
    // The renewal is one event: one row in diff.html and one line on the
    // terminal, saying what the new certificate cleared.
    let rows: Vec<&str> = d
        .html
        .split("<tr class=\"change\"")
        .skip(1)
        .filter(|r| r.contains(&fqdn("EX02")))
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("Certificate changed"), "{}", rows[0]);
    assert!(
        rows[0].contains("clears backend-cert-expired"),
        "{}",
        rows[0]
    );
    let lines: Vec<&str> = d
        .stdout
        .lines()
        .filter(|l| l.contains(&fqdn("EX02")))
        .collect();
    assert_eq!(lines.len(), 1, "{}", d.stdout);
    assert!(lines[0].starts_with("  FIX"), "{}", d.stdout);

    // EX03 was rebound.
    let ex03 = changes_of(j, "EX03");
    assert!(
        has(&ex03, "finding_resolved", "public-binding-lost"),
        "{ex03:?}"
    );
    // EX04 did not change: no entry at all.
    assert!(
        changes_of(j, "EX04").is_empty(),
        "{:?}",
        changes_of(j, "EX04")
    );
    // EX05 left the scan, EX06 joined it.
    assert_eq!(
        changes_of(j, "EX05").len(),
        3,
        "all its ports removed (443, 444 and SMTP 25)"
    );
    assert!(changes_of(j, "EX05")
        .iter()
        .all(|(k, _)| k == "endpoint_removed"));
    assert!(changes_of(j, "EX06")
        .iter()
        .all(|(k, _)| k == "endpoint_added"));
    assert_eq!(changes_of(j, "EX06").len(), 3, "443, 444 and SMTP 25 added");

    // Regressions come first in diff.json and in diff.html.
    let impacts: Vec<&str> = j["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["impact"].as_str().unwrap())
        .collect();
    let mut sorted = impacts.clone();
    sorted.sort_by_key(|i| ["regression", "fix", "other"].iter().position(|x| x == i));
    assert_eq!(impacts, sorted);
    let at = |s: &str| d.html.find(s).unwrap_or_else(|| panic!("{s} in diff.html"));
    assert!(at("id=\"regressions\"") < at("id=\"fixes\""));
    assert!(at("id=\"fixes\"") < at("id=\"other\""));
    assert!(at("id=\"regressions\"") < at("public-binding-lost"));
    assert!(d.html.contains("Content-Security-Policy"));
    assert!(!d.html.contains("<script"));
    assert!(d.stdout.contains("REGRESSION"), "{}", d.stdout);
    assert!(
        d.stdout.lines().count() <= 14,
        "short summary: {}",
        d.stdout
    );

    // The other way round, the window's fixes are the regressions: the
    // expired backend comes back, a critical finding added.
    let back = diff(&after, &before, &w.dir.join("back"), &[]).await;
    assert!(has(
        &changes_of(&back.json, "EX02"),
        "finding_added",
        "backend-cert-expired"
    ));
    assert_eq!(back.code, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fix_only_window_exits_0_and_a_scan_against_itself_has_no_changes() {
    let w = window().await;
    let before = w.scan("BEFORE", &["EX02", "EX03", "EX04"]).await;
    let after = w.scan("AFTER", &["EX02", "EX03", "EX04"]).await;
    let d = diff(&before, &after, &w.dir.join("fixes"), &[]).await;
    assert_eq!(d.code, 0, "only fixes: {}", d.stdout);
    assert!(d.json["counts"]["fixes"].as_u64().unwrap() >= 2);
    assert_eq!(d.json["counts"]["regressions"], 0);

    let same = diff(&after, &after, &w.dir.join("same"), &[]).await;
    assert_eq!(same.code, 0);
    assert_eq!(same.json["changes"], serde_json::json!([]));
    assert!(same.html.contains("id=\"no-changes\""));
    for scan in ["old", "new"] {
        assert!(same.json[scan]["started_at"].is_string());
        assert!(same.json[scan]["as_of"].is_string());
    }

    // An input is never overwritten: a scan saved as diff.json in the
    // output folder stops the run before anything is written.
    let clash = w.dir.join("clash");
    std::fs::create_dir_all(&clash).unwrap();
    let input = clash.join("diff.json");
    std::fs::copy(&before, &input).unwrap();
    let kept = std::fs::read(&input).unwrap();
    let d = diff(&input, &after, &clash, &[]).await;
    assert_eq!(d.code, 64, "{}", d.stderr);
    assert!(
        d.stderr.contains("would overwrite the input"),
        "{}",
        d.stderr
    );
    assert_eq!(std::fs::read(&input).unwrap(), kept);
    assert!(!clash.join("diff.html").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn time_passing_alone_is_not_a_change() {
    let w = window().await;
    let scan = w.scan("AFTER", &["EX04"]).await;
    // The same evidence judged six years on: every cert has expired.
    let later = w.dir.join("later");
    std::fs::create_dir_all(&later).unwrap();
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&scan).unwrap()).unwrap();
    let future = (OffsetDateTime::now_utc() + Duration::days(6 * 365))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    saved["as_of"] = Value::String(future.clone());
    saved["started_at"] = Value::String(future);
    let later_scan = later.join("scan.json");
    std::fs::write(&later_scan, saved.to_string()).unwrap();

    // Both judged at the newer scan's as-of: nothing changed.
    let d = diff(&scan, &later_scan, &w.dir.join("d1"), &[]).await;
    assert_eq!(d.json["changes"], serde_json::json!([]), "{}", d.stderr);
    assert_eq!(d.code, 0);
    assert_eq!(d.json["as_of"], d.json["new"]["as_of"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_input_exits_64_naming_the_file() {
    let (_tmp, dir) = tmp();
    let good = dir.join("missing.json");
    let bad = dir.join("broken.json");
    std::fs::write(&bad, "{\"schema_version\": 1, \"endpoints\": [").unwrap();
    let d = diff(&good, &bad, &dir.join("out"), &[]).await;
    assert_eq!(d.code, 64);
    assert!(d.stderr.contains("missing.json"), "{}", d.stderr);
    let d = diff(&bad, &bad, &dir.join("out"), &[]).await;
    assert_eq!(d.code, 64);
    assert!(d.stderr.contains("broken.json"), "{}", d.stderr);
    assert!(!dir.join("out").join("diff.json").exists());
}
