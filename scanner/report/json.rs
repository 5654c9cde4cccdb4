//! scan.json: the [`ScanReport`] as it is, pretty-printed.

use crate::model::ScanReport;

/// The scan.json text, with a trailing newline.
pub fn render(report: &ScanReport) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}
