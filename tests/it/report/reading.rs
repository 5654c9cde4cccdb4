//! What an admin and a manager read in the reports of the saved demo scan:
//! Act now grouped by the work, words instead of ids, a projection said
//! as one, and a problem certificate never painted healthy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/demo-fleet-2026-11-29.scan.json"
);

/// `excert report DEMO --out dir` with `extra` arguments; the folder.
fn report(name: &str, extra: &[&str]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("excert-reading-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_excert"))
        .args(["report", "-q", DEMO, "--out"])
        .arg(&dir)
        .args(extra)
        .output()
        .expect("run excert report");
    assert!(
        out.status.code().is_some_and(|c| c < 64),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn html(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("report.html")).expect("report.html")
}

/// The page's text as a reader sees it: no tags, scripts or styles.
fn visible_text(html: &str) -> String {
    let mut out = html.to_string();
    for (open, close) in [("<script", "</script>"), ("<style", "</style>")] {
        while let Some(i) = out.find(open) {
            let end = out[i..]
                .find(close)
                .map_or(out.len(), |j| i + j + close.len());
            out.replace_range(i..end, " ");
        }
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in out.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&amp;", "&").replace("&quot;", "\"")
}

/// Every act-now group's title (`<h3 class="act-title">`), as text.
fn group_titles(html: &str) -> Vec<String> {
    html.split("<h3 class=\"act-title\">")
        .skip(1)
        .map(|s| {
            visible_text(s.split("</h3>").next().unwrap())
                .trim()
                .to_string()
        })
        .collect()
}

#[test]
fn act_now_has_one_group_per_distinct_work_and_titles_never_repeat() {
    for (name, extra) in [
        ("now", &[][..]),
        ("projected", &["--as-of", "2027-02-27"][..]),
    ] {
        let page = html(&report(name, extra));
        let titles = group_titles(&page);
        assert!(!titles.is_empty(), "{name}: no act-now group");
        let mut unique = titles.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            titles.len(),
            "{name}: repeated titles {titles:?}"
        );
        // ex07 lags the rollout and ex05 serves a self-signed 443: both are
        // rebinds, but their work differs, so their headlines do too.
        let rebinds: Vec<&String> = titles
            .iter()
            .filter(|t| t.contains("Bind the public certificate again"))
            .collect();
        assert_eq!(rebinds.len(), 2, "{titles:?}");
        assert!(titles
            .iter()
            .any(|t| t.contains("2 servers: Renew the back-end certificate")));
    }
}

#[test]
fn each_server_line_says_its_own_reason_and_days_without_its_name_twice() {
    let page = html(&report("lines", &[]));
    let line = page
        .split("<li class=\"action")
        .find(|l| l.contains("data-host=\"ex04.contoso.lab\""))
        .expect("ex04 in act now");
    let text = visible_text(&format!("<li {}", line.split("</li>").next().unwrap()));
    assert!(text.contains("2026-12-19"), "{text}");
    assert!(text.contains("20 d left"), "{text}");
    assert_eq!(text.matches("ex04.contoso.lab").count(), 1, "{text}");
}

#[test]
fn a_report_judged_on_another_day_says_so_and_today_does_not() {
    let projected = html(&report("banner", &["--as-of", "2027-02-27"]));
    let text = visible_text(&projected);
    assert!(text.contains("Projection"), "no projection banner");
    assert!(text.contains("2027-02-27"));
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let now = html(&report("today", &["--as-of", &today]));
    assert!(
        !now.contains("id=\"projection\""),
        "banner on a report judged today"
    );
}

#[test]
fn no_verdict_id_shows_as_text_and_counts_have_their_plurals() {
    let page = html(&report("labels", &[]));
    let text = visible_text(&page);
    for id in [
        "renew-backend",
        "rebind-public-cert",
        "renew-public-cert",
        "rotate-auth-cert",
        "fix-transport-cert",
        "fix-backend-binding",
        "Rebind Public Cert",
        "Renew Backend",
    ] {
        assert!(!text.contains(id), "verdict id {id} visible");
    }
    // The Verdict filter offers words, keeping the id as the value.
    assert!(
        page.contains("<option value=\"renew-backend\">Renew the back-end certificate</option>")
    );
    for wrong in ["1 findings", "1 servers", " 1 d left"] {
        assert!(!text.contains(wrong), "{wrong}");
    }
}

#[test]
fn a_self_signed_public_certificate_is_never_painted_healthy() {
    let page = html(&report("green", &[]));
    let card = page
        .split("<article class=\"server")
        .find(|c| c.contains("data-host=\"ex05.contoso.lab\""))
        .expect("ex05 card");
    let frontend = card.split("class=\"port").nth(1).expect("443 panel");
    assert!(
        !frontend.contains("days-ok"),
        "ex05's self-signed 443 shown green: {}",
        &frontend[..frontend.len().min(600)]
    );
}

