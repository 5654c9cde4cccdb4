//! Real fleets differ from the lab: the server's own certificate in every
//! shape Exchange makes it, roles and versions from `Get-ExchangeServer`,
//! sites, rollouts. Each test builds the evidence a probe would record from
//! committed openssl fixtures (fixtures/certs/make.sh) or lab certs, at a
//! fixed as-of time, and checks what an admin reads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use crate::lab_support::evidence;
use excert::analyze::trust::TrustRoots;
use excert::analyze::{analyze, cert, Analysis};
use excert::config::AnalysisSettings;
use excert::model::{Classification, EndpointEvidence, Finding, Role};
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2025-06-01 12:00 UTC);

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/certs/{name}.der", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A finding id as scan.json spells it.
fn id_of(f: &Finding) -> String {
    serde_json::to_value(f.id)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn ids(a: &Analysis, i: usize) -> Vec<String> {
    a.endpoints[i].findings.iter().map(id_of).collect()
}

fn settings(as_of: OffsetDateTime) -> AnalysisSettings {
    AnalysisSettings {
        as_of,
        warn_days: 60,
        critical_days: 30,
        namespaces: vec![],
        site_namespaces: Default::default(),
        roots: Arc::new(TrustRoots::empty()),
        ca_bundles: vec![],
    }
}

fn ev(host: &str, role: Role, chain: Vec<Vec<u8>>) -> EndpointEvidence {
    let port = if role == Role::Frontend { 443 } else { 444 };
    evidence::ep(host, role).port(port).chain(chain).evidence()
}

/// Each variant of the server's own certificate that real servers carry,
/// with the words of the reason an admin checks it by.
#[test]
fn own_certificate_variants_are_exchange_self_signed_with_their_reason() {
    let cases: [(&str, &[&str]); 6] = [
        (
            "ex-long-name",
            &[
                "CN EXCHANGE-MAILBO (the NetBIOS name: the first 15 characters of \
                 exchange-mailbox01)",
                "exchange-mailbox01.contoso.com in the SAN",
                "setup's extension layout",
            ],
        ),
        ("ex-4096", &["RSA 4096", "5-year lifetime"]),
        (
            "ex-ski-sha1",
            &["with SKI/AKI", "not setup's layout", "SHA-1 signature"],
        ),
        (
            "ex-ski-sha256",
            &[
                "extensions SKI, SAN, EKU, KeyUsage, BasicConstraints",
                "SHA-256 signature",
            ],
        ),
        (
            "ex2016-sha1",
            &["CN EX2016 and EX2016.contoso.local in the SAN", "RSA 2048"],
        ),
        ("ex2007", &["1-year lifetime (Exchange 2007)"]),
    ];
    for (name, words) in cases {
        let f = cert::facts(&fixture(name), NOW);
        assert_eq!(
            f.classification,
            Classification::ExchangeSelfSigned,
            "{name}: {}",
            f.classification_reason
        );
        for w in words {
            assert!(
                f.classification_reason.contains(w),
                "{name}: {w:?} not in {:?}",
                f.classification_reason
            );
        }
    }
}

#[test]
fn auth_certificate_recreated_with_domain_name_is_still_exchange_auth() {
    let f = cert::facts(&fixture("auth-domainname"), NOW);
    assert_eq!(f.classification, Classification::ExchangeAuth);
    assert!(
        f.classification_reason
            .contains("re-created with New-ExchangeCertificate -DomainName"),
        "{}",
        f.classification_reason
    );
    let plain = cert::facts(&fixture("exchange-auth"), NOW);
    assert_eq!(plain.classification, Classification::ExchangeAuth);
    assert!(plain.classification_reason.contains("no SAN"));
}

/// What is not Exchange's own certificate says which guarantee it misses.
#[test]
fn near_misses_say_which_guarantee_they_miss() {
    let cases = [
        ("ex-2years", "lifetime is 730 days"),
        ("host-and-namespace", "also names mail.contoso.com"),
        (
            "admin-sha1",
            "CN mail.contoso.com is not a NetBIOS computer name",
        ),
        ("ca", "CA certificate"),
    ];
    for (name, why) in cases {
        let f = cert::facts(&fixture(name), NOW);
        assert_eq!(f.classification, Classification::SelfSigned, "{name}");
        assert!(
            f.classification_reason.contains(why),
            "{name}: {why:?} not in {:?}",
            f.classification_reason
        );
    }
    let issued = cert::facts(&fixture("sha1-leaf"), NOW);
    assert_eq!(issued.classification, Classification::CaIssued);
    assert!(issued
        .classification_reason
        .contains("Issued by CN=Contoso Fixture Root CA"));
}

/// A host longer than 15 characters: its own certificate on 444 is not
/// "another server's certificate", so there is nothing to rebind.
#[test]
fn long_host_name_backend_is_its_own_certificate() {
    let evidence = [ev(
        "exchange-mailbox01.contoso.com",
        Role::Backend,
        vec![fixture("ex-long-name")],
    )];
    let a = analyze(evidence.to_vec(), None, &settings(NOW));
    assert!(ids(&a, 0).is_empty(), "{:?}", ids(&a, 0));
    assert_eq!(
        serde_json::to_value(a.servers[0].verdict).unwrap(),
        serde_json::json!("ok")
    );
    // Another host presenting it is still told so.
    let other = [ev(
        "exchange-mailbox02.contoso.com",
        Role::Backend,
        vec![fixture("ex-long-name")],
    )];
    let a = analyze(other.to_vec(), None, &settings(NOW));
    assert!(ids(&a, 0).contains(&"backend-unexpected-cert".to_string()));
}

/// Renewed with -KeySize 4096, or re-created with an SKI: still the
/// server's own certificate on 444, no finding.
#[test]
fn re_created_own_certificates_on_444_need_nothing() {
    for (host, name, as_of) in [
        ("ex4096.contoso.local", "ex-4096", NOW),
        ("ex2013.contoso.local", "ex-ski-sha256", NOW),
        (
            "ex2010.contoso.local",
            "ex-ski-sha1",
            datetime!(2016-06-01 0:00 UTC),
        ),
    ] {
        let a = analyze(
            vec![ev(host, Role::Backend, vec![fixture(name)])],
            None,
            &settings(as_of),
        );
        assert!(ids(&a, 0).is_empty(), "{name}: {:?}", ids(&a, 0));
    }
}

/// scan.json carries the reason next to the classification, for every
/// certificate of the chain.
#[test]
fn scan_json_has_classification_reason() {
    let a = analyze(
        vec![ev(
            "ex2016.contoso.local",
            Role::Backend,
            vec![fixture("ex2016-sha1")],
        )],
        None,
        &settings(datetime!(2024-01-01 0:00 UTC)),
    );
    let json = serde_json::to_value(&a.endpoints[0]).unwrap();
    let reason = json["chain"][0]["classification_reason"].as_str().unwrap();
    assert!(
        reason.starts_with("Exchange's own \"Microsoft Exchange\" certificate"),
        "{reason}"
    );
    assert_eq!(json["chain"][0]["classification"], "exchange_self_signed");
}

/// A whole report around an analysis, as `excert scan` writes it.
fn report_of(a: Analysis) -> excert::model::ScanReport {
    excert::model::ScanReport {
        schema_version: excert::model::SCHEMA_VERSION,
        tool: Default::default(),
        started_at: NOW,
        finished_at: NOW,
        as_of: NOW,
        complete: true,
        parameters: Default::default(),
        endpoints: a.endpoints,
        servers: a.servers,
        expiry_cliffs: a.expiry_cliffs,
        invalid_targets: vec![],
        skipped_endpoints: vec![],
        merged_from: Vec::new(),
        inventory: None,
        organisation: None,
    }
}

#[test]
fn html_card_shows_the_classification_reason() {
    let a = analyze(
        vec![ev(
            "exchange-mailbox01.contoso.com",
            Role::Backend,
            vec![fixture("ex-long-name")],
        )],
        None,
        &settings(NOW),
    );
    let html = excert::report::html::render(&report_of(a), &excert::analyze::catalog::all())
        .expect("render");
    assert!(
        html.contains("the NetBIOS name: the first 15 characters of exchange-mailbox01"),
        "reason missing from the card"
    );
}

fn input(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/inputs")
        .join(name)
}

fn fleet_csv_options() -> excert::config::TargetOptions {
    excert::config::TargetOptions {
        inputs: vec![excert::config::Input::File(input(
            "get-exchangeserver-fleet.csv",
        ))],
        frontend_ports: vec![443],
        backend_ports: vec![444],
        ..Default::default()
    }
}

/// `Get-ExchangeServer | Export-Csv` as it is: sites by their last part,
/// versions by product and build, and no 443/444 on Edge, no 444 on 2010
/// and CAS-only 2013, each listed with its reason instead of probed.
#[test]
fn full_get_exchangeserver_export_gives_roles_versions_sites_and_skips() {
    let list = excert::targets::load(&fleet_csv_options()).unwrap();
    let scanned: Vec<String> = list
        .endpoints
        .iter()
        .map(|e| format!("{}:{}", e.host, e.port))
        .collect();
    assert_eq!(
        scanned,
        [
            "EX01.contoso.local:443",
            "EX01.contoso.local:444",
            "EX02.contoso.local:443",
            "EX02.contoso.local:444",
            "exchange-mailbox01.contoso.local:443",
            "exchange-mailbox01.contoso.local:444",
            "EX4096.contoso.local:443",
            "EX4096.contoso.local:444",
            "EX2013.contoso.local:443",
            "EX2013.contoso.local:444",
            "EX13CAS.contoso.local:443",
            "EX2010.contoso.local:443",
        ]
    );
    let skipped: Vec<String> = list
        .skipped
        .iter()
        .map(|s| format!("{}:{} {}", s.endpoint.host, s.endpoint.port, s.reason))
        .collect();
    assert_eq!(skipped.len(), 4, "{skipped:#?}");
    assert!(skipped[0].starts_with("EX13CAS.contoso.local:444 a Client Access-only server"));
    assert!(
        skipped[1].starts_with("EX2010.contoso.local:444 Exchange 2010 has no Exchange Back End")
    );
    assert!(
        skipped[2].starts_with("EDGE01.dmz.contoso.com:443 an Edge Transport server has no IIS")
    );
    assert!(skipped[3].starts_with("EDGE01.dmz.contoso.com:444 an Edge Transport server"));

    let g = &list.endpoints[4].group;
    assert_eq!(g.site.as_deref(), Some("HQ"));
    assert_eq!(g.exchange_version.as_deref(), Some("2019"));
    assert_eq!(g.exchange_build.as_deref(), Some("15.2.1748.10"));
    let g = &list.endpoints[6].group;
    assert_eq!(
        (g.site.as_deref(), g.exchange_version.as_deref()),
        (Some("EU"), Some("2016"))
    );
}

/// `--role` and `--site` say what the CSV would, for a plain host list; a
/// port typed as host:port is scanned whatever the role.
#[test]
fn role_and_site_flags_override_and_explicit_ports_stay() {
    let mut o = fleet_csv_options();
    o.inputs = vec![
        excert::config::Input::Arg("edge01.dmz.contoso.com".into()),
        excert::config::Input::Arg("ex05.contoso.local".into()),
        excert::config::Input::Arg("ex06.contoso.local:444".into()),
    ];
    o.roles = vec![
        ("edge01".into(), "Edge".into()),
        ("ex06".into(), "ClientAccess".into()),
    ];
    o.sites = vec![("ex05.contoso.local".into(), "Branch-2".into())];
    let list = excert::targets::load(&o).unwrap();
    let scanned: Vec<String> = list
        .endpoints
        .iter()
        .map(|e| format!("{}:{} {:?}", e.host, e.port, e.group.site))
        .collect();
    assert_eq!(
        scanned,
        [
            "ex05.contoso.local:443 Some(\"Branch-2\")",
            "ex05.contoso.local:444 Some(\"Branch-2\")",
            "ex06.contoso.local:444 None",
        ]
    );
    assert_eq!(list.skipped.len(), 2);
    assert_eq!(
        list.skipped[0].endpoint.group.server_role.as_deref(),
        Some("Edge")
    );
}

fn excert(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_excert"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the excert binary runs")
}

