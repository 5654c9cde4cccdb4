//! Load balancer VIPs (`--load-balancer`) scanned live on the lab: each
//! `lb-*` finding fires on its own VIP and stays silent on the healthy twin
//! (a VIP presenting the servers' certificate), the VIP's verdict and
//! steps never run an Exchange cmdlet against the balancer, and every
//! command they print parses and uses real parameters. On saved evidence:
//! which servers a VIP is compared with, a balancer ahead of its servers,
//! and a VIP that does not answer. A fixed as-of time; the lab's
//! certificates are dated from it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use crate::ps_support;
use excert::analyze::trust::TrustRoots;
use excert::config::AnalysisSettings;
use excert::lab::certs::{exchange_self_signed, key, LabCa, Served};
use excert::lab::{BalancerSpec, HostSpec, Lab, Service, SmtpSpec, Starttls};
use excert::model::{
    EndpointReport, FindingId, Grade, Role, ScanReport, ServerReport, Severity, Verdict,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);
const MAIL: &str = "mail.contoso.lab";
const AUTODISCOVER: &str = "autodiscover.contoso.lab";

/// The certificates of the lab.
struct Certs {
    ca: LabCa,
    /// The servers' public certificate, 300 days left.
    public: Served,
}

fn issue(ca: &LabCa, names: &[&str], from: i64, to: i64) -> Served {
    ca.issue(
        names,
        NOW + Duration::days(from),
        NOW + Duration::days(to),
        &key(8),
    )
}

fn server(name: &str, c: &Certs, k: usize) -> HostSpec {
    let fqdn = format!("{}.contoso.lab", name.to_ascii_lowercase());
    HostSpec {
        name: name.into(),
        frontend: Service::Tls(c.public.clone()),
        backend: Service::Tls(exchange_self_signed(
            name,
            "contoso.lab",
            NOW - Duration::days(400),
            &key(k),
        )),
        smtp: Service::Smtp(SmtpSpec::exchange(&fqdn, Starttls::Tls(c.public.clone()))),
    }
}

fn vip(namespace: &str, https: Served, smtp: Served) -> BalancerSpec {
    BalancerSpec {
        namespace: namespace.into(),
        frontend: Service::Tls(https),
        smtp: Service::Smtp(SmtpSpec::exchange("ex01.contoso.lab", Starttls::Tls(smtp))),
    }
}

/// Two healthy servers and one VIP per case, in this order.
fn balancers(c: &Certs) -> Vec<BalancerSpec> {
    let names = [MAIL, AUTODISCOVER];
    let leaf_only = Served {
        chain: c.public.chain[..1].to_vec(),
        key: c.public.key.clone_key(),
    };
    let own = exchange_self_signed("EX01", "contoso.lab", NOW - Duration::days(400), &key(1));
    vec![
        // 0: the healthy twin, the servers' certificate on both ports.
        vip(MAIL, c.public.clone(), c.public.clone()),
        // 1: the previous certificate, valid 100 days: a mismatch only.
        vip(MAIL, issue(&c.ca, &names, -300, 100), c.public.clone()),
        // 2: expired 10 days ago.
        vip(MAIL, issue(&c.ca, &names, -375, -10), c.public.clone()),
        // 3: 20 days left (critical), 45 days left on SMTP (warning).
        vip(
            MAIL,
            issue(&c.ca, &names, -345, 20),
            issue(&c.ca, &names, -320, 45),
        ),
        // 4: the servers' leaf without its intermediate.
        vip(MAIL, leaf_only, c.public.clone()),
        // 5: a namespace the certificate does not cover.
        vip("owa.contoso.lab", c.public.clone(), c.public.clone()),
        // 6: SMTP passed through to a server's own certificate: normal.
        vip(MAIL, c.public.clone(), own),
    ]
}

