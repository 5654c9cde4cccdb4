//! The report as a person sees it: rendered by a real Chromium, headless.
//!
//! Checks that the DOM Chromium built shows the same counts, servers and
//! findings as the ScanReport, that the filter/sort script ran under the
//! page's Content-Security-Policy, and that the page asks for nothing from
//! the network. Leaves a screenshot, a print-to-PDF and the page itself
//! under `target/` (`excert-demo.*` for the demo fleet, `excert-sample.*`
//! for the hostile sample) as artifacts to look at.
//!
//! Skips, saying so on stderr, where no Chromium is installed; CI installs
//! Debian's `chromium`. `EXCERT_CHROMIUM` names a binary explicitly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod lab_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use excert::model::ScanReport;
use excert::report;

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("EXCERT_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let names = [
        "/usr/bin/chromium",
        "chromium",
        "chromium-browser",
        "google-chrome",
    ];
    names.iter().find_map(|name| {
        let path = Path::new(name);
        if path.is_absolute() {
            return path.exists().then(|| path.to_path_buf());
        }
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    })
}

/// Where artifacts go: `$CARGO_TARGET_DIR` or the package's `target/`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Run headless Chromium with a fresh profile and no background traffic,
/// killing it if it hangs. Returns (stdout, stderr).
fn chromium(bin: &Path, profile: &Path, args: &[String]) -> (String, String) {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let child = cmd.spawn().expect("start chromium");
    let id = child.id();
    // Chromium can hang on a broken display setup; never hang the suite.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let start = Instant::now();
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(out) => {
            let out = out.expect("chromium output");
            (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
        Err(_) => {
            let _ = Command::new("kill").arg(id.to_string()).status();
            panic!("chromium did not finish within {:?}", start.elapsed());
        }
    }
}

/// Text as Chromium serialises it in `--dump-dom`.
fn dom_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The number in `<... id="ID">N<`.
fn number_by_id(dom: &str, id: &str) -> usize {
    let marker = format!("id=\"{id}\">");
    let rest = dom
        .split(&marker)
        .nth(1)
        .unwrap_or_else(|| panic!("no #{id}"));
    rest.split('<')
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("#{id} is not a number"))
}

/// URLs the page itself asked for, from a Chromium `--log-net-log` file:
/// requests whose initiator is the page's opaque file:// origin ("null")
/// or whose isolation key names file://.
fn page_requests(netlog: &str) -> Vec<String> {
    let log: serde_json::Value = serde_json::from_str(netlog).expect("net log is JSON");
    let events = log["events"].as_array().cloned().unwrap_or_default();
    let mut urls = Vec::new();
    for event in &events {
        let params = &event["params"];
        let Some(url) = params["url"].as_str() else {
            continue;
        };
        let from_page = ["initiator", "site_for_cookies", "network_isolation_key"]
            .iter()
            .filter_map(|k| params[*k].as_str())
            .any(|v| v == "null" || v.contains("file://"));
        if from_page && !url.starts_with("file:") && !urls.iter().any(|u| u == url) {
            urls.push(url.to_string());
        }
    }
    urls
}

/// (host, port) of the endpoint-table rows the script left visible, in
/// their on-screen order.
fn visible_rows(dom: &str) -> Vec<(String, u16)> {
    let table = dom.split("id=\"endpoints\"").nth(1).unwrap_or_default();
    table
        .split("<tr data-severity=")
        .skip(1)
        .filter(|row| {
            let tag = row.split('>').next().unwrap_or_default();
            !tag.contains(" hidden")
        })
        .filter_map(|row| {
            let port = row
                .split("data-port=\"")
                .nth(1)?
                .split('"')
                .next()?
                .parse()
                .ok()?;
            let host = row
                .split("<a href=\"#")
                .nth(1)?
                .split('>')
                .nth(1)?
                .split('<')
                .next()?;
            Some((host.to_string(), port))
        })
        .collect()
}

