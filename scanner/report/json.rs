//! scan.json: the [`ScanReport`] as it is, pretty-printed.

use std::io::{self, Write};

use crate::model::ScanReport;

/// Stream scan.json to `out`, with a trailing newline; nothing of the size
/// of the report is built in memory.
pub fn write(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// The scan.json text, with a trailing newline.
pub fn render(report: &ScanReport) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}
