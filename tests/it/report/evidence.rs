//! Evidence is never lost: outputs checked before any work, inputs never
//! overwritten, the report set replaced as a whole, every input bounded.
//!
//! These run the real binary on real files; the full-disk case mounts a
//! small tmpfs where the test may (root in CI) and says so when it cannot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::sample_report;

fn excert(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_excert"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the excert binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

/// A saved scan in `dir/name/scan.json`, as `excert scan` writes it.
fn saved_scan(dir: &Path, name: &str) -> PathBuf {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("scan.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&sample_report()).unwrap()).unwrap();
    path
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn report_with_the_default_out_never_overwrites_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let scan = saved_scan(dir.path(), "excert-report");
    let before = std::fs::read(&scan).unwrap();
    // The README's example, run from the folder holding excert-report/.
    let out = Command::new(env!("CARGO_BIN_EXE_excert"))
        .args(["report", "excert-report/scan.json", "--as-of", "2027-06-30"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        std::fs::read(&scan).unwrap(),
        before,
        "the evidence is unchanged"
    );
    assert!(
        stderr(&out).contains("writing to excert-report-as-of-2027-06-30"),
        "{}",
        stderr(&out)
    );
    let new = dir.path().join("excert-report-as-of-2027-06-30/scan.json");
    let text = std::fs::read_to_string(new).expect("the new reports were written elsewhere");
    assert!(text.contains("\"as_of\": \"2027-06-30T00:00:00Z\""));

    // Naming the input's folder with --out is refused, naming which.
    let out = excert(&[
        "report",
        p(&scan),
        "--out",
        p(&dir.path().join("excert-report/../excert-report")),
    ]);
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("would overwrite the input SCAN.json"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&scan).unwrap(), before);
}

#[test]
fn an_extra_output_may_not_replace_an_input_or_another_output() {
    let dir = tempfile::tempdir().unwrap();
    let scan = saved_scan(dir.path(), "saved");
    let before = std::fs::read(&scan).unwrap();
    let cf = dir.path().join("cf");
    // The repro: --csv-findings names the scan.json being read.
    let out = excert(&[
        "report",
        p(&scan),
        "--out",
        p(&cf),
        "--csv-findings",
        p(&scan),
    ]);
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
    assert!(stderr(&out).contains("--csv-findings"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&scan).unwrap(), before);
    // ... or one of the reports.
    let report_csv = cf.join("report.csv");
    let out = excert(&[
        "report",
        p(&scan),
        "--out",
        p(&cf),
        "--csv-findings",
        p(&report_csv),
    ]);
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is the same file as --out"),
        "{}",
        stderr(&out)
    );
    assert!(!cf.join("scan.json").exists(), "refused before any work");
    // ... or a CA bundle.
    let bundle = dir.path().join("root.pem");
    std::fs::write(&bundle, "keep me").unwrap();
    let out = excert(&[
        "scan",
        "127.0.0.1",
        "--ca-bundle",
        p(&bundle),
        "--out",
        p(&cf),
        "--csv-findings",
        p(&bundle),
    ]);
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&bundle).unwrap(), "keep me");
}

/// A listener that counts connections, to prove no packet was sent.
fn listener() -> (std::net::TcpListener, u16) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

#[test]
fn unwritable_outputs_are_refused_before_the_first_packet() {
    let dir = tempfile::tempdir().unwrap();
    let (l, port) = listener();
    let port = port.to_string();
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            "127.0.0.1",
            "--frontend-ports",
            &port,
            "--backend-ports",
            "1",
        ];
        args.extend(extra);
        excert(&args)
    };
    // --out under a regular file: not creatable, even for root.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let out = scan(&["--out", p(&file.join("out"))]);
    assert_eq!(out.status.code(), Some(73), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot create the output folder"),
        "{}",
        stderr(&out)
    );
    // --out naming an existing file.
    let out = scan(&["--out", p(&file)]);
    assert_eq!(out.status.code(), Some(73), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--out names the folder"),
        "{}",
        stderr(&out)
    );
    // --csv-findings naming a folder.
    let out = scan(&[
        "--out",
        p(&dir.path().join("o")),
        "--csv-findings",
        p(dir.path()),
    ]);
    assert_eq!(out.status.code(), Some(73), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--csv-findings names a folder"),
        "{}",
        stderr(&out)
    );
    // A folder in /proc cannot take files.
    if Path::new("/proc/self").exists() {
        let out = scan(&["--out", "/proc/self"]);
        assert_eq!(out.status.code(), Some(73), "{}", stderr(&out));
    }
    // A read-only mount, where the test may mount one.
    if let Some(ro) = Tmpfs::mount(dir.path(), "ro,size=64k") {
        let out = scan(&["--out", p(&ro.path.join("out"))]);
        assert_eq!(out.status.code(), Some(73), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("nothing was scanned") || stderr(&out).contains("output folder")
        );
    }
    assert!(
        matches!(l.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "no connection was made"
    );
}

