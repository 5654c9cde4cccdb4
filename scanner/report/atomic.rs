//! Write a file so that a reader (or a crash) never sees half of it.
//!
//! The bytes go to a temporary file in the same folder (so the rename stays
//! on one file system and is atomic), are flushed to disk, and then the
//! temporary file is renamed over the target. On any error the temporary
//! file is removed and the old report, if any, is left untouched.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary files of concurrent writers in one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Atomically replace `path` with `bytes`.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_with(path, |w| w.write_all(bytes))
}

/// Atomically replace `path` with what `fill` writes. Large reports are
/// streamed this way instead of being built in memory first.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let tmp = temp_path(path);
    let result = write_temp(&tmp, fill).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        // Best effort: the original error is what the user needs to see.
        let _ = fs::remove_file(&tmp);
        return result;
    }
    sync_dir(path);
    Ok(())
}

fn write_temp(tmp: &Path, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let file = OpenOptions::new().write(true).create_new(true).open(tmp)?;
    let mut out = io::BufWriter::with_capacity(64 * 1024, file);
    fill(&mut out)?;
    let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.sync_all()
}

/// `.report.html.tmp-<pid>-<n>` next to `report.html`: hidden, and clearly
/// ours if a power cut ever leaves one behind.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "excert".into());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

/// Make the rename itself durable. Not every platform can open a folder
/// for syncing, and the data is already safe, so failures are ignored.
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
