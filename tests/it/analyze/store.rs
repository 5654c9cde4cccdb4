//! The stores judged as HealthChecker judges them, the Auth certificate
//! once per organisation, and the verdict decided once from every finding:
//! in-memory inventories and evidence at a fixed as-of, the store-only
//! audit and `excert diff` through the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;

use std::sync::Arc;

use crate::lab_support::evidence;
use excert::analyze::trust::TrustRoots;
use excert::analyze::verdict::verdict_for;
use excert::analyze::{analyze, cert, Analysis};
use excert::config::AnalysisSettings;
use excert::diff::{compare, Kind, ScanRef, Scope};
use excert::lab::certs::{exchange_self_signed, key, plus_years, LabCa};
use excert::model::{
    AuthConfig, Connector, Der, EndpointEvidence, ExchangeServerInfo, ExchangeService, FindingId,
    Grade, Inventory, InventorySource, Role, ScanReport, Severity, StoreCertificate, Verdict,
};
use lab_support::{excert, path_arg, read_scan, strings, tmp};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2025-06-01 12:00 UTC);

fn settings(roots: TrustRoots) -> AnalysisSettings {
    AnalysisSettings {
        as_of: NOW,
        warn_days: 60,
        critical_days: 30,
        namespaces: vec!["mail.contoso.com".into()],
        site_namespaces: Default::default(),
        roots: Arc::new(roots),
        ca_bundles: vec![],
    }
}

fn ev(host: &str, role: Role, chain: Vec<Vec<u8>>) -> EndpointEvidence {
    let port = if role == Role::Frontend { 443 } else { 444 };
    evidence::ep(host, role).port(port).chain(chain).evidence()
}

/// A store record as a CSV export gives it (no DER).
fn record(
    server: &str,
    thumb: &str,
    friendly: &str,
    services: &[&str],
    subject: &str,
    not_after: OffsetDateTime,
) -> StoreCertificate {
    StoreCertificate {
        server: server.into(),
        thumbprint: thumb.into(),
        friendly_name: Some(friendly.into()),
        services: Some(services.iter().map(|s| ExchangeService::parse(s)).collect()),
        not_before: not_after - Duration::days(365 * 2),
        not_after,
        subject: subject.into(),
        issuer: "CN=Contoso Fixture Root CA".into(),
        self_signed: false,
        classification: excert::model::Classification::CaIssued,
        classification_reason: None,
        source: InventorySource {
            file: "certs.csv".into(),
            object: 1,
        },
        status: Some("Valid".into()),
        dates_assumed_utc: false,
        days_left: 0,
        names: vec![],
        bound: vec![],
        der_base64: None,
    }
}

/// A store record carrying the DER, as a CLIXML export does.
fn with_der(server: &str, der: &[u8], friendly: &str, services: &[&str]) -> StoreCertificate {
    StoreCertificate {
        der_base64: Some(Der::from(der.to_vec())),
        ..record(server, &cert::sha1_hex(der), friendly, services, "", NOW)
    }
}

fn fixture_der(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/certs/{name}.der",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn store_ids(a: &Analysis, host: &str) -> Vec<FindingId> {
    a.servers
        .iter()
        .find(|s| s.host == host)
        .unwrap_or_else(|| panic!("no server {host}"))
        .findings
        .iter()
        .map(|f| f.id)
        .collect()
}

fn judge(evidence: &[EndpointEvidence], inv: &Inventory) -> Analysis {
    analyze(evidence.to_vec(), Some(inv), &settings(TrustRoots::empty()))
}

fn days(n: i64) -> OffsetDateTime {
    NOW + Duration::days(n)
}