async fn scan_lab() -> ScanReport {
    let ca = LabCa::new(NOW);
    let public = issue(&ca, &[MAIL, AUTODISCOVER], -65, 300);
    let c = Certs { ca, public };
    let hosts = vec![server("EX01", &c, 1), server("EX02", &c, 2)];
    let lab = Lab::start_with_balancers(hosts, balancers(&c))
        .await
        .expect("lab starts");
    let opts = lab.target_options();
    let settings = AnalysisSettings {
        as_of: NOW,
        warn_days: 60,
        critical_days: 30,
        namespaces: Vec::new(),
        site_namespaces: Default::default(),
        roots: Arc::new(TrustRoots::from_der([c.ca.root.as_ref()]).unwrap()),
        ca_bundles: Vec::new(),
    };
    let list = excert::targets::load(&opts).unwrap();
    let probe = crate::lab_support::quick(3000);
    let report = excert::scan(
        list,
        &opts,
        &probe,
        &settings,
        None,
        excert::Cancel::default(),
    )
    .await;
    // Through JSON and the published schema, as a user reads it.
    let doc = serde_json::to_value(&report).unwrap();
    crate::lab_support::assert_schema("scan.schema.json", &doc);
    drop(lab);
    serde_json::from_value(doc).unwrap()
}

/// The VIP `i` (in [`balancers`] order) as a server.
fn vip_server(r: &ScanReport, i: usize) -> &ServerReport {
    let vips: Vec<&ServerReport> = r
        .servers
        .iter()
        .filter(|s| s.host.starts_with("127."))
        .collect();
    vips[i]
}

fn endpoints<'a>(r: &'a ScanReport, s: &ServerReport) -> Vec<&'a EndpointReport> {
    s.endpoints.iter().map(|&i| &r.endpoints[i]).collect()
}

/// The finding ids on VIP `i`'s HTTPS and SMTP ports.
fn ids(r: &ScanReport, i: usize) -> (Vec<FindingId>, Vec<FindingId>) {
    let eps = endpoints(r, vip_server(r, i));
    let on = |role: Role| -> Vec<FindingId> {
        eps.iter()
            .filter(|e| e.endpoint.forwards_to == Some(role))
            .flat_map(|e| e.findings.iter().map(|f| f.id))
            .collect()
    };
    (on(Role::Frontend), on(Role::Smtp))
}