/// The dry run shows the skipped ports and why, after the scanned ones.
#[test]
fn dry_run_lists_skipped_ports_with_their_reason() {
    let csv = input("get-exchangeserver-fleet.csv");
    let mut args = vec!["targets", "--targets-file", csv.to_str().unwrap()];
    let pins: Vec<String> = [
        "ex01",
        "ex02",
        "exchange-mailbox01",
        "ex11",
        "ex12",
        "ex13cas",
        "ex2010",
    ]
    .iter()
    .enumerate()
    .map(|(i, h)| format!("{h}.contoso.local:10.9.0.{}", i + 1))
    .chain(["edge01.dmz.contoso.com:10.9.1.1".to_string()])
    .collect();
    for p in &pins {
        args.extend(["--resolve", p]);
    }
    let out = excert(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // 443, 444 and SMTP 25 per server; the Edge server on SMTP and
    // EdgeSync (50636) only.
    assert_eq!(lines.len(), 25);
    assert!(lines[..21].iter().all(|l| l["skipped"].is_null()));
    assert_eq!(lines[19]["host"], "EDGE01.dmz.contoso.com");
    assert_eq!(lines[19]["role"], "smtp");
    assert_eq!(lines[20]["host"], "EDGE01.dmz.contoso.com");
    assert_eq!(
        (lines[20]["role"].as_str(), &lines[20]["port"]),
        (Some("edgesync"), &serde_json::json!(50636))
    );
    let edge = &lines[23];
    assert_eq!(edge["host"], "EDGE01.dmz.contoso.com");
    assert_eq!(edge["port"], 443);
    assert_eq!(edge["address"], "10.9.1.1");
    assert!(edge["skipped"]
        .as_str()
        .unwrap()
        .contains("Edge Transport server has no IIS"));
    assert_eq!(lines[0]["group"]["exchange_version"], "2019");
}

#[test]
fn bad_role_or_namespace_is_a_usage_error() {
    let out = excert(&["targets", "ex01", "--role", "ex01=Gateway"]);
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--role ex01=Gateway: unknown role \"Gateway\""),
        "{err}"
    );
    let out = excert(&["targets", "ex01", "--site", "ex01"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected HOST=SITE"));
}

use crate::lab_support;

/// Issue 11's "done when": a healthy two-site fleet with a rollout in
/// progress, scanned from a `Get-ExchangeServer | Export-Csv` file with no
/// option that tells excert about it (only the lab's plumbing: its ports,
/// addresses, private CA and a fixed date), has no warning or critical
/// server, never advises enabling the older certificate, classifies every
/// own-certificate variant, and skips the ports Edge, 2010 and CAS-only
/// servers do not have.
#[tokio::test(flavor = "multi_thread")]
async fn healthy_two_site_fleet_from_get_exchangeserver_csv_is_healthy() {
    use excert::lab::{sites::sites_fleet, Lab};
    use excert::model::{Grade, Task};
    let as_of = datetime!(2025-06-01 12:00 UTC);
    let fleet = sites_fleet(as_of);
    let lab = Lab::start_with_balancers(fleet.hosts, fleet.balancers)
        .await
        .expect("lab starts");
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("root.pem");
    std::fs::write(&ca, fleet.ca.root_pem()).unwrap();
    let csv = input("get-exchangeserver-fleet.csv");
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
        ca.to_str().unwrap(),
        "--as-of",
        "2025-06-01T12:00:00Z",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    for (fqdn, host) in fleet.fqdns.iter().zip(&lab.hosts) {
        args.push("--resolve".into());
        args.push(format!("{}:{}", fqdn.to_ascii_lowercase(), host.ip));
    }
    // The load balancers in front of each site, presenting the site's
    // newest certificate (HQ is mid-rollout: two servers on each).
    for b in &lab.balancers {
        args.push("--load-balancer".into());
        args.push(format!("{}={}", b.namespace, b.ip));
    }
    let out = lab_support::excert(&args).await;
    let r = lab_support::read_scan(&out_dir);
    let bad: Vec<String> = r
        .servers
        .iter()
        .filter(|s| s.severity < Grade::Info)
        .map(|s| format!("{}: {}", s.host, s.summary))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    let vips = r
        .endpoints
        .iter()
        .filter(|e| e.endpoint.role == Role::LoadBalancer);
    assert_eq!(vips.clone().count(), 4, "2 VIPs on HTTPS and SMTP");
    for e in vips {
        assert!(e.findings.is_empty(), "{:?}", e.findings);
    }
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The rollout: servers on the older certificate are told, as info, to
    // roll out the newer one; nothing enables the older one.
    for host in ["EX02.contoso.local", "EX2010.contoso.local"] {
        let e = r
            .endpoints
            .iter()
            .find(|e| e.endpoint.host == host && e.endpoint.port == lab.frontend_port)
            .unwrap();
        let f = e
            .findings
            .iter()
            .find(|f| id_of(f) == "public-cert-inconsistent")
            .unwrap_or_else(|| panic!("{host}: {:?}", e.findings));
        assert_eq!(f.severity, excert::model::Severity::Info);
        assert!(f.remediation_text().contains(&format!(
            "Enable-ExchangeCertificate -Server {host} -Thumbprint {} -Services IIS",
            fleet.hq_new
        )));
    }
    for s in &r.servers {
        for step in &s.remediation_steps {
            assert!(
                !(step.task == Task::EnablePublic && step.thumbprints.contains(&fleet.hq_old)),
                "{}: {}",
                s.host,
                step.text()
            );
        }
    }
    for e in &r.endpoints {
        for f in &e.findings {
            assert!(!f
                .remediation_text()
                .contains(&format!("-Thumbprint {} -Services IIS", fleet.hq_old)));
        }
    }
    // The EU site is compared with itself, and its namespace inferred.
    assert_eq!(
        r.parameters
            .inferred_namespaces
            .get("EU")
            .cloned()
            .unwrap_or_default(),
        ["autodiscover.contoso.com", "mail-eu.contoso.com"]
    );
    assert_eq!(
        r.parameters
            .inferred_namespaces
            .get("HQ")
            .cloned()
            .unwrap_or_default(),
        ["autodiscover.contoso.com", "mail.contoso.com"]
    );

    // Every variant of the server's own certificate on 444.
    for host in [
        "exchange-mailbox01.contoso.local",
        "EX4096.contoso.local",
        "EX2013.contoso.local",
    ] {
        let e = r
            .endpoints
            .iter()
            .find(|e| e.endpoint.host == host && e.endpoint.port == lab.backend_port)
            .unwrap();
        let leaf = e.leaf().unwrap();
        assert_eq!(
            leaf.classification,
            Classification::ExchangeSelfSigned,
            "{host}: {}",
            leaf.classification_reason
        );
        assert!(e.findings.is_empty(), "{host}: {:?}", e.findings);
    }

    // Ports the servers do not have: skipped with the reason, not probed.
    let skipped: Vec<String> = r
        .skipped_endpoints
        .iter()
        .map(|s| format!("{}:{}", s.endpoint.host, s.endpoint.port))
        .collect();
    let (fe, be) = (lab.frontend_port, lab.backend_port);
    assert_eq!(
        skipped,
        [
            format!("EX13CAS.contoso.local:{be}"),
            format!("EX2010.contoso.local:{be}"),
            format!("EDGE01.dmz.contoso.com:{fe}"),
            format!("EDGE01.dmz.contoso.com:{be}"),
        ]
    );
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.contains("an Edge Transport server has no IIS"));
    assert!(html.contains("inferred from the fleet"));
    drop(lab);
}

