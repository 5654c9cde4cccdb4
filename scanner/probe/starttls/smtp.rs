//! The SMTP side of STARTTLS (RFC 3207): greeting, EHLO, STARTTLS. Never
//! MAIL FROM, never AUTH: nothing that could queue or relay a message.

use std::net::IpAddr;

use tokio::io::{AsyncRead, AsyncWrite};

use super::dialogue::{quit, send, DialogueError, Steps};
use super::lines::{kept, Lines, MAX_REPLY_LINES};
use crate::model::SmtpInfo;

/// What Exchange's receive connectors put in their default banner.
const EXCHANGE_BANNER: &str = "microsoft esmtp mail service";

/// One SMTP reply: its code and the text of each line.
struct Reply {
    code: u16,
    lines: Vec<String>,
}

impl Reply {
    fn first(&self) -> String {
        kept(&format!(
            "{} {}",
            self.code,
            self.lines.first().map_or("", |l| l.as_str())
        ))
    }
}

/// `250-SIZE 37748736` -> (250, true, "SIZE 37748736"). `None` for a line
/// that is not an SMTP reply line.
fn reply_line(line: &str) -> Option<(u16, bool, &str)> {
    let code = line.get(..3)?;
    let first_digit_ok = code
        .as_bytes()
        .first()
        .is_some_and(|b| (b'2'..=b'5').contains(b));
    if !code.bytes().all(|b| b.is_ascii_digit()) || !first_digit_ok {
        return None;
    }
    let code: u16 = code.parse().ok()?;
    match line.as_bytes().get(3) {
        None => Some((code, false, "")),
        Some(b'-') => Some((code, true, line.get(4..).unwrap_or(""))),
        Some(b' ') => Some((code, false, line.get(4..).unwrap_or(""))),
        Some(_) => None,
    }
}

async fn reply<S: AsyncRead + Unpin>(
    lines: &mut Lines,
    stream: &mut S,
    steps: &Steps,
    waiting_for: &'static str,
) -> Result<Reply, DialogueError> {
    let deadline = steps.next();
    let mut out = Vec::new();
    loop {
        let line = lines.next(stream, deadline, waiting_for).await?;
        let Some((code, more, text)) = reply_line(&line) else {
            return Err(DialogueError::not_protocol("SMTP", &line));
        };
        if out.len() >= MAX_REPLY_LINES {
            return Err(DialogueError::TooManyLines {
                waiting_for,
                limit: MAX_REPLY_LINES,
            });
        }
        out.push(kept(text));
        if !more {
            return Ok(Reply { code, lines: out });
        }
    }
}

/// The EHLO argument: our own address as an address literal (RFC 5321
/// 4.1.3), which is true and needs no name lookup.
fn ehlo_name(local: IpAddr) -> String {
    match local {
        IpAddr::V4(v4) => format!("[{v4}]"),
        IpAddr::V6(v6) => format!("[IPv6:{v6}]"),
    }
}

/// Greeting, EHLO and STARTTLS. `Ok(())` leaves the stream ready for the
/// ClientHello. What the server said is kept in `info` even on error.
pub async fn starttls<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    local: IpAddr,
    steps: &Steps,
    info: &mut Option<Box<SmtpInfo>>,
) -> Result<(), DialogueError> {
    let mut lines = Lines::default();
    // The greeting may be slow (Exchange tarpits) and multi-line.
    let deadline = steps.next();
    let first = lines.next(stream, deadline, "the SMTP greeting").await?;
    let Some((code, mut more, _)) = reply_line(&first) else {
        return Err(DialogueError::not_protocol("SMTP", &first));
    };
    let smtp = info.insert(Box::new(SmtpInfo {
        banner: kept(&first),
        ehlo: Vec::new(),
        exchange_banner: first.to_ascii_lowercase().contains(EXCHANGE_BANNER),
    }));
    let mut count = 1;
    while more {
        count += 1;
        if count > MAX_REPLY_LINES {
            return Err(DialogueError::TooManyLines {
                waiting_for: "the SMTP greeting",
                limit: MAX_REPLY_LINES,
            });
        }
        let line = lines.next(stream, deadline, "the SMTP greeting").await?;
        more = reply_line(&line).is_some_and(|(_, more, _)| more);
    }
    if code != 220 {
        return Err(DialogueError::Rejected {
            reply: kept(&first),
        });
    }
    send(stream, &format!("EHLO {}\r\n", ehlo_name(local)), steps).await?;
    let ehlo = reply(&mut lines, stream, steps, "the EHLO reply").await?;
    if ehlo.code != 250 {
        quit(stream, "QUIT\r\n", steps).await;
        return Err(DialogueError::NoStarttls {
            reason: format!("EHLO refused: {}", ehlo.first()),
        });
    }
    smtp.ehlo = ehlo.lines.iter().skip(1).cloned().collect();
    let offered = smtp.ehlo.iter().any(|ext| {
        ext.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
    });
    if !offered {
        quit(stream, "QUIT\r\n", steps).await;
        return Err(DialogueError::NoStarttls {
            reason: "the EHLO reply does not offer STARTTLS".into(),
        });
    }
    send(stream, "STARTTLS\r\n", steps).await?;
    let answer = reply(&mut lines, stream, steps, "the STARTTLS reply").await?;
    if answer.code != 220 {
        quit(stream, "QUIT\r\n", steps).await;
        return Err(DialogueError::NoStarttls {
            reason: format!("STARTTLS refused: {}", answer.first()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_lines() {
        assert_eq!(reply_line("250-SIZE 1"), Some((250, true, "SIZE 1")));
        assert_eq!(reply_line("220 ready"), Some((220, false, "ready")));
        assert_eq!(reply_line("250"), Some((250, false, "")));
        assert_eq!(reply_line("HTTP/1.1 400"), None);
        assert_eq!(reply_line("2500 x"), None);
        assert_eq!(reply_line("099 x"), None);
        assert_eq!(reply_line(""), None);
    }

    #[test]
    fn ehlo_names_are_address_literals() {
        assert_eq!(ehlo_name("10.0.0.1".parse().unwrap()), "[10.0.0.1]");
        assert_eq!(ehlo_name("::1".parse().unwrap()), "[IPv6:::1]");
    }
}
