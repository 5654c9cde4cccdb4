//! Analysis of mail ports on saved evidence: the SMTP/IMAP/POP finding ids,
//! where they fire and where they must not, the verdict and the steps an
//! admin reads. A fixed as-of time; lab (rcgen) certificates dated from it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use crate::lab_support::evidence;
use excert::analyze::trust::TrustRoots;
use excert::analyze::{analyze, catalog, Analysis};
use excert::config::AnalysisSettings;
use excert::lab::certs::{exchange_self_signed, key, plus_years, LabCa};
use excert::model::{
    Dialogue, EndpointEvidence, FindingId, Grade, Role, Severity, SmtpInfo, Status, TlsVersion,
    Verdict,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2025-06-01 12:00 UTC);
const NAMES: [&str; 2] = ["mail.contoso.com", "autodiscover.contoso.com"];

fn settings(ca: &LabCa, namespaces: &[&str]) -> AnalysisSettings {
    AnalysisSettings {
        as_of: NOW,
        warn_days: 60,
        critical_days: 30,
        namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
        site_namespaces: Default::default(),
        roots: Arc::new(TrustRoots::from_der([ca.root.as_ref()]).unwrap()),
        ca_bundles: vec![],
    }
}

/// An endpoint of `host`'s server (`EX01` is `ex01.contoso.local`).
fn ep(host: &str, role: Role, port: u16) -> evidence::Ep {
    evidence::ep(
        &format!("{}.contoso.local", host.to_ascii_lowercase()),
        role,
    )
    .address(Some("10.0.0.1".parse().unwrap()))
    .port(port)
}

fn exchange_smtp() -> Dialogue {
    Dialogue {
        smtp: Some(Box::new(SmtpInfo {
            banner: "220 EX01.contoso.local Microsoft ESMTP MAIL Service ready".into(),
            ehlo: vec!["STARTTLS".into(), "X-ANONYMOUSTLS".into()],
            exchange_banner: true,
        })),
        ..Dialogue::default()
    }
}

/// A port that answered with `chain` (after STARTTLS on SMTP).
fn ok(
    host: &str,
    role: Role,
    port: u16,
    chain: Vec<Vec<u8>>,
    versions: &[TlsVersion],
) -> EndpointEvidence {
    let e = ep(host, role, port).chain(chain).versions(versions);
    if role == Role::Smtp {
        e.starttls().dialogue(exchange_smtp()).evidence()
    } else {
        e.evidence()
    }
}

fn modern(host: &str, role: Role, port: u16, chain: Vec<Vec<u8>>) -> EndpointEvidence {
    ok(host, role, port, chain, &[TlsVersion::Tls12])
}

fn failed(host: &str, role: Role, port: u16, status: Status, error: &str) -> EndpointEvidence {
    let e = ep(host, role, port);
    if status == Status::NoStarttls {
        e.dialogue(exchange_smtp()).failed(status, error).evidence()
    } else {
        e.failed(status, error).evidence()
    }
}

fn ders(s: excert::lab::Served) -> Vec<Vec<u8>> {
    s.chain.iter().map(|c| c.as_ref().to_vec()).collect()
}

/// The public certificate, `days_left` days from NOW.
fn public(ca: &LabCa, days_left: i64, k: usize) -> Vec<Vec<u8>> {
    ders(ca.issue(
        &NAMES,
        NOW - Duration::days(100),
        NOW + Duration::days(days_left),
        &key(k),
    ))
}

/// The server's own Exchange certificate, `days_left` days from NOW.
fn own(short: &str, days_left: i64, k: usize) -> Vec<Vec<u8>> {
    let not_after = NOW + Duration::days(days_left);
    ders(exchange_self_signed(
        short,
        "contoso.local",
        plus_years(not_after, -5),
        &key(k),
    ))
}

fn run(evidence: &[EndpointEvidence], s: &AnalysisSettings) -> Analysis {
    let a = analyze(evidence.to_vec(), None, s);
    for e in &a.endpoints {
        for f in &e.findings {
            assert_eq!(f.title, catalog::entry(f.id).title);
            assert!(
                !f.detail.is_empty() && !f.remediation_text().is_empty(),
                "{f:?}"
            );
        }
    }
    a
}