#[test]
fn store_certificates_in_use_are_judged_like_healthchecker() {
    let inv = Inventory {
        certificates: vec![
            // Enabled for IIS and SMTP, expired: critical.
            record(
                "ex01",
                "AA01",
                "mail 2024",
                &["IIS", "SMTP"],
                "CN=mail.contoso.com",
                days(-10),
            ),
            // In use, 40 days left: warning; 20 days: critical.
            record(
                "ex01",
                "AA02",
                "smtp",
                &["SMTP"],
                "CN=smtp.contoso.com",
                days(40),
            ),
            record(
                "ex01",
                "AA03",
                "imap",
                &["IMAP", "POP"],
                "CN=imap.contoso.com",
                days(20),
            ),
            // Expired and unused: info, remove it.
            record("ex01", "AA04", "old", &[], "CN=old.contoso.com", days(-400)),
            // Expiring but unused: nothing.
            record(
                "ex01",
                "AA05",
                "spare",
                &["None"],
                "CN=spare.contoso.com",
                days(5),
            ),
            // Status other than Valid, far from expiry.
            StoreCertificate {
                status: Some("RevocationCheckFailure".into()),
                ..record(
                    "ex01",
                    "AA06",
                    "rev",
                    &["IIS"],
                    "CN=rev.contoso.com",
                    days(300),
                )
            },
            // DateInvalid explained by the dates: only expired.
            StoreCertificate {
                status: Some("DateInvalid".into()),
                ..record(
                    "ex01",
                    "AA07",
                    "dead",
                    &["POP"],
                    "CN=dead.contoso.com",
                    days(-1),
                )
            },
            // Weak key and SHA-1 signature, read from the DER.
            with_der("ex01", &fixture_der("weak-1024"), "weak", &["SMTP"]),
            with_der("ex01", &fixture_der("sha1-leaf"), "sha1", &["IIS"]),
            // Exchange's own SHA-1 self-signed certificate: not flagged.
            with_der(
                "ex01",
                &fixture_der("ex2016-sha1"),
                "Microsoft Exchange",
                &["SMTP"],
            ),
            // A replaced Auth certificate lists SMTP, as setup made it, but
            // only AuthConfig puts an Auth certificate in use: info. The
            // newest one is the current one (no AuthConfig export).
            StoreCertificate {
                self_signed: true,
                ..record(
                    "ex01",
                    "AA08",
                    "Microsoft Exchange Server Auth Certificate",
                    &["SMTP"],
                    "CN=Microsoft Exchange Server Auth Certificate",
                    days(-30),
                )
            },
            StoreCertificate {
                self_signed: true,
                ..record(
                    "ex01",
                    "AA09",
                    "Microsoft Exchange Server Auth Certificate",
                    &["SMTP"],
                    "CN=Microsoft Exchange Server Auth Certificate",
                    days(900),
                )
            },
        ],
        ..Inventory::default()
    };
    let a = judge(&[], &inv);
    let s = &a.servers[0];
    let about = |t: &str| -> Vec<(FindingId, Severity)> {
        s.findings
            .iter()
            .filter(|f| f.thumbprint.as_deref() == Some(t))
            .map(|f| (f.id, f.severity))
            .collect()
    };
    assert_eq!(
        about("AA01"),
        [(FindingId::StoreCertExpired, Severity::Critical)]
    );
    assert_eq!(
        about("AA02"),
        [(FindingId::StoreCertExpiring, Severity::Warning)]
    );
    assert_eq!(
        about("AA03"),
        [(FindingId::StoreCertExpiring, Severity::Critical)]
    );
    assert_eq!(
        about("AA04"),
        [(FindingId::StoreCertExpired, Severity::Info)]
    );
    assert!(about("AA04")
        .iter()
        .all(|_| s.findings.iter().any(|f| f.detail.contains("remove it"))));
    assert_eq!(about("AA05"), []);
    assert_eq!(
        about("AA06"),
        [(FindingId::StoreCertInvalidStatus, Severity::Warning)]
    );
    assert_eq!(
        about("AA07"),
        [(FindingId::StoreCertExpired, Severity::Critical)]
    );
    let weak = cert::sha1_hex(&fixture_der("weak-1024"));
    assert_eq!(
        about(&weak),
        [(FindingId::StoreCertWeakKey, Severity::Warning)]
    );
    let sha1 = cert::sha1_hex(&fixture_der("sha1-leaf"));
    assert_eq!(
        about(&sha1),
        [(FindingId::StoreCertWeakSignature, Severity::Warning)]
    );
    assert_eq!(about(&cert::sha1_hex(&fixture_der("ex2016-sha1"))), []);
    assert_eq!(
        about("AA08"),
        [(FindingId::StoreCertExpired, Severity::Info)]
    );
    assert_eq!(about("AA09"), []);
    let org = a.organisation.as_ref().unwrap();
    assert_eq!(org.auth_thumbprint.as_deref(), Some("AA09"));
    assert!(org.findings.is_empty());
    // The expired public certificate decides: it is renewed with the CA.
    assert_eq!(s.severity, Grade::Critical);
    assert_eq!(s.verdict, Verdict::RenewPublicCert);
    assert!(s.summary.contains("(certificate store)"), "{}", s.summary);
}

#[test]
fn a_certificate_on_the_wire_and_in_the_store_has_one_set_of_findings() {
    let ca = LabCa::new(NOW);
    let expired = ca.issue(&["mail.contoso.com"], days(-400), days(-3), &key(1));
    let leaf = expired.chain[0].as_ref().to_vec();
    let own = exchange_self_signed("EX01", "contoso.local", plus_years(days(300), -5), &key(2));
    let evidence = vec![
        ev("ex01.contoso.local", Role::Frontend, vec![leaf.clone()]),
        ev(
            "ex01.contoso.local",
            Role::Backend,
            vec![own.chain[0].as_ref().to_vec()],
        ),
    ];
    let inv = Inventory {
        certificates: vec![
            with_der("EX01", &leaf, "mail 2024", &["IIS", "SMTP"]),
            // The same certificate in another server's store, not scanned:
            // judged there by the store.
            with_der("ex02.contoso.local", &leaf, "mail 2024", &["IIS"]),
        ],
        ..Inventory::default()
    };
    let a = judge(&evidence, &inv);
    let front = &a.endpoints[0];
    assert!(front
        .findings
        .iter()
        .any(|f| f.id == FindingId::FrontendCertExpired));
    // The wire reported it on EX01: the store does not repeat it there...
    assert!(!store_ids(&a, "ex01.contoso.local").contains(&FindingId::StoreCertExpired));
    // ...but records where it is bound, and EX02's store still has it.
    let inv = a.inventory.as_ref().unwrap();
    assert_eq!(inv.certificates[0].bound, ["443"]);
    assert!(store_ids(&a, "ex02.contoso.local").contains(&FindingId::StoreCertExpired));
}

