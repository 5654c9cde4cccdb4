//! Everything at once, as an admin runs it on a fleet behind load
//! balancers: a targets CSV with sites, roles and versions (HQ's VIP in its
//! `LoadBalancer` column, Branch's and a second namespace of HQ's VIP given
//! with `--load-balancer`), an Edge server with EdgeSync, and `--tls-port
//! wmsvc:PORT` on every server, with `--prom`. The healthy
//! fleet comes out healthy in every output; its twin, with one change per
//! check, gets each finding on the one place it belongs and nowhere else;
//! `excert diff` between them and `excert report` on the saved scan say
//! the same. A fixed as-of time; the lab's certificates are dated from it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod lab;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::lab_support::*;
use excert::model::{FindingId, Grade, Role, ScanReport, Severity, Verdict};
use lab::{healthy_rows, scan, unhealthy_rows, Certs, Fleet, AUTODISCOVER, BRANCH_MAIL, MAIL};

/// (host, port, id) of every warning and critical finding.
fn urgent(r: &ScanReport) -> Vec<(String, u16, FindingId)> {
    r.endpoints
        .iter()
        .flat_map(|e| {
            e.findings
                .iter()
                .filter(|f| f.severity <= Severity::Warning)
                .map(|f| (e.endpoint.host.clone(), e.endpoint.port, f.id))
        })
        .collect()
}

fn verdicts(r: &ScanReport) -> Vec<(String, Verdict)> {
    r.servers
        .iter()
        .map(|s| (s.host.clone(), s.verdict))
        .collect()
}

/// Every endpoint's (host, port, role, label, sni, forwards_to, ids).
type Seen = (
    String,
    u16,
    Role,
    Option<String>,
    Option<String>,
    Option<Role>,
    Vec<FindingId>,
);

fn seen(r: &ScanReport) -> Vec<Seen> {
    r.endpoints
        .iter()
        .map(|e| {
            let p = &e.endpoint;
            (
                p.host.clone(),
                p.port,
                p.role,
                p.label.as_deref().map(str::to_string),
                p.sni.clone(),
                p.forwards_to,
                e.findings.iter().map(|f| f.id).collect(),
            )
        })
        .collect()
}

