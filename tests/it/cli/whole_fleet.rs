//! Everything at once, as an admin runs it on a fleet behind load
//! balancers: a targets CSV with sites, roles and versions (one VIP in its
//! `LoadBalancer` column, one given with `--load-balancer`), an Edge server
//! with EdgeSync, and `--tls-port wmsvc:PORT` on every server. The healthy
//! fleet comes out healthy in every output; its twin, with one change per
//! check, gets each finding on the one place it belongs and nowhere else;
//! `excert diff` between them and `excert report` on the saved scan say
//! the same. A fixed as-of time; the lab's certificates are dated from it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::lab_support::*;
use excert::lab::certs::{exchange_self_signed, key, plus_years, wmsvc_self_signed, LabCa, Served};
use excert::lab::{BalancerSpec, HostSpec, Lab, Service, SmtpSpec, Starttls};
use excert::model::{FindingId, Grade, Role, ScanReport, Severity, Verdict};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// After the end of support of 2016 and 2019 (2025-10-14).
const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);
const AS_OF: &str = "2026-06-01T12:00:00Z";
const MAIL: &str = "mail.contoso.lab";
const BRANCH_MAIL: &str = "mail-branch.contoso.lab";
const AUTODISCOVER: &str = "autodiscover.contoso.lab";

const SE: &str = "Version 15.2 (Build 2562.17)";
const CU15: &str = "Version 15.2 (Build 1748.10)";
const CU14: &str = "Version 15.2 (Build 1544.4)";
const E2016: &str = "Version 15.1 (Build 2507.6)";

fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// The certificates both fleets share.
struct Certs {
    ca: LabCa,
    /// HQ's public certificate (mail, autodiscover), 300 days left.
    hq: Served,
    /// A newer one for the same names, which only the balancer got: were
    /// the VIP counted with the servers, they would be told to roll it out.
    hq_newer: Served,
    /// Branch's own public certificate (mail-branch).
    branch: Served,
}

impl Certs {
    fn new() -> Certs {
        let ca = LabCa::new(NOW);
        let hq = ca.issue(
            &[MAIL, AUTODISCOVER],
            NOW - days(65),
            NOW + days(300),
            &key(8),
        );
        let hq_newer = ca.issue(
            &[MAIL, AUTODISCOVER],
            NOW - days(5),
            NOW + days(360),
            &key(8),
        );
        // Branch's clients use its own name alone: sharing autodiscover
        // with HQ would make its servers HQ's peers for the TLS versions.
        let branch = ca.issue(&[BRANCH_MAIL], NOW - days(90), NOW + days(275), &key(7));
        Certs {
            ca,
            hq,
            hq_newer,
            branch,
        }
    }
}

/// One server of the CSV: its name, site, role, version, and whether it
/// still accepts TLS 1.3 (else TLS 1.2 only, as Windows serves a build
/// with TLS 1.3 turned off).
struct Row {
    name: &'static str,
    site: &'static str,
    role: &'static str,
    version: &'static str,
    tls13: bool,
    /// Days left on the EdgeSync certificate (Edge only) or on WMSvc's.
    extra_days_left: i64,
}

/// The healthy fleet: HQ (SE, 2019 CU15, SE) accepts TLS 1.3 everywhere,
/// Branch (SE, SE) keeps it off everywhere, EDGE01 (SE) has SMTP and
/// EdgeSync only.
fn healthy_rows() -> Vec<Row> {
    let row = |name, site, role, version, tls13| Row {
        name,
        site,
        role,
        version,
        tls13,
        extra_days_left: 1500,
    };
    vec![
        row("EX01", "HQ", "Mailbox", SE, true),
        row("EX02", "HQ", "Mailbox", CU15, true),
        row("EX03", "HQ", "Mailbox", SE, true),
        row("EX04", "Branch", "Mailbox", SE, false),
        row("EX05", "Branch", "Mailbox", SE, false),
        row("EDGE01", "", "Edge", SE, true),
    ]
}

