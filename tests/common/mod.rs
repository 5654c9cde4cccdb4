//! A small, fixed Exchange fleet as a ScanReport, for the report tests.
//!
//! Dates are relative to a fixed as-of time, so the fixtures never rot.
//! The fleet: a healthy server, an expired backend, two backends expiring
//! in about 20 days (an expiry cliff), a lost public binding, a backend
//! port that refused, and a public cert whose subject is hostile. Its
//! endpoints come from the shared evidence builder, so a binary using it
//! declares `mod lab_support;` too.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};

use crate::lab_support::evidence;
use excert::model::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

pub const AS_OF: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

/// Every attack the issue names, in one certificate subject.
pub const HOSTILE_SUBJECT: &str = "=HYPERLINK(\"http://x\") CN=<script>alert(1)</script> \"onmouseover=alert(1) x=\"\u{202E}gnp.exe \u{1b}[31mred";

fn cert(cn: &str, subject: &str, class: Classification, days: i64, seed: u8) -> CertFacts {
    let not_after = AS_OF + Duration::days(days);
    let sha1: String = (0..20)
        .map(|i| format!("{:02X}", seed.wrapping_mul(7).wrapping_add(i)))
        .collect();
    CertFacts {
        subject: subject.to_string(),
        issuer: if class == Classification::CaIssued {
            "CN=Contoso Issuing CA 01, DC=contoso, DC=local".into()
        } else {
            subject.to_string()
        },
        subject_cn: Some(cn.to_string()),
        sans: vec![
            cn.to_string(),
            format!("{}.contoso.local", cn.to_lowercase()),
        ],
        serial: format!("{seed:02x}3f"),
        not_before: Some(not_after - Duration::days(5 * 365)),
        not_after: Some(not_after),
        sha1,
        sha256: format!("{seed:02x}").repeat(32),
        key: KeyInfo {
            algorithm: KeyAlgorithm::Rsa,
            bits: 2048,
            curve: None,
        },
        signature_algorithm: "sha256WithRSAEncryption".into(),
        signature_hash: Some(HashAlgorithm::Sha256),
        self_issued: class != Classification::CaIssued,
        self_signed: class != Classification::CaIssued,
        basic_constraints_ca: Some(false),
        key_usage: vec!["digitalSignature".into(), "keyEncipherment".into()],
        extended_key_usage: vec!["serverAuth".into()],
        classification: class,
        classification_reason: format!("{} (test record).", class.label()),
        days_left: Some(days),
        der_base64: Der::from(vec![0x30, 0x03, 0x02, 0x01, seed]),
        friendly_name: None,
        services: None,
    }
}

fn public_cert(days: i64) -> CertFacts {
    cert(
        "mail.contoso.com",
        "CN=mail.contoso.com, O=Contoso Ltd, C=US",
        Classification::CaIssued,
        days,
        1,
    )
}

fn backend_cert(host: &str, days: i64, seed: u8) -> CertFacts {
    let short = host.split('.').next().unwrap_or(host).to_uppercase();
    cert(
        &short,
        &format!("CN={short}"),
        Classification::ExchangeSelfSigned,
        days,
        seed,
    )
}

fn tls(version: &str, method: Method, versions: &[&str]) -> Option<TlsInfo> {
    Some(TlsInfo {
        version: TlsVersion::parse(version).expect("known version"),
        cipher_suite: if version == "TLSv1.3" {
            excert::model::CipherSuite(0x1302)
        } else {
            excert::model::CipherSuite(0xc030)
        },
        method,
        versions: versions
            .iter()
            .map(|s| TlsVersion::parse(s).expect("known version"))
            .collect(),
        versions_scanned: true,
        evidence: Vec::new(),
        starttls: false,
    })
}

fn endpoint(
    host: &str,
    n: u8,
    port: u16,
    chain: Vec<CertFacts>,
    findings: Vec<Finding>,
) -> EndpointReport {
    let role = if port == 443 {
        Role::Frontend
    } else {
        Role::Backend
    };
    EndpointReport {
        endpoint: evidence::ep(host, role)
            .address(Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))))
            .port(port)
            .sni(Some(host))
            .group(Group {
                site: Some("HQ".into()),
                dag: Some("DAG01".into()),
                server_role: None,
                ..Group::default()
            })
            .endpoint(),
        status: Status::Ok,
        error: None,
        tls: if role == Role::Frontend {
            tls("TLSv1.3", Method::Rustls, &["TLSv1.2", "TLSv1.3"])
        } else {
            tls("TLSv1.2", Method::Rustls, &["TLSv1.0", "TLSv1.2"])
        },
        chain: chain.into_iter().map(Into::into).collect(),
        dialogue: Default::default(),
        no_sni: None,
        trust: Some(Trust {
            trusted: role == Role::Frontend,
            error: (role == Role::Backend).then(|| "self-signed".into()),
        }),
        findings,
        lags_fleet: false,
    }
}

