//! The SMTP probe against the lab's Exchange-like responder on loopback:
//! STARTTLS, the statuses of ports that do not offer it, TLS 1.0 after
//! STARTTLS (relayed to `openssl s_server -tls1`), and hostile greetings.
//! Postfix and Dovecot are in mail_servers.rs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;
use crate::openssl_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use excert::lab::{certs, HostSpec, Lab, RawHandler, Service, SmtpSpec, Starttls};
use excert::model::{Method, Observation, Role, Status, TlsVersion};
use excert::probe::probe_endpoint;
use lab_support::{endpoint, quick};
use openssl_support::{pki, s_server};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn exchange_cert() -> certs::Served {
    certs::exchange_self_signed(
        "EX01",
        "contoso.lab",
        OffsetDateTime::now_utc() - time::Duration::days(30),
        &certs::key(1),
    )
}

async fn lab(smtp: Service) -> Lab {
    Lab::start(vec![HostSpec {
        name: "EX01".into(),
        frontend: Service::Closed,
        backend: Service::Closed,
        smtp,
    }])
    .await
    .expect("lab starts")
}

async fn probe(lab: &Lab, timeout_ms: u64) -> Observation {
    let ep = endpoint(
        "ex01.contoso.lab",
        lab.hosts[0].ip,
        lab.smtp_port,
        Role::Smtp,
        Some("ex01.contoso.lab"),
    );
    probe_endpoint(&ep, &quick(timeout_ms)).await.0
}

fn commands(spec: &SmtpSpec) -> Vec<String> {
    spec.log.lock().unwrap().clone()
}