/// The unhealthy twin, one change per check: EX02 is on 2019 CU14 and still
/// accepts TLS 1.3; EX03 alone in HQ turned TLS 1.3 off; EX05 is Exchange
/// 2016; EDGE01's EdgeSync certificate has 45 days left; EX04's WMSvc 40.
/// (And HQ's VIP presents a newer certificate than its servers: see
/// [`vips`].)
fn unhealthy_rows() -> Vec<Row> {
    let mut rows = healthy_rows();
    rows[1].version = CU14;
    rows[2].tls13 = false;
    rows[3].extra_days_left = 40;
    rows[4].version = E2016;
    rows[5].extra_days_left = 45;
    rows
}

fn site_cert<'a>(c: &'a Certs, r: &Row) -> &'a Served {
    if r.site == "Branch" {
        &c.branch
    } else {
        &c.hq
    }
}

fn tls(r: &Row, s: Served) -> Service {
    if r.tls13 {
        Service::Tls(s)
    } else {
        Service::Tls12Only(s)
    }
}

fn host(c: &Certs, r: &Row, k: usize) -> HostSpec {
    let public = site_cert(c, r).clone();
    let fqdn = format!("{}.contoso.lab", r.name.to_ascii_lowercase());
    let starttls = if r.tls13 {
        Starttls::Tls(public.clone())
    } else {
        Starttls::Tls12(public.clone())
    };
    let edge = r.role == "Edge";
    HostSpec {
        name: r.name.into(),
        // An Edge server has no IIS: the scan skips these ports.
        frontend: if edge {
            Service::Closed
        } else {
            tls(r, public)
        },
        backend: if edge {
            Service::Closed
        } else {
            tls(
                r,
                exchange_self_signed(r.name, "contoso.lab", NOW - days(400), &key(k)),
            )
        },
        smtp: Service::Smtp(SmtpSpec::exchange(&fqdn, starttls)),
    }
}

/// A VIP per site, presenting its site's certificate (HQ's newer one when
/// `mismatch`), and passing SMTP through to a server.
fn vips(c: &Certs, mismatch: bool) -> Vec<BalancerSpec> {
    let vip = |namespace: &str, https: &Served, smtp: &Served| BalancerSpec {
        namespace: namespace.into(),
        frontend: Service::Tls(https.clone()),
        smtp: Service::Smtp(SmtpSpec::exchange(
            "ex01.contoso.lab",
            Starttls::Tls(smtp.clone()),
        )),
    };
    let hq_https = if mismatch { &c.hq_newer } else { &c.hq };
    vec![
        vip(MAIL, hq_https, &c.hq),
        // The balancer accepts TLS 1.3 though Branch's servers do not: its
        // TLS is the balancer's, never a server's.
        vip(BRANCH_MAIL, &c.branch, &c.branch),
    ]
}

/// `before`, then `after` once the fleet is switched.
fn switch(before: Service, after: Service, switched: &Arc<AtomicBool>) -> Service {
    if matches!((&before, &after), (Service::Closed, Service::Closed)) {
        return Service::Closed;
    }
    Service::Switch {
        before: Box::new(before),
        after: Box::new(after),
        switched: switched.clone(),
    }
}

/// EdgeSync on an Edge server: its own certificate, self-signed.
fn edgesync(r: &Row, k: usize) -> Service {
    match r.role {
        "Edge" => {
            let not_after = NOW + days(r.extra_days_left);
            tls(
                r,
                exchange_self_signed(r.name, "contoso.lab", plus_years(not_after, -5), &key(k)),
            )
        }
        _ => Service::Closed,
    }
}

/// WMSvc on every server with IIS: its own self-signed certificate, valid
/// ten years. It accepts TLS 1.3 even where Exchange's ports do not: a
/// `--tls-port` port is never taken for the server's own TLS (neither
/// compared with its peers nor held against its build).
fn wmsvc(r: &Row, k: usize) -> Service {
    match r.role {
        "Edge" => Service::Closed,
        _ => {
            let not_after = NOW + days(r.extra_days_left);
            Service::Tls(wmsvc_self_signed(r.name, not_after - days(3650), &key(k)))
        }
    }
}

