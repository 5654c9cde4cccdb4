//! The fleet of `whole_fleet`, on the lab: servers from a targets CSV
//! (sites, roles, versions, a `LoadBalancer` column), two VIPs, EdgeSync
//! and WMSvc ports, each service switching from the healthy fleet to its
//! twin on the same addresses and ports, and `excert scan` as the admin
//! runs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::lab_support::*;
use excert::lab::certs::{exchange_self_signed, key, plus_years, wmsvc_self_signed, LabCa, Served};
use excert::lab::{BalancerSpec, HostSpec, Lab, Service, SmtpSpec, Starttls};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// After the end of support of 2016 and 2019 (2025-10-14).
pub const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);
pub const AS_OF: &str = "2026-06-01T12:00:00Z";
pub const MAIL: &str = "mail.contoso.lab";
pub const BRANCH_MAIL: &str = "mail-branch.contoso.lab";
pub const AUTODISCOVER: &str = "autodiscover.contoso.lab";

const SE: &str = "Version 15.2 (Build 2562.17)";
const CU15: &str = "Version 15.2 (Build 1748.10)";
const CU14: &str = "Version 15.2 (Build 1544.4)";
const E2016: &str = "Version 15.1 (Build 2507.6)";

fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// The certificates both fleets share.
pub struct Certs {
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
    pub fn new() -> Certs {
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
pub struct Row {
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
pub fn healthy_rows() -> Vec<Row> {
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
pub fn unhealthy_rows() -> Vec<Row> {
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
pub struct Fleet {
    pub lab: Lab,
    pub switched: Arc<AtomicBool>,
    pub edgesync: u16,
    pub wmsvc: u16,
    pub csv: PathBuf,
    pub ca: PathBuf,
}

impl Fleet {
    pub async fn start(c: &Certs, dir: &Path) -> Fleet {
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
    pub fn write_csv(&self, rows: &[Row]) {
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
pub async fn scan(f: &Fleet, out: &Path) -> (Option<i32>, String) {
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
