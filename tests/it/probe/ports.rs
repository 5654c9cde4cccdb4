//! EdgeSync LDAPS and `--tls-port` through `excert scan` against lab
//! servers: an Edge server is probed on EdgeSync and a Mailbox server is
//! not, a `--tls-port` port is probed on every server with its label, and
//! scan.json, report.csv and report.html carry role and label.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;

use excert::lab::{certs, HostSpec, Lab, Service};
use excert::model::{Role, Severity, Status};
use lab_support::*;
use time::{Duration, OffsetDateTime};

/// An Exchange-style self-signed certificate for `name` with `days_left`.
fn own(name: &str, days_left: i64, k: usize) -> certs::Served {
    let not_after = OffsetDateTime::now_utc() + Duration::days(days_left);
    certs::exchange_self_signed(
        name,
        "contoso.lab",
        certs::plus_years(not_after, -5),
        &certs::key(k),
    )
}

fn host(name: &str, frontend: Service, backend: Service) -> HostSpec {
    HostSpec {
        name: name.into(),
        frontend,
        backend,
        smtp: Service::Closed,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn edge_servers_get_edgesync_and_every_server_gets_its_tls_port() {
    // The lab's first port stands in for 50636 and its second for 8172.
    let lab = Lab::start(vec![
        host(
            "EDGE01",
            Service::Tls(own("EDGE01", -3, 1)),
            Service::Closed,
        ),
        host(
            "EDGE02",
            Service::Tls(own("EDGE02", 900, 2)),
            Service::Closed,
        ),
        host(
            "EX01",
            Service::Tls(own("EX01", 900, 3)),
            Service::Tls(certs::wmsvc_self_signed(
                "EX01",
                OffsetDateTime::now_utc() - Duration::days(400),
                &certs::key(4),
            )),
        ),
    ])
    .await
    .unwrap();
    let (edgesync, wmsvc) = (lab.frontend_port, lab.backend_port);
    let (_t, dir) = tmp();
    let mut args = strings(&["scan", "--out", &path_arg(&dir), "--smtp-ports", "none"]);
    // The IIS ports are elsewhere: the Edge servers skip them, EX01's are
    // refused.
    args.extend(strings(&[
        "--frontend-ports",
        &lab.smtp_port.to_string(),
        "--backend-ports",
        &(lab.smtp_port + 1).to_string(),
        "--edgesync-ports",
        &edgesync.to_string(),
        "--tls-port",
        &format!("wmsvc:{wmsvc}"),
        "--role",
        "edge01=Edge",
        "--role",
        "edge02=Edge",
        "--role",
        "ex01=Mailbox",
        "--timeout",
        "5",
    ]));
    for h in &lab.hosts {
        args.push(h.fqdn.clone());
        args.push("--resolve".into());
        args.push(format!("{}:{}", h.fqdn, h.ip));
    }
    let out = excert(&args).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let report = read_scan(&dir);

    let at = |host: &str, port: u16| {
        report
            .endpoints
            .iter()
            .find(|e| e.endpoint.host.starts_with(host) && e.endpoint.port == port)
    };
    // EdgeSync on the Edge servers only.
    let e1 = at("edge01.", edgesync).expect("edge01 on EdgeSync");
    assert_eq!(e1.endpoint.role, Role::Edgesync);
    assert_eq!(ids(&report, "edge01", edgesync), ["edgesync-cert-expired"]);
    assert_eq!(e1.findings[0].severity, Severity::Critical);
    let e2 = at("edge02.", edgesync).expect("edge02 on EdgeSync");
    assert_eq!(e2.status, Status::Ok);
    assert!(
        e2.findings.iter().all(|f| f.severity == Severity::Info),
        "{:?}",
        e2.findings
    );
    assert!(
        at("ex01.", edgesync).is_none(),
        "a Mailbox server has no EdgeSync"
    );

    // The --tls-port port on every server, with its label.
    for h in ["edge01.", "edge02.", "ex01."] {
        let e = at(h, wmsvc).unwrap_or_else(|| panic!("{h} on {wmsvc}"));
        assert_eq!(e.endpoint.role, Role::Other);
        assert_eq!(e.endpoint.label.as_deref(), Some("wmsvc"));
    }
    let w = at("ex01.", wmsvc).unwrap();
    assert_eq!(w.status, Status::Ok);
    assert_eq!(ids(&report, "ex01", wmsvc), ["other-cert-untrusted"]);
    assert_eq!(w.findings[0].severity, Severity::Info);
    assert_eq!(report.parameters.edgesync_ports, [edgesync]);
    assert_eq!(report.parameters.tls_ports[0].label, "wmsvc");

    // report.csv: role and label columns.
    let csv = std::fs::read_to_string(dir.join("report.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (port, role, label) = (col("port"), col("role"), col("label"));
    let wmsvc_rows: Vec<csv::StringRecord> = rows
        .records()
        .map(Result::unwrap)
        .filter(|r| r[port] == wmsvc.to_string())
        .collect();
    assert_eq!(wmsvc_rows.len(), 3);
    assert!(wmsvc_rows
        .iter()
        .all(|r| &r[role] == "other" && &r[label] == "wmsvc"));
    // report.html: the label beside the role.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("other · wmsvc"), "the label is shown");
    assert!(html.contains("EdgeSync LDAPS"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renewed_tls_port_shows_in_the_diff_with_its_label() {
    let lab = Lab::start(vec![host(
        "EX01",
        Service::Tls(own("WMSvc-SHA2-EX01", 45, 5)),
        Service::Closed,
    )])
    .await
    .unwrap();
    let (_t, dir) = tmp();
    let before = dir.join("before");
    let h = &lab.hosts[0];
    let args = strings(&[
        "scan",
        &h.fqdn,
        "--resolve",
        &format!("{}:{}", h.fqdn, h.ip),
        "--frontend-ports",
        &lab.smtp_port.to_string(),
        "--backend-ports",
        &lab.backend_port.to_string(),
        "--smtp-ports",
        "none",
        "--tls-port",
        &format!("wmsvc:{}", lab.frontend_port),
        "--out",
        &path_arg(&before),
    ]);
    let out = excert(&args).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        ids(&read_scan(&before), "ex01", lab.frontend_port),
        ["other-cert-expiring", "other-cert-untrusted"]
    );
    // The maintenance window: WMSvc got a new certificate.
    let mut scan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(before.join("scan.json")).unwrap()).unwrap();
    let renewed = own("WMSvc-SHA2-EX01", 1500, 6);
    let der = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(renewed.chain[0].as_ref())
    };
    for e in scan["endpoints"].as_array_mut().unwrap() {
        if e["label"] == "wmsvc" {
            e["chain"][0]["der_base64"] = der.clone().into();
        }
    }
    let after = dir.join("after.json");
    std::fs::write(&after, serde_json::to_string(&scan).unwrap()).unwrap();
    let out = excert(&strings(&[
        "diff",
        &path_arg(&before.join("scan.json")),
        &path_arg(&after),
        "--out",
        &path_arg(&dir.join("diff")),
    ]))
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let diff: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("diff/diff.json")).unwrap())
            .unwrap();
    assert_schema("diff.schema.json", &diff);
    let resolved = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["finding_id"] == "other-cert-expiring")
        .expect("the expiring certificate is resolved");
    assert_eq!(resolved["kind"], "finding_resolved");
    assert_eq!(
        (resolved["role"].as_str(), resolved["label"].as_str()),
        (Some("other"), Some("wmsvc"))
    );
    let html = std::fs::read_to_string(dir.join("diff/diff.html")).unwrap();
    assert!(html.contains("other wmsvc"));
}
