//! `excert report A.json B.json`: two segment scans of the demo fleet,
//! each run "where it can reach its servers", merged into one fleet
//! report through the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;

use excert::lab::{demo_fleet, Lab};
use excert::model::ScanReport;
use lab_support::*;
use time::OffsetDateTime;

struct Fleet {
    lab: Lab,
    ca: String,
    namespaces: Vec<String>,
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
}

impl Fleet {
    fn fqdn(&self, short: &str) -> String {
        format!("{}.{}", short.to_ascii_lowercase(), self.lab.domain)
    }

    /// Scan the hosts named `(name, lab host it is pinned to)` into
    /// `dir/<out>`; returns the scan.json path.
    async fn scan(&self, out: &str, hosts: &[(&str, &str)]) -> std::path::PathBuf {
        let dir = self.dir.join(out);
        let mut args = strings(&["scan", "-q", "--fail-on", "never"]);
        args.extend(strings(&[
            "--ca-bundle",
            &self.ca,
            "--out",
            &path_arg(&dir),
        ]));
        args.extend(strings(&[
            "--frontend-ports",
            &self.lab.frontend_port.to_string(),
            "--backend-ports",
            &self.lab.backend_port.to_string(),
        ]));
        for ns in &self.namespaces {
            args.extend(strings(&["--namespace", ns]));
        }
        for (name, pinned_to) in hosts {
            let ip = self
                .lab
                .hosts
                .iter()
                .find(|h| h.name == *pinned_to)
                .unwrap()
                .ip;
            args.push(self.fqdn(name));
            args.extend(strings(&[
                "--resolve",
                &format!("{}:{ip}", self.fqdn(name)),
            ]));
        }
        let done = excert(&args).await;
        assert_eq!(
            done.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        dir.join("scan.json")
    }
}

async fn fleet() -> Fleet {
    let demo = demo_fleet(OffsetDateTime::now_utc());
    let (tmp, dir) = tmp();
    let ca = dir.join("root.pem");
    std::fs::write(&ca, demo.ca.root_pem()).unwrap();
    Fleet {
        lab: Lab::start(demo.hosts).await.expect("lab starts"),
        ca: path_arg(&ca),
        namespaces: demo.namespaces,
        _tmp: tmp,
        dir,
    }
}

fn cliffs(r: &ScanReport) -> Vec<Vec<String>> {
    r.expiry_cliffs
        .iter()
        .map(|c| {
            let mut h = c.hosts.clone();
            h.sort();
            h
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_segment_scans_merge_into_one_fleet_with_fleet_checks_across_both() {
    let f = fleet().await;
    // Site A reaches EX01-EX04. Site B, scanned later, reaches EX05-EX07
    // and EX01 too, which by then answers with another backend cert (here:
    // EX02's server), so "the newest observation wins" is visible.
    let a = f
        .scan(
            "site-a",
            &[
                ("EX01", "EX01"),
                ("EX02", "EX02"),
                ("EX03", "EX03"),
                ("EX04", "EX04"),
            ],
        )
        .await;
    let b = f
        .scan(
            "site-b",
            &[
                ("EX01", "EX02"),
                ("EX05", "EX05"),
                ("EX06", "EX06"),
                ("EX07", "EX07"),
            ],
        )
        .await;
    let scan_a = read_scan(a.parent().unwrap());
    let scan_b = read_scan(b.parent().unwrap());
    // Alone, neither segment sees the EX04/EX05 backend expiry cliff.
    let ex04 = f.fqdn("EX04");
    let ex05 = f.fqdn("EX05");
    let pair = {
        let mut p = vec![ex04.clone(), ex05.clone()];
        p.sort();
        p
    };
    assert!(!cliffs(&scan_a).contains(&pair));
    assert!(!cliffs(&scan_b).contains(&pair));

    // Merged (given newest first, to show the order on the command line
    // does not decide which observation wins).
    let out = f.dir.join("merged");
    let done = excert(&strings(&[
        "report",
        &path_arg(&b),
        &path_arg(&a),
        "--out",
        &path_arg(&out),
    ]))
    .await;
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert_eq!(done.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("Merged 2 scans"), "{stdout}");
    let merged = read_scan(&out);

    // The servers are the union of both segments, each endpoint once.
    let mut hosts: Vec<&str> = merged.servers.iter().map(|s| s.host.as_str()).collect();
    hosts.sort();
    let want: Vec<String> = (1..=7).map(|n| f.fqdn(&format!("EX0{n}"))).collect();
    assert_eq!(hosts, want.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        merged.endpoints.len(),
        21,
        "443, 444 and SMTP for 7 servers"
    );

    // Fleet checks ran across the merged fleet: the cliff spans both sites.
    assert!(
        cliffs(&merged).contains(&pair),
        "{:?}",
        merged.expiry_cliffs
    );

    // Each endpoint says which scan it came from; EX01's newer observation
    // (site B) won, and site A's scan time is kept.
    let a_file = path_arg(&a);
    let b_file = path_arg(&b);
    for e in &merged.endpoints {
        let origin = e
            .endpoint
            .from_scan
            .as_ref()
            .expect("from_scan on every endpoint");
        let expected = if ["EX02", "EX03", "EX04"]
            .iter()
            .any(|s| e.endpoint.host == f.fqdn(s))
        {
            &a_file
        } else {
            &b_file
        };
        assert_eq!(&origin.file, expected, "{}", e.endpoint.host);
    }
    let ex01_backend = |r: &ScanReport| {
        r.endpoints
            .iter()
            .find(|e| e.endpoint.host == f.fqdn("EX01") && e.endpoint.port == f.lab.backend_port)
            .unwrap()
            .clone()
    };
    let merged_ex01 = ex01_backend(&merged);
    assert_eq!(
        merged_ex01.leaf().unwrap().sha256,
        ex01_backend(&scan_b).leaf().unwrap().sha256
    );
    assert_ne!(
        merged_ex01.leaf().unwrap().sha256,
        ex01_backend(&scan_a).leaf().unwrap().sha256
    );
    let origin = merged_ex01.endpoint.from_scan.clone().unwrap();
    assert_eq!(origin.started_at, scan_b.started_at);
    assert_eq!(origin.superseded.len(), 1);
    assert_eq!(origin.superseded[0].file, a_file);
    assert_eq!(origin.superseded[0].started_at, scan_a.started_at);

    // The report keeps both scans' times.
    let files: Vec<&str> = merged.merged_from.iter().map(|m| m.file.as_str()).collect();
    assert_eq!(files, [a_file.as_str(), b_file.as_str()], "oldest first");
    assert_eq!(merged.started_at, scan_a.started_at);
    assert_eq!(merged.finished_at, scan_b.finished_at);
    assert_eq!(
        merged.merged_from[0].kept, 9,
        "EX01's three endpoints (443, 444, SMTP) replaced"
    );

    // Merging is repeatable: the merged scan.json reads back and merges
    // again with the same result.
    let again = f.dir.join("again");
    let done = excert(&strings(&[
        "report",
        &path_arg(&out.join("scan.json")),
        &path_arg(&a),
        "-q",
        "--out",
        &path_arg(&again),
    ]))
    .await;
    assert_eq!(done.status.code(), Some(2));
    let twice = read_scan(&again);
    assert_eq!(
        ex01_backend(&twice).leaf().unwrap().sha256,
        merged_ex01.leaf().unwrap().sha256
    );
    assert_eq!(twice.endpoints.len(), 21);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_scan_among_several_exits_64_naming_it() {
    let (_tmp, dir) = tmp();
    let bad = dir.join("site-c.json");
    std::fs::write(&bad, "not json").unwrap();
    let done = excert(&strings(&[
        "report",
        &path_arg(&bad),
        &path_arg(&bad),
        "--out",
        &path_arg(&dir.join("out")),
    ]))
    .await;
    assert_eq!(done.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&done.stderr).contains("site-c.json"));
}
