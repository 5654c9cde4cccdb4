//! `--inventory` through the real binary: the demo fleet scanned with its
//! store exports, a store-only audit of the fixture exports, and bad
//! exports refused before anything is written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;

use std::path::Path;

use excert::analyze::cert::sha1_hex;
use excert::lab::{demo_fleet, Lab, Service};
use excert::model::{FindingId, ScanReport, ServerReport, Severity, Verdict};
use lab_support::*;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use time::{Duration, OffsetDateTime};

fn fixture(name: &str) -> String {
    format!("{}/fixtures/inventory/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn server<'a>(r: &'a ScanReport, short: &str) -> &'a ServerReport {
    let prefix = format!("{}.", short.to_ascii_lowercase());
    r.servers
        .iter()
        .find(|s| s.host.to_ascii_lowercase().starts_with(&prefix))
        .unwrap_or_else(|| panic!("no server {short}"))
}

fn store_ids(s: &ServerReport) -> Vec<FindingId> {
    s.findings.iter().map(|f| f.id).collect()
}

/// One certificate as the local form of `Get-ExchangeCertificate |
/// Export-Clixml` writes it: plain properties, RawData the DER.
fn clixml_cert(i: usize, server: &str, der: &[u8], friendly: &str, services: &str) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    format!(
        "<Obj RefId=\"{i}\"><TN RefId=\"{i}\"><T>Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate</T></TN>\
         <Props><S N=\"FriendlyName\">{friendly}</S><S N=\"Services\">{services}</S>\
         <S N=\"Identity\">{server}\\{}</S><BA N=\"RawData\">{b64}</BA></Props></Obj>",
        sha1_hex(der)
    )
}

fn objs(body: &[String]) -> String {
    format!(
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">{}</Objs>",
        body.concat()
    )
}

fn leaf(s: &Service) -> Vec<u8> {
    match s {
        Service::Tls(served) => served.chain[0].to_vec(),
        _ => panic!("a TLS service"),
    }
}