/// A four-server organisation whose Auth certificate expired; `ex04`'s
/// store lacks it; `edge01` is an Edge server, which has none.
fn four_servers(auth_days: i64) -> Inventory {
    let auth = |server: &str| StoreCertificate {
        self_signed: true,
        issuer: "CN=Microsoft Exchange Server Auth Certificate".into(),
        ..record(
            server,
            "A0A0",
            "Microsoft Exchange Server Auth Certificate",
            &["SMTP"],
            "CN=Microsoft Exchange Server Auth Certificate",
            days(auth_days),
        )
    };
    let own = |server: &str, t: &str| {
        record(
            server,
            t,
            "mail",
            &["IIS"],
            "CN=mail.contoso.com",
            days(300),
        )
    };
    Inventory {
        certificates: vec![
            auth("ex01.contoso.local"),
            own("ex01.contoso.local", "B001"),
            auth("ex02.contoso.local"),
            own("ex02.contoso.local", "B002"),
            auth("ex03.contoso.local"),
            own("ex03.contoso.local", "B003"),
            own("ex04.contoso.local", "B004"),
            own("edge01.contoso.local", "B005"),
            own("ex2010.contoso.local", "B006"),
        ],
        auth_config: Some(AuthConfig {
            current_thumbprint: Some("A0A0".into()),
            next_thumbprint: None,
            next_effective_date: None,
            previous_thumbprint: None,
            source: None,
        }),
        exchange_servers: vec![
            ExchangeServerInfo {
                name: "EDGE01".into(),
                fqdn: Some("edge01.contoso.local".into()),
                site: None,
                role: Some("Edge".into()),
                version: None,
                source: InventorySource {
                    file: "servers.xml".into(),
                    object: 1,
                },
            },
            // Exchange 2010 has no OAuth, so no Auth certificate.
            ExchangeServerInfo {
                name: "EX2010".into(),
                fqdn: Some("ex2010.contoso.local".into()),
                site: None,
                role: Some("Mailbox, ClientAccess, HubTransport".into()),
                version: Some("Version 14.3 (Build 123.4)".into()),
                source: InventorySource {
                    file: "servers.xml".into(),
                    object: 2,
                },
            },
        ],
        ..Inventory::default()
    }
}

#[test]
fn an_expired_auth_certificate_is_one_organisation_finding() {
    let a = judge(&[], &four_servers(-5));
    let org = a.organisation.as_ref().unwrap();
    let ids: Vec<FindingId> = org.findings.iter().map(|f| f.id).collect();
    assert_eq!(ids, [FindingId::AuthCertExpired]);
    assert_eq!(org.severity, Grade::Critical);
    assert_eq!(org.auth_thumbprint.as_deref(), Some("A0A0"));
    assert_eq!(org.auth_missing_on, ["ex04.contoso.local"]);
    // The procedure, once: rotate on a server that holds it.
    assert!(!org.remediation_steps.is_empty());
    assert!(org
        .remediation_steps
        .iter()
        .all(|s| &*s.server == "ex01.contoso.local"));
    // Per server, no Auth expiry, and no store-cert-expired for it either.
    for s in &a.servers {
        assert!(
            s.findings.iter().all(|f| !matches!(
                f.id,
                FindingId::AuthCertExpired
                    | FindingId::AuthCertExpiring
                    | FindingId::AuthCertMissing
                    | FindingId::StoreCertExpired
            )),
            "{}: {:?}",
            s.host,
            s.findings
        );
    }
    // Replication: only ex04 (not the Edge server).
    assert_eq!(
        store_ids(&a, "ex04.contoso.local"),
        [FindingId::AuthCertNotReplicated]
    );
    assert_eq!(a.servers[3].verdict, Verdict::RotateAuthCert);
    assert!(store_ids(&a, "edge01.contoso.local").is_empty());
    assert!(store_ids(&a, "ex2010.contoso.local").is_empty());

    // An Auth certificate in no store at all is missing, once.
    let mut inv = four_servers(300);
    inv.certificates.retain(|c| c.thumbprint != "A0A0");
    let a = judge(&[], &inv);
    let org = a.organisation.as_ref().unwrap();
    let ids: Vec<FindingId> = org.findings.iter().map(|f| f.id).collect();
    assert_eq!(ids, [FindingId::AuthCertMissing]);
    assert!(a.servers.iter().all(|s| s.findings.is_empty()));
}

