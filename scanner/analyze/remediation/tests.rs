#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;
use crate::model::{CertFacts, Group, Role, Status};
use time::macros::datetime;

/// Text an attacker controls: a certificate CN, a host from a CSV, a
/// friendly or connector name from an export.
const HOSTILE: &[&str] = &[
    "X;calc;#",
    "$(calc)",
    "${calc}",
    "x`calc",
    "x'; calc; '",
    "x\u{2018}; calc; \u{2018}",
    "x\u{2019}; calc; \u{2019}",
    "x\u{201A}; calc; \u{201B}",
    "x\"; calc; \"",
    "x|calc",
    "x&calc",
    "x\ncalc",
    "x\r\ncalc #",
];

/// The command with every single-quoted string taken out, as PowerShell
/// reads it: any of the five single quotes opens and closes a string, and
/// two in a row inside one stand for one.
fn outside_quotes(cmd: &str) -> String {
    let q = |c: char| ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'].contains(&c);
    let mut out = String::new();
    let mut chars = cmd.chars().peekable();
    while let Some(c) = chars.next() {
        if !q(c) {
            out.push(c);
            continue;
        }
        loop {
            match chars.next() {
                None => return out + "<UNTERMINATED>",
                Some(c) if q(c) => {
                    if chars.peek().is_some_and(|n| q(*n)) {
                        chars.next();
                    } else {
                        break;
                    }
                }
                Some(_) => {}
            }
        }
    }
    out
}

fn assert_inert(steps: &[Step]) {
    for s in steps {
        if let Some(c) = s.command() {
            let bare = outside_quotes(c);
            assert!(
                !bare.contains("calc") && !c.contains('\n') && !c.contains('\r'),
                "hostile text can run in: {c}"
            );
        }
        assert!(!s.text().contains('\n'), "prose breaks lines: {}", s.text());
        for t in s.thumbprints.iter() {
            assert!(t.len() == 40 && t.chars().all(|c| c.is_ascii_hexdigit()));
        }
    }
}

fn cert_with_cn(cn: &str) -> CertFacts {
    let key = crate::lab::certs::key(1);
    let served = crate::lab::certs::exchange_self_signed(
        cn,
        "contoso.lab",
        datetime!(2021-01-01 00:00 UTC),
        &key,
    );
    crate::analyze::cert::facts(&served.chain[0], datetime!(2026-06-01 00:00 UTC))
}

fn every_builder(bad: &str) -> Vec<Step> {
    let cert = cert_with_cn(bad);
    let mut hostile_sha = cert.clone();
    hostile_sha.sha1 = bad.to_string();
    let group = Group {
        site: Some(bad.to_string()),
        ..Group::default()
    };
    let date = time::macros::date!(2026 - 07 - 01);
    let hostile_cert = hostile_sha.clone();
    let mut steps = Vec::new();
    for host in [bad, "ex01.contoso.lab", "10.0.0.5"] {
        for c in [&cert, &hostile_sha] {
            steps.extend(renew_backend(host, 1444, &group, c));
            steps.extend(bind_renewed(host, 1444, c));
            for role in [Role::Smtp, Role::Imap, Role::Pop] {
                for edge in [false, true] {
                    steps.extend(renew_transport(host, 25, role, c, Some(bad), edge));
                    steps.extend(renew_transport(host, 25, role, c, None, edge));
                }
            }
        }
        steps.extend(fix_backend_binding(host, 444));
        steps.extend(bind_own_backend(host, 444, bad));
        steps.extend(do_not_renew_backend(host, 444, bad));
        steps.push(repeat_on_dag_members(host));
        steps.push(remove_old(host, bad));
        steps.extend(edge_subscription(host, Some(bad)));
        steps.push(verify(host, &format!("excert scan {}", "ex01")));
        steps.push(rebind_public(host, Some(bad)));
        steps.extend(public_binding_lost(host, 443, Some(bad)));
        steps.extend(bind_fleet_public(host, 443, bad));
        steps.extend(renew_public(host, 443, bad));
        steps.extend(replace_self_signed_public(host, 443, bad));
        steps.extend(new_public_cert(host, Some(&hostile_cert)));
        steps.extend(trusted_public(host, 443));
        steps.extend(add_names(host, 443, &[bad.to_string()]));
        steps.push(import_intermediate(host, 443, bad));
        for role in [Role::Frontend, Role::Backend, Role::Smtp, Role::Imap] {
            steps.extend(reissue_sha256(host, 443, role));
            steps.extend(stronger_key(host, 443, role));
            steps.extend(enable_renewed(host, 443, bad, bad, role));
            steps.push(check_endpoint(host, 443, role, Status::NotTls));
        }
        steps.push(bind_valid_now(host, 443, bad, date));
        steps.push(rebind_unparsable(host, 443));
        steps.push(check_sni_bindings(host, 443));
        steps.push(enable_tls12(host, 443));
        steps.push(disable_legacy_tls(host, 443));
        steps.push(disable_tls13(host, false));
        steps.push(disable_tls13(host, true));
        steps.push(align_tls_versions(host, 443));
        steps.push(plan_upgrade(host, bad, bad));
        for edge in [false, true] {
            steps.push(enable_transport(host, 25, Role::Smtp, bad, edge));
            steps.push(offer_starttls(host, 25, Role::Smtp, true, edge));
            steps.push(offer_starttls(host, 993, Role::Imap, true, edge));
            steps.extend(smtp_fleet_cert(host, 25, bad, edge));
        }
        steps.push(check_connectors(host, bad));
        for expired in [false, true] {
            steps.extend(rotate_auth(host, expired, None, true, &[host, bad]));
            steps.extend(rotate_auth(host, expired, Some((bad, date)), true, &[bad]));
        }
        steps.push(import_auth(host, bad));
        steps.extend(check_iis_binding(host, 443, Some(bad)));
        steps.push(fix_hybrid_connector(host, bad));
    }
    steps
}