/// Everything a reader of `html_path` must see, checked in Chromium
/// against the ScanReport it was rendered from. The lead's demo test calls
/// this with the demo fleet's report.
/// `label` names the artifacts (`target/excert-<label>.png`, ...) and the
/// browser profile, so checks can run side by side.
pub fn check_report_in_browser(
    chromium_bin: &Path,
    html_path: &Path,
    report: &ScanReport,
    label: &str,
) {
    let html = std::fs::read_to_string(html_path).expect("read report.html");
    assert_eq!(common::external_references(&html), Vec::<String>::new());

    let profile =
        std::env::temp_dir().join(format!("excert-chromium-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let url = format!(
        "file://{}",
        html_path.canonicalize().expect("path").display()
    );
    let netlog =
        std::env::temp_dir().join(format!("excert-netlog-{label}-{}.json", std::process::id()));
    let (dom, log) = chromium(
        chromium_bin,
        &profile,
        &[
            format!("--log-net-log={}", netlog.display()),
            "--dump-dom".to_string(),
            url.clone(),
        ],
    );
    assert!(
        dom.contains("</html>"),
        "no DOM dumped; chromium said:\n{log}"
    );

    // No request leaves the page. Chromium's own background traffic
    // (update checks) is in the net log too, so only requests made on
    // behalf of the file:// page count.
    let net = std::fs::read_to_string(&netlog).expect("chromium wrote a net log");
    let _ = std::fs::remove_file(&netlog);
    let page_requests = page_requests(&net);
    assert!(
        page_requests.is_empty(),
        "the page made requests: {page_requests:?}"
    );

    // The script ran to its last line under the CSP, and nothing was
    // refused: a blocked script or resource shows up as a CSP message.
    assert!(
        dom.contains("data-js=\"ready\""),
        "filter/sort script did not run:\n{log}"
    );
    // Any console message (a CSP violation, an exception) is a failure:
    // the script logs nothing when it works.
    for bad in [
        "CONSOLE",
        "Refused to",
        "Content Security Policy",
        "Uncaught",
        "net::ERR_",
    ] {
        assert!(!log.contains(bad), "chromium reported {bad:?}:\n{log}");
    }
    assert!(dom.contains("id=\"filters\">") || !dom.contains("id=\"filters\" hidden"));
    let rows = report.endpoints.len();
    assert!(
        dom.contains(&format!("{rows} of {rows} endpoints")),
        "filter counter not set by the script"
    );
    // Eleven on the endpoint table, six on the server table.
    assert_eq!(dom.matches("class=\"sort\"").count(), 17, "sort buttons");

    // Counts as scan.json says.
    let c = report::counts(report);
    for (id, n) in [
        ("count-servers", c.servers),
        ("count-endpoints", c.endpoints),
        ("count-answered", c.answered),
        ("count-critical", c.critical),
        ("count-warning", c.warning),
        ("count-info", c.info),
        ("count-ok", c.ok),
    ] {
        assert_eq!(number_by_id(&dom, id), n, "#{id}");
    }

    // The act-now list: the same servers, grouped by the work they need.
    let act = dom.split("id=\"act-now\"").nth(1).expect("act-now section");
    let act = act.split("id=\"timeline\"").next().unwrap_or(act);
    let shown: Vec<&str> = act
        .split("class=\"action sev-")
        .skip(1)
        .filter_map(|s| s.split("data-host=\"").nth(1)?.split('"').next())
        .collect();
    let expected: Vec<String> = report::groups::act_now_groups(report)
        .iter()
        .flat_map(|g| &g.actions)
        .map(|a| dom_text(&a.server.host))
        .collect();
    assert_eq!(shown, expected, "act-now list");

    // Every command sits in its own code element with a copy button (a
    // real <button>, so Tab reaches it), which the script wired up.
    let commands = dom.matches("<pre class=\"copy\"><code>").count();
    let buttons = dom
        .matches("<button type=\"button\" class=\"copy-button\"")
        .count();
    assert_eq!(buttons, commands, "one copy button per command");
    assert_eq!(
        dom.matches("data-ready=\"yes\"").count(),
        buttons,
        "the copy script ran:\n{log}"
    );
    let with_commands = report
        .servers
        .iter()
        .flat_map(|s| &s.remediation_steps)
        .any(|st| st.command().is_some());
    assert!(
        !with_commands || buttons > 0,
        "commands but no copy buttons"
    );
    // Each act-now group: one command block for all its servers.
    let groups = report::groups::act_now_groups(report);
    let sections: Vec<&str> = act
        .split("<section class=\"act-group")
        .skip(1)
        .map(|g| g.split("</section>").next().unwrap_or(g))
        .collect();
    assert_eq!(sections.len(), groups.len(), "act-now groups");
    for (g, section) in groups.iter().zip(&sections) {
        assert!(
            section.matches("<pre class=\"copy\">").count() <= 1,
            "{}: more than one command block",
            g.title()
        );
        let has_commands = g.actions.iter().any(|a| {
            a.server
                .remediation_steps
                .iter()
                .any(|s| s.command().is_some())
        });
        if has_commands {
            assert_eq!(section.matches("class=\"copy-button\"").count(), 1);
        }
    }

    // The timeline is drawn with one mark per distinct leaf certificate.
    let mut leaves: Vec<&str> = report
        .endpoints
        .iter()
        .filter_map(|e| e.leaf().map(|l| l.sha1.as_str()))
        .collect();
    leaves.sort_unstable();
    leaves.dedup();
    let chart = dom.split("class=\"chart\"").nth(1).expect("timeline svg");
    let chart = chart.split("</svg>").next().unwrap_or(chart);
    // One mark per lane, each with its tooltip (a band's is on a rect).
    let marks =
        chart.matches("</title></circle>").count() + chart.matches("</title></path>").count();
    assert_eq!(marks, leaves.len().min(40));

    // A card per server, with every finding of its endpoints.
    for server in &report.servers {
        let card_start = format!("data-host=\"{}\"", dom_text(&server.host));
        let card = dom
            .split("<article ")
            .skip(1)
            .find(|s| s.contains(&card_start))
            .unwrap_or_else(|| panic!("no card for {}", server.host));
        let card = card.split("</article>").next().unwrap_or(card);
        assert!(card.contains(&format!("class=\"badge sev-{}\"", server.severity.as_str())));
        let findings: Vec<&excert::model::Finding> = server
            .endpoints
            .iter()
            .filter_map(|&i| report.endpoints.get(i))
            .flat_map(|e| &e.findings)
            .collect();
        assert_eq!(
            card.matches("class=\"finding sev-").count(),
            findings.len(),
            "{}",
            server.host
        );
        for f in findings {
            assert!(card.contains(&format!(
                "<span class=\"fid\">{}</span>",
                dom_text(f.id.as_str())
            )));
        }
        for &i in &server.endpoints {
            if let Some(sha1) = report
                .endpoints
                .get(i)
                .and_then(|e| e.leaf())
                .map(|l| &l.sha1)
            {
                assert!(card.contains(sha1.as_str()), "{} lacks {sha1}", server.host);
            }
        }
    }

    // The table: one row per endpoint.
    let table = dom
        .split("id=\"endpoints\"")
        .nth(1)
        .expect("endpoint table");
    assert_eq!(table.matches("<tr data-severity=").count(), rows);

    // The filter and sort work: a link that asks for critical endpoints,
    // fewest days first, shows exactly those, in that order.
    let (dom, log) = chromium(
        chromium_bin,
        &profile,
        &[
            "--dump-dom".to_string(),
            format!("{url}#severity=critical&sort=days"),
        ],
    );
    assert!(dom.contains("data-js=\"ready\""), "script failed:\n{log}");
    let mut expected: Vec<(String, u16, i64)> = report
        .endpoints
        .iter()
        .filter(|e| report::endpoint_grade(e) == report::EndpointGrade::Critical)
        .map(|e| {
            let days = e.leaf().and_then(|l| l.days_left).unwrap_or(i64::MAX);
            (dom_text(&e.endpoint.host), e.endpoint.port, days)
        })
        .collect();
    expected.sort_by_key(|(_, _, days)| *days);
    let expected: Vec<(String, u16)> = expected.into_iter().map(|(h, p, _)| (h, p)).collect();
    assert_eq!(visible_rows(&dom), expected, "filtered, sorted table");
    assert!(dom.contains(&format!("{} of {rows} endpoints", expected.len())));

    // Artifacts: what the admin sees, and what "Print to PDF" gives.
    let target = target_dir();
    std::fs::create_dir_all(&target).expect("target dir");
    // The page itself too, to open by hand next to the screenshot.
    let _ = std::fs::copy(html_path, target.join(format!("excert-{label}.html")));
    let png = target.join(format!("excert-{label}.png"));
    let pdf = target.join(format!("excert-{label}.pdf"));
    let _ = std::fs::remove_file(&png);
    let _ = std::fs::remove_file(&pdf);
    let (_, log) = chromium(
        chromium_bin,
        &profile,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1400,2000".into(),
            url.clone(),
        ],
    );
    assert!(png.exists(), "no screenshot; chromium said:\n{log}");
    let (_, log) = chromium(
        chromium_bin,
        &profile,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
            url,
        ],
    );
    let pdf_bytes = std::fs::read(&pdf).unwrap_or_else(|_| panic!("no PDF; chromium said:\n{log}"));
    assert!(pdf_bytes.starts_with(b"%PDF"));
    let _ = std::fs::remove_dir_all(&profile);
}

