//! `--load-balancer` as an admin types it: bad values refused with exit 64
//! before anything is sent, the dry run, and the demo fleet's VIP through
//! every output (scan.json, report.csv, servers.csv, report.html, the
//! terminal summary) and `excert diff`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support::*;

use excert::lab::{demo_fleet, Lab};
use excert::model::{FindingId, Role, Verdict};
use time::OffsetDateTime;

#[tokio::test]
async fn bad_values_exit_64_naming_the_flag() {
    for bad in [
        "",
        "=10.1.2.50",
        "10.1.2.50",
        "mail contoso com",
        "mail.contoso.com=",
        "mail.contoso.com=not an address",
        "mail.contoso.com=10.1.2.50:443",
    ] {
        let out = excert(&strings(&["targets", "ex01", "--load-balancer", bad])).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{bad:?}: {err}");
        assert!(err.contains("--load-balancer"), "{bad:?}: {err}");
        assert!(out.stdout.is_empty(), "{bad:?}");
    }
}

#[tokio::test]
async fn dry_run_lists_each_namespace_of_a_vip_on_https_and_smtp() {
    let out = excert(&strings(&[
        "targets",
        "--load-balancer",
        "mail.contoso.com=10.1.2.50",
        "--load-balancer",
        "Autodiscover.contoso.com=10.1.2.50",
    ]))
    .await;
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Two namespaces on one VIP are not folded into one endpoint.
    assert_eq!(lines.len(), 4);
    let seen: Vec<(u64, &str, &str)> = lines
        .iter()
        .map(|l| {
            assert_eq!(l["role"], "load_balancer");
            assert_eq!(l["address"], "10.1.2.50");
            assert_eq!(l["file"], "--load-balancer");
            (
                l["port"].as_u64().unwrap(),
                l["sni"].as_str().unwrap(),
                l["forwards_to"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (443, "mail.contoso.com", "frontend"),
            (25, "mail.contoso.com", "smtp"),
            (443, "autodiscover.contoso.com", "frontend"),
            (25, "autodiscover.contoso.com", "smtp"),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_vip_shows_in_every_output_and_in_the_diff() {
    let fleet = demo_fleet(OffsetDateTime::now_utc());
    let (_tmp, dir) = tmp();
    let ca = dir.join("root.pem");
    std::fs::write(&ca, fleet.ca.root_pem()).unwrap();
    let lab = Lab::start_with_balancers(fleet.hosts, fleet.balancers)
        .await
        .expect("lab starts");
    let vip = &lab.balancers[0];
    let mut args = strings(&["scan", "--ca-bundle", &path_arg(&ca)]);
    args.extend(strings(&["--out", &path_arg(&dir.join("out"))]));
    for ns in &fleet.namespaces {
        args.extend(strings(&["--namespace", ns]));
    }
    for (host, site) in &fleet.sites {
        args.extend(strings(&["--site", &format!("{host}={site}")]));
    }
    args.extend(lab_args(&lab));
    args.extend(strings(&[
        "--load-balancer",
        &format!("{}={}", vip.namespace, vip.ip),
    ]));
    let out = excert(&args).await;
    let terminal = String::from_utf8_lossy(&out.stdout);
    let r = read_scan(&dir.join("out"));
    let host = vip.ip.to_string();

    // scan.json: the VIP is the first server, role load_balancer.
    let s = &r.servers[0];
    assert_eq!(s.host, host);
    assert_eq!(s.verdict, Verdict::FixLoadBalancerCert);
    let eps: Vec<_> = s.endpoints.iter().map(|&i| &r.endpoints[i]).collect();
    assert!(eps.iter().all(|e| e.endpoint.role == Role::LoadBalancer));
    let https = eps
        .iter()
        .find(|e| e.endpoint.forwards_to == Some(Role::Frontend))
        .unwrap();
    let ids: Vec<FindingId> = https.findings.iter().map(|f| f.id).collect();
    assert_eq!(ids, [FindingId::LbCertMismatch]);
    // Only the VIP is new: the servers' verdicts are the demo's.
    assert!(r.servers[1..].iter().all(|s| !s.host.starts_with("127.")));

    // The terminal lists it, with the balancer's fix.
    assert!(terminal.contains(&host), "{terminal}");
    assert!(
        terminal.contains("Put the certificate on the load balancer"),
        "{terminal}"
    );
    // report.csv and servers.csv carry the role and the verdict.
    let csv = std::fs::read_to_string(dir.join("out/report.csv")).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.contains(&host) && l.contains("load_balancer")),
        "{csv}"
    );
    assert!(csv.contains("lb-cert-mismatch"));
    let servers = std::fs::read_to_string(dir.join("out/servers.csv")).unwrap();
    assert!(
        servers
            .lines()
            .any(|l| l.contains(&host) && l.contains("fix-load-balancer-cert")),
        "{servers}"
    );
    // report.html: its card comes before the servers', labelled.
    let html = std::fs::read_to_string(dir.join("out/report.html")).unwrap();
    let card = html.find("Load balancer (HTTPS)").expect("VIP row in HTML");
    let ex01 = html.find("ex01.contoso.lab").unwrap();
    assert!(html.find(&host).unwrap() < ex01);
    assert!(card > 0);
    // The server table names the VIP's namespace under its address and its
    // role in words; the id stays a filter value, never visible text.
    let table = html.split("id=\"fleet-table\"").nth(1).unwrap();
    let row = table
        .split("<tr class=\"server-row")
        .find(|r| r.contains(&host))
        .expect("VIP row in the server table");
    assert!(row.contains("mail.contoso.lab</div>"), "{row}");
    assert!(row.contains("<td>Load balancer</td>"), "{row}");
    let shown = html.replace("\"load_balancer\"", "");
    assert!(
        !shown.contains(">load_balancer<"),
        "load_balancer shown as text"
    );

    // The diff: before, the VIP presented the servers' certificate.
    let before: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/scan.json")).unwrap()).unwrap();
    let mut before = before;
    let servers_chain = before["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["host"] == "ex01.contoso.lab" && e["role"] == "frontend")
        .unwrap()["chain"]
        .clone();
    for e in before["endpoints"].as_array_mut().unwrap() {
        if e["role"] == "load_balancer" && e["forwards_to"] == "frontend" {
            e["chain"] = servers_chain.clone();
        }
    }
    let old = dir.join("before.json");
    std::fs::write(&old, serde_json::to_string(&before).unwrap()).unwrap();
    let diff_out = excert(&strings(&[
        "diff",
        &path_arg(&old),
        &path_arg(&dir.join("out/scan.json")),
        "--out",
        &path_arg(&dir.join("diff")),
        "--quiet",
    ]))
    .await;
    assert_eq!(diff_out.status.code(), Some(1), "a new warning");
    let diff: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("diff/diff.json")).unwrap())
            .unwrap();
    assert_schema("diff.schema.json", &diff);
    let text = diff.to_string();
    assert!(text.contains("lb-cert-mismatch"), "{text}");
    assert!(text.contains("\"role\":\"load_balancer\""), "{text}");
    drop(lab);
}

#[tokio::test]
async fn a_targets_csv_names_each_servers_vip_in_a_load_balancer_column() {
    let (_tmp, dir) = tmp();
    let csv = dir.join("servers.csv");
    std::fs::write(
        &csv,
        "\"Fqdn\",\"Site\",\"LoadBalancer\"\r\n\
         \"10.0.0.11\",\"HQ\",\"mail.contoso.com=10.1.2.50\"\r\n\
         \"10.0.0.12\",\"HQ\",\"mail.contoso.com=10.1.2.50\"\r\n\
         \"10.0.0.21\",\"Branch\",\"mail-branch.contoso.com=10.2.0.50\"\r\n\
         \"10.0.0.22\",\"Branch\",\"\"\r\n",
    )
    .unwrap();
    let out = excert(&strings(&["targets", "--targets-file", &path_arg(&csv)])).await;
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let vips: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["role"] == "load_balancer")
        .collect();
    // Each VIP once (two rows name the first), on 443 and 25, in the site
    // of the servers behind it, sourced to the first row naming it.
    assert_eq!(lines.len(), 4 * 3 + 2 * 2);
    assert_eq!(vips.len(), 4);
    let seen: Vec<(&str, &str, &str, u64)> = vips
        .iter()
        .map(|l| {
            (
                l["address"].as_str().unwrap(),
                l["sni"].as_str().unwrap(),
                l["group"]["site"].as_str().unwrap(),
                l["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("10.1.2.50", "mail.contoso.com", "HQ", 2),
            ("10.1.2.50", "mail.contoso.com", "HQ", 2),
            ("10.2.0.50", "mail-branch.contoso.com", "Branch", 4),
            ("10.2.0.50", "mail-branch.contoso.com", "Branch", 4),
        ]
    );

    // A bad cell is refused with its file and line, before anything is sent.
    std::fs::write(
        &csv,
        "\"Fqdn\",\"LoadBalancer\"\r\n\"10.0.0.11\",\"10.1.2.50\"\r\n",
    )
    .unwrap();
    let out = excert(&strings(&["targets", "--targets-file", &path_arg(&csv)])).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{err}");
    assert!(err.contains("servers.csv") && err.contains(":2"), "{err}");
    assert!(err.contains("LoadBalancer"), "{err}");
    assert!(out.stdout.is_empty());
}
