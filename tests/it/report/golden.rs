//! Golden outputs: `excert report` on saved evidence of the demo fleet at fixed
//! as-of times must write exactly the committed scan.json and report.csv.
//! Two fleets: the first demo (7 servers, web ports only), and today's demo
//! (mail ports, two sites) joined with the committed store exports, so the
//! SMTP, site and store findings are pinned as well.
//!
//! scan.json is a public contract (field names, order, ids, statuses). Any
//! change shows up here as a diff. When a change is intended, rewrite the
//! golden files and review the diff in the commit:
//!
//!     EXCERT_UPDATE_GOLDEN=1 cargo test --test it report::golden
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::lab_support::assert_schema;

/// The demo fleet's evidence, saved once from `excert demo` (7 servers, one
/// backend port refused). Its CA bundle path is relative to the crate root.
const EVIDENCE: &str = "fixtures/evidence/demo-fleet.json";

/// Today's demo, saved with `excert demo --as-of 2026-12-06T12:00:00Z`: 9
/// servers in sites HQ and Branch, 443, 444 and SMTP each, one backend port
/// refused; and, as the demo now has it, the load balancer's VIP for
/// mail.contoso.lab (its two endpoints added to the saved evidence: EX08's
/// previous certificate on HTTPS, the public one on SMTP). Its CA bundle
/// path is relative to the crate root.
const EVIDENCE_MAIL: &str = "fixtures/evidence/demo-fleet-2026-12-06.json";

/// Store exports joined with it: a remote `Get-ExchangeCertificate`
/// export, the Auth configuration, `Get-ExchangeServer` and the receive
/// connectors (their servers are store-only beside the demo's).
const INVENTORY: [&str; 4] = [
    "fixtures/inventory/certs-remote.xml",
    "fixtures/inventory/authconfig.xml",
    "fixtures/inventory/servers.xml",
    "fixtures/inventory/receive.xml",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run `excert report` on `evidence` (with `inventory`) into `out`; the
/// exit code.
fn report(evidence: &str, inventory: &[&str], as_of: &str, out: &Path) -> i32 {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_excert"));
    cmd.current_dir(root())
        .args(["report", evidence, "--as-of", as_of, "--quiet", "--out"])
        .arg(out);
    for file in inventory {
        cmd.args(["--inventory", file]);
    }
    let status = cmd.status().expect("run excert");
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
    golden_with(EVIDENCE, &[], as_of, name, exit);
}

fn golden_with(evidence: &str, inventory: &[&str], as_of: &str, name: &str, exit: i32) {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        report(evidence, inventory, as_of, dir.path()),
        exit,
        "exit code as of {as_of}"
    );
    let scan = std::fs::read_to_string(dir.path().join("scan.json")).expect("scan.json");
    assert_schema(
        "scan.schema.json",
        &serde_json::from_str(&scan).expect("scan.json is JSON"),
    );
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

#[test]
fn todays_demo_with_mail_ports_sites_and_stores_on_the_day() {
    golden_with(
        EVIDENCE_MAIL,
        &INVENTORY,
        "2026-12-06T12:00:00Z",
        "demo-fleet-inventory-2026-12-06",
        2,
    );
}

#[test]
fn todays_demo_with_mail_ports_sites_and_stores_half_a_year_later() {
    golden_with(
        EVIDENCE_MAIL,
        &INVENTORY,
        "2027-06-01T00:00:00Z",
        "demo-fleet-inventory-2027-06-01",
        2,
    );
}
