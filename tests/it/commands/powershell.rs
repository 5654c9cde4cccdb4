//! Every command excert can print, checked against Microsoft's reference:
//! the demo fleet as scanned and re-judged 60, 400 and 1,900 days later,
//! and store-only audits of every inventory fixture. Each command must
//! parse (tree-sitter-powershell, no ERROR or MISSING node), use only the
//! parameters its cmdlet has with one full mandatory set
//! (exchange-cmdlets.json), and never add an SSL binding before removing
//! the old one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::ps_support;

use std::path::PathBuf;
use std::sync::Arc;

use excert::config::AnalysisSettings;
use excert::model::{ScanReport, Step};
use time::{Duration, OffsetDateTime};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn settings(saved: &ScanReport, as_of: OffsetDateTime) -> AnalysisSettings {
    let bundles: Vec<PathBuf> = saved
        .parameters
        .ca_bundles
        .iter()
        .map(|b| root().join(b))
        .collect();
    AnalysisSettings {
        as_of,
        warn_days: 60,
        critical_days: 30,
        namespaces: saved.parameters.namespaces.clone(),
        site_namespaces: saved.parameters.site_namespaces.clone(),
        roots: Arc::new(excert::config::load_roots(&bundles).unwrap()),
        ca_bundles: saved.parameters.ca_bundles.clone(),
    }
}

