//! Stage 4: render a [`ScanReport`] for people (HTML, terminal), for
//! spreadsheets (CSV) and for automation (scan.json). Rendering reads the
//! report and never scans.
//!
//! Each output has its own module; the text neutralising rules for all of
//! them live together in [`crate::text`], and the report set is written through
//! [`atomic::Set`] so an interrupted run never leaves half a report or a mix
//! of two.
//! What the HTML and the terminal both need (counts, the "act now" list)
//! is computed once, in [`triage`].

pub mod atomic;
pub mod csv;
pub mod fleet_table;
pub mod format;
pub mod groups;
pub mod html;
pub mod json;
pub mod labels;
pub mod outputs;
pub mod prom;
pub mod script;
pub mod terminal;
mod timeline;
pub mod triage;

use std::path::Path;

use crate::analyze::catalog;
use crate::error::Error;
use crate::model::ScanReport;

pub use outputs::Written;
pub use terminal::summary;
pub use triage::{
    act_now, counts, endpoint_grade, incomplete_notice, Action, Counts, EndpointGrade,
};

/// Write scan.json, report.csv, servers.csv, report.html and remediation.ps1 into `out_dir` (created if
/// missing), plus the findings CSV at `csv_findings` when given.
/// The finding catalogue becomes the appendix of report.html.
///
/// The set is replaced as a whole: every file is written to a temporary
/// name first and renamed only when all are complete, so the folder holds
/// the old set or the new one, never a mix. A failure names the file.
pub fn write_all(
    report: &ScanReport,
    out_dir: &Path,
    csv_findings: Option<&Path>,
) -> Result<Written, Error> {
    let mut set = atomic::Set::default();
    let written = stage_all(report, out_dir, csv_findings, &mut set)?;
    commit(set)?;
    Ok(written)
}

/// The files of [`write_all`], staged into `set` but not yet renamed, so a
/// command with more outputs (Prometheus, diffs) can add its own files to
/// the same set before [`commit`].
pub fn stage_all(
    report: &ScanReport,
    out_dir: &Path,
    csv_findings: Option<&Path>,
    set: &mut atomic::Set,
) -> Result<Written, Error> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::write(out_dir, format!("cannot create the output folder: {e}")))?;
    let written = Written {
        json: out_dir.join("scan.json"),
        csv: out_dir.join("report.csv"),
        html: out_dir.join("report.html"),
        csv_findings: csv_findings.map(Path::to_path_buf),
    };
    for path in written.paths() {
        atomic::remove_stale(path);
    }
    atomic::remove_stale(&written.script());
    atomic::remove_stale(&written.servers_csv());

    stage(set, &written.json, |w| json::write(report, w))?;

    stage(set, &written.csv, |w| {
        csv::write_endpoints(report, w).map_err(csv_io)
    })?;

    stage(set, &written.servers_csv(), |w| {
        csv::write_servers(report, w).map_err(csv_io)
    })?;

    if let Some(path) = &written.csv_findings {
        stage(set, path, |w| {
            csv::write_findings(report, w).map_err(csv_io)
        })?;
    }

    stage(set, &written.html, |w| {
        html::render_to(report, &catalog::all(), w).map_err(std::io::Error::other)
    })?;
    stage(set, &written.script(), |w| script::write(report, w))?;
    Ok(written)
}

/// Rename every staged file over its target.
pub fn commit(set: atomic::Set) -> Result<(), Error> {
    set.commit().map_err(|(path, e)| Error::write(path, e))
}

/// Stage one file; a failure (full disk, read-only folder) names it.
pub fn stage(
    set: &mut atomic::Set,
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    set.add(path, fill).map_err(|e| Error::write(path, e))
}

/// A CSV failure while streaming is a write failure (the rows are plain
/// strings; the csv crate fails only on I/O).
fn csv_io(e: ::csv::Error) -> std::io::Error {
    match e.into_kind() {
        ::csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("could not render: {other:?}")),
    }
}
