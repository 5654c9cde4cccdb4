//! The cleartext preamble of mail ports: the few commands that turn an
//! SMTP, IMAP or POP3 connection into one a TLS handshake can run on.
//!
//! Each protocol file speaks just enough to reach STARTTLS (or STLS) and
//! records what the server said on the way: the greeting line and the
//! extensions or capabilities it advertised. Every read is bounded by a
//! step timeout and by [`lines`]' line-length and line-count limits.
//! Nothing that logs in, queues or relays mail is ever sent.

mod dialogue;
pub mod imap;
pub mod lines;
pub mod pop;
pub mod smtp;

use std::net::IpAddr;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::model::{Dialogue, Role};

pub use dialogue::{DialogueError, Steps};

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
            Role::LoadBalancer | Role::Edgesync | Role::Other => Preamble::None,
        }
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
