//! The server's versions beyond its certificates: TLS 1.3 on a build that
//! does not support it, TLS versions that differ between servers of one
//! site or namespace, and Exchange versions past their end of support.
//! Saved evidence at fixed as-of dates, then one lab scan end to end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use crate::lab_support::{self, evidence};
use excert::analyze::trust::TrustRoots;
use excert::analyze::{analyze, catalog, Analysis};
use excert::config::AnalysisSettings;
use excert::lab::certs::{exchange_self_signed, key, plus_years, LabCa};
use excert::model::{
    EndpointEvidence, Finding, FindingId, Grade, Group, Role, Severity, TlsVersion, Verdict,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use TlsVersion::{Tls10, Tls12, Tls13};

/// After the end of support of 2016 and 2019 (2025-10-14).
const NOW: OffsetDateTime = datetime!(2026-01-15 12:00 UTC);
const NAMES: [&str; 2] = ["mail.contoso.com", "autodiscover.contoso.com"];

const CU14: &str = "Version 15.2 (Build 1544.4)";
const CU15: &str = "Version 15.2 (Build 1748.10)";
const SE: &str = "Version 15.2 (Build 2562.17)";
const E2016: &str = "Version 15.1 (Build 2507.6)";

fn settings(as_of: OffsetDateTime, ca: &LabCa) -> AnalysisSettings {
    AnalysisSettings {
        as_of,
        warn_days: 60,
        critical_days: 30,
        namespaces: NAMES.iter().map(|s| s.to_string()).collect(),
        site_namespaces: Default::default(),
        roots: Arc::new(TrustRoots::from_der([ca.root.as_ref()]).unwrap()),
        ca_bundles: vec![],
    }
}

/// The group `Get-ExchangeServer` gives a server of `site` on `version`.
fn group(site: &str, version: Option<&str>) -> Group {
    let v = version.and_then(excert::model::version_of);
    Group {
        site: Some(site.into()),
        exchange_version: v.as_ref().map(|v| v.0.clone()),
        exchange_build: v.map(|v| v.1),
        ..Group::default()
    }
}

/// A healthy server: the public certificate on 443 and its own on 444,
/// both accepting `versions`.
fn server(ca: &LabCa, host: &str, group: &Group, versions: &[TlsVersion]) -> Vec<EndpointEvidence> {
    let der = |s: excert::lab::Served| -> Vec<Vec<u8>> {
        s.chain.iter().map(|c| c.as_ref().to_vec()).collect()
    };
    let public = der(ca.issue(
        &NAMES,
        NOW - Duration::days(100),
        NOW + Duration::days(300),
        &key(1),
    ));
    let not_after = NOW + Duration::days(1000);
    let own = der(exchange_self_signed(
        host,
        "contoso.local",
        plus_years(not_after, -5),
        &key(2),
    ));
    vec![
        evidence::ep(host, Role::Frontend)
            .group(group.clone())
            .versions(versions)
            .chain(public)
            .evidence(),
        evidence::ep(host, Role::Backend)
            .group(group.clone())
            .versions(versions)
            .chain(own)
            .evidence(),
    ]
}

fn run(evidence: Vec<EndpointEvidence>, s: &AnalysisSettings) -> Analysis {
    let a = analyze(evidence, None, s);
    for f in a.endpoints.iter().flat_map(|e| &e.findings) {
        assert_eq!(f.title, catalog::entry(f.id).title);
        assert!(
            !f.detail.is_empty() && !f.remediation_text().is_empty(),
            "{f:?}"
        );
    }
    a
}

/// The findings with `id` on `host`'s endpoints.
fn on<'a>(a: &'a Analysis, host: &str, id: FindingId) -> Vec<&'a Finding> {
    a.endpoints
        .iter()
        .filter(|e| e.endpoint.host == host)
        .flat_map(|e| &e.findings)
        .filter(|f| f.id == id)
        .collect()
}

fn server_of<'a>(a: &'a Analysis, host: &str) -> &'a excert::model::ServerReport {
    a.servers.iter().find(|s| s.host == host).unwrap()
}

