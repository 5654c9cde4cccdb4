//! SNI as IIS sees it: `--resolve` and `--sni` reach a server that presents
//! different certificates per name, and `--also-no-sni` reports the
//! difference.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;

use excert::lab::{certs, HostSpec, Lab, Service};
use excert::model::FindingId;
use lab_support::*;
use time::{Duration, OffsetDateTime};

async fn sni_lab() -> (Lab, certs::Served, certs::Served) {
    let now = OffsetDateTime::now_utc();
    let ca = certs::LabCa::new(now);
    let named = ca.issue(
        &["mail.contoso.lab"],
        now - Duration::days(10),
        now + Duration::days(300),
        &certs::key(8),
    );
    let fallback = certs::exchange_self_signed(
        "EX01",
        "contoso.lab",
        now - Duration::days(10),
        &certs::key(1),
    );
    let service = Service::BySni {
        names: vec![("mail.contoso.lab".into(), named.clone())],
        default: fallback.clone(),
    };
    let lab = Lab::start(vec![HostSpec {
        name: "EX01".into(),
        frontend: service,
        backend: Service::Closed,
        smtp: Service::Closed,
    }])
    .await
    .unwrap();
    (lab, named, fallback)
}

async fn frontend_scan(lab: &Lab, target: &str, extra: &[&str]) -> excert::model::ScanReport {
    let (_t, dir) = tmp();
    let mut args = strings(&[
        "scan",
        target,
        "--frontend-ports",
        &lab.frontend_port.to_string(),
        "--backend-ports",
    ]);
    args.push(lab.backend_port.to_string());
    args.extend(strings(&["--out", &path_arg(&dir), "--no-protocol-scan"]));
    args.extend(strings(extra));
    let out = excert(&args).await;
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    read_scan(&dir)
}

fn sha1(der: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn resolve_and_sni_pick_the_named_certificate() {
    let (lab, named, fallback) = sni_lab().await;
    let ip = lab.hosts[0].ip.to_string();
    let named_sha1 = sha1(named.chain[0].as_ref());
    let fallback_sha1 = sha1(fallback.chain[0].as_ref());

    // By name, pinned with --resolve: the name goes out as SNI.
    let r = frontend_scan(
        &lab,
        "mail.contoso.lab",
        &["--resolve", &format!("mail.contoso.lab:{ip}")],
    )
    .await;
    let ep = &r.endpoints[0];
    assert_eq!(ep.endpoint.address.unwrap().to_string(), ip);
    assert_eq!(ep.endpoint.sni.as_deref(), Some("mail.contoso.lab"));
    assert_eq!(ep.chain[0].sha1, named_sha1);

    // By IP: no SNI at all (never an IP literal), so the default binding.
    let r = frontend_scan(&lab, &ip, &[]).await;
    assert_eq!(r.endpoints[0].endpoint.sni, None);
    assert_eq!(r.endpoints[0].chain[0].sha1, fallback_sha1);

    // By IP with --sni: the namespace's binding.
    let r = frontend_scan(&lab, &ip, &["--sni", "mail.contoso.lab"]).await;
    assert_eq!(r.endpoints[0].chain[0].sha1, named_sha1);
}

#[tokio::test(flavor = "multi_thread")]
async fn also_no_sni_reports_a_different_default_binding() {
    let (lab, _named, fallback) = sni_lab().await;
    let ip = lab.hosts[0].ip.to_string();
    let r = frontend_scan(&lab, &ip, &["--sni", "mail.contoso.lab", "--also-no-sni"]).await;
    let ep = &r.endpoints[0];
    let no_sni = ep.no_sni.as_ref().expect("both chains kept in scan.json");
    assert_eq!(no_sni.chain[0].sha1, sha1(fallback.chain[0].as_ref()));
    assert!(
        ep.findings
            .iter()
            .any(|f| f.id == FindingId::SniDependentCert),
        "{:?}",
        ep.findings
    );
}