#[tokio::test(flavor = "multi_thread")]
async fn each_lb_finding_fires_on_its_vip_and_not_on_the_healthy_twin() {
    let r = scan_lab().await;
    use FindingId::*;
    // The VIPs come first, each probed on HTTPS and SMTP with its namespace.
    assert!(r.servers[..7].iter().all(|s| s.host.starts_with("127.")));
    for s in &r.servers[..7] {
        let eps = endpoints(&r, s);
        assert_eq!(eps.len(), 2, "{}", s.host);
        assert!(eps.iter().all(|e| e.endpoint.role == Role::LoadBalancer));
        assert!(eps.iter().all(|e| e.status == excert::model::Status::Ok));
    }
    // Healthy twin: the servers' certificate, no finding at all.
    assert_eq!(ids(&r, 0), (vec![], vec![]));
    assert_eq!(vip_server(&r, 0).verdict, Verdict::Ok);
    assert_eq!(vip_server(&r, 0).severity, Grade::Ok);
    assert_eq!(ids(&r, 1), (vec![LbCertMismatch], vec![]));
    assert_eq!(ids(&r, 2).0, vec![LbCertExpired, LbCertMismatch]);
    assert_eq!(ids(&r, 3).0, vec![LbCertExpiring, LbCertMismatch]);
    assert_eq!(ids(&r, 3).1, vec![LbCertExpiring]);
    assert_eq!(ids(&r, 4), (vec![LbCertUntrusted], vec![]));
    assert_eq!(ids(&r, 5), (vec![LbNameMismatch], vec![LbNameMismatch]));
    assert_eq!(ids(&r, 6), (vec![], vec![]));
    // Severities: expired critical, 20 days critical, 45 days a warning.
    let severity = |i: usize, id: FindingId| {
        endpoints(&r, vip_server(&r, i))
            .iter()
            .flat_map(|e| &e.findings)
            .filter(|f| f.id == id)
            .map(|f| f.severity)
            .collect::<Vec<Severity>>()
    };
    assert_eq!(severity(2, LbCertExpired), [Severity::Critical]);
    assert_eq!(
        severity(3, LbCertExpiring),
        [Severity::Critical, Severity::Warning]
    );
    assert_eq!(severity(1, LbCertMismatch), [Severity::Warning]);
    for i in 1..=5 {
        assert_eq!(
            vip_server(&r, i).verdict,
            Verdict::FixLoadBalancerCert,
            "{i}"
        );
    }
    // The servers behind them stay healthy.
    for s in r
        .servers
        .iter()
        .filter(|s| s.host.ends_with(".contoso.lab"))
    {
        assert_eq!(s.severity, Grade::Ok, "{}: {}", s.host, s.summary);
    }
    // The mismatch says why, and which certificate to put on the balancer.
    let mismatch = endpoints(&r, vip_server(&r, 1))[0]
        .findings
        .iter()
        .find(|f| f.id == LbCertMismatch)
        .unwrap();
    assert!(mismatch.detail.contains("Extended Protection"));
    assert!(mismatch.detail.contains("SSL offloading"));
    let servers_cert = &r
        .endpoints
        .iter()
        .find(|e| e.endpoint.role == Role::Frontend)
        .unwrap()
        .chain[0]
        .sha1;
    let steps = &vip_server(&r, 1).remediation_steps;
    assert!(steps.iter().any(|s| s.thumbprints.contains(servers_cert)));
    assert!(steps[1].text().contains("openssl s_client -connect"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vip_gets_no_exchange_cmdlet_and_every_command_is_real() {
    let r = scan_lab().await;
    let reference = ps_support::reference();
    for i in 0..7 {
        let s = vip_server(&r, i);
        let finding_steps = endpoints(&r, s)
            .into_iter()
            .flat_map(|e| e.findings.iter().flat_map(|f| &f.remediation_steps));
        for step in s.remediation_steps.iter().chain(finding_steps) {
            let Some(cmd) = step.command() else {
                continue;
            };
            ps_support::check(&reference, cmd).unwrap();
            // The balancer is never the target of an Exchange cmdlet: the
            // one cmdlet exports from a server that presents the cert.
            if !cmd.starts_with("excert ") {
                assert!(!cmd.contains(&s.host), "{cmd}");
                assert!(cmd.contains("-Server ex0"), "{cmd}");
                assert!(!cmd.contains("Enable-ExchangeCertificate"), "{cmd}");
            }
        }
    }
}

/// Saved evidence: the VIP's own cases that need no live server.
mod saved {
    use super::*;
    use crate::lab_support::evidence::ep;
    use excert::analyze::analyze;
    use excert::model::{EndpointEvidence, Group, Status, Task};

    fn der(s: &Served) -> Vec<Vec<u8>> {
        s.chain.iter().map(|c| c.as_ref().to_vec()).collect()
    }

    fn settings(ca: &LabCa, site_namespaces: &[(&str, &str)]) -> AnalysisSettings {
        let mut by_site = std::collections::BTreeMap::<String, Vec<String>>::new();
        for (site, name) in site_namespaces {
            by_site
                .entry(site.to_string())
                .or_default()
                .push(name.to_string());
        }
        AnalysisSettings {
            as_of: NOW,
            warn_days: 60,
            critical_days: 30,
            namespaces: Vec::new(),
            site_namespaces: by_site,
            roots: Arc::new(TrustRoots::from_der([ca.root.as_ref()]).unwrap()),
            ca_bundles: Vec::new(),
        }
    }

    fn frontend(host: &str, site: &str, cert: &Served) -> EndpointEvidence {
        ep(host, Role::Frontend)
            .group(Group {
                site: Some(site.into()),
                ..Group::default()
            })
            .chain(der(cert))
            .evidence()
    }

    fn vip(namespace: &str, role: Role, port: u16) -> crate::lab_support::evidence::Ep {
        ep("10.1.2.50", Role::LoadBalancer)
            .sni(Some(namespace))
            .port(port)
            .forwards_to(role)
    }

    #[test]
    fn a_vip_is_compared_with_the_site_that_serves_its_namespace() {
        let ca = LabCa::new(NOW);
        let hq = issue(&ca, &[MAIL], -30, 300);
        let branch = issue(&ca, &["branch.contoso.lab", MAIL], -20, 310);
        let evidence = vec![
            vip(MAIL, Role::Frontend, 443).chain(der(&hq)).evidence(),
            frontend("ex01.contoso.lab", "HQ", &hq),
            frontend("ex02.contoso.lab", "Branch", &branch),
            frontend("ex03.contoso.lab", "Branch", &branch),
        ];
        // The branch has more servers, but HQ serves the namespace.
        let a = analyze(evidence.clone(), None, &settings(&ca, &[("HQ", MAIL)]));
        assert!(
            a.endpoints[0].findings.is_empty(),
            "{:?}",
            a.endpoints[0].findings
        );
        // Without --namespace, both sites' certificates name it: the
        // majority (the branch's) is what the VIP must present.
        let a = analyze(evidence, None, &settings(&ca, &[]));
        let ids: Vec<FindingId> = a.endpoints[0].findings.iter().map(|f| f.id).collect();
        assert_eq!(ids, [FindingId::LbCertMismatch]);
        assert!(a.endpoints[0].findings[0]
            .detail
            .contains("ex02.contoso.lab"));
    }

    #[test]
    fn a_balancer_ahead_of_its_servers_is_followed_by_them() {
        let ca = LabCa::new(NOW);
        let old = issue(&ca, &[MAIL], -300, 100);
        let renewed = issue(&ca, &[MAIL], -5, 360);
        let evidence = vec![
            vip(MAIL, Role::Frontend, 443)
                .chain(der(&renewed))
                .evidence(),
            frontend("ex01.contoso.lab", "HQ", &old),
            frontend("ex02.contoso.lab", "HQ", &old),
        ];
        let a = analyze(evidence, None, &settings(&ca, &[]));
        let f = &a.endpoints[0].findings[0];
        assert_eq!(f.id, FindingId::LbCertMismatch);
        // The servers take the balancer's newer certificate; nothing is
        // exported from them to the balancer.
        assert_eq!(f.remediation_steps.len(), 1);
        let step = &f.remediation_steps[0];
        assert_eq!(step.task, Task::ImportCertificate);
        assert!(step.command().is_none());
        assert!(step.text().contains("ex01.contoso.lab, ex02.contoso.lab"));
    }

    #[test]
    fn an_unreachable_vip_is_investigated_and_a_filtered_smtp_vip_is_info() {
        let ca = LabCa::new(NOW);
        let cert = issue(&ca, &[MAIL], -30, 300);
        let evidence = vec![
            vip(MAIL, Role::Frontend, 443)
                .address(None)
                .failed(Status::DnsFailed, "cannot resolve mail.contoso.lab")
                .evidence(),
            vip(MAIL, Role::Smtp, 25)
                .address(None)
                .failed(Status::Timeout, "no greeting")
                .evidence(),
            frontend("ex01.contoso.lab", "HQ", &cert),
        ];
        let a = analyze(evidence, None, &settings(&ca, &[]));
        let s = &a.servers[0];
        assert_eq!(s.host, "10.1.2.50");
        assert_eq!(s.verdict, Verdict::Investigate);
        assert_eq!(s.severity, Grade::Warning);
        assert_eq!(a.endpoints[1].findings[0].severity, Severity::Info);
        let first = s.remediation_steps[0].text();
        assert!(
            first.contains("--load-balancer mail.contoso.lab=ADDR"),
            "{first}"
        );
        // The VIP comes before the server behind it.
        assert_eq!(a.servers[1].host, "ex01.contoso.lab");
    }

    /// A VIP's certificate and a saved scan's VIP host and namespace are
    /// hostile text: none of it reaches a command unquoted.
    #[test]
    fn hostile_names_on_a_vip_never_run() {
        let ca = LabCa::new(NOW);
        let public = issue(&ca, &[MAIL], -30, 300);
        let k = key(3);
        let mut params = rcgen::CertificateParams::new(vec!["X;calc;#".to_string()]).unwrap();
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, "X'; calc; '");
        params.distinguished_name = dn;
        params.not_before = NOW - Duration::days(30);
        params.not_after = NOW - Duration::days(1);
        let hostile = params.self_signed(&k).unwrap().der().to_vec();
        let evidence = vec![
            ep("10.1.2.50;calc", Role::LoadBalancer)
                .sni(Some("$(calc).contoso.lab"))
                .forwards_to(Role::Frontend)
                .chain(vec![hostile])
                .evidence(),
            frontend("ex01.contoso.lab", "HQ", &public),
        ];
        let a = analyze(evidence, None, &settings(&ca, &[]));
        let ids: Vec<FindingId> = a.endpoints[0].findings.iter().map(|f| f.id).collect();
        assert!(ids.contains(&FindingId::LbCertExpired), "{ids:?}");
        assert!(ids.contains(&FindingId::LbCertMismatch), "{ids:?}");
        let reference = ps_support::reference();
        let steps = a.servers[0].remediation_steps.iter().chain(
            a.endpoints[0]
                .findings
                .iter()
                .flat_map(|f| &f.remediation_steps),
        );
        for step in steps {
            let Some(cmd) = step.command() else {
                continue;
            };
            ps_support::check(&reference, cmd).unwrap();
            let bare = ps_support::outside_quotes(cmd);
            assert!(!bare.contains("calc"), "{cmd}");
        }
    }

    /// Clients meet the balancer's TLS: its old versions are its own, and
    /// the fix is in its TLS settings, not in the servers' registry.
    #[test]
    fn old_tls_versions_on_a_vip_are_the_balancers_to_turn_off() {
        use excert::model::TlsVersion::{Tls10, Tls12};
        let ca = LabCa::new(NOW);
        let cert = issue(&ca, &[MAIL], -30, 300);
        let evidence = vec![
            vip(MAIL, Role::Frontend, 443)
                .chain(der(&cert))
                .versions(&[Tls10, Tls12])
                .evidence(),
            ep("10.1.2.60", Role::LoadBalancer)
                .sni(Some(MAIL))
                .forwards_to(Role::Frontend)
                .chain(der(&cert))
                .versions(&[Tls10])
                .evidence(),
            frontend("ex01.contoso.lab", "HQ", &cert),
        ];
        let a = analyze(evidence, None, &settings(&ca, &[]));
        let only = |i: usize| -> Vec<(FindingId, Severity)> {
            a.endpoints[i]
                .findings
                .iter()
                .map(|f| (f.id, f.severity))
                .collect()
        };
        assert_eq!(
            only(0),
            [(FindingId::LegacyProtocolsEnabled, Severity::Info)]
        );
        assert_eq!(only(1), [(FindingId::LegacyTlsOnly, Severity::Warning)]);
        assert_eq!(a.servers[0].verdict, Verdict::Ok);
        assert_eq!(a.servers[1].verdict, Verdict::Review);
        let step = &a.servers[1].remediation_steps[0];
        assert_eq!(step.task, Task::ConfigureProtocols);
        assert!(step.command().is_none());
        assert!(step.text().contains("load balancer"));
    }
}
