//! scan.json and diff.json are public contracts, written down as JSON
//! Schema 2020-12 in `docs/`. Every report excert writes here (demo evidence
//! re-judged at several dates, store-only audits of every inventory fixture,
//! a diff) must validate; a report that drops or retypes a field fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::lab_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use lab_support::assert_schema;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run excert from the crate root; the exit code says what it found, so
/// only "ran and wrote" is checked here.
fn excert(args: &[&str], out: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_excert"))
        .current_dir(root())
        .args(args)
        .arg("--quiet")
        .arg("--out")
        .arg(out)
        .status()
        .expect("run excert");
    assert!(
        matches!(status.code(), Some(0..=2)),
        "{args:?} exited {status}"
    );
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("written")).expect("JSON")
}

#[test]
fn saved_demo_evidence_rejudged_at_later_dates_follows_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    for as_of in ["2026-11-29", "2027-01-28", "2028-01-03", "2032-02-26"] {
        let out = dir.path().join(as_of);
        excert(
            &[
                "report",
                "fixtures/evidence/demo-fleet.json",
                "--as-of",
                as_of,
            ],
            &out,
        );
        assert_schema("scan.schema.json", &json(&out.join("scan.json")));
    }
}

#[test]
fn the_committed_golden_reports_follow_the_schema() {
    for entry in std::fs::read_dir(root().join("tests/golden")).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".scan.json") {
            assert_schema("scan.schema.json", &json(&path));
        }
    }
}

#[test]
fn store_only_audits_of_every_inventory_fixture_follow_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let mut audited = 0;
    for entry in std::fs::read_dir(root().join("fixtures/inventory")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        // Certificates alone (.der) and the fixture maker are not exports;
        // a cut file is refused by design.
        if !(name.ends_with(".xml") || name.ends_with(".csv")) || name.starts_with("truncated") {
            continue;
        }
        let out = dir.path().join(&name);
        let file = format!("fixtures/inventory/{name}");
        excert(&["report", "--inventory", &file], &out);
        assert_schema("scan.schema.json", &json(&out.join("scan.json")));
        audited += 1;
    }
    assert!(audited >= 8, "only {audited} fixtures audited");
}

#[test]
fn todays_demo_and_its_diff_with_the_saved_fleet_follow_the_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    excert(&["demo", "--as-of", "2026-11-29"], &demo);
    assert_schema("scan.schema.json", &json(&demo.join("scan.json")));

    // The saved fleet is older and smaller than today's demo, so the diff
    // has endpoints added and findings changed for the schema to check.
    let old = root().join("tests/golden/demo-fleet-2026-11-29.scan.json");
    let out = dir.path().join("diff");
    excert(
        &[
            "diff",
            old.to_str().unwrap(),
            demo.join("scan.json").to_str().unwrap(),
        ],
        &out,
    );
    let diff = json(&out.join("diff.json"));
    assert!(
        diff["changes"].as_array().unwrap().len() > 5,
        "real changes for the schema to see: {diff}"
    );
    assert_schema("diff.schema.json", &diff);
}

#[test]
#[should_panic(expected = "breaks")]
fn a_report_with_a_field_renamed_is_refused() {
    let mut doc = json(&root().join("tests/golden/demo-fleet-2026-11-29.scan.json"));
    let endpoint = &mut doc["endpoints"][0];
    let status = endpoint["status"].take();
    endpoint.as_object_mut().unwrap().remove("status");
    endpoint["state"] = status;
    assert_schema("scan.schema.json", &doc);
}

#[test]
#[should_panic(expected = "breaks")]
fn a_report_with_an_unknown_status_is_refused() {
    let mut doc = json(&root().join("tests/golden/demo-fleet-2026-11-29.scan.json"));
    doc["endpoints"][0]["status"] = "fine".into();
    assert_schema("scan.schema.json", &doc);
}