/// The browser, or `None` with a clear message. CI sets
/// `EXCERT_REQUIRE_CHROMIUM` so a missing browser fails there instead.
fn chromium_or_skip() -> Option<PathBuf> {
    let found = find_chromium();
    if found.is_none() {
        let msg = "no chromium binary found; install Debian's chromium (apt-get install chromium) or set EXCERT_CHROMIUM";
        assert!(
            std::env::var_os("EXCERT_REQUIRE_CHROMIUM").is_none(),
            "{msg}"
        );
        eprintln!("SKIPPED: {msg}");
    }
    found
}

/// The demo fleet's own report, as `excert demo` writes it.
#[test]
fn demo_report_in_chromium_agrees_with_scan_json() {
    let Some(bin) = chromium_or_skip() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("excert-browser-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_excert"))
        .args(["demo", "--quiet", "--out"])
        .arg(&dir)
        .output()
        .expect("excert demo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("scan.json")).expect("scan.json");
    lab_support::assert_schema("scan.schema.json", &serde_json::from_str(&text).unwrap());
    let report: ScanReport = serde_json::from_str(&text).expect("scan.json parses");
    check_report_in_browser(&bin, &dir.join("report.html"), &report, "demo");
    // Printed for a manager: the counts and the server table, then one
    // card per server that needs work, then the finding types that fired.
    // It was 16 A4 pages (every card a page, healthy ones too, and the
    // whole catalogue).
    let pages = pdf_pages(&std::fs::read(target_dir().join("excert-demo.pdf")).unwrap());
    assert!((2..=8).contains(&pages), "the demo prints to {pages} pages");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Pages in a PDF Chromium printed: its page objects.
fn pdf_pages(pdf: &[u8]) -> usize {
    let needle = b"/Type /Page";
    pdf.windows(needle.len() + 1)
        .filter(|w| w.starts_with(needle) && !w[needle.len()].is_ascii_alphanumeric())
        .count()
}

/// Print `url` to a PDF with Chromium; returns its page count.
fn print_pages(bin: &Path, html: &Path, label: &str) -> usize {
    let profile =
        std::env::temp_dir().join(format!("excert-chromium-{label}-{}", std::process::id()));
    let pdf = target_dir().join(format!("excert-{label}.pdf"));
    let _ = std::fs::remove_file(&pdf);
    let (_, log) = chromium(
        bin,
        &profile,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
            format!("file://{}", html.canonicalize().unwrap().display()),
        ],
    );
    let _ = std::fs::remove_dir_all(&profile);
    let bytes = std::fs::read(&pdf).unwrap_or_else(|_| panic!("no PDF; chromium said:\n{log}"));
    pdf_pages(&bytes)
}

