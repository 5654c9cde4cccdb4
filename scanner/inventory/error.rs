//! Why an `--inventory` export is refused, and where.
//!
//! [`FileError`] places a [`Problem`] in the file (line and excerpt);
//! [`RecordError`] is what is wrong with one CLIXML object. The parsers'
//! own errors ([`NrbfError`], [`CertDataError`], [`DateError`]) live with
//! them. Nothing here imports the readers, so `crate::error` can name these
//! types without an import cycle.

use super::certdata::CertDataError;
use super::clixml::ClixmlError;
use super::dates::DateError;
use super::nrbf::NrbfError;
use crate::input::decode::DecodeError;

/// Why one file could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// What is wrong.
    pub problem: Problem,
    /// The start of the offending line, control characters made visible.
    pub excerpt: Option<String>,
}

impl FileError {
    /// A problem with the file as a whole.
    pub(super) fn whole(problem: impl Into<Problem>) -> Self {
        FileError {
            line: None,
            problem: problem.into(),
            excerpt: None,
        }
    }

    /// A problem at `line` of `text`, shown with an excerpt of that line.
    pub(super) fn at(text: &str, line: usize, problem: impl Into<Problem>) -> Self {
        FileError {
            line: Some(line),
            problem: problem.into(),
            excerpt: crate::text::line_excerpt(text, line),
        }
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        write!(f, "{}", self.problem)?;
        if let Some(x) = self.excerpt.as_deref().filter(|x| !x.is_empty()) {
            write!(f, ": {x}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FileError {}

/// What is wrong with an export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The bytes are not text in an encoding we read.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Nothing but whitespace.
    #[error("the file is empty")]
    Empty,
    /// Neither CLIXML nor a certificate CSV.
    #[error(
        "not a recognised export: expected Export-Clixml of Get-ExchangeCertificate, \
         Get-AuthConfig, Get-ExchangeServer or Get-ReceiveConnector/Get-SendConnector, or an \
         Export-Csv of Get-ExchangeCertificate with a Thumbprint column"
    )]
    Unrecognised,
    /// The CLIXML is not well-formed or not Export-Clixml's shape.
    #[error(transparent)]
    Clixml(ClixmlError),
    /// `<Objs>` with no object in it.
    #[error("the export holds no objects")]
    NoObjects,
    /// One CLIXML object is not usable.
    #[error("object {index}: {error}")]
    Object {
        /// 1-based position in the file.
        index: usize,
        /// What is wrong with it.
        error: RecordError,
    },
    /// The csv reader could not read the header.
    #[error("cannot read the CSV header: {reason}")]
    CsvHeader {
        /// The csv crate's message.
        reason: String,
    },
    /// Only comments.
    #[error("the CSV has no header")]
    NoHeader,
    /// A column every certificate row needs.
    #[error("no {column} column; the columns are: {}", .columns.join(", "))]
    NoColumn {
        /// The column missing.
        column: &'static str,
        /// The header's columns.
        columns: Vec<String>,
    },
    /// None of the columns that name the server.
    #[error(
        "no server column: expected one of {}; the columns are: {}",
        .expected.join(", "),
        .columns.join(", ")
    )]
    NoServerColumn {
        /// The server columns tried, in order.
        expected: &'static [&'static str],
        /// The header's columns.
        columns: Vec<String>,
    },
    /// The csv reader could not read a row.
    #[error("unreadable CSV row: {reason}")]
    UnreadableRow {
        /// The csv crate's message.
        reason: String,
    },
    /// A row with fewer cells than the header has columns.
    #[error("the row has {fields} cells, the header {columns} columns (truncated or edited?)")]
    ShortRow {
        /// Cells in the row.
        fields: usize,
        /// Columns in the header.
        columns: usize,
    },
    /// The last row ends without a line end inside a cell.
    #[error(
        "the file ends inside this row (truncated?); a complete export ends every row \
         with a line end"
    )]
    CutRow,
    /// More rows than any fleet has.
    #[error("more than {limit} rows")]
    TooManyRows {
        /// The limit.
        limit: usize,
    },
    /// A row whose server cells are all empty.
    #[error("no server name in this row")]
    NoServerName,
    /// A row whose thumbprint is not a SHA-1 in hex.
    #[error("the Thumbprint is not 40 hex digits")]
    BadThumbprint,
    /// A date cell that is not a date.
    #[error("{column}: {error}")]
    Date {
        /// `NotAfter` or `NotBefore`.
        column: &'static str,
        /// Why the date is unreadable.
        error: DateError,
    },
    /// A header and no certificate.
    #[error("the CSV holds no certificate rows")]
    NoRows,
    /// Two `--inventory` files with different AuthConfigs.
    #[error(
        "holds a Get-AuthConfig that differs from the one in another --inventory file; \
         give only the current export"
    )]
    AuthConfigDiffers,
}

/// What is wrong with one CLIXML object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// An unreadable date property.
    #[error(transparent)]
    Date(#[from] DateError),
    /// A thumbprint property that is not a SHA-1 in hex.
    #[error("thumbprint {text:?} is not 40 hex digits")]
    Thumbprint {
        /// The start of the value, hidden characters removed.
        text: String,
    },
    /// A `Get-ExchangeServer` object without Name or Identity.
    #[error("an Exchange server without a Name")]
    ServerWithoutName,
    /// A connector without Name or Identity.
    #[error("a connector without a Name")]
    ConnectorWithoutName,
    /// `SerializationData` that is not readable NRBF.
    #[error("SerializationData: {0}")]
    Serialization(NrbfError),
    /// `CertData` that is not a serialised certificate.
    #[error(transparent)]
    CertData(#[from] CertDataError),
    /// `CertData` of another type.
    #[error("SerializationData: CertData is not a byte array")]
    CertDataNotBytes,
    /// `SerializationData` without `CertData`.
    #[error("SerializationData has no CertData member")]
    NoCertData,
    /// `SerializationData` that is not `<BA>`.
    #[error("SerializationData is not base64 bytes")]
    SerializationNotBytes,
    /// A certificate whose store's server is unknown.
    #[error("no server: the object has neither Identity nor PSComputerName")]
    NoServer,
    /// DER x509-parser cannot read.
    #[error("the certificate bytes do not parse: {subject}")]
    Unparsable {
        /// What the parser made of the subject (its error, for unreadable DER).
        subject: String,
    },
    /// A certificate with neither DER nor this date property.
    #[error("no {name} and no RawData")]
    NoDate {
        /// `NotBefore` or `NotAfter`.
        name: &'static str,
    },
    /// A certificate with neither DER nor a thumbprint.
    #[error("no Thumbprint and no RawData")]
    NoThumbprint,
    /// A second AuthConfig in one file that differs from the first.
    #[error("a second, different AuthConfig")]
    SecondAuthConfig,
    /// An object of a kind excert does not read.
    #[error("a {type_name} is not a certificate, AuthConfig, Exchange server or connector")]
    UnknownObject {
        /// Its first type name, hidden characters removed.
        type_name: String,
    },
}
