//! Stage 1 through the library: the files admins actually have become the
//! endpoints they expect, and bad input is reported line by line.
//!
//! Names are pinned with `--resolve` (or are IP literals) so nothing here
//! depends on DNS, except `localhost` (always in /etc/hosts) and a name
//! under `.invalid`, which RFC 6761 guarantees never resolves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Cursor;
use std::net::IpAddr;
use std::path::PathBuf;

use excert::config::{Input, TargetOptions};
use excert::error::Error;
use excert::model::{Endpoint, Group};
use excert::targets::{self, TargetList};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/inputs")
        .join(name)
}

fn opts(inputs: Vec<Input>) -> TargetOptions {
    TargetOptions {
        inputs,
        frontend_ports: vec![443],
        backend_ports: vec![444],
        ..TargetOptions::default()
    }
}

fn args(hosts: &[&str]) -> TargetOptions {
    opts(hosts.iter().map(|h| Input::Arg(h.to_string())).collect())
}

fn pin(host: &str, addr: &str) -> (String, IpAddr) {
    (host.to_string(), addr.parse().unwrap())
}

/// One endpoint as a line, so a whole list compares at a glance:
/// `host address:port role sni=... line=N`.
fn show(e: &Endpoint) -> String {
    let addr = e.address.map_or("-".to_string(), |a| match a {
        IpAddr::V6(v6) => format!("[{v6}]"),
        IpAddr::V4(v4) => v4.to_string(),
    });
    let source = e.source.as_ref().unwrap();
    let mut s = format!(
        "{} {}:{} {} sni={} line={}",
        e.host,
        addr,
        e.port,
        e.role.as_str(),
        e.sni.as_deref().unwrap_or("-"),
        source.line
    );
    if !e.aliases.is_empty() {
        s.push_str(&format!(" aliases={}", e.aliases.join(",")));
    }
    s
}

fn shown(list: &TargetList) -> Vec<String> {
    list.endpoints.iter().map(show).collect()
}

fn bad_lines(err: Error) -> Vec<String> {
    match err {
        Error::BadTargets(errors) => errors.iter().map(|e| e.to_string()).collect(),
        other => panic!("expected BadTargets, got {other:?}"),
    }
}

#[test]
fn utf16_file_from_a_powershell_redirect_loads_as_is() {
    let path = fixture("servers-utf16le.txt");
    let mut o = opts(vec![Input::File(path.clone())]);
    o.pins = vec![
        pin("ex01.contoso.local", "10.0.0.11"),
        pin("EX02.contoso.local", "10.0.0.12"),
    ];
    let list = targets::load(&o).unwrap();
    assert_eq!(
        shown(&list),
        [
            "EX01.contoso.local 10.0.0.11:443 frontend sni=ex01.contoso.local line=1",
            "EX01.contoso.local 10.0.0.11:444 backend sni=ex01.contoso.local line=1",
            "EX02.contoso.local 10.0.0.12:443 frontend sni=ex02.contoso.local line=2",
            "EX02.contoso.local 10.0.0.12:444 backend sni=ex02.contoso.local line=2",
            "EX03.contoso.local -:443 frontend sni=ex03.contoso.local line=3",
            "EX03.contoso.local -:444 backend sni=ex03.contoso.local line=3",
        ]
    );
    let source = list.endpoints[0].source.as_ref().unwrap();
    assert_eq!(source.file, path.display().to_string());
    assert!(list.invalid.is_empty());
}

#[test]
fn powershell_table_output_skips_its_heading() {
    let o = opts(vec![Input::File(fixture("servers-table-utf16le.txt"))]);
    let list = targets::load(&o).unwrap();
    let hosts: Vec<(String, usize)> = list
        .endpoints
        .iter()
        .map(|e| (e.host.clone(), e.source.as_ref().unwrap().line))
        .collect();
    assert_eq!(
        hosts,
        [
            ("EX01.contoso.local".to_string(), 4),
            ("EX01.contoso.local".to_string(), 4),
            ("EX02.contoso.local".to_string(), 5),
            ("EX02.contoso.local".to_string(), 5),
        ]
    );
}