fn finding(
    id: &str,
    severity: Severity,
    title: &str,
    detail: String,
    remediation: String,
) -> Finding {
    Finding {
        id: serde_json::from_value(serde_json::json!(id)).expect("known finding id"),
        severity,
        title: title.to_string().into(),
        detail: detail.into(),
        remediation,
        remediation_steps: Vec::new(),
        thumbprint: None,
    }
}

/// The server-level fix: the one-line renewal the act-now list shows.
fn renew_steps(sha1: &str) -> Vec<String> {
    vec![format!(
        "Renew: Get-ExchangeCertificate -Thumbprint {sha1} | New-ExchangeCertificate -Force"
    )]
}

fn renew(sha1: &str) -> String {
    format!(
        "Get-ExchangeCertificate -Thumbprint {sha1} | New-ExchangeCertificate -Force\n\
         Copy the new certificate to Trusted Root Certification Authorities.\n\
         In IIS, bind it to Exchange Back End https/444, then iisreset off-hours."
    )
}

/// Steps as analysis would make them; the texts are the fixture's.
fn typed_steps(host: &str, texts: &[String]) -> Vec<Step> {
    texts
        .iter()
        .map(|text| {
            Step::with_words(
                Task::RenewBackend,
                std::sync::Arc::new(host.to_string()),
                None,
                Vec::new().into(),
                text.as_str(),
            )
        })
        .collect()
}

fn server(
    host: &str,
    severity: Grade,
    verdict: &str,
    summary: &str,
    steps: Vec<String>,
    endpoints: Vec<usize>,
) -> ServerReport {
    ServerReport {
        host: host.into(),
        severity,
        verdict: serde_json::from_value(serde_json::json!(verdict)).expect("known verdict"),
        summary: summary.into(),
        remediation: excert::analyze::remediation::numbered(&typed_steps(host, &steps)),
        remediation_steps: typed_steps(host, &steps),
        endpoints,
        group: Group {
            site: Some("HQ".into()),
            dag: Some("DAG01".into()),
            server_role: None,
            ..Group::default()
        }
        .into(),
        findings: Vec::new(),
        store: Vec::new(),
    }
}

