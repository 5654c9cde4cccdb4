//! Write files so that a reader (or a crash) never sees half of one, and a
//! report set is replaced as a whole.
//!
//! Each file's bytes go to a temporary file in the same folder (so the
//! rename stays on one file system and is atomic), named
//! `.<name>.tmp-<pid>-<random>`, and are flushed to disk. A [`Set`] renames
//! its files over their targets only once every one of them is complete, so
//! a full disk or an error while writing report.html leaves the old
//! scan.json and report.csv in place. On any error the temporary files are
//! removed; one left by SIGKILL or a power cut is removed by the next run
//! ([`remove_stale`]).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::NamedTempFile;

/// A temporary file whose writer process is gone, or this old where we
/// cannot tell, is a leftover.
const STALE_AFTER: Duration = Duration::from_secs(3600);

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
    let mut set = Set::default();
    set.add(path, fill)?;
    set.commit().map_err(|(_, e)| e)
}

/// Files written to temporary names, renamed together by [`Set::commit`].
/// Dropping a set without committing removes its temporary files.
#[derive(Default)]
pub struct Set {
    staged: Vec<(NamedTempFile, PathBuf)>,
}

impl Set {
    /// Write one file of the set to its temporary name and flush it.
    pub fn add(
        &mut self,
        path: &Path,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut tmp = temp_file(path)?;
        {
            let mut out = io::BufWriter::with_capacity(64 * 1024, tmp.as_file_mut());
            fill(&mut out)?;
            out.flush()?;
        }
        tmp.as_file().sync_all()?;
        self.staged.push((tmp, path.to_path_buf()));
        Ok(())
    }

    /// Rename every file over its target. Renames within a folder do not
    /// need space and do not fail on a full disk, so once the first one
    /// succeeds the rest do too in practice. On an error, returns the path
    /// that could not be replaced.
    pub fn commit(self) -> Result<(), (PathBuf, io::Error)> {
        let mut dirs: Vec<PathBuf> = Vec::new();
        for (tmp, path) in self.staged {
            if let Err(e) = tmp.persist(&path) {
                // Dropping `e.file` removes the temporary file.
                return Err((path, e.error));
            }
            let dir = folder_of(&path);
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        for dir in dirs {
            sync_dir(&dir);
        }
        Ok(())
    }
}

/// `.report.html.tmp-<pid>-<random>` next to `report.html`: hidden, and
/// clearly ours if a power cut ever leaves one behind.
///
/// Its mode is what a plain write would give: an existing file's own mode
/// (a `.prom` file node_exporter reads stays 0644), else 0666 less the
/// process umask, not tempfile's private 0600. On Windows the file takes
/// the folder's inherited ACL, as any new file does.
fn temp_file(path: &Path) -> io::Result<NamedTempFile> {
    let prefix = temp_prefix(path, std::process::id());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).rand_bytes(6);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // open(2) takes the umask off this, as for any new file.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let tmp = builder.tempfile_in(folder_of(path))?;
    #[cfg(unix)]
    if let Ok(existing) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(existing.permissions())?;
    }
    Ok(tmp)
}

fn temp_prefix(path: &Path, pid: u32) -> String {
    format!("{}{pid}-", temp_stem(path))
}

fn temp_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "excert".into());
    format!(".{name}.tmp-")
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Remove temporary files of excert's own naming for `path` that an earlier
/// run left behind (SIGKILL, power cut). A file is stale when the process
/// in its name is no longer running (Linux), or it is over an hour old
/// where that cannot be told. Returns the files removed.
pub fn remove_stale(path: &Path) -> Vec<PathBuf> {
    let stem = temp_stem(path);
    let Ok(entries) = std::fs::read_dir(folder_of(path)) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&stem) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id()
            && is_stale(&entry, pid)
            && entry.path().is_file()
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed.push(entry.path());
        }
    }
    removed
}

fn is_stale(entry: &std::fs::DirEntry, pid: u32) -> bool {
    let proc_fs = Path::new("/proc/self").exists();
    if proc_fs {
        return !Path::new("/proc").join(pid.to_string()).exists();
    }
    entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > STALE_AFTER)
}

/// Make the renames durable. Not every platform can open a folder for
/// syncing, and the data is already safe, so failures are ignored.
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_files_of_dead_writers_go_live_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.html");
        // No process has pid 4,000,000,000; this one's own file stays.
        let dead = dir
            .path()
            .join(format!("{}4000000000-abcdef", temp_stem(&target)));
        let mine = dir.path().join(format!(
            "{}abcdef",
            temp_prefix(&target, std::process::id())
        ));
        let other = dir.path().join(".report.html.tmpfoo");
        for p in [&dead, &mine, &other] {
            std::fs::write(p, "x").unwrap();
        }
        if Path::new("/proc/self").exists() {
            assert_eq!(remove_stale(&target), vec![dead.clone()]);
            assert!(!dead.exists());
        }
        assert!(mine.exists() && other.exists());
    }
}
