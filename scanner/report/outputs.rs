//! Output paths checked before any work starts (docs/guide.md "Output paths").
//!
//! Evidence must never be destroyed by excert itself: no output may replace
//! an input (a scan.json, a CA bundle, a targets file) or another output,
//! and every output must be creatable before the first packet is sent, so
//! a read-only folder does not cost a whole scan. Commands that add output
//! flags list them in [`crate::config::OutputOptions::files`] (or pass
//! their own list here) and get both checks for free.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// A file excert will write or read, and the flag (or argument) that named
/// it, for the messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPath {
    /// The path as given.
    pub path: PathBuf,
    /// The flag or argument that named it, e.g. `--csv-findings`.
    pub flag: String,
}

impl NamedPath {
    /// `path`, named by `flag` in messages.
    pub fn new(path: impl Into<PathBuf>, flag: impl Into<String>) -> Self {
        NamedPath {
            path: path.into(),
            flag: flag.into(),
        }
    }
}

/// Refuse (usage error, exit 64) when an output is also an input or two
/// outputs are the same file. Paths are compared after resolving `..`,
/// symbolic links and, for files that exist, hard links.
pub fn check_collisions(outputs: &[NamedPath], inputs: &[NamedPath]) -> Result<(), Error> {
    for (i, out) in outputs.iter().enumerate() {
        if let Some(input) = inputs.iter().find(|i| same_file(&i.path, &out.path)) {
            return Err(Error::usage(format!(
                "{} {} would overwrite the input {} {}; excert never replaces its inputs, \
                 choose another output path",
                out.flag,
                out.path.display(),
                input.flag,
                input.path.display()
            )));
        }
        if let Some(other) = outputs
            .get(..i)
            .unwrap_or_default()
            .iter()
            .find(|o| same_file(&o.path, &out.path))
        {
            return Err(Error::usage(format!(
                "{} {} is the same file as {} {}; give each output its own path",
                out.flag,
                out.path.display(),
                other.flag,
                other.path.display()
            )));
        }
    }
    Ok(())
}

/// Check that every output can be created: its folder exists or can be made,
/// a probe file can be written and removed there, and the path is not a
/// folder or a device. Returns an [`Error::Write`] (exit 73) otherwise.
pub fn check_writable(outputs: &[NamedPath]) -> Result<(), Error> {
    let mut probed: Vec<PathBuf> = Vec::new();
    for out in outputs {
        check_target(out)?;
        let dir = folder_of(&out.path);
        if probed.contains(&dir) {
            continue;
        }
        probe_folder(&dir, out)?;
        probed.push(dir);
    }
    Ok(())
}

/// The output file itself: absent, or a regular file to replace.
fn check_target(out: &NamedPath) -> Result<(), Error> {
    let Ok(meta) = std::fs::metadata(&out.path) else {
        return Ok(());
    };
    if meta.is_dir() {
        return Err(Error::write(
            &out.path,
            format!("{} names a folder; give a file name", out.flag),
        ));
    }
    if !meta.is_file() {
        return Err(Error::write(
            &out.path,
            format!(
                "{} names a device or other special file; give a regular file name",
                out.flag
            ),
        ));
    }
    Ok(())
}

fn probe_folder(dir: &Path, out: &NamedPath) -> Result<(), Error> {
    if let Ok(meta) = std::fs::metadata(dir) {
        if !meta.is_dir() {
            return Err(Error::write(
                dir,
                format!(
                    "is a file, not a folder, so {} cannot be written there{}",
                    out.path.display(),
                    if out.flag == "--out" {
                        " (--out names the folder for scan.json, report.csv and report.html)"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::write(dir, format!("cannot create the output folder: {e}")))?;
    let probe = tempfile::Builder::new()
        .prefix(".excert-probe-")
        .tempfile_in(dir)
        .and_then(|mut f| {
            std::io::Write::write_all(&mut f, b"excert")?;
            f.as_file().sync_all()?;
            f.close()
        });
    probe.map_err(|e| {
        Error::write(
            dir,
            format!("cannot write here ({e}); nothing was scanned, choose another output folder"),
        )
    })
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether two paths name the same file, whether or not it exists yet.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    resolved(a) == resolved(b)
}

/// An absolute path with the longest existing prefix canonicalised, so
/// `out/../out/scan.json` and a symlinked folder compare equal to the
/// plain path even before the file exists.
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let parts: Vec<std::path::Component<'_>> = absolute.components().collect();
    for split in (0..=parts.len()).rev() {
        let head: PathBuf = parts.iter().take(split).collect();
        let Ok(mut out) = head.canonicalize() else {
            continue;
        };
        // What does not exist yet has no links to follow: apply `.` and
        // `..` by hand.
        for part in parts.iter().skip(split) {
            match part {
                std::path::Component::ParentDir => {
                    out.pop();
                }
                std::path::Component::CurDir => {}
                other => out.push(other),
            }
        }
        return out;
    }
    absolute
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_file_is_found_through_dots_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("out")).unwrap();
        assert!(same_file(
            &d.join("out/scan.json"),
            &d.join("out/../out/./scan.json")
        ));
        assert!(same_file(&d.join("new/a"), &d.join("new/b/../a")));
        assert!(!same_file(&d.join("out/a"), &d.join("out/b")));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d.join("out"), d.join("link")).unwrap();
            assert!(same_file(&d.join("out/x.csv"), &d.join("link/x.csv")));
        }
    }
}

/// The files written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// scan.json.
    pub json: PathBuf,
    /// report.csv.
    pub csv: PathBuf,
    /// report.html.
    pub html: PathBuf,
    /// The findings CSV, when `--csv-findings` asked for one.
    pub csv_findings: Option<PathBuf>,
}

impl Written {
    /// remediation.ps1, written beside report.html.
    pub fn script(&self) -> PathBuf {
        self.html.with_file_name("remediation.ps1")
    }

    /// servers.csv (one row per server), written beside report.csv.
    pub fn servers_csv(&self) -> PathBuf {
        self.csv.with_file_name("servers.csv")
    }

    /// Every file of the set.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        [&self.json, &self.csv, &self.html]
            .into_iter()
            .map(PathBuf::as_path)
            .chain(self.csv_findings.as_deref())
    }
}