fn csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).expect("csv");
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("UTF-8 BOM");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| r.expect("row").iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn servers_csv_has_a_row_per_server_with_its_verdict_and_action() {
    let dir = report("servers-csv", &[]);
    let rows = csv(&dir.join("servers.csv"));
    assert_eq!(
        rows[0][..7],
        [
            "server",
            "site",
            "role",
            "verdict",
            "severity",
            "action",
            "worst_days_left"
        ]
    );
    assert_eq!(rows.len(), 1 + 7, "one row per server of the demo scan");
    let ex03 = rows.iter().find(|r| r[0] == "ex03.contoso.lab").unwrap();
    assert_eq!(ex03[3], "renew-backend");
    assert_eq!(ex03[4], "critical");
    assert_eq!(ex03[5], "Renew the back-end certificate");
    assert_eq!(ex03[6], "-12");
}

#[test]
fn report_csv_leads_with_what_a_reader_sorts_by_and_dates_excel_reads() {
    let dir = report("report-csv", &[]);
    let rows = csv(&dir.join("report.csv"));
    assert_eq!(
        rows[0][..6],
        ["server", "port", "role", "severity", "finding", "days_left"]
    );
    let col = |n: &str| rows[0].iter().position(|h| h == n).unwrap();
    let (not_after, trust, role, severity) =
        (col("not_after"), col("trust"), col("role"), col("severity"));
    for r in &rows[1..] {
        let d = &r[not_after];
        assert!(d.is_empty() || (d.len() == 19 && &d[10..11] == " "), "{d}");
        if r[role] == "backend" && r[severity] == "ok" {
            assert!(!r[trust].contains("untrusted"), "{}", r[trust]);
        }
    }
}

/// `excert report DEMO` as a user runs it, at `columns`.
fn terminal(columns: Option<&str>, extra: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!("excert-reading-{}-term", std::process::id()));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_excert"));
    cmd.args(["report", DEMO, "--out"]).arg(&dir).args(extra);
    cmd.env_remove("COLUMNS").env("NO_COLOR", "1");
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    let out = cmd.output().expect("run excert report");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn the_terminal_summary_fits_the_width_with_step_one_and_its_command_alone() {
    for (columns, width) in [(None, 100), (Some("80"), 80)] {
        let text = terminal(columns, &[]);
        // Every line but a command (which must stay whole to be copied)
        // fits; commands are the lines that start with the prompt.
        for line in text.lines() {
            let command = line.starts_with("PS> ");
            if !command {
                assert!(line.chars().count() <= width, "{width}: {line}");
            }
        }
        let lines: Vec<&str> = text.lines().collect();
        let step = lines
            .iter()
            .position(|l| l.trim_start().starts_with("step 1 of 7"))
            .expect("step 1 of N");
        assert!(lines[step + 1].starts_with("PS> New-ExchangeCertificate -Server ex03"));
        // Each server once: the host is not repeated on its line.
        let ex04 = lines
            .iter()
            .find(|l| l.contains("ex04.contoso.lab"))
            .unwrap();
        assert_eq!(ex04.matches("ex04.contoso.lab").count(), 1, "{ex04}");
        assert!(!text.contains("step 2 of"), "step 2 only with --verbose");
    }
    let verbose = terminal(None, &["--verbose"]);
    assert!(verbose.contains("step 2 of 7"), "{verbose}");
}

#[test]
fn the_server_table_is_on_screen_with_sites_roles_and_folded_host_lists() {
    let report = common::fleet_of(40);
    let page =
        excert::report::html::render(&report, &excert::analyze::catalog::all()).expect("render");
    // On screen, not print-only, with the columns a manager reads.
    let table = page
        .split("<section class=\"section\" id=\"fleet-summary\">")
        .nth(1)
        .expect("server table on screen");
    let head = table.split("id=\"fleet-table\"").nth(1).unwrap();
    let head = visible_text(head.split("</thead>").next().unwrap());
    for col in [
        "Server",
        "Site",
        "Exchange role",
        "Status",
        "Verdict",
        "Worst days left",
        "Ports",
    ] {
        assert!(head.contains(col), "{col}: {head}");
    }
    assert_eq!(table.matches("<tr class=\"server-row").count(), 40);
    // Per-site summary: five sites of eight servers each.
    assert!(page.contains("id=\"site-summary\""));
    assert_eq!(page.matches("<tr><th scope=\"row\">SITE").count(), 5);
    // A group of many servers names five, then folds the rest.
    let groups = excert::report::groups::act_now_groups(&report);
    let big = groups.iter().map(|g| g.actions.len()).max().unwrap();
    assert!(big > 5);
    assert!(page.contains(&format!("<summary>and {} more</summary>", big - 5)));
}