/// A small tmpfs, unmounted on drop. `None` (with a note) where mounting
/// is not permitted.
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    fn mount(parent: &Path, options: &str) -> Option<Tmpfs> {
        let path = parent.join(format!("tmpfs-{}", options.replace([',', '='], "-")));
        std::fs::create_dir_all(&path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs", p(&path)])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("note: cannot mount a tmpfs here (not root?); skipping the {options} case");
            return None;
        }
        Some(Tmpfs { path })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).output();
    }
}

#[test]
fn a_full_disk_keeps_the_old_set_whole() {
    let dir = tempfile::tempdir().unwrap();
    let scan = saved_scan(dir.path(), "saved");
    let Some(fs) = Tmpfs::mount(dir.path(), "size=256k") else {
        return;
    };
    let out_dir = fs.path.join("out");
    let out = excert(&["report", p(&scan), "--out", p(&out_dir)]);
    assert_eq!(
        out.status.code().map(|c| c < 64),
        Some(true),
        "{}",
        stderr(&out)
    );
    let set = ["scan.json", "report.csv", "report.html", "remediation.ps1"];
    let old: Vec<Vec<u8>> = set
        .iter()
        .map(|n| std::fs::read(out_dir.join(n)).unwrap())
        .collect();
    // Fill the disk so the next set cannot be written in full.
    let free_kb = 256
        - old
            .iter()
            .map(|b| b.len().div_ceil(4096) * 4)
            .sum::<usize>();
    let filler = fs.path.join("filler");
    let _ = std::fs::write(&filler, vec![0u8; (free_kb - 40) * 1024]);
    let out = excert(&[
        "report",
        p(&scan),
        "--out",
        p(&out_dir),
        "--as-of",
        "2030-01-01",
    ]);
    assert_eq!(out.status.code(), Some(73), "{}", stderr(&out));
    let now: Vec<Vec<u8>> = set
        .iter()
        .map(|n| std::fs::read(out_dir.join(n)).unwrap())
        .collect();
    assert_eq!(now, old, "the folder still holds the old set, not a mix");
    assert_eq!(
        files_in(&out_dir),
        [
            "remediation.ps1",
            "report.csv",
            "report.html",
            "scan.json",
            "servers.csv"
        ]
    );
}

