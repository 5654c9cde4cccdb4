//! PowerShell as Microsoft's reference reads it: tree-sitter-powershell
//! for the syntax, exchange-cmdlets.json (extracted from
//! MicrosoftDocs/office-docs-powershell) for each Exchange cmdlet's
//! parameters and parameter sets.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use serde_json::Value;
use tree_sitter::{Node, Parser};

/// Commands that are not Exchange cmdlets and that a step may use.
pub const ALLOWED: &[&str] = &[
    "Invoke-Command",
    "Import-Module",
    "Get-WebBinding",
    "Restart-Service",
    "Restart-WebAppPool",
    "iisreset",
    "Where-Object",
    "Format-List",
    "Test-Path",
    "New-Item",
    "New-ItemProperty",
    "Out-Null",
    "Read-Host",
    "Get-Date",
    "excert",
    ".\\MonitorExchangeAuthCertificate.ps1",
];

pub fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/reference/exchange-cmdlets.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("exchange-cmdlets.json"))
        .expect("the reference is JSON")
}

fn parser() -> Parser {
    let mut p = Parser::new();
    p.set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("the PowerShell grammar loads");
    p
}

/// The ERROR or MISSING nodes of `script`, as text.
pub fn syntax_errors(script: &str) -> Vec<String> {
    let tree = parser().parse(script, None).expect("parses");
    let mut out = Vec::new();
    walk(tree.root_node(), &mut |n| {
        if n.is_error() || n.is_missing() {
            out.push(format!(
                "{} at {}: {:?}",
                if n.is_missing() { "MISSING" } else { "ERROR" },
                n.start_position().column,
                &script[n.start_byte()..n.end_byte().min(script.len())]
            ));
        }
    });
    out
}

fn walk<'a>(n: Node<'a>, f: &mut impl FnMut(Node<'a>)) {
    f(n);
    let mut c = n.walk();
    for child in n.children(&mut c) {
        walk(child, f);
    }
}

/// Every command in `script`: its name and the parameters it names.
pub fn commands(script: &str) -> Vec<(String, Vec<String>)> {
    let tree = parser().parse(script, None).expect("parses");
    let mut out = Vec::new();
    walk(tree.root_node(), &mut |n| {
        if n.kind() != "command" {
            return;
        }
        let text = |n: Node<'_>| script[n.start_byte()..n.end_byte()].to_string();
        let Some(name) = n.child_by_field_name("command_name").map(text).or_else(|| {
            let mut c = n.walk();
            let found = n
                .children(&mut c)
                .find(|c| c.kind() == "command_name" || c.kind() == "path_command_name");
            found.map(text)
        }) else {
            return;
        };
        let mut params = Vec::new();
        let mut c = n.walk();
        for child in n.children(&mut c) {
            if child.kind() != "command_elements" {
                continue;
            }
            let mut cc = child.walk();
            for e in child.children(&mut cc) {
                if e.kind() == "command_parameter" {
                    params.push(
                        text(e)
                            .trim_start_matches('-')
                            .trim_end_matches(':')
                            .to_string(),
                    );
                }
            }
        }
        out.push((name, params));
    });
    out
}

