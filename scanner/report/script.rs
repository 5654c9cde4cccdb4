//! remediation.ps1, written beside report.html, and the act-now groups'
//! command blocks: every server's steps as PowerShell, with the prose as
//! `#` comments.
//!
//! Nothing in remediation.ps1 runs when it is loaded or dot-sourced: the
//! file holds only comments and one function per server. Commands come
//! from `crate::analyze::commands`, so no scanned text can run; prose is
//! put into comments one line at a time with control characters removed,
//! so it can never end a comment early.

use std::io::{self, Write};

use crate::analyze::commands::{for_each_body, shown, write_for_each, Host};
use crate::analyze::remediation::{organisation_wide, restart_everywhere};
use crate::model::{ScanReport, ServerReport, Step, Task};

/// The longest comment line, so the file reads in an editor.
const WIDTH: usize = 100;

/// `text` as `#` comment lines of at most [`WIDTH`] characters, each
/// starting with `indent`.
fn comment(out: &mut String, indent: &str, text: &str) {
    let mut line = format!("{indent}#");
    for word in shown(text).split_whitespace() {
        if line.len() + 1 + word.len() > WIDTH && line.len() > indent.len() + 1 {
            out.push_str(&line);
            out.push('\n');
            line = format!("{indent}#  ");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
}

/// A PowerShell function name for `host`: `Repair-` and the host name
/// with `.` as `_` when it is a host name, else `Repair-Server<n>`;
/// numbered when two would clash.
fn function_name(host: &str, index: usize, taken: &mut Vec<String>) -> String {
    let mut name = match Host::parse(host) {
        Some(h) => format!("Repair-{}", h.as_str().replace('.', "_")),
        None => format!("Repair-Server{}", index + 1),
    };
    if taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        name = format!("{name}_{}", index + 1);
    }
    taken.push(name.clone());
    name
}

/// One server's steps as a function. The organisation's Auth procedure
/// is left to [`organisation_function`].
fn server_function(out: &mut String, name: &str, s: &ServerReport) {
    out.push_str(&format!("function {name} {{\n"));
    let own: Vec<&Step> = s
        .remediation_steps
        .iter()
        .filter(|st| !organisation_wide(st.task))
        .collect();
    if own.len() < s.remediation_steps.len() {
        out.push_str(
            "    # The Auth certificate is one for the organisation: see Repair-Organisation.\n",
        );
    }
    write_steps(out, &own);
    out.push_str("}\n");
}

/// Steps as a function body: each one's prose as comments (`Step 1 of
/// N: ...`), then its command.
fn write_steps(out: &mut String, steps: &[&Step]) {
    let n = steps.len();
    for (i, step) in steps.iter().enumerate() {
        comment(
            out,
            "    ",
            &format!("Step {} of {n}: {}", i + 1, step.text()),
        );
        match step.command() {
            Some(c) => {
                out.push_str("    ");
                out.push_str(&shown(c));
                out.push('\n');
            }
            None => out.push_str("    # (done by hand: no command)\n"),
        }
    }
}

/// The organisation's Auth procedure, once: the first server's, with the
/// restarts on every server of the report (Edge excepted).
fn organisation_steps(report: &ScanReport) -> Vec<Step> {
    let Some(first) = report.servers.iter().find(|s| {
        s.remediation_steps
            .iter()
            .any(|st| organisation_wide(st.task))
    }) else {
        return Vec::new();
    };
    let everyone: Vec<&str> = report
        .servers
        .iter()
        .filter(|s| !s.group.roles().is_edge())
        .map(|s| s.host.as_str())
        .collect();
    first
        .remediation_steps
        .iter()
        .filter(|st| organisation_wide(st.task))
        .map(|st| {
            if st.task == Task::RestartServices {
                restart_everywhere(&first.host, &everyone)
            } else {
                st.clone()
            }
        })
        .collect()
}

/// `function Repair-Organisation`: the organisation-wide steps, once.
fn organisation_function(out: &mut String, steps: &[Step]) {
    out.push('\n');
    comment(
        out,
        "",
        "==== The organisation: the Exchange Server Auth certificate, rotated once ====",
    );
    out.push_str("function Repair-Organisation {\n");
    write_steps(out, &steps.iter().collect::<Vec<_>>());
    out.push_str("}\n");
}

/// The whole remediation.ps1.
pub fn render(report: &ScanReport) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and every piece written is a str.
    let _ = render_to(report, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Write remediation.ps1 into `w` one server at a time: the whole script
/// is several KB a server, and holding it in one string was the largest
/// single allocation of a large scan.
fn render_to(report: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
    let mut out = String::new();
    let as_of = report
        .as_of
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    for line in [
        "excert remediation script: every server's steps, grouped by server.",
        &format!("Judged as of {as_of}."),
        "",
        "Nothing here runs when the file is loaded: each server's steps are a function, and the \
         prose is in comments. Read a server's steps first. Fill in every '<...>' value (a \
         thumbprint the previous step shows, a .pfx path), then run the commands one step at a \
         time in the Exchange Management Shell. Dot-sourcing the file (. .\\remediation.ps1) \
         only defines the functions; calling one (Repair-EX01) runs all its steps in order, \
         which is only right once every value is filled in.",
        "Edge Transport servers' steps run in the Edge server's own shell; every other \
         Exchange cmdlet names its server with -Server.",
    ] {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            comment(&mut out, "", line);
        }
    }
    let mut taken = vec!["Repair-Organisation".to_string()];
    let organisation = organisation_steps(report);
    let mut any = !organisation.is_empty();
    if any {
        organisation_function(&mut out, &organisation);
    }
    for (i, s) in report.servers.iter().enumerate() {
        if s.remediation_steps.is_empty() {
            continue;
        }
        any = true;
        out.push('\n');
        comment(
            &mut out,
            "",
            &format!(
                "==== {} ({}, {}) ====",
                s.host,
                s.severity.as_str(),
                s.verdict.as_str()
            ),
        );
        if !s.summary.is_empty() {
            comment(&mut out, "", &s.summary);
        }
        let name = function_name(&s.host, i, &mut taken);
        server_function(&mut out, &name, s);
        w.write_all(out.as_bytes())?;
        out.clear();
    }
    if !any {
        // A file of comments alone is not a script to some parsers: one
        // function that only says so.
        out.push_str("\nfunction Repair-Nothing {\n    'No server needs action.'\n}\n");
    }
    w.write_all(out.as_bytes())
}

/// Write remediation.ps1 into `w`.
pub fn write(report: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
    render_to(report, w)
}

/// One copyable block for an act-now group: for each step, one
/// `foreach` over the group's servers when their commands differ only in
/// the server's name, else one line per server. Steps without a command
/// are left to the server cards.
pub fn group_block(servers: &[&ServerReport]) -> String {
    let mut block = String::new();
    let _ = write_group_block(servers, &mut |piece| {
        block.push_str(piece);
        Ok(())
    });
    block
}

/// [`group_block`] handed to `out` a piece at a time (a line, or one
/// server's name in a `foreach` list): the block of a group of 25,000
/// servers names each of them once a step, and is never held whole.
pub fn write_group_block(
    servers: &[&ServerReport],
    out: &mut dyn FnMut(&str) -> io::Result<()>,
) -> io::Result<()> {
    let mut line = String::new();
    comment(
        &mut line,
        "",
        "Run one step at a time; fill in each '<...>' value first (the server cards say what \
         each step does).",
    );
    let n = servers
        .iter()
        .map(|s| s.remediation_steps.len())
        .max()
        .unwrap_or(0);
    let hosts: Vec<&str> = servers.iter().map(|s| s.host.as_str()).collect();
    for i in 0..n {
        let steps: Vec<Option<&Step>> =
            servers.iter().map(|s| s.remediation_steps.get(i)).collect();
        let commands: Vec<&str> = steps
            .iter()
            .filter_map(|s| s.and_then(Step::command))
            .collect();
        if commands.is_empty() {
            continue;
        }
        let task = steps
            .iter()
            .flatten()
            .next()
            .map(|s| task_name(s))
            .unwrap_or_default();
        comment(&mut line, "", &format!("Step {} of {n}: {task}", i + 1));
        if commands.len() == hosts.len() {
            if let Some(body) = for_each_body(&hosts, &commands) {
                out(&line)?;
                line.clear();
                write_for_each(&hosts, &body, out)?;
                out("\n")?;
                continue;
            }
        }
        // The Auth procedure is the organisation's: the first server's
        // command stands for all.
        let org = steps.iter().flatten().any(|s| organisation_wide(s.task));
        let restart;
        let commands = match steps.iter().flatten().next() {
            Some(first) if first.task == Task::RestartServices => {
                restart = restart_everywhere(&first.server, &hosts);
                restart.command().into_iter().collect()
            }
            _ if org => commands.into_iter().take(1).collect(),
            _ => commands,
        };
        let mut seen: Vec<&str> = Vec::new();
        for c in commands {
            // An organisation-wide command (Set-AuthConfig) once.
            if !seen.contains(&c) {
                line.push_str(&shown(c));
                line.push('\n');
                out(&line)?;
                line.clear();
                seen.push(c);
            }
        }
    }
    out(&line)
}

/// The step's task as scan.json spells it (`renew-backend`).
/// The step's task in words (a task id such as `renew-backend` is also a
/// verdict id, and ids never show as text in report.html).
fn task_name(step: &Step) -> String {
    super::labels::task_words(step.task).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn four_servers_with_an_expired_auth_certificate() -> ScanReport {
        let text = include_str!("../../tests/golden/demo-fleet-2026-11-29.scan.json");
        let mut report: ScanReport = serde_json::from_str(text).unwrap();
        report.servers.truncate(4);
        for s in &mut report.servers {
            // As the store's per-server findings give it today.
            s.remediation_steps =
                crate::analyze::remediation::rotate_auth(&s.host, true, None, true, &[&s.host]);
            s.remediation.clear();
        }
        report
    }

    #[test]
    fn the_auth_procedure_is_written_once_for_four_servers() {
        let report = four_servers_with_an_expired_auth_certificate();
        let ps1 = render(&report);
        let code: Vec<&str> = ps1
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect();
        let count = |needle: &str| code.iter().filter(|l| l.contains(needle)).count();
        assert_eq!(count("New-ExchangeCertificate"), 1, "{ps1}");
        assert_eq!(count("Set-AuthConfig -PublishCertificate"), 1);
        assert_eq!(count("Set-AuthConfig -ClearPreviousCertificate"), 1);
        let restart = code
            .iter()
            .find(|l| l.contains("Restart-Service MSExchangeServiceHost"))
            .unwrap();
        for s in &report.servers {
            assert!(restart.contains(&format!("'{}'", s.host)), "{restart}");
        }
        let servers: Vec<&ServerReport> = report.servers.iter().collect();
        let block = group_block(&servers);
        assert_eq!(
            block.matches("New-ExchangeCertificate").count(),
            1,
            "{block}"
        );
        assert_eq!(
            block.matches("Set-AuthConfig -PublishCertificate").count(),
            1
        );
    }

    #[test]
    fn comments_never_break_a_line_early() {
        let mut out = String::new();
        comment(&mut out, "  ", "a\nb; calc\r\n#> <#");
        assert!(
            out.lines().all(|l| l.trim_start().starts_with('#')),
            "{out}"
        );
    }

    #[test]
    fn function_names_are_plain_and_distinct() {
        let mut taken = Vec::new();
        assert_eq!(
            function_name("ex01.contoso", 0, &mut taken),
            "Repair-ex01_contoso"
        );
        assert_eq!(
            function_name("ex01.contoso", 1, &mut taken),
            "Repair-ex01_contoso_2"
        );
        assert_eq!(function_name("$(calc)", 2, &mut taken), "Repair-Server3");
        assert_eq!(function_name(";", 3, &mut taken), "Repair-Server4");
    }
}
