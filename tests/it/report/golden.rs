//! Golden outputs: `excert report` on saved evidence of the demo fleet at fixed
//! as-of times must write exactly the committed scan.json and report.csv.
//!
//! scan.json is a public contract (field names, order, ids, statuses). Any
//! change shows up here as a diff. When a change is intended, rewrite the
//! golden files and review the diff in the commit:
//!
//!     EXCERT_UPDATE_GOLDEN=1 cargo test --test it report::golden
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The demo fleet's evidence, saved once from `excert demo` (7 servers, one
/// backend port refused). Its CA bundle path is relative to the crate root.
const EVIDENCE: &str = "fixtures/evidence/demo-fleet.json";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run `excert report` on the evidence and return the output folder.
fn report(as_of: &str, out: &Path) -> i32 {
    let status = Command::new(env!("CARGO_BIN_EXE_excert"))
        .current_dir(root())
        .args(["report", EVIDENCE, "--as-of", as_of, "--quiet", "--out"])
        .arg(out)
        .status()
        .expect("run excert");
    status.code().expect("exit code")
}

/// Compare a written file with its golden copy, or rewrite the golden copy.
fn check(written: &Path, golden: &str) {
    let golden = root().join("tests/golden").join(golden);
    let actual = std::fs::read_to_string(written).expect("read output");
    if std::env::var_os("EXCERT_UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (EXCERT_UPDATE_GOLDEN=1 writes it)",
            golden.display()
        )
    });
    if actual != expected {
        let first = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or(actual.lines().count().min(expected.lines().count()));
        panic!(
            "{} differs from {} from line {}:\n  got:      {}\n  expected: {}\n\
             If the change is intended: EXCERT_UPDATE_GOLDEN=1 cargo test --test it report::golden, and review the diff.",
            written.display(),
            golden.display(),
            first + 1,
            actual.lines().nth(first).unwrap_or("<end>"),
            expected.lines().nth(first).unwrap_or("<end>"),
        );
    }
}

fn golden_case(as_of: &str, name: &str, exit: i32) {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(report(as_of, dir.path()), exit, "exit code as of {as_of}");
    check(&dir.path().join("scan.json"), &format!("{name}.scan.json"));
    check(
        &dir.path().join("report.csv"),
        &format!("{name}.report.csv"),
    );
}

#[test]
fn demo_fleet_on_the_day_it_was_scanned() {
    golden_case("2026-11-29T12:00:00Z", "demo-fleet-2026-11-29", 2);
}

#[test]
fn demo_fleet_half_a_year_later() {
    // Every lab certificate has expired or is close: expiry findings and
    // cliffs change, the evidence does not.
    golden_case("2027-06-01T00:00:00Z", "demo-fleet-2027-06-01", 2);
}
