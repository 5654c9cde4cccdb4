//! CSV text as `Export-Csv` writes it, for every reader of CSV exports
//! (targets files and certificate inventories): the header's delimiter
//! (`,`, or `;` from regional Excel and `-UseCulture`), `#TYPE` and comment
//! lines skipped, and line numbers that are right on CRLF files.

/// The delimiter used by the header: `;` when it has more semicolons than
/// commas outside quotes, else `,`.
pub fn delimiter(header: &str) -> u8 {
    let (mut commas, mut semis, mut quoted) = (0, 0, false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semis += 1,
            _ => {}
        }
    }
    if semis > commas {
        b';'
    } else {
        b','
    }
}

/// A reader of `text` as Export-Csv writes it: the header's delimiter,
/// `#TYPE` and `#` comment lines skipped, rows of any length. Headers are
/// left to the caller (the first record).
pub fn reader(text: &str) -> csv::Reader<&[u8]> {
    let header_line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or_default();
    csv::ReaderBuilder::new()
        .delimiter(delimiter(header_line))
        .has_headers(false)
        .flexible(true)
        // Skips the `#TYPE` line and any `#` comment lines.
        .comment(Some(b'#'))
        .from_reader(text.as_bytes())
}

/// Line numbers from byte offsets. The csv crate's own line count is one
/// short on CRLF files (the `\n` of a row is consumed with the next one), and
/// Export-Csv writes CRLF.
pub struct LineIndex<'a> {
    text: &'a [u8],
    /// Byte offset of every `\n`.
    newlines: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Index the line endings of `text`.
    pub fn new(text: &'a str) -> Self {
        let text = text.as_bytes();
        let newlines = text
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i)
            .collect();
        LineIndex { text, newlines }
    }

    /// The 1-based line of the first character at or after `offset` that
    /// is not a line ending: where the record really starts.
    pub fn line_at(&self, offset: u64) -> usize {
        let mut start = usize::try_from(offset).unwrap_or(usize::MAX);
        while self
            .text
            .get(start)
            .is_some_and(|b| *b == b'\r' || *b == b'\n')
        {
            start += 1;
        }
        1 + self.newlines.partition_point(|n| *n < start)
    }

    /// The line of a csv record or error position; 0 when there is none.
    pub fn line_of(&self, position: Option<&csv::Position>) -> usize {
        position.map_or(0, |p| self.line_at(p.byte()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_win_only_when_they_are_the_delimiter() {
        assert_eq!(delimiter("\"Name\";\"Fqdn\""), b';');
        assert_eq!(delimiter("\"Name\",\"Fqdn\""), b',');
        assert_eq!(delimiter("\"A;B\",\"Fqdn\""), b',');
    }
}