/// The sample fleet. `complete` is true; tests flip it.
pub fn sample_report() -> ScanReport {
    let mut endpoints = Vec::new();
    let mut servers = Vec::new();

    // ex01: healthy.
    endpoints.push(endpoint(
        "ex01.contoso.local",
        1,
        443,
        vec![public_cert(300)],
        vec![],
    ));
    endpoints.push(endpoint(
        "ex01.contoso.local",
        1,
        444,
        vec![backend_cert("ex01", 1200, 11)],
        vec![],
    ));
    servers.push(server(
        "ex01.contoso.local",
        Grade::Ok,
        "ok",
        "Both certificates are in place.",
        vec![],
        vec![0, 1],
    ));

    // ex02: expired backend.
    let c = backend_cert("ex02", -12, 12);
    let f = finding(
        "backend-cert-expired",
        Severity::Critical,
        "Backend certificate expired",
        format!(
            "CN=EX02 (thumbprint {}) expired on {} (12 days ago).",
            c.sha1,
            c.not_after_text()
        ),
        renew(&c.sha1),
    );
    let steps = renew_steps(&c.sha1);
    endpoints.push(endpoint(
        "ex02.contoso.local",
        2,
        443,
        vec![public_cert(300)],
        vec![],
    ));
    endpoints.push(endpoint("ex02.contoso.local", 2, 444, vec![c], vec![f]));
    servers.push(server(
        "ex02.contoso.local",
        Grade::Critical,
        "renew-backend",
        "The backend certificate expired 12 days ago.",
        steps,
        vec![2, 3],
    ));

    // ex03 and ex07: backends expiring in about 20 days, together.
    for (host, n, days, seed, idx) in [
        ("ex03.contoso.local", 3u8, 20i64, 13u8, 4usize),
        ("ex07.contoso.local", 7, 22, 17, 6),
    ] {
        let c = backend_cert(host, days, seed);
        let f = finding(
            "backend-cert-expiring",
            Severity::Critical,
            "Backend certificate expires soon",
            format!(
                "{} (thumbprint {}) expires on {} ({days} days left).",
                c.subject,
                c.sha1,
                c.not_after_text()
            ),
            renew(&c.sha1),
        );
        let steps = renew_steps(&c.sha1);
        endpoints.push(endpoint(host, n, 443, vec![public_cert(300)], vec![]));
        endpoints.push(endpoint(host, n, 444, vec![c], vec![f]));
        servers.push(server(
            host,
            Grade::Critical,
            "renew-backend",
            &format!("The backend certificate expires in {days} days."),
            steps,
            vec![idx, idx + 1],
        ));
    }

    // ex04: lost public binding: 443 presents the backend's own cert.
    let c = backend_cert("ex04", 900, 14);
    let f = finding(
        "public-binding-lost",
        Severity::Critical,
        "Public certificate binding lost",
        format!("Port 443 presents the self-signed CN=EX04 (thumbprint {}), the same certificate as 444.", c.sha1),
        "In IIS Manager, bind the public certificate to Default Web Site https/443, or run Enable-ExchangeCertificate -Thumbprint <public> -Services IIS.".into(),
    );
    endpoints.push(endpoint(
        "ex04.contoso.local",
        4,
        443,
        vec![c.clone()],
        vec![f],
    ));
    endpoints.push(endpoint("ex04.contoso.local", 4, 444, vec![c], vec![]));
    servers.push(server(
        "ex04.contoso.local",
        Grade::Critical,
        "rebind-public-cert",
        "443 lost the public certificate.",
        vec!["Enable-ExchangeCertificate -Thumbprint <public> -Services IIS".into()],
        vec![8, 9],
    ));

    // ex05: nothing on the backend port.
    endpoints.push(endpoint(
        "ex05.contoso.local",
        5,
        443,
        vec![public_cert(300)],
        vec![],
    ));
    let mut dead = endpoint("ex05.contoso.local", 5, 444, vec![], vec![]);
    dead.status = Status::Refused;
    dead.error = Some("connection refused".into());
    dead.tls = None;
    dead.trust = None;
    endpoints.push(dead);
    servers.push(server(
        "ex05.contoso.local",
        Grade::Warning,
        "investigate",
        "Port 444 did not answer: check the Exchange Back End site.",
        vec![],
        vec![10, 11],
    ));

    // ex06: a public cert whose subject is an attack.
    let mut c = cert("evil", HOSTILE_SUBJECT, Classification::SelfSigned, 45, 16);
    c.subject_cn = Some(HOSTILE_SUBJECT.into());
    c.sans = vec!["=HYPERLINK(\"http://x\")".into()];
    let f = finding(
        "frontend-cert-expiring",
        Severity::Warning,
        "Public certificate expires soon",
        format!("{HOSTILE_SUBJECT} expires in 45 days."),
        format!("Renew {HOSTILE_SUBJECT} before it expires."),
    );
    endpoints.push(endpoint("ex06.contoso.local", 6, 443, vec![c], vec![f]));
    endpoints.push(endpoint(
        "ex06.contoso.local",
        6,
        444,
        vec![backend_cert("ex06", 1000, 18)],
        vec![],
    ));
    servers.push(server(
        "ex06.contoso.local",
        Grade::Warning,
        "renew-public-cert",
        "",
        vec![],
        vec![12, 13],
    ));

    ScanReport {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo::default(),
        started_at: AS_OF - Duration::minutes(3),
        finished_at: AS_OF,
        as_of: AS_OF,
        complete: true,
        parameters: Parameters {
            frontend_ports: vec![443],
            backend_ports: vec![444],
            timeout_secs: 5.0,
            concurrency: 256,
            warn_days: 60,
            critical_days: 30,
            namespaces: vec!["mail.contoso.com".into()],
            ca_bundles: vec![],
            protocol_scan: true,
            ..Parameters::default()
        },
        endpoints,
        servers,
        expiry_cliffs: vec![ExpiryCliff {
            from: AS_OF + Duration::days(20),
            to: AS_OF + Duration::days(22),
            hosts: vec!["ex03.contoso.local".into(), "ex07.contoso.local".into()],
        }],
        invalid_targets: vec![],
        skipped_endpoints: vec![],
        merged_from: Vec::new(),
        inventory: None,
        organisation: None,
    }
}

/// Every `src=`, `href=`, `action=` or CSS `url(` that could make a request.
pub fn external_references(html: &str) -> Vec<String> {
    let mut bad = Vec::new();
    for attr in ["src=", "href=", "action=", "srcset=", "poster=", "data="] {
        for (i, _) in html.match_indices(attr) {
            // Preceded by white space: a real attribute, not escaped text
            // (escaped text has `&#x3D;` instead of `=` anyway).
            let before = html[..i].chars().last();
            if !matches!(before, Some(' ' | '\n' | '\t')) {
                continue;
            }
            let value = html[i + attr.len()..].trim_start_matches(['"', '\'']);
            if !value.starts_with('#') {
                bad.push(html[i..].chars().take(60).collect());
            }
        }
    }
    for pat in ["url(", "@import"] {
        if html.contains(pat) {
            bad.push(pat.to_string());
        }
    }
    bad
}

/// A fleet of `n` servers made by repeating the sample fleet's servers
/// under new names (`ex0001.contoso.local`, ...), spread over five sites:
/// the same verdicts and findings, at scale.
pub fn fleet_of(n: usize) -> ScanReport {
    let base = sample_report();
    let mut r = base.clone();
    r.endpoints.clear();
    r.servers.clear();
    r.expiry_cliffs.clear();
    for i in 0..n {
        let template = &base.servers[i % base.servers.len()];
        let host = format!("ex{:04}.contoso.local", i + 1);
        let site = format!("SITE{}", i % 5 + 1);
        let mut server = template.clone();
        server.host = host.clone();
        server.group.site = Some(site.clone());
        server.endpoints.clear();
        for &e in &template.endpoints {
            let mut ep = base.endpoints[e].clone();
            ep.endpoint.host = host.clone();
            ep.endpoint.group.site = Some(site.clone());
            server.endpoints.push(r.endpoints.len());
            r.endpoints.push(ep);
        }
        r.servers.push(server);
    }
    r
}
