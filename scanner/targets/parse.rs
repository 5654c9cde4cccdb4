//! One target as typed (`ex01`, `10.1.2.3:444`, `[::1]:444`, `10.1.2.0/28`)
//! becomes a checked [`Entry`], and a text file becomes its target lines.
//!
//! Everything here works on untrusted text: it returns a [`TargetError`]
//! instead of panicking, and it never prints the raw text itself (the
//! caller escapes it).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::error::{NameError, TargetError};

/// Longest target text we look at. DNS names stop at 253 characters; the cap
/// only keeps hostile input from making huge error messages.
pub const MAX_TARGET_CHARS: usize = 1024;

/// Longest DNS name, without the trailing dot (RFC 1035).
const MAX_NAME_CHARS: usize = 253;

/// Longest DNS label (RFC 1035).
const MAX_LABEL_CHARS: usize = 63;

/// What one target names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Spec {
    /// A DNS name (or a short name like `EX01`), as given.
    Name(String),
    Addr(IpAddr),
    /// A CIDR range, normalised to its network address.
    Range(IpNet),
}

/// A target with an optional port (`host:port` scans that port only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub spec: Spec,
    pub port: Option<u16>,
}

/// Parse one target. The text is already trimmed of surrounding whitespace.
pub(crate) fn parse_entry(text: &str) -> Result<Entry, TargetError> {
    if text.chars().count() > MAX_TARGET_CHARS {
        return Err(TargetError::TooLong {
            limit: MAX_TARGET_CHARS,
        });
    }
    if text.chars().any(char::is_control) {
        return Err(TargetError::ControlCharacters);
    }
    if let Some(character) = text.chars().find(|c| !c.is_ascii()) {
        return Err(TargetError::NonAscii { character });
    }
    if text.contains(char::is_whitespace) {
        return Err(TargetError::Spaces);
    }
    if text.contains("://") {
        return Err(TargetError::Url);
    }
    if text.contains('/') {
        return parse_range(text);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return parse_bracketed(rest);
    }
    match text.matches(':').count() {
        0 => Ok(Entry {
            spec: parse_host(text)?,
            port: None,
        }),
        1 => {
            let (host, port) = text.split_once(':').unwrap_or((text, ""));
            Ok(Entry {
                spec: parse_host(host)?,
                port: Some(parse_port(port)?),
            })
        }
        _ => text
            .parse::<Ipv6Addr>()
            .map(|a| Entry {
                spec: Spec::Addr(IpAddr::V6(a)),
                port: None,
            })
            .map_err(|_| TargetError::BadIpv6),
    }
}

fn parse_range(text: &str) -> Result<Entry, TargetError> {
    let net: IpNet = text.parse().map_err(|_| TargetError::BadRange)?;
    // `10.1.2.5/28` means the /28 that holds 10.1.2.5, as nmap reads it.
    Ok(Entry {
        spec: Spec::Range(net.trunc()),
        port: None,
    })
}

/// `[v6]` or `[v6]:port`; `rest` is the text after `[`.
fn parse_bracketed(rest: &str) -> Result<Entry, TargetError> {
    let (inside, after) = rest.split_once(']').ok_or(TargetError::MissingBracket)?;
    let addr: Ipv6Addr = inside.parse().map_err(|_| TargetError::BadBracketedIpv6)?;
    let port = match after {
        "" => None,
        _ => match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p)?),
            None => return Err(TargetError::ExpectedPort),
        },
    };
    Ok(Entry {
        spec: Spec::Addr(IpAddr::V6(addr)),
        port,
    })
}

fn parse_port(text: &str) -> Result<u16, TargetError> {
    if text.is_empty() {
        return Err(TargetError::MissingPort);
    }
    match text.parse::<u16>() {
        Ok(0) => Err(TargetError::PortZero),
        Ok(p) => Ok(p),
        Err(_) => Err(TargetError::BadPort { text: text.into() }),
    }
}

fn parse_host(text: &str) -> Result<Spec, TargetError> {
    if let Ok(a) = text.parse::<Ipv4Addr>() {
        return Ok(Spec::Addr(IpAddr::V4(a)));
    }
    check_name(text)?;
    Ok(Spec::Name(text.to_string()))
}

/// A DNS name or a short name. Underscores are tolerated because some
/// internal zones have them; the resolver decides whether they exist.
pub(crate) fn check_name(name: &str) -> Result<(), NameError> {
    let bare = name.strip_suffix('.').unwrap_or(name);
    if bare.is_empty() {
        return Err(NameError::Empty);
    }
    if bare.len() > MAX_NAME_CHARS {
        return Err(NameError::TooLong {
            limit: MAX_NAME_CHARS,
        });
    }
    let mut last_label = "";
    for label in bare.split('.') {
        if label.is_empty() {
            return Err(NameError::EmptyLabel);
        }
        if label.len() > MAX_LABEL_CHARS {
            return Err(NameError::LabelTooLong {
                limit: MAX_LABEL_CHARS,
            });
        }
        if let Some(character) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(NameError::BadCharacter { character });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(NameError::Hyphen);
        }
        last_label = label;
    }
    // The system resolver reads `10.1.2` or `010.1.2.3` as (odd) IPv4
    // addresses; no real top-level label is all digits, so this is a typo.
    if last_label.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NameError::NotIpv4);
    }
    Ok(())
}

