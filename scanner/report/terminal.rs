//! The compact summary printed after a scan: counts, the "act now" list and
//! where the reports are.
//!
//! The caller decides about colour (stdout is a TTY and `NO_COLOR` is
//! unset); this module only obeys. Every string that came from the network
//! or a targets file goes through [`sanitize::visible`], so a certificate
//! cannot send escape sequences to the admin's terminal.

use std::fmt::Write as _;

use super::outputs::Written;
use super::triage::{act_now, counts, organisation_action};
use crate::model::{Grade, ScanReport, Severity};
use crate::text as sanitize;

/// Act-now lines shown before the rest is summed up by group.
const TOP: usize = 8;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("{code}{text}{RESET}")
    } else {
        text.to_string()
    }
}

fn grade_code(grade: Grade) -> &'static str {
    match grade {
        Grade::Critical => "\x1b[1;31m",
        Grade::Warning => "\x1b[33m",
        Grade::Info => "\x1b[36m",
        Grade::Ok => "\x1b[32m",
    }
}

/// The summary text, ending with a newline. With `color`, severities are
/// coloured with ANSI codes; without, the text is plain.
pub fn summary(report: &ScanReport, written: &Written, color: bool) -> String {
    let mut out = header(report, color);
    out.push_str(&act_now_list(report, color));
    let _ = writeln!(out, "\nReports:");
    let servers_csv = written.servers_csv();
    let mut paths = vec![&written.html, &written.csv, &servers_csv, &written.json];
    if let Some(p) = &written.csv_findings {
        paths.push(p);
    }
    for p in paths {
        let _ = writeln!(out, "  {}", sanitize::visible(&p.display().to_string()));
    }
    out
}

/// Scope, servers by grade, and the notice of an interrupted scan.
fn header(report: &ScanReport, color: bool) -> String {
    let c = counts(report);
    let mut out = String::new();
    let as_of = super::format::format_time(report.as_of);
    let _ = writeln!(
        out,
        "{} {} servers, {} endpoints, {} answered (as of {as_of})",
        paint(color, BOLD, "excert:"),
        c.servers,
        c.endpoints,
        c.answered,
    );
    let tiles = [
        (Grade::Critical, c.critical),
        (Grade::Warning, c.warning),
        (Grade::Info, c.info),
        (Grade::Ok, c.ok),
    ];
    let line: Vec<String> = tiles
        .iter()
        .map(|&(grade, n)| {
            let text = format!("{} {n}", grade.as_str());
            if n > 0 {
                paint(color, grade_code(grade), &text)
            } else {
                text
            }
        })
        .collect();
    let _ = writeln!(out, "  servers: {}", line.join("  "));
    if let Some(org) = report
        .organisation
        .as_ref()
        .filter(|o| !o.findings.is_empty())
    {
        let ids: Vec<&str> = org.findings.iter().map(|f| f.id.as_str()).collect();
        let text = format!(
            "organisation: {} ({})",
            org.severity.as_str(),
            ids.join(", ")
        );
        let _ = writeln!(out, "  {}", paint(color, grade_code(org.severity), &text));
    }
    if let Some(notice) = super::triage::incomplete_notice(report) {
        let _ = writeln!(
            out,
            "  {}",
            paint(color, grade_code(Grade::Critical), &notice)
        );
    }
    out
}

/// The organisation first (the Auth certificate, once for every server),
/// then the servers to act on, worst first, each with its first step.
fn act_now_list(report: &ScanReport, color: bool) -> String {
    let mut out = String::new();
    let actions = act_now(report);
    let organisation = organisation_action(report);
    if actions.is_empty() && organisation.is_none() {
        let _ = writeln!(out, "\nNothing to act on now.");
        return out;
    }
    let _ = writeln!(out, "\nAct now:");
    if let Some((severity, headline, fix)) = organisation {
        let label = format!("{:<8}", severity.as_str().to_uppercase());
        let _ = writeln!(
            out,
            "  {} {:>7}  {}",
            paint(color, grade_code(Grade::from(severity)), &label),
            "",
            sanitize::visible(headline)
        );
        if !fix.is_empty() {
            let _ = writeln!(out, "  {:8} {:7}  fix: {}", "", "", sanitize::visible(&fix));
        }
    }
    let width = actions
        .iter()
        .map(|a| sanitize::visible(&a.server.host).chars().count())
        .max()
        .unwrap_or(0);
    for a in actions.iter().take(TOP) {
        let label = match a.severity {
            Severity::Critical => "CRITICAL",
            Severity::Warning => "WARNING ",
            Severity::Info => "INFO    ",
        };
        let host = sanitize::visible(&a.server.host);
        // The headline usually says the days in words; the column
        // makes the list scannable and shows why it is in this order.
        let days = a.days_left.map(|d| format!("{d} d")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {days:>7}  {host:<width$}  {}",
            paint(color, grade_code(Grade::from(a.severity)), label),
            sanitize::visible(a.headline),
        );
        let pad = format!("  {:8} {:7}  {:width$}  ", "", "", "");
        let steps = &a.server.remediation_steps;
        if let Some(first) = steps.first() {
            // The first step, said as one of N, with its command on a line
            // of its own so it can be copied alone.
            let _ = writeln!(
                out,
                "{pad}fix: step 1 of {}: {}",
                steps.len(),
                sanitize::visible(&first.text())
            );
            if let Some(c) = first.command() {
                let _ = writeln!(out, "{pad}  PS> {}", sanitize::visible(c));
            }
        } else {
            let fix = a.fix();
            if !fix.is_empty() {
                let _ = writeln!(out, "{pad}fix: {}", sanitize::visible(&fix));
            }
        }
    }
    if actions.len() > TOP {
        // A large fleet: the rest as counts of the same work, so the
        // summary stays a screenful however many servers need action.
        let _ = writeln!(
            out,
            "  ... and {} more; all {} by the work they need:",
            actions.len() - TOP,
            actions.len()
        );
        for g in super::groups::act_now_groups(report) {
            let _ = writeln!(
                out,
                "  {} {}",
                paint(
                    color,
                    grade_code(Grade::from(g.severity)),
                    &format!("{:<8}", g.severity.as_str().to_uppercase())
                ),
                g.title()
            );
        }
    }
    out
}
