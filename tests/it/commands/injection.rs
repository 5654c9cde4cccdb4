//! A scanned server chooses the names in its certificates. Scan one whose
//! backend and SMTP certificates carry a CN built to run when pasted
//! (`X;calc;#`, `$(calc)`, a backtick, quotes, a newline): no command in
//! the terminal, report.html, report.csv, scan.json or remediation.ps1 may
//! let that text run, and remediation.ps1 must parse and run nothing when
//! loaded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;
use crate::ps_support;

use excert::lab::{certs, HostSpec, Lab, LabCa, Service, SmtpSpec, Starttls};
use lab_support::{excert, lab_args, path_arg, strings};
use rcgen::{CertificateParams, DistinguishedName, DnType};
use time::{Duration, OffsetDateTime};

const VARIANTS: &[&str] = &[
    "X;calc;#",
    "$(calc)",
    "${calc}",
    "X`;calc",
    "X'; calc; '",
    "X\u{2019}; calc; \u{2018}",
    "X\"; calc; \"",
    "X\ncalc",
    "X|calc&calc",
];

/// An expired self-signed certificate shaped like the server's own (its
/// SAN names EX01), whose CN is `cn`.
fn hostile_own(cn: &str, now: OffsetDateTime) -> certs::Served {
    let key = certs::key(3);
    let mut params =
        CertificateParams::new(vec!["EX01".to_string(), "ex01.contoso.lab".to_string()]).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.not_before = now - Duration::days(6 * 365);
    params.not_after = now - Duration::days(20);
    let cert = params.self_signed(&key).unwrap();
    certs::served(vec![cert.der().clone()], &key)
}

/// The command lines of the HTML: every `<code>` element, unescaped.
fn html_commands(html: &str) -> Vec<String> {
    html.split("<code>")
        .skip(1)
        .filter_map(|s| s.split("</code>").next())
        .flat_map(|s| {
            let s = s
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#x27;", "'")
                .replace("&#x60;", "`")
                .replace("&#x3D;", "=")
                .replace("&amp;", "&");
            s.lines().map(str::to_string).collect::<Vec<_>>()
        })
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect()
}

