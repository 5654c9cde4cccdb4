//! The docs are a contract: the README must name every finding id, every
//! CSV column and the commands it tells people to run, so docs cannot drift
//! from the code unnoticed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use excert::model::FindingId;
use excert::report::csv::{ENDPOINT_COLUMNS, FINDING_COLUMNS};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

#[test]
fn readme_lists_every_finding_id() {
    let text = readme();
    let missing: Vec<&str> = FindingId::ALL
        .iter()
        .map(|id| id.as_str())
        .filter(|id| !text.contains(&format!("`{id}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md does not document: {missing:?}"
    );
}

#[test]
fn readme_lists_csv_columns_in_order() {
    let text = readme();
    for columns in [ENDPOINT_COLUMNS, FINDING_COLUMNS] {
        let line = columns.join(", ");
        assert!(
            text.contains(&line),
            "README.md should list the columns as `{line}`"
        );
    }
}

#[test]
fn readme_quick_start_matches_ci() {
    let text = readme();
    assert!(text.contains("cargo run --release -- demo"));
    let ci =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).expect(".ci/run");
    assert!(
        text.contains("cargo test") && ci.contains("cargo test"),
        "README and CI run the same test command"
    );
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
