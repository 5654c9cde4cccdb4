//! The simulated Exchange fleet used by `excert demo` and the tests.
//!
//! Real TLS servers on loopback addresses (127.x.y.z, one per host) and high
//! ports, so no root is needed and many labs can run side by side. Hosts are
//! reached by name through `--resolve`-style pins, exactly as a user would
//! scan a fleet whose DNS they do not control.

pub mod certs;
pub mod server;
pub mod sites;
pub mod smtp;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use ring::rand::SecureRandom;
use time::{Duration, OffsetDateTime};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::config::{Input, TargetOptions};
pub use certs::{LabCa, Served};
pub use server::{RawHandler, Service};
pub use smtp::{SmtpSpec, Starttls};

/// One host of the lab: its short name and what its ports do.
#[derive(Clone)]
pub struct HostSpec {
    /// Short name, e.g. `EX01`; the FQDN adds [`DOMAIN`].
    pub name: String,
    /// What the lab's stand-in for 443 does.
    pub frontend: Service,
    /// What the lab's stand-in for 444 does.
    pub backend: Service,
    /// The SMTP port (usually [`Service::Smtp`]).
    pub smtp: Service,
}

/// A load balancer's VIP in the lab: a loopback address of its own,
/// listening on the lab's frontend and SMTP ports like the servers.
#[derive(Clone)]
pub struct BalancerSpec {
    /// The namespace it serves, as `--load-balancer NAME` takes it.
    pub namespace: String,
    /// What it presents for HTTPS on the lab's frontend port.
    pub frontend: Service,
    /// What it does on the lab's SMTP port.
    pub smtp: Service,
}

/// A running VIP.
#[derive(Debug, Clone)]
pub struct LabBalancer {
    /// The namespace it serves.
    pub namespace: String,
    /// Its loopback address.
    pub ip: IpAddr,
}

/// A running host.
#[derive(Debug, Clone)]
pub struct LabHost {
    /// Short name, e.g. `EX01`.
    pub name: String,
    /// `ex01.contoso.lab`.
    pub fqdn: String,
    /// The loopback address it listens on, one per host.
    pub ip: IpAddr,
}

/// A running lab. Dropping it stops every listener.
pub struct Lab {
    /// The DNS domain of every host, [`DOMAIN`].
    pub domain: String,
    /// The running hosts, in the order they were given.
    pub hosts: Vec<LabHost>,
    /// The running VIPs (`--load-balancer`), after the hosts.
    pub balancers: Vec<LabBalancer>,
    /// The lab's stand-in for 443, the same on every host.
    pub frontend_port: u16,
    /// The lab's stand-in for 444, the same on every host.
    pub backend_port: u16,
    /// The lab's stand-in for 25.
    pub smtp_port: u16,
    tasks: JoinSet<()>,
}

/// The lab's DNS domain; `.lab` is reserved for nothing and resolves nowhere.
pub const DOMAIN: &str = "contoso.lab";

fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    u32::from_le_bytes(b)
}

/// Host `i` of a lab whose addresses start at 127.`a`.`b`.1.
fn host_ip(a: u8, b: u8, i: usize) -> Ipv4Addr {
    let block = b as usize + i / 250;
    Ipv4Addr::new(127, a, (block % 256) as u8, (1 + i % 250) as u8)
}

impl Lab {
    /// Bind every host's two ports and start serving. Addresses and ports
    /// are random, and a clash with another lab just means another draw.
    pub async fn start(specs: Vec<HostSpec>) -> io::Result<Lab> {
        Self::start_with_balancers(specs, Vec::new()).await
    }

    /// [`Lab::start`], with load balancer VIPs on addresses after the
    /// hosts'; [`Lab::target_options`] gives them as `--load-balancer`.
    pub async fn start_with_balancers(
        specs: Vec<HostSpec>,
        balancers: Vec<BalancerSpec>,
    ) -> io::Result<Lab> {
        let vips: Vec<HostSpec> = balancers
            .iter()
            .map(|b| HostSpec {
                name: b.namespace.clone(),
                frontend: b.frontend.clone(),
                backend: Service::Closed,
                smtp: b.smtp.clone(),
            })
            .collect();
        let all: Vec<HostSpec> = specs.iter().cloned().chain(vips).collect();
        let mut lab = Self::start_hosts(all).await?;
        let vip_hosts = lab.hosts.split_off(specs.len());
        lab.balancers = balancers
            .into_iter()
            .zip(vip_hosts)
            .map(|(b, h)| LabBalancer {
                namespace: b.namespace,
                ip: h.ip,
            })
            .collect();
        Ok(lab)
    }

    async fn start_hosts(specs: Vec<HostSpec>) -> io::Result<Lab> {
        crate::probe::net::raise_fd_limit();
        let mut last_error = None;
        for _ in 0..20 {
            let r = random_u32();
            let (a, b) = (2 + (r % 250) as u8, (r >> 8) as u8);
            let frontend_port = 20000 + ((r >> 16) % 13000) as u16 * 3;
            match Self::bind_all(&specs, a, b, frontend_port).await {
                Ok(lab) => return Ok(lab),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("could not place the lab")))
    }

