//! What every mail dialogue shares: the step timeouts, the error that ends
//! a dialogue before TLS, and writing a command.

use std::fmt;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

use crate::model::Status;

/// Step timeouts within the endpoint's deadline.
#[derive(Debug, Clone, Copy)]
pub struct Steps {
    /// Each step (a greeting, a reply, a write) gets this long.
    pub step: Duration,
    /// ... but never past this.
    pub deadline: Instant,
}

impl Steps {
    /// The deadline for a step starting now.
    pub fn next(&self) -> Instant {
        (Instant::now() + self.step).min(self.deadline)
    }
}

/// Why a preamble did not end in a STARTTLS the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogueError {
    /// No complete line within the step's time.
    Timeout {
        /// The step waited on, e.g. `the IMAP greeting`.
        waiting_for: &'static str,
    },
    /// The first line was not this protocol's greeting.
    NotProtocol {
        /// `SMTP`, `IMAP` or `POP3`.
        protocol: &'static str,
        /// The first bytes of the line, non-printable ones as `.`.
        first_bytes: String,
    },
    /// The server closed before answering.
    Closed {
        /// What the probe was waiting for.
        waiting_for: &'static str,
    },
    /// A line longer than the limit ([`MAX_LINE`](super::lines::MAX_LINE)).
    LineTooLong {
        /// What the probe was waiting for.
        waiting_for: &'static str,
        /// The longest line allowed, in bytes.
        limit: usize,
    },
    /// A reply of more lines than the limit
    /// ([`MAX_REPLY_LINES`](super::lines::MAX_REPLY_LINES)).
    TooManyLines {
        /// What the probe was waiting for.
        waiting_for: &'static str,
        /// The most lines allowed in one reply.
        limit: usize,
    },
    /// The greeting refused the session (SMTP 554, IMAP BYE, POP3 -ERR).
    Rejected {
        /// The refusing line, cut at 512 characters like a banner.
        reply: String,
    },
    /// The server spoke the protocol but did not offer STARTTLS, or refused
    /// the command.
    NoStarttls {
        /// Why, in words, e.g. `the CAPABILITY reply does not offer STARTTLS`.
        reason: String,
    },
    /// The socket failed.
    Io(String),
}

impl DialogueError {
    pub(crate) fn not_protocol(protocol: &'static str, line: &str) -> Self {
        DialogueError::NotProtocol {
            protocol,
            first_bytes: crate::probe::legacy::error::printable_prefix(line.as_bytes()),
        }
    }

    /// The endpoint status this error stands for in scan.json.
    pub fn status(&self) -> Status {
        match self {
            DialogueError::Timeout { .. } => Status::Timeout,
            DialogueError::NotProtocol { .. } => Status::NotTls,
            DialogueError::NoStarttls { .. } => Status::NoStarttls,
            DialogueError::Closed { .. }
            | DialogueError::LineTooLong { .. }
            | DialogueError::TooManyLines { .. }
            | DialogueError::Rejected { .. }
            | DialogueError::Io(_) => Status::HandshakeFailed,
        }
    }
}

impl fmt::Display for DialogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DialogueError::Timeout { waiting_for } => {
                write!(f, "no complete answer while waiting for {waiting_for}")
            }
            DialogueError::NotProtocol {
                protocol,
                first_bytes,
            } => write!(f, "not {protocol}: the server answered {first_bytes:?}"),
            DialogueError::Closed { waiting_for } => write!(
                f,
                "the server closed the connection while we waited for {waiting_for}"
            ),
            DialogueError::LineTooLong { waiting_for, limit } => {
                write!(f, "{waiting_for} has a line longer than {limit} bytes")
            }
            DialogueError::TooManyLines { waiting_for, limit } => {
                write!(f, "{waiting_for} has more than {limit} lines")
            }
            DialogueError::Rejected { reply } => {
                write!(f, "the server refused the session: {reply}")
            }
            DialogueError::NoStarttls { reason } => f.write_str(reason),
            DialogueError::Io(e) => write!(f, "connection error: {e}"),
        }
    }
}

impl std::error::Error for DialogueError {}

/// Write one command within a step.
pub(super) async fn send<S: AsyncWrite + Unpin>(
    stream: &mut S,
    command: &str,
    steps: &Steps,
) -> Result<(), DialogueError> {
    timeout_at(steps.next(), async {
        stream.write_all(command.as_bytes()).await?;
        stream.flush().await
    })
    .await
    .map_err(|_| DialogueError::Timeout {
        waiting_for: "the server to take our command",
    })?
    .map_err(|e| DialogueError::Io(e.to_string()))
}

/// Say goodbye when there is no TLS to go on to. Best effort: the answer is
/// not awaited and a failure changes nothing.
pub(super) async fn quit<S: AsyncWrite + Unpin>(stream: &mut S, command: &str, steps: &Steps) {
    let _ = send(stream, command, steps).await;
}
