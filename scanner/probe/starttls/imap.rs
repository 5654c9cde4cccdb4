//! The IMAP side of STARTTLS (RFC 3501 6.2.1, RFC 2595): greeting,
//! CAPABILITY, STARTTLS. Never LOGIN or AUTHENTICATE.

use tokio::io::{AsyncRead, AsyncWrite};

use super::dialogue::{quit, send, DialogueError, Steps};
use super::lines::{kept, Lines, MAX_REPLY_LINES};
use crate::model::MailboxInfo;

/// The tagged answer to `tag`, with the untagged lines before it.
async fn tagged<S: AsyncRead + Unpin>(
    lines: &mut Lines,
    stream: &mut S,
    steps: &Steps,
    tag: &str,
    waiting_for: &'static str,
) -> Result<(String, Vec<String>), DialogueError> {
    let deadline = steps.next();
    let mut untagged = Vec::new();
    loop {
        let line = lines.next(stream, deadline, waiting_for).await?;
        if let Some(rest) = line.strip_prefix(tag).and_then(|r| r.strip_prefix(' ')) {
            return Ok((kept(rest), untagged));
        }
        if untagged.len() >= MAX_REPLY_LINES {
            return Err(DialogueError::TooManyLines {
                waiting_for,
                limit: MAX_REPLY_LINES,
            });
        }
        untagged.push(line);
    }
}

fn is_ok(status: &str) -> bool {
    status
        .split_whitespace()
        .next()
        .is_some_and(|s| s.eq_ignore_ascii_case("OK"))
}

/// Greeting, CAPABILITY and STARTTLS. `Ok(())` leaves the stream ready for
/// the ClientHello; what the server said is kept in `info` either way.
pub async fn starttls<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    steps: &Steps,
    info: &mut Option<Box<MailboxInfo>>,
) -> Result<(), DialogueError> {
    let mut lines = Lines::default();
    let greeting = lines
        .next(stream, steps.next(), "the IMAP greeting")
        .await?;
    let upper = greeting.to_ascii_uppercase();
    if !upper.starts_with("* OK") && !upper.starts_with("* PREAUTH") && !upper.starts_with("* BYE")
    {
        return Err(DialogueError::not_protocol("IMAP", &greeting));
    }
    let imap = info.insert(Box::new(super::lines::mailbox_info(&greeting)));
    if !upper.starts_with("* OK") {
        // BYE refuses the session; PREAUTH is past the point where
        // STARTTLS is allowed.
        return Err(DialogueError::Rejected {
            reply: kept(&greeting),
        });
    }
    send(stream, "a1 CAPABILITY\r\n", steps).await?;
    let (_, untagged) = tagged(&mut lines, stream, steps, "a1", "the CAPABILITY reply").await?;
    imap.capabilities = untagged
        .iter()
        .filter_map(|l| {
            let upper = l.to_ascii_uppercase();
            upper
                .starts_with("* CAPABILITY ")
                .then(|| l.get("* CAPABILITY ".len()..).unwrap_or_default())
        })
        .flat_map(str::split_whitespace)
        .take(MAX_REPLY_LINES)
        .map(kept)
        .collect();
    if !imap
        .capabilities
        .iter()
        .any(|c| c.eq_ignore_ascii_case("STARTTLS"))
    {
        quit(stream, "a3 LOGOUT\r\n", steps).await;
        return Err(DialogueError::NoStarttls {
            reason: "the CAPABILITY reply does not offer STARTTLS".into(),
        });
    }
    send(stream, "a2 STARTTLS\r\n", steps).await?;
    let (status, _) = tagged(&mut lines, stream, steps, "a2", "the STARTTLS reply").await?;
    if !is_ok(&status) {
        quit(stream, "a3 LOGOUT\r\n", steps).await;
        return Err(DialogueError::NoStarttls {
            reason: format!("STARTTLS refused: {status}"),
        });
    }
    Ok(())
}
