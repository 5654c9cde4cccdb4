//! The POP3 side of STLS (RFC 2595 4): greeting, CAPA, STLS. Never USER,
//! PASS or AUTH.

use tokio::io::{AsyncRead, AsyncWrite};

use super::dialogue::{quit, send, DialogueError, Steps};
use super::lines::{kept, Lines, MAX_REPLY_LINES};
use crate::model::MailboxInfo;

fn is_ok(line: &str) -> bool {
    line.get(..3).is_some_and(|s| s.eq_ignore_ascii_case("+OK"))
}

/// The CAPA list, or `None` when the server does not know CAPA (RFC 1939
/// servers), in which case STLS is tried anyway.
async fn capa<S: AsyncRead + AsyncWrite + Unpin>(
    lines: &mut Lines,
    stream: &mut S,
    steps: &Steps,
) -> Result<Option<Vec<String>>, DialogueError> {
    send(stream, "CAPA\r\n", steps).await?;
    let deadline = steps.next();
    let status = lines.next(stream, deadline, "the CAPA reply").await?;
    if !is_ok(&status) {
        return Ok(None);
    }
    let mut caps = Vec::new();
    loop {
        let line = lines.next(stream, deadline, "the CAPA reply").await?;
        if line == "." {
            return Ok(Some(caps));
        }
        if caps.len() >= MAX_REPLY_LINES {
            return Err(DialogueError::TooManyLines {
                waiting_for: "the CAPA reply",
                limit: MAX_REPLY_LINES,
            });
        }
        // Dot-stuffing: a line starting with "." is sent as "..".
        caps.push(kept(line.strip_prefix('.').unwrap_or(&line)));
    }
}

/// Greeting, CAPA and STLS. `Ok(())` leaves the stream ready for the
/// ClientHello; what the server said is kept in `info` either way.
pub async fn stls<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    steps: &Steps,
    info: &mut Option<Box<MailboxInfo>>,
) -> Result<(), DialogueError> {
    let mut lines = Lines::default();
    let greeting = lines
        .next(stream, steps.next(), "the POP3 greeting")
        .await?;
    let refused = greeting
        .get(..4)
        .is_some_and(|s| s.eq_ignore_ascii_case("-ERR"));
    if !is_ok(&greeting) && !refused {
        return Err(DialogueError::not_protocol("POP3", &greeting));
    }
    let pop = info.insert(Box::new(super::lines::mailbox_info(&greeting)));
    if refused {
        return Err(DialogueError::Rejected {
            reply: kept(&greeting),
        });
    }
    let caps = capa(&mut lines, stream, steps).await?;
    let offered = caps
        .as_ref()
        .is_none_or(|c| c.iter().any(|c| c.eq_ignore_ascii_case("STLS")));
    pop.capabilities = caps.unwrap_or_default();
    if !offered {
        quit(stream, "QUIT\r\n", steps).await;
        return Err(DialogueError::NoStarttls {
            reason: "the CAPA reply does not offer STLS".into(),
        });
    }
    send(stream, "STLS\r\n", steps).await?;
    let answer = lines.next(stream, steps.next(), "the STLS reply").await?;
    if !is_ok(&answer) {
        quit(stream, "QUIT\r\n", steps).await;
        return Err(DialogueError::NoStarttls {
            reason: format!("STLS refused: {}", kept(&answer)),
        });
    }
    Ok(())
}