fn assert_inert(source: &str, commands: &[String]) {
    for c in commands {
        let bare = ps_support::outside_quotes(c);
        assert!(
            !bare.contains("calc"),
            "{source}: hostile text can run in: {c}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_certificate_name_never_runs_from_any_output() {
    let reference = ps_support::reference();
    let now = OffsetDateTime::now_utc();
    let ca = LabCa::new(now);
    let public = ca.issue(
        &["mail.contoso.lab", "ex01.contoso.lab"],
        now - Duration::days(30),
        now + Duration::days(300),
        &certs::key(2),
    );
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root.pem");
    std::fs::write(&root, ca.root_pem()).unwrap();
    for (i, cn) in VARIANTS.iter().enumerate() {
        let hostile = hostile_own(cn, now);
        let lab = Lab::start(vec![HostSpec {
            name: "EX01".into(),
            frontend: Service::Tls(public.clone()),
            backend: Service::Tls(hostile.clone()),
            smtp: Service::Smtp(SmtpSpec::exchange(
                "EX01.contoso.lab",
                Starttls::Tls(hostile.clone()),
            )),
        }])
        .await
        .unwrap();
        let out = tmp.path().join(format!("out{i}"));
        let mut args = strings(&["scan", "--out", &path_arg(&out), "--ca-bundle"]);
        args.push(path_arg(&root));
        args.extend(strings(&[
            "--namespace",
            "mail.contoso.lab",
            "--csv-findings",
        ]));
        args.push(path_arg(&out.join("findings.csv")));
        args.extend(lab_args(&lab));
        let run = excert(&args).await;
        let stdout = String::from_utf8_lossy(&run.stdout).to_string();
        assert!(
            out.join("scan.json").exists(),
            "{cn:?}: {}",
            String::from_utf8_lossy(&run.stderr)
        );

        // The CN reached the report: the test exercises the hostile path.
        let json = std::fs::read_to_string(out.join("scan.json")).unwrap();
        let scan: serde_json::Value = serde_json::from_str(&json).unwrap();
        crate::lab_support::assert_schema("scan.schema.json", &scan);
        assert!(json.contains("calc"), "{cn:?} not in scan.json");

        // Terminal: the lines it offers to paste.
        let terminal: Vec<String> = stdout
            .lines()
            .filter_map(|l| l.split_once("PS> ").map(|(_, c)| c.to_string()))
            .collect();
        assert!(!terminal.is_empty(), "{cn:?}: no command shown:\n{stdout}");
        assert_inert("terminal", &terminal);

        // scan.json: every `powershell` field.
        let mut commands = Vec::new();
        collect_powershell(&scan, &mut commands);
        assert!(
            commands
                .iter()
                .any(|c| c.starts_with("New-ExchangeCertificate")),
            "{cn:?}: the renewal path was not taken: {commands:#?}"
        );
        assert_inert("scan.json", &commands);
        for c in &commands {
            ps_support::check(&reference, c).unwrap();
        }

        // report.html: every code element.
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        let html_cmds = html_commands(&html);
        assert!(!html_cmds.is_empty());
        assert_inert("report.html", &html_cmds);

        // report.csv and the findings CSV: the commands after "Run:".
        for file in ["report.csv", "findings.csv"] {
            let csv_cmds = csv_commands(&out.join(file));
            if file == "findings.csv" {
                assert!(!csv_cmds.is_empty(), "{cn:?}: no command in {file}");
            }
            assert_inert(file, &csv_cmds);
        }

        // remediation.ps1: parses, only comments and functions at the top
        // level, and no line outside a comment lets the text run.
        let ps1 = std::fs::read_to_string(out.join("remediation.ps1")).unwrap();
        assert_eq!(ps_support::syntax_errors(&ps1), Vec::<String>::new());
        assert_eq!(ps_support::top_level_statements(&ps1), Vec::<String>::new());
        let lines: Vec<String> = ps1
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .map(str::to_string)
            .collect();
        assert_inert("remediation.ps1", &lines);
        let mentions: Vec<&str> = ps1.lines().filter(|l| l.contains("calc")).collect();
        assert!(mentions.is_empty(), "{mentions:#?}");
        assert!(ps1.contains("function Repair-"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_scanned_by_ip_gets_placeholders_not_its_address() {
    let now = OffsetDateTime::now_utc();
    let expired = hostile_own("EX01", now);
    let lab = Lab::start(vec![HostSpec {
        name: "EX01".into(),
        frontend: Service::Closed,
        backend: Service::Tls(expired),
        smtp: Service::Closed,
    }])
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let ip = lab.hosts[0].ip.to_string();
    let args = strings(&[
        "scan",
        &ip,
        "--frontend-ports",
        &lab.frontend_port.to_string(),
        "--backend-ports",
        &lab.backend_port.to_string(),
        "--smtp-ports",
        &lab.smtp_port.to_string(),
        "--out",
        &path_arg(&out),
    ]);
    let run = excert(&args).await;
    let json = std::fs::read_to_string(out.join("scan.json")).unwrap_or_else(|_| {
        panic!("{}", String::from_utf8_lossy(&run.stderr));
    });
    let scan: serde_json::Value = serde_json::from_str(&json).unwrap();
    crate::lab_support::assert_schema("scan.schema.json", &scan);
    let mut commands = Vec::new();
    collect_powershell(&scan, &mut commands);
    // The address is never a -Server, a -ComputerName or a -DomainName.
    assert!(!commands.is_empty());
    for c in commands.iter().filter(|c| !c.starts_with("excert ")) {
        assert!(!c.contains("-DomainName 127"), "{c}");
        assert!(!c.contains(&ip), "{c}");
    }
    assert!(commands
        .iter()
        .any(|c| c.contains("-Server '<server>'") || c.contains("-ComputerName '<server>'")));
    let bind = commands
        .iter()
        .find(|c| c.contains("AddSslCertificate"))
        .unwrap();
    assert!(
        bind.contains(&format!("-Port {}", lab.backend_port)),
        "{bind}"
    );
}

/// The commands in a CSV's cells: what follows each ` Run: `, up to the
/// next numbered step (` 2. `).
fn csv_commands(path: &std::path::Path) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .unwrap();
    let mut out = Vec::new();
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            for part in cell.split("Run: ").skip(1) {
                let mut end = part.len();
                for n in 2..100 {
                    if let Some(at) = part.find(&format!(" {n}. ")) {
                        end = end.min(at);
                    }
                }
                out.push(part[..end].to_string());
            }
        }
    }
    out
}

fn collect_powershell(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("powershell", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => collect_powershell(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_powershell(v, out)),
        _ => {}
    }
}
