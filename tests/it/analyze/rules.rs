//! Analysis on the saved-evidence path: build the evidence a probe would
//! record (DER chains, statuses, protocol versions) from committed openssl
//! fixtures and rcgen certs, run `analyze`, and check what an admin would
//! read: finding ids, severities, thumbprints, verdicts and steps.
//!
//! Every test uses a fixed as-of time, so nothing rots.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use crate::lab_support::evidence;
use excert::analyze::catalog;
use excert::analyze::trust::TrustRoots;
use excert::analyze::{analyze, cert, Analysis};
use excert::config::AnalysisSettings;
use excert::lab::certs::{exchange_self_signed, key, plus_years, LabCa};
use excert::model::{
    Classification, EndpointEvidence, FindingId, Grade, Role, Severity, Status, Task, TlsInfo,
    TlsVersion, Verdict,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2025-06-01 12:00 UTC);
const NAMESPACES: [&str; 2] = ["mail.contoso.com", "autodiscover.contoso.com"];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/certs/{name}.der", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn settings(as_of: OffsetDateTime, roots: TrustRoots, namespaces: &[&str]) -> AnalysisSettings {
    AnalysisSettings {
        as_of,
        warn_days: 60,
        critical_days: 30,
        namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
        site_namespaces: Default::default(),
        roots: Arc::new(roots),
        ca_bundles: vec![],
    }
}

fn tls(versions: &[&str]) -> TlsInfo {
    let versions: Vec<TlsVersion> = versions
        .iter()
        .map(|s| TlsVersion::parse(s).unwrap())
        .collect();
    evidence::tls(&versions)
}

fn ev(host: &str, role: Role, chain: Vec<Vec<u8>>) -> EndpointEvidence {
    evidence::ep(host, role).chain(chain).evidence()
}

fn failed(host: &str, role: Role, status: Status, error: &str) -> EndpointEvidence {
    evidence::ep(host, role).failed(status, error).evidence()
}

/// The lab PKI, made relative to NOW so its dates are fixed too.
fn ca() -> LabCa {
    LabCa::new(NOW)
}

fn roots(ca: &LabCa) -> TrustRoots {
    TrustRoots::from_der([ca.root.as_ref()]).unwrap()
}

/// The public cert for the namespaces, served with its intermediate.
fn public(
    ca: &LabCa,
    names: &[&str],
    nb: OffsetDateTime,
    na: OffsetDateTime,
    k: usize,
) -> Vec<Vec<u8>> {
    ca.issue(names, nb, na, &key(k))
        .chain
        .iter()
        .map(|c| c.as_ref().to_vec())
        .collect()
}

/// A healthy public cert: issued 100 days ago, 300 days left.
fn healthy_public(ca: &LabCa) -> Vec<Vec<u8>> {
    public(
        ca,
        &NAMESPACES,
        NOW - Duration::days(100),
        NOW + Duration::days(300),
        1,
    )
}

/// An Exchange self-signed cert that expires `days_left` days after NOW.
fn exchange(short: &str, days_left: i64, k: usize) -> Vec<Vec<u8>> {
    let not_after = NOW + Duration::days(days_left);
    let not_before = plus_years(not_after, -5);
    exchange_self_signed(short, "contoso.local", not_before, &key(k))
        .chain
        .iter()
        .map(|c| c.as_ref().to_vec())
        .collect()
}

fn sha1(der: &[u8]) -> String {
    cert::sha1_hex(der)
}

fn ids(a: &Analysis, i: usize) -> Vec<String> {
    a.endpoints[i]
        .findings
        .iter()
        .map(|f| f.id.to_string())
        .collect()
}

fn find<'a>(a: &'a Analysis, i: usize, id: &str) -> &'a excert::model::Finding {
    a.endpoints[i]
        .findings
        .iter()
        .find(|f| f.id.as_str() == id)
        .unwrap_or_else(|| panic!("no {id} on endpoint {i}: {:?}", ids(a, i)))
}

/// Every finding any test produces must come from the catalogue.
fn assert_catalogued(a: &Analysis) {
    for e in &a.endpoints {
        for f in &e.findings {
            assert_eq!(f.title, catalog::entry(f.id).title);
            assert!(
                !f.detail.is_empty() && !f.remediation_text().is_empty(),
                "{f:?}"
            );
        }
    }
}

fn run(evidence: &[EndpointEvidence], s: &AnalysisSettings) -> Analysis {
    let a = analyze(evidence.to_vec(), None, s);
    assert_catalogued(&a);
    a
}

#[test]
fn healthy_server_has_no_findings_and_verdict_ok() {
    let ca = ca();
    let evidence = [
        ev("EX01", Role::Frontend, healthy_public(&ca)),
        ev("EX01", Role::Backend, exchange("EX01", 1000, 2)),
    ];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    assert!(
        a.endpoints.iter().all(|e| e.findings.is_empty()),
        "{:?}",
        ids(&a, 0)
    );
    assert_eq!(a.endpoints[0].trust.as_ref().map(|t| t.trusted), Some(true));
    assert_eq!(
        a.endpoints[1].chain[0].classification,
        Classification::ExchangeSelfSigned
    );
    assert_eq!(a.servers.len(), 1);
    assert_eq!(a.servers[0].verdict, Verdict::Ok);
    assert_eq!(a.servers[0].severity, Grade::Ok);
    assert_eq!(a.servers[0].endpoints, [0, 1]);
    assert!(a.servers[0].remediation_lines().is_empty());
}

