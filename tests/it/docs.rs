//! The docs are a contract. The guide (docs/guide.md) names every finding
//! id, every CSV column and every flag `--help` lists; the README's commands
//! are real command lines; the README's first commands are CI's. Docs
//! cannot drift from the code unnoticed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use clap::{CommandFactory, Parser};
use excert::cli::Cli;
use excert::model::FindingId;
use excert::report::csv::{ENDPOINT_COLUMNS, FINDING_COLUMNS};

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).expect(path)
}

fn readme() -> String {
    read("README.md")
}

fn guide() -> String {
    read("docs/guide.md")
}

#[test]
fn the_guide_lists_every_finding_id() {
    let text = guide();
    let missing: Vec<&str> = FindingId::ALL
        .iter()
        .map(|id| id.as_str())
        .filter(|id| !text.contains(&format!("`{id}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/guide.md does not document: {missing:?}"
    );
}

#[test]
fn the_guide_lists_csv_columns_in_order() {
    let text = guide();
    for columns in [ENDPOINT_COLUMNS, FINDING_COLUMNS] {
        let line = columns.join(", ");
        assert!(
            text.contains(&line),
            "docs/guide.md should list the columns as `{line}`"
        );
    }
}

/// Every long flag of every command, as `--help` shows it, is in the guide.
#[test]
fn the_guide_documents_every_flag() {
    let text = guide();
    let mut missing = Vec::new();
    let cli = Cli::command();
    for sub in cli.get_subcommands() {
        for arg in sub.get_arguments() {
            if arg.is_hide_set() {
                continue;
            }
            if let Some(long) = arg.get_long() {
                if long != "help" && !text.contains(&format!("--{long}")) {
                    missing.push(format!("excert {} --{long}", sub.get_name()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/guide.md does not document: {missing:?}"
    );
}

/// Every `excert ...` line in the README's shell blocks is a command line
/// excert accepts (the flags exist, the values parse).
#[test]
fn the_readme_commands_are_real_command_lines() {
    let text = readme();
    let mut in_sh = false;
    let mut checked = 0;
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        let line = line.split(" # ").next().unwrap_or(line).trim();
        if !in_sh || !line.starts_with("excert ") {
            continue;
        }
        let args: Vec<&str> = line.split_whitespace().collect();
        if let Err(e) = Cli::try_parse_from(&args) {
            panic!("README: `{line}` is not a valid command line: {e}");
        }
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} README commands checked");
}

#[test]
fn readme_quick_start_matches_ci() {
    let text = readme();
    assert!(text.contains("cargo run --release -- demo"));
    let ci = read(".ci/run");
    assert!(
        text.contains("cargo test") && ci.contains("cargo test"),
        "README and CI run the same test command"
    );
}

/// The README is the user's first screen: short, and the reference lives
/// in the guide.
#[test]
fn the_readme_stays_short_and_points_to_the_guide() {
    let text = readme();
    let lines = text.lines().count();
    assert!(
        lines <= 250,
        "README.md has {lines} lines: move detail to docs/guide.md"
    );
    assert!(text.contains("docs/guide.md") && text.contains("CONTRIBUTING.md"));
}

fn contributing() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/CONTRIBUTING.md"))
        .expect("CONTRIBUTING.md")
}

/// Every `.rs` file under `tests/`, as CONTRIBUTING.md names it: a file by
/// its path, a `mod.rs` by its folder (`tests/it/analyze/`).
fn test_files(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            test_files(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.push(match rel.strip_suffix("mod.rs") {
                Some(folder) => folder.to_string(),
                None => rel,
            });
        }
    }
}

/// The test map in CONTRIBUTING.md is complete and names nothing that is
/// gone: a new suite, stage module or helper is described where the next
/// maintainer looks, and a moved one does not leave a stale line behind.
#[test]
fn contributing_maps_every_test_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = contributing();
    let mut files = Vec::new();
    test_files(&root.join("tests"), root, &mut files);
    files.sort();
    assert!(files.iter().any(|f| f == "tests/it/main.rs"), "{files:?}");
    let missing: Vec<&String> = files
        .iter()
        .filter(|f| !text.contains(&format!("`{f}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "CONTRIBUTING.md's test map does not name: {missing:?}"
    );
    let stale: Vec<&str> = text
        .match_indices("`tests/")
        .filter_map(|(at, _)| text[at + 1..].split('`').next())
        .filter(|name| !name.contains(' ') && !root.join(name).exists())
        .collect();
    assert!(
        stale.is_empty(),
        "CONTRIBUTING.md names test files that do not exist: {stale:?}"
    );
}
