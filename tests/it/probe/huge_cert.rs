//! A valid chain whose leaf carries 10,000 names (about 200 KB, over
//! rustls-webpki's 64 KB limit), as in the badssl.com test set: it is read
//! from a real server, judged trusted (or untrusted in words, never with a
//! library error), and its names are checked once each.
//!
//! CPU time in release: `cargo test --release --test huge_cert --
//! --nocapture` prints how long the analysis took.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::Instant;

use excert::analyze::trust::TrustRoots;
use excert::analyze::{analyze, Analysis};
use excert::config::AnalysisSettings;
use excert::lab::certs::{key, LabCa, Served};
use excert::lab::{HostSpec, Lab, Service};
use excert::model::{Der, EndpointEvidence, FindingId, Role, Status};
use excert::probe::probe_endpoint;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::lab_support;

use lab_support::{endpoint, quick};

const NOW: OffsetDateTime = datetime!(2025-06-01 12:00 UTC);
const NAMESPACES: [&str; 2] = ["mail.contoso.com", "autodiscover.contoso.com"];

/// The namespaces and 10,000 more names, issued by the lab CA.
fn huge(ca: &LabCa) -> Served {
    let extra: Vec<String> = (0..10_000).map(|i| format!("h{i}.contoso.com")).collect();
    let names: Vec<&str> = NAMESPACES
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
        .collect();
    ca.issue(
        &names,
        NOW - Duration::days(30),
        NOW + Duration::days(300),
        &key(3),
    )
}

fn settings(roots: TrustRoots) -> AnalysisSettings {
    AnalysisSettings {
        as_of: NOW,
        warn_days: 60,
        critical_days: 30,
        namespaces: NAMESPACES.iter().map(|s| s.to_string()).collect(),
        site_namespaces: Default::default(),
        roots: Arc::new(roots),
        ca_bundles: vec![],
    }
}

fn evidence(chain: Vec<Der>) -> EndpointEvidence {
    lab_support::evidence::ep("ex01.contoso.com", Role::Frontend)
        .tls(None)
        .ders(chain)
        .evidence()
}

fn timed(evidence: &[EndpointEvidence], roots: TrustRoots) -> Analysis {
    let settings = settings(roots);
    let start = Instant::now();
    let a = analyze(evidence.to_vec(), None, &settings);
    eprintln!(
        "analysis of {} endpoint(s) with a 10,000-name leaf: {:.1} ms",
        evidence.len(),
        start.elapsed().as_secs_f64() * 1000.0
    );
    a
}

fn ids(a: &Analysis) -> Vec<FindingId> {
    a.endpoints[0].findings.iter().map(|f| f.id).collect()
}

#[test]
fn a_10000_name_leaf_from_a_known_ca_is_trusted_and_covers_its_names() {
    let ca = LabCa::new(NOW);
    let served = huge(&ca);
    assert!(served.chain[0].len() > 64 * 1024, "over webpki's limit");
    let chain: Vec<Der> = served.chain.iter().map(|c| Der::from(c.to_vec())).collect();
    // Two servers share it, as in a rollout: every pair of leaves is compared.
    let mut second = evidence(chain.clone());
    second.endpoint.host = "ex02.contoso.com".into();
    let a = timed(
        &[evidence(chain), second],
        TrustRoots::from_der([ca.root.as_ref()]).unwrap(),
    );
    let trust = a.endpoints[0].trust.clone().unwrap();
    assert!(trust.trusted, "{:?}", trust.error);
    assert!(a.endpoints[0].findings.is_empty(), "{:?}", ids(&a));
}

#[test]
fn a_10000_name_leaf_from_an_unknown_ca_is_untrusted_in_words() {
    let ca = LabCa::new(NOW);
    let chain: Vec<Der> = huge(&ca)
        .chain
        .iter()
        .map(|c| Der::from(c.to_vec()))
        .collect();
    let a = timed(&[evidence(chain)], TrustRoots::empty());
    let trust = a.endpoints[0].trust.clone().unwrap();
    assert!(!trust.trusted);
    assert_eq!(
        trust.error.as_deref(),
        Some("unknown issuer: no path to a trusted root")
    );
    let untrusted = a.endpoints[0]
        .findings
        .iter()
        .find(|f| f.id == FindingId::FrontendCertUntrusted)
        .expect("an untrusted finding");
    assert!(
        untrusted.detail.contains("unknown issuer") && !untrusted.detail.contains("Trailing"),
        "{}",
        untrusted.detail
    );
}

#[test]
fn an_expired_10000_name_leaf_is_expired_not_untrusted() {
    let ca = LabCa::new(NOW);
    let chain: Vec<Der> = huge(&ca)
        .chain
        .iter()
        .map(|c| Der::from(c.to_vec()))
        .collect();
    let mut settings = settings(TrustRoots::from_der([ca.root.as_ref()]).unwrap());
    settings.as_of = NOW + Duration::days(400);
    let a = analyze(vec![evidence(chain)], None, &settings);
    let trust = a.endpoints[0].trust.clone().unwrap();
    assert_eq!(trust.error.as_deref(), Some("certificate expired"));
    assert!(
        !ids(&a).contains(&FindingId::FrontendCertUntrusted),
        "{:?}",
        ids(&a)
    );
}

/// Served by a real TLS server: the probe reads all of it.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_presenting_a_10000_name_leaf_is_read_whole() {
    let ca = LabCa::new(OffsetDateTime::now_utc());
    let extra: Vec<String> = (0..10_000).map(|i| format!("h{i}.contoso.com")).collect();
    let names: Vec<&str> = extra.iter().map(String::as_str).collect();
    let now = OffsetDateTime::now_utc();
    let served = ca.issue(
        &names,
        now - Duration::days(1),
        now + Duration::days(90),
        &key(3),
    );
    let lab = Lab::start(vec![HostSpec {
        name: "EX01".into(),
        frontend: Service::Tls(served.clone()),
        backend: Service::Closed,
        smtp: Service::Closed,
    }])
    .await
    .expect("lab starts");
    let ep = endpoint(
        "h1.contoso.com",
        lab.hosts[0].ip,
        lab.frontend_port,
        Role::Frontend,
        Some("h1.contoso.com"),
    );
    let (obs, _) = probe_endpoint(&ep, &quick(5000)).await;
    assert_eq!(obs.status, Status::Ok, "{:?}", obs.error);
    let got: Vec<&[u8]> = obs.chain.iter().map(|d| d.as_bytes()).collect();
    let want: Vec<&[u8]> = served.chain.iter().map(|c| c.as_ref()).collect();
    assert!(got == want, "the whole chain, as served");
}
