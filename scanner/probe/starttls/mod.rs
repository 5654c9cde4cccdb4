//! The cleartext preamble of mail ports: the few commands that turn an
//! SMTP, IMAP or POP3 connection into one a TLS handshake can run on.
//!
//! Each protocol file speaks just enough to reach STARTTLS (or STLS) and
//! records what the server said on the way: the greeting line and the
//! extensions or capabilities it advertised. Every read is bounded by a
//! step timeout and by [`lines`]' line-length and line-count limits.
//! Nothing that logs in, queues or relays mail is ever sent.

pub mod imap;
pub mod lines;
pub mod pop;
pub mod smtp;

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

use crate::model::{Dialogue, MailboxInfo, Role, Status};

/// What to say before the ClientHello on a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preamble {
    /// Nothing: TLS from the first byte (IIS, IMAPS 993, POP3S 995).
    None,
    /// SMTP STARTTLS (RFC 3207).
    Smtp,
    /// IMAP STARTTLS (RFC 3501).
    Imap,
    /// POP3 STLS (RFC 2595).
    Pop,
}

/// IMAPS and POP3S: implicit TLS (RFC 8314).
const IMAPS: u16 = 993;
const POP3S: u16 = 995;

impl Preamble {
    /// The preamble a port of this role needs. SMTP always starts in
    /// cleartext: Exchange's 465 ("Client Proxy") speaks STARTTLS too.
    pub fn for_port(role: Role, port: u16) -> Preamble {
        match role {
            Role::Frontend | Role::Backend => Preamble::None,
            Role::Smtp => Preamble::Smtp,
            Role::Imap if port == IMAPS => Preamble::None,
            Role::Imap => Preamble::Imap,
            Role::Pop if port == POP3S => Preamble::None,
            Role::Pop => Preamble::Pop,
        }
    }
}

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
    /// A line longer than [`lines::MAX_LINE`].
    LineTooLong {
        /// What the probe was waiting for.
        waiting_for: &'static str,
    },
    /// A reply of more than [`lines::MAX_REPLY_LINES`] lines.
    TooManyLines {
        /// What the probe was waiting for.
        waiting_for: &'static str,
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
            DialogueError::LineTooLong { waiting_for } => write!(
                f,
                "{waiting_for} has a line longer than {} bytes",
                lines::MAX_LINE
            ),
            DialogueError::TooManyLines { waiting_for } => write!(
                f,
                "{waiting_for} has more than {} lines",
                lines::MAX_REPLY_LINES
            ),
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
async fn send<S: AsyncWrite + Unpin>(
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
async fn quit<S: AsyncWrite + Unpin>(stream: &mut S, command: &str, steps: &Steps) {
    let _ = send(stream, command, steps).await;
}

/// A mailbox protocol's greeting, kept for the report.
fn mailbox_info(greeting: &str) -> MailboxInfo {
    MailboxInfo {
        banner: lines::kept(greeting),
        capabilities: Vec::new(),
        exchange_banner: greeting.to_ascii_lowercase().contains("microsoft exchange"),
    }
}

/// Run `preamble` on a fresh connection. `Ok(())` means the stream is ready
/// for the ClientHello. What the server said is in the returned dialogue
/// whether or not STARTTLS followed.
pub async fn speak<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    preamble: Preamble,
    local: IpAddr,
    steps: &Steps,
) -> (Dialogue, Result<(), DialogueError>) {
    let mut said = Dialogue::default();
    let outcome = match preamble {
        Preamble::None => Ok(()),
        Preamble::Smtp => smtp::starttls(stream, local, steps, &mut said.smtp).await,
        Preamble::Imap => imap::starttls(stream, steps, &mut said.imap).await,
        Preamble::Pop => pop::stls(stream, steps, &mut said.pop).await,
    };
    (said, outcome)
}
