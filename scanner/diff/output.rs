//! Where a diff goes: diff.json and diff.html in the output folder, each
//! replaced atomically, and a short summary for the terminal.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{html, Diff, Impact};
use crate::error::Error;
use crate::report::outputs::NamedPath;
use crate::report::{self, atomic};
use crate::text as sanitize;

/// Lines of changes the terminal shows before "and N more".
const SHOWN: usize = 10;

/// The files `excert diff` writes into `out_dir`, for the output-path
/// checks made before any work.
pub fn files(out_dir: &Path) -> Vec<NamedPath> {
    ["diff.json", "diff.html"]
        .into_iter()
        .map(|name| NamedPath::new(out_dir.join(name), "--out"))
        .collect()
}

/// Write diff.json and diff.html into `out_dir` (created if missing) as
/// one atomic set: both files are replaced, or neither. Returns their paths.
pub fn write(diff: &Diff, out_dir: &Path) -> Result<(PathBuf, PathBuf), Error> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::write(out_dir, format!("cannot create the output folder: {e}")))?;
    let json = out_dir.join("diff.json");
    let page = out_dir.join("diff.html");
    let rendered =
        html::render(diff).map_err(|e| Error::bad_file(&page, format!("could not render: {e}")))?;
    let mut set = atomic::Set::default();
    for path in [&json, &page] {
        atomic::remove_stale(path);
    }
    set.add(&json, |w| {
        serde_json::to_writer_pretty(&mut *w, diff).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    })
    .map_err(|e| Error::write(&json, e))?;
    set.add(&page, |w| w.write_all(rendered.as_bytes()))
        .map_err(|e| Error::write(&page, e))?;
    report::commit(set)?;
    Ok((json, page))
}

/// Counts, the first changes (regressions first), and where the files are.
pub fn summary(diff: &Diff, json: &Path, page: &Path) -> String {
    let c = &diff.event_counts;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "excert diff: {}, {}, {} (both judged as of {})",
        crate::report::labels::count(c.regressions, "regression"),
        if c.fixes == 1 {
            "1 fix".to_string()
        } else {
            format!("{} fixes", c.fixes)
        },
        crate::report::labels::count(c.other, "other change"),
        crate::report::format::format_time(diff.as_of)
    );
    for notice in &diff.notices {
        let _ = writeln!(out, "  NOTE: {}", sanitize::visible(notice));
    }
    for event in diff.events.iter().take(SHOWN) {
        let Some(change) = event.changes(diff).first().copied() else {
            continue;
        };
        let tag = match event.impact {
            Impact::Regression => "REGRESSION",
            Impact::Fix => "FIX",
            Impact::Other => "other",
        };
        // A store or organisation finding has no port.
        let place = match change.scope {
            crate::diff::Scope::Endpoint => format!(
                "{}:{} {}",
                sanitize::visible(&change.host),
                change.port,
                change.role_shown()
            ),
            _ => format!(
                "{} ({})",
                sanitize::visible(&change.host),
                change.role_label()
            ),
        };
        let _ = writeln!(
            out,
            "  {tag:<10} {place}  {}",
            sanitize::visible(&event.describe(diff))
        );
    }
    if diff.events.len() > SHOWN {
        let _ = writeln!(
            out,
            "  ... and {} more in diff.html",
            diff.events.len() - SHOWN
        );
    }
    let _ = writeln!(out, "Wrote {} and {}", json.display(), page.display());
    out
}
