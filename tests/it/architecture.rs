//! The module import graph docs/architecture.md describes: read from the
//! `crate::` paths in scanner/, so the document cannot drift from the code.
//!
//! Checked: a stage imports only the stages the document allows (which
//! makes the stage graph acyclic), never a private module of another stage,
//! and the neutral homes (model, text, input) import no stage at all.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The pipeline's stages, in data-flow order.
const STAGES: [&str; 6] = ["targets", "inventory", "probe", "analyze", "report", "diff"];

/// Shared homes every stage may use; they use no stage.
const NEUTRAL: [&str; 3] = ["model", "text", "input"];

/// Stage -> stage imports that are allowed, with the reason in
/// docs/architecture.md. Everything else between stages is a violation.
const ALLOWED: [(&str, &str); 3] = [
    ("inventory", "analyze"),
    ("report", "analyze"),
    ("diff", "report"),
];

fn scanner() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scanner")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`analyze` for
/// scanner/analyze/store/mod.rs, `lib` for scanner/lib.rs).
fn top_module(path: &Path) -> String {
    let rel = path.strip_prefix(scanner()).unwrap();
    let first = rel.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_string()
}

/// The code of a file without comments and without its unit tests, which
/// may use anything (the lab, other stages' builders).
fn code(path: &Path) -> String {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return String::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Every `crate::a::b` path in `code`, as (a, Some(b)) or (a, None); a
/// `use crate::{a, b::c}` group gives each of its top-level names.
fn crate_paths(code: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        // `excert::crate::` never occurs; `$crate::` is a macro path.
        if code[..i].ends_with('$') || code[..i].ends_with(|c: char| c.is_alphanumeric()) {
            continue;
        }
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut start = true;
            let mut name = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            if !name.is_empty() {
                                out.push((std::mem::take(&mut name), None));
                            }
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        if !name.is_empty() {
                            out.push((std::mem::take(&mut name), None));
                        }
                        start = true;
                    }
                    c if start && (c.is_ascii_alphanumeric() || c == '_') => name.push(c),
                    _ if !name.is_empty() => {
                        out.push((std::mem::take(&mut name), None));
                        start = false;
                    }
                    _ => {}
                }
            }
            continue;
        }
        let first = ident(rest).to_string();
        let after = &rest[first.len()..];
        let second = after
            .strip_prefix("::")
            .map(ident)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        out.push((first, second));
    }
    out
}

/// `mod x;` declarations of a top-level module and whether each is `pub`.
fn submodules(top: &str) -> BTreeMap<String, bool> {
    let dir = scanner().join(top).join("mod.rs");
    let file = if dir.exists() {
        dir
    } else {
        scanner().join(format!("{top}.rs"))
    };
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        let Some(decl) = line.strip_suffix(';') else {
            continue;
        };
        let (public, rest) = match decl.strip_prefix("pub mod ") {
            Some(r) => (true, r),
            None => match decl.split_once("mod ") {
                Some((vis, r)) if vis.is_empty() || vis.starts_with("pub(") => (false, r),
                _ => continue,
            },
        };
        out.insert(rest.trim().to_string(), public);
    }
    out
}

#[test]
fn stages_import_only_what_the_architecture_allows() {
    let mut files = Vec::new();
    rust_files(&scanner(), &mut files);
    files.sort();
    let mut problems = Vec::new();
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for file in &files {
        let from = top_module(file);
        let rel = file.strip_prefix(scanner()).unwrap().display().to_string();
        for (to, sub) in crate_paths(&code(file)) {
            if to == from {
                continue;
            }
            let (from_stage, to_stage) = (STAGES.contains(&&*from), STAGES.contains(&&*to));
            if NEUTRAL.contains(&&*from) && to_stage {
                problems.push(format!("{rel}: neutral {from} imports stage {to}"));
            }
            if from_stage && to_stage {
                edges.insert((from.clone(), to.clone()));
                if !ALLOWED.contains(&(&*from, &*to)) {
                    problems.push(format!("{rel}: stage {from} imports stage {to}"));
                }
                if let Some(sub) = sub {
                    if submodules(&to).get(&sub) == Some(&false) {
                        problems.push(format!(
                            "{rel}: {from} reaches into {to}'s private module {sub}"
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every allowed edge is used, so the document lists no stale edge.
    for (from, to) in ALLOWED {
        assert!(
            edges.contains(&(from.to_string(), to.to_string())),
            "{from} -> {to} is allowed but no longer used: drop it here and in docs/architecture.md"
        );
    }
}

#[test]
fn the_document_lists_the_same_graph() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md"))
            .unwrap();
    for (from, to) in ALLOWED {
        let line = format!("{from} -> {to}");
        assert!(doc.contains(&line), "docs/architecture.md lacks `{line}`");
    }
    for name in STAGES.iter().chain(&NEUTRAL) {
        assert!(
            doc.contains(&format!("`{name}`")),
            "docs/architecture.md does not name `{name}`"
        );
    }
}

#[test]
fn paths_are_read_from_groups_and_single_uses() {
    let got =
        crate_paths("use crate::{exit, report::{self, atomic}, text};\nx(crate::model::Role)");
    let names: Vec<_> = got
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("exit", None),
            ("report", None),
            ("text", None),
            ("model", Some("Role"))
        ]
    );
}