/// An Auth certificate as setup makes it: self-signed, no SAN.
fn auth_cert(not_after: OffsetDateTime) -> Vec<u8> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        "Microsoft Exchange Server Auth Certificate",
    );
    params.distinguished_name = dn;
    params.not_before = not_after - Duration::days(1800);
    params.not_after = not_after;
    let key = KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().der().to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_fleet_scan_joined_with_its_stores() {
    let now = OffsetDateTime::now_utc();
    let fleet = demo_fleet(now);
    let (_tmp, dir) = tmp();
    let spec = |name: &str| fleet.hosts.iter().find(|h| h.name == name).unwrap();
    // EX01 presents the fleet's public cert on 443; EX07 still presents
    // last year's, while the renewed one (the fleet's) waits in its store.
    let public = leaf(&spec("EX01").frontend);
    let ex01_own = leaf(&spec("EX01").backend);
    let ex07_old = leaf(&spec("EX07").frontend);
    let ex02_own = leaf(&spec("EX02").backend);
    let auth = auth_cert(now + Duration::days(10));
    let certs = objs(&[
        clixml_cert(1, "ex01.contoso.lab", &public, "mail 2027", "IIS, SMTP"),
        clixml_cert(
            2,
            "ex01.contoso.lab",
            &ex01_own,
            "Microsoft Exchange",
            "IMAP, POP, IIS, SMTP",
        ),
        clixml_cert(
            3,
            "ex01.contoso.lab",
            &auth,
            "Microsoft Exchange Server Auth Certificate",
            "SMTP",
        ),
        clixml_cert(
            4,
            "ex02.contoso.lab",
            &ex02_own,
            "Microsoft Exchange",
            "IMAP, POP, IIS, SMTP",
        ),
        clixml_cert(5, "ex07.contoso.lab", &ex07_old, "mail 2026", "IIS, SMTP"),
        clixml_cert(6, "ex07.contoso.lab", &public, "mail 2027", "None"),
    ]);
    let authconfig = objs(&[format!(
        "<Obj RefId=\"0\"><Props><S N=\"CurrentCertificateThumbprint\">{}</S>\
         <Nil N=\"NextCertificateThumbprint\" /><Nil N=\"PreviousCertificateThumbprint\" /></Props></Obj>",
        sha1_hex(&auth)
    )]);
    // Windows PowerShell 5.1 writes UTF-16 LE with a BOM.
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(certs.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(dir.join("certs.xml"), utf16).unwrap();
    std::fs::write(dir.join("authconfig.xml"), authconfig).unwrap();
    let ca = dir.join("root.pem");
    std::fs::write(&ca, fleet.ca.root_pem()).unwrap();
    let namespaces = fleet.namespaces.clone();
    let lab = Lab::start(fleet.hosts).await.expect("lab starts");
    let out = dir.join("out");
    let mut args = strings(&[
        "scan",
        "--ca-bundle",
        &path_arg(&ca),
        "--out",
        &path_arg(&out),
    ]);
    for ns in &namespaces {
        args.extend(strings(&["--namespace", ns]));
    }
    args.extend(strings(&[
        "--inventory",
        &path_arg(&dir.join("certs.xml")),
        "--inventory",
        &path_arg(&dir.join("authconfig.xml")),
    ]));
    args.extend(lab_args(&lab));
    let run = excert(&args).await;
    assert_eq!(
        run.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r = read_scan(&out);

    // Friendly names and services reach the wire certificates.
    let ex01 = server(&r, "EX01");
    let front = &r.endpoints[ex01.endpoints[0]];
    let back = &r.endpoints[ex01.endpoints[1]];
    assert_eq!(front.chain[0].friendly_name.as_deref(), Some("mail 2027"));
    assert_eq!(
        back.chain[0].services.as_deref(),
        Some(&excert::model::ExchangeService::list("IMAP, POP, IIS, SMTP")[..])
    );
    assert!(
        back.chain[0]
            .classification_reason
            .contains("Friendly name \"Microsoft Exchange\""),
        "{}",
        back.chain[0].classification_reason
    );

    // The renewed public cert waiting in EX07's store is caught, and the
    // advice binds it rather than renewing again.
    let ex07 = server(&r, "EX07");
    let renewed = ex07
        .findings
        .iter()
        .find(|f| f.id == FindingId::RenewedCertNotBound)
        .expect("renewed-cert-not-bound on EX07");
    assert_eq!(renewed.severity, Severity::Warning);
    assert!(
        renewed.detail.contains(&sha1_hex(&public)),
        "{}",
        renewed.detail
    );
    assert_eq!(ex07.verdict, Verdict::RebindPublicCert);
    let enable = format!(
        "Enable-ExchangeCertificate -Server ex07.contoso.lab -Thumbprint {} -Services IIS",
        sha1_hex(&public)
    );
    assert!(
        ex07.remediation_lines().iter().any(|s| s.contains(&enable)),
        "{:?}",
        ex07.remediation_lines()
    );
    let store07: Vec<_> = r
        .inventory
        .as_ref()
        .unwrap()
        .certificates
        .iter()
        .filter(|c| c.server == "ex07.contoso.lab")
        .collect();
    // Presented on 443 (and on SMTP, which the demo serves with it too).
    assert!(store07[0].bound.contains(&lab.frontend_port.to_string()));
    assert!(store07[1].bound.is_empty());

    // The Auth certificate, which no port presents: expiring once for the
    // organisation, not replicated to EX02's store.
    let org = r.organisation.as_ref().unwrap();
    assert_eq!(org.findings.len(), 1, "{:?}", org.findings);
    assert_eq!(org.findings[0].id, FindingId::AuthCertExpiring);
    assert_eq!(org.findings[0].severity, Severity::Critical);
    assert!(!store_ids(ex01).contains(&FindingId::AuthCertExpiring));
    assert!(store_ids(server(&r, "EX02")).contains(&FindingId::AuthCertNotReplicated));

    // Re-analysis from scan.json alone keeps all of it.
    let again = dir.join("again");
    let run = excert(&strings(&[
        "report",
        &path_arg(&out.join("scan.json")),
        "--out",
        &path_arg(&again),
    ]))
    .await;
    assert_eq!(run.status.code(), Some(2));
    let r2 = read_scan(&again);
    for host in ["EX01", "EX02", "EX07"] {
        assert_eq!(
            store_ids(server(&r2, host)),
            store_ids(server(&r, host)),
            "{host}"
        );
    }
    assert_eq!(r2.endpoints, r.endpoints);
    assert_eq!(r2.inventory, r.inventory);
}

fn report_args(out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = strings(&["report", "--out", &path_arg(out)]);
    args.extend(strings(extra));
    args
}

#[tokio::test]
async fn store_only_audit_judges_the_auth_certificate_at_the_as_of_date() {
    let (_tmp, dir) = tmp();
    let certs = fixture("certs-remote.xml");
    let auth = fixture("authconfig.xml");
    let out = dir.join("a");
    let run = excert(&report_args(
        &out,
        &[
            "--inventory",
            &certs,
            "--inventory",
            &auth,
            "--as-of",
            "2026-12-01",
        ],
    ))
    .await;
    assert_eq!(
        run.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r = read_scan(&out);
    assert!(r.endpoints.is_empty());
    let inv = r.inventory.as_ref().unwrap();
    assert_eq!(inv.certificates.len(), 7);
    assert!(inv
        .certificates
        .iter()
        .all(|c| !c.thumbprint.is_empty() && c.friendly_name.is_some()));
    let org = r.organisation.as_ref().unwrap();
    let f = &org.findings[0];
    assert_eq!(
        (f.id, f.severity),
        (FindingId::AuthCertExpiring, Severity::Critical)
    );
    assert!(
        f.detail.contains("expires on 2026-12-15 (14 days)"),
        "{}",
        f.detail
    );
    assert!(
        f.detail.contains("staged, effective 2026-12-08"),
        "{}",
        f.detail
    );
    // EX02: the Auth certificate did not replicate there, and its own
    // "Microsoft Exchange" certificate, enabled for IIS and SMTP, expired.
    let ex02 = server(&r, "EX02");
    assert!(store_ids(ex02).contains(&FindingId::AuthCertNotReplicated));
    assert!(store_ids(ex02).contains(&FindingId::StoreCertExpired));
    assert_eq!(ex02.verdict, Verdict::RenewBackend);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("mail.contoso.com 2027"));
    let csv = std::fs::read_to_string(out.join("report.csv")).unwrap();
    assert!(
        csv.lines().filter(|l| l.contains(",store,")).count() == 7,
        "{csv}"
    );

    // Judged later, the same certificate has expired.
    let later = dir.join("b");
    excert(&report_args(
        &later,
        &[
            "--inventory",
            &certs,
            "--inventory",
            &fixture("authconfig-nonext.xml"),
            "--as-of",
            "2026-12-20",
        ],
    ))
    .await;
    let r = read_scan(&later);
    let f = &r.organisation.as_ref().unwrap().findings[0];
    assert_eq!(f.id, FindingId::AuthCertExpired);
    assert!(
        f.detail.contains("No next certificate is staged"),
        "{}",
        f.detail
    );
    assert!(
        f.remediation_text()
            .contains("MonitorExchangeAuthCertificate.ps1"),
        "{}",
        f.remediation_text()
    );
    // The hybrid connector on EX01 names mail.contoso.com: fine while the
    // renewed certificate is valid, critical once every match expired.
    for (as_of, broken) in [("2026-12-25", false), ("2027-12-01", true)] {
        let out = dir.join(as_of);
        excert(&report_args(
            &out,
            &[
                "--inventory",
                &certs,
                "--inventory",
                &fixture("receive.xml"),
                "--as-of",
                as_of,
            ],
        ))
        .await;
        let r = read_scan(&out);
        let hybrid = server(&r, "EX01")
            .findings
            .iter()
            .find(|f| f.id == FindingId::HybridConnectorCertInvalid);
        assert_eq!(hybrid.is_some(), broken, "{as_of}");
        if let Some(f) = hybrid {
            assert!(
                f.detail.contains("Default Frontend EX01")
                    && f.detail.contains("expired on 2027-11-01"),
                "{}",
                f.detail
            );
        }
    }
}

#[tokio::test]
async fn bad_exports_stop_with_the_file_named_and_nothing_written() {
    let (_tmp, dir) = tmp();
    let junk = dir.join("servers.txt");
    std::fs::write(&junk, "ex01\nex02\n").unwrap();
    for (file, want) in [
        (fixture("truncated.xml"), "truncated"),
        (path_arg(&junk), "not a recognised export"),
    ] {
        let out = dir.join("out");
        let run = excert(&report_args(
            &out,
            &[
                "--inventory",
                &fixture("authconfig.xml"),
                "--inventory",
                &file,
            ],
        ))
        .await;
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(64), "{err}");
        assert!(err.contains(&file) && err.contains(want), "{err}");
        assert!(!out.exists(), "nothing written for {file}");
    }
    let out = dir.join("scan-out");
    let run = excert(&strings(&[
        "scan",
        "ex01.contoso.local",
        "--resolve",
        "ex01.contoso.local:127.0.0.1",
        "--inventory",
        &fixture("truncated.xml"),
        "--out",
        &path_arg(&out),
    ]))
    .await;
    assert_eq!(run.status.code(), Some(64));
    assert!(!out.exists());
}

fn sample(name: &str) -> String {
    format!(
        "{}/../shared/samples/css-exchange/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[tokio::test]
async fn conflicts_and_unreadable_objects_reach_stderr_and_scan_json() {
    let (_tmp, dir) = tmp();
    // A stale CSV row: NotAfter 2030 where the DER says 2026-08-06.
    let csv = dir.join("stale.csv");
    std::fs::write(
        &csv,
        "\"PSComputerName\",\"Thumbprint\",\"NotAfter\",\"Subject\"\r\n\
         \"WIN-CTD3L0RGEN4.exlab.dom\",\"611C687DFC4343A5A03E0005A1EC6E9B6AFF586D\",\"8/6/2030 1:56:14 PM\",\"CN=WIN-CTD3L0RGEN4\"\r\n",
    )
    .unwrap();
    // The real export with its second object's SerializationData cut.
    let text = std::fs::read_to_string(sample("GetExchangeCertificateWithoutAuth.xml")).unwrap();
    let open = "<BA N=\"SerializationData\">";
    let at = text.match_indices(open).nth(1).unwrap().0 + open.len();
    let end = at + text[at..].find("</BA>").unwrap();
    let xml = dir.join("certs.xml");
    std::fs::write(
        &xml,
        format!("{}AAEAAAD/////AQAAAAAAAAAM{}", &text[..at], &text[end..]),
    )
    .unwrap();
    let line = text[..text.match_indices("\n  <Obj ").nth(1).unwrap().0 + 1]
        .matches('\n')
        .count()
        + 1;
    let out = dir.join("out");
    let run = excert(&report_args(
        &out,
        &[
            "--inventory",
            &path_arg(&csv),
            "--inventory",
            &path_arg(&xml),
            "--as-of",
            "2026-07-20",
        ],
    ))
    .await;
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains(&format!(
            "warning: {}: line {line}: object 2: SerializationData",
            path_arg(&xml)
        )),
        "{err}"
    );
    assert!(
        err.contains("611C687DFC4343A5A03E0005A1EC6E9B6AFF586D: the exports disagree on not_after: kept 2026-08-06T13:56:14Z"),
        "{err}"
    );
    let r = read_scan(&out);
    let inv = r.inventory.as_ref().unwrap();
    assert_eq!(inv.certificates.len(), 3);
    let c = &inv.certificates[0];
    // The DER-backed date, though the CSV came first: 17 days left, not 4 years.
    assert_eq!(
        (c.thumbprint.as_str(), c.days_left),
        ("611C687DFC4343A5A03E0005A1EC6E9B6AFF586D", 17)
    );
    assert_eq!(inv.conflicts.len(), 1);
    assert_eq!(inv.conflicts[0].dropped_source.file, path_arg(&csv));
    assert_eq!(inv.warnings.len(), 1);
    assert_eq!((inv.warnings[0].line, inv.warnings[0].object), (line, 2));
}

#[tokio::test]
async fn a_csv_cut_mid_row_exits_64_naming_the_file_and_line() {
    let (_tmp, dir) = tmp();
    let full = std::fs::read(fixture("certs-en-US.csv")).unwrap();
    // Cut inside the subject of the fourth data row (line 6).
    let text = String::from_utf8_lossy(&full).into_owned();
    let row = text.match_indices("\r\n").nth(4).unwrap().0 + 2;
    let cut = row + text[row..].find("\"CN=").unwrap() + 6;
    let csv = dir.join("cut.csv");
    std::fs::write(&csv, &full[..cut]).unwrap();
    let out = dir.join("out");
    let run = excert(&report_args(&out, &["--inventory", &path_arg(&csv)])).await;
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(64), "{err}");
    assert!(
        err.contains(&path_arg(&csv)) && err.contains("line 6") && err.contains("truncated"),
        "{err}"
    );
    assert!(!out.exists());
}