/// A 100-server fleet prints in tens of pages, not hundreds, and its
/// server cards can be filtered from the URL under the page's CSP.
#[test]
fn a_100_server_report_prints_in_tens_of_pages_and_filters_its_cards() {
    let Some(bin) = chromium_or_skip() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("excert-browser-100-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let report = common::fleet_of(100);
    let written = report::write_all(&report, &dir, None).expect("write reports");
    let pages = print_pages(&bin, &written.html, "fleet-100");
    assert!(
        (10..100).contains(&pages),
        "100 servers print to {pages} pages"
    );

    // Filtered by URL: critical renew-backend servers at SITE2 with a
    // problem on a backend port.
    let want: Vec<&str> = report
        .servers
        .iter()
        .filter(|s| s.severity.as_str() == "critical" && s.verdict.as_str() == "renew-backend")
        .filter(|s| s.group.site.as_deref() == Some("SITE2"))
        .map(|s| s.host.as_str())
        .collect();
    assert!(!want.is_empty());
    let profile = dir.join("profile");
    let url = format!(
        "file://{}#severity=critical&verdict=renew-backend&site=SITE2&role=backend",
        written.html.canonicalize().unwrap().display()
    );
    let (dom, log) = chromium(&bin, &profile, &["--dump-dom".into(), url]);
    assert!(
        dom.contains("data-js=\"ready\""),
        "script did not run: {log}"
    );
    let shown: Vec<&str> = dom
        .split("<article class=\"server ")
        .skip(1)
        .filter(|card| !card.split('>').next().unwrap_or("").contains(" hidden"))
        .filter_map(|card| card.split("data-host=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(shown, want);
    assert!(dom.contains(&format!("{} of 100 servers", want.len())));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The sample fleet, with a hostile certificate subject.
#[test]
fn report_in_chromium_agrees_with_scan_json() {
    let Some(bin) = chromium_or_skip() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("excert-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let report = common::sample_report();
    let written = report::write_all(&report, &dir, None).expect("write reports");
    check_report_in_browser(&bin, &written.html, &report, "sample");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The "no request leaves the page" check must be able to fail: a page
/// that loads an image from a closed loopback port is caught.
#[test]
fn request_detector_sees_a_page_request() {
    let Some(bin) = chromium_or_skip() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("excert-leaky-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let page = dir.join("leaky.html");
    std::fs::write(
        &page,
        "<html><body><img src=\"http://127.0.0.1:9/x.png\"></body></html>",
    )
    .expect("write page");
    let netlog = dir.join("net.json");
    let (_, log) = chromium(
        &bin,
        &dir.join("profile"),
        &[
            format!("--log-net-log={}", netlog.display()),
            "--dump-dom".into(),
            format!("file://{}", page.display()),
        ],
    );
    let net = std::fs::read_to_string(&netlog).unwrap_or_else(|_| panic!("no net log:\n{log}"));
    assert_eq!(page_requests(&net), ["http://127.0.0.1:9/x.png"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// axe-core's script: `EXCERT_AXE`, or where `.ci/run` installs it with
/// npm (`target/axe/node_modules/axe-core/axe.min.js`). `None` skips,
/// except in CI (`EXCERT_REQUIRE_CHROMIUM`).
fn axe_or_skip() -> Option<PathBuf> {
    let path = std::env::var_os("EXCERT_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("axe/node_modules/axe-core/axe.min.js"));
    if path.is_file() {
        return Some(path);
    }
    let msg = format!(
        "no axe-core at {}; `npm install --prefix target/axe axe-core` (as .ci/run does) or set EXCERT_AXE",
        path.display()
    );
    assert!(
        std::env::var_os("EXCERT_REQUIRE_CHROMIUM").is_none(),
        "{msg}"
    );
    eprintln!("SKIPPED: {msg}");
    None
}

/// What axe-core and the layout say of `html` at 420 px wide: a test-only
/// copy of the page (its CSP removed so axe can be loaded beside it)
/// runs axe and writes the violations and the page's scroll width into
/// the DOM, which Chromium dumps.
fn axe_at_420(bin: &Path, axe: &Path, html: &Path, label: &str) -> (serde_json::Value, u64) {
    let page = std::fs::read_to_string(html).expect("page");
    let csp_start = page
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .expect("CSP");
    let csp_end = csp_start + page[csp_start..].find('>').unwrap() + 1;
    let probe = format!(
        "<script src=\"file://{}\"></script><script>\
         axe.run(document, {{resultTypes: ['violations']}}).then(function (r) {{\
           var out = document.createElement('pre'); out.id = 'axe-result';\
           var wide = Array.prototype.filter.call(document.querySelectorAll('body *'), function (e) {{\
             var r = e.getBoundingClientRect(), q = e.parentElement.getBoundingClientRect();\
             return r.right > window.innerWidth + 1 && q.right <= window.innerWidth + 1; }}).slice(0, 6).map(function (e) {{\
             return e.tagName + '.' + e.className + '#' + e.id; }});\
           out.textContent = JSON.stringify({{width: document.documentElement.scrollWidth, wide: wide,\
             violations: r.violations.map(function (v) {{ return {{id: v.id, impact: v.impact,\
               nodes: v.nodes.slice(0, 3).map(function (n) {{ return n.target.join(' '); }})}}; }})}});\
           document.body.appendChild(out); parent.postMessage(out.textContent, '*'); }});</script>",
        axe.display()
    );
    let copy = format!("{}{}{}", &page[..csp_start], &page[csp_end..], "").replacen(
        "</body>",
        &format!("{probe}</body>"),
        1,
    );
    let inner = html.with_file_name(format!("axe-{label}.html"));
    std::fs::write(&inner, copy).expect("write test page");
    // Headless windows are at least 500 px wide: the page runs in a
    // 420 px frame, so its media queries see a 420 px viewport, and it
    // posts what it found to this wrapper, which Chromium dumps.
    let test_page = html.with_file_name(format!("axe-{label}-frame.html"));
    std::fs::write(
        &test_page,
        format!(
            "<!DOCTYPE html><html lang=\"en\"><body><iframe title=\"page\" width=\"420\" height=\"900\" src=\"axe-{label}.html\"></iframe>\
             <script>addEventListener('message', function (e) {{ var p = document.createElement('pre');\
             p.id = 'axe-result'; p.textContent = e.data; document.body.appendChild(p); }});</script></body></html>"
        ),
    )
    .expect("write frame page");
    let profile = std::env::temp_dir().join(format!("excert-axe-{label}-{}", std::process::id()));
    let (dom, log) = chromium(
        bin,
        &profile,
        &[
            "--window-size=1000,1000".into(),
            "--allow-file-access-from-files".into(),
            "--virtual-time-budget=30000".into(),
            "--dump-dom".into(),
            format!("file://{}", test_page.canonicalize().unwrap().display()),
        ],
    );
    let _ = std::fs::remove_dir_all(&profile);
    let json = dom
        .split("<pre id=\"axe-result\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_else(|| panic!("axe did not report:\n{log}"))
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let v: serde_json::Value = serde_json::from_str(&json).expect("axe result");
    let width = v["width"].as_u64().unwrap_or(u64::MAX);
    assert!(
        width <= 420,
        "{label}: {width} px wide at 420 px: {}",
        v["wide"]
    );
    (v["violations"].clone(), width)
}

/// report.html and diff.html pass axe-core with no serious or critical
/// violation, and read at 420 px without a horizontal scroll.
#[test]
fn report_and_diff_pass_axe_and_fit_420_px() {
    let Some(bin) = chromium_or_skip() else {
        return;
    };
    let Some(axe) = axe_or_skip() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("excert-browser-axe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let scan = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/demo-fleet-2026-11-29.scan.json"
    );
    let later = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/demo-fleet-2027-06-01.scan.json"
    );
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_excert"))
            .args(args)
            .output()
            .expect("excert runs");
        assert!(
            out.status.code().is_some_and(|c| c < 64),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let report_dir = dir.join("report");
    run(&["report", "-q", scan, "--out", report_dir.to_str().unwrap()]);
    let diff_dir = dir.join("diff");
    run(&[
        "diff",
        "-q",
        scan,
        later,
        "--out",
        diff_dir.to_str().unwrap(),
    ]);
    for (label, page) in [
        ("report", report_dir.join("report.html")),
        ("diff", diff_dir.join("diff.html")),
    ] {
        let (violations, width) = axe_at_420(&bin, &axe, &page, label);
        let bad: Vec<&serde_json::Value> = violations
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(bad.is_empty(), "{label}: axe-core: {bad:#?}");
        assert!(width <= 420, "{label}: {width} px wide at 420 px");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
