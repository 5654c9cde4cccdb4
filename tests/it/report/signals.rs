//! `excert report` and `excert diff` finish the set they are writing when
//! SIGTERM or SIGHUP arrives (a dropped SSH session), as `scan` does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Whether `dir` holds one of the set's temporary files: writing began.
fn writing(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains(".tmp-"))
    })
}

#[test]
fn report_finishes_its_set_on_sigterm_and_sighup() {
    let dir = std::env::temp_dir().join(format!("excert-report-signals-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scan = dir.join("scan.json");
    let mut file = std::fs::File::create(&scan).unwrap();
    excert::report::json::write(&common::fleet_of(2000), &mut file).unwrap();
    drop(file);
    for signal in ["TERM", "HUP"] {
        let out = dir.join(format!("out-{signal}"));
        std::fs::create_dir_all(&out).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_excert"))
            .args(["report", "-q", "--fail-on", "never"])
            .arg(&scan)
            .arg("--out")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for the write to begin, then signal.
        let start = Instant::now();
        while !writing(&out) {
            assert!(
                child.try_wait().unwrap().is_none(),
                "finished before writing was seen"
            );
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "never started writing"
            );
            std::thread::yield_now();
        }
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success());
        let result = child.wait_with_output().unwrap();
        assert_eq!(result.status.code(), Some(0), "SIG{signal}: {result:?}");
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(
            html.trim_end().ends_with("</html>"),
            "SIG{signal}: report.html cut short"
        );
        assert!(out.join("servers.csv").exists() && out.join("scan.json").exists());
        assert!(!writing(&out), "SIG{signal}: temporary files left");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