fn ids(a: &Analysis, i: usize) -> Vec<FindingId> {
    a.endpoints[i].findings.iter().map(|f| f.id).collect()
}

fn verdict(a: &Analysis, host: &str) -> (Verdict, Grade) {
    let s = a
        .servers
        .iter()
        .find(|s| {
            s.host
                .starts_with(&format!("{}.", host.to_ascii_lowercase()))
        })
        .unwrap();
    (s.verdict, s.severity)
}

#[test]
fn expired_and_expiring_certificates_on_each_mail_port() {
    let ca = LabCa::new(NOW);
    let evidence = [
        modern("EX01", Role::Smtp, 25, public(&ca, -3, 1)),
        modern("EX02", Role::Smtp, 25, public(&ca, 45, 2)),
        modern("EX03", Role::Smtp, 25, public(&ca, 10, 3)),
        modern("EX04", Role::Imap, 993, public(&ca, -1, 4)),
        modern("EX04", Role::Imap, 143, public(&ca, 50, 4)),
        modern("EX05", Role::Pop, 995, public(&ca, -1, 5)),
        modern("EX05", Role::Pop, 110, public(&ca, 20, 5)),
        modern("EX06", Role::Smtp, 25, public(&ca, 200, 6)),
    ];
    let a = run(&evidence, &settings(&ca, &NAMES));
    let one = |i: usize, id: FindingId, severity: Severity| {
        let f = a.endpoints[i].findings.iter().find(|f| f.id == id);
        let f = f.unwrap_or_else(|| panic!("{id} on {i}: {:?}", ids(&a, i)));
        assert_eq!(f.severity, severity, "{id} on {i}");
        f
    };
    let expired = one(0, FindingId::SmtpCertExpired, Severity::Critical);
    assert!(
        expired.detail.contains("after STARTTLS"),
        "{}",
        expired.detail
    );
    assert!(
        expired.remediation_text().contains("-Services SMTP"),
        "{}",
        expired.remediation_text()
    );
    assert!(
        expired.remediation_text().contains("TlsCertificateName"),
        "{}",
        expired.remediation_text()
    );
    one(1, FindingId::SmtpCertExpiring, Severity::Warning);
    one(2, FindingId::SmtpCertExpiring, Severity::Critical);
    let imap = one(3, FindingId::ImapCertExpired, Severity::Critical);
    assert!(
        imap.remediation_text().contains("-Services IMAP"),
        "{}",
        imap.remediation_text()
    );
    assert!(
        !imap.remediation_text().contains("Get-ReceiveConnector"),
        "{}",
        imap.remediation_text()
    );
    one(4, FindingId::ImapCertExpiring, Severity::Warning);
    let pop = one(5, FindingId::PopCertExpired, Severity::Critical);
    assert!(
        pop.remediation_text().contains("-Services POP"),
        "{}",
        pop.remediation_text()
    );
    one(6, FindingId::PopCertExpiring, Severity::Critical);
    assert!(ids(&a, 7).is_empty(), "{:?}", ids(&a, 7));
    // The IIS ids never fire on mail ports.
    for e in &a.endpoints {
        for f in &e.findings {
            assert!(
                !f.id.as_str().starts_with("frontend-") && !f.id.as_str().starts_with("backend-"),
                "{f:?}"
            );
        }
    }
    assert_eq!(
        verdict(&a, "EX01"),
        (Verdict::FixTransportCert, Grade::Critical)
    );
    assert_eq!(
        verdict(&a, "EX02"),
        (Verdict::FixTransportCert, Grade::Warning)
    );
    assert_eq!(verdict(&a, "EX06"), (Verdict::Ok, Grade::Ok));
    let ex01 = a
        .servers
        .iter()
        .find(|s| s.host.starts_with("ex01."))
        .unwrap();
    assert!(
        ex01.summary.contains("SMTP 25: certificate expired"),
        "{}",
        ex01.summary
    );
    assert!(
        ex01.remediation_lines()
            .iter()
            .any(|s| s.contains("Enable-ExchangeCertificate -Server ex01.contoso.local")),
        "{:?}",
        ex01.remediation_lines()
    );
}

