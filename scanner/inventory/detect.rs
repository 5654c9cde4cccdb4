//! What kind of export a file is, from its content alone (file names lie:
//! `certs.xml` may well be a CSV someone renamed).

use super::clixml;
use super::error::Problem;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Clixml,
    Csv,
    /// Neither: empty, or something else.
    Unknown(Problem),
}

/// CLIXML starts with `<Objs`; a certificate CSV has a `Thumbprint` column
/// in its header (after an optional `#TYPE` line).
pub fn kind(text: &str) -> Kind {
    if clixml::looks_like(text) {
        return Kind::Clixml;
    }
    let header = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or_default();
    let has_thumbprint = header.split([',', ';']).any(|c| {
        c.trim()
            .trim_matches('"')
            .eq_ignore_ascii_case("Thumbprint")
    });
    if has_thumbprint {
        return Kind::Csv;
    }
    if text.trim().is_empty() {
        return Kind::Unknown(Problem::Empty);
    }
    Kind::Unknown(Problem::Unrecognised)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides() {
        assert_eq!(kind("  <Objs Version=\"1.1.0.1\">"), Kind::Clixml);
        assert_eq!(kind("<?xml version=\"1.0\"?>\r\n<Objs>"), Kind::Clixml);
        assert_eq!(
            kind("#TYPE Selected.X\r\n\"PSComputerName\",\"Thumbprint\"\r\n"),
            Kind::Csv
        );
        assert_eq!(kind("Server;Thumbprint;NotAfter\n"), Kind::Csv);
        assert!(matches!(kind("ex01\nex02\n"), Kind::Unknown(_)));
        assert!(matches!(kind("<html>"), Kind::Unknown(_)));
        assert_eq!(kind(""), Kind::Unknown(Problem::Empty));
    }
}
