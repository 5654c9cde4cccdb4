//! Shared helpers for tests that run the lab: endpoints (from the one
//! evidence builder, `evidence.rs`) and probe options.
#![allow(dead_code)]

pub mod evidence;

use std::net::IpAddr;
use std::time::Duration;

use excert::config::ProbeOptions;
use excert::model::{Endpoint, Role};

/// An endpoint on the lab, built by the shared evidence builder.
pub fn endpoint(host: &str, ip: IpAddr, port: u16, role: Role, sni: Option<&str>) -> Endpoint {
    evidence::ep(host, role)
        .address(Some(ip))
        .port(port)
        .sni(sni)
        .endpoint()
}

/// Short timeouts: every lab server answers at once on loopback.
pub fn quick(timeout_ms: u64) -> ProbeOptions {
    let t = Duration::from_millis(timeout_ms);
    ProbeOptions {
        connect_timeout: t,
        handshake_timeout: t,
        endpoint_deadline: t * 6,
        retries: 0,
        ..ProbeOptions::default()
    }
}

use std::path::{Path, PathBuf};
use std::process::Output;

use excert::lab::Lab;
use excert::model::ScanReport;

/// Arguments that point `excert scan` at a running lab: every host by
/// name, pinned to its loopback address, with the lab's ports.
pub fn lab_args(lab: &Lab) -> Vec<String> {
    let mut args = vec![
        "--frontend-ports".to_string(),
        lab.frontend_port.to_string(),
        "--backend-ports".to_string(),
        lab.backend_port.to_string(),
        "--smtp-ports".to_string(),
        lab.smtp_port.to_string(),
    ];
    for h in &lab.hosts {
        args.push(h.fqdn.clone());
        args.push("--resolve".into());
        args.push(format!("{}:{}", h.fqdn, h.ip));
    }
    args
}

/// Run the real binary (the lab keeps serving on the test's runtime).
pub async fn excert(args: &[String]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_excert"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("the excert binary runs")
}

pub fn read_scan(dir: &Path) -> ScanReport {
    let text = std::fs::read_to_string(dir.join("scan.json")).expect("scan.json written");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("scan.json is JSON");
    assert_schema("scan.schema.json", &doc);
    serde_json::from_value(doc).expect("scan.json follows the model")
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

pub fn path_arg(p: &Path) -> String {
    p.display().to_string()
}

pub fn tmp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    (dir, path)
}

/// Finding ids on the endpoint of `host` (short name) and `port`.
pub fn ids(report: &ScanReport, host: &str, port: u16) -> Vec<String> {
    let prefix = format!("{}.", host.to_ascii_lowercase());
    report
        .endpoints
        .iter()
        .find(|e| e.endpoint.host.starts_with(&prefix) && e.endpoint.port == port)
        .unwrap_or_else(|| panic!("no endpoint {host}:{port}"))
        .findings
        .iter()
        .map(|f| f.id.to_string())
        .collect()
}

/// Fails the test when `doc` breaks the published schema (`docs/scan.schema.json`
/// or `docs/diff.schema.json`), naming each place it breaks it.
pub fn assert_schema(schema: &str, doc: &serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(schema);
    let text = std::fs::read_to_string(&path).expect("the schema is in docs/");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "breaks {}: {errors:#?}", path.display());
}