#[test]
fn an_expiring_smtp_certificate_next_to_a_newer_public_one_is_a_rebind_not_a_renewal() {
    let ca = LabCa::new(NOW);
    let fleet = public(&ca, 300, 1);
    let evidence = [
        modern("EX01", Role::Frontend, 443, fleet.clone()),
        modern("EX01", Role::Smtp, 25, public(&ca, 20, 2)),
    ];
    let a = run(&evidence, &settings(&ca, &NAMES));
    let f = &a.endpoints[1].findings[0];
    assert_eq!(f.id, FindingId::SmtpCertExpiring);
    let fleet_sha1 = a.endpoints[0].chain[0].sha1.clone();
    assert!(
        f.remediation_text()
            .contains(&format!("-Thumbprint {fleet_sha1} -Services SMTP")),
        "{}",
        f.remediation_text()
    );
    assert!(
        !f.remediation_text().contains("Renew"),
        "{}",
        f.remediation_text()
    );
}

#[test]
fn no_starttls_is_a_warning_and_a_refused_smtp_port_changes_no_verdict() {
    let ca = LabCa::new(NOW);
    let evidence = [
        modern("EX01", Role::Frontend, 443, public(&ca, 300, 1)),
        failed(
            "EX01",
            Role::Smtp,
            25,
            Status::NoStarttls,
            "SMTP: STARTTLS refused: 454 4.7.0 TLS not available",
        ),
        modern("EX02", Role::Frontend, 443, public(&ca, 300, 1)),
        failed(
            "EX02",
            Role::Smtp,
            25,
            Status::Refused,
            "connect: Connection refused",
        ),
        modern("EX03", Role::Frontend, 443, public(&ca, 300, 1)),
        failed(
            "EX03",
            Role::Smtp,
            25,
            Status::Timeout,
            "connect: no answer within 5.0 s",
        ),
    ];
    let a = run(&evidence, &settings(&ca, &NAMES));
    assert_eq!(ids(&a, 1), [FindingId::StarttlsNotOffered]);
    let f = &a.endpoints[1].findings[0];
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.detail.contains("454 4.7.0"), "{}", f.detail);
    assert!(
        f.detail.contains("Microsoft ESMTP MAIL Service"),
        "{}",
        f.detail
    );
    assert!(
        f.remediation_text().contains("12014") && f.remediation_text().contains("-Services SMTP")
    );
    assert_eq!(
        verdict(&a, "EX01"),
        (Verdict::FixTransportCert, Grade::Warning)
    );
    for (i, host) in [(3, "EX02"), (5, "EX03")] {
        assert_eq!(ids(&a, i), [FindingId::EndpointNotScanned]);
        assert_eq!(a.endpoints[i].findings[0].severity, Severity::Info);
        assert_eq!(verdict(&a, host), (Verdict::Ok, Grade::Info), "{host}");
    }
}

#[test]
fn one_self_signed_smtp_among_ca_issued_ones_is_inconsistent() {
    let ca = LabCa::new(NOW);
    let fleet = public(&ca, 300, 1);
    let evidence = [
        modern("EX01", Role::Smtp, 25, fleet.clone()),
        modern("EX02", Role::Smtp, 25, fleet.clone()),
        modern("EX03", Role::Smtp, 25, own("EX03", 1500, 3)),
        // Internal transport: the server's own certificate is expected.
        modern("EX01", Role::Smtp, 2525, own("EX01", 1500, 4)),
        modern("EX02", Role::Smtp, 2525, own("EX02", 1500, 5)),
        modern("EX03", Role::Smtp, 2525, fleet.clone()),
    ];
    let a = run(&evidence, &settings(&ca, &NAMES));
    assert_eq!(ids(&a, 2), [FindingId::SmtpCertInconsistent]);
    let f = &a.endpoints[2].findings[0];
    let fleet_sha1 = &a.endpoints[0].chain[0].sha1;
    assert!(f.detail.contains("2 of 3 servers"), "{}", f.detail);
    assert!(
        f.remediation_text().contains(&format!("Enable-ExchangeCertificate -Server ex03.contoso.local -Thumbprint {fleet_sha1} -Services SMTP")),
        "{}",
        f.remediation_text()
    );
    assert!(
        f.remediation_text()
            .contains("<I>$($c.Issuer)<S>$($c.Subject)"),
        "{}",
        f.remediation_text()
    );
    for i in [0, 1, 3, 4, 5] {
        assert!(ids(&a, i).is_empty(), "{i}: {:?}", ids(&a, i));
    }
    assert_eq!(
        verdict(&a, "EX03"),
        (Verdict::FixTransportCert, Grade::Warning)
    );
}