/// The running fleet, healthy until `switched` is set, and how to scan it.
struct Fleet {
    lab: Lab,
    switched: Arc<AtomicBool>,
    edgesync: u16,
    wmsvc: u16,
    csv: PathBuf,
    ca: PathBuf,
}

impl Fleet {
    async fn start(c: &Certs, dir: &Path) -> Fleet {
        let switched = Arc::new(AtomicBool::new(false));
        let (healthy, sick) = (healthy_rows(), unhealthy_rows());
        let hosts = healthy
            .iter()
            .zip(&sick)
            .enumerate()
            .map(|(i, (h, s))| {
                let (before, after) = (host(c, h, i + 1), host(c, s, i + 1));
                HostSpec {
                    name: h.name.into(),
                    frontend: switch(before.frontend, after.frontend, &switched),
                    backend: switch(before.backend, after.backend, &switched),
                    smtp: switch(before.smtp, after.smtp, &switched),
                }
            })
            .collect();
        let balancers = vips(c, false)
            .into_iter()
            .zip(vips(c, true))
            .map(|(before, after)| BalancerSpec {
                namespace: before.namespace,
                frontend: switch(before.frontend, after.frontend, &switched),
                smtp: switch(before.smtp, after.smtp, &switched),
            })
            .collect();
        let mut lab = Lab::start_with_balancers(hosts, balancers)
            .await
            .expect("lab starts");
        let port = |make: fn(&Row, usize) -> Service, k: usize| -> Vec<Service> {
            healthy
                .iter()
                .zip(&sick)
                .enumerate()
                .map(|(i, (h, s))| switch(make(h, k + i), make(s, k + i), &switched))
                .collect()
        };
        let edgesync = lab
            .add_port(port(edgesync, 20))
            .await
            .expect("EdgeSync port");
        let wmsvc = lab.add_port(port(wmsvc, 30)).await.expect("WMSvc port");
        let ca = dir.join("root.pem");
        std::fs::write(&ca, c.ca.root_pem()).unwrap();
        Fleet {
            lab,
            switched,
            edgesync,
            wmsvc,
            csv: dir.join("servers.csv"),
            ca,
        }
    }

    /// The CSV as `Get-ExchangeServer | Export-Csv` writes it, with HQ's
    /// VIP in the `LoadBalancer` column; Branch's is given on the command
    /// line.
    fn write_csv(&self, rows: &[Row]) {
        let mut text = String::from(
            "#TYPE Selected.Microsoft.Exchange.Data.Directory.Management.ExchangeServer\r\n\
             \"Name\",\"Fqdn\",\"Site\",\"ServerRole\",\"AdminDisplayVersion\",\"LoadBalancer\"\r\n",
        );
        let hq_vip = &self.lab.balancers[0];
        for (r, h) in rows.iter().zip(&self.lab.hosts) {
            let site = if r.site.is_empty() {
                String::new()
            } else {
                format!("contoso.lab/Configuration/Sites/{}", r.site)
            };
            let vip = if r.site == "HQ" {
                format!("{}={}", hq_vip.namespace, hq_vip.ip)
            } else {
                String::new()
            };
            text.push_str(&format!(
                "\"{}\",\"{}\",\"{site}\",\"{}\",\"{}\",\"{vip}\"\r\n",
                r.name, h.fqdn, r.role, r.version
            ));
        }
        std::fs::write(&self.csv, text).unwrap();
    }
}

