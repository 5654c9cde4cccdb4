//! `excert targets` (the dry run) through the real binary, on the committed
//! sample files: what an admin sees before anything is scanned.
//!
//! Contract: one JSON object per endpoint on stdout and exit 0; on bad input
//! nothing on stdout, one `file:line: message: "text"` line per bad entry
//! on stderr, and exit 64. These tests need the `targets` command wired in
//! scanner/app.rs (load, resolve, print `dry_run_lines`); until that lands
//! on a branch they fail there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn excert(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_excert"))
        .args(args)
        // Paths in messages are then as typed: fixtures/inputs/...
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or_default()).unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// Run a dry run that must succeed; its lines as JSON.
fn dry_run(args: &[&str], stdin: Option<&[u8]>) -> Vec<Value> {
    let mut full = vec!["targets"];
    full.extend_from_slice(args);
    let out = excert(&full, stdin);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Run a dry run that must fail as bad input; its stdout and stderr.
fn refused(args: &[&str]) -> (String, String) {
    let mut full = vec!["targets"];
    full.extend_from_slice(args);
    let out = excert(&full, None);
    assert_eq!(out.status.code(), Some(64));
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `host address port role sni file:line` per endpoint.
fn brief(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            format!(
                "{} {} {} {} {} {}:{}",
                l["host"].as_str().unwrap(),
                l["address"].as_str().unwrap_or("null"),
                l["port"],
                l["role"].as_str().unwrap(),
                l["sni"].as_str().unwrap_or("null"),
                l["file"].as_str().unwrap(),
                l["line"]
            )
        })
        .collect()
}

#[test]
fn utf16_powershell_file_lists_every_endpoint() {
    let lines = dry_run(
        &[
            "--targets-file",
            "fixtures/inputs/servers-utf16le.txt",
            "--resolve",
            "ex01.contoso.local:10.0.0.11",
            "--resolve",
            "ex02.contoso.local:10.0.0.12",
            "--resolve",
            "ex03.contoso.local:10.0.0.13",
        ],
        None,
    );
    let f = "fixtures/inputs/servers-utf16le.txt";
    assert_eq!(
        brief(&lines),
        [
            format!("EX01.contoso.local 10.0.0.11 443 frontend ex01.contoso.local {f}:1"),
            format!("EX01.contoso.local 10.0.0.11 444 backend ex01.contoso.local {f}:1"),
            format!("EX01.contoso.local 10.0.0.11 25 smtp ex01.contoso.local {f}:1"),
            format!("EX02.contoso.local 10.0.0.12 443 frontend ex02.contoso.local {f}:2"),
            format!("EX02.contoso.local 10.0.0.12 444 backend ex02.contoso.local {f}:2"),
            format!("EX02.contoso.local 10.0.0.12 25 smtp ex02.contoso.local {f}:2"),
            format!("EX03.contoso.local 10.0.0.13 443 frontend ex03.contoso.local {f}:3"),
            format!("EX03.contoso.local 10.0.0.13 444 backend ex03.contoso.local {f}:3"),
            format!("EX03.contoso.local 10.0.0.13 25 smtp ex03.contoso.local {f}:3"),
        ]
    );
}

