//! The compact summary printed after a scan: counts, the "act now" list and
//! where the reports are.
//!
//! The caller decides about colour (stdout is a TTY and `NO_COLOR` is
//! unset); this module only obeys. Every string that came from the network
//! or a targets file goes through [`sanitize::visible`], so a certificate
//! cannot send escape sequences to the admin's terminal.

use std::fmt::Write as _;

use super::outputs::Written;
use super::triage::{counts, organisation_action, Action};
use crate::model::{Grade, ScanReport, Severity};
use crate::text as sanitize;

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

/// How the summary is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Severities in ANSI colours.
    pub color: bool,
    /// Every server and every step (`--verbose`), not a few per group.
    pub verbose: bool,
    /// The terminal's width in columns: every line but a command fits.
    pub width: usize,
}

/// The width when `COLUMNS` does not say: what most terminals open at.
pub const DEFAULT_WIDTH: usize = 100;

/// The terminal width from `COLUMNS`, else [`DEFAULT_WIDTH`]; never under
/// 40, where nothing useful fits.
pub fn width_from_env() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&w| w > 0)
        .unwrap_or(DEFAULT_WIDTH)
        .max(40)
}

/// Servers shown per act-now group before "and N more" (without
/// `--verbose`).
const PER_GROUP: usize = 3;

/// The summary text, ending with a newline. With `color`, severities are
/// coloured with ANSI codes; without, the text is plain. At the default
/// width, not verbose.
pub fn summary(report: &ScanReport, written: &Written, color: bool) -> String {
    summary_shaped(
        report,
        written,
        Shape {
            color,
            verbose: false,
            width: DEFAULT_WIDTH,
        },
    )
}

/// The summary laid out as `shape` says.
pub fn summary_shaped(report: &ScanReport, written: &Written, shape: Shape) -> String {
    let color = shape.color;
    let mut out = header(report, color);
    out.push_str(&act_now_list(report, shape));
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

/// `text` cut to `width` characters, with `…` where it was cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Scope, servers by grade, and the notice of an interrupted scan.
fn header(report: &ScanReport, color: bool) -> String {
    let c = counts(report);
    let mut out = String::new();
    let as_of = super::format::format_time(report.as_of);
    // Load balancer VIPs are counted with the servers, and said apart.
    let vips = report
        .servers
        .iter()
        .filter(|s| super::triage::is_balancer(report, s))
        .count();
    let vips = match vips {
        0 => String::new(),
        1 => " (1 a load balancer)".to_string(),
        n => format!(" ({n} load balancers)"),
    };
    let _ = writeln!(
        out,
        "{} {} servers{vips}, {} endpoints, {} answered (as of {as_of})",
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
    if let Some(line) = super::triage::end_of_support_line(report) {
        let text = format!("end of support: {}", sanitize::visible(&line));
        let _ = writeln!(out, "  {}", paint(color, grade_code(Grade::Info), &text));
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

/// An act-now line's server and reason. A VIP's host is its address, so
/// its namespaces stand beside it, where a narrow terminal cannot cut them
/// (and leave the reason, which would repeat them).
fn who_and_why(report: &ScanReport, a: &Action<'_>) -> (String, String) {
    let host = sanitize::visible(&a.server.host);
    let reason = a.reason();
    let names = super::triage::balancer_namespaces(report, a.server).join(", ");
    if names.is_empty() {
        return (host, sanitize::visible(reason));
    }
    let rest = reason
        .strip_prefix("load balancer for ")
        .and_then(|r| r.strip_prefix(names.as_str()))
        .and_then(|r| r.strip_prefix("; "))
        .unwrap_or(reason);
    (
        format!("{host} ({})", sanitize::visible(&names)),
        sanitize::visible(rest),
    )
}

/// The organisation first (the Auth certificate, once for every server),
/// then the servers to act on, grouped by the work they need (worst group
/// first): a heading per group, one line per server (severity, days,
/// server, why), then the group's step 1 and its command on a line of its
/// own. Without `--verbose`, a few servers per group and "and N more".
fn act_now_list(report: &ScanReport, shape: Shape) -> String {
    let Shape {
        color,
        verbose,
        width,
    } = shape;
    let mut out = String::new();
    let groups = super::groups::act_now_groups(report);
    let organisation = organisation_action(report);
    if groups.is_empty() && organisation.is_none() {
        let _ = writeln!(out, "\nNothing to act on now.");
        return out;
    }
    let _ = writeln!(out, "\nAct now:");
    if let Some((severity, headline, fix)) = organisation {
        let label = format!("{:<8}", severity.as_str().to_uppercase());
        let rest = fit(&sanitize::visible(headline), width.saturating_sub(12));
        let _ = writeln!(
            out,
            "  {} {rest}",
            paint(color, grade_code(Grade::from(severity)), &label)
        );
        if !fix.is_empty() {
            let _ = writeln!(
                out,
                "    {}",
                fit(&sanitize::visible(&fix), width.saturating_sub(4))
            );
        }
    }
    for g in &groups {
        let label = format!("{:<8}", g.severity.as_str().to_uppercase());
        let title = fit(&sanitize::visible(&g.title()), width.saturating_sub(11));
        let _ = writeln!(
            out,
            "\n  {} {title}",
            paint(color, grade_code(Grade::from(g.severity)), &label)
        );
        let shown = if verbose { g.actions.len() } else { PER_GROUP };
        for a in g.actions.iter().take(shown) {
            let (host, why) = who_and_why(report, a);
            let days = a.days_left.map(|d| format!("{d} d")).unwrap_or_default();
            let sev = match a.severity {
                Severity::Critical => "CRITICAL",
                Severity::Warning => "WARNING ",
                Severity::Info => "INFO    ",
            };
            let head = format!("    {sev} {days:>7}  {host}  ");
            let room = width.saturating_sub(head.chars().count());
            let why = fit(&why, room);
            let line = fit(&format!("{head}{why}"), width);
            let _ = writeln!(
                out,
                "{}",
                if color {
                    line.replacen(
                        sev,
                        &paint(true, grade_code(Grade::from(a.severity)), sev),
                        1,
                    )
                } else {
                    line
                }
            );
        }
        if g.actions.len() > shown {
            let _ = writeln!(
                out,
                "    ... and {} more (--verbose lists them)",
                g.actions.len() - shown
            );
        }
        // The first server's steps stand for the group's: the same work,
        // with the server's name in the command.
        let Some(first) = g.actions.first() else {
            continue;
        };
        let steps = &first.server.remediation_steps;
        let listed = if verbose { steps.len() } else { 1 };
        for (i, step) in steps.iter().take(listed).enumerate() {
            let text = format!("step {} of {}: {}", i + 1, steps.len(), step.text());
            let _ = writeln!(
                out,
                "    {}",
                fit(&sanitize::visible(&text), width.saturating_sub(4))
            );
            // On a line of its own, whole, so it can be copied (after the
            // prompt, which marks it as the line to paste).
            if let Some(c) = step.command() {
                let _ = writeln!(out, "PS> {}", sanitize::visible(c));
            }
        }
        if steps.is_empty() {
            let fix = first.fix();
            if !fix.is_empty() {
                let _ = writeln!(
                    out,
                    "    {}",
                    fit(&sanitize::visible(&fix), width.saturating_sub(4))
                );
            }
        }
    }
    out
}