#[test]
fn nothing_hostile_can_run_from_any_builder() {
    for bad in HOSTILE {
        assert_inert(&every_builder(bad));
    }
}

#[test]
fn the_verify_line_quotes_what_is_not_plain() {
    let settings = crate::config::AnalysisSettings {
        namespaces: vec!["mail.contoso.com'; calc; '".into(), "x\ncalc".into()],
        as_of: datetime!(2026-06-01 00:00 UTC),
        warn_days: 60,
        critical_days: 30,
        site_namespaces: Default::default(),
        roots: Default::default(),
        ca_bundles: vec!["/tmp/a b;calc".into()],
    };
    let line = verify_command("ex01", &[], &settings);
    assert!(!outside_quotes(&line).contains("calc"), "{line}");
    assert!(!line.contains('\n'));
}

#[test]
fn an_ip_target_never_gets_a_numeric_domain_name() {
    let cert = cert_with_cn("127");
    let steps = renew_backend("127.0.0.1", 444, &Group::default(), &cert);
    let create = steps[0].command().unwrap();
    assert!(create.contains("-DomainName '<NetBIOS name>'"), "{create}");
    assert!(create.contains("-Server '<server>'"), "{create}");
    assert!(!create.contains("-DomainName 127"));
}

#[test]
fn the_backend_binding_is_removed_before_it_is_added_on_the_scanned_port() {
    let cert = cert_with_cn("EX01");
    let steps = renew_backend("ex01.contoso.lab", 1444, &Group::default(), &cert);
    let bind = steps
        .iter()
        .find(|s| s.task == Task::BindBackend)
        .and_then(|s| s.command())
        .unwrap();
    assert!(bind.starts_with("Invoke-Command -ComputerName ex01.contoso.lab"));
    assert!(bind.contains("-Port 1444"), "{bind}");
    let remove = bind.find(".RemoveSslCertificate()").unwrap();
    let add = bind
        .find(".AddSslCertificate('<new thumbprint>','My')")
        .unwrap();
    assert!(remove < add);
    assert!(!bind.contains("444;") || bind.contains("1444"));
    let create = steps[0].command().unwrap();
    assert!(create.contains("-DomainName EX01 "), "{create}");
    assert!(steps[0].text().contains("-Force answers yes"));
    assert_eq!(steps.last().unwrap().task, Task::RemoveOldCertificate);
}

#[test]
fn every_import_carries_file_data_and_server() {
    let cert = cert_with_cn("mail.contoso.com");
    let mut steps = renew_public("ex01", 443, &cert.sha1);
    steps.extend(bind_fleet_public("ex01", 443, &cert.sha1));
    let imports: Vec<&str> = steps
        .iter()
        .filter_map(|s| s.command())
        .filter(|c| c.contains("Import-ExchangeCertificate"))
        .collect();
    assert_eq!(imports.len(), 2);
    for c in imports {
        assert!(
            c.contains("-Server ex01 -FileData ([System.IO.File]::ReadAllBytes("),
            "{c}"
        );
        assert!(c.contains("-Password (Read-Host -AsSecureString"));
    }
}

#[test]
fn a_public_renewal_covers_smtp_connectors_iisreset_and_removes_the_old_one_last() {
    let old = "AB".repeat(20);
    let steps = renew_public("ex01", 443, &old);
    let tasks: Vec<Task> = steps.iter().map(|s| s.task).collect();
    assert_eq!(
        tasks,
        [
            Task::ReplacePublic,
            Task::ImportCertificate,
            Task::EnablePublic,
            Task::CheckConnector,
            Task::Iisreset,
            Task::RemoveOldCertificate
        ]
    );
    let enable = steps[2].command().unwrap();
    assert!(enable.contains("-Services IIS,SMTP"), "{enable}");
    assert!(steps[2].text().contains("answer N"));
    assert!(steps[2].text().contains("-DoNotRequireSsl"));
    assert!(steps[3].text().contains("Hybrid Configuration Wizard"));
    assert!(steps[5].command().unwrap().contains(&old));
}

#[test]
fn smtp_enables_say_how_to_answer_the_default_certificate_prompt() {
    let s = enable_transport("ex01", 25, Role::Smtp, &"CD".repeat(20), false);
    assert!(s.text().contains("answer N"), "{}", s.text());
}

