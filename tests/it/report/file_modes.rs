//! Outputs get the mode any program's new files get: 0666 less the
//! process umask, or an existing file's own mode, so node_exporter (its
//! own user) can read a `.prom` file and a shared report folder stays
//! readable.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/demo-fleet-2026-11-29.scan.json"
);

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("excert-modes-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `excert report DEMO --out dir/out --prom dir/excert.prom` under `umask`.
fn report_under(umask: &str, dir: &Path) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_excert"))
        .args(["report", "-q", DEMO, "--out"])
        .arg(dir.join("out"))
        .arg("--prom")
        .arg(dir.join("excert.prom"))
        .output()
        .expect("run excert");
    assert!(
        out.status.code().is_some_and(|c| c < 64),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn new_outputs_follow_the_umask() {
    for (umask, want) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let dir = scratch(&format!("new-{umask}"));
        report_under(umask, &dir);
        for name in [
            "out/scan.json",
            "out/report.csv",
            "out/servers.csv",
            "out/report.html",
            "out/remediation.ps1",
            "excert.prom",
        ] {
            assert_eq!(mode(&dir.join(name)), want, "umask {umask}: {name}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_replaced_file_keeps_its_mode() {
    let dir = scratch("keep");
    let prom = dir.join("excert.prom");
    std::fs::write(&prom, "").unwrap();
    std::fs::set_permissions(&prom, std::fs::Permissions::from_mode(0o644)).unwrap();
    // A strict umask does not take node_exporter's read access away.
    report_under("077", &dir);
    assert_eq!(mode(&prom), 0o644);
    assert!(std::fs::read_to_string(&prom).unwrap().contains("excert_"));
    let _ = std::fs::remove_dir_all(&dir);
}
