//! Why a legacy hello got no chain, as a typed enum the probe maps to a
//! [`Status`].

use std::fmt;
use std::io;

use tls_parser::TlsAlertDescription;

use crate::model::Status;

use super::iana::{alert_name, version_name};

/// Why the legacy probe could not read the server's chain (or its hello).
///
/// The variants are the contract: the probe maps them to a [`Status`] with
/// [`LegacyError::status`], and `Display` gives the one line that goes into
/// scan.json's `error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyError {
    /// The server sent an alert instead of (or in the middle of) its flight.
    Alert {
        /// 1 = warning, 2 = fatal.
        level: u8,
        /// IANA alert number, e.g. 40 for handshake_failure, 70 for
        /// protocol_version.
        description: u8,
    },
    /// The first bytes were not a TLS record, e.g. an HTTP response.
    NotTls {
        /// The first few bytes, printable ASCII kept, the rest as `.`.
        first_bytes: String,
    },
    /// The server answered with TLS 1.3 (a ServerHello carrying
    /// supported_versions, or a HelloRetryRequest), where the certificate
    /// is encrypted and this path cannot read it.
    Tls13 {
        /// True for a HelloRetryRequest.
        hello_retry: bool,
    },
    /// The bytes were TLS records but broke the protocol: a bad length, a
    /// message out of order, a message tls-parser could not read.
    Malformed(String),
    /// A record header declared more than a TLS record may hold. Reported at
    /// once, without waiting for the bytes.
    RecordTooLong {
        /// The declared length.
        declared: usize,
        /// The longest record allowed, in bytes: the limit the header broke.
        limit: usize,
    },
    /// The flight (or one handshake message in it) is over the byte limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// More records than the limit before the flight was complete.
    TooManyRecords {
        /// The limit in records.
        limit: usize,
    },
    /// The server closed the connection without sending a single byte.
    Closed,
    /// The server closed the connection part-way through its flight.
    Truncated,
    /// The server did not finish in time.
    Timeout,
    /// The socket failed, e.g. a reset.
    Io {
        /// The error kind, kept so callers can tell a reset from the rest.
        kind: io::ErrorKind,
        /// The error as text.
        message: String,
    },
}

impl LegacyError {
    /// The endpoint status this error stands for in scan.json.
    pub fn status(&self) -> Status {
        match self {
            LegacyError::NotTls { .. } => Status::NotTls,
            LegacyError::Timeout => Status::Timeout,
            LegacyError::Io { kind, .. } => match kind {
                io::ErrorKind::ConnectionRefused => Status::Refused,
                io::ErrorKind::TimedOut => Status::Timeout,
                io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                    Status::Unreachable
                }
                _ => Status::HandshakeFailed,
            },
            LegacyError::Alert { .. }
            | LegacyError::Tls13 { .. }
            | LegacyError::Malformed(_)
            | LegacyError::RecordTooLong { .. }
            | LegacyError::TooLarge { .. }
            | LegacyError::TooManyRecords { .. }
            | LegacyError::Closed
            | LegacyError::Truncated => Status::HandshakeFailed,
        }
    }

    /// True when the server refused the offered protocol versions or suites,
    /// as opposed to being broken or unreachable. Schannel answers a hello
    /// for a disabled version by closing or resetting the connection rather
    /// than with an alert, so those count as a refusal too.
    pub fn is_refusal(&self) -> bool {
        match self {
            LegacyError::Alert { description, .. } => matches!(
                TlsAlertDescription(*description),
                TlsAlertDescription::HandshakeFailure
                    | TlsAlertDescription::InsufficientSecurity
                    | TlsAlertDescription::ProtocolVersion
                    | TlsAlertDescription::InappropriateFallback
            ),
            LegacyError::Closed => true,
            LegacyError::Io { kind, .. } => matches!(
                kind,
                io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
            ),
            _ => false,
        }
    }

    /// True only for a refusal that names the version: a protocol_version
    /// alert. A handshake_failure, a close or a reset may mean that no
    /// offered suite was acceptable, so a hello offering few suites must be
    /// asked again with more before its version counts as refused.
    pub fn is_version_refusal(&self) -> bool {
        matches!(
            self,
            LegacyError::Alert { description, .. }
                if TlsAlertDescription(*description) == TlsAlertDescription::ProtocolVersion
        )
    }

    pub(crate) fn io(e: &io::Error) -> Self {
        LegacyError::Io {
            kind: e.kind(),
            message: e.to_string(),
        }
    }

    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        LegacyError::Malformed(message.into())
    }
}

impl fmt::Display for LegacyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LegacyError::Alert { level, description } => {
                let level = match level {
                    1 => "warning",
                    2 => "fatal",
                    _ => "unknown-level",
                };
                write!(
                    f,
                    "server sent {level} alert {} ({description})",
                    alert_name(*description)
                )
            }
            LegacyError::NotTls { first_bytes } => {
                write!(f, "not TLS: the server answered {first_bytes:?}")
            }
            LegacyError::Tls13 { hello_retry: true } => write!(
                f,
                "server answered with a TLS 1.3 HelloRetryRequest; its certificate is only readable over TLS 1.3"
            ),
            LegacyError::Tls13 { hello_retry: false } => write!(
                f,
                "server answered with {}; its certificate is only readable over TLS 1.3",
                version_name(0x0304)
            ),
            LegacyError::Malformed(m) => write!(f, "malformed TLS from server: {m}"),
            LegacyError::RecordTooLong { declared, limit } => write!(
                f,
                "server sent a TLS record header declaring {declared} bytes, over the {limit}-byte maximum"
            ),
            LegacyError::TooLarge { limit } => write!(
                f,
                "server sent more than {} KiB before its certificate was complete",
                limit / 1024
            ),
            LegacyError::TooManyRecords { limit } => write!(
                f,
                "server sent more than {limit} TLS records before its certificate was complete"
            ),
            LegacyError::Closed => write!(f, "server closed the connection without answering the hello"),
            LegacyError::Truncated => write!(
                f,
                "server closed the connection before its certificate was complete"
            ),
            LegacyError::Timeout => write!(f, "timed out waiting for the server's hello and certificate"),
            LegacyError::Io { message, .. } => write!(f, "connection error: {message}"),
        }
    }
}

impl std::error::Error for LegacyError {}

/// Up to 16 bytes of what the server sent, readable in an error message.
pub(crate) fn printable_prefix(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(16)
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        })
        .collect()
}