#[test]
fn export_csv_shows_groups_and_exact_keys() {
    let lines = dry_run(
        &[
            "--targets-file",
            "fixtures/inputs/servers-export.csv",
            "--backend-ports",
            "444",
            "--frontend-ports",
            "443",
            "--resolve",
            "ex01.contoso.local:10.0.0.11",
            "--resolve",
            "ex02.contoso.local:10.0.0.12",
            "--resolve",
            "ex03.contoso.local:10.0.0.13",
        ],
        None,
    );
    // 443, 444 and SMTP 25 (the default --smtp-ports) per server.
    assert_eq!(lines.len(), 9);
    let keys: Vec<&str> = lines[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = [
        "host",
        "address",
        "port",
        "role",
        "sni",
        "group",
        "file",
        "line",
        "aliases",
        "error",
        "skipped",
        "forwards_to",
    ];
    // serde_json's map may sort keys; the set is the contract here.
    let mut got = keys.clone();
    got.sort_unstable();
    expected.sort_unstable();
    assert_eq!(got, expected);
    assert_eq!(
        lines[0]["group"],
        serde_json::json!({"site": "HQ", "dag": "DAG01", "server_role": "Mailbox",
                           "exchange_version": "2019", "exchange_build": "15.2.1544.4"})
    );
    assert_eq!(lines[0]["line"], 3);
    assert_eq!(
        lines[8]["group"],
        serde_json::json!({"site": "Branch-1", "server_role": "Mailbox, ClientAccess",
                           "exchange_version": "2016", "exchange_build": "15.1.2507.6"})
    );
    assert_eq!(lines[8]["line"], 5);
}

#[test]
fn semicolon_csv_lists_its_servers() {
    let lines = dry_run(
        &[
            "--targets-file",
            "fixtures/inputs/servers-semicolon.csv",
            "--resolve",
            "ex11.fabrikam.de:10.1.0.11",
            "--resolve",
            "ex12.fabrikam.de:10.1.0.12",
        ],
        None,
    );
    let f = "fixtures/inputs/servers-semicolon.csv";
    assert_eq!(
        brief(&lines),
        [
            format!("ex11.fabrikam.de 10.1.0.11 443 frontend ex11.fabrikam.de {f}:2"),
            format!("ex11.fabrikam.de 10.1.0.11 444 backend ex11.fabrikam.de {f}:2"),
            format!("ex11.fabrikam.de 10.1.0.11 25 smtp ex11.fabrikam.de {f}:2"),
            format!("ex12.fabrikam.de 10.1.0.12 443 frontend ex12.fabrikam.de {f}:3"),
            format!("ex12.fabrikam.de 10.1.0.12 444 backend ex12.fabrikam.de {f}:3"),
            format!("ex12.fabrikam.de 10.1.0.12 25 smtp ex12.fabrikam.de {f}:3"),
        ]
    );
    assert_eq!(lines[0]["group"]["site"], "Düsseldorf");
    assert_eq!(lines[0]["group"]["dag"], "DAG-DUS");
}

#[test]
fn mixed_file_expands_ranges_ipv6_and_ports() {
    let lines = dry_run(
        &[
            "--targets-file",
            "fixtures/inputs/mixed.txt",
            "--resolve",
            "ex05.contoso.local:10.20.31.6",
            "--resolve",
            "ex06:10.20.31.7",
        ],
        None,
    );
    let f = "fixtures/inputs/mixed.txt";
    assert_eq!(
        brief(&lines),
        [
            format!("10.20.30.1 10.20.30.1 443 frontend null {f}:2"),
            format!("10.20.30.1 10.20.30.1 444 backend null {f}:2"),
            format!("10.20.30.1 10.20.30.1 25 smtp null {f}:2"),
            format!("10.20.30.2 10.20.30.2 443 frontend null {f}:2"),
            format!("10.20.30.2 10.20.30.2 444 backend null {f}:2"),
            format!("10.20.30.2 10.20.30.2 25 smtp null {f}:2"),
            format!("fd00:20::10 fd00:20::10 443 frontend null {f}:3"),
            format!("fd00:20::10 fd00:20::10 444 backend null {f}:3"),
            format!("fd00:20::10 fd00:20::10 25 smtp null {f}:3"),
            format!("fd00:20::11 fd00:20::11 444 backend null {f}:4"),
            format!("10.20.31.5 10.20.31.5 443 frontend null {f}:6"),
            format!("ex05.contoso.local 10.20.31.6 444 backend ex05.contoso.local {f}:7"),
            format!("EX06 10.20.31.7 443 frontend ex06 {f}:8"),
            format!("EX06 10.20.31.7 444 backend ex06 {f}:8"),
            format!("EX06 10.20.31.7 25 smtp ex06 {f}:8"),
        ]
    );
}

#[test]
fn a_bad_line_is_reported_and_nothing_is_listed() {
    let (stdout, stderr) = refused(&["--targets-file", "fixtures/inputs/one-bad-line.txt"]);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(
            "fixtures/inputs/one-bad-line.txt:2: \"44a\" is not a port number (1-65535): \
             \"ex02.contoso.local:44a\""
        ),
        "{stderr}"
    );
}

#[test]
fn every_bad_argument_gets_its_own_line() {
    let (stdout, stderr) = refused(&["ex01", "ex..02", "ex03:8443"]);
    assert_eq!(stdout, "");
    assert!(stderr.contains("args:2: empty label in host name (two dots in a row?): \"ex..02\""));
    assert!(stderr.contains(
        "args:3: port 8443 is in none of --frontend-ports (443), --backend-ports (444), \
         --smtp-ports (25): \"ex03:8443\""
    ));
}