/// Issue 16: a fleet presents one public certificate on every 443, and the
/// analysis holds it once; the remediation text scan.json carries is
/// rendered from the steps, never stored twice.
#[test]
fn shared_certificate_is_held_once_and_text_is_rendered_from_steps() {
    let ca = ca();
    let evidence = [
        ev("EX01", Role::Frontend, healthy_public(&ca)),
        ev("EX01", Role::Backend, exchange("EX01", -3, 2)),
        ev("EX02", Role::Frontend, healthy_public(&ca)),
        ev("EX02", Role::Backend, exchange("EX02", 1000, 3)),
    ];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    assert!(Arc::ptr_eq(
        &a.endpoints[0].chain[0],
        &a.endpoints[2].chain[0]
    ));
    let f = find(&a, 1, "backend-cert-expired");
    assert!(f.remediation.is_empty(), "kept only when read from a file");
    let json = serde_json::to_value(f).unwrap();
    assert_eq!(json["remediation"], f.remediation_text().as_ref());
    assert!(!f.remediation_text().is_empty());
    let s = &a.servers[0];
    let json = serde_json::to_value(s).unwrap();
    assert_eq!(
        json["remediation"],
        serde_json::to_value(s.remediation_lines().as_ref()).unwrap()
    );
    assert!(s.remediation_lines()[0].starts_with("1. "));
    // A step's command is written out, though memory keeps only its place
    // in the text.
    for (i, st) in s.remediation_steps.iter().enumerate() {
        let ps = &json["remediation_steps"][i]["powershell"];
        assert_eq!(ps.as_str(), st.command(), "{}", st.text());
    }
    assert!(s.remediation_steps.iter().any(|st| st.command().is_some()));
    // A file's text, read back, is written back as it was.
    let mut old = f.clone();
    old.remediation = "Renew it.".into();
    assert_eq!(
        serde_json::to_value(&old).unwrap()["remediation"],
        "Renew it."
    );
}

#[test]
fn expired_backend_is_critical_with_renewal_steps_and_thumbprints() {
    let ca = ca();
    let front = healthy_public(&ca);
    let back = exchange("EX02", -10, 2);
    let evidence = [
        ev("EX02", Role::Frontend, front.clone()),
        ev("EX02", Role::Backend, back.clone()),
    ];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    assert!(ids(&a, 0).is_empty());
    let f = find(&a, 1, "backend-cert-expired");
    assert_eq!(f.severity, Severity::Critical);
    let old = sha1(&back[0]);
    assert!(f.detail.contains(&old), "{}", f.detail);
    assert!(f.detail.contains("2025-05-22"), "{}", f.detail);
    assert!(f.detail.contains("10 days ago"), "{}", f.detail);
    // Re-created without IIS, so 443 never leaves the public certificate
    // (the renewal trap): nothing to re-enable afterwards.
    let create = "New-ExchangeCertificate -Server EX02 -DomainName EX02 -IncludeServerFQDN \
                  -Services SMTP -KeySize 2048 -PrivateKeyExportable $true -FriendlyName \
                  \"Microsoft Exchange\" -Force";
    assert!(
        f.remediation_text().contains(create),
        "{}",
        f.remediation_text()
    );
    assert!(
        !f.remediation_text().contains("-Services IIS"),
        "{}",
        f.remediation_text()
    );
    let public = sha1(&front[0]);
    let s = &a.servers[0];
    assert_eq!(s.verdict, Verdict::RenewBackend);
    assert_eq!(s.severity, Grade::Critical);
    assert!(
        s.remediation_lines()[0]
            .starts_with("1. Create EX02's new \"Microsoft Exchange\" certificate"),
        "{:?}",
        s.remediation_lines()
    );
    assert!(s
        .remediation_lines()
        .iter()
        .any(|r| r.contains("Trusted Root")));
    assert!(s.remediation_lines().iter().any(|r| r.contains("*:444")));
    assert!(s
        .remediation_lines()
        .iter()
        .any(|r| r.contains("iisreset EX02")));
    assert!(!s.remediation_lines().iter().any(|r| r.contains(&public)));
    assert!(s.remediation_lines().iter().any(|r| r.contains(&format!(
        "Remove-ExchangeCertificate -Server EX02 -Thumbprint {old}"
    ))));
    assert!(
        s.remediation_lines()
            .last()
            .unwrap()
            .contains("Verify: excert scan EX02 again with this scan's options"),
        "{:?}",
        s.remediation_lines()
    );
    // The same steps as data: numbered once, thumbprints and commands apart.
    assert_eq!(s.remediation_lines().len(), s.remediation_steps.len());
    for (i, (text, step)) in s
        .remediation_lines()
        .iter()
        .zip(&s.remediation_steps)
        .enumerate()
    {
        assert_eq!(*text, format!("{}. {}", i + 1, step.with_command()));
        assert!(!step.text().starts_with(|c: char| c.is_ascii_digit()));
    }
    let renew = &s.remediation_steps[0];
    assert_eq!(renew.task, Task::RenewBackend);
    assert_eq!(&*renew.server, "EX02");
    assert_eq!(renew.thumbprints.as_slice(), std::slice::from_ref(&old));
    assert_eq!(renew.command(), Some(create));
    assert!(s
        .remediation_steps
        .iter()
        .any(|st| st.task == Task::BindBackend
            && st.command().is_some_and(|p| p.contains(
                "$b = Get-WebBinding -Name 'Exchange Back End' -Protocol https -Port 444; \
                 $b.RemoveSslCertificate(); $b.AddSslCertificate('<new thumbprint>','My')"
            ))));
}

#[test]
fn expiring_backend_is_critical_within_critical_days_and_warning_before() {
    let ca = ca();
    let evidence = [
        ev("EX03", Role::Backend, exchange("EX03", 20, 2)),
        ev("EX04", Role::Backend, exchange("EX04", 45, 3)),
        ev("EX05", Role::Backend, exchange("EX05", 61, 4)),
    ];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    let f = find(&a, 0, "backend-cert-expiring");
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.detail.contains("20 days left"), "{}", f.detail);
    assert_eq!(
        find(&a, 1, "backend-cert-expiring").severity,
        Severity::Warning
    );
    assert!(ids(&a, 2).is_empty());
    assert_eq!(a.servers[0].verdict, Verdict::RenewBackend);
    assert_eq!(a.servers[1].verdict, Verdict::RenewBackend);
    assert_eq!(a.servers[1].severity, Grade::Warning);
    assert_eq!(a.servers[2].verdict, Verdict::Ok);
}

