//! The README is the user's contract: it must name every finding id, every
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
