//! `excert scan` against real mail servers no one here wrote: Debian's
//! Postfix (STARTTLS, a certificate per listener, a listener without TLS)
//! and Dovecot (IMAP and POP3, STARTTLS and implicit TLS), on a private
//! loopback address with the real port numbers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod lab_support;
mod mail_support;

use excert::lab::certs;
use excert::model::{EndpointReport, FindingId, Role, ScanReport, Status, Verdict};
use lab_support::*;
use mail_support::*;
use time::{Duration, OffsetDateTime};

fn endpoint(report: &ScanReport, port: u16) -> &EndpointReport {
    report
        .endpoints
        .iter()
        .find(|e| e.endpoint.port == port)
        .unwrap_or_else(|| panic!("no endpoint on port {port}"))
}

fn chain_of(e: &EndpointReport) -> Vec<Vec<u8>> {
    e.chain
        .iter()
        .map(|c| c.der_base64.as_bytes().to_vec())
        .collect()
}

fn served_chain(s: &certs::Served) -> Vec<Vec<u8>> {
    s.chain.iter().map(|c| c.as_ref().to_vec()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_and_dovecot_give_every_chain_after_starttls() {
    if !available() {
        return;
    }
    let now = OffsetDateTime::now_utc();
    let (_t, dir) = tmp();
    let ip = private_loopback();
    let ca = certs::LabCa::new(now);
    // 25 presents a CA-issued certificate, 2525 the server's own
    // Exchange-shaped one: a certificate per listener.
    let public = ca.issue(
        &["mail.contoso.lab"],
        now - Duration::days(10),
        now + Duration::days(200),
        &certs::key(8),
    );
    let own = certs::exchange_self_signed(
        "MX01",
        "contoso.lab",
        now - Duration::days(100),
        &certs::key(2),
    );
    let (public_pem, public_key) = write_served(&dir, "public", &public);
    let (own_pem, own_key) = write_served(&dir, "own", &own);
    let _postfix = postfix(
        &dir,
        ip,
        &[
            Listener {
                port: 25,
                tls: Some((&public_pem, &public_key)),
            },
            Listener {
                port: 2525,
                tls: Some((&own_pem, &own_key)),
            },
            Listener {
                port: 587,
                tls: None,
            },
        ],
    );
    let _dovecot = dovecot(&dir, ip, &public_pem, &public_key);

    let ca_pem = dir.join("lab-root.pem");
    std::fs::write(&ca_pem, ca.root_pem()).unwrap();
    let out_dir = dir.join("out");
    let host = "mx01.contoso.lab";
    let args = strings(&[
        "scan",
        host,
        "--resolve",
        &format!("{host}:{ip}"),
        "--frontend-ports",
        "443",
        "--backend-ports",
        "444",
        "--smtp-ports",
        "25,2525,587",
        "--imap-ports",
        "143,993",
        "--pop-ports",
        "110,995",
        "--timeout",
        "5",
        "--ca-bundle",
        &path_arg(&ca_pem),
        "--quiet",
        "--out",
        &path_arg(&out_dir),
    ]);
    let out = excert(&args).await;
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = read_scan(&out_dir);

    for (port, role, want, starttls) in [
        (25, Role::Smtp, &public, true),
        (2525, Role::Smtp, &own, true),
        (143, Role::Imap, &public, true),
        (993, Role::Imap, &public, false),
        (110, Role::Pop, &public, true),
        (995, Role::Pop, &public, false),
    ] {
        let e = endpoint(&report, port);
        assert_eq!(e.endpoint.role, role, "port {port}");
        assert_eq!(e.status, Status::Ok, "port {port}: {:?}", e.error);
        assert_eq!(
            chain_of(e),
            served_chain(want),
            "port {port}: the listener's own chain"
        );
        assert_eq!(
            e.tls.as_ref().unwrap().starttls,
            starttls,
            "port {port}: tls.starttls"
        );
        assert!(
            e.tls.as_ref().unwrap().versions_scanned,
            "port {port}: protocol map"
        );
    }

    let smtp = endpoint(&report, 25)
        .dialogue
        .smtp
        .as_ref()
        .expect("smtp facts");
    assert_eq!(smtp.banner, "220 mx.postfix.test ESMTP Postfix (Debian)");
    assert!(!smtp.exchange_banner, "Postfix is not Exchange");
    assert!(smtp.ehlo.iter().any(|e| e == "STARTTLS"), "{:?}", smtp.ehlo);

    // The listener with TLS off spoke SMTP but offered no STARTTLS.
    let plain = endpoint(&report, 587);
    assert_eq!(plain.status, Status::NoStarttls, "{:?}", plain.error);
    assert!(plain.chain.is_empty());
    assert!(!plain
        .dialogue
        .smtp
        .as_ref()
        .unwrap()
        .ehlo
        .iter()
        .any(|e| e == "STARTTLS"));

    let imap = endpoint(&report, 143)
        .dialogue
        .imap
        .as_ref()
        .expect("imap facts");
    assert!(imap.banner.contains("Dovecot"), "{}", imap.banner);
    assert!(imap.capabilities.iter().any(|c| c == "STARTTLS"));
    let pop = endpoint(&report, 110)
        .dialogue
        .pop
        .as_ref()
        .expect("pop facts");
    assert!(pop.capabilities.iter().any(|c| c == "STLS"));
    assert!(
        endpoint(&report, 993).dialogue.imap.is_none(),
        "implicit TLS: no dialogue"
    );

    // The findings an admin reads: only the listener without TLS needs
    // action; 2525 presents the server's own certificate, as expected.
    for port in [25, 2525, 143, 993, 110, 995] {
        let e = endpoint(&report, port);
        assert!(
            e.findings
                .iter()
                .all(|f| f.severity == excert::model::Severity::Info),
            "port {port}: {:?}",
            e.findings
        );
    }
    let ids: Vec<FindingId> = plain.findings.iter().map(|f| f.id).collect();
    assert_eq!(ids, [FindingId::StarttlsNotOffered]);
    let server = &report.servers[0];
    assert_eq!(
        server.verdict,
        Verdict::FixTransportCert,
        "{}",
        server.summary
    );
    assert!(
        server.summary.contains("SMTP 587: no STARTTLS"),
        "{}",
        server.summary
    );

    // Postfix saw EHLO and STARTTLS and nothing that sends mail.
    let log = _postfix.log_text();
    assert!(!log.contains("mail="), "no MAIL FROM: {log}");
    assert!(!log.contains("auth="), "no AUTH: {log}");
    assert!(log.contains("starttls="), "{log}");
}