/// Why `line` is not safe to paste, if it is not: it must parse, each
/// Exchange cmdlet must use only its own parameters and satisfy one full
/// parameter set, every other command must be on the allowed list, and a
/// binding gets a certificate only after its old one is removed.
pub fn check(reference: &Value, line: &str) -> Result<(), String> {
    let errors = syntax_errors(line);
    if !errors.is_empty() {
        return Err(format!("does not parse ({errors:?}): {line}"));
    }
    let common: BTreeSet<String> = reference["common_parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_ascii_lowercase())
        .collect();
    let cmds = commands(line);
    if cmds.is_empty() && !line.starts_with('$') && !line.starts_with('#') {
        return Err(format!("no command found in: {line}"));
    }
    for (name, params) in cmds {
        let Some(cmdlet) = reference["cmdlets"].get(&name) else {
            if ALLOWED.iter().any(|a| a.eq_ignore_ascii_case(&name)) {
                continue;
            }
            return Err(format!(
                "{name} is neither an Exchange cmdlet nor allowed: {line}"
            ));
        };
        let given: BTreeSet<String> = params.iter().map(|p| p.to_ascii_lowercase()).collect();
        let known: BTreeSet<String> = cmdlet["parameter_names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_ascii_lowercase())
            .collect();
        for p in &given {
            if !known.contains(p) && !common.contains(p) {
                return Err(format!("{name} has no -{p}: {line}"));
            }
        }
        let fits = cmdlet["parameter_sets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|set| {
                let in_set: BTreeSet<String> = set["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["name"].as_str().unwrap().to_ascii_lowercase())
                    .collect();
                let mandatory_given = set["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|p| p["mandatory"].as_bool() == Some(true))
                    .all(|p| given.contains(&p["name"].as_str().unwrap().to_ascii_lowercase()));
                mandatory_given
                    && given
                        .iter()
                        .all(|p| in_set.contains(p) || common.contains(p))
            });
        if !fits {
            return Err(format!(
                "{name}: no parameter set has all its mandatory parameters and only {given:?}: {line}"
            ));
        }
    }
    let mut rest = line;
    while let Some(at) = rest.find(".AddSslCertificate(") {
        let before = &line[..line.len() - rest.len() + at];
        let var_start = before
            .rfind('$')
            .ok_or(format!("AddSslCertificate on what? {line}"))?;
        let var = &before[var_start..];
        if !before.contains(&format!("{var}.RemoveSslCertificate()")) {
            return Err(format!(
                "AddSslCertificate without RemoveSslCertificate first on {var}: {line}"
            ));
        }
        rest = &rest[at + 1..];
    }
    Ok(())
}

/// What `script` would run when loaded: its top-level statements other
/// than function definitions (comments are not statements).
pub fn top_level_statements(script: &str) -> Vec<String> {
    let tree = parser().parse(script, None).expect("parses");
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "program" | "statement_list" => {
                let mut c = n.walk();
                stack.extend(n.children(&mut c));
            }
            "comment" | "function_statement" | "empty_statement" => {}
            _ => out.push(format!(
                "{}: {}",
                n.kind(),
                &script[n.start_byte()..n.end_byte().min(n.start_byte() + 80)]
            )),
        }
    }
    out
}

/// The text a line runs: every single-quoted string taken out. Any of
/// the five quotes PowerShell reads as a single quote opens and closes a
/// string, and two in a row inside one stand for one.
pub fn outside_quotes(cmd: &str) -> String {
    let q = |c: char| ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'].contains(&c);
    let mut out = String::new();
    let mut chars = cmd.chars().peekable();
    while let Some(c) = chars.next() {
        if !q(c) {
            out.push(c);
            continue;
        }
        loop {
            match chars.next() {
                None => return out + "<UNTERMINATED>",
                Some(c) if q(c) => {
                    if chars.peek().is_some_and(|n| q(*n)) {
                        chars.next();
                    } else {
                        break;
                    }
                }
                Some(_) => {}
            }
        }
    }
    out
}

/// Why `line` does not apply to `version` (`2010`, `2016`, `SE`...), if
/// it does not: each Exchange cmdlet and parameter it uses must list the
/// version among its "Applicable" ones.
pub fn check_version(reference: &Value, line: &str, version: &str) -> Result<(), String> {
    let wanted = format!("Exchange Server {version}");
    let applies = |v: &Value| {
        v.as_array()
            .is_none_or(|a| a.iter().any(|x| x.as_str() == Some(wanted.as_str())))
    };
    for (name, params) in commands(line) {
        let Some(cmdlet) = reference["cmdlets"].get(&name) else {
            continue;
        };
        if !applies(&cmdlet["applicable"]) {
            return Err(format!("{name} is not in {wanted}: {line}"));
        }
        for p in params {
            let found = cmdlet["parameters"]
                .as_object()
                .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(&p)));
            if let Some((_, v)) = found {
                if !applies(&v["applicable"]) {
                    return Err(format!("{name} -{p} is not in {wanted}: {line}"));
                }
            }
        }
    }
    Ok(())
}
