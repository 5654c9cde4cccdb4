//! EdgeSync LDAPS (50636 on Edge servers) and `--tls-port` ports on saved
//! evidence: each finding fires where it should and stays silent on its
//! healthy twin, with the verdict, the summary and the steps an admin
//! reads. A fixed as-of time; lab (rcgen) certificates dated from it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use crate::lab_support::evidence;
use crate::ps_support;
use excert::analyze::trust::TrustRoots;
use excert::analyze::{analyze, catalog, Analysis};
use excert::config::AnalysisSettings;
use excert::lab::certs::{exchange_self_signed, key, plus_years, wmsvc_self_signed, LabCa};
use excert::model::{EndpointEvidence, FindingId, Grade, Group, Role, Severity, Status, Verdict};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

/// Settings trusting `ca`'s root (or nothing).
fn settings(ca: Option<&LabCa>) -> AnalysisSettings {
    AnalysisSettings {
        as_of: NOW,
        warn_days: 60,
        critical_days: 30,
        namespaces: vec!["mail.contoso.com".into()],
        site_namespaces: Default::default(),
        roots: Arc::new(TrustRoots::from_der(ca.map(|c| c.root.as_ref())).unwrap()),
        ca_bundles: vec![],
    }
}

fn ders(s: excert::lab::Served) -> Vec<Vec<u8>> {
    s.chain.iter().map(|c| c.as_ref().to_vec()).collect()
}

/// The server's own self-signed certificate, `days_left` days from NOW.
fn own(short: &str, days_left: i64, k: usize) -> Vec<Vec<u8>> {
    let not_after = NOW + Duration::days(days_left);
    ders(exchange_self_signed(
        short,
        "contoso.local",
        plus_years(not_after, -5),
        &key(k),
    ))
}

/// A CA-issued certificate for `names`, `days_left` days from NOW.
fn issued(ca: &LabCa, names: &[&str], days_left: i64, k: usize) -> Vec<Vec<u8>> {
    ders(ca.issue(
        names,
        NOW - Duration::days(100),
        NOW + Duration::days(days_left),
        &key(k),
    ))
}

fn edge_group() -> Group {
    Group {
        site: Some("HQ".into()),
        server_role: Some("Edge".into()),
        ..Group::default()
    }
}

/// EdgeSync on `EDGE01` (an Edge server of site HQ) presenting `chain`.
fn edgesync(chain: Vec<Vec<u8>>) -> EndpointEvidence {
    evidence::ep("edge01.contoso.local", Role::Edgesync)
        .group(edge_group())
        .sni(Some("edge01.contoso.local"))
        .chain(chain)
        .evidence()
}

/// `label` on port 8172 of `ex01.contoso.local` presenting `chain`.
fn other(label: &str, chain: Vec<Vec<u8>>) -> EndpointEvidence {
    evidence::ep("ex01.contoso.local", Role::Other)
        .label(label)
        .sni(Some("ex01.contoso.local"))
        .chain(chain)
        .evidence()
}

fn run(evidence: &[EndpointEvidence], s: &AnalysisSettings) -> Analysis {
    let a = analyze(evidence.to_vec(), None, s);
    for e in &a.endpoints {
        for f in &e.findings {
            assert_eq!(f.title, catalog::entry(f.id).title);
            assert!(!f.detail.is_empty(), "{f:?}");
        }
    }
    a
}

fn ids(a: &Analysis, i: usize) -> Vec<FindingId> {
    a.endpoints[i].findings.iter().map(|f| f.id).collect()
}

/// Findings at warning or above on endpoint `i`.
fn actionable(a: &Analysis, i: usize) -> Vec<FindingId> {
    a.endpoints[i]
        .findings
        .iter()
        .filter(|f| f.severity <= Severity::Warning)
        .map(|f| f.id)
        .collect()
}

/// Every command of the server's steps parses and uses only parameters
/// the cmdlet has.
fn commands_check(a: &Analysis) -> Vec<String> {
    let reference = ps_support::reference();
    let commands: Vec<String> = a.servers[0]
        .remediation_steps
        .iter()
        .filter_map(|s| s.command().map(str::to_string))
        .collect();
    for c in commands.iter().filter(|c| !c.starts_with("excert ")) {
        ps_support::check(&reference, c).unwrap_or_else(|e| panic!("{e}"));
    }
    commands
}

#[test]
fn a_healthy_edgesync_port_is_quiet_though_self_signed_and_untrusted() {
    // Years left, self-signed, no public CA, a CN that is no client name:
    // normal for EdgeSync.
    let a = run(&[edgesync(own("EDGE01", 900, 3))], &settings(None));
    assert_eq!(actionable(&a, 0), [], "{:#?}", a.endpoints[0].findings);
    assert!(!ids(&a, 0).contains(&FindingId::NameMismatch));
    assert_eq!(a.servers[0].verdict, Verdict::Ok);
    assert_eq!(a.servers[0].severity, Grade::Ok);
}