/// The verdict is decided in one place: replayed from scan.json, every
/// server's grade is its worst finding (endpoints and store), and its
/// verdict is the one a deciding finding calls for.
#[test]
fn the_verdict_follows_from_the_findings_alone() {
    let ca = LabCa::new(NOW);
    let public = ca.issue(&["mail.contoso.com"], days(-100), days(20), &key(1));
    let own = exchange_self_signed("EX01", "contoso.local", plus_years(days(300), -5), &key(2));
    let evidence = vec![
        ev(
            "ex01.contoso.local",
            Role::Frontend,
            vec![public.chain[0].as_ref().to_vec()],
        ),
        ev(
            "ex01.contoso.local",
            Role::Backend,
            vec![own.chain[0].as_ref().to_vec()],
        ),
    ];
    let mut inv = four_servers(-5);
    inv.certificates.push(record(
        "ex02.contoso.local",
        "C001C001C001C001C001C001C001C001C001C001",
        "smtp",
        &["SMTP"],
        "CN=smtp.contoso.com",
        days(-1),
    ));
    let first = judge(&evidence, &inv);
    let saved = ScanReport {
        schema_version: excert::model::SCHEMA_VERSION,
        tool: Default::default(),
        started_at: NOW,
        finished_at: NOW,
        as_of: NOW,
        complete: true,
        parameters: Default::default(),
        endpoints: first.endpoints.clone(),
        servers: first.servers.clone(),
        expiry_cliffs: vec![],
        invalid_targets: vec![],
        skipped_endpoints: vec![],
        merged_from: vec![],
        inventory: first.inventory.clone(),
        organisation: first.organisation.clone(),
    };
    let json = serde_json::to_string(&saved).unwrap();
    let back: ScanReport = serde_json::from_str(&json).unwrap();
    let again = excert::reanalyze(&back, &settings(TrustRoots::empty()));
    assert_eq!(again.servers, first.servers);
    assert_eq!(again.organisation, first.organisation);
    for s in &again.servers {
        let endpoint_findings = s
            .endpoints
            .iter()
            .flat_map(|&i| again.endpoints[i].findings.iter().map(move |f| (i, f)));
        let worst = endpoint_findings
            .clone()
            .map(|(_, f)| f.severity)
            .chain(s.findings.iter().map(|f| f.severity))
            .min();
        assert_eq!(
            s.severity,
            worst.map_or(Grade::Ok, Grade::from),
            "{}",
            s.host
        );
        if s.verdict == Verdict::Ok {
            assert!(worst.is_none_or(|w| w == Severity::Info));
            continue;
        }
        let deciding = endpoint_findings
            .map(|(i, f)| (f.id, again.endpoints[i].endpoint.role, f.severity))
            .chain(s.findings.iter().flat_map(|f| {
                [Role::Frontend, Role::Backend, Role::Smtp].map(|r| (f.id, r, f.severity))
            }))
            .filter(|(_, _, sev)| Some(*sev) == worst)
            .any(|(id, role, _)| verdict_for(id, role) == s.verdict);
        assert!(deciding, "{}: {:?}", s.host, s.verdict);
    }
    // ex01: 443 expires in 20 days (critical) and outranks nothing in its
    // store; ex02: its expired SMTP certificate decides.
    assert_eq!(again.servers[0].verdict, Verdict::RenewPublicCert);
    let ex02 = again
        .servers
        .iter()
        .find(|s| s.host == "ex02.contoso.local")
        .unwrap();
    assert_eq!(ex02.verdict, Verdict::FixTransportCert);
    assert!(ex02.remediation_steps[0]
        .text()
        .contains("C001C001C001C001C001C001C001C001C001C001"));
}

#[test]
fn iis_drift_between_the_store_and_443_is_reported() {
    let ca = LabCa::new(NOW);
    let presented = ca.issue(&["mail.contoso.com"], days(-100), days(300), &key(1));
    let intended = ca.issue(&["mail.contoso.com"], days(-1), days(400), &key(3));
    let leaf = presented.chain[0].as_ref().to_vec();
    let next = intended.chain[0].as_ref().to_vec();
    let evidence = vec![ev("ex01.contoso.local", Role::Frontend, vec![leaf.clone()])];
    let inv = Inventory {
        certificates: vec![
            // 443 presents one enabled for SMTP only; IIS is on the other.
            with_der("ex01", &leaf, "mail 2025", &["SMTP"]),
            with_der("ex01", &next, "mail 2026", &["IIS"]),
        ],
        ..Inventory::default()
    };
    let a = judge(&evidence, &inv);
    let s = &a.servers[0];
    let drift = s
        .findings
        .iter()
        .find(|f| f.id == FindingId::StoreBindingDrift)
        .expect("store-binding-drift");
    assert_eq!(drift.severity, Severity::Warning);
    assert!(drift.detail.contains("not IIS"), "{}", drift.detail);
    assert!(
        drift.detail.contains(&cert::sha1_hex(&next)),
        "{}",
        drift.detail
    );
    let enable = format!(
        "Enable-ExchangeCertificate -Server ex01.contoso.local -Thumbprint {} -Services IIS",
        cert::sha1_hex(&next)
    );
    assert!(
        s.remediation_steps
            .iter()
            .any(|st| st.command().is_some_and(|c| c.contains(&enable))),
        "{:?}",
        s.remediation_steps
    );
    // Agreeing store and wire: no drift.
    let inv = Inventory {
        certificates: vec![with_der("ex01", &leaf, "mail 2025", &["IIS", "SMTP"])],
        ..Inventory::default()
    };
    assert!(!store_ids(&judge(&evidence, &inv), "ex01.contoso.local")
        .contains(&FindingId::StoreBindingDrift));
}