/// The target lines of a text file: `(1-based line number, trimmed text)`,
/// without blank lines and `#` comments (whole-line or after the target).
///
/// `Get-ExchangeServer | Select Fqdn > servers.txt` (without `-Expand`)
/// writes a table: a blank line, the column name, a row of dashes, then the
/// values. When the second target line is only dashes (two or more), the
/// first two are that heading and are skipped, so such files load as they
/// are.
pub(crate) fn text_lines(text: &str) -> Vec<(usize, &str)> {
    let mut lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, raw)| {
            let without_comment = raw.split_once('#').map_or(raw, |(t, _)| t);
            (i + 1, without_comment.trim())
        })
        .filter(|(_, t)| !t.is_empty())
        .collect();
    let is_rule = |t: &str| t.starts_with("--") && t.chars().all(|c| c == '-' || c == ' ');
    if lines.get(1).is_some_and(|(_, t)| is_rule(t)) {
        lines.drain(..2);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Spec {
        Spec::Name(n.into())
    }

    #[test]
    fn hosts_ips_ports_and_ranges_parse() {
        let e = |t: &str| parse_entry(t).unwrap();
        assert_eq!(e("EX01").spec, name("EX01"));
        assert_eq!(e("ex01.contoso.local.").spec, name("ex01.contoso.local."));
        assert_eq!(e("_srv.contoso.local").spec, name("_srv.contoso.local"));
        assert_eq!(
            e("ex01:444"),
            Entry {
                spec: name("ex01"),
                port: Some(444)
            }
        );
        assert_eq!(
            e("10.1.2.3:8443"),
            Entry {
                spec: Spec::Addr("10.1.2.3".parse().unwrap()),
                port: Some(8443)
            }
        );
        assert_eq!(
            e("fd00::10"),
            Entry {
                spec: Spec::Addr("fd00::10".parse().unwrap()),
                port: None
            }
        );
        assert_eq!(
            e("[fd00::10]:444"),
            Entry {
                spec: Spec::Addr("fd00::10".parse().unwrap()),
                port: Some(444)
            }
        );
        assert_eq!(e("[::1]").port, None);
        assert_eq!(
            e("10.1.2.5/28").spec,
            Spec::Range("10.1.2.0/28".parse().unwrap())
        );
    }

    #[test]
    fn bad_targets_say_what_is_wrong() {
        let err = |t: &str| parse_entry(t).unwrap_err().to_string();
        assert!(err("ex01:").contains("missing port"));
        assert!(err("ex01:0").contains("port 0"));
        assert!(err("ex01:99999").contains("not a port number"));
        assert!(err("ex01:https").contains("not a port number"));
        assert!(err("10.1.2.0/33").contains("CIDR"));
        assert!(err("[fd00::1]444").contains("expected :port"));
        assert!(err("[fd00::1:444").contains("missing ']'"));
        assert!(err("fd00::zz").contains("IPv6"));
        assert!(err("ex01 ex02").contains("one target per line"));
        assert!(err("https://mail.contoso.com/owa").contains("URL"));
        assert!(err("ex01\u{200b}").contains("U+200B"));
        assert!(err("ex\u{1b}[31m01").contains("control characters"));
        assert!(err("10.1.2").contains("IPv4"));
        assert!(err("300.1.2.3").contains("IPv4"));
        assert!(err("ex..contoso").contains("two dots"));
        assert!(err("-ex01").contains("'-'"));
        assert!(err("ex01!").contains("'!'"));
        assert!(err(&"a".repeat(64)).contains("63"));
        assert!(err(&["abc"; 70].join(".")).contains("253"));
        assert!(err(&"x".repeat(5000)).contains("1024"));
    }

    #[test]
    fn text_lines_skip_comments_blanks_and_a_powershell_table_heading() {
        let text = "# servers\n\n  ex01  \nex02 # old DAG\n\t\n";
        assert_eq!(text_lines(text), vec![(3, "ex01"), (4, "ex02")]);
        let table = "\r\nFqdn\r\n----\r\nex01.contoso.local\r\n";
        assert_eq!(text_lines(table), vec![(4, "ex01.contoso.local")]);
        // A lone dash is a bad target to report, not a heading to skip.
        assert_eq!(text_lines("ex01\n-\n"), vec![(1, "ex01"), (2, "-")]);
    }
}
