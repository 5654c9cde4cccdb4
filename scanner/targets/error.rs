//! Why a target, a `--role` value or a whole targets file is refused.
//!
//! Each variant carries the facts (the offending text, the limit, the
//! port lists) and its `Display` is the one line the user reads; the file,
//! line and excerpt are added by [`crate::error::Error`]. This file depends
//! on nothing else in the crate, so `error.rs` can name these types without
//! an import cycle.

use crate::input::decode::DecodeError;

/// Why one target (a line, a CSV row or an argument) cannot be scanned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Longer than [`super::MAX_TARGET_CHARS`].
    #[error("longer than {limit} characters")]
    TooLong {
        /// The limit, in characters.
        limit: usize,
    },
    /// Escape sequences and the like, never part of a name.
    #[error("contains control characters")]
    ControlCharacters,
    /// Often a zero-width space or a typographic character pasted from a
    /// chat or a document.
    #[error(
        "contains the non-ASCII character U+{:04X}; give names in ASCII \
         (the xn-- form for international names)",
        u32::from(*.character)
    )]
    NonAscii {
        /// The first non-ASCII character.
        character: char,
    },
    /// Two targets on one line, or a name with a space.
    #[error("contains spaces; give one target per line")]
    Spaces,
    /// `https://...` pasted from a browser.
    #[error("looks like a URL; give just the host name, e.g. mail.contoso.com")]
    Url,
    /// Text with a `/` that is not a CIDR range.
    #[error("not a valid CIDR range (e.g. 10.1.2.0/28 or fd00::/120)")]
    BadRange,
    /// Text with several `:` that is not an IPv6 address.
    #[error("not a valid IPv6 address (write [address]:port to give a port)")]
    BadIpv6,
    /// `[` without its `]`.
    #[error("missing ']' after the IPv6 address")]
    MissingBracket,
    /// `[...]` holding something else than an IPv6 address.
    #[error("not a valid IPv6 address inside [ ]")]
    BadBracketedIpv6,
    /// `[v6]` followed by something else than `:port`.
    #[error("expected :port after ']'")]
    ExpectedPort,
    /// `host:` with nothing after the colon.
    #[error("missing port after ':'")]
    MissingPort,
    /// `host:0`.
    #[error("port 0 cannot be scanned")]
    PortZero,
    /// `host:text` where the text is not 1-65535.
    #[error("{text:?} is not a port number (1-65535)")]
    BadPort {
        /// What followed the colon.
        text: String,
    },
    /// The host part is not a usable name.
    #[error(transparent)]
    Name(#[from] NameError),
    /// `host:port` with a port in no port list, so no role to check it as.
    #[error("port {port} is in none of {}", named_lists(.lists))]
    PortNotListed {
        /// The port typed.
        port: u16,
        /// The port lists that could have held it: flag and ports.
        lists: Vec<(&'static str, Vec<u16>)>,
    },
    /// A CIDR range above [`super::LARGE_RANGE`] without
    /// `--allow-large-ranges`.
    #[error(
        "range of {} addresses is larger than {}; split it or give --allow-large-ranges",
        thousands(*.addresses),
        thousands(*.limit)
    )]
    RangeTooLarge {
        /// Addresses in the range.
        addresses: u64,
        /// The limit without `--allow-large-ranges`.
        limit: u64,
    },
    /// A CIDR range above [`super::MAX_ENDPOINTS`] addresses.
    #[error(
        "range of 2^{bits} addresses is too large to scan (at most {} even with \
         --allow-large-ranges)",
        thousands(*.limit)
    )]
    RangeTooHuge {
        /// Host bits of the range (128 - prefix for IPv6).
        bits: u32,
        /// The hard limit.
        limit: u64,
    },
    /// Adding this entry would pass [`super::MAX_ENDPOINTS`].
    #[error("more than {} endpoints in all; scan in smaller batches", thousands(*.limit))]
    TooManyEndpoints {
        /// The limit.
        limit: u64,
    },
    /// The csv reader could not read the row.
    #[error("unreadable CSV row: {reason}")]
    UnreadableRow {
        /// The csv crate's message.
        reason: String,
    },
    /// A quote that is never closed makes the csv reader run the cell on
    /// over the following lines.
    #[error(
        "a quoted cell starts on this line and does not end on it: \
         is a closing quote (\") missing?"
    )]
    UnclosedQuote,
    /// The row has no host.
    #[error("the {column} column is empty")]
    EmptyHost {
        /// The host column's name as the header spells it.
        column: String,
    },
    /// A grouping cell with escape sequences or the like.
    #[error("a Site, ServerRole or DAG cell contains control characters")]
    ControlInGroup,
    /// A `LoadBalancer` cell that is not `NAME[=ADDR]`.
    #[error("LoadBalancer cell: {reason}; expected NAME[=ADDR], e.g. mail.contoso.com=10.1.2.50")]
    BadBalancer {
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Why a host part is not a DNS name or short name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing (or only a dot).
    #[error("empty host name")]
    Empty,
    /// Past DNS's 253 characters.
    #[error("host name is longer than {limit} characters")]
    TooLong {
        /// The limit.
        limit: usize,
    },
    /// `a..b`.
    #[error("empty label in host name (two dots in a row?)")]
    EmptyLabel,
    /// A label past DNS's 63 characters.
    #[error("a label of the host name is longer than {limit} characters")]
    LabelTooLong {
        /// The limit.
        limit: usize,
    },
    /// A character no host name has.
    #[error("invalid character {character:?} in host name")]
    BadCharacter {
        /// The first such character.
        character: char,
    },
    /// `-ex01`, `ex01-`.
    #[error("a label of the host name starts or ends with '-'")]
    Hyphen,
    /// An all-digit last label: an IPv4 address with a typo (`10.1.2`).
    #[error("not a valid IPv4 address")]
    NotIpv4,
}