/// report.csv's rows as (server, port, role, label, namespace).
fn csv_rows(dir: &Path) -> Vec<(String, String, String, String, String)> {
    let text = std::fs::read_to_string(dir.join("report.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let cols = [
        col("server"),
        col("port"),
        col("role"),
        col("label"),
        col("namespace"),
    ];
    rows.records()
        .map(|r| {
            let r = r.unwrap();
            let c = |i: usize| r[cols[i]].to_string();
            (c(0), c(1), c(2), c(3), c(4))
        })
        .collect()
}

/// servers.csv's (server, role, verdict).
fn server_rows(dir: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(dir.join("servers.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    rows.records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[2].to_string(), r[3].to_string())
        })
        .collect()
}

/// What the checks name: the VIPs' addresses, the lab's ports and the
/// servers' FQDNs in CSV order.
struct Names {
    hq_vip: String,
    branch_vip: String,
    front: u16,
    wmsvc: u16,
    edgesync: u16,
    fqdns: Vec<String>,
    csv: PathBuf,
}

impl Names {
    fn of(fleet: &Fleet) -> Names {
        Names {
            hq_vip: fleet.lab.balancers[0].ip.to_string(),
            branch_vip: fleet.lab.balancers[1].ip.to_string(),
            front: fleet.lab.frontend_port,
            wmsvc: fleet.wmsvc,
            edgesync: fleet.edgesync,
            fqdns: fleet.lab.hosts.iter().map(|h| h.fqdn.clone()).collect(),
            csv: fleet.csv.clone(),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_fleet_and_its_twin_with_everything_on() {
    let c = Certs::new();
    let (_t, dir) = tmp();
    let fleet = Fleet::start(&c, &dir).await;
    let n = Names::of(&fleet);

    let healthy_dir = dir.join("healthy");
    fleet.write_csv(&healthy_rows());
    let (code, terminal) = scan(&fleet, &healthy_dir).await;
    healthy_in_every_output(&n, &healthy_dir, code, &terminal);

    // The twin, one change per check, on the same addresses and ports.
    fleet.switched.store(true, Ordering::SeqCst);
    fleet.write_csv(&unhealthy_rows());
    let sick_dir = dir.join("sick");
    let (code, terminal) = scan(&fleet, &sick_dir).await;
    each_finding_where_it_belongs(&n, &sick_dir, code, &terminal);

    one_diff_row_per_endpoint_event(&n, &healthy_dir, &sick_dir).await;
    the_saved_scan_is_judged_again_the_same(&sick_dir).await;
    drop(fleet);
}

/// The healthy fleet: nothing above info anywhere, every verdict ok, and
/// the roles, labels and namespaces in every output.
fn healthy_in_every_output(n: &Names, healthy_dir: &Path, code: Option<i32>, terminal: &str) {
    let (hq_vip, branch_vip) = (n.hq_vip.clone(), n.branch_vip.clone());
    let (front, wmsvc, edgesync) = (n.front, n.wmsvc, n.edgesync);
    let fqdn = |i: usize| n.fqdns[i].clone();
    let edge = fqdn(5);
    let healthy = read_scan(healthy_dir);
    assert_eq!(urgent(&healthy), [], "{terminal}");
    assert!(
        healthy.servers.iter().all(|s| s.verdict == Verdict::Ok),
        "{:?}",
        verdicts(&healthy)
    );
    assert_eq!(code, Some(0), "{terminal}");
    assert!(terminal.contains("Nothing to act on now."), "{terminal}");
    // The VIPs are no Exchange servers: 2019 CU15 is 1 of the 6.
    assert!(
        terminal.contains(
            "end of support: 1 of 6 servers runs an Exchange version past its end of support \
             (Exchange 2019: 1)"
        ),
        "{terminal}"
    );
    // Both VIPs come first, each on HTTPS and SMTP, with its namespace.
    let hosts: Vec<&str> = healthy.servers.iter().map(|s| s.host.as_str()).collect();
    assert_eq!(
        hosts[2..],
        [fqdn(0), fqdn(1), fqdn(2), fqdn(3), fqdn(4), fqdn(5)]
    );
    let mut vips = hosts[..2].to_vec();
    vips.sort();
    let mut expected = vec![hq_vip.as_str(), branch_vip.as_str()];
    expected.sort();
    assert_eq!(vips, expected);
    let roles = |host: &str| -> Vec<(Role, Option<Role>, Option<String>)> {
        healthy
            .endpoints
            .iter()
            .filter(|e| e.endpoint.host == host)
            .map(|e| {
                (
                    e.endpoint.role,
                    e.endpoint.forwards_to,
                    e.endpoint.sni.clone(),
                )
            })
            .collect()
    };
    let lb = |fwd, ns: &str| (Role::LoadBalancer, Some(fwd), Some(ns.to_string()));
    assert_eq!(
        roles(&hq_vip),
        [
            lb(Role::Frontend, AUTODISCOVER),
            lb(Role::Smtp, AUTODISCOVER),
            lb(Role::Frontend, MAIL),
            lb(Role::Smtp, MAIL),
        ]
    );
    assert_eq!(
        roles(&branch_vip),
        [lb(Role::Frontend, BRANCH_MAIL), lb(Role::Smtp, BRANCH_MAIL)]
    );
    // EdgeSync on the Edge server alone; WMSvc on every server, labelled.
    let on_port = |r: &ScanReport, port: u16| -> Vec<(String, Role, Option<String>)> {
        r.endpoints
            .iter()
            .filter(|e| e.endpoint.port == port)
            .map(|e| {
                (
                    e.endpoint.host.clone(),
                    e.endpoint.role,
                    e.endpoint.label.as_deref().map(str::to_string),
                )
            })
            .collect()
    };
    assert_eq!(
        on_port(&healthy, edgesync),
        [(edge.clone(), Role::Edgesync, None)]
    );
    assert_eq!(
        on_port(&healthy, wmsvc),
        (0..6)
            .map(|i| (fqdn(i), Role::Other, Some("wmsvc".to_string())))
            .collect::<Vec<_>>()
    );
    // How the scan was made.
    let p = &healthy.parameters;
    assert_eq!(p.edgesync_ports, [edgesync]);
    assert_eq!(
        (p.tls_ports[0].label.as_str(), p.tls_ports[0].port),
        ("wmsvc", wmsvc)
    );
    assert_eq!(
        p.load_balancers,
        [
            excert::model::LoadBalancer {
                namespace: BRANCH_MAIL.into(),
                address: Some(branch_vip.clone()),
            },
            excert::model::LoadBalancer {
                namespace: AUTODISCOVER.into(),
                address: Some(hq_vip.clone()),
            },
        ]
    );
    // The .prom file: one VIP address with two namespaces is two series,
    // never one series twice (the collector would drop the whole file).
    let prom = std::fs::read_to_string(healthy_dir.join("excert.prom")).unwrap();
    let mut series: Vec<&str> = prom
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' ').map(|(s, _)| s))
        .collect();
    let all = series.len();
    series.sort_unstable();
    series.dedup();
    assert_eq!(series.len(), all, "{prom}");
    assert!(
        prom.contains(&format!("namespace=\"{AUTODISCOVER}\"")),
        "{prom}"
    );
    // report.csv and servers.csv carry the roles, the label and a VIP's
    // namespace.
    let rows = csv_rows(healthy_dir);
    let role_of = |host: &str, port: u16| -> Vec<[String; 3]> {
        rows.iter()
            .filter(|r| r.0 == host && r.1 == port.to_string())
            .map(|r| [r.2.clone(), r.3.clone(), r.4.clone()])
            .collect()
    };
    let row = |role: &str, label: &str, namespace: &str| {
        [role.to_string(), label.to_string(), namespace.to_string()]
    };
    assert_eq!(
        role_of(&hq_vip, front),
        [
            row("load_balancer", "", AUTODISCOVER),
            row("load_balancer", "", MAIL)
        ]
    );
    assert_eq!(
        role_of(&branch_vip, front),
        [row("load_balancer", "", BRANCH_MAIL)]
    );
    assert_eq!(role_of(&edge, edgesync), [row("edgesync", "", "")]);
    assert_eq!(role_of(&fqdn(0), wmsvc), [row("other", "wmsvc", "")]);
    let servers = server_rows(healthy_dir);
    for vip in [&hq_vip, &branch_vip] {
        assert!(
            servers.contains(&(vip.to_string(), "load_balancer".into(), "ok".into())),
            "{servers:?}"
        );
    }
    assert!(servers.contains(&(edge.clone(), "Edge".into(), "ok".into())));
    // report.html: the VIPs above the servers, the roles and the label.
    let html = std::fs::read_to_string(healthy_dir.join("report.html")).unwrap();
    let first_server = html.find(&fqdn(0)).unwrap();
    for vip in [&hq_vip, &branch_vip] {
        assert!(html.find(vip.as_str()).unwrap() < first_server, "{vip}");
    }
    for words in [
        "Load balancer (HTTPS) for mail.contoso.lab",
        "Load balancer (SMTP) for autodiscover.contoso.lab",
        "load_balancer · mail-branch.contoso.lab",
        "EdgeSync LDAPS",
        "other · wmsvc",
        "data-server-role=\"load_balancer\"",
    ] {
        assert!(html.contains(words), "{words}");
    }
}

/// The twin: each finding on the one place it belongs, nowhere else.
fn each_finding_where_it_belongs(n: &Names, sick_dir: &Path, code: Option<i32>, terminal: &str) {
    let (hq_vip, branch_vip) = (n.hq_vip.clone(), n.branch_vip.clone());
    let (front, wmsvc, edgesync) = (n.front, n.wmsvc, n.edgesync);
    let fqdn = |i: usize| n.fqdns[i].clone();
    let edge = fqdn(5);
    let sick = read_scan(sick_dir);
    let mut got = urgent(&sick);
    got.sort();
    let mut want = vec![
        (hq_vip.clone(), front, FindingId::LbCertMismatch),
        (hq_vip.clone(), front, FindingId::LbCertMismatch),
        (fqdn(1), front, FindingId::Tls13Unsupported),
        (fqdn(2), front, FindingId::TlsVersionsInconsistent),
        (fqdn(3), wmsvc, FindingId::OtherCertExpiring),
        (edge.clone(), edgesync, FindingId::EdgesyncCertExpiring),
    ];
    want.sort();
    assert_eq!(got, want, "{terminal}");
    assert_eq!(code, Some(1), "{terminal}");
    let mut want_verdicts = vec![
        (fqdn(0), Verdict::Ok),
        (fqdn(1), Verdict::Review),
        (fqdn(2), Verdict::Review),
        (fqdn(3), Verdict::Review),
        // Past its end of support, and nothing else: still ok.
        (fqdn(4), Verdict::Ok),
        (edge.clone(), Verdict::FixTransportCert),
        (hq_vip.clone(), Verdict::FixLoadBalancerCert),
        (branch_vip.clone(), Verdict::Ok),
    ];
    let mut got_verdicts = verdicts(&sick);
    want_verdicts.sort();
    got_verdicts.sort();
    assert_eq!(got_verdicts, want_verdicts);
    // Nothing leaks to a neighbour at info either: the VIP's newer
    // certificate is no rollout for the servers, and Branch is not HQ.
    let infos: Vec<(String, FindingId)> = sick
        .endpoints
        .iter()
        .flat_map(|e| {
            e.findings
                .iter()
                .map(move |f| (e.endpoint.host.clone(), f.id))
        })
        .filter(|(_, id)| {
            !matches!(
                id,
                FindingId::OtherCertUntrusted | FindingId::EndpointNotScanned
            )
        })
        .filter(|(h, id)| !urgent(&sick).iter().any(|u| &u.0 == h && &u.2 == id))
        .collect();
    assert_eq!(
        infos,
        [
            (fqdn(1), FindingId::ExchangeOutOfSupport),
            (fqdn(4), FindingId::ExchangeOutOfSupport),
        ]
    );
    // The balancer is ahead of its servers: they follow it, and its
    // summary says so, as its first step does.
    let vip = sick.servers.iter().find(|s| s.host == hq_vip).unwrap();
    assert!(
        vip.summary
            .contains("newer certificate than the servers behind it")
            && vip
                .summary
                .contains("put the balancer's certificate on the servers"),
        "{}",
        vip.summary
    );
    assert_eq!(
        vip.remediation_steps[0].task,
        excert::model::Task::ImportCertificate
    );
    let ex05 = sick.servers.iter().find(|s| s.host == fqdn(4)).unwrap();
    assert_eq!(ex05.severity, Grade::Info);
    // The odd server out names its site's servers, never a VIP, the Edge
    // server or Branch.
    let detail = &sick
        .endpoints
        .iter()
        .flat_map(|e| &e.findings)
        .find(|f| f.id == FindingId::TlsVersionsInconsistent)
        .unwrap()
        .detail;
    assert!(
        detail.contains(&fqdn(0)) && detail.contains(&fqdn(1)),
        "{detail}"
    );
    for not in [&hq_vip, &branch_vip, &edge, &fqdn(3), &fqdn(4)] {
        assert!(!detail.contains(not.as_str()), "{not} in {detail}");
    }
    assert!(
        terminal.contains(
            "end of support: 2 of 6 servers run an Exchange version past its end of support \
             (Exchange 2016: 1, Exchange 2019: 1)"
        ),
        "{terminal}"
    );
    // The terminal: the VIP's line names its namespace; the Edge's
    // headline fits EdgeSync.
    let vip_line = terminal
        .lines()
        .find(|l| l.contains(&hq_vip) && l.contains("WARNING"))
        .expect("the VIP's line");
    assert!(
        vip_line.contains(&format!("{hq_vip} ({AUTODISCOVER}, {MAIL})  it presents")),
        "{vip_line}"
    );
    assert!(
        terminal.contains("1 server: Fix the SMTP, IMAP, POP or EdgeSync certificate"),
        "{terminal}"
    );
    assert!(
        terminal.contains(&format!("EdgeSync {edgesync}")),
        "{terminal}"
    );
    assert!(terminal.contains(&format!("wmsvc {wmsvc}")), "{terminal}");
    // Turning TLS 1.3 off (one command, the same everywhere) and aligning
    // a server with its peers (the admin's call) are two pieces of work.
    for headline in [
        "1 server: Look into the warnings, and turn TLS 1.3 off",
        "1 server: Look into the warnings, and change the TLS versions",
    ] {
        assert!(terminal.contains(headline), "{headline}: {terminal}");
    }
    // A fix of the TLS versions is checked against the build and the
    // peers: the fleet's file is scanned again, not the server alone.
    for i in [1, 2] {
        let s = sick.servers.iter().find(|s| s.host == fqdn(i)).unwrap();
        let verify = s.remediation_steps.last().unwrap().command().unwrap();
        assert!(
            verify.starts_with("excert scan --targets-file ") && verify.contains(&path_arg(&n.csv)),
            "{verify}"
        );
    }
    let ex04 = sick.servers.iter().find(|s| s.host == fqdn(3)).unwrap();
    let verify = ex04.remediation_steps.last().unwrap().command().unwrap();
    assert!(
        verify.starts_with(&format!("excert scan {} ", fqdn(3))),
        "{verify}"
    );
    // WMSvc's own certificate is no public certificate: the group's
    // headline does not call it one.
    let lines: Vec<&str> = terminal.lines().collect();
    let ex04 = lines.iter().position(|l| l.contains(&fqdn(3))).unwrap();
    assert!(lines[ex04 - 1].contains("1 server: "), "{terminal}");
    assert!(!lines[ex04 - 1].contains("public"), "{terminal}");
}

/// `excert diff` between the two scans: one row per endpoint event, with
/// the new roles and ids.
async fn one_diff_row_per_endpoint_event(n: &Names, healthy_dir: &Path, sick_dir: &Path) {
    let hq_vip = n.hq_vip.clone();
    let (front, wmsvc, edgesync) = (n.front, n.wmsvc, n.edgesync);
    let fqdn = |i: usize| n.fqdns[i].clone();
    let edge = fqdn(5);
    let diff_dir = sick_dir.with_file_name("diff");
    let out = excert(&strings(&[
        "diff",
        &path_arg(&healthy_dir.join("scan.json")),
        &path_arg(&sick_dir.join("scan.json")),
        "--out",
        &path_arg(&diff_dir),
    ]))
    .await;
    let diff_terminal = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{diff_terminal}");
    let diff: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(diff_dir.join("diff.json")).unwrap())
            .unwrap();
    assert_schema("diff.schema.json", &diff);
    let changes = diff["changes"].as_array().unwrap();
    let events: Vec<(String, String, String, Vec<String>)> = diff["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ev| {
            let idx: Vec<&serde_json::Value> = ev["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| &changes[i.as_u64().unwrap() as usize])
                .collect();
            let first = idx[0];
            // Every change of an event is on one endpoint.
            assert!(idx
                .iter()
                .all(|c| c["host"] == first["host"] && c["port"] == first["port"]));
            let ids = idx
                .iter()
                .filter_map(|c| c["finding_id"].as_str().map(str::to_string))
                .collect();
            let place = format!(
                "{}:{} {}",
                first["host"].as_str().unwrap(),
                first["port"],
                first["role"].as_str().unwrap()
            );
            let tag = first["label"]
                .as_str()
                .or(first["namespace"].as_str())
                .unwrap_or_default()
                .to_string();
            (ev["impact"].as_str().unwrap().to_string(), place, tag, ids)
        })
        .collect();
    let ev = |impact: &str, host: &str, port: u16, role: &str, tag: &str, id: &str| {
        (
            impact.to_string(),
            format!("{host}:{port} {role}"),
            tag.to_string(),
            vec![id.to_string()],
        )
    };
    let mut want_events = vec![
        ev(
            "regression",
            &hq_vip,
            front,
            "load_balancer",
            AUTODISCOVER,
            "lb-cert-mismatch",
        ),
        ev(
            "regression",
            &hq_vip,
            front,
            "load_balancer",
            MAIL,
            "lb-cert-mismatch",
        ),
        ev(
            "regression",
            &edge,
            edgesync,
            "edgesync",
            "",
            "edgesync-cert-expiring",
        ),
        ev(
            "regression",
            &fqdn(1),
            front,
            "frontend",
            "",
            "tls13-unsupported",
        ),
        ev(
            "regression",
            &fqdn(2),
            front,
            "frontend",
            "",
            "tls-versions-inconsistent",
        ),
        ev(
            "regression",
            &fqdn(3),
            wmsvc,
            "other",
            "wmsvc",
            "other-cert-expiring",
        ),
        ev(
            "other",
            &fqdn(4),
            front,
            "frontend",
            "",
            "exchange-out-of-support",
        ),
    ];
    let mut got_events = events.clone();
    want_events.sort();
    got_events.sort();
    assert_eq!(got_events, want_events, "{diff_terminal}");
    assert_eq!(diff["event_counts"]["regressions"], 6);
    assert_eq!(diff["event_counts"]["other"], 1);
    for words in [
        format!("{hq_vip}:{front} load_balancer {MAIL}"),
        format!("{hq_vip}:{front} load_balancer {AUTODISCOVER}"),
        format!("{edge}:{edgesync} edgesync"),
        format!("{}:{wmsvc} other wmsvc", fqdn(3)),
    ] {
        assert!(diff_terminal.contains(&words), "{words}: {diff_terminal}");
    }
}

/// `excert report` on the saved twin judges it the same way.
async fn the_saved_scan_is_judged_again_the_same(sick_dir: &Path) {
    let sick = read_scan(sick_dir);
    let replay_dir = sick_dir.with_file_name("replay");
    let out = excert(&strings(&[
        "report",
        &path_arg(&sick_dir.join("scan.json")),
        "--out",
        &path_arg(&replay_dir),
    ]))
    .await;
    assert_eq!(out.status.code(), Some(1));
    let replay = read_scan(&replay_dir);
    assert_eq!(seen(&replay), seen(&sick));
    assert_eq!(verdicts(&replay), verdicts(&sick));
    assert_eq!(replay.parameters, sick.parameters);
    assert_eq!(
        std::fs::read_to_string(replay_dir.join("servers.csv")).unwrap(),
        std::fs::read_to_string(sick_dir.join("servers.csv")).unwrap()
    );
}