#[test]
fn frontend_expiry_fires_on_443() {
    let ca = ca();
    let evidence = [
        ev(
            "EX06",
            Role::Frontend,
            public(
                &ca,
                &NAMESPACES,
                NOW - Duration::days(400),
                NOW - Duration::days(2),
                1,
            ),
        ),
        ev(
            "EX07",
            Role::Frontend,
            public(
                &ca,
                &NAMESPACES,
                NOW - Duration::days(300),
                NOW + Duration::days(40),
                2,
            ),
        ),
    ];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    assert_eq!(
        find(&a, 0, "frontend-cert-expired").severity,
        Severity::Critical
    );
    // Expiry alone is not "untrusted".
    assert!(
        !ids(&a, 0).contains(&"frontend-cert-untrusted".to_string()),
        "{:?}",
        ids(&a, 0)
    );
    assert_eq!(
        find(&a, 1, "frontend-cert-expiring").severity,
        Severity::Warning
    );
    // A newer certificate for the same names is already on EX07: binding
    // it is the fix on EX06, not a new certificate.
    assert_eq!(a.servers[0].verdict, Verdict::RebindPublicCert);
    let newer = sha1(
        &public(
            &ca,
            &NAMESPACES,
            NOW - Duration::days(300),
            NOW + Duration::days(40),
            2,
        )[0],
    );
    assert!(
        a.servers[0]
            .remediation_lines()
            .iter()
            .any(|r| r.contains(&newer)),
        "{:?}",
        a.servers[0].remediation_lines()
    );
    assert_eq!(a.servers[1].verdict, Verdict::RenewPublicCert);
}

#[test]
fn public_binding_lost_when_443_presents_the_exchange_cert() {
    let ca = ca();
    let fleet_public = healthy_public(&ca);
    let evidence = [
        ev("EX01", Role::Frontend, fleet_public.clone()),
        ev("EX01", Role::Backend, exchange("EX01", 1000, 2)),
        ev("EX08", Role::Frontend, exchange("EX08", 1800, 3)),
        ev("EX08", Role::Backend, exchange("EX08", 200, 4)),
    ];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    let f = find(&a, 2, "public-binding-lost");
    assert_eq!(f.severity, Severity::Critical);
    // The lost binding explains the untrusted, unnamed cert: no noise.
    assert_eq!(ids(&a, 2), ["public-binding-lost"]);
    let public = sha1(&fleet_public[0]);
    assert!(
        f.remediation_text().contains(&format!(
            "Enable-ExchangeCertificate -Server EX08 -Thumbprint {public} -Services IIS"
        )),
        "{}",
        f.remediation_text()
    );
    assert_eq!(a.servers[1].verdict, Verdict::RebindPublicCert);
    assert!(a.servers[1]
        .remediation_lines()
        .iter()
        .any(|r| r.contains(&public)));
}

#[test]
fn public_binding_lost_when_443_presents_the_same_self_signed_cert_as_444() {
    let ca = ca();
    // An admin-made self-signed cert (dotted CN), bound to both sites.
    let mut params = rcgen::CertificateParams::new(vec!["mail.contoso.com".to_string()]).unwrap();
    params.not_before = NOW - Duration::days(10);
    params.not_after = NOW + Duration::days(700);
    let same = params.self_signed(&key(5)).unwrap().der().to_vec();
    let evidence = [
        ev("EX09", Role::Frontend, vec![same.clone()]),
        ev("EX09", Role::Backend, vec![same.clone()]),
    ];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    assert_eq!(
        a.endpoints[0].chain[0].classification,
        Classification::SelfSigned
    );
    let f = find(&a, 0, "public-binding-lost");
    assert!(
        f.detail
            .contains("same self-signed certificate as its backend"),
        "{}",
        f.detail
    );
    assert!(f.detail.contains(&sha1(&same)));
    assert!(ids(&a, 1).contains(&"backend-unexpected-cert".to_string()));
    assert_eq!(a.servers[0].verdict, Verdict::RebindPublicCert);
}

#[test]
fn renewal_trap_binds_the_already_renewed_cert_instead_of_renewing_again() {
    let ca = ca();
    let fleet_public = healthy_public(&ca);
    let renewed = exchange("EX10", 1825, 3);
    let old = exchange("EX10", -3, 4);
    let evidence = [
        ev("EX01", Role::Frontend, fleet_public.clone()),
        ev("EX10", Role::Frontend, renewed.clone()),
        ev("EX10", Role::Backend, old.clone()),
    ];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    assert!(ids(&a, 1).contains(&"public-binding-lost".to_string()));
    let expired = find(&a, 2, "backend-cert-expired");
    let new = sha1(&renewed[0]);
    assert!(
        expired
            .remediation_text()
            .contains(&format!("AddSslCertificate('{new}','My')")),
        "{}",
        expired.remediation_text()
    );
    let s = &a.servers[1];
    assert_eq!(s.verdict, Verdict::RebindPublicCert);
    assert!(s.summary.contains("444"), "{}", s.summary);
    let steps = s.remediation_lines().join("\n");
    assert!(
        steps.contains(&format!(
            "1. Re-enable IIS on the public certificate {0} on EX10 now, not at the off-hours \
             iisreset",
            sha1(&fleet_public[0])
        )),
        "{steps}"
    );
    assert!(
        steps.contains(&format!(
            "Enable-ExchangeCertificate -Server EX10 -Thumbprint {} -Services IIS",
            sha1(&fleet_public[0])
        )),
        "{steps}"
    );
    assert!(
        steps.contains(&format!("AddSslCertificate('{new}','My')")),
        "{steps}"
    );
    assert!(steps.contains("do not renew again"), "{steps}");
    assert!(!steps.contains("New-ExchangeCertificate"), "{steps}");
}

#[test]
fn same_self_signed_cert_on_both_ports_expiring_rebinds_then_recreates() {
    let ca = ca();
    let both = exchange("EX93", 10, 4);
    let evidence = [
        ev("EX01", Role::Frontend, healthy_public(&ca)),
        ev("EX93", Role::Frontend, both.clone()),
        ev("EX93", Role::Backend, both.clone()),
    ];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    let s = &a.servers[1];
    assert_eq!(s.verdict, Verdict::RebindPublicCert);
    // 443 gets the public certificate back first; the new internal
    // certificate is made for SMTP only, so it cannot move IIS again.
    let renew = s
        .remediation_lines()
        .iter()
        .position(|r| {
            r.contains("New-ExchangeCertificate -Server EX93") && r.contains("-Services SMTP")
        })
        .unwrap();
    let rebind = s
        .remediation_lines()
        .iter()
        .position(|r| r.contains("Enable-ExchangeCertificate -Server EX93"))
        .unwrap();
    assert!(rebind < renew, "{:?}", s.remediation_lines());
}

