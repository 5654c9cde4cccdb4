//! The errors that end a command, each one line a person can act on.

use std::path::PathBuf;

/// Why a command could not run. Each maps to an exit code in one place
/// ([`Error::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flags or flag values.
    #[error("{0}")]
    Usage(String),
    /// A bad line in a targets file, naming the file, line and text.
    #[error("{file}:{line}: {message}: {text:?}")]
    BadTarget {
        file: String,
        line: usize,
        text: String,
        message: String,
    },
    /// Several bad target lines; each is printed.
    #[error("{} invalid target(s); nothing was scanned (use --skip-invalid to scan the rest)", .0.len())]
    BadTargets(Vec<Error>),
    /// A file that could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file that was read but is not what it should be (scan.json, PEM).
    #[error("{}: {message}", path.display())]
    BadFile { path: PathBuf, message: String },
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn bad_file(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::BadFile {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Nagios plugin convention: input and usage problems are 64.
    pub fn exit_code(&self) -> i32 {
        crate::exit::USAGE
    }
}