#[test]
fn skip_invalid_lists_the_rest() {
    let lines = dry_run(
        &[
            "--targets-file",
            "fixtures/inputs/one-bad-line.txt",
            "--skip-invalid",
            "--resolve",
            "ex01.contoso.local:10.0.0.1",
            "--resolve",
            "ex03.contoso.local:10.0.0.3",
        ],
        None,
    );
    let hosts: Vec<&str> = lines.iter().map(|l| l["host"].as_str().unwrap()).collect();
    assert_eq!(
        hosts,
        [
            "ex01.contoso.local",
            "ex01.contoso.local",
            "ex01.contoso.local",
            "ex03.contoso.local",
            "ex03.contoso.local",
            "ex03.contoso.local"
        ]
    );
}

#[test]
fn an_oversized_range_is_refused() {
    let (stdout, stderr) = refused(&["10.0.0.0/15"]);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(
            "args:1: range of 131,072 addresses is larger than 65,536; split it or give \
             --allow-large-ranges: \"10.0.0.0/15\""
        ),
        "{stderr}"
    );
}

#[test]
fn stdin_takes_the_powershell_encoding_too() {
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "10.0.0.21\r\n10.0.0.22:444\r\n"
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes()),
        )
        .collect();
    let lines = dry_run(&["-"], Some(&utf16));
    assert_eq!(
        brief(&lines),
        [
            "10.0.0.21 10.0.0.21 443 frontend null -:1",
            "10.0.0.21 10.0.0.21 444 backend null -:1",
            "10.0.0.21 10.0.0.21 25 smtp null -:1",
            "10.0.0.22 10.0.0.22 444 backend null -:2",
        ]
    );
}

#[test]
fn a_short_name_resolves_through_etc_hosts_and_sni_can_be_set() {
    let lines = dry_run(&["localhost", "--backend-ports", "4444"], None);
    assert_eq!(
        brief(&lines),
        [
            "localhost 127.0.0.1 443 frontend localhost args:1",
            "localhost 127.0.0.1 4444 backend localhost args:1",
            "localhost 127.0.0.1 25 smtp localhost args:1",
        ]
    );
    let lines = dry_run(&["10.0.0.5", "--sni", "mail.contoso.com"], None);
    assert!(lines.iter().all(|l| l["sni"] == "mail.contoso.com"));
}

#[test]
fn aliases_and_dns_failures_show_in_the_listing() {
    let lines = dry_run(
        &[
            "ex01.contoso.local",
            "mail.contoso.com",
            "nowhere.invalid",
            "--frontend-ports",
            "443",
            "--backend-ports",
            "444",
            "--resolve",
            "ex01.contoso.local:10.0.0.11",
            "--resolve",
            "mail.contoso.com:10.0.0.11",
        ],
        None,
    );
    assert_eq!(lines.len(), 6, "443, 444 and SMTP 25 per name");
    assert_eq!(lines[0]["aliases"], serde_json::json!(["mail.contoso.com"]));
    assert_eq!(lines[3]["host"], "nowhere.invalid");
    assert_eq!(lines[3]["address"], Value::Null);
    assert!(lines[3]["error"]
        .as_str()
        .unwrap()
        .starts_with("cannot resolve nowhere.invalid"));
}

#[test]
fn no_targets_is_a_usage_error() {
    let (stdout, stderr) = refused(&[]);
    assert_eq!(stdout, "");
    assert!(stderr.contains("no targets"), "{stderr}");
}

/// Every host of the fleet export pinned, so nothing needs DNS.
const FLEET_PINS: [&str; 16] = [
    "--resolve",
    "EX01.contoso.local:10.0.0.1",
    "--resolve",
    "EX02.contoso.local:10.0.0.2",
    "--resolve",
    "exchange-mailbox01.contoso.local:10.0.0.3",
    "--resolve",
    "EX4096.contoso.local:10.0.0.4",
    "--resolve",
    "EX2013.contoso.local:10.0.0.5",
    "--resolve",
    "EX13CAS.contoso.local:10.0.0.6",
    "--resolve",
    "EX2010.contoso.local:10.0.0.7",
    "--resolve",
    "EDGE01.dmz.contoso.com:10.0.0.8",
];