#[test]
fn a_hybrid_connector_needs_a_valid_certificate_its_name_matches() {
    let connector = |tls: &str| Connector {
        kind: excert::model::ConnectorKind::Receive,
        name: "Default Frontend EX01".into(),
        servers: vec!["EX01".into()],
        fqdn: None,
        tls_certificate_name: Some(tls.into()),
        hybrid: true,
        source: InventorySource {
            file: "receive.xml".into(),
            object: 1,
        },
        bindings: Vec::new(),
        tls_domain_capabilities: vec!["mail.protection.outlook.com:AcceptCloudServicesMail".into()],
        smart_hosts: Vec::new(),
        tls_auth_level: None,
    };
    let cert = |t: &str, not_after| StoreCertificate {
        issuer: "CN=Contoso Issuing CA, O=Contoso, C=US".into(),
        ..record(
            "ex01.contoso.local",
            t,
            "mail",
            &["SMTP"],
            "CN=mail.contoso.com, O=Contoso",
            not_after,
        )
    };
    // Issuer and subject compare as RDN sets, whatever the order and spaces.
    let name = "<I>C=US,O=Contoso,CN=Contoso Issuing CA<S>O=Contoso,CN=mail.contoso.com";
    let inv = |certs| Inventory {
        certificates: certs,
        connectors: vec![connector(name)],
        ..Inventory::default()
    };
    let fires = |certs| {
        store_ids(&judge(&[], &inv(certs)), "ex01.contoso.local")
            .contains(&FindingId::HybridConnectorCertInvalid)
    };
    assert!(!fires(vec![cert("D001", days(100))]));
    assert!(fires(vec![cert("D001", days(-1))]));
    assert!(!fires(vec![
        cert("D001", days(-1)),
        cert("D002", days(200))
    ]));
    let other = StoreCertificate {
        subject: "CN=other.contoso.com".into(),
        ..cert("D003", days(200))
    };
    assert!(fires(vec![other]));
    // Unset: a warning; not `<I>...<S>...`: critical.
    for (tls, severity) in [
        (None, Severity::Warning),
        (Some("CN=mail.contoso.com"), Severity::Critical),
    ] {
        let inv = Inventory {
            certificates: vec![cert("D001", days(100))],
            connectors: vec![Connector {
                tls_certificate_name: tls.map(str::to_string),
                ..connector(name)
            }],
            ..Inventory::default()
        };
        let a = judge(&[], &inv);
        let f = a.servers[0]
            .findings
            .iter()
            .find(|f| f.id == FindingId::HybridConnectorCertInvalid)
            .expect("hybrid-connector-cert-invalid");
        assert_eq!(f.severity, severity, "{tls:?}");
    }
    // A connector that is not hybrid is not judged.
    let inv = Inventory {
        certificates: vec![cert("D001", days(-1))],
        connectors: vec![Connector {
            hybrid: false,
            ..connector(name)
        }],
        ..Inventory::default()
    };
    assert!(judge(&[], &inv).servers[0]
        .findings
        .iter()
        .all(|f| f.id != FindingId::HybridConnectorCertInvalid));
}

/// Judging is linear: 100,000 store certificates on 2,000 servers. The
/// time is measured in release (docs/guide.md, "Limits"); debug only has to
/// finish.
#[test]
fn a_hundred_thousand_certificates_are_judged() {
    let mut certs = Vec::with_capacity(100_000);
    for i in 0..100_000 {
        let server = format!("ex{:04}.contoso.local", i % 2_000);
        let expired = i % 50 == 0;
        certs.push(record(
            &server,
            &format!("{i:040X}"),
            "mail",
            &["IIS"],
            "CN=mail.contoso.com",
            if expired { days(-1) } else { days(300) },
        ));
    }
    let inv = Inventory {
        certificates: certs,
        ..Inventory::default()
    };
    let a = judge(&[], &inv);
    assert_eq!(a.servers.len(), 2_000);
    let expired: usize = a
        .servers
        .iter()
        .map(|s| {
            s.findings
                .iter()
                .filter(|f| f.id == FindingId::StoreCertExpired)
                .count()
        })
        .sum();
    assert_eq!(expired, 2_000);
    assert!(a.servers.iter().all(|s| s.store.len() == 50));

    // 20,000 on one scanned server, every one enabled for IIS and none
    // presented: judged, and the drift finding stays a sentence.
    let ca = LabCa::new(NOW);
    let front = ca.issue(&["mail.contoso.com"], days(-10), days(300), &key(1));
    let evidence = vec![ev(
        "ex0001.contoso.local",
        Role::Frontend,
        vec![front.chain[0].as_ref().to_vec()],
    )];
    let inv = Inventory {
        certificates: inv
            .certificates
            .into_iter()
            .take(20_000)
            .map(|c| StoreCertificate {
                server: "ex0001.contoso.local".into(),
                ..c
            })
            .collect(),
        ..Inventory::default()
    };
    let a = judge(&evidence, &inv);
    let drift = a.servers[0]
        .findings
        .iter()
        .find(|f| f.id == FindingId::StoreBindingDrift)
        .expect("store-binding-drift");
    assert!(
        drift.detail.text().len() < 2_000,
        "{}",
        drift.detail.text().len()
    );
    assert!(drift.detail.contains("and 19995 more"), "{}", drift.detail);
}

#[tokio::test]
async fn a_store_only_audit_of_an_expired_iis_and_smtp_certificate_is_critical() {
    let (_tmp, dir) = tmp();
    let csv = dir.join("certs.csv");
    std::fs::write(
        &csv,
        "\"PSComputerName\",\"FriendlyName\",\"Thumbprint\",\"Services\",\"NotBefore\",\"NotAfter\",\"Subject\",\"Issuer\",\"Status\"\r\n\
         \"ex01.contoso.local\",\"mail 2024\",\"E82B232C4D88284E1A8356D977D96116298368FB\",\"IIS, SMTP\",\"2023-05-01T00:00:00Z\",\"2025-05-01T00:00:00Z\",\"CN=mail.contoso.com\",\"CN=Contoso CA\",\"DateInvalid\"\r\n",
    )
    .unwrap();
    let out = dir.join("out");
    let run = excert(&strings(&[
        "report",
        "--inventory",
        &path_arg(&csv),
        "--as-of",
        "2025-06-01",
        "--out",
        &path_arg(&out),
    ]))
    .await;
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    let r = read_scan(&out);
    let f = &r.servers[0].findings[0];
    assert_eq!(
        (f.id, f.severity),
        (FindingId::StoreCertExpired, Severity::Critical)
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("No certificate was read"));
    assert!(html.contains("store-cert-expired"));
    let csv = std::fs::read_to_string(out.join("report.csv")).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.contains(",store,critical,") && l.contains("store-cert-expired")),
        "{csv}"
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("critical 1"), "{stdout}");
}