#[test]
fn tls13_on_a_build_before_cu15_is_a_warning_with_the_schannel_fix() {
    let ca = LabCa::new(NOW);
    let mut evidence = server(&ca, "EX01", &group("HQ", Some(CU14)), &[Tls12, Tls13]);
    evidence.extend(server(
        &ca,
        "EX02",
        &group("EU", Some(E2016)),
        &[Tls12, Tls13],
    ));
    let a = run(evidence, &settings(NOW, &ca));
    for (host, version) in [
        ("EX01", "Exchange 2019 (build 15.2.1544.4)"),
        ("EX02", "Exchange 2016"),
    ] {
        let found = on(&a, host, FindingId::Tls13Unsupported);
        assert_eq!(
            found.len(),
            1,
            "one per server, not one per port: {found:?}"
        );
        let f = found[0];
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.detail.contains(version), "{}", f.detail);
        assert!(f.detail.contains("port 443, 444"), "{}", f.detail);
        let text = f.remediation_text();
        assert!(
            text.contains(&format!("Invoke-Command -ComputerName {host}"))
                && text.contains("Protocols\\TLS 1.3\\$side")
                && text.contains("-Name Enabled -Value 0")
                && text.contains("-Name DisabledByDefault -Value 1"),
            "{text}"
        );
        let s = server_of(&a, host);
        assert_eq!(s.verdict, Verdict::Review);
        assert!(s.summary.contains("tls13-unsupported"), "{}", s.summary);
        assert!(s
            .remediation_lines()
            .iter()
            .any(|l| l.contains("Disable TLS 1.3 on")));
    }
}

#[test]
fn tls13_on_cu15_or_se_or_an_unknown_build_is_no_finding() {
    let ca = LabCa::new(NOW);
    let mut evidence = server(&ca, "EX01", &group("HQ", Some(CU15)), &[Tls12, Tls13]);
    evidence.extend(server(&ca, "EX02", &group("HQ", Some(SE)), &[Tls12, Tls13]));
    evidence.extend(server(&ca, "EX03", &group("HQ", None), &[Tls12, Tls13]));
    // `15.2` alone may be 2019 or SE.
    let partial = Group {
        exchange_version: Some("2019".into()),
        exchange_build: Some("15.2".into()),
        ..group("HQ", None)
    };
    evidence.extend(server(&ca, "EX04", &partial, &[Tls12, Tls13]));
    // TLS 1.2 only on an older build: nothing to disable.
    evidence.extend(server(&ca, "EX05", &group("EU", Some(CU14)), &[Tls12]));
    let a = run(evidence, &settings(NOW, &ca));
    for host in ["EX01", "EX02", "EX03", "EX04", "EX05"] {
        assert!(
            on(&a, host, FindingId::Tls13Unsupported).is_empty(),
            "{host}"
        );
    }
    // SE is current; the others' versions are past or unknown.
    let s = server_of(&a, "EX02");
    assert_eq!(
        (s.verdict, s.severity),
        (Verdict::Ok, Grade::Ok),
        "{}",
        s.summary
    );
}

#[test]
fn a_site_with_different_tls_versions_names_both_sides() {
    let ca = LabCa::new(NOW);
    let hq = group("HQ", Some(SE));
    let mut evidence = server(&ca, "EX01", &hq, &[Tls12, Tls13]);
    evidence.extend(server(&ca, "EX02", &hq, &[Tls12]));
    let a = run(evidence, &settings(NOW, &ca));
    // Two servers, one each side: both are told, each naming the other.
    for (host, other) in [("EX01", "EX02"), ("EX02", "EX01")] {
        let found = on(&a, host, FindingId::TlsVersionsInconsistent);
        assert_eq!(found.len(), 1, "{host}: one per server");
        let f = found[0];
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.detail.contains(other), "{}", f.detail);
        assert!(f.detail.contains("Extended Protection"), "{}", f.detail);
        assert_eq!(server_of(&a, host).verdict, Verdict::Review);
    }
    let f = on(&a, "EX02", FindingId::TlsVersionsInconsistent)[0];
    assert!(
        f.detail
            .contains("EX02:443 accepts TLSv1.2 and refuses TLSv1.0, TLSv1.1, TLSv1.3")
            && f.detail.contains("EX01 accept TLSv1.2, TLSv1.3"),
        "{}",
        f.detail
    );
}

