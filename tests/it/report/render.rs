//! What a reader of each report would notice: hostile certificate text is
//! harmless everywhere, the files are what Excel and browsers expect, and a
//! crash or interrupt never leaves a half-written or unmarked report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::path::PathBuf;

use base64::Engine as _;
use common::{external_references, sample_report, HOSTILE_SUBJECT};
use excert::model::ScanReport;
use excert::report::{self, csv as report_csv, html, json, summary, Written};

fn page(report: &ScanReport) -> String {
    html::render(report, &excert::analyze::catalog::all()).expect("render html")
}

/// A fresh folder under the system temp dir, unique per test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("excert-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("UTF-8 BOM");
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    r.records()
        .map(|rec| rec.expect("valid csv").iter().map(str::to_string).collect())
        .collect()
}

fn column(rows: &[Vec<String>], name: &str) -> usize {
    rows[0]
        .iter()
        .position(|h| h == name)
        .expect("column present")
}

#[test]
fn script_in_a_subject_is_shown_as_text_not_run() {
    let html = page(&sample_report());
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the report's own inline script may exist"
    );
}

#[test]
fn a_quote_in_a_subject_cannot_break_out_of_an_attribute() {
    let html = page(&sample_report());
    assert!(html.contains("&quot;onmouseover&#x3D;alert(1)"));
    assert!(!html.contains("onmouseover="));
    assert!(!html.contains("\"onmouseover"));
}

#[test]
fn bidi_and_ansi_in_a_subject_are_visibly_escaped_in_html() {
    let html = page(&sample_report());
    assert!(!html.contains('\u{202E}') && !html.contains('\u{1b}'));
    assert!(html.contains("\\u{202E}gnp.exe"));
    assert!(html.contains("\\u{001B}[31mred"));
}

#[test]
fn formula_in_a_subject_is_neutralised_in_csv() {
    let report = sample_report();
    let rows = csv_rows(&report_csv::render_endpoints(&report).expect("csv"));
    let subject = column(&rows, "leaf_subject");
    let host = column(&rows, "host");
    let hostile = rows
        .iter()
        .find(|r| r[host] == "ex06.contoso.local" && r[subject].contains("HYPERLINK"))
        .expect("hostile row");
    assert!(hostile[subject].starts_with("'=HYPERLINK(\"http://x\")"));
    assert!(hostile[subject].contains("\\u{202E}") && !hostile[subject].contains('\u{202E}'));
    // No cell may start a formula; negative day counts stay numbers.
    let days = column(&rows, "days_left");
    for row in &rows[1..] {
        for (i, cell) in row.iter().enumerate() {
            let formula = cell.starts_with(['=', '+', '@', '\t', '\r'])
                || (cell.starts_with('-') && i != days);
            assert!(!formula, "cell {i} starts a formula: {cell:?}");
        }
    }
    let ex02 = rows
        .iter()
        .find(|r| r[host] == "ex02.contoso.local" && r[days].starts_with('-'));
    assert_eq!(ex02.map(|r| r[days].as_str()), Some("-12"));
}

#[test]
fn csv_has_bom_crlf_iso_dates_and_the_documented_columns() {
    let report = sample_report();
    let bytes = report_csv::render_endpoints(&report).expect("csv");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
    assert_eq!(text.matches("\r\n").count(), report.endpoints.len() + 1);
    let rows = csv_rows(&bytes);
    assert_eq!(rows[0], report_csv::ENDPOINT_COLUMNS);
    let not_after = column(&rows, "not_after");
    // Excel's date form (scan.json keeps RFC 3339).
    assert_eq!(rows[1][not_after], "2026-12-27 09:00:00");

    let findings = csv_rows(&report_csv::render_findings(&report).expect("findings csv"));
    assert_eq!(findings[0], report_csv::FINDING_COLUMNS);
    let total: usize = report.endpoints.iter().map(|e| e.findings.len()).sum();
    assert_eq!(findings.len(), total + 1);
    let remediation = column(&findings, "remediation");
    assert!(findings
        .iter()
        .any(|r| r[remediation].contains("New-ExchangeCertificate -Force")));
}

#[test]
fn terminal_summary_cannot_be_hijacked_by_a_certificate() {
    let report = sample_report();
    let written = Written {
        json: "out/scan.json".into(),
        csv: "out/report.csv".into(),
        html: "out/report.html".into(),
        csv_findings: None,
    };
    // Wide enough that no line is cut: the escapes must show, not be cut off.
    let wide = report::terminal::Shape {
        color: false,
        verbose: true,
        width: 1000,
    };
    let plain = report::terminal::summary_shaped(&report, &written, wide);
    assert!(!plain.contains('\u{1b}') && !plain.contains('\u{202E}'));
    assert!(plain.contains("\\u{001B}[31mred"), "{plain}");
    assert!(plain.contains("out/report.html"));

    let coloured = summary(&report, &written, true);
    assert!(coloured.contains("\u{1b}[1;31mCRITICAL"));
    assert!(!coloured.contains("\u{1b}[31mred"));
}