/// A store-only scan.json of `inv`, judged at NOW.
fn scan_of(inv: &Inventory) -> ScanReport {
    let a = analyze(Vec::new(), Some(inv), &settings(TrustRoots::empty()));
    ScanReport {
        schema_version: excert::model::SCHEMA_VERSION,
        tool: Default::default(),
        started_at: NOW,
        finished_at: NOW,
        as_of: NOW,
        complete: true,
        parameters: Default::default(),
        endpoints: a.endpoints,
        servers: a.servers,
        expiry_cliffs: vec![],
        invalid_targets: vec![],
        skipped_endpoints: vec![],
        merged_from: vec![],
        inventory: a.inventory,
        organisation: a.organisation,
    }
}

/// Merging two 50,000-certificate scans keeps each (server, thumbprint)
/// once and judges the merged stores (linear: the time is in docs/guide.md).
#[test]
fn two_fifty_thousand_certificate_scans_merge() {
    let half = |from: usize| Inventory {
        certificates: (from..from + 50_000)
            .map(|i| {
                let server = format!("ex{:04}.contoso.local", i % 1_000);
                let not_after = if i % 100 == 0 { days(-1) } else { days(300) };
                record(
                    &server,
                    &format!("{i:040X}"),
                    "mail",
                    &["IIS"],
                    "CN=mail",
                    not_after,
                )
            })
            .collect(),
        ..Inventory::default()
    };
    // 1,000 certificates in both.
    let merged = excert::merge::merge(vec![
        ("a.json".into(), scan_of(&half(0))),
        ("b.json".into(), scan_of(&half(49_000))),
    ]);
    assert_eq!(
        merged.inventory.as_ref().unwrap().certificates.len(),
        99_000
    );
    let judged = excert::reanalyze(&merged, &settings(TrustRoots::empty()));
    let expired: usize = judged
        .servers
        .iter()
        .flat_map(|s| &s.findings)
        .filter(|f| f.id == FindingId::StoreCertExpired)
        .count();
    assert_eq!(expired, 990);
    assert_eq!(judged.servers.len(), 1_000);
}

#[test]
fn diff_counts_a_lost_auth_certificate_as_a_regression() {
    let before = four_servers(300);
    let mut after = before.clone();
    // ex02 lost it; the Auth certificate also nears expiry for everyone.
    after
        .certificates
        .retain(|c| !(c.server == "ex02.contoso.local" && c.thumbprint == "A0A0"));
    for c in after
        .certificates
        .iter_mut()
        .filter(|c| c.thumbprint == "A0A0")
    {
        c.not_after = days(10);
    }
    let at = |r: &ScanReport| ScanRef::of(r, "scan.json");
    let (old, new) = (scan_of(&before), scan_of(&after));
    let d = compare(&old, &new, at(&old), at(&new));
    let added: Vec<(&str, Scope, &str)> = d
        .changes
        .iter()
        .filter_map(|c| match &c.kind {
            Kind::FindingAdded { finding_id, .. } => {
                Some((c.host.as_str(), c.scope, finding_id.as_str()))
            }
            _ => None,
        })
        .collect();
    assert!(added.contains(&(
        "ex02.contoso.local",
        Scope::Server,
        "auth-cert-not-replicated"
    )));
    assert!(added.contains(&("organisation", Scope::Organisation, "auth-cert-expiring")));
    assert!(d.counts.regressions >= 2);
    assert_eq!(excert::exit::for_diff(&d), 2);
    // And back: both resolved, a fix each, exit 0.
    let d = compare(&new, &old, at(&new), at(&old));
    assert_eq!(d.counts.regressions, 0);
    assert!(d.counts.fixes >= 2);
    assert_eq!(excert::exit::for_diff(&d), 0);
}

/// The real CSS-Exchange exports (`../shared/samples/css-exchange/`): the
/// "Microsoft Exchange" certificate of WIN-CTD3L0RGEN4 (enabled for IMAP,
/// POP, IIS and SMTP) expired on 2026-08-06; 340 days later it is
/// `store-cert-expired`, critical. Ignored until the reader reads the real
/// samples (the reader's branch); the lead enables it after rebasing:
/// `cargo test --test it analyze::store -- --ignored`.
#[test]
fn real_samples_expired_exchange_certificate_is_store_cert_expired() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/samples/css-exchange/GetExchangeCertificateWithoutAuth.xml"
    );
    let inv = excert::inventory::load(&[file.into()]).expect("the sample reads");
    let a = analyze(
        Vec::new(),
        inv.as_ref(),
        &AnalysisSettings {
            as_of: datetime!(2027-07-12 00:00 UTC),
            ..settings(TrustRoots::empty())
        },
    );
    let expired = a
        .servers
        .iter()
        .flat_map(|s| &s.findings)
        .find(|f| f.thumbprint.as_deref() == Some("611C687DFC4343A5A03E0005A1EC6E9B6AFF586D"))
        .expect("a finding on WIN-CTD3L0RGEN4's own certificate");
    assert_eq!(
        (expired.id, expired.severity),
        (FindingId::StoreCertExpired, Severity::Critical)
    );
}