/// Only EHLO, STARTTLS and QUIT: never MAIL FROM, RCPT, DATA or AUTH.
fn assert_polite(spec: &SmtpSpec) {
    for line in commands(spec) {
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        assert!(
            ["EHLO", "STARTTLS", "QUIT"].contains(&verb.as_str()),
            "the scanner sent {line:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn exchange_starttls_gives_the_chain_banner_and_extensions() {
    let served = exchange_cert();
    let spec = SmtpSpec::exchange("ex01.contoso.lab", Starttls::Tls(served.clone()));
    let lab = lab(Service::Smtp(spec.clone())).await;
    let obs = probe(&lab, 2000).await;

    assert_eq!(obs.status, Status::Ok, "{:?}", obs.error);
    let got: Vec<&[u8]> = obs.chain.iter().map(|d| d.as_bytes()).collect();
    let want: Vec<&[u8]> = served.chain.iter().map(|d| d.as_ref()).collect();
    assert_eq!(got, want, "the chain presented after STARTTLS");
    let tls = obs.tls.expect("tls info");
    assert!(tls.starttls, "tls.starttls is true");
    // rustls serves no RSA key exchange: the hand-built hello offering
    // every suite read the chain after the HelloRetryRequest.
    assert_eq!(tls.method, Method::Legacy);
    assert!(tls.versions_scanned, "the protocol map ran after STARTTLS");
    assert_eq!(tls.versions, [TlsVersion::Tls12, TlsVersion::Tls13]);

    let smtp = obs.dialogue.smtp.expect("smtp facts");
    assert!(
        smtp.banner
            .starts_with("220 ex01.contoso.lab Microsoft ESMTP MAIL Service ready"),
        "{}",
        smtp.banner
    );
    assert!(smtp.exchange_banner);
    for ext in ["STARTTLS", "X-ANONYMOUSTLS", "SIZE 37748736"] {
        assert!(
            smtp.ehlo.iter().any(|e| e == ext),
            "{ext} in {:?}",
            smtp.ehlo
        );
    }
    assert_polite(&spec);
    let log = commands(&spec);
    assert!(
        log.iter()
            .filter(|l| l.starts_with("EHLO"))
            .all(|l| l.starts_with("EHLO [127.")),
        "EHLO names our own address literal: {log:?}"
    );
    // One dialogue per connection: the no-sign hello (a HelloRetryRequest:
    // TLS 1.3, whose certificate is encrypted), a hello up to TLS 1.2
    // offering only RSA key exchange (refused), the chain from one offering
    // every suite (TLS 1.2), then the protocol map's hello capped at TLS 1.1
    // (refused).
    assert_eq!(log.iter().filter(|l| l.starts_with("STARTTLS")).count(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_greeting_is_waited_for_within_the_timeout() {
    let spec = SmtpSpec::exchange("ex01.contoso.lab", Starttls::Tls(exchange_cert()))
        .slow(Duration::from_millis(700));
    let lab = lab(Service::Smtp(spec)).await;
    let obs = probe(&lab, 2000).await;
    assert_eq!(obs.status, Status::Ok, "{:?}", obs.error);
    assert!(obs.tls.unwrap().starttls);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_greeting_slower_than_the_timeout_is_a_timeout() {
    let spec = SmtpSpec::exchange("ex01.contoso.lab", Starttls::Tls(exchange_cert()))
        .slow(Duration::from_secs(5));
    let lab = lab(Service::Smtp(spec)).await;
    let started = Instant::now();
    let obs = probe(&lab, 500).await;
    assert_eq!(obs.status, Status::Timeout, "{:?}", obs.error);
    let error = obs.error.unwrap();
    assert!(error.contains("SMTP greeting"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "one step timeout"
    );
    assert!(obs.dialogue.smtp.is_none(), "nothing was said");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_starttls_advertised_is_no_starttls() {
    let spec = SmtpSpec::exchange("ex01.contoso.lab", Starttls::NotOffered);
    let lab = lab(Service::Smtp(spec.clone())).await;
    let obs = probe(&lab, 2000).await;
    assert_eq!(obs.status, Status::NoStarttls, "{:?}", obs.error);
    assert!(obs.error.unwrap().contains("does not offer STARTTLS"));
    assert!(obs.chain.is_empty() && obs.tls.is_none());
    let smtp = obs.dialogue.smtp.expect("what it said is kept");
    assert!(smtp.exchange_banner);
    assert!(!smtp.ehlo.iter().any(|e| e == "STARTTLS"));
    assert!(smtp.ehlo.iter().any(|e| e == "X-ANONYMOUSTLS"));
    // The probe does not wait for the 221, so the responder may log the
    // QUIT just after the probe returns. It signals nothing, so poll its log
    // (every 20 ms, up to 2 s) until the QUIT is there.
    let said_goodbye = async {
        while commands(&spec).last().map(String::as_str) != Some("QUIT") {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(2), said_goodbye)
        .await
        .expect("the probe says QUIT");
    assert_polite(&spec);
}

#[tokio::test(flavor = "multi_thread")]
async fn starttls_refused_with_454_is_no_starttls() {
    let spec = SmtpSpec::exchange("ex01.contoso.lab", Starttls::Refuse454);
    let lab = lab(Service::Smtp(spec.clone())).await;
    let obs = probe(&lab, 2000).await;
    assert_eq!(obs.status, Status::NoStarttls, "{:?}", obs.error);
    let error = obs.error.unwrap();
    assert!(error.contains("STARTTLS refused: 454 4.7.0"), "{error}");
    assert!(obs
        .dialogue
        .smtp
        .unwrap()
        .ehlo
        .iter()
        .any(|e| e == "STARTTLS"));
    assert_polite(&spec);
}

#[tokio::test(flavor = "multi_thread")]
async fn tls10_only_after_starttls_is_read_with_the_legacy_hello() {
    // Exchange 2010 on Windows 2008 R2: STARTTLS, then TLS 1.0 only.
    let server = s_server(&["-tls1", "-cipher", "ALL:@SECLEVEL=0"]);
    let upstream = ([127, 0, 0, 1], server.port).into();
    let spec = SmtpSpec::exchange("ex01.contoso.lab", Starttls::Relay(upstream));
    let lab = lab(Service::Smtp(spec.clone())).await;
    let obs = probe(&lab, 3000).await;

    assert_eq!(obs.status, Status::Ok, "{:?}", obs.error);
    let got: Vec<&[u8]> = obs.chain.iter().map(|d| d.as_bytes()).collect();
    let want: Vec<&[u8]> = pki().chain.iter().map(|c| c.as_slice()).collect();
    assert_eq!(got, want, "leaf, intermediate and root after STARTTLS");
    let tls = obs.tls.unwrap();
    assert_eq!(tls.method, Method::Legacy);
    assert_eq!(tls.version, TlsVersion::Tls10);
    assert!(tls.starttls);
    assert!(tls.versions_scanned);
    assert_eq!(tls.versions, [TlsVersion::Tls10]);
    assert_polite(&spec);
}

/// A port that answers at once with `greeting` and then reads forever.
fn raw(greeting: Vec<u8>) -> Service {
    let greeting = Arc::new(greeting);
    let handler: RawHandler = Arc::new(move |mut stream| {
        let greeting = greeting.clone();
        Box::pin(async move {
            let _ = stream.write_all(&greeting).await;
            let mut buf = [0u8; 1024];
            while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
        })
    });
    Service::Raw(handler)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_port_that_does_not_speak_smtp_is_not_tls() {
    let lab = lab(raw(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".to_vec())).await;
    let obs = probe(&lab, 1000).await;
    assert_eq!(obs.status, Status::NotTls, "{:?}", obs.error);
    assert!(obs.error.unwrap().contains("not SMTP"));
    assert!(obs.dialogue.smtp.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_1_mb_greeting_line_is_refused_after_a_few_kilobytes() {
    let mut line = b"220 ".to_vec();
    line.extend(std::iter::repeat_n(b'A', 1 << 20));
    line.extend(b"\r\n");
    let lab = lab(raw(line)).await;
    let obs = probe(&lab, 2000).await;
    assert_eq!(obs.status, Status::HandshakeFailed, "{:?}", obs.error);
    assert!(obs.error.unwrap().contains("longer than 4096 bytes"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_multi_line_greeting_is_cut_off() {
    let mut lines = Vec::new();
    for i in 0..10_000 {
        lines.extend(format!("220-line {i}\r\n").as_bytes());
    }
    let lab = lab(raw(lines)).await;
    let obs = probe(&lab, 2000).await;
    assert_eq!(obs.status, Status::HandshakeFailed, "{:?}", obs.error);
    assert!(obs.error.unwrap().contains("more than 64 lines"));
    let banner = obs.dialogue.smtp.expect("the first line is kept").banner;
    assert_eq!(banner, "220-line 0");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_banner_is_kept_bounded_and_as_data() {
    let hostile = format!(
        "ex01 <script>alert(1)</script> \u{1b}[31mred\u{1b}[0m \u{202E}gnp.exe =HYPERLINK(\"x\") {}",
        "B".repeat(2000)
    );
    let spec = SmtpSpec::exchange("ex01.contoso.lab", Starttls::Tls(exchange_cert()))
        .with_greeting(vec![hostile]);
    let lab = lab(Service::Smtp(spec)).await;
    let obs = probe(&lab, 2000).await;
    assert_eq!(obs.status, Status::Ok, "{:?}", obs.error);
    let smtp = obs.dialogue.smtp.unwrap();
    assert_eq!(smtp.banner.chars().count(), 512, "cut at 512 characters");
    assert!(smtp.banner.starts_with("220 ex01 <script>"));
    assert!(!smtp.exchange_banner);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_banner_is_inert_in_html_csv_and_terminal() {
    let hostile = "ex01 <script>alert(1)</script> \"onmouseover=alert(1) x=\" \
                   \u{1b}[31mred\u{1b}[0m \u{202E}gnp.exe =HYPERLINK(\"http://x\")"
        .to_string();
    let spec =
        SmtpSpec::exchange("ex01.contoso.lab", Starttls::NotOffered).with_greeting(vec![hostile]);
    let lab = lab(Service::Smtp(spec)).await;
    let (_t, dir) = lab_support::tmp();
    let findings_csv = dir.join("findings.csv");
    let mut args = lab_support::strings(&[
        "scan",
        "--out",
        &lab_support::path_arg(&dir),
        "--csv-findings",
        &lab_support::path_arg(&findings_csv),
        "--timeout",
        "2",
    ]);
    args.extend(lab_support::lab_args(&lab));
    let out = lab_support::excert(&args).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = lab_support::read_scan(&dir);
    let e = report
        .endpoints
        .iter()
        .find(|e| e.endpoint.role == Role::Smtp)
        .unwrap();
    assert_eq!(e.status, Status::NoStarttls, "{:?}", e.error);
    assert!(e
        .dialogue
        .smtp
        .as_ref()
        .unwrap()
        .banner
        .contains("<script>"));

    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let csv = std::fs::read_to_string(dir.join("report.csv")).unwrap()
        + &std::fs::read_to_string(&findings_csv).unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)"),
        "the banner is shown, escaped"
    );
    for (name, text) in [
        ("report.html", html.as_str()),
        ("CSV", csv.as_str()),
        ("stdout", &stdout),
        ("stderr", &stderr),
    ] {
        assert!(!text.contains('\u{1b}'), "{name} carries an ESC byte");
        assert!(!text.contains('\u{202E}'), "{name} carries a bidi override");
    }
    // Markup only matters where a browser reads it.
    assert!(!html.contains("<script>alert"), "raw markup in report.html");
    assert!(
        !html.contains("\"onmouseover=alert"),
        "an attribute in report.html"
    );
    assert!(
        csv.contains("\\u{001B}[31m"),
        "CSV shows the escape as text"
    );
    assert!(
        !csv.lines()
            .any(|l| l.split(',').any(|c| c.trim_matches('"').starts_with('='))),
        "no CSV cell starts a formula"
    );
}