#[test]
fn act_now_lists_the_most_urgent_server_first() {
    let report = sample_report();
    let order: Vec<&str> = report::act_now(&report)
        .iter()
        .map(|a| a.server.host.as_str())
        .collect();
    assert_eq!(
        order,
        [
            "ex02.contoso.local",
            "ex03.contoso.local",
            "ex07.contoso.local",
            "ex04.contoso.local",
            "ex06.contoso.local",
            "ex05.contoso.local",
        ]
    );
    let text = summary(
        &report,
        &Written {
            json: "j".into(),
            csv: "c".into(),
            html: "h".into(),
            csv_findings: None,
        },
        false,
    );
    let ex02 = text.find("ex02.contoso.local").expect("ex02 listed");
    let ex05 = text.find("ex05.contoso.local").expect("ex05 listed");
    assert!(ex02 < ex05);
    assert!(
        text.contains("CRITICAL   -12 d  ex02.contoso.local"),
        "{text}"
    );
    assert!(
        !text.contains("ex01.contoso.local"),
        "healthy servers need no action"
    );
}

#[test]
fn scan_json_round_trips() {
    let report = sample_report();
    let text = json::render(&report).expect("json");
    let back: ScanReport = serde_json::from_str(&text).expect("parse");
    assert_eq!(back, report);
}

/// The inline script between `<script>` and `</script>`.
fn inline_script(html: &str) -> &str {
    let start = html.find("<script>").expect("script") + "<script>".len();
    let end = html[start..].find("</script>").expect("end") + start;
    &html[start..end]
}