#[test]
fn an_expired_edgesync_certificate_is_critical_with_the_subscription_procedure() {
    let a = run(&[edgesync(own("EDGE01", -3, 3))], &settings(None));
    assert_eq!(ids(&a, 0), [FindingId::EdgesyncCertExpired]);
    let f = &a.endpoints[0].findings[0];
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.detail.contains("edge01.contoso.local:50636 (edgesync)"),
        "{}",
        f.detail
    );
    assert!(f.detail.contains("3 days ago"), "{}", f.detail);
    let server = &a.servers[0];
    assert_eq!(server.verdict, Verdict::FixTransportCert);
    assert_eq!(server.severity, Grade::Critical);
    assert!(
        server
            .summary
            .contains("EdgeSync 50636: certificate expired"),
        "{}",
        server.summary
    );
    assert_eq!(
        server.remediation_steps[0].task,
        excert::model::Task::RenewEdgeCertificate
    );
    let commands = commands_check(&a);
    // A new certificate in the Edge's own shell, never -Server; then the
    // subscription again, once.
    assert!(
        commands[0].starts_with("New-ExchangeCertificate -DomainName EDGE01"),
        "{commands:#?}"
    );
    assert!(commands[0].contains("-Services SMTP") && commands[0].contains("-Force"));
    for c in commands.iter().filter(|c| !c.starts_with("excert")) {
        assert!(
            !c.contains("-Server") && !c.contains("Invoke-Command"),
            "{c}"
        );
    }
    let subscription: Vec<&String> = commands
        .iter()
        .filter(|c| c.contains("EdgeSubscription") || c.contains("EdgeSynchronization"))
        .collect();
    assert_eq!(subscription.len(), 4, "{commands:#?}");
    assert_eq!(
        subscription[2],
        "New-EdgeSubscription -FileData ([System.IO.File]::ReadAllBytes('C:\\EdgeSubscription.xml')) -Site 'HQ'"
    );
    let remove = commands
        .iter()
        .position(|c| c.starts_with("Remove-ExchangeCertificate"));
    let resubscribe = commands
        .iter()
        .position(|c| c.starts_with("New-EdgeSubscription"));
    assert!(remove < resubscribe, "old certificate first: {commands:#?}");
}

#[test]
fn an_expiring_edgesync_certificate_warns_then_turns_critical() {
    let a = run(&[edgesync(own("EDGE01", 45, 3))], &settings(None));
    assert_eq!(ids(&a, 0), [FindingId::EdgesyncCertExpiring]);
    assert_eq!(a.endpoints[0].findings[0].severity, Severity::Warning);
    let a = run(&[edgesync(own("EDGE01", 12, 3))], &settings(None));
    assert_eq!(ids(&a, 0), [FindingId::EdgesyncCertExpiring]);
    assert_eq!(a.endpoints[0].findings[0].severity, Severity::Critical);
}

#[test]
fn one_certificate_on_smtp_and_edgesync_is_renewed_once() {
    let cert = own("EDGE01", 20, 3);
    let smtp = evidence::ep("edge01.contoso.local", Role::Smtp)
        .group(edge_group())
        .chain(cert.clone())
        .starttls()
        .evidence();
    let a = run(&[smtp, edgesync(cert)], &settings(None));
    assert_eq!(ids(&a, 0), [FindingId::SmtpCertExpiring]);
    assert_eq!(ids(&a, 1), [FindingId::EdgesyncCertExpiring]);
    let commands = commands_check(&a);
    let count = |p: &str| commands.iter().filter(|c| c.starts_with(p)).count();
    assert_eq!(count("New-ExchangeCertificate"), 1, "{commands:#?}");
    assert_eq!(count("Remove-ExchangeCertificate"), 1, "{commands:#?}");
    assert_eq!(count("Start-EdgeSynchronization"), 1, "{commands:#?}");
}

#[test]
fn an_unreachable_edgesync_port_is_only_info() {
    let e = evidence::ep("edge01.contoso.local", Role::Edgesync)
        .group(edge_group())
        .failed(Status::Timeout, "connect timed out after 5s")
        .evidence();
    let a = run(&[e], &settings(None));
    assert_eq!(ids(&a, 0), [FindingId::EndpointNotScanned]);
    assert_eq!(a.endpoints[0].findings[0].severity, Severity::Info);
    let text = a.endpoints[0].findings[0].remediation_text();
    assert!(text.contains("Mailbox servers"), "{text}");
    assert_eq!(a.servers[0].verdict, Verdict::Ok);
}

#[test]
fn wmsvc_with_its_own_self_signed_certificate_is_healthy() {
    // WMSvc's default: self-signed "WMSvc-SHA2-EX01", ten years, no SAN.
    let cert = ders(wmsvc_self_signed(
        "EX01",
        NOW - Duration::days(400),
        &key(4),
    ));
    let a = run(&[other("wmsvc", cert)], &settings(None));
    assert_eq!(
        a.endpoints[0].leaf().unwrap().classification,
        excert::model::Classification::Wmsvc
    );
    assert_eq!(actionable(&a, 0), [], "{:#?}", a.endpoints[0].findings);
    assert_eq!(ids(&a, 0), [FindingId::OtherCertUntrusted]);
    assert_eq!(a.endpoints[0].findings[0].severity, Severity::Info);
    assert_eq!(a.servers[0].verdict, Verdict::Ok);
}

