//! Stage 4: render a [`ScanReport`] for people (HTML, terminal), for
//! spreadsheets (CSV) and for automation (scan.json). Rendering reads the
//! report and never scans.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::model::ScanReport;

pub mod terminal;

/// The files written.
pub struct Written {
    pub json: PathBuf,
    pub csv: PathBuf,
    pub html: PathBuf,
}

pub fn write_all(
    _report: &ScanReport,
    _out_dir: &Path,
    _csv_findings: Option<&Path>,
) -> Result<Written, Error> {
    todo!("write_all")
}