#[test]
fn self_signed_25_on_an_internal_fleet_is_no_finding() {
    let ca = LabCa::new(NOW);
    let evidence = [
        modern("EX01", Role::Smtp, 25, own("EX01", 1500, 1)),
        modern("EX02", Role::Smtp, 25, own("EX02", 1500, 2)),
        modern("EX03", Role::Smtp, 25, public(&ca, 300, 3)),
    ];
    let a = run(&evidence, &settings(&ca, &NAMES));
    for i in 0..3 {
        assert!(ids(&a, i).is_empty(), "{i}: {:?}", ids(&a, i));
    }
}

#[test]
fn legacy_protocols_and_chain_findings_apply_to_smtp() {
    let ca = LabCa::new(NOW);
    let mut leaf_only = public(&ca, 300, 1);
    leaf_only.truncate(1);
    let evidence = [
        ok(
            "EX01",
            Role::Smtp,
            25,
            public(&ca, 300, 2),
            &[TlsVersion::Tls10],
        ),
        ok(
            "EX02",
            Role::Smtp,
            25,
            public(&ca, 300, 3),
            &[TlsVersion::Tls10, TlsVersion::Tls12],
        ),
        modern("EX03", Role::Smtp, 25, leaf_only),
    ];
    let a = run(&evidence, &settings(&ca, &NAMES));
    assert!(
        ids(&a, 0).contains(&FindingId::LegacyTlsOnly),
        "{:?}",
        ids(&a, 0)
    );
    assert!(
        ids(&a, 1).contains(&FindingId::LegacyProtocolsEnabled),
        "{:?}",
        ids(&a, 1)
    );
    assert!(
        ids(&a, 2).contains(&FindingId::ChainIncomplete),
        "{:?}",
        ids(&a, 2)
    );
}

#[test]
fn smtp_names_are_checked_only_against_given_namespaces() {
    let ca = LabCa::new(NOW);
    let other = ders(ca.issue(
        &["smtp.fabrikam.com"],
        NOW - Duration::days(10),
        NOW + Duration::days(300),
        &key(4),
    ));
    let evidence = [
        modern("EX01", Role::Frontend, 443, public(&ca, 300, 1)),
        modern("EX01", Role::Smtp, 25, other),
        modern("EX01", Role::Smtp, 587, public(&ca, 300, 1)),
    ];
    let given = run(&evidence, &settings(&ca, &NAMES));
    assert_eq!(ids(&given, 1), [FindingId::NameMismatch]);
    assert!(ids(&given, 2).is_empty(), "{:?}", ids(&given, 2));
    assert_eq!(
        verdict(&given, "EX01"),
        (Verdict::FixTransportCert, Grade::Warning)
    );
    let inferred = run(&evidence, &settings(&ca, &[]));
    assert!(ids(&inferred, 1).is_empty(), "{:?}", ids(&inferred, 1));
}

fn at_site(mut e: EndpointEvidence, site: &str) -> EndpointEvidence {
    e.endpoint.group.site = Some(site.to_string());
    e
}

