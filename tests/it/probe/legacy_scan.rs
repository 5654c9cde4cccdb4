//! `excert scan` end to end against servers rustls cannot talk to: the
//! chain comes through the legacy hello, and the protocol findings fire
//! only where they should.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;
use crate::openssl_support;

use excert::model::{EndpointReport, Method, Status};
use lab_support::*;
use openssl_support::{pki, s_server};

async fn scan_one(port: u16, extra: &[&str]) -> EndpointReport {
    let (_t, dir) = tmp();
    let mut args = strings(&[
        "scan",
        "localhost",
        "--resolve",
        "localhost:127.0.0.1",
        "--frontend-ports",
    ]);
    args.push(port.to_string());
    args.extend(strings(&[
        "--backend-ports",
        "1",
        "--out",
        &path_arg(&dir),
        "--timeout",
        "5",
    ]));
    // Only the frontend port is in play: the backend list must not clash.
    args.extend(strings(extra));
    let out = excert(&args).await;
    assert!(
        matches!(out.status.code(), Some(0..=3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = read_scan(&dir);
    report
        .endpoints
        .into_iter()
        .find(|e| e.endpoint.port == port)
        .expect("the frontend endpoint")
}

fn ids(e: &EndpointReport) -> Vec<&str> {
    e.findings.iter().map(|f| f.id.as_str()).collect()
}

fn assert_full_chain(e: &EndpointReport) {
    assert_eq!(e.status, Status::Ok, "{:?}", e.error);
    let got: Vec<&[u8]> = e.chain.iter().map(|c| c.der_base64.as_bytes()).collect();
    let want: Vec<&[u8]> = pki().chain.iter().map(|c| c.as_slice()).collect();
    assert_eq!(got, want, "leaf, intermediate and root, as served");
}

#[tokio::test(flavor = "multi_thread")]
async fn tls10_only_server_is_read_and_flagged() {
    let server = s_server(&["-tls1", "-cipher", "ALL:@SECLEVEL=0"]);
    let e = scan_one(server.port, &[]).await;
    assert_full_chain(&e);
    let tls = e.tls.as_ref().unwrap();
    assert_eq!(tls.method, Method::Legacy);
    assert_eq!(tls.version.name(), "TLSv1.0");
    assert!(
        tls.cipher_suite.name().contains("_WITH_"),
        "{}",
        tls.cipher_suite
    );
    assert_eq!(
        tls.versions.iter().map(|v| v.name()).collect::<Vec<_>>(),
        vec!["TLSv1.0".to_string()]
    );
    assert!(ids(&e).contains(&"legacy-tls-only"), "{:?}", ids(&e));
}

#[tokio::test(flavor = "multi_thread")]
async fn rsa_kx_cbc_only_tls12_server_is_read_and_not_flagged_legacy() {
    let server = s_server(&["-tls1_2", "-cipher", "AES256-SHA"]);
    let e = scan_one(server.port, &[]).await;
    assert_full_chain(&e);
    let tls = e.tls.as_ref().unwrap();
    assert_eq!(tls.method, Method::Legacy);
    assert_eq!(tls.version.name(), "TLSv1.2");
    assert_eq!(tls.cipher_suite.name(), "TLS_RSA_WITH_AES_256_CBC_SHA");
    assert_eq!(
        tls.versions.iter().map(|v| v.name()).collect::<Vec<_>>(),
        vec!["TLSv1.2".to_string()]
    );
    assert!(
        !ids(&e).iter().any(|i| i.starts_with("legacy-")),
        "{:?}",
        ids(&e)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn modern_server_with_old_protocols_still_on_is_mapped() {
    let server = s_server(&["-cipher", "ALL:@SECLEVEL=0"]);
    let e = scan_one(server.port, &[]).await;
    assert_full_chain(&e);
    let tls = e.tls.as_ref().unwrap();
    // The chain came in cleartext from a hello up to TLS 1.2 offering only
    // RSA key exchange; the HelloRetryRequest named TLS 1.3.
    assert_eq!(tls.method, Method::Legacy);
    assert_eq!(tls.version.name(), "TLSv1.3");
    assert_eq!(
        tls.versions.iter().map(|v| v.name()).collect::<Vec<_>>(),
        ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
            .map(String::from)
            .to_vec()
    );
    assert!(ids(&e).contains(&"legacy-protocols-enabled"));
    assert!(!ids(&e).contains(&"legacy-tls-only"));

    let e = scan_one(server.port, &["--no-protocol-scan"]).await;
    let tls = e.tls.as_ref().unwrap();
    assert_eq!(
        tls.versions.iter().map(|v| v.name()).collect::<Vec<_>>(),
        ["TLSv1.2", "TLSv1.3"].map(String::from).to_vec(),
        "--no-protocol-scan sends no extra hellos: the HelloRetryRequest and the hello that \
         read the chain show only these"
    );
    assert!(!tls.versions_scanned);
}
