//! Exit codes, decided in one place. They follow the Nagios plugin
//! convention so monitoring systems can run excert as a check.

use crate::cli::FailOn;
use crate::model::{ScanReport, Severity, Status};

/// Nothing at warning or above (or below the `--fail-on` level).
pub const OK: i32 = 0;
/// The worst finding is a warning.
pub const WARNING: i32 = 1;
/// The worst finding is critical.
pub const CRITICAL: i32 = 2;
/// Nothing could be scanned.
pub const UNKNOWN: i32 = 3;
/// Usage or input errors (clap's default of 2 would read as "critical").
pub const USAGE: i32 = 64;
/// An output could not be created or written (sysexits' EX_CANTCREAT).
pub const CANT_WRITE: i32 = 73;
/// Interrupted by Ctrl-C, SIGTERM or SIGHUP (128 + SIGINT, as shells report it).
pub const INTERRUPTED: i32 = 130;

/// The exit code for a finished scan or re-analysis.
pub fn for_report(report: &ScanReport, fail_on: FailOn) -> i32 {
    if !report.complete {
        return INTERRUPTED;
    }
    // A store-only audit (`excert report --inventory`) scanned nothing on
    // purpose; its findings decide.
    let store_only = report.endpoints.is_empty() && report.inventory.is_some();
    if !store_only && !report.endpoints.iter().any(|e| e.status == Status::Ok) {
        return UNKNOWN;
    }
    let organisation = report.organisation.iter().flat_map(|o| &o.findings);
    let store = report
        .servers
        .iter()
        .flat_map(|s| &s.findings)
        .chain(organisation)
        .map(|f| f.severity);
    let worst = report
        .endpoints
        .iter()
        .filter_map(|e| e.worst())
        .chain(store)
        .min();
    match (worst, fail_on) {
        (_, FailOn::Never) => OK,
        (Some(Severity::Critical), _) => CRITICAL,
        (Some(Severity::Warning), FailOn::Warning) => WARNING,
        _ => OK,
    }
}

/// The exit code for `excert diff`: what the new scan adds, whatever was
/// there before. Removed or resolved findings never raise it.
pub fn for_diff(diff: &crate::diff::Diff) -> i32 {
    match diff.worst_added() {
        Some(Severity::Critical) => CRITICAL,
        Some(Severity::Warning) => WARNING,
        _ => OK,
    }
}