#[test]
fn not_yet_valid_is_critical() {
    let ca = ca();
    let evidence = [ev(
        "EX11",
        Role::Frontend,
        public(
            &ca,
            &NAMESPACES,
            NOW + Duration::days(10),
            NOW + Duration::days(400),
            1,
        ),
    )];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    let f = find(&a, 0, "not-yet-valid");
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.detail.contains("2025-06-11"), "{}", f.detail);
    assert!(!ids(&a, 0).contains(&"frontend-cert-untrusted".to_string()));
    assert_eq!(a.servers[0].verdict, Verdict::RebindPublicCert);
}

#[test]
fn unknown_ca_on_443_is_untrusted() {
    let ca = ca();
    let evidence = [ev("EX12", Role::Frontend, healthy_public(&ca))];
    let a = run(&evidence, &settings(NOW, TrustRoots::empty(), &NAMESPACES));
    let f = find(&a, 0, "frontend-cert-untrusted");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.detail.contains("unknown issuer"), "{}", f.detail);
    assert_eq!(
        a.endpoints[0].trust.as_ref().map(|t| t.trusted),
        Some(false)
    );
    assert_eq!(a.servers[0].verdict, Verdict::RenewPublicCert);
}

#[test]
fn expired_cert_from_unknown_ca_is_both_expired_and_untrusted() {
    let ca = ca();
    let evidence = [ev(
        "EX12",
        Role::Frontend,
        public(
            &ca,
            &NAMESPACES,
            NOW - Duration::days(400),
            NOW - Duration::days(5),
            1,
        ),
    )];
    let a = run(&evidence, &settings(NOW, TrustRoots::empty(), &NAMESPACES));
    assert!(ids(&a, 0).contains(&"frontend-cert-expired".to_string()));
    assert!(ids(&a, 0).contains(&"frontend-cert-untrusted".to_string()));
}

#[test]
fn missing_intermediate_is_chain_incomplete_not_untrusted() {
    let ca = ca();
    let mut chain = healthy_public(&ca);
    chain.truncate(1);
    let evidence = [ev("EX13", Role::Frontend, chain)];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    let f = find(&a, 0, "chain-incomplete");
    assert!(
        f.detail.contains("Contoso Lab Issuing CA 01"),
        "{}",
        f.detail
    );
    assert!(
        !ids(&a, 0).contains(&"frontend-cert-untrusted".to_string()),
        "{:?}",
        ids(&a, 0)
    );
    assert_eq!(a.servers[0].verdict, Verdict::Review);
}

#[test]
fn namespace_mismatch_and_wildcards() {
    let ca = ca();
    let wildcard = public(
        &ca,
        &["*.contoso.com"],
        NOW - Duration::days(10),
        NOW + Duration::days(300),
        1,
    );
    let cases: [(&[&str], bool); 4] = [
        (&["mail.contoso.com", "autodiscover.contoso.com"], false),
        (&["a.b.contoso.com"], true),
        (&["contoso.com"], true),
        (&["mail.fabrikam.com"], true),
    ];
    for (ns, mismatch) in cases {
        let a = run(
            &[ev("EX14", Role::Frontend, wildcard.clone())],
            &settings(NOW, roots(&ca), ns),
        );
        assert_eq!(
            ids(&a, 0).contains(&"name-mismatch".to_string()),
            mismatch,
            "{ns:?}: {:?}",
            ids(&a, 0)
        );
        if mismatch {
            assert!(find(&a, 0, "name-mismatch").detail.contains(ns[0]));
        }
    }
    // Only one of two namespaces missing: the finding names just that one.
    let only_mail = public(
        &ca,
        &["mail.contoso.com"],
        NOW - Duration::days(10),
        NOW + Duration::days(300),
        2,
    );
    let a = run(
        &[ev("EX14", Role::Frontend, only_mail)],
        &settings(NOW, roots(&ca), &NAMESPACES),
    );
    let f = find(&a, 0, "name-mismatch");
    assert!(
        f.detail
            .contains("does not cover autodiscover.contoso.com;"),
        "{}",
        f.detail
    );
    assert_eq!(a.servers[0].verdict, Verdict::RenewPublicCert);
}

#[test]
fn without_namespaces_the_fleet_names_are_inferred_not_the_scanned_name() {
    // Issue 11: a public certificate never names the servers' internal
    // names, so checking it against them flagged every healthy server.
    let ca = ca();
    let cert = healthy_public(&ca);
    let a = run(
        &[
            ev("ex01.corp.contoso.local", Role::Frontend, cert.clone()),
            ev("owa.fabrikam.com", Role::Frontend, cert.clone()),
            ev("EX15", Role::Frontend, cert),
        ],
        &settings(NOW, roots(&ca), &[]),
    );
    for i in 0..3 {
        assert!(ids(&a, i).is_empty(), "{i}: {:?}", ids(&a, i));
    }
    // Given explicitly, a namespace the certificate lacks is still caught.
    let a = run(
        &[ev("owa.fabrikam.com", Role::Frontend, healthy_public(&ca))],
        &settings(NOW, roots(&ca), &["owa.fabrikam.com"]),
    );
    assert!(find(&a, 0, "name-mismatch")
        .detail
        .contains("owa.fabrikam.com"));
}

#[test]
fn sha1_ca_issued_leaf_warns_but_setup_made_sha1_exchange_cert_stays_clean() {
    let root = fixture("ca");
    let roots = TrustRoots::from_der([root.as_slice()]).unwrap();
    let evidence = [
        ev("EX2016", Role::Frontend, vec![fixture("sha1-leaf")]),
        ev("EX2016", Role::Backend, vec![fixture("ex2016-sha1")]),
    ];
    let a = run(&evidence, &settings(NOW, roots, &NAMESPACES));
    let f = find(&a, 0, "weak-signature");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.detail.contains("sha1WithRSAEncryption"), "{}", f.detail);
    assert!(ids(&a, 1).is_empty(), "{:?}", ids(&a, 1));
    assert_eq!(
        a.endpoints[1].chain[0].signature_algorithm,
        "sha1WithRSAEncryption"
    );
}