#[test]
fn edge_commands_run_in_the_edge_shell_with_the_full_subscription_procedure() {
    let cert = cert_with_cn("EDGE01");
    let steps = renew_transport("edge01.contoso.lab", 25, Role::Smtp, &cert, None, true);
    for c in steps.iter().filter_map(|s| s.command()) {
        assert!(!c.contains("-Server"), "{c}");
        assert!(!c.contains("Invoke-Command"), "{c}");
    }
    let sub = edge_subscription("edge01.contoso.lab", Some("HQ"));
    let cmds: Vec<&str> = sub.iter().filter_map(|s| s.command()).collect();
    assert_eq!(
        cmds,
        [
            "New-EdgeSubscription -FileName 'C:\\EdgeSubscription.xml'",
            "Remove-EdgeSubscription -Identity edge01.contoso.lab",
            "New-EdgeSubscription -FileData ([System.IO.File]::ReadAllBytes('C:\\EdgeSubscription.xml')) -Site 'HQ'",
            "Start-EdgeSynchronization",
        ]
    );
}

#[test]
fn the_auth_certificate_is_rotated_once_for_the_organisation() {
    let servers = ["ex01", "ex02", "ex03", "ex04"];
    let steps = rotate_auth("ex01", true, None, true, &servers);
    let cmds: Vec<&str> = steps.iter().filter_map(|s| s.command()).collect();
    assert_eq!(
        cmds.iter()
            .filter(|c| c.starts_with("New-ExchangeCertificate"))
            .count(),
        1
    );
    assert!(cmds.contains(&"Set-AuthConfig -PublishCertificate"));
    assert!(cmds.contains(&"Set-AuthConfig -ClearPreviousCertificate"));
    let restart = cmds
        .iter()
        .find(|c| c.contains("Restart-Service MSExchangeServiceHost"))
        .unwrap();
    assert!(
        restart.starts_with("foreach ($s in 'ex01','ex02','ex03','ex04')"),
        "{restart}"
    );
    assert!(restart.contains("MSExchangeOWAAppPool") && restart.contains("MSExchangeECPAppPool"));
    assert!(steps[0].text().contains("answer N"));
    assert!(steps
        .iter()
        .any(|s| s.text().contains("Hybrid Configuration Wizard")));

    // Not expired yet: stage the next one, publish and clear nothing.
    let staged = rotate_auth("ex01", false, None, false, &servers);
    let cmds: Vec<&str> = staged.iter().filter_map(|s| s.command()).collect();
    assert!(cmds
        .iter()
        .any(|c| c.contains("MonitorExchangeAuthCertificate.ps1")));
    assert!(cmds
        .iter()
        .any(|c| c.contains("-NewCertificateEffectiveDate ((Get-Date).AddDays(30))")));
    assert!(!cmds.iter().any(|c| c.contains("PublishCertificate")));
    assert!(!cmds.iter().any(|c| c.contains("ClearPreviousCertificate")));

    // Per server, only the replication check.
    let check = import_auth("ex03", &"EF".repeat(20));
    assert_eq!(
        check.command(),
        Some(".\\MonitorExchangeAuthCertificate.ps1")
    );
}

#[test]
fn mail_ports_that_answered_are_not_sent_to_the_firewall() {
    let s = check_endpoint("ex01", 25, Role::Smtp, Status::NotTls);
    assert!(!s.text().contains("firewall"), "{}", s.text());
    assert!(s.text().contains("554"));
    let s = check_endpoint("ex01", 25, Role::Smtp, Status::Timeout);
    assert!(s.text().contains("firewall"));
}

#[test]
fn numbering_is_added_once_and_commands_follow_the_prose() {
    let steps = vec![
        rebind_unparsable("EX01", 443),
        check_sni_bindings("EX01", 443),
    ];
    let n = numbered(&steps);
    assert!(n[0].starts_with("1. On EX01 check the IIS"));
    assert!(n[1].starts_with("2. In IIS Manager on EX01"));
    assert!(inline(&steps).contains(" 2. In IIS Manager"));
    let s = rebind_public("EX01", None);
    assert!(!s.text().contains("Enable-ExchangeCertificate"));
    assert!(s
        .with_command()
        .contains(" Run: Enable-ExchangeCertificate -Server EX01"));
    assert!(s.text().contains(UNKNOWN_PUBLIC));
    assert!(s.thumbprints.is_empty());
}

#[test]
fn tls13_goes_off_on_both_sides_on_the_named_server_or_in_the_edge_shell() {
    let central = disable_tls13("ex01.contoso.lab", false);
    let c = central.command().unwrap_or_default();
    assert!(c.starts_with("Invoke-Command -ComputerName ex01.contoso.lab -ScriptBlock {"));
    assert!(c.contains("'Server','Client'") && c.contains("Protocols\\TLS 1.3\\$side"));
    assert!(central.text().contains("restart ex01.contoso.lab"));
    let edge = disable_tls13("edge01.dmz.contoso.com", true);
    let e = edge.command().unwrap_or_default();
    assert!(
        e.starts_with("foreach ($side in") && !e.contains("Invoke-Command"),
        "{e}"
    );
}
