//! The errors that end a command, each one line a person can act on.
//!
//! The exit code of each kind is decided here, in [`Error::exit_code`], and
//! documented in docs/guide.md's exit-code table.

use std::path::PathBuf;

// The module errors live in files of their own that import nothing from
// the crate, so naming them here makes no import cycle.
use crate::analyze::trust::error::BundleError;
use crate::inventory::error::FileError as InventoryFileError;
use crate::targets::error::{FileError as TargetsFileError, TargetError};

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flags or flag values.
    #[error("{0}")]
    Usage(String),
    /// A bad line in a targets file, naming the file, line and text.
    #[error("{file}:{line}: {error}: {text:?}")]
    BadTarget {
        /// The targets file, `-` for stdin or `args` for the command line.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The line as read.
        text: String,
        /// What is wrong with it.
        error: TargetError,
    },
    /// Several bad target lines; each is printed.
    #[error("{} invalid target(s); nothing was scanned (use --skip-invalid to scan the rest)", .0.len())]
    BadTargets(Vec<Error>),
    /// A targets file that is not a list of targets at all (not text, no
    /// host column, mostly invalid lines).
    #[error("{}: {error}", path.display())]
    BadTargetsFile {
        /// The file as given.
        path: PathBuf,
        /// Why it is not a targets file.
        error: TargetsFileError,
    },
    /// A `--ca-bundle` that holds no usable root.
    #[error("{}: {error}", path.display())]
    BadCaBundle {
        /// The bundle as given to `--ca-bundle`.
        path: PathBuf,
        /// Why none of it can serve as a root.
        error: BundleError,
    },
    /// An `--inventory` export that cannot be read, with the line and an
    /// excerpt when the problem has one.
    #[error("{}: {error}", path.display())]
    BadInventory {
        /// The export as given to `--inventory`.
        path: PathBuf,
        /// What is wrong, and where in the file.
        error: InventoryFileError,
    },
    /// An input file that could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file as given.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// An input file that was read but is not what it should be (a saved
    /// scan.json), or is too large or not a regular file. Targets files,
    /// CA bundles and inventory exports have their own kinds above.
    #[error("{}: {message}", path.display())]
    BadFile {
        /// The file as given.
        path: PathBuf,
        /// What is wrong with it, with the line or field where known.
        message: String,
    },
    /// An output that could not be created or written. The scan may have
    /// run; the message says where its evidence went instead, if anywhere.
    #[error("{}: {message}", path.display())]
    Write {
        /// The output that failed.
        path: PathBuf,
        /// Why, and where the evidence went instead, if anywhere.
        message: String,
    },
    /// The process could not start (no async runtime).
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// Bad flags or flag values (exit 64).
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    /// `path` could not be read (exit 64).
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// `path` was read but is not what it should be (exit 64).
    pub fn bad_file(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::BadFile {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The output `path` could not be written (exit 73).
    pub fn write(path: impl Into<PathBuf>, message: impl std::fmt::Display) -> Self {
        Error::Write {
            path: path.into(),
            message: message.to_string(),
        }
    }

    /// The process exit code for this error (docs/guide.md "Exit codes"): input
    /// and usage problems are 64, an output that cannot be written is 73
    /// (sysexits' "cannot create output file"), anything else 3.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_)
            | Error::BadTarget { .. }
            | Error::BadTargets(_)
            | Error::BadTargetsFile { .. }
            | Error::BadCaBundle { .. }
            | Error::BadInventory { .. }
            | Error::Io { .. }
            | Error::BadFile { .. } => crate::exit::USAGE,
            Error::Write { .. } => crate::exit::CANT_WRITE,
            Error::Internal(_) => crate::exit::UNKNOWN,
        }
    }
}

/// Print one `excert: ...` line on stderr. A closed terminal (a dropped SSH
/// session) or pipe must not abort the run, so write errors are ignored
/// where `eprintln!` would panic.
pub fn say(line: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "excert: {line}");
}