    async fn bind_all(specs: &[HostSpec], a: u8, b: u8, frontend_port: u16) -> io::Result<Lab> {
        let backend_port = frontend_port + 1;
        let smtp_port = frontend_port + 2;
        let mut listeners = Vec::new();
        let mut hosts = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let ip = IpAddr::V4(host_ip(a, b, i));
            for (port, service) in [
                (frontend_port, &spec.frontend),
                (backend_port, &spec.backend),
                (smtp_port, &spec.smtp),
            ] {
                if !matches!(service, Service::Closed) {
                    listeners.push((
                        TcpListener::bind(SocketAddr::new(ip, port)).await?,
                        service.clone(),
                    ));
                }
            }
            hosts.push(LabHost {
                name: spec.name.clone(),
                fqdn: format!("{}.{DOMAIN}", spec.name.to_ascii_lowercase()),
                ip,
            });
        }
        let mut tasks = JoinSet::new();
        for (listener, service) in listeners {
            tasks.spawn(server::serve(listener, service));
        }
        Ok(Lab {
            domain: DOMAIN.into(),
            hosts,
            balancers: Vec::new(),
            frontend_port,
            backend_port,
            smtp_port,
            tasks,
        })
    }

    /// Targets that reach this lab: every host by FQDN, pinned to its
    /// address, with the lab's ports as the frontend and backend lists.
    pub fn target_options(&self) -> TargetOptions {
        TargetOptions {
            inputs: self
                .hosts
                .iter()
                .map(|h| Input::Arg(h.fqdn.clone()))
                .collect(),
            frontend_ports: vec![self.frontend_port],
            backend_ports: vec![self.backend_port],
            smtp_ports: vec![self.smtp_port],
            pins: self.hosts.iter().map(|h| (h.fqdn.clone(), h.ip)).collect(),
            balancers: self
                .balancers
                .iter()
                .map(|b| crate::config::Balancer {
                    namespace: b.namespace.clone(),
                    vip: Some(b.ip.to_string()),
                })
                .collect(),
            ..TargetOptions::default()
        }
    }

    /// Serve one more port, the same number on every host (`services[i]` on
    /// host `i`; a host past the list, or given [`Service::Closed`],
    /// refuses it), as EdgeSync's 50636 or a `--tls-port` port: returns
    /// the port. A port another program holds on some host just means
    /// another draw.
    pub async fn add_port(&mut self, services: Vec<Service>) -> io::Result<u16> {
        let mut last_error = None;
        for _ in 0..20 {
            let port = 20000 + (random_u32() % 40000) as u16;
            let mut listeners = Vec::new();
            let mut bound = Ok(());
            for (host, service) in self.hosts.iter().zip(&services) {
                if matches!(service, Service::Closed) {
                    continue;
                }
                match TcpListener::bind(SocketAddr::new(host.ip, port)).await {
                    Ok(l) => listeners.push((l, service.clone())),
                    Err(e) => {
                        bound = Err(e);
                        break;
                    }
                }
            }
            match bound {
                Ok(()) => {
                    for (listener, service) in listeners {
                        self.tasks.spawn(server::serve(listener, service));
                    }
                    return Ok(port);
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("no free port for every host")))
    }

    /// Stop every listener now.
    pub fn stop(&mut self) {
        self.tasks.abort_all();
    }
}

/// The demo fleet and the trust root its public certificate chains to.
pub struct DemoFleet {
    /// The demo servers, in report order.
    pub hosts: Vec<HostSpec>,
    /// The CA the public certificates chain to (`--ca-bundle` takes its root).
    pub ca: LabCa,
    /// Client-facing names per site, as `--namespace SITE:NAME` takes them.
    pub namespaces: Vec<String>,
    /// Each host's AD site (short name, site), as `--site HOST=SITE` takes
    /// them.
    pub sites: Vec<(String, String)>,
    /// The load balancer in front of HQ (`--load-balancer`), for
    /// [`Lab::start_with_balancers`].
    pub balancers: Vec<BalancerSpec>,
}

/// The demo's main site and its branch office.
pub const DEMO_SITES: [&str; 2] = ["HQ", "Branch"];