#[test]
fn an_expired_other_port_is_critical_with_its_services_steps_in_words() {
    let a = run(&[other("wmsvc", own("EX01", -10, 4))], &settings(None));
    assert!(
        ids(&a, 0).contains(&FindingId::OtherCertExpired),
        "{:?}",
        ids(&a, 0)
    );
    let f = a.endpoints[0]
        .findings
        .iter()
        .find(|f| f.id == FindingId::OtherCertExpired)
        .unwrap();
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.detail.contains("ex01.contoso.local:8172 (wmsvc)"),
        "{}",
        f.detail
    );
    let server = &a.servers[0];
    assert_eq!(server.severity, Grade::Critical);
    assert_eq!(server.verdict, Verdict::Review);
    assert!(
        server.summary.contains("wmsvc 8172: certificate expired"),
        "{}",
        server.summary
    );
    let text: Vec<String> = server
        .remediation_steps
        .iter()
        .map(|s| s.text().into_owned())
        .collect();
    assert!(
        text.iter().any(|t| t.contains("Management Service")),
        "{text:#?}"
    );
    // Plain words, never an Exchange cmdlet for a service that is not
    // Exchange's: only the verification line has a command.
    let commands = commands_check(&a);
    assert!(
        commands.iter().all(|c| c.starts_with("excert scan")),
        "{commands:#?}"
    );
    assert!(
        commands[0].contains("--tls-port wmsvc:8172"),
        "{commands:#?}"
    );
}

#[test]
fn an_expiring_other_port_warns() {
    let ca = LabCa::new(NOW);
    let cert = issued(&ca, &["ex01.contoso.local"], 40, 5);
    let a = run(&[other("um", cert)], &settings(Some(&ca)));
    assert_eq!(ids(&a, 0), [FindingId::OtherCertExpiring]);
    assert_eq!(a.endpoints[0].findings[0].severity, Severity::Warning);
    let text = a.endpoints[0].findings[0].remediation_text();
    assert!(text.contains("UM Call Router"), "{text}");
}

#[test]
fn a_ca_issued_certificate_nobody_trusts_warns_and_its_trusted_twin_is_quiet() {
    let ca = LabCa::new(NOW);
    let cert = issued(&ca, &["ex01.contoso.local"], 300, 5);
    let a = run(&[other("wmsvc", cert.clone())], &settings(None));
    assert_eq!(ids(&a, 0), [FindingId::OtherCertUntrusted]);
    assert_eq!(a.endpoints[0].findings[0].severity, Severity::Warning);
    assert_eq!(a.servers[0].verdict, Verdict::Review);
    let healthy = run(&[other("wmsvc", cert)], &settings(Some(&ca)));
    assert_eq!(ids(&healthy, 0), []);
    assert_eq!(healthy.servers[0].verdict, Verdict::Ok);
}

#[test]
fn a_ca_issued_certificate_must_cover_the_name_it_was_scanned_by() {
    let ca = LabCa::new(NOW);
    let wrong = issued(&ca, &["mail.contoso.com"], 300, 5);
    let a = run(&[other("wmsvc", wrong)], &settings(Some(&ca)));
    assert_eq!(ids(&a, 0), [FindingId::NameMismatch]);
    let f = &a.endpoints[0].findings[0];
    assert!(
        f.detail.contains("does not cover ex01.contoso.local"),
        "{}",
        f.detail
    );
    assert_eq!(a.servers[0].verdict, Verdict::Review);
    let right = issued(&ca, &["ex01.contoso.local", "mail.contoso.com"], 300, 5);
    assert_eq!(
        ids(&run(&[other("wmsvc", right)], &settings(Some(&ca))), 0),
        []
    );
}

#[test]
fn a_server_without_the_service_is_only_info() {
    let e = evidence::ep("ex01.contoso.local", Role::Other)
        .label("um")
        .port(5061)
        .failed(Status::Refused, "connection refused")
        .evidence();
    let a = run(&[e], &settings(None));
    assert_eq!(ids(&a, 0), [FindingId::EndpointNotScanned]);
    assert_eq!(a.endpoints[0].findings[0].severity, Severity::Info);
    assert_eq!(a.servers[0].verdict, Verdict::Ok);
}

#[test]
fn a_hostile_label_from_a_saved_scan_never_runs_and_never_breaks_a_line() {
    // `excert report` reads labels from a file: they are not checked there.
    let a = run(
        &[other("x';calc;$(calc)\n#", own("EX01", -1, 4))],
        &settings(None),
    );
    let commands = commands_check(&a);
    let verify = commands
        .iter()
        .find(|c| c.starts_with("excert scan"))
        .unwrap();
    assert!(!verify.contains('\n'), "{verify}");
    assert!(verify.contains("--tls-port '<value>'"), "{verify}");
    for s in &a.servers[0].remediation_steps {
        assert!(!s.text().contains('\n'), "{}", s.text());
    }
    assert!(
        !a.servers[0].summary.contains('\n'),
        "{}",
        a.servers[0].summary
    );
}