/// The organisation is shown first: the terminal's act-now list and the
/// HTML put the Auth certificate above every server; the findings CSV has
/// its row, `host` = `organisation`.
#[tokio::test]
async fn the_organisation_comes_first_in_every_report() {
    let (_tmp, dir) = tmp();
    let fixture = |f: &str| format!("{}/fixtures/inventory/{f}", env!("CARGO_MANIFEST_DIR"));
    let out = dir.join("out");
    let findings = dir.join("findings.csv");
    let run = excert(&strings(&[
        "report",
        "--inventory",
        &fixture("certs-remote.xml"),
        "--inventory",
        &fixture("authconfig-nonext.xml"),
        "--as-of",
        "2026-12-20",
        "--csv-findings",
        &path_arg(&findings),
        "--prom",
        &path_arg(&dir.join("excert.prom")),
        "--out",
        &path_arg(&out),
    ]))
    .await;
    assert_eq!(run.status.code(), Some(2));
    let prom = std::fs::read_to_string(dir.join("excert.prom")).unwrap();
    assert!(
        prom.contains("\nexcert_organisation_severity 3\n"),
        "{prom}"
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("organisation: critical (auth-cert-expired)"),
        "{stdout}"
    );
    let act = stdout.split("Act now:").nth(1).unwrap();
    let first = act.lines().find(|l| !l.trim().is_empty()).unwrap();
    assert!(
        first.contains("CRITICAL") && first.contains("auth-cert-expired"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let org = html
        .find("id=\"organisation\"")
        .expect("organisation block");
    let server = html.find("data-host=").expect("a server in act now");
    assert!(org < server);
    let csv = std::fs::read_to_string(&findings).unwrap();
    let rows: Vec<&str> = csv
        .lines()
        .filter(|l| l.starts_with("organisation,"))
        .collect();
    assert_eq!(rows.len(), 1, "{csv}");
    assert!(rows[0].contains("auth-cert-expired,critical"), "{csv}");
    let r = read_scan(&out);
    assert!(r
        .servers
        .iter()
        .flat_map(|s| &s.findings)
        .all(|f| f.id != FindingId::AuthCertExpired));
}

/// Through the binary: a server whose store lost the Auth certificate
/// between two store-only audits is a regression, exit 2.
#[tokio::test]
async fn excert_diff_exits_2_when_a_server_loses_the_auth_certificate() {
    let (_tmp, dir) = tmp();
    let auth = format!(
        "{}/fixtures/inventory/authconfig-nonext.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    let header = "\"PSComputerName\",\"FriendlyName\",\"Thumbprint\",\"Services\",\"NotBefore\",\"NotAfter\",\"Subject\",\"Issuer\"\r\n";
    let row = |server: &str, thumb: &str, friendly: &str, subject: &str| {
        format!(
            "\"{server}\",\"{friendly}\",\"{thumb}\",\"SMTP\",\"2024-01-01T00:00:00Z\",\"2029-01-01T00:00:00Z\",\"{subject}\",\"{subject}\"\r\n"
        )
    };
    let auth_row = |server: &str| {
        row(
            server,
            "F6B1291F545A46CCB2F6AB2F7F25DCE5DF72E507",
            "Microsoft Exchange Server Auth Certificate",
            "CN=Microsoft Exchange Server Auth Certificate",
        )
    };
    let own = |server: &str, t: &str| row(server, t, "Microsoft Exchange", "CN=EX");
    let before = [
        auth_row("ex01.contoso.local"),
        own(
            "ex01.contoso.local",
            "E82B232C4D88284E1A8356D977D96116298368FB",
        ),
        auth_row("ex02.contoso.local"),
        own(
            "ex02.contoso.local",
            "B43DC02E1536828E0E494FE2B1E92D0EB4E5C484",
        ),
    ];
    let after = [before[0].clone(), before[1].clone(), before[3].clone()];
    let mut scans = Vec::new();
    for (name, rows) in [("before", &before[..]), ("after", &after[..])] {
        let csv = dir.join(format!("{name}.csv"));
        std::fs::write(&csv, format!("{header}{}", rows.concat())).unwrap();
        let out = dir.join(name);
        let run = excert(&strings(&[
            "report",
            "--inventory",
            &path_arg(&csv),
            "--inventory",
            &auth,
            "--as-of",
            "2026-12-01",
            "--out",
            &path_arg(&out),
        ]))
        .await;
        assert!(run.status.success() || name == "after", "{name}: {run:?}");
        scans.push(path_arg(&out.join("scan.json")));
    }
    let out = dir.join("diff");
    let run = excert(&strings(&[
        "diff",
        &scans[0],
        &scans[1],
        "--as-of",
        "2026-12-01",
        "--out",
        &path_arg(&out),
    ]))
    .await;
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("REGRESSION ex02.contoso.local (store)"),
        "{stdout}"
    );
    let diff: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("diff.json")).unwrap()).unwrap();
    let lost = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["finding_id"] == "auth-cert-not-replicated")
        .expect("the lost Auth certificate");
    assert_eq!(lost["host"], "ex02.contoso.local");
    assert_eq!(lost["kind"], "finding_added");
    assert_eq!(lost["impact"], "regression");
    assert_eq!(lost["scope"], "server");
    assert_eq!(diff["counts"]["regressions"], 1);
    // A server-scope change (port 0, role null) is in the published contract.
    lab_support::assert_schema("diff.schema.json", &diff);
}