#[test]
fn special_and_huge_inputs_are_refused_with_a_clear_error() {
    let out = excert(&["report", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
    let out = excert(&["scan", "127.0.0.1", "--ca-bundle", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
    let out = excert(&["report", "--inventory", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
    let out = excert(&["scan", "--targets-file", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
    // A FIFO would block a plain read forever.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    if Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        for args in [
            vec!["report", p(&fifo)],
            vec!["report", "--inventory", p(&fifo)],
        ] {
            let out = excert(&args);
            assert_eq!(out.status.code(), Some(64));
            assert!(
                stderr(&out).contains("not a regular file"),
                "{}",
                stderr(&out)
            );
        }
    }
    // A sparse CA bundle past the limit is refused without reading it.
    let big = dir.path().join("big.pem");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(excert::input::files::MAX_CA_BUNDLE_BYTES + 1)
        .unwrap();
    let out = excert(&["scan", "127.0.0.1", "--ca-bundle", p(&big)]);
    assert_eq!(out.status.code(), Some(64));
    assert!(
        stderr(&out).contains("16 MB limit for a CA bundle"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn errors_quote_only_a_short_excerpt_of_hostile_input() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = serde_json::to_value(sample_report()).unwrap();
    report["tool"] = serde_json::Value::String(format!("\u{1b}[31m{}", "A".repeat(5_000_000)));
    let path = dir.path().join("scan.json");
    std::fs::write(&path, serde_json::to_vec(&report).unwrap()).unwrap();
    let out = excert(&["report", p(&path), "--out", p(&dir.path().join("o"))]);
    assert_eq!(out.status.code(), Some(64));
    let err = stderr(&out);
    assert!(err.len() < 600, "{} bytes of stderr", err.len());
    assert!(!err.contains('\u{1b}'), "{err}");
    assert!(
        err.contains("does not follow the scan.json schema"),
        "{err}"
    );
}

#[test]
fn a_scan_json_with_a_utf8_bom_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let scan = saved_scan(dir.path(), "saved");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(&scan).unwrap());
    std::fs::write(&scan, bytes).unwrap();
    let out = excert(&["report", p(&scan), "--out", p(&dir.path().join("o")), "-q"]);
    assert!(
        out.status.code().is_some_and(|c| c < 64),
        "{}",
        stderr(&out)
    );
}

#[test]
fn stale_temporary_files_are_removed_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let scan = saved_scan(dir.path(), "saved");
    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    // What a SIGKILL during the write leaves (no process has this pid).
    let stale = out_dir.join(".report.html.tmp-4000000000-AbCdEf");
    std::fs::write(&stale, "half a report").unwrap();
    let unrelated = out_dir.join(".report.html.tmp-notes");
    std::fs::write(&unrelated, "not ours").unwrap();
    let out = excert(&["report", p(&scan), "--out", p(&out_dir), "-q"]);
    assert!(
        out.status.code().is_some_and(|c| c < 64),
        "{}",
        stderr(&out)
    );
    assert!(!stale.exists(), "the stale temp file is gone");
    assert!(unrelated.exists(), "files of other naming stay");
}

/// The demo fleet's saved evidence with certificate `cert` of endpoint
/// `endpoint` replaced by DER that does not parse (the repro).
fn garbled_scan(dir: &Path, endpoint: usize, cert: usize) -> PathBuf {
    let text = std::fs::read_to_string("tests/golden/demo-fleet-2026-11-29.scan.json").unwrap();
    let mut scan: serde_json::Value = serde_json::from_str(&text).unwrap();
    scan["endpoints"][endpoint]["chain"][cert]["der_base64"] = "MAMCAQA=".into();
    let path = dir.join(format!("garbled-{endpoint}-{cert}.json"));
    std::fs::write(&path, serde_json::to_vec(&scan).unwrap()).unwrap();
    path
}

#[test]
fn unparsable_certificates_get_no_made_up_dates_and_are_named() {
    let dir = tempfile::tempdir().unwrap();
    for cert in [0, 1] {
        let scan = garbled_scan(dir.path(), 0, cert);
        let out_dir = dir.path().join(format!("out-{cert}"));
        let out = excert(&["report", p(&scan), "--out", p(&out_dir), "-q"]);
        assert!(
            out.status.code().is_some_and(|c| c < 64),
            "{}",
            stderr(&out)
        );
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out_dir.join("scan.json")).unwrap()).unwrap();
        crate::lab_support::assert_schema("scan.schema.json", &json);
        let e = &json["endpoints"][0];
        let garbled = &e["chain"][cert];
        assert_eq!(garbled["classification"], "unparsable");
        for field in ["not_before", "not_after", "days_left"] {
            assert!(garbled[field].is_null(), "{field} = {}", garbled[field]);
        }
        let named: Vec<&serde_json::Value> = e["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == "cert-unparsable")
            .collect();
        assert_eq!(named.len(), 1, "{}", e["findings"]);
        let sha1 = garbled["sha1"].as_str().unwrap();
        assert!(named[0]["detail"].as_str().unwrap().contains(sha1));

        // The CSV leaves the dates empty; the HTML never says "expires today".
        let csv = std::fs::read_to_string(out_dir.join("report.csv")).unwrap();
        let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
        assert!(!html.contains("expires today"));
        if cert == 0 {
            let row = csv.lines().nth(1).unwrap();
            assert!(!row.contains(",0,"), "{row}");
            let server = &json["servers"][0];
            let summary = server["summary"].as_str().unwrap();
            assert!(summary.contains("unparsable certificate"), "{summary}");
            assert!(!summary.contains(": ok"), "{summary}");
        }
    }
}