#[test]
fn sha1_on_an_admin_self_signed_leaf_is_only_info() {
    let a = run(
        &[ev(
            "mail.contoso.com",
            Role::Frontend,
            vec![fixture("admin-sha1")],
        )],
        &settings(NOW, TrustRoots::empty(), &NAMESPACES[..1]),
    );
    assert_eq!(
        a.endpoints[0].chain[0].classification,
        Classification::SelfSigned
    );
    assert_eq!(find(&a, 0, "weak-signature").severity, Severity::Info);
    // Self-signed on 443 is untrusted: that is the warning, not the hash.
    assert!(ids(&a, 0).contains(&"frontend-cert-untrusted".to_string()));
}

#[test]
fn weak_1024_bit_key_warns() {
    let root = fixture("ca");
    let roots = TrustRoots::from_der([root.as_slice()]).unwrap();
    let a = run(
        &[ev("EX16", Role::Frontend, vec![fixture("weak-1024")])],
        &settings(NOW, roots, &NAMESPACES),
    );
    let f = find(&a, 0, "weak-key");
    assert!(f.detail.contains("RSA 1024 bits"), "{}", f.detail);
    assert_eq!(a.endpoints[0].chain[0].key.bits, 1024);
    assert_eq!(a.servers[0].verdict, Verdict::RenewPublicCert);
}

#[test]
fn backend_bound_to_wmsvc_auth_public_or_another_servers_cert() {
    let ca = ca();
    let front = healthy_public(&ca);
    let cases: [(&str, Vec<Vec<u8>>, &str); 4] = [
        ("EX2016", vec![fixture("wmsvc")], "WMSvc"),
        ("EX2016", vec![fixture("exchange-auth")], "Auth certificate"),
        (
            "EX17",
            front.clone(),
            "public certificate that 443 also presents",
        ),
        (
            "EX17",
            exchange("EX99", 900, 3),
            "another server's self-signed certificate (CN=EX99)",
        ),
    ];
    for (host, back, words) in cases {
        let a = run(
            &[
                ev(host, Role::Frontend, front.clone()),
                ev(host, Role::Backend, back),
            ],
            &settings(NOW, roots(&ca), &NAMESPACES),
        );
        let f = find(&a, 1, "backend-unexpected-cert");
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.detail.contains(words), "{words}: {}", f.detail);
        assert!(f.remediation_text().contains("*:444"));
        assert_eq!(a.servers[0].verdict, Verdict::FixBackendBinding);
    }
    // Its own cert, named by FQDN host, is fine.
    let a = run(
        &[ev(
            "ex17.contoso.local",
            Role::Backend,
            exchange("EX17", 900, 3),
        )],
        &settings(NOW, roots(&ca), &NAMESPACES),
    );
    assert!(ids(&a, 0).is_empty(), "{:?}", ids(&a, 0));
}

#[test]
fn expired_wmsvc_on_444_is_a_binding_fix_not_a_renewal() {
    let a = run(
        &[ev("EX2016", Role::Backend, vec![fixture("wmsvc")])],
        &settings(
            datetime!(2032-01-01 0:00 UTC),
            TrustRoots::empty(),
            &NAMESPACES,
        ),
    );
    let f = find(&a, 0, "backend-cert-expired");
    assert!(
        f.remediation_text().starts_with("1. Do not renew"),
        "{}",
        f.remediation_text()
    );
    assert!(ids(&a, 0).contains(&"backend-unexpected-cert".to_string()));
    assert_eq!(a.servers[0].verdict, Verdict::FixBackendBinding);
    assert!(!a.servers[0]
        .remediation_lines()
        .iter()
        .any(|r| r.contains("New-ExchangeCertificate -Force")));
}

#[test]
fn fleet_of_five_tells_the_one_on_last_years_public_cert_to_roll_out_the_new_one() {
    let ca = ca();
    let current = public(
        &ca,
        &NAMESPACES,
        NOW - Duration::days(35),
        NOW + Duration::days(330),
        1,
    );
    let last_year = public(
        &ca,
        &NAMESPACES,
        NOW - Duration::days(400),
        NOW + Duration::days(100),
        2,
    );
    let hosts = ["EX21", "EX22", "EX23", "EX24", "EX25"];
    let mut evidence = Vec::new();
    for h in hosts {
        let chain = if h == "EX23" {
            last_year.clone()
        } else {
            current.clone()
        };
        evidence.push(ev(h, Role::Frontend, chain));
        evidence.push(ev(h, Role::Backend, exchange(h, 900, 3)));
    }
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    let flagged: Vec<&str> = a
        .endpoints
        .iter()
        .filter(|e| {
            e.findings
                .iter()
                .any(|f| f.id == FindingId::PublicCertInconsistent)
        })
        .map(|e| e.endpoint.host.as_str())
        .collect();
    assert_eq!(flagged, ["EX23"]);
    // Last year's certificate is still valid: a rollout in progress, info.
    let f = find(&a, 4, "public-cert-inconsistent");
    assert_eq!(f.severity, Severity::Info);
    let newest = sha1(&current[0]);
    assert!(
        f.remediation_text().contains(&format!(
            "Enable-ExchangeCertificate -Server EX23 -Thumbprint {newest} -Services IIS"
        )),
        "{}",
        f.remediation_text()
    );
    assert!(f.detail.contains("already on 4 servers"), "{}", f.detail);
    let verdicts: Vec<&str> = a.servers.iter().map(|s| s.verdict.as_str()).collect();
    assert_eq!(verdicts, ["ok", "ok", "ok", "ok", "ok"]);
    assert_eq!(a.servers[2].severity, Grade::Info);
    // Backend certs made the same day form an expiry cliff.
    assert_eq!(a.expiry_cliffs.len(), 1);
    assert_eq!(a.expiry_cliffs[0].hosts.len(), 5);
}