/// `excert scan` of the fleet with its defaults, into `out`.
async fn scan(f: &Fleet, out: &Path) -> (Option<i32>, String) {
    let lab = &f.lab;
    let (hq_vip, branch_vip) = (&lab.balancers[0], &lab.balancers[1]);
    let mut args = strings(&[
        "scan",
        "--targets-file",
        &path_arg(&f.csv),
        "--frontend-ports",
        &lab.frontend_port.to_string(),
        "--backend-ports",
        &lab.backend_port.to_string(),
        "--smtp-ports",
        &lab.smtp_port.to_string(),
        "--edgesync-ports",
        &f.edgesync.to_string(),
        "--tls-port",
        &format!("wmsvc:{}", f.wmsvc),
        "--load-balancer",
        &format!("{}={}", branch_vip.namespace, branch_vip.ip),
        // HQ's VIP serves autodiscover too: the same address and ports.
        "--load-balancer",
        &format!("{AUTODISCOVER}={}", hq_vip.ip),
        "--prom",
        &path_arg(&out.join("excert.prom")),
        "--ca-bundle",
        &path_arg(&f.ca),
        "--as-of",
        AS_OF,
        "--out",
        &path_arg(out),
    ]);
    for h in &lab.hosts {
        args.push("--resolve".into());
        args.push(format!("{}:{}", h.fqdn, h.ip));
    }
    let run = excert(&args).await;
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_ne!(run.status.code(), Some(64), "{stderr}");
    (
        run.status.code(),
        String::from_utf8_lossy(&run.stdout).to_string(),
    )
}

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

/// report.csv's rows as (server, port, role, label, finding_ids).
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
        col("finding_ids"),
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

#[tokio::test(flavor = "multi_thread")]
async fn healthy_fleet_and_its_twin_with_everything_on() {
    let c = Certs::new();
    let (_t, dir) = tmp();
    let fleet = Fleet::start(&c, &dir).await;
    let (hq_vip, branch_vip) = (
        fleet.lab.balancers[0].ip.to_string(),
        fleet.lab.balancers[1].ip.to_string(),
    );
    let (front, wmsvc, edgesync) = (fleet.lab.frontend_port, fleet.wmsvc, fleet.edgesync);
    let fqdn = |i: usize| fleet.lab.hosts[i].fqdn.clone();

    // The healthy fleet: nothing above info anywhere, every verdict ok.
    let healthy_dir = dir.join("healthy");
    fleet.write_csv(&healthy_rows());
    let (code, terminal) = scan(&fleet, &healthy_dir).await;
    let healthy = read_scan(&healthy_dir);
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
    let edge = fqdn(5);
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
    // report.csv and servers.csv carry the roles and the label.
    let rows = csv_rows(&healthy_dir);
    let role_of = |host: &str, port: u16| -> Vec<(String, String)> {
        rows.iter()
            .filter(|r| r.0 == host && r.1 == port.to_string())
            .map(|r| (r.2.clone(), r.3.clone()))
            .collect()
    };
    let pair = |a: &str, b: &str| vec![(a.to_string(), b.to_string())];
    assert_eq!(role_of(&branch_vip, front), pair("load_balancer", ""));
    assert_eq!(role_of(&edge, edgesync), pair("edgesync", ""));
    assert_eq!(role_of(&fqdn(0), wmsvc), pair("other", "wmsvc"));
    let servers = server_rows(&healthy_dir);
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

    // The twin, one change per check, on the same addresses and ports.
    fleet.switched.store(true, Ordering::SeqCst);
    fleet.write_csv(&unhealthy_rows());
    let sick_dir = dir.join("sick");
    let (code, terminal) = scan(&fleet, &sick_dir).await;
    let sick = read_scan(&sick_dir);
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
    // A fix of the TLS versions is checked against the build and the
    // peers: the fleet's file is scanned again, not the server alone.
    for i in [1, 2] {
        let s = sick.servers.iter().find(|s| s.host == fqdn(i)).unwrap();
        let verify = s.remediation_steps.last().unwrap().command().unwrap();
        assert!(
            verify.starts_with("excert scan --targets-file ")
                && verify.contains(&path_arg(&fleet.csv)),
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

    // The diff: one row per endpoint event, with the new roles and ids.
    let diff_dir = dir.join("diff");
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

    // `excert report` on the saved scan judges it the same way.
    let replay_dir = dir.join("replay");
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
    drop(fleet);
}