#[test]
fn export_csv_with_type_line_uses_fqdn_and_carries_site_role_and_dag() {
    let o = opts(vec![Input::File(fixture("servers-export.csv"))]);
    let list = targets::load(&o).unwrap();
    assert_eq!(
        shown(&list),
        [
            "EX01.contoso.local -:443 frontend sni=ex01.contoso.local line=3",
            "EX01.contoso.local -:444 backend sni=ex01.contoso.local line=3",
            "EX02.contoso.local -:443 frontend sni=ex02.contoso.local line=4",
            "EX02.contoso.local -:444 backend sni=ex02.contoso.local line=4",
            "EX03.contoso.local -:443 frontend sni=ex03.contoso.local line=5",
            "EX03.contoso.local -:444 backend sni=ex03.contoso.local line=5",
        ]
    );
    assert_eq!(
        list.endpoints[0].group,
        Group {
            site: Some("HQ".into()),
            dag: Some("DAG01".into()),
            server_role: Some("Mailbox".into()),
            exchange_version: Some("2019".into()),
            exchange_build: Some("15.2.1544.4".into()),
        }
    );
    // A quoted field with a comma stays one field; an empty DAG is absent.
    assert_eq!(
        list.endpoints[5].group,
        Group {
            site: Some("Branch-1".into()),
            dag: None,
            server_role: Some("Mailbox, ClientAccess".into()),
            exchange_version: Some("2016".into()),
            exchange_build: Some("15.1.2507.6".into()),
        }
    );
}

#[test]
fn column_flag_picks_another_host_column() {
    let mut o = opts(vec![Input::File(fixture("servers-export.csv"))]);
    o.column = Some("name".into());
    let list = targets::load(&o).unwrap();
    let hosts: Vec<&str> = list.endpoints.iter().map(|e| e.host.as_str()).collect();
    assert_eq!(hosts, ["EX01", "EX01", "EX02", "EX02", "EX03", "EX03"]);
    assert_eq!(list.endpoints[0].sni.as_deref(), Some("ex01"));

    o.column = Some("Computer".into());
    let err = targets::load(&o).unwrap_err().to_string();
    assert!(
        err.contains("no column named \"Computer\"") && err.contains("Name, Fqdn, Site"),
        "{err}"
    );
}

#[test]
fn semicolon_csv_with_utf8_bom_from_regional_excel() {
    let o = opts(vec![Input::File(fixture("servers-semicolon.csv"))]);
    let list = targets::load(&o).unwrap();
    assert_eq!(
        shown(&list),
        [
            "ex11.fabrikam.de -:443 frontend sni=ex11.fabrikam.de line=2",
            "ex11.fabrikam.de -:444 backend sni=ex11.fabrikam.de line=2",
            "ex12.fabrikam.de -:443 frontend sni=ex12.fabrikam.de line=3",
            "ex12.fabrikam.de -:444 backend sni=ex12.fabrikam.de line=3",
        ]
    );
    assert_eq!(
        list.endpoints[0].group,
        Group {
            site: Some("Düsseldorf".into()),
            dag: Some("DAG-DUS".into()),
            server_role: None,
            ..Group::default()
        }
    );
}

#[test]
fn mixed_file_expands_cidr_ipv6_and_host_port() {
    let mut o = opts(vec![Input::File(fixture("mixed.txt"))]);
    o.pins = vec![pin("ex05.contoso.local", "10.20.31.6")];
    let list = targets::load(&o).unwrap();
    assert_eq!(
        shown(&list),
        [
            // A /30 without its network and broadcast addresses.
            "10.20.30.1 10.20.30.1:443 frontend sni=- line=2",
            "10.20.30.1 10.20.30.1:444 backend sni=- line=2",
            "10.20.30.2 10.20.30.2:443 frontend sni=- line=2",
            "10.20.30.2 10.20.30.2:444 backend sni=- line=2",
            "fd00:20::10 [fd00:20::10]:443 frontend sni=- line=3",
            "fd00:20::10 [fd00:20::10]:444 backend sni=- line=3",
            "fd00:20::11 [fd00:20::11]:444 backend sni=- line=4",
            "10.20.31.5 10.20.31.5:443 frontend sni=- line=6",
            "ex05.contoso.local 10.20.31.6:444 backend sni=ex05.contoso.local line=7",
            "EX06 -:443 frontend sni=ex06 line=8",
            "EX06 -:444 backend sni=ex06 line=8",
        ]
    );
}