#[test]
fn the_role_filter_offers_every_port_role_present() {
    let dir = report("roles", &[]);
    let page = html(&dir);
    let filter = page
        .split("id=\"c-role\"")
        .nth(1)
        .unwrap()
        .split("</select>")
        .next()
        .unwrap();
    for role in ["frontend", "backend"] {
        assert!(
            filter.contains(&format!("value=\"{role}\"")),
            "{role}: {filter}"
        );
    }
    let report = common::sample_report();
    let roles: Vec<&str> = report
        .endpoints
        .iter()
        .map(|e| e.endpoint.role.as_str())
        .collect();
    let page =
        excert::report::html::render(&report, &excert::analyze::catalog::all()).expect("render");
    let filter = page
        .split("id=\"c-role\"")
        .nth(1)
        .unwrap()
        .split("</select>")
        .next()
        .unwrap();
    for role in roles {
        assert!(
            filter.contains(&format!("value=\"{role}\"")),
            "{role}: {filter}"
        );
    }
}

#[test]
fn the_appendix_lists_only_the_finding_types_that_fired() {
    let page = html(&report("appendix", &[]));
    let appendix = page.split("id=\"appendix\"").nth(1).unwrap();
    let rows = appendix
        .split("</table>")
        .next()
        .unwrap()
        .matches("<tr><td class=\"fid")
        .count();
    assert!(
        rows > 0 && rows < excert::analyze::catalog::all().len(),
        "{rows}"
    );
    assert!(!appendix
        .split("</table>")
        .next()
        .unwrap()
        .contains("auth-cert-expired"));
}

/// `excert diff OLD NEW`: its stdout, and diff.json.
fn diff(name: &str, old: &str, new: &str) -> (String, serde_json::Value) {
    let dir = std::env::temp_dir().join(format!("excert-reading-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_excert"))
        .args(["diff", old, new, "--out"])
        .arg(&dir)
        .output()
        .expect("run excert diff");
    let json = std::fs::read_to_string(dir.join("diff.json")).expect("diff.json");
    let html = std::fs::read_to_string(dir.join("diff.html")).expect("diff.html");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    crate::lab_support::assert_schema("diff.schema.json", &v);
    for n in v["notices"].as_array().into_iter().flatten() {
        let first = n.as_str().unwrap().split(':').next().unwrap().to_string();
        assert!(html.contains(&first), "diff.html lacks {first}");
    }
    (String::from_utf8(out.stdout).unwrap(), v)
}

#[test]
fn diff_says_when_both_scans_are_one_and_when_they_are_given_backwards() {
    let later = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/demo-fleet-2027-06-01.scan.json"
    );
    let (text, v) = diff("same", DEMO, DEMO);
    assert!(
        text.contains("same scan") && text.contains("--as-of"),
        "{text}"
    );
    assert_eq!(v["notices"].as_array().unwrap().len(), 1);
    // Re-judged later, the scan is still the same scan.
    let (text, _) = diff("backwards", later, DEMO);
    let (forwards, v) = diff("forwards", DEMO, later);
    if v["old"]["started_at"] != v["new"]["started_at"] {
        assert!(text.contains("older than OLD"), "{text}");
        assert!(!forwards.contains("NOTE"), "{forwards}");
    }
}

#[test]
fn a_2000_server_page_stays_under_8_mb_with_cards_only_where_there_is_work() {
    let report = common::fleet_of(2000);
    let page =
        excert::report::html::render(&report, &excert::analyze::catalog::all()).expect("render");
    assert!(page.len() <= 8_000_000, "{} bytes", page.len());
    let needing = report
        .servers
        .iter()
        .filter(|s| excert::report::html::needs_card(s))
        .count();
    assert_eq!(page.matches("<article class=\"server").count(), needing);
    // Every server is still in the server table, and report.csv is named
    // for the endpoints.
    assert_eq!(page.matches("<tr class=\"server-row").count(), 2000);
    assert!(page.contains("id=\"endpoints-in-csv\""));
}

/// A projection past a lagging server's own expiry says the certificate it
/// still presents has expired, not only that it is older than the fleet's.
#[test]
fn a_lagging_server_past_its_own_expiry_is_told_so() {
    let dir = report("lag-expired", &["--as-of", "2027-02-27"]);
    let text = std::fs::read_to_string(dir.join("scan.json")).unwrap();
    let scan: excert::model::ScanReport = serde_json::from_str(&text).unwrap();
    let lagging: Vec<_> = scan
        .servers
        .iter()
        .filter(|s| s.summary.contains("already rolled out to other servers"))
        .collect();
    assert!(
        !lagging.is_empty(),
        "the demo has a server behind the rollout"
    );
    for s in lagging {
        assert!(
            s.summary.contains("which expired on") && s.summary.contains("days ago"),
            "{}",
            s.summary
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
