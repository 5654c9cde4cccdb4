//! TEMPORARY STUB: replaced by the report branch.
use super::Written;
use crate::model::ScanReport;
pub fn summary(report: &ScanReport, written: &Written, _color: bool) -> String {
    format!(
        "{} endpoints; report: {}\n",
        report.endpoints.len(),
        written.html.display()
    )
}