/// A renewal waiting in the store is known before the rules run: the
/// expiry finding on 443 is made with the steps that bind it, and the
/// verdict is "rebind", decided once.
#[test]
fn a_waiting_renewal_turns_renew_into_bind_from_the_start() {
    let ca = LabCa::new(NOW);
    let old = ca.issue(&["mail.contoso.com"], days(-300), days(20), &key(1));
    let new = ca.issue(&["mail.contoso.com"], days(-2), days(400), &key(3));
    let leaf = old.chain[0].as_ref().to_vec();
    let renewed = new.chain[0].as_ref().to_vec();
    let evidence = vec![ev("ex01.contoso.local", Role::Frontend, vec![leaf.clone()])];
    let inv = Inventory {
        certificates: vec![
            with_der("ex01", &leaf, "mail", &["IIS"]),
            with_der("ex01", &renewed, "mail", &[]),
        ],
        ..Inventory::default()
    };
    let a = judge(&evidence, &inv);
    let enable = format!(
        "Enable-ExchangeCertificate -Server ex01.contoso.local -Thumbprint {} -Services IIS",
        cert::sha1_hex(&renewed)
    );
    let expiring = a.endpoints[0]
        .findings
        .iter()
        .find(|f| f.id == FindingId::FrontendCertExpiring)
        .expect("frontend-cert-expiring");
    assert!(
        expiring.remediation_text().contains(&enable),
        "{}",
        expiring.remediation_text()
    );
    let s = &a.servers[0];
    assert!(store_ids(&a, "ex01.contoso.local").contains(&FindingId::RenewedCertNotBound));
    assert_eq!(s.verdict, Verdict::RebindPublicCert);
    assert!(
        s.summary.contains("already waits in the store"),
        "{}",
        s.summary
    );
    assert!(
        s.remediation_steps[0]
            .command()
            .is_some_and(|c| c.contains(&enable)),
        "{:#?}",
        s.remediation_steps
    );
    // No step asks for a new certificate from the CA.
    assert!(s
        .remediation_steps
        .iter()
        .all(|st| st.task != excert::model::Task::ReplacePublic));
}

/// Store-only: an expiring public certificate whose renewal waits in the
/// same store, enabled for nothing, is fixed by enabling the renewal; the
/// server's own certificate is re-created without IIS (never `-Services
/// IIS`, which would move 443).
#[test]
fn store_only_advice_enables_a_waiting_renewal_and_never_moves_443() {
    let mut own = record(
        "ex01",
        "E001",
        "Microsoft Exchange",
        &["IIS", "SMTP"],
        "CN=EX01",
        days(-5),
    );
    own.self_signed = true;
    own.issuer = "CN=EX01".into();
    let inv = Inventory {
        certificates: vec![
            record(
                "ex01",
                "C001C001C001C001C001C001C001C001C001C001",
                "mail 2025",
                &["IIS", "SMTP"],
                "CN=mail.contoso.com",
                days(12),
            ),
            record(
                "ex01",
                "C002C002C002C002C002C002C002C002C002C002",
                "mail 2026",
                &["None"],
                "CN=mail.contoso.com",
                days(380),
            ),
            own,
        ],
        ..Inventory::default()
    };
    let a = judge(&[], &inv);
    let s = &a.servers[0];
    let expiring = s
        .findings
        .iter()
        .find(|f| f.thumbprint.as_deref() == Some("C001C001C001C001C001C001C001C001C001C001"))
        .unwrap();
    assert_eq!(expiring.id, FindingId::StoreCertExpiring);
    assert!(
        expiring.detail.contains("already waits in the store"),
        "{}",
        expiring.detail
    );
    let steps: Vec<&str> = s
        .remediation_steps
        .iter()
        .filter_map(|st| st.command())
        .collect();
    assert!(
        steps.iter().any(|t| t.contains(
            "Enable-ExchangeCertificate -Server ex01 -Thumbprint C002C002C002C002C002C002C002C002C002C002 -Services IIS,SMTP"
        )),
        "{steps:#?}"
    );
    // Binding the waiting renewal comes first (the verdicts' precedence);
    // the expired own certificate is re-created without IIS and bound to
    // 444.
    assert_eq!(s.verdict, Verdict::RebindPublicCert);
    assert!(steps.iter().any(
        |t| t.contains("-Services SMTP") && t.contains("New-ExchangeCertificate -Server ex01")
    ));
    assert!(steps.iter().any(|t| t.contains("Exchange Back End")));
    assert!(
        s.remediation_steps
            .iter()
            .filter_map(|st| st.command())
            .all(|c| !c.contains("-Services IIS")
                || c.contains("C002C002C002C002C002C002C002C002C002C002")),
        "{steps:#?}"
    );
}

/// A scan without store exports compared with one that has them: the
/// stores were not judged before, so nothing about them is a change.
#[test]
fn diff_says_nothing_about_stores_one_scan_did_not_export() {
    let with = scan_of(&four_servers(-5));
    let without = ScanReport {
        servers: vec![],
        inventory: None,
        organisation: None,
        ..with.clone()
    };
    let at = |r: &ScanReport| ScanRef::of(r, "scan.json");
    let d = compare(&without, &with, at(&without), at(&with));
    assert!(d.changes.is_empty(), "{:?}", d.changes);
    assert_eq!(excert::exit::for_diff(&d), 0);
}