#[test]
fn one_bad_line_stops_everything_and_names_file_line_and_text() {
    let path = fixture("one-bad-line.txt");
    let o = opts(vec![Input::File(path.clone())]);
    let err = targets::load(&o).unwrap_err();
    assert_eq!(
        bad_lines(err),
        [format!(
            "{}:2: \"44a\" is not a port number (1-65535): \"ex02.contoso.local:44a\"",
            path.display()
        )]
    );
}

#[test]
fn skip_invalid_scans_the_rest_and_lists_the_bad_line() {
    let path = fixture("one-bad-line.txt");
    let mut o = opts(vec![Input::File(path.clone())]);
    o.skip_invalid = true;
    let list = targets::load(&o).unwrap();
    let hosts: Vec<&str> = list.endpoints.iter().map(|e| e.host.as_str()).collect();
    assert_eq!(
        hosts,
        [
            "ex01.contoso.local",
            "ex01.contoso.local",
            "ex03.contoso.local",
            "ex03.contoso.local"
        ]
    );
    assert_eq!(list.invalid.len(), 1);
    assert_eq!(list.invalid[0].file, path.display().to_string());
    assert_eq!(list.invalid[0].line, 2);
    assert_eq!(list.invalid[0].text, "ex02.contoso.local:44a");
    assert!(list.invalid[0].error.contains("not a port number"));
}

#[test]
fn every_bad_argument_is_reported_with_its_position() {
    let o = args(&["ex01", "ex..02", "10.1.2.0/33", "ex03:8443", "[fd00::1"]);
    assert_eq!(
        bad_lines(targets::load(&o).unwrap_err()),
        [
            "args:2: empty label in host name (two dots in a row?): \"ex..02\"",
            "args:3: not a valid CIDR range (e.g. 10.1.2.0/28 or fd00::/120): \"10.1.2.0/33\"",
            "args:4: port 8443 is in none of --frontend-ports (443), --backend-ports (444): \"ex03:8443\"",
            "args:5: missing ']' after the IPv6 address: \"[fd00::1\"",
        ]
    );
}

#[test]
fn a_host_port_takes_the_role_of_the_list_its_port_is_in() {
    let mut o = args(&["ex01:8443", "ex01:4444"]);
    o.frontend_ports = vec![443, 8443];
    o.backend_ports = vec![444, 4444];
    o.pins = vec![pin("ex01", "10.0.0.1")];
    let list = targets::load(&o).unwrap();
    assert_eq!(
        shown(&list),
        [
            "ex01 10.0.0.1:8443 frontend sni=ex01 line=1",
            "ex01 10.0.0.1:4444 backend sni=ex01 line=2",
        ]
    );
}

#[test]
fn oversized_cidr_is_refused_unless_allowed() {
    let mut o = opts(vec![Input::Arg("10.0.0.0/15".into())]);
    o.backend_ports = vec![];
    assert_eq!(
        bad_lines(targets::load(&o).unwrap_err()),
        ["args:1: range of 131,072 addresses is larger than 65,536; split it or give --allow-large-ranges: \"10.0.0.0/15\""]
    );
    // A /16 is exactly the limit.
    o.inputs = vec![Input::Arg("10.1.0.0/16".into())];
    assert_eq!(targets::load(&o).unwrap().endpoints.len(), 65_534);

    o.inputs = vec![Input::Arg("10.0.0.0/15".into())];
    o.allow_large_ranges = true;
    let list = targets::load(&o).unwrap();
    assert_eq!(list.endpoints.len(), 131_070);
    assert_eq!(list.endpoints[0].host, "10.0.0.1");
    assert_eq!(list.endpoints[131_069].host, "10.1.255.254");

    // Some ranges are too large for any flag, and must fail without trying.
    o.inputs = vec![
        Input::Arg("fd00::/64".into()),
        Input::Arg("0.0.0.0/0".into()),
    ];
    let errors = bad_lines(targets::load(&o).unwrap_err());
    assert_eq!(errors.len(), 2);
    assert!(
        errors[0].contains("2^64 addresses is too large"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains("2^32 addresses is too large"),
        "{}",
        errors[1]
    );
}

#[test]
fn small_v4_and_v6_ranges_expand_fully() {
    let mut o = args(&["192.0.2.10/31", "fd00::/126"]);
    o.backend_ports = vec![];
    let list = targets::load(&o).unwrap();
    let hosts: Vec<&str> = list.endpoints.iter().map(|e| e.host.as_str()).collect();
    assert_eq!(
        hosts,
        [
            "192.0.2.10",
            "192.0.2.11",
            "fd00::",
            "fd00::1",
            "fd00::2",
            "fd00::3"
        ]
    );
}

#[test]
fn hostile_lines_give_escaped_errors_not_panics() {
    let long = "a".repeat(2_000_000);
    let text = format!("ex01\nex\u{1b}[2J02\n{long}\nex\u{200b}03\n");
    let o = opts(vec![Input::Stdin]);
    let err = targets::load_with_stdin(&o, &mut Cursor::new(text)).unwrap_err();
    let lines = bad_lines(err);
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        "-:2: contains control characters: \"ex\\u{1b}[2J02\""
    );
    assert!(lines[1].starts_with("-:3: longer than 1024 characters: \"aaa"));
    assert!(
        lines[1].len() < 300,
        "the long line is clipped in the message"
    );
    assert!(lines[2].starts_with("-:4: contains the non-ASCII character U+200B"));
    for l in &lines {
        assert!(!l.chars().any(char::is_control), "{l:?}");
    }
}