/// A fleet with the problems excert exists for, dated relative to `now`:
///
/// | host | 443 | 444 | 25 (SMTP, STARTTLS) |
/// | --- | --- | --- | --- |
/// | EX01 | public cert | own self-signed, years left | public cert |
/// | EX02 | public cert | own self-signed, years left | renewed own self-signed (the transport side of the renewal trap) |
/// | EX03 | public cert | self-signed, expired 12 days ago | public cert |
/// | EX04 | public cert | self-signed, expires in 20 days | public cert |
/// | EX05 | renewed self-signed (lost binding) | old self-signed, 5 days left | public cert |
/// | EX06 | public cert | nothing listening | public cert |
/// | EX07 | last year's public cert, 25 days left | own self-signed | last year's public cert |
/// | EX08 | the previous public cert, still valid 100 days: a rollout in progress | own self-signed | public cert |
/// | EX09 (site Branch) | the branch's own public cert (`mail-branch`) | own self-signed | the branch's cert |
///
/// EX01 to EX08 are in site HQ. In front of them, a load balancer's VIP for
/// `mail.contoso.lab` still presents the previous public certificate on
/// HTTPS (valid 100 days, but not the servers' one: `lb-cert-mismatch`) and
/// passes SMTP through to a server presenting the public certificate.
pub fn demo_fleet(now: OffsetDateTime) -> DemoFleet {
    let ca = LabCa::new(now);
    let certs = DemoCerts::issue(&ca, now);
    let hosts = demo_hosts(now, &certs);
    let (mail, autodiscover) = (format!("mail.{DOMAIN}"), format!("autodiscover.{DOMAIN}"));
    let branch_mail = format!("mail-branch.{DOMAIN}");
    let [hq, branch_site] = DEMO_SITES;
    DemoFleet {
        balancers: vec![BalancerSpec {
            namespace: mail.clone(),
            frontend: Service::Tls(certs.previous.clone()),
            smtp: Service::Smtp(SmtpSpec::exchange(
                &format!("ex01.{DOMAIN}"),
                Starttls::Tls(certs.public.clone()),
            )),
        }],
        hosts,
        ca,
        namespaces: vec![
            format!("{hq}:{mail}"),
            format!("{hq}:{autodiscover}"),
            format!("{branch_site}:{branch_mail}"),
            format!("{branch_site}:{autodiscover}"),
        ],
        sites: (1..=9)
            .map(|n| {
                let site = if n == 9 { branch_site } else { hq };
                (format!("ex0{n}"), site.to_string())
            })
            .collect(),
    }
}

/// The demo's CA-issued certificates (one key for the HQ namespace).
struct DemoCerts {
    /// The HQ certificate, 165 days left.
    public: Served,
    /// Last year's HQ certificate, 25 days left.
    last_year: Served,
    /// The HQ certificate before `public`, 100 days left.
    previous: Served,
    /// The branch office's own certificate.
    branch: Served,
}

impl DemoCerts {
    fn issue(ca: &LabCa, now: OffsetDateTime) -> Self {
        let (mail, autodiscover) = (format!("mail.{DOMAIN}"), format!("autodiscover.{DOMAIN}"));
        let names = [mail.as_str(), autodiscover.as_str()];
        let key = certs::key(8);
        let days = Duration::days;
        let branch_mail = format!("mail-branch.{DOMAIN}");
        DemoCerts {
            public: ca.issue(&names, now - days(200), now + days(165), &key),
            last_year: ca.issue(&names, now - days(340), now + days(25), &key),
            previous: ca.issue(&names, now - days(400), now + days(100), &key),
            branch: ca.issue(
                &[branch_mail.as_str(), autodiscover.as_str()],
                now - days(90),
                now + days(275),
                &certs::key(7),
            ),
        }
    }
}

/// The hosts of [`demo_fleet`]'s table, in its order.
fn demo_hosts(now: OffsetDateTime, c: &DemoCerts) -> Vec<HostSpec> {
    let own = |name: &str, key: usize, not_before: OffsetDateTime| {
        certs::exchange_self_signed(name, DOMAIN, not_before, &certs::key(key))
    };
    // The own certificate on 444: its key, and when it was made (years
    // ago) or when it expires (days from now; they last five years).
    let made = |key: usize, years: i64| Some((key, now - Duration::days(365 * years)));
    let expires =
        |key: usize, days: i64| Some((key, certs::plus_years(now + Duration::days(days), -5)));
    // EX02's "Microsoft Exchange" certificate was renewed ten days ago with
    // "overwrite the default SMTP certificate" answered yes.
    let ex02_smtp = own("EX02", 9, now - Duration::days(10));
    let ex05_new = own("EX05", 6, now - Duration::days(3));
    let p = &c.public;
    // (host, cert on 443, own cert on 444, cert on 25). Hybrid servers
    // present the public certificate on 25 (the connector's
    // TlsCertificateName).
    let table = [
        ("EX01", p, made(1, 2), p),
        ("EX02", p, made(2, 3), &ex02_smtp),
        ("EX03", p, expires(3, -12), p),
        ("EX04", p, expires(4, 20), p),
        ("EX05", &ex05_new, expires(5, 5), p),
        ("EX06", p, None, p),
        ("EX07", &c.last_year, made(7, 1), &c.last_year),
        ("EX08", &c.previous, made(1, 4), p),
        ("EX09", &c.branch, made(2, 2), &c.branch),
    ];
    table
        .into_iter()
        .map(|(name, on_443, on_444, on_25)| {
            let fqdn = format!("{}.{DOMAIN}", name.to_ascii_lowercase());
            HostSpec {
                name: name.into(),
                frontend: Service::Tls(on_443.clone()),
                backend: on_444.map_or(Service::Closed, |(key, start)| {
                    Service::Tls(own(name, key, start))
                }),
                smtp: Service::Smtp(SmtpSpec::exchange(&fqdn, Starttls::Tls(on_25.clone()))),
            }
        })
        .collect()
}