#[test]
fn csp_allows_only_the_inline_script_by_its_hash() {
    let html = page(&sample_report());
    let meta = html
        .split("http-equiv=\"Content-Security-Policy\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("CSP meta tag");
    let digest = ring::digest::digest(&ring::digest::SHA256, inline_script(&html).as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    // The escape function turns = and ' into entities inside the attribute.
    let meta = meta.replace("&#x27;", "'").replace("&#x3D;", "=");
    assert!(meta.starts_with("default-src 'none';"), "{meta}");
    assert!(
        meta.contains(&format!("script-src 'sha256-{hash}'")),
        "{meta}"
    );
    assert!(!meta.contains("unsafe-eval") && !meta.contains("script-src 'unsafe-inline'"));
}

#[test]
fn the_page_references_nothing_outside_itself() {
    let html = page(&sample_report());
    assert_eq!(external_references(&html), Vec::<String>::new());
    // The only http:// text is the hostile subject, shown as escaped text.
    for (i, _) in html.match_indices("http://") {
        assert!(
            html[..i].ends_with("HYPERLINK(&quot;"),
            "{}",
            &html[i.saturating_sub(40)..i + 10]
        );
    }
}

#[test]
fn interrupted_scan_is_marked_incomplete() {
    let mut report = sample_report();
    assert!(!page(&report).contains("Scan interrupted"));
    report.complete = false;
    for e in report.endpoints.iter_mut().rev().take(2) {
        e.status = excert::model::Status::Cancelled;
        e.error = Some("scan interrupted".into());
        e.tls = None;
        e.chain.clear();
        e.findings.clear();
    }
    let html = page(&report);
    assert!(html.contains("id=\"incomplete\""));
    assert!(html.contains("Scan interrupted: 2 endpoints not probed — incomplete."));
    // Not probed is never healthy.
    assert_eq!(html.matches("<tr data-severity=\"unscanned\"").count(), 3);
    let written = Written {
        json: "j".into(),
        csv: "c".into(),
        html: "h".into(),
        csv_findings: None,
    };
    assert!(summary(&report, &written, false)
        .contains("Scan interrupted: 2 endpoints not probed — incomplete"));
}

#[test]
fn protocol_matrix_shows_accepted_and_refused_versions() {
    let html = page(&sample_report());
    // Backends accept 1.0 and 1.2 (negotiated 1.2 over rustls): 1.1 was
    // tested and refused, 1.3 refused because rustls offered it.
    let backend = html
        .split("data-port=\"444\"")
        .nth(1)
        .expect("a backend port");
    let matrix = backend.split("class=\"matrix\"").nth(1).expect("matrix");
    let cells: Vec<&str> = matrix
        .split("<td class=\"v-")
        .skip(1)
        .take(4)
        .map(|c| c.split('"').next().unwrap_or_default())
        .collect();
    assert_eq!(cells, ["yes", "no", "yes", "no"]);
}

#[test]
fn write_all_writes_every_file_atomically() {
    let dir = scratch("write-all");
    let out = dir.join("out");
    let findings = dir.join("findings.csv");
    let report = sample_report();
    for _ in 0..2 {
        let written = report::write_all(&report, &out, Some(&findings)).expect("write");
        assert_eq!(written.csv_findings.as_deref(), Some(findings.as_path()));
        assert!(written.html.exists() && written.csv.exists() && written.json.exists());
    }
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "remediation.ps1",
            "report.csv",
            "report.html",
            "scan.json",
            "servers.csv"
        ],
        "no temp files left"
    );
    let saved: ScanReport =
        serde_json::from_slice(&std::fs::read(out.join("scan.json")).expect("read")).expect("json");
    assert_eq!(saved, report);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_write_keeps_the_old_file_and_leaves_no_temp_file() {
    let dir = scratch("atomic-fail");
    let target = dir.join("report.html");
    std::fs::write(&target, "old").expect("seed");
    // A directory where the temp file's rename target is a non-empty
    // directory makes the rename fail after the temp file was written.
    let blocked = dir.join("blocked");
    std::fs::create_dir_all(blocked.join("inside")).expect("dir");
    assert!(report::atomic::write(&blocked, b"new").is_err());
    report::atomic::write(&target, b"new").expect("write");
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "new");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["blocked", "report.html"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn appendix_shows_catalogue_parameters_and_evidence() {
    let html = page(&sample_report());
    let appendix = html.split("id=\"appendix\"").nth(1).expect("appendix");
    for text in [
        "backend-cert-expired",
        "public-binding-lost",
        "mail.contoso.com",
        "5 s",
        "2026-03-02 08:57 UTC",
        "2026-03-02 09:00 UTC",
        env!("CARGO_PKG_VERSION"),
    ] {
        assert!(appendix.contains(text), "appendix lacks {text}");
    }
    let _ = HOSTILE_SUBJECT;
}

#[test]
fn a_large_fleet_lists_every_endpoint_and_keeps_the_timeline_readable() {
    let sample = sample_report();
    let mut report = sample.clone();
    report.endpoints.clear();
    report.servers.clear();
    report.expiry_cliffs.clear();
    for n in 0..2500 {
        for (k, server) in sample.servers.iter().enumerate() {
            let mut s = server.clone();
            s.host = format!("ex{n}-{k}.contoso.local");
            let mut indexes = Vec::new();
            for &i in &server.endpoints {
                let mut e = sample.endpoints[i].clone();
                e.endpoint.host = s.host.clone();
                for c in &mut e.chain {
                    // Distinct certificates, as in a real fleet.
                    std::sync::Arc::make_mut(c).sha1 = format!("{}{n:08}", &c.sha1[..32]);
                }
                indexes.push(report.endpoints.len());
                report.endpoints.push(e);
            }
            s.endpoints = indexes;
            report.servers.push(s);
        }
        // Enough for many more certificates than lanes; a 10,000-endpoint
        // render takes seconds in a debug build.
        if report.endpoints.len() >= 1_000 {
            break;
        }
    }
    let html = page(&report);
    assert_eq!(
        html.matches("<tr data-severity=").count(),
        report.endpoints.len()
    );
    let chart = html.split("class=\"chart\"").nth(1).expect("chart");
    let chart = chart.split("</svg>").next().unwrap_or(chart);
    // One mark per lane, each with its tooltip (a band's is on a rect).
    let marks =
        chart.matches("</title></circle>").count() + chart.matches("</title></path>").count();
    assert_eq!(marks, 40, "at most 40 lanes");
    assert!(html.contains("more certificates expire on or after"));
}

#[test]
fn remediation_blocks_copy_exactly_as_written() {
    let report = sample_report();
    let html = page(&report);
    let finding = &report.endpoints[3].findings[0];
    assert_eq!(finding.id.as_str(), "backend-cert-expired");
    // Not re-indented and not escaped beyond HTML: a copy-paste gives the
    // admin the exact command with the thumbprint filled in.
    let expected = format!(
        "<pre class=\"copy\">{}</pre>",
        finding.remediation_text().replace('\'', "&#x27;")
    );
    assert!(html.contains(&expected), "remediation block altered");
    assert!(finding.remediation_text().contains('\n'));
}
