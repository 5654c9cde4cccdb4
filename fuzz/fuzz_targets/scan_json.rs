//! Arbitrary bytes as a saved scan.json, through what `excert report` does
//! with it: the loader's checks (`app::load_saved`: JSON, then
//! `schema_version`, then the schema), `reanalyze` with fixed settings, and
//! the scan.json and CSV renderers. The HTML page is left out: compiling the
//! templates on every input would make the target a hundred times slower
//! and fuzz handlebars rather than excert.
//!
//! A scan.json can be edited by hand or come from another machine, and its
//! certificates came from servers, so beyond "no panic":
//!
//! - re-analysis is deterministic: analysing the re-analysed report again
//!   gives the same endpoints, servers and expiry cliffs (the evidence in a
//!   report is enough to rebuild it);
//! - whatever excert writes as scan.json, it can read back, with the same
//!   endpoints and servers.
#![no_main]

use std::sync::{Arc, OnceLock};

use excert::analyze::trust::TrustRoots;
use excert::config::AnalysisSettings;
use excert::model::{ScanReport, SCHEMA_VERSION};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

fn settings() -> &'static AnalysisSettings {
    static SETTINGS: OnceLock<AnalysisSettings> = OnceLock::new();
    SETTINGS.get_or_init(|| AnalysisSettings {
        // 2026-11-25 00:00 UTC.
        as_of: OffsetDateTime::from_unix_timestamp(1_795_564_800).expect("in range"),
        warn_days: 60,
        critical_days: 30,
        namespaces: vec!["mail.contoso.com".into(), "autodiscover.contoso.com".into()],
        site_namespaces: Default::default(),
        roots: Arc::new(
            TrustRoots::from_der([&include_bytes!("../../fixtures/certs/ca.der")[..]])
                .unwrap_or_else(|_| TrustRoots::empty()),
        ),
        ca_bundles: Vec::new(),
    })
}

/// `app::load_saved` without the file: the same three steps, in order.
fn load(data: &[u8]) -> Option<ScanReport> {
    let value: serde_json::Value = serde_json::from_slice(data).ok()?;
    let version = value.get("schema_version").and_then(|v| v.as_u64())?;
    if version != u64::from(SCHEMA_VERSION) {
        return None;
    }
    serde_json::from_value(value).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some(saved) = load(data) else {
        return;
    };
    let settings = settings();
    let first = excert::reanalyze(&saved, settings);
    assert_eq!(first.endpoints.len(), saved.endpoints.len());

    let again = excert::reanalyze(&first, settings);
    assert_eq!(again.endpoints, first.endpoints, "re-analysis is not stable");
    assert_eq!(again.servers, first.servers, "re-analysis is not stable");
    assert_eq!(again.expiry_cliffs, first.expiry_cliffs);

    let text = excert::report::json::render(&first).expect("scan.json renders");
    let reread = load(text.as_bytes()).expect("excert reads back the scan.json it wrote");
    assert_eq!(reread.endpoints, first.endpoints, "endpoints changed through scan.json");
    assert_eq!(reread.servers, first.servers, "servers changed through scan.json");

    let _ = excert::report::csv::render_endpoints(&first).expect("endpoints CSV renders");
    let _ = excert::report::csv::render_findings(&first).expect("findings CSV renders");
});