#[test]
fn a_year_later_healthy_certs_turn_expiring_and_expired() {
    let ca = ca();
    let evidence = [
        ev("EX30", Role::Frontend, healthy_public(&ca)),
        ev("EX30", Role::Backend, exchange("EX30", 165, 2)),
    ];
    let roots = roots(&ca);
    let now = run(
        &evidence,
        &settings(
            NOW,
            TrustRoots::from_der([ca.root.as_ref()]).unwrap(),
            &NAMESPACES,
        ),
    );
    assert_eq!(now.servers[0].verdict, Verdict::Ok);
    let later = run(
        &evidence,
        &settings(
            NOW + Duration::days(130),
            TrustRoots::from_der([ca.root.as_ref()]).unwrap(),
            &NAMESPACES,
        ),
    );
    assert_eq!(
        find(&later, 1, "backend-cert-expiring").severity,
        Severity::Warning
    );
    assert_eq!(later.servers[0].verdict, Verdict::RenewBackend);
    let year = run(
        &evidence,
        &settings(NOW + Duration::days(365), roots, &NAMESPACES),
    );
    assert!(ids(&year, 0).contains(&"frontend-cert-expired".to_string()));
    assert!(ids(&year, 1).contains(&"backend-cert-expired".to_string()));
    assert_eq!(year.servers[0].severity, Grade::Critical);
}

#[test]
fn unscanned_endpoints_are_never_healthy() {
    let ca = ca();
    let evidence = [
        ev("EX40", Role::Frontend, healthy_public(&ca)),
        failed("EX40", Role::Backend, Status::Refused, "connection refused"),
        failed(
            "EX41",
            Role::Frontend,
            Status::Timeout,
            "timed out after 5 s",
        ),
        failed(
            "EX41",
            Role::Backend,
            Status::Timeout,
            "timed out after 5 s",
        ),
    ];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    let f = find(&a, 1, "endpoint-not-scanned");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.detail.contains("refused"), "{}", f.detail);
    assert!(
        f.detail.contains("Exchange 2010 or a CAS-only 2013 server"),
        "{}",
        f.detail
    );
    assert_eq!(ids(&a, 1), ["endpoint-not-scanned"]);
    assert_eq!(a.servers[0].verdict, Verdict::Investigate);
    assert_eq!(a.servers[0].severity, Grade::Warning);
    assert!(find(&a, 2, "endpoint-not-scanned")
        .detail
        .contains("timeout"));
    assert_eq!(a.servers[1].verdict, Verdict::Investigate);
    assert!(a.endpoints[1].trust.is_none());
}

#[test]
fn a_worse_verdict_beats_investigate() {
    let ca = ca();
    let evidence = [
        failed("EX42", Role::Frontend, Status::HandshakeFailed, "alert"),
        ev("EX42", Role::Backend, exchange("EX42", -1, 2)),
    ];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    assert_eq!(a.servers[0].verdict, Verdict::RenewBackend);
    // The failed endpoint still appears in the steps.
    assert!(
        a.servers[0]
            .remediation_lines()
            .iter()
            .any(|r| r.contains("EX42:443")),
        "{:?}",
        a.servers[0].remediation_lines()
    );
}

#[test]
fn unparsable_der_is_reported_not_a_panic() {
    let a = run(
        &[ev(
            "EX43",
            Role::Backend,
            vec![b"\x30\x82\x01\x00garbage".to_vec()],
        )],
        &settings(NOW, TrustRoots::empty(), &NAMESPACES),
    );
    assert_eq!(
        a.endpoints[0].chain[0].classification,
        Classification::Unparsable
    );
    assert_eq!(ids(&a, 0), ["cert-unparsable"]);
    assert_eq!(a.servers[0].verdict, Verdict::Investigate);
}

#[test]
fn legacy_protocol_rules() {
    let ca = ca();
    let mut only_old = ev("EX44", Role::Frontend, healthy_public(&ca));
    only_old.observation.tls = Some(tls(&["TLSv1.0"]));
    let mut mixed = ev("EX45", Role::Frontend, healthy_public(&ca));
    mixed.observation.tls = Some(tls(&["TLSv1.0", "TLSv1.1", "TLSv1.2"]));
    let mut modern = ev("EX46", Role::Frontend, healthy_public(&ca));
    modern.observation.tls = Some(tls(&["TLSv1.2", "TLSv1.3"]));
    // Each server on its own: side by side, their different versions are
    // `tls-versions-inconsistent` too (tests/it/analyze/versions.rs).
    let s = settings(NOW, roots(&ca), &NAMESPACES);
    let a = run(&[only_old], &s);
    assert_eq!(ids(&a, 0), ["legacy-tls-only"]);
    assert_eq!(find(&a, 0, "legacy-tls-only").severity, Severity::Warning);
    assert_eq!(a.servers[0].verdict, Verdict::Review);
    let a = run(&[mixed], &s);
    let f = find(&a, 0, "legacy-protocols-enabled");
    assert_eq!(f.severity, Severity::Info);
    assert!(f.detail.contains("TLSv1.0, TLSv1.1"), "{}", f.detail);
    // Info alone never changes the verdict.
    assert_eq!(a.servers[0].verdict, Verdict::Ok);
    assert_eq!(a.servers[0].severity, Grade::Info);
    let a = run(&[modern], &s);
    assert!(ids(&a, 0).is_empty());
}

#[test]
fn different_chain_without_sni_is_info() {
    let ca = ca();
    let mut e = ev("mail.contoso.com", Role::Frontend, healthy_public(&ca));
    e.no_sni = Some(Box::new(
        evidence::ep("mail.contoso.com", Role::Frontend)
            .chain(exchange("EX47", 900, 3))
            .observation(),
    ));
    let same = {
        let mut s = ev("EX48", Role::Frontend, healthy_public(&ca));
        s.no_sni = Some(Box::new(s.observation.clone()));
        s
    };
    let a = run(&[e, same], &settings(NOW, roots(&ca), &NAMESPACES));
    assert_eq!(find(&a, 0, "sni-dependent-cert").severity, Severity::Info);
    assert_eq!(
        a.endpoints[0].no_sni.as_ref().unwrap().chain[0].classification,
        Classification::ExchangeSelfSigned
    );
    assert!(ids(&a, 1).is_empty());
}