/// Every remediation step names its server, every Exchange cmdlet with
/// `-Server`, and no finding on 444 prescribes `-Services IIS` (which
/// would move the Default Web Site, not the Back End): over a fleet with
/// every backend and frontend problem the rules know.
#[test]
fn every_step_names_its_server_and_no_444_fix_moves_iis() {
    use excert::lab::certs::{exchange_self_signed, key, plus_years, LabCa};
    let ca = LabCa::new(NOW);
    let roots = TrustRoots::from_der([ca.root.as_ref()]).unwrap();
    let der = |s: excert::lab::Served| -> Vec<Vec<u8>> {
        s.chain.iter().map(|c| c.as_ref().to_vec()).collect()
    };
    let own = |short: &str, days_left: i64, k: usize| {
        der(exchange_self_signed(
            short,
            "contoso.local",
            plus_years(NOW + time::Duration::days(days_left), -5),
            &key(k),
        ))
    };
    let names = ["mail.contoso.com", "autodiscover.contoso.com"];
    let public = der(ca.issue(
        &names,
        NOW - time::Duration::days(30),
        NOW + time::Duration::days(300),
        &key(8),
    ));
    let expiring_public = der(ca.issue(
        &names,
        NOW - time::Duration::days(340),
        NOW + time::Duration::days(20),
        &key(8),
    ));
    let evidence = [
        ev("ex01.contoso.local", Role::Frontend, public.clone()),
        ev("ex01.contoso.local", Role::Backend, own("EX01", -10, 1)),
        // The renewal trap: 443 presents the renewed own certificate.
        ev("ex02.contoso.local", Role::Frontend, own("EX02", 1800, 2)),
        ev("ex02.contoso.local", Role::Backend, own("EX02", 5, 3)),
        // 444 bound to a weak CA-issued certificate, and a SHA-1 one.
        ev("ex03.contoso.local", Role::Frontend, public.clone()),
        ev(
            "ex03.contoso.local",
            Role::Backend,
            vec![fixture("weak-1024")],
        ),
        ev("ex04.contoso.local", Role::Frontend, public.clone()),
        ev(
            "ex04.contoso.local",
            Role::Backend,
            vec![fixture("sha1-leaf")],
        ),
        // WMSvc and the Auth certificate on 444.
        ev("ex05.contoso.local", Role::Frontend, expiring_public),
        ev("ex05.contoso.local", Role::Backend, vec![fixture("wmsvc")]),
        ev(
            "ex06.contoso.local",
            Role::Frontend,
            vec![fixture("admin-sha1")],
        ),
        ev(
            "ex06.contoso.local",
            Role::Backend,
            vec![fixture("auth-domainname")],
        ),
    ];
    let mut s = settings(NOW);
    s.roots = Arc::new(roots);
    let a = analyze(evidence.to_vec(), None, &s);
    let mut checked = 0;
    let mut check = |host: &str, step: &excert::model::Step| {
        let prose = step.text();
        assert_eq!(&*step.server, host, "{prose}");
        for text in [Some(&*prose), step.command()].into_iter().flatten() {
            for (i, _) in text.match_indices("-ExchangeCertificate") {
                let rest = &text[i..];
                let cmd_end = rest.find([';', ')', '|']).unwrap_or(rest.len());
                assert!(
                    rest[..cmd_end].contains(&format!("-Server {host}"))
                        || rest[..cmd_end].contains("-Server <server>"),
                    "no -Server in: {text}"
                );
            }
        }
        checked += 1;
    };
    for e in &a.endpoints {
        for f in &e.findings {
            for step in &f.remediation_steps {
                check(&e.endpoint.host, step);
            }
            if e.endpoint.role == Role::Backend {
                assert!(
                    !f.remediation_text().contains("-Services IIS"),
                    "{}:{} {}: {}",
                    e.endpoint.host,
                    e.endpoint.port,
                    id_of(f),
                    f.remediation_text()
                );
            }
        }
    }
    for srv in &a.servers {
        for step in &srv.remediation_steps {
            check(&srv.host, step);
        }
        if !srv.remediation_steps.is_empty() {
            let last = srv.remediation_steps.last().unwrap();
            assert!(last
                .text()
                .starts_with(&format!("Verify: excert scan {}", srv.host)));
        }
    }
    assert!(checked > 30, "only {checked} steps checked");
    // The backend fixes on 444 bind the Back End.
    let weak = a.endpoints[5]
        .findings
        .iter()
        .find(|f| id_of(f) == "weak-key")
        .unwrap();
    assert!(weak
        .remediation_text()
        .contains("Get-WebBinding -Name 'Exchange Back End'"));
}