#[test]
fn edge_servers_get_edgesync_and_every_server_its_tls_ports() {
    let mut args = vec![
        "--targets-file",
        "fixtures/inputs/get-exchangeserver-fleet.csv",
        "--tls-port",
        "wmsvc:8172",
        "--tls-port",
        "um:5061",
    ];
    args.extend(FLEET_PINS);
    let lines = dry_run(&args, None);
    let scanned = |host: &str, port: u64| {
        lines.iter().find(|l| {
            l["host"].as_str() == Some(host) && l["port"] == port && l["skipped"].is_null()
        })
    };
    // EdgeSync on the Edge server only, by default on 50636.
    let edge = scanned("EDGE01.dmz.contoso.com", 50636).expect("the Edge on EdgeSync");
    assert_eq!(edge["role"], "edgesync");
    assert!(edge.get("label").is_none());
    assert_eq!(
        lines.iter().filter(|l| l["port"] == 50636).count(),
        1,
        "no Mailbox server is probed on 50636"
    );
    assert!(scanned("EX01.contoso.local", 50636).is_none());
    // The --tls-port ports on every server, each with its label.
    for host in [
        "EX01.contoso.local",
        "EX2010.contoso.local",
        "EDGE01.dmz.contoso.com",
    ] {
        let w = scanned(host, 8172).unwrap_or_else(|| panic!("{host}:8172"));
        assert_eq!(
            (w["role"].as_str(), w["label"].as_str()),
            (Some("other"), Some("wmsvc"))
        );
        let u = scanned(host, 5061).unwrap_or_else(|| panic!("{host}:5061"));
        assert_eq!(u["label"], "um");
    }
    // --edgesync-ports none leaves EdgeSync out; another port moves it.
    let mut args = vec![
        "--targets-file",
        "fixtures/inputs/get-exchangeserver-fleet.csv",
        "--edgesync-ports",
        "none",
    ];
    args.extend(FLEET_PINS);
    assert!(dry_run(&args, None).iter().all(|l| l["role"] != "edgesync"));
    let lines = dry_run(
        &[
            "edge01",
            "--role",
            "edge01=Edge",
            "--edgesync-ports",
            "50637",
            "--resolve",
            "edge01:10.0.0.8",
        ],
        None,
    );
    assert_eq!(
        brief(
            &lines
                .iter()
                .filter(|l| l["skipped"].is_null())
                .cloned()
                .collect::<Vec<_>>()
        ),
        [
            "edge01 10.0.0.8 25 smtp edge01 args:1",
            "edge01 10.0.0.8 50637 edgesync edge01 args:1",
        ]
    );
}

/// A typed `host:8172` or `host:5061` is the Web Management Service or
/// Unified Messaging, which Exchange servers serve with implicit TLS: it is
/// scanned as `--tls-port` would, not refused as in no port list; any other
/// unlisted port still is.
#[test]
fn a_typed_wmsvc_or_um_port_is_scanned_with_its_label() {
    let lines = dry_run(
        &[
            "ex01:8172",
            "ex01:5061",
            "edge01:50636",
            "--resolve",
            "ex01:10.0.0.1",
            "--resolve",
            "edge01:10.0.0.8",
        ],
        None,
    );
    let got: Vec<(u64, &str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["port"].as_u64().unwrap(),
                l["role"].as_str().unwrap(),
                l["label"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (8172, "other", "wmsvc"),
            (5061, "other", "um"),
            (50636, "edgesync", "")
        ]
    );
    let (_, stderr) = refused(&["ex01:9443"]);
    assert!(stderr.contains("port 9443 is in none of"), "{stderr}");
}

#[test]
fn bad_tls_ports_and_edgesync_ports_are_refused_with_the_value() {
    for (args, message) in [
        (
            vec!["ex01", "--tls-port", "wmsvc"],
            "--tls-port wmsvc: expected LABEL:PORT",
        ),
        (
            vec!["ex01", "--tls-port", "WMSvc:8172"],
            "--tls-port WMSvc:8172: label \"WMSvc\" must be 1 to 20 lowercase letters",
        ),
        (
            vec!["ex01", "--tls-port", "wm svc;calc:8172"],
            "label \"wm svc;calc\" must be",
        ),
        (
            vec!["ex01", "--tls-port", "wmsvc:99999"],
            "\"99999\" is not a port number",
        ),
        (
            vec!["ex01", "--tls-port", "wmsvc:0"],
            "port 0 cannot be scanned",
        ),
        (
            vec!["ex01", "--tls-port", "wmsvc:8172", "--tls-port", "um:8172"],
            "port 8172 is already given as wmsvc:8172",
        ),
        (
            vec!["ex01", "--tls-port", "web:443"],
            "port 443 is in both --frontend-ports and --tls-port",
        ),
        (
            vec!["ex01", "--edgesync-ports", "ldaps"],
            "--edgesync-ports ldaps: expected port numbers",
        ),
    ] {
        let (stdout, stderr) = refused(&args);
        assert_eq!(stdout, "");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}