#[test]
fn the_odd_server_out_is_named_not_the_ones_that_agree() {
    let ca = LabCa::new(NOW);
    let hq = group("HQ", Some(SE));
    let mut evidence = Vec::new();
    for host in ["EX01", "EX02", "EX03"] {
        evidence.extend(server(&ca, host, &hq, &[Tls12, Tls13]));
    }
    evidence.extend(server(&ca, "EX04", &hq, &[Tls10, Tls12, Tls13]));
    let a = run(evidence, &settings(NOW, &ca));
    let f = on(&a, "EX04", FindingId::TlsVersionsInconsistent);
    assert_eq!(f.len(), 1);
    assert!(
        f[0].detail
            .contains("EX01, EX02, EX03 accept TLSv1.2, TLSv1.3"),
        "{}",
        f[0].detail
    );
    for host in ["EX01", "EX02", "EX03"] {
        assert!(
            on(&a, host, FindingId::TlsVersionsInconsistent).is_empty(),
            "{host}"
        );
    }
}

#[test]
fn equal_sets_other_sites_and_untested_versions_are_no_difference() {
    let ca = LabCa::new(NOW);
    let mut s = settings(NOW, &ca);
    // Each site its own namespace: HQ and EU are not compared.
    s.namespaces.clear();
    s.site_namespaces = [
        ("HQ".to_string(), vec!["mail.contoso.com".to_string()]),
        ("EU".to_string(), vec!["mail-eu.contoso.com".to_string()]),
    ]
    .into_iter()
    .collect();
    let hq = group("HQ", Some(SE));
    let eu = group("EU", Some(SE));
    let mut evidence = server(&ca, "EX01", &hq, &[Tls12, Tls13]);
    evidence.extend(server(&ca, "EX02", &hq, &[Tls12, Tls13]));
    evidence.extend(server(&ca, "EX03", &eu, &[Tls12]));
    // EU: one server mapped only with the first hello (TLS 1.0 untested),
    // one that accepts TLS 1.0 too: nothing known differs.
    let mut first_hello_only = server(&ca, "EX04", &eu, &[Tls12]);
    for e in &mut first_hello_only {
        if let Some(t) = e.observation.tls.as_mut() {
            t.versions_scanned = false;
        }
    }
    evidence.extend(first_hello_only);
    let a = run(evidence, &s);
    for host in ["EX01", "EX02", "EX03", "EX04"] {
        assert!(
            on(&a, host, FindingId::TlsVersionsInconsistent).is_empty(),
            "{host}"
        );
    }
    // The same EU site with a fully mapped TLS 1.0 server differs.
    let mut evidence = server(&ca, "EX03", &eu, &[Tls12]);
    evidence.extend(server(&ca, "EX05", &eu, &[Tls10, Tls12]));
    let a = run(evidence, &s);
    assert_eq!(on(&a, "EX05", FindingId::TlsVersionsInconsistent).len(), 1);
    // A namespace in common brings two sites together.
    s.site_namespaces
        .insert("EU".into(), vec!["mail.contoso.com".into()]);
    let mut evidence = server(&ca, "EX01", &hq, &[Tls12, Tls13]);
    evidence.extend(server(&ca, "EX03", &eu, &[Tls12]));
    let a = run(evidence, &s);
    assert_eq!(on(&a, "EX03", FindingId::TlsVersionsInconsistent).len(), 1);
}

