//! CRLF lines from a cleartext peer, bounded in length, in number and in
//! time, so a hostile greeting (a 1 MB line, an endless reply, a byte a
//! minute) costs at most one small buffer and one step timeout.

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::{timeout_at, Instant};

use super::dialogue::DialogueError;
use crate::model::MailboxInfo;

/// The longest line accepted. RFC 5321 allows 512 octets in an SMTP reply
/// line and RFC 3501 puts no limit on IMAP's; real capability lines stay
/// far below this.
pub const MAX_LINE: usize = 4096;

/// The most lines one reply may have. An Exchange EHLO reply has about 15,
/// Dovecot's CAPA about 10.
pub const MAX_REPLY_LINES: usize = 64;

/// How many characters of a peer's line are kept for the report.
pub const KEPT_CHARS: usize = 512;

/// Bytes read from the socket at a time.
const CHUNK: usize = 1024;

/// A line reader over a stream. Bytes the peer sends after the line asked
/// for stay in the buffer for the next call; the caller drops the reader
/// (and with it anything unread) before TLS starts, since a server must not
/// speak between its STARTTLS answer and our ClientHello.
#[derive(Default)]
pub struct Lines {
    buf: Vec<u8>,
}

impl Lines {
    /// The next line without its line ending (CRLF or a bare LF), decoded
    /// as UTF-8 with invalid bytes replaced. `waiting_for` names the step
    /// for error messages.
    pub async fn next<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
        deadline: Instant,
        waiting_for: &'static str,
    ) -> Result<String, DialogueError> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=end).collect();
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                return Ok(String::from_utf8_lossy(text).into_owned());
            }
            if self.buf.len() > MAX_LINE {
                return Err(DialogueError::LineTooLong {
                    waiting_for,
                    limit: MAX_LINE,
                });
            }
            let mut chunk = [0u8; CHUNK];
            let n = timeout_at(deadline, stream.read(&mut chunk))
                .await
                .map_err(|_| DialogueError::Timeout { waiting_for })?
                .map_err(|e| DialogueError::Io(e.to_string()))?;
            if n == 0 {
                return Err(DialogueError::Closed { waiting_for });
            }
            self.buf
                .extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }
}

/// A peer's line cut to [`KEPT_CHARS`] characters, for scan.json. Control
/// characters are kept as sent: every renderer makes them visible.
pub fn kept(text: &str) -> String {
    text.chars().take(KEPT_CHARS).collect()
}

/// A mailbox protocol's greeting, kept for the report.
pub(super) fn mailbox_info(greeting: &str) -> MailboxInfo {
    MailboxInfo {
        banner: kept(greeting),
        capabilities: Vec::new(),
        exchange_banner: greeting.to_ascii_lowercase().contains("microsoft exchange"),
    }
}