#[test]
fn the_smtp_certificate_to_enable_is_the_servers_own_sites_and_still_valid() {
    let ca = LabCa::new(NOW);
    // HQ's public certificate is the fleet's most common; Branch has its own.
    let hq = public(&ca, 300, 1);
    let branch = ders(ca.issue(
        &["mail.branch.contoso.com"],
        NOW - Duration::days(10),
        NOW + Duration::days(700),
        &key(2),
    ));
    let evidence = [
        at_site(modern("EX01", Role::Smtp, 25, hq.clone()), "HQ"),
        at_site(modern("EX02", Role::Smtp, 25, hq.clone()), "HQ"),
        at_site(modern("EX03", Role::Smtp, 25, hq.clone()), "HQ"),
        at_site(modern("EX04", Role::Smtp, 25, own("EX04", 1500, 3)), "HQ"),
        at_site(modern("BR01", Role::Smtp, 25, branch.clone()), "Branch"),
        at_site(
            modern("BR02", Role::Smtp, 25, own("BR02", 1500, 4)),
            "Branch",
        ),
    ];
    let a = run(&evidence, &settings(&ca, &[]));
    let hq_sha1 = &a.endpoints[0].chain[0].sha1;
    let branch_sha1 = &a.endpoints[4].chain[0].sha1;
    let fix = |i: usize| {
        a.endpoints[i]
            .findings
            .iter()
            .find(|f| f.id == FindingId::SmtpCertInconsistent)
            .map(|f| f.remediation_text().into_owned())
            .unwrap()
    };
    let hq_fix = fix(3);
    assert!(hq_fix.contains(hq_sha1.as_str()), "{hq_fix}");
    assert!(!hq_fix.contains(branch_sha1.as_str()), "{hq_fix}");
    assert!(hq_fix.contains("answer N"), "{hq_fix}");
    let branch_fix = fix(5);
    assert!(branch_fix.contains(branch_sha1.as_str()), "{branch_fix}");
    assert!(!branch_fix.contains(hq_sha1.as_str()), "{branch_fix}");
}

#[test]
fn a_certificate_due_for_renewal_is_never_the_one_to_enable() {
    let ca = LabCa::new(NOW);
    // Most servers present a certificate that expires in 20 days: their
    // own steps replace it, so it is not offered to the odd one out.
    let expiring = public(&ca, 20, 1);
    let evidence = [
        modern("EX01", Role::Smtp, 25, expiring.clone()),
        modern("EX02", Role::Smtp, 25, expiring.clone()),
        modern("EX03", Role::Smtp, 25, own("EX03", 1500, 3)),
    ];
    let a = run(&evidence, &settings(&ca, &NAMES));
    assert!(!a.endpoints[2]
        .findings
        .iter()
        .any(|f| f.id == FindingId::SmtpCertInconsistent));
}

#[test]
fn an_edge_servers_smtp_steps_run_in_its_own_shell() {
    let ca = LabCa::new(NOW);
    let mut e = modern("EDGE01", Role::Smtp, 25, own("EDGE01", 10, 3));
    e.endpoint.group.server_role = Some("Edge".into());
    e.endpoint.group.site = Some("HQ".into());
    let a = run(&[e], &settings(&ca, &NAMES));
    let steps = &a.servers[0].remediation_steps;
    let commands: Vec<&str> = steps.iter().filter_map(|s| s.command()).collect();
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("New-ExchangeCertificate")),
        "{commands:#?}"
    );
    for c in commands.iter().filter(|c| !c.starts_with("excert")) {
        assert!(!c.contains("-Server"), "{c}");
        assert!(!c.contains("Invoke-Command"), "{c}");
    }
    let subscription: Vec<&str> = commands
        .iter()
        .copied()
        .filter(|c| c.contains("EdgeSubscription") || c.contains("EdgeSynchronization"))
        .collect();
    assert_eq!(
        subscription,
        [
            "New-EdgeSubscription -FileName 'C:\\EdgeSubscription.xml'",
            "Remove-EdgeSubscription -Identity edge01.contoso.local",
            "New-EdgeSubscription -FileData ([System.IO.File]::ReadAllBytes('C:\\EdgeSubscription.xml')) -Site 'HQ'",
            "Start-EdgeSynchronization",
        ]
    );
}

#[test]
fn a_mail_port_that_broke_the_protocol_is_not_sent_to_the_firewall() {
    let ca = LabCa::new(NOW);
    let evidence = [
        modern("EX01", Role::Frontend, 443, public(&ca, 300, 1)),
        failed(
            "EX01",
            Role::Smtp,
            25,
            Status::NotTls,
            "SMTP: greeting refused: 554 5.7.1 no service",
        ),
    ];
    let a = run(&evidence, &settings(&ca, &NAMES));
    let text: String = a.endpoints[1]
        .findings
        .iter()
        .map(|f| f.remediation_text().into_owned())
        .collect();
    assert!(!text.contains("firewall"), "{text}");
    assert!(text.contains("answered"), "{text}");
}