#[test]
fn out_of_support_is_info_with_the_date_and_changes_no_verdict() {
    let ca = LabCa::new(NOW);
    let mut evidence = server(&ca, "EX01", &group("HQ", Some(E2016)), &[Tls12]);
    evidence.extend(server(&ca, "EX02", &group("HQ", Some(SE)), &[Tls12]));
    evidence.extend(server(&ca, "EX03", &group("HQ", Some(CU14)), &[Tls12]));
    let a = run(evidence.clone(), &settings(NOW, &ca));
    for (host, product) in [("EX01", "Exchange 2016"), ("EX03", "Exchange 2019")] {
        let found = on(&a, host, FindingId::ExchangeOutOfSupport);
        assert_eq!(found.len(), 1, "{host}: one per server");
        assert_eq!(found[0].severity, Severity::Info);
        assert!(
            found[0].detail.contains(product) && found[0].detail.contains("2025-10-14"),
            "{}",
            found[0].detail
        );
        let s = server_of(&a, host);
        assert_eq!(s.verdict, Verdict::Ok, "{}", s.summary);
        assert!(s.remediation_steps.is_empty(), "info adds no step");
    }
    assert!(on(&a, "EX02", FindingId::ExchangeOutOfSupport).is_empty());
    // Before 2025-10-14, 2016 and 2019 were still supported.
    let before = datetime!(2025-10-14 12:00 UTC);
    let a = run(evidence, &settings(before, &ca));
    assert!(a
        .endpoints
        .iter()
        .flat_map(|e| &e.findings)
        .all(|f| f.id != FindingId::ExchangeOutOfSupport));
}