#[test]
fn classification_of_each_fixture_class() {
    let ca = ca();
    let admin = {
        let mut p = rcgen::CertificateParams::new(vec!["mail.contoso.com".to_string()]).unwrap();
        p.not_before = NOW;
        p.not_after = NOW + Duration::days(365);
        p.self_signed(&key(6)).unwrap().der().to_vec()
    };
    let cases: Vec<(Vec<u8>, Classification)> = vec![
        (fixture("ex2016-sha1"), Classification::ExchangeSelfSigned),
        (
            exchange("EX50", 100, 2).remove(0),
            Classification::ExchangeSelfSigned,
        ),
        (fixture("ex2007"), Classification::ExchangeSelfSigned),
        (fixture("ex-2years"), Classification::SelfSigned),
        (fixture("exchange-auth"), Classification::ExchangeAuth),
        (fixture("wmsvc"), Classification::Wmsvc),
        (fixture("ca"), Classification::SelfSigned),
        (admin, Classification::SelfSigned),
        (fixture("weak-1024"), Classification::CaIssued),
        (fixture("sha1-leaf"), Classification::CaIssued),
        (healthy_public(&ca).remove(0), Classification::CaIssued),
    ];
    for (i, (der, want)) in cases.iter().enumerate() {
        assert_eq!(cert::facts(der, NOW).classification, *want, "case {i}");
    }
}

#[test]
fn facts_of_the_setup_made_exchange_cert() {
    let f = cert::facts(&fixture("ex2016-sha1"), datetime!(2024-01-01 0:00 UTC));
    assert_eq!(f.subject, "CN=EX2016");
    assert_eq!(f.issuer, "CN=EX2016");
    assert_eq!(f.subject_cn.as_deref(), Some("EX2016"));
    assert_eq!(f.sans, ["EX2016", "EX2016.contoso.local"]);
    // What openssl x509 -fingerprint -sha1 and Get-ExchangeCertificate show.
    assert_eq!(f.sha1, "7606756734D7B5FBD628160D2599C4A95D3992D2");
    assert_eq!(f.sha256.len(), 64);
    assert!(f.sha256.chars().all(|c| !c.is_ascii_uppercase()));
    assert_eq!(f.key.algorithm.name(), "RSA");
    assert_eq!(f.key.bits, 2048);
    assert_eq!(f.signature_algorithm, "sha1WithRSAEncryption");
    assert!(f.self_issued && f.self_signed);
    assert_eq!(f.basic_constraints_ca, Some(false));
    assert_eq!(f.key_usage, ["digitalSignature", "keyEncipherment"]);
    assert_eq!(f.extended_key_usage, ["serverAuth"]);
    assert_eq!(f.not_before, Some(datetime!(2021-03-15 08:00 UTC)));
    assert_eq!(f.not_after, Some(datetime!(2026-03-15 08:00 UTC)));
    assert_eq!(f.days_left, Some(804));
    assert_eq!(f.serial, "1000");
}

#[test]
fn servers_keep_input_order_and_group() {
    let ca = ca();
    let mut a1 = ev("EX61", Role::Backend, exchange("EX61", 900, 2));
    a1.endpoint.group.dag = Some("DAG1".into());
    let evidence = [
        ev("EX60", Role::Frontend, healthy_public(&ca)),
        a1,
        ev("EX60", Role::Backend, exchange("EX60", 900, 3)),
    ];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    let hosts: Vec<&str> = a.servers.iter().map(|s| s.host.as_str()).collect();
    assert_eq!(hosts, ["EX60", "EX61"]);
    assert_eq!(a.servers[0].endpoints, [0, 2]);
    assert_eq!(a.servers[1].group.dag.as_deref(), Some("DAG1"));
}

#[test]
fn reanalysis_from_saved_evidence_gives_the_same_findings() {
    let ca = ca();
    let evidence = [
        ev("EX70", Role::Frontend, exchange("EX70", 1800, 2)),
        ev("EX70", Role::Backend, exchange("EX70", 10, 3)),
        failed("EX71", Role::Backend, Status::Refused, "connection refused"),
    ];
    let s = settings(NOW, roots(&ca), &NAMESPACES);
    let first = run(&evidence, &s);
    let json = serde_json::to_string(&first.endpoints).unwrap();
    let saved: Vec<excert::model::EndpointReport> = serde_json::from_str(&json).unwrap();
    let again = run(
        &saved.iter().map(|e| e.to_evidence()).collect::<Vec<_>>(),
        &s,
    );
    assert_eq!(first.endpoints, again.endpoints);
    assert_eq!(first.servers, again.servers);
}

#[test]
fn catalogue_is_public_and_complete() {
    let all = catalog::all();
    assert_eq!(all.len(), FindingId::ALL.len());
    assert!(all.len() >= 18);
    let severity = |id: &str| {
        let id: FindingId = serde_json::from_value(serde_json::json!(id)).expect("known id");
        catalog::entry(id).severity
    };
    assert_eq!(severity("public-binding-lost"), Severity::Critical);
    assert_eq!(severity("legacy-protocols-enabled"), Severity::Info);
    // An id excert does not know is refused when reading scan.json.
    assert!(serde_json::from_value::<FindingId>(serde_json::json!("no-such-rule")).is_err());
}

#[test]
fn verdicts_serialise_as_scan_json_spells_them() {
    for (v, text) in [
        (Verdict::RebindPublicCert, "rebind-public-cert"),
        (Verdict::RenewBackend, "renew-backend"),
        (Verdict::RenewPublicCert, "renew-public-cert"),
        (Verdict::FixBackendBinding, "fix-backend-binding"),
        (Verdict::Investigate, "investigate"),
        (Verdict::Review, "review"),
        (Verdict::Ok, "ok"),
    ] {
        assert_eq!(serde_json::to_value(v).ok(), Some(serde_json::json!(text)));
        assert_eq!(v.as_str(), text);
    }
}