/// Why a `--role` value is not a list of Exchange roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    /// A word that names no role.
    #[error("unknown role {word:?}; expected {}", .expected.join(", "))]
    Unknown {
        /// The word as typed.
        word: String,
        /// The role names accepted.
        expected: Vec<&'static str>,
    },
    /// Only separators.
    #[error("no role given")]
    Empty,
}

/// Why a `--tls-port` value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsPortError {
    /// No `:` between the label and the port.
    #[error("expected LABEL:PORT, e.g. wmsvc:8172 or um:5061")]
    NoColon,
    /// The label is empty, too long, or has a character outside
    /// `[a-z0-9_-]` (or starts with `-`).
    #[error(
        "label {label:?} must be 1 to {limit} lowercase letters, digits, '-' or '_' \
         (e.g. wmsvc:8172)"
    )]
    BadLabel {
        /// The label as typed, as an excerpt.
        label: String,
        /// The longest label accepted.
        limit: usize,
    },
    /// The port is not 1-65535.
    #[error("{text:?} is not a port number (1-65535)")]
    BadPort {
        /// What followed the colon, as an excerpt.
        text: String,
    },
    /// Port 0.
    #[error("port 0 cannot be scanned")]
    PortZero,
}

/// Why a whole targets file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The bytes are not text in an encoding we read.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The csv reader could not read the header.
    #[error("cannot read the CSV header: {reason}")]
    CsvHeader {
        /// The csv crate's message.
        reason: String,
    },
    /// `--column` names a column the CSV does not have.
    #[error("no column named {column:?}; the columns are: {}", .columns.join(", "))]
    NoSuchColumn {
        /// The `--column` value.
        column: String,
        /// The header's columns.
        columns: Vec<String>,
    },
    /// No column is one of the host columns tried.
    #[error(
        "no host column: expected one of {}, or name it with --column; the columns are: {}",
        .expected.join(", "),
        .columns.join(", ")
    )]
    NoHostColumn {
        /// The host columns tried, in order.
        expected: &'static [&'static str],
        /// The header's columns.
        columns: Vec<String>,
    },
    /// More than [`super::MAX_BAD_PER_FILE`] bad entries: the wrong file.
    #[error("more than {limit} invalid lines; is this a list of servers?")]
    TooManyInvalid {
        /// The limit.
        limit: usize,
    },
}

/// `--frontend-ports (443), --backend-ports (444)`.
fn named_lists(lists: &[(&'static str, Vec<u16>)]) -> String {
    lists
        .iter()
        .map(|(flag, ports)| format!("{flag} ({})", port_list(ports)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `443,8443`, or `none`.
fn port_list(ports: &[u16]) -> String {
    if ports.is_empty() {
        return "none".into();
    }
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// `65536` as `65,536`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(65_536), "65,536");
        assert_eq!(thousands(16_777_216), "16,777,216");
        assert_eq!(thousands(512), "512");
    }

    #[test]
    fn messages_carry_their_facts() {
        let e = TargetError::PortNotListed {
            port: 8443,
            lists: vec![("--frontend-ports", vec![443]), ("--backend-ports", vec![])],
        };
        assert_eq!(
            e.to_string(),
            "port 8443 is in none of --frontend-ports (443), --backend-ports (none)"
        );
        let e = TargetError::RangeTooLarge {
            addresses: 1 << 20,
            limit: 65_536,
        };
        assert_eq!(
            e.to_string(),
            "range of 1,048,576 addresses is larger than 65,536; split it or give \
             --allow-large-ranges"
        );
        let e = TargetError::from(NameError::BadCharacter { character: '!' });
        assert_eq!(e.to_string(), "invalid character '!' in host name");
    }
}