/// A lab fleet end to end: EX01 (2019 CU14) still accepts TLS 1.3, EX02
/// (CU14) serves TLS 1.2 only, EX03 (SE) serves both; the CSV says so.
#[tokio::test(flavor = "multi_thread")]
async fn a_lab_site_with_tls13_on_cu14_and_a_tls12_only_server() {
    use excert::lab::{HostSpec, Lab, Service, SmtpSpec, Starttls};
    let ca = LabCa::new(NOW);
    let public = ca.issue(
        &["mail.contoso.lab"],
        NOW - Duration::days(100),
        NOW + Duration::days(300),
        &key(1),
    );
    let host = |name: &str, tls12_only: bool| {
        let own = exchange_self_signed(name, "contoso.lab", NOW - Duration::days(400), &key(2));
        let (frontend, backend, starttls) = if tls12_only {
            (
                Service::Tls12Only(public.clone()),
                Service::Tls12Only(own),
                Starttls::Tls12(public.clone()),
            )
        } else {
            (
                Service::Tls(public.clone()),
                Service::Tls(own),
                Starttls::Tls(public.clone()),
            )
        };
        HostSpec {
            name: name.into(),
            frontend,
            backend,
            smtp: Service::Smtp(SmtpSpec::exchange(&format!("{name}.contoso.lab"), starttls)),
        }
    };
    let lab = Lab::start(vec![
        host("EX01", false),
        host("EX02", true),
        host("EX03", false),
    ])
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("servers.csv");
    let mut text = String::from("Fqdn,AdminDisplayVersion,Site\n");
    for (h, v) in lab.hosts.iter().zip([CU14, CU14, SE]) {
        text.push_str(&format!(
            "{},{v},contoso.lab/Configuration/Sites/HQ\n",
            h.fqdn
        ));
    }
    std::fs::write(&csv, text).unwrap();
    std::fs::write(dir.path().join("root.pem"), ca.root_pem()).unwrap();
    let out_dir = dir.path().join("out");
    let mut args = lab_support::strings(&[
        "scan",
        "--targets-file",
        csv.to_str().unwrap(),
        "--frontend-ports",
        &lab.frontend_port.to_string(),
        "--backend-ports",
        &lab.backend_port.to_string(),
        "--smtp-ports",
        &lab.smtp_port.to_string(),
        "--ca-bundle",
        dir.path().join("root.pem").to_str().unwrap(),
        "--namespace",
        "mail.contoso.lab",
        "--as-of",
        "2026-01-15T12:00:00Z",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    for h in &lab.hosts {
        args.push("--resolve".into());
        args.push(format!("{}:{}", h.fqdn, h.ip));
    }
    let out = lab_support::excert(&args).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let r = lab_support::read_scan(&out_dir);
    let ids = |host: &str| -> Vec<&str> {
        r.endpoints
            .iter()
            .filter(|e| e.endpoint.host.starts_with(host))
            .flat_map(|e| &e.findings)
            .map(|f| f.id.as_str())
            .collect()
    };
    let ex01 = ids("ex01");
    let ex02 = ids("ex02");
    let ex03 = ids("ex03");
    // TLS 1.3 on CU14 (443, 444 and 25 over STARTTLS): one warning.
    assert_eq!(
        ex01.iter().filter(|i| **i == "tls13-unsupported").count(),
        1,
        "{ex01:?}"
    );
    assert!(!ex02.contains(&"tls13-unsupported"), "{ex02:?}");
    assert!(
        !ex03.contains(&"tls13-unsupported"),
        "SE supports TLS 1.3: {ex03:?}"
    );
    // Two servers accept TLS 1.3 and one does not: the odd one is named.
    assert!(ex02.contains(&"tls-versions-inconsistent"), "{ex02:?}");
    assert!(!ex01.contains(&"tls-versions-inconsistent"), "{ex01:?}");
    assert!(!ex03.contains(&"tls-versions-inconsistent"), "{ex03:?}");
    // 2019 is past its end of support on the as-of date; SE is not.
    assert!(ex01.contains(&"exchange-out-of-support"), "{ex01:?}");
    assert!(!ex03.contains(&"exchange-out-of-support"), "{ex03:?}");
    let ex03_server = r
        .servers
        .iter()
        .find(|s| s.host.starts_with("ex03"))
        .unwrap();
    assert_eq!(ex03_server.severity, Grade::Ok, "{}", ex03_server.summary);
    // The fleet line, in the terminal and on the page.
    assert!(
        stdout.contains(
            "end of support: 2 of 3 servers run an Exchange version past its end of support \
             (Exchange 2019: 2)"
        ),
        "{stdout}"
    );
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.contains("id=\"end-of-support\""));

    // With the first hello alone (no protocol map), TLS 1.3 yes or no is
    // still known on both sides, and is still the difference.
    let quick_dir = dir.path().join("quick");
    let mut quick = args.clone();
    let at = quick.iter().position(|a| a == "--out").unwrap();
    quick[at + 1] = quick_dir.to_str().unwrap().to_string();
    quick.push("--no-protocol-scan".into());
    lab_support::excert(&quick).await;
    let r = lab_support::read_scan(&quick_dir);
    let with = |id: &str| -> Vec<String> {
        let mut hosts: Vec<String> = r
            .endpoints
            .iter()
            .filter(|e| e.findings.iter().any(|f| f.id.as_str() == id))
            .map(|e| e.endpoint.host[..4].to_string())
            .collect();
        hosts.dedup();
        hosts
    };
    assert_eq!(with("tls-versions-inconsistent"), ["ex02"]);
    assert_eq!(with("tls13-unsupported"), ["ex01"]);
    drop(lab);
}

/// A fleet split down the middle: every server is told, and each detail
/// stays a few names long, however many servers are on either side.
#[test]
fn a_large_split_fleet_gives_short_details() {
    let hq = group("HQ", Some(SE));
    let evidence: Vec<EndpointEvidence> = (0..4000)
        .map(|i| {
            let versions: &[TlsVersion] = if i % 2 == 0 {
                &[Tls12, Tls13]
            } else {
                &[Tls12]
            };
            evidence::ep(&format!("EX{i:04}"), Role::Frontend)
                .group(hq.clone())
                .versions(versions)
                .evidence()
        })
        .collect();
    let ca = LabCa::new(NOW);
    let started = std::time::Instant::now();
    let a = analyze(evidence, None, &settings(NOW, &ca));
    let elapsed = started.elapsed();
    let found: Vec<&Finding> = a
        .endpoints
        .iter()
        .flat_map(|e| &e.findings)
        .filter(|f| f.id == FindingId::TlsVersionsInconsistent)
        .collect();
    assert_eq!(found.len(), 4000);
    for f in &found {
        assert!(f.detail.text().len() < 700, "{}", f.detail);
        assert!(f.detail.contains("and 1995 more accept"), "{}", f.detail);
    }
    eprintln!("4,000 servers split in two: analysed in {elapsed:?}");
}