/// The demo fleet's chains, analysed without the network: each server must
/// get the verdict the demo table promises.
#[test]
fn demo_fleet_verdicts() {
    use excert::lab::Service;
    let fleet = excert::lab::demo_fleet(NOW);
    let mut evidence = Vec::new();
    for h in &fleet.hosts {
        let host = format!("{}.{}", h.name.to_ascii_lowercase(), excert::lab::DOMAIN);
        let site = fleet
            .sites
            .iter()
            .find(|(short, _)| host.starts_with(&format!("{short}.")))
            .map(|(_, site)| site.clone());
        for (role, service) in [(Role::Frontend, &h.frontend), (Role::Backend, &h.backend)] {
            let mut e = match service {
                Service::Tls(s) => ev(
                    &host,
                    role,
                    s.chain.iter().map(|c| c.as_ref().to_vec()).collect(),
                ),
                _ => failed(&host, role, Status::Refused, "connection refused"),
            };
            e.endpoint.group.site = site.clone();
            evidence.push(e);
        }
    }
    let roots = TrustRoots::from_der([fleet.ca.root.as_ref()]).unwrap();
    let mut s = settings(NOW, roots, &[]);
    for ns in &fleet.namespaces {
        let (site, name) = ns.split_once(':').unwrap();
        s.site_namespaces
            .entry(site.to_string())
            .or_default()
            .push(name.to_string());
    }
    let a = run(&evidence, &s);
    let verdicts: Vec<(&str, &str)> = a
        .servers
        .iter()
        .map(|s| (s.host.split('.').next().unwrap(), s.verdict.as_str()))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("ex01", "ok"),
            ("ex02", "ok"),
            ("ex03", "renew-backend"),
            ("ex04", "renew-backend"),
            ("ex05", "rebind-public-cert"),
            ("ex06", "investigate"),
            ("ex07", "rebind-public-cert"),
            ("ex08", "ok"),
            ("ex09", "ok"),
        ]
    );
    // EX05: renew first, then give IIS back to the fleet's public cert.
    let public = cert::sha1_hex(&a.endpoints[0].chain[0].der_base64.0);
    assert!(a.servers[4]
        .remediation_lines()
        .iter()
        .any(|r| r.contains(&format!(
            "Enable-ExchangeCertificate -Server {} -Thumbprint {public}",
            a.servers[4].host
        ))));
    // EX07's expiring cert is fixed by binding the fleet's, not renewing.
    let ex07 = &a.endpoints[12];
    assert!(
        ex07.findings
            .iter()
            .any(|f| f.id == FindingId::FrontendCertExpiring
                && f.remediation_text().contains(&public))
    );
    assert!(
        !a.servers[6]
            .remediation_lines()
            .iter()
            .any(|r| r.contains("Get a new public certificate")),
        "{:?}",
        a.servers[6].remediation_lines()
    );
}

#[test]
fn ca_bundles_load_and_bad_ones_name_the_file() {
    let dir = format!("{}/fixtures/certs", env!("CARGO_MANIFEST_DIR"));
    let good = std::path::PathBuf::from(format!("{dir}/ca.pem"));
    let roots = excert::config::load_roots(std::slice::from_ref(&good)).unwrap();
    // webpki-roots alone is well over a hundred anchors, plus our bundle.
    assert!(roots.len() > 100, "{}", roots.len());
    let bad = std::path::PathBuf::from(format!("{dir}/make.sh"));
    let err = excert::config::load_roots(&[bad]).unwrap_err();
    assert!(matches!(err, excert::Error::BadCaBundle { .. }), "{err}");
    assert_eq!(err.exit_code(), 64);
    assert!(err.to_string().contains("make.sh"), "{err}");
}

#[test]
fn a_ca_bundle_makes_an_enterprise_chain_trusted() {
    let ca = ca();
    let evidence = [ev("EX80", Role::Frontend, healthy_public(&ca))];
    let without = run(&evidence, &settings(NOW, TrustRoots::empty(), &NAMESPACES));
    assert!(ids(&without, 0).contains(&"frontend-cert-untrusted".to_string()));
    let with = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    assert!(ids(&with, 0).is_empty());
}

/// Our RFC 6125 matcher and webpki's name check must agree, so the report
/// never contradicts what rustls clients do.
#[test]
fn name_matching_agrees_with_webpki() {
    let ca = ca();
    let der = public(
        &ca,
        &["*.contoso.com", "mail.fabrikam.com"],
        NOW - Duration::days(1),
        NOW + Duration::days(90),
        1,
    )
    .remove(0);
    let facts = cert::facts(&der, NOW);
    let cert_der = rustls_pki_types::CertificateDer::from(der.as_slice());
    let ee = webpki::EndEntityCert::try_from(&cert_der).unwrap();
    for name in [
        "mail.contoso.com",
        "MAIL.CONTOSO.COM",
        "a.b.contoso.com",
        "contoso.com",
        "mail.fabrikam.com",
        "owa.fabrikam.com",
        "autodiscover.contoso.com",
    ] {
        let sn = rustls_pki_types::ServerName::try_from(name).unwrap();
        let webpki_ok = ee.verify_is_valid_for_subject_name(&sn).is_ok();
        assert_eq!(
            excert::analyze::hostnames::covers(&facts, name),
            webpki_ok,
            "{name}"
        );
    }
}

#[test]
fn expired_exchange_cert_on_443_is_one_lost_binding_finding() {
    let ca = ca();
    let evidence = [
        ev("EX01", Role::Frontend, healthy_public(&ca)),
        ev("EX90", Role::Frontend, exchange("EX90", -30, 3)),
    ];
    let a = run(&evidence, &settings(NOW, roots(&ca), &NAMESPACES));
    assert_eq!(ids(&a, 1), ["public-binding-lost"]);
    assert!(find(&a, 1, "public-binding-lost")
        .detail
        .contains("expired 2025-05-02"));
    assert_eq!(a.servers[1].verdict, Verdict::RebindPublicCert);
}

#[test]
fn another_servers_expired_cert_on_444_is_rebound_not_renewed() {
    let a = run(
        &[ev("EX91", Role::Backend, exchange("EX92", -5, 3))],
        &settings(NOW, TrustRoots::empty(), &NAMESPACES),
    );
    assert!(ids(&a, 0).contains(&"backend-cert-expired".to_string()));
    assert!(ids(&a, 0).contains(&"backend-unexpected-cert".to_string()));
    assert_eq!(a.servers[0].verdict, Verdict::FixBackendBinding);
    assert!(
        !a.servers[0]
            .remediation_lines()
            .iter()
            .any(|r| r.contains("New-ExchangeCertificate -Force")),
        "{:?}",
        a.servers[0].remediation_lines()
    );
}