fn demo() -> ScanReport {
    let text = std::fs::read_to_string(root().join("fixtures/evidence/demo-fleet.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every step of a report: the organisation's, the servers' and every
/// finding's.
fn steps(r: &ScanReport) -> Vec<&Step> {
    let organisation = r.organisation.iter().flat_map(|o| {
        o.remediation_steps
            .iter()
            .chain(o.findings.iter().flat_map(|f| &f.remediation_steps))
    });
    let servers = r.servers.iter().flat_map(|s| {
        s.remediation_steps
            .iter()
            .chain(s.findings.iter().flat_map(|f| &f.remediation_steps))
    });
    let endpoints = r
        .endpoints
        .iter()
        .flat_map(|e| e.findings.iter().flat_map(|f| &f.remediation_steps));
    organisation.chain(servers).chain(endpoints).collect()
}

/// The demo at its scan date and 60, 400 and 1,900 days later; and once
/// more with every server's Exchange version known (2019 CU12), so the
/// commands can be checked against that version.
fn demo_reports() -> Vec<ScanReport> {
    let saved = demo();
    let mut out: Vec<ScanReport> = [0, 60, 400, 1900]
        .iter()
        .map(|d| excert::reanalyze(&saved, &settings(&saved, saved.as_of + Duration::days(*d))))
        .collect();
    let mut versioned = saved.clone();
    for e in &mut versioned.endpoints {
        e.endpoint.group.exchange_version = Some("2019".into());
        e.endpoint.group.exchange_build = Some("15.2.1118.7".into());
    }
    for d in [0, 400] {
        let at = settings(&versioned, versioned.as_of + Duration::days(d));
        out.push(excert::reanalyze(&versioned, &at));
    }
    out
}

/// Store-only audits: each inventory fixture alone and the exports an
/// admin makes together, at the fixtures' date and years later.
fn store_reports() -> Vec<ScanReport> {
    let dir = root().join("fixtures/inventory");
    let mut sets: Vec<Vec<PathBuf>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| vec![e.unwrap().path()])
        .collect();
    for auth in ["authconfig.xml", "authconfig-nonext.xml"] {
        for certs in ["certs-remote.xml", "certs-local.xml", "certs-en-US.csv"] {
            sets.push(
                [certs, auth, "receive.xml", "servers.xml"]
                    .iter()
                    .map(|f| dir.join(f))
                    .collect(),
            );
        }
    }
    let saved = demo();
    let mut out = Vec::new();
    for set in sets {
        let Ok(Some(inv)) = excert::inventory::load(&set) else {
            continue;
        };
        for as_of in [
            time::macros::datetime!(2026-12-01 0:00 UTC),
            time::macros::datetime!(2027-06-01 0:00 UTC),
            time::macros::datetime!(2031-06-01 0:00 UTC),
        ] {
            let a = excert::analyze::analyze(Vec::new(), Some(&inv), &settings(&saved, as_of));
            out.push(ScanReport {
                endpoints: a.endpoints,
                servers: a.servers,
                inventory: a.inventory,
                organisation: a.organisation,
                ..saved.clone()
            });
        }
    }
    out
}

#[test]
fn every_command_excert_prints_is_safe_to_paste() {
    let reference = ps_support::reference();
    let mut reports = demo_reports();
    reports.extend(store_reports());
    let mut checked = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for r in &reports {
        for s in steps(r) {
            let Some(c) = s.command() else { continue };
            // Prose and command apart: the text never carries the command.
            assert!(!s.text().contains(c), "{}", s.text());
            if checked.insert(c.to_string()) {
                if let Err(e) = ps_support::check(&reference, c) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "{} distinct commands from {} reports parse and fit the reference",
        checked.len(),
        reports.len()
    );
    // Where a server's Exchange version is known, its commands exist there.
    let mut by_version = 0;
    for r in &reports {
        for s in &r.servers {
            let Some(v) = s.group.exchange_version.as_deref() else {
                continue;
            };
            for c in s.remediation_steps.iter().filter_map(|st| st.command()) {
                by_version += 1;
                if let Err(e) = ps_support::check_version(&reference, c, v) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(by_version > 0, "no server with a known version");
    // The enumeration reaches the procedures it is meant to check.
    let all: Vec<&String> = checked.iter().collect();
    for needle in [
        "New-ExchangeCertificate -Server",
        ".RemoveSslCertificate()",
        "Set-AuthConfig -PublishCertificate",
        "Set-AuthConfig -NewCertificateThumbprint",
        "Import-ExchangeCertificate -Server",
        "Remove-ExchangeCertificate -Server",
        "iisreset",
    ] {
        assert!(
            all.iter().any(|c| c.contains(needle)),
            "no command has {needle}; checked {}",
            all.len()
        );
    }
}

#[test]
fn the_checker_catches_what_it_is_meant_to_catch() {
    let reference = ps_support::reference();
    let bad = [
        "Import-ExchangeCertificate -Server EX01",
        "Enable-ExchangeCertificate -Server EX01 -Thumbprint AB -Services IIS -Bogus",
        "Invoke-Command -ComputerName EX01 -ScriptBlock { $b = Get-WebBinding -Port 444; $b.AddSslCertificate('T','My') }",
        "New-ExchangeCertificate -DomainName X;calc;#",
        "Enable-ExchangeCertificate -Thumbprint (",
        "Set-AuthConfig -PublishCertificate -Server EX01",
    ];
    for b in bad {
        assert!(ps_support::check(&reference, b).is_err(), "{b}");
    }
    ps_support::check(
        &reference,
        "Enable-ExchangeCertificate -Server EX01 -Thumbprint '<new thumbprint>' -Services IIS",
    )
    .unwrap();
    assert_eq!(
        ps_support::top_level_statements("# note\nfunction Repair-A {\n    iisreset a\n}\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        ps_support::top_level_statements("function Repair-A { iisreset a }\niisreset b\n").len(),
        1
    );
}

/// remediation.ps1 of the demo, years later (every procedure at once):
/// it parses, defines functions only, and each command in it passes the
/// same checks as the steps.
#[test]
fn remediation_ps1_parses_and_runs_nothing_when_loaded() {
    let reference = ps_support::reference();
    for r in demo_reports().iter().chain(store_reports().iter()) {
        let ps1 = excert::report::script::render(r);
        assert_eq!(
            ps_support::syntax_errors(&ps1),
            Vec::<String>::new(),
            "{ps1}"
        );
        assert_eq!(ps_support::top_level_statements(&ps1), Vec::<String>::new());
        ps_support::check(&reference, &ps1).unwrap();
    }
}

/// Every builder, also those the demo and the fixtures do not reach
/// (Edge, TLS 1.2, STARTTLS, IMAP/POP, an IP target), parses and fits the
/// reference.
#[test]
fn every_builder_gives_commands_that_fit_the_reference() {
    use excert::analyze::remediation as r;
    use excert::model::{Group, Role, Status};
    let reference = ps_support::reference();
    let now = time::macros::datetime!(2026-06-01 0:00 UTC);
    let key = excert::lab::certs::key(1);
    let own = excert::lab::certs::exchange_self_signed("EX01", "contoso.com", now, &key);
    let own = excert::analyze::cert::facts(&own.chain[0], now);
    let ca = excert::lab::LabCa::new(now);
    let public = ca.issue(&["mail.contoso.com"], now, now + Duration::days(90), &key);
    let public = excert::analyze::cert::facts(&public.chain[0], now);
    let t = own.sha1.as_str();
    let date = time::macros::date!(2026 - 07 - 01);
    let group = Group {
        exchange_version: Some("2016".into()),
        exchange_build: Some("15.1.2507.6".into()),
        ..Group::default()
    };
    let mut steps = Vec::new();
    for host in ["ex01.contoso.com", "EX01", "10.0.0.5"] {
        steps.extend(r::renew_backend(host, 1444, &group, &own));
        steps.extend(r::bind_renewed(host, 1444, &own));
        steps.extend(r::fix_backend_binding(host, 1444));
        steps.extend(r::bind_own_backend(host, 444, t));
        steps.extend(r::do_not_renew_backend(host, 444, t));
        steps.push(r::remove_old(host, t));
        steps.extend(r::edge_subscription(host, Some("HQ")));
        steps.extend(r::edge_subscription(host, None));
        steps.push(r::rebind_public(host, Some(t)));
        steps.push(r::rebind_public(host, None));
        steps.extend(r::public_binding_lost(host, 443, Some(t)));
        steps.extend(r::bind_fleet_public(host, 443, t));
        steps.extend(r::renew_public(host, 443, t));
        steps.extend(r::replace_self_signed_public(host, 443, t));
        steps.extend(r::new_public_cert(host, Some(&public)));
        steps.extend(r::trusted_public(host, 443));
        steps.extend(r::add_names(host, 443, &["mail.contoso.com".to_string()]));
        for role in [
            Role::Frontend,
            Role::Backend,
            Role::Smtp,
            Role::Imap,
            Role::Pop,
        ] {
            steps.extend(r::reissue_sha256(host, 443, role));
            steps.extend(r::stronger_key(host, 443, role));
            steps.extend(r::enable_renewed(host, 443, t, &public.sha1, role));
            steps.push(r::check_endpoint(host, 443, role, Status::Refused));
        }
        steps.push(r::enable_tls12(host, 443));
        for edge in [false, true] {
            for role in [Role::Smtp, Role::Imap, Role::Pop] {
                steps.extend(r::renew_transport(host, 25, role, &own, None, edge));
                steps.extend(r::renew_transport(host, 25, role, &public, None, edge));
                steps.extend(r::renew_transport(host, 25, role, &public, Some(t), edge));
                steps.push(r::enable_transport(host, 25, role, t, edge));
                steps.push(r::offer_starttls(host, 25, role, true, edge));
            }
            steps.extend(r::smtp_fleet_cert(host, 25, t, edge));
        }
        steps.push(r::check_connectors(host, t));
        for expired in [false, true] {
            for staged in [None, Some((t, date))] {
                steps.extend(r::rotate_auth(host, expired, staged, true, &[host, "ex02"]));
            }
        }
        steps.push(r::import_auth(host, t));
        steps.extend(r::check_iis_binding(host, 443, Some(t)));
        steps.push(r::fix_hybrid_connector(host, "Inbound from Office 365"));
    }
    let mut failures = Vec::new();
    let mut n = 0;
    for s in &steps {
        if let Some(c) = s.command() {
            n += 1;
            if let Err(e) = ps_support::check(&reference, c) {
                failures.push(e);
            }
            if let Err(e) = ps_support::check_version(&reference, c, "2016") {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(n > 300, "{n}");
}