#[test]
fn a_file_of_mostly_garbage_is_refused_whole() {
    let text = "not a host!\n".repeat(1500);
    let mut o = opts(vec![Input::Stdin]);
    o.skip_invalid = true;
    let err = targets::load_with_stdin(&o, &mut Cursor::new(text)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "-: more than 1000 invalid lines; is this a list of servers?"
    );
}

#[test]
fn files_that_are_not_text_are_refused_whole() {
    let dir = std::env::temp_dir().join(format!("excert-targets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.txt");
    std::fs::write(&big, "ex01\n".repeat(2_200_000)).unwrap();
    let err = targets::load(&opts(vec![Input::File(big.clone())]))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{}: larger than the 10 MB limit for a targets file; is this the right file?",
            big.display()
        )
    );
    let no_bom = dir.join("no-bom.txt");
    let bytes: Vec<u8> = "ex01\r\n"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    std::fs::write(&no_bom, bytes).unwrap();
    let err = targets::load(&opts(vec![Input::File(no_bom)]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("UTF-16 without a byte order mark"), "{err}");
    let missing = dir.join("missing.txt");
    let err = targets::load(&opts(vec![Input::File(missing.clone())])).unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    assert!(err.to_string().starts_with(&missing.display().to_string()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stdin_is_read_like_a_file() {
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "EX01\r\n10.0.0.9\r\n"
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes()),
        )
        .collect();
    let mut o = opts(vec![Input::Arg("ex00".into()), Input::Stdin, Input::Stdin]);
    o.backend_ports = vec![];
    let list = targets::load_with_stdin(&o, &mut Cursor::new(utf16)).unwrap();
    assert_eq!(
        shown(&list),
        [
            "ex00 -:443 frontend sni=ex00 line=1",
            "EX01 -:443 frontend sni=ex01 line=1",
            "10.0.0.9 10.0.0.9:443 frontend sni=- line=2",
        ]
    );
    let files: Vec<&str> = list
        .endpoints
        .iter()
        .map(|e| e.source.as_ref().unwrap().file.as_str())
        .collect();
    assert_eq!(files, ["args", "-", "-"]);
}

#[test]
fn no_targets_is_a_usage_error() {
    let err = targets::load(&opts(vec![])).unwrap_err();
    assert!(matches!(err, Error::Usage(_)));
    assert_eq!(
        err.to_string(),
        "no targets: give hosts, --targets-file FILE, or - to read stdin"
    );
    let o = opts(vec![Input::Stdin]);
    let err = targets::load_with_stdin(&o, &mut Cursor::new("# nothing yet\n\n")).unwrap_err();
    assert!(matches!(err, Error::Usage(_)));
}

#[test]
fn sni_flag_replaces_the_name_on_every_endpoint() {
    let mut o = args(&["10.0.0.5", "EX01"]);
    o.sni = Some("Mail.Contoso.com".into());
    let list = targets::load(&o).unwrap();
    assert!(list
        .endpoints
        .iter()
        .all(|e| e.sni.as_deref() == Some("mail.contoso.com")));
    // Without it, an IP literal never gets an SNI and a name's trailing dot goes.
    let list = targets::load(&args(&["10.0.0.5", "EX01.Contoso.local."])).unwrap();
    let sni: Vec<Option<&str>> = list.endpoints.iter().map(|e| e.sni.as_deref()).collect();
    assert_eq!(
        sni,
        [
            None,
            None,
            Some("ex01.contoso.local"),
            Some("ex01.contoso.local")
        ]
    );
}

#[tokio::test]
async fn names_meeting_at_one_address_are_probed_once_with_aliases() {
    let mut o = args(&[
        "ex01.contoso.local",
        "mail.contoso.com",
        "10.0.0.11",
        "EX01.CONTOSO.LOCAL",
        "ex02.contoso.local",
    ]);
    o.pins = vec![
        pin("ex01.contoso.local", "10.0.0.11"),
        pin("mail.contoso.com", "10.0.0.11"),
        pin("ex02.contoso.local", "10.0.0.12"),
    ];
    let list = targets::load(&o).unwrap();
    let resolved = targets::resolve(list, &o).await;
    let lines: Vec<String> = resolved.iter().map(|(e, _)| show(e)).collect();
    assert_eq!(
        lines,
        [
            "ex01.contoso.local 10.0.0.11:443 frontend sni=ex01.contoso.local line=1 aliases=mail.contoso.com,10.0.0.11",
            "ex01.contoso.local 10.0.0.11:444 backend sni=ex01.contoso.local line=1 aliases=mail.contoso.com,10.0.0.11",
            "ex02.contoso.local 10.0.0.12:443 frontend sni=ex02.contoso.local line=5",
            "ex02.contoso.local 10.0.0.12:444 backend sni=ex02.contoso.local line=5",
        ]
    );
    assert!(resolved.iter().all(|(_, err)| err.is_none()));
}

#[tokio::test]
async fn pins_bypass_dns_and_all_addresses_keeps_every_pin() {
    let mut o = args(&["ex01"]);
    o.backend_ports = vec![];
    o.pins = vec![pin("EX01", "10.9.9.1"), pin("ex01", "fd00::9")];
    let resolved = targets::resolve(targets::load(&o).unwrap(), &o).await;
    let lines: Vec<String> = resolved.iter().map(|(e, _)| show(e)).collect();
    assert_eq!(lines, ["ex01 10.9.9.1:443 frontend sni=ex01 line=1"]);

    o.all_addresses = true;
    let resolved = targets::resolve(targets::load(&o).unwrap(), &o).await;
    let lines: Vec<String> = resolved.iter().map(|(e, _)| show(e)).collect();
    assert_eq!(
        lines,
        [
            "ex01 10.9.9.1:443 frontend sni=ex01 line=1",
            "ex01 [fd00::9]:443 frontend sni=ex01 line=1",
        ]
    );
}

#[tokio::test]
async fn a_short_name_resolves_through_etc_hosts() {
    let mut o = args(&["localhost"]);
    o.backend_ports = vec![];
    let resolved = targets::resolve(targets::load(&o).unwrap(), &o).await;
    assert_eq!(resolved.len(), 1);
    let (e, err) = &resolved[0];
    assert_eq!(err, &None);
    assert_eq!(e.address, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(e.sni.as_deref(), Some("localhost"));

    o.all_addresses = true;
    let resolved = targets::resolve(targets::load(&o).unwrap(), &o).await;
    let addrs: Vec<IpAddr> = resolved.iter().filter_map(|(e, _)| e.address).collect();
    assert!(addrs.contains(&"127.0.0.1".parse().unwrap()), "{addrs:?}");
    assert!(addrs.iter().all(|a| a.is_loopback()), "{addrs:?}");
}

#[tokio::test]
async fn a_name_that_does_not_resolve_keeps_no_address_and_the_resolver_message() {
    let o = args(&["nowhere.invalid", "NOWHERE.invalid", "127.0.0.1"]);
    let resolved = targets::resolve(targets::load(&o).unwrap(), &o).await;
    let lines: Vec<String> = resolved.iter().map(|(e, _)| show(e)).collect();
    assert_eq!(
        lines,
        [
            "nowhere.invalid -:443 frontend sni=nowhere.invalid line=1",
            "nowhere.invalid -:444 backend sni=nowhere.invalid line=1",
            "127.0.0.1 127.0.0.1:443 frontend sni=- line=3",
            "127.0.0.1 127.0.0.1:444 backend sni=- line=3",
        ]
    );
    let err = resolved[0].1.as_deref().unwrap();
    assert!(err.starts_with("cannot resolve nowhere.invalid: "), "{err}");
    assert_eq!(resolved[2].1, None);
}

#[tokio::test]
async fn many_names_resolve_once_each_in_input_order() {
    // 20 names, each listed twice: each distinct name fails once, and the
    // results keep the input order although lookups finish in any order.
    // (Few names: some sandboxed resolvers rate-limit queries.)
    let names: Vec<String> = (0..20).map(|i| format!("host{i}.invalid")).collect();
    let inputs = names
        .iter()
        .chain(names.iter())
        .map(|n| Input::Arg(n.clone()));
    let mut o = opts(inputs.collect());
    o.backend_ports = vec![];
    let resolved = targets::resolve(targets::load(&o).unwrap(), &o).await;
    let hosts: Vec<&str> = resolved.iter().map(|(e, _)| e.host.as_str()).collect();
    assert_eq!(hosts, names.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(resolved.iter().all(|(_, err)| err.is_some()));
}

#[tokio::test]
async fn dry_run_lines_have_fixed_keys_in_order() {
    let path = fixture("servers-export.csv");
    let mut o = opts(vec![
        Input::File(path.clone()),
        Input::Arg("nowhere.invalid".into()),
    ]);
    o.backend_ports = vec![];
    o.pins = vec![
        pin("ex01.contoso.local", "10.0.0.11"),
        pin("ex02.contoso.local", "10.0.0.12"),
        pin("ex03.contoso.local", "10.0.0.11"),
    ];
    let resolved = targets::resolve(targets::load(&o).unwrap(), &o).await;
    let lines = targets::dry_run_lines(&resolved);
    assert_eq!(lines.len(), 3);
    let file = serde_json::to_string(&path.display().to_string()).unwrap();
    assert_eq!(
        lines[0],
        format!(
            "{{\"host\":\"EX01.contoso.local\",\"address\":\"10.0.0.11\",\"port\":443,\
             \"role\":\"frontend\",\"sni\":\"ex01.contoso.local\",\
             \"group\":{{\"site\":\"HQ\",\"dag\":\"DAG01\",\"server_role\":\"Mailbox\",\
             \"exchange_version\":\"2019\",\"exchange_build\":\"15.2.1544.4\"}},\
             \"file\":{file},\"line\":3,\"aliases\":[\"EX03.contoso.local\"],\"error\":null,\
             \"skipped\":null,\"forwards_to\":null}}"
        )
    );
    let last: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
    assert_eq!(last["host"], "nowhere.invalid");
    assert_eq!(last["address"], serde_json::Value::Null);
    assert_eq!(last["group"], serde_json::json!({}));
    assert_eq!(last["file"], "args");
    assert_eq!(last["line"], 2);
    assert!(last["error"]
        .as_str()
        .unwrap()
        .starts_with("cannot resolve nowhere.invalid"));
}

#[test]
fn bad_entries_and_bad_files_carry_their_facts_and_exit_64() {
    let err = targets::load(&args(&["ex01:0", "10.0.0.0/12"])).unwrap_err();
    assert_eq!(err.exit_code(), 64);
    let Error::BadTargets(list) = err else {
        panic!("expected BadTargets");
    };
    let errors: Vec<&targets::TargetError> = list
        .iter()
        .map(|e| match e {
            Error::BadTarget { error, .. } => error,
            other => panic!("expected BadTarget, got {other:?}"),
        })
        .collect();
    assert_eq!(
        errors,
        [
            &targets::TargetError::PortZero,
            &targets::TargetError::RangeTooLarge {
                addresses: 1 << 20,
                limit: targets::LARGE_RANGE
            },
        ]
    );
    let o = opts(vec![Input::Stdin]);
    let err =
        targets::load_with_stdin(&o, &mut Cursor::new(b"PK\x03\x04zip".to_vec())).unwrap_err();
    assert_eq!(err.exit_code(), 64);
    assert_eq!(
        err.to_string(),
        "-: this looks like an Excel workbook or other zip file; save it as CSV"
    );
    assert!(matches!(err, Error::BadTargetsFile { .. }), "{err:?}");
}
