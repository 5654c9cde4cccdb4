//! CSV files as `Export-Csv` writes them: an optional `#TYPE ...` first
//! line, a header, quoted fields, and `,` or `;` (regional Excel and
//! `-UseCulture`) as the delimiter.

use super::error::{FileError, TargetError};
use crate::input::csv_text::{reader, LineIndex};
use crate::model::Group;

/// Host columns tried in order when `--column` is not given. `Fqdn` first:
/// `Get-ExchangeServer` exports carry both `Name` (short) and `Fqdn`, and the
/// FQDN is what the certificates name.
pub const HOST_COLUMNS: [&str; 6] = ["Fqdn", "Name", "Identity", "Server", "Host", "Address"];

/// One data row: the host cell and the grouping columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    /// 1-based line of the file where the record starts.
    pub line: usize,
    pub host: String,
    pub group: Group,
    /// The `LoadBalancer` cell, `NAME[=ADDR]`: the VIP this server is
    /// behind; `None` when the column is absent or the cell empty.
    pub balancer: Option<String>,
}

/// A row that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadRow {
    /// 1-based line of the file where the record starts (0 if unknown).
    pub line: usize,
    /// The host cell, or the whole row when it has no host.
    pub text: String,
    pub error: TargetError,
}

/// Whether a file's text is a CSV rather than one target per line. Target
/// lines never hold `,`, `;` or `"`, and Export-Csv always quotes its
/// header, so the first line that is not a comment decides. A lone unquoted
/// header (`Fqdn`, or the `--column` name) also counts: no server is named
/// after a column.
pub(crate) fn looks_like_csv(text: &str, column: Option<&str>) -> bool {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.next() else {
        return false;
    };
    if first.starts_with("#TYPE") {
        return true;
    }
    let mut lines = std::iter::once(first)
        .chain(lines)
        .filter(|l| !l.starts_with('#'));
    let Some(header) = lines.next() else {
        return false;
    };
    if header.contains([',', ';', '"']) {
        return true;
    }
    // `Select Fqdn > file` writes the same word over a row of dashes: that
    // is a table heading for the text reader, not a CSV header.
    let table_rule = lines.next().is_some_and(|l| l.starts_with('-'));
    let column_name = HOST_COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(header))
        || column.is_some_and(|c| c.trim().eq_ignore_ascii_case(header));
    column_name && !table_rule
}

/// Read the rows of a CSV file. A file-level problem (no host column) is an
/// `Err`; bad rows come back one by one.
pub(crate) fn rows(
    text: &str,
    column: Option<&str>,
) -> Result<Vec<Result<Row, BadRow>>, FileError> {
    let mut reader = reader(text);
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            return Err(FileError::CsvHeader {
                reason: e.to_string(),
            })
        }
        None => return Ok(Vec::new()),
    };
    let columns = Columns::new(&header, column)?;
    let lines = LineIndex::new(text);
    let mut out = Vec::new();
    for record in records {
        match record {
            Ok(r) => out.extend(columns.row(&r, lines.line_of(r.position()))),
            Err(e) => out.push(Err(BadRow {
                line: lines.line_of(e.position()),
                text: String::new(),
                error: TargetError::UnreadableRow {
                    reason: e.to_string(),
                },
            })),
        }
    }
    Ok(out)
}

/// Where the host and grouping cells are.
struct Columns {
    /// The header's names, trimmed.
    names: Vec<String>,
    host: usize,
    site: Option<usize>,
    role: Option<usize>,
    dag: Option<usize>,
    version: Option<usize>,
    balancer: Option<usize>,
}

impl Columns {
    /// The host column is `--column`, else the first of [`HOST_COLUMNS`].
    fn new(header: &csv::StringRecord, column: Option<&str>) -> Result<Self, FileError> {
        let names: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
        let find = |wanted: &str| names.iter().position(|n| n.eq_ignore_ascii_case(wanted));
        let host = match column {
            Some(c) => find(c.trim()).ok_or_else(|| FileError::NoSuchColumn {
                column: c.to_string(),
                columns: names.clone(),
            })?,
            None => HOST_COLUMNS.iter().find_map(|c| find(c)).ok_or_else(|| {
                FileError::NoHostColumn {
                    expected: &HOST_COLUMNS,
                    columns: names.clone(),
                }
            })?,
        };
        Ok(Columns {
            host,
            site: find("Site"),
            role: find("ServerRole"),
            dag: find("DatabaseAvailabilityGroup").or_else(|| find("DAG")),
            version: find("AdminDisplayVersion"),
            balancer: find("LoadBalancer"),
            names,
        })
    }

    /// One record as a row, or `None` when it is blank.
    fn row(&self, record: &csv::StringRecord, line: usize) -> Option<Result<Row, BadRow>> {
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::trim).unwrap_or("");
        if record.iter().all(|f| f.trim().is_empty()) {
            return None;
        }
        let host = cell(Some(self.host));
        let bad = |text: &str, error| {
            Some(Err(BadRow {
                line,
                text: text.to_string(),
                error,
            }))
        };
        // A quote that is never closed makes the csv reader run the cell on
        // over the following lines; say so instead of "control characters".
        if [
            Some(self.host),
            self.site,
            self.role,
            self.dag,
            self.version,
            self.balancer,
        ]
        .iter()
        .any(|&i| cell(i).contains(['\n', '\r']))
        {
            let first_line = host.lines().next().unwrap_or_default();
            return bad(first_line, TargetError::UnclosedQuote);
        }
        if host.is_empty() {
            let column = self.names.get(self.host).map_or("host", |s| s).to_string();
            let whole = record.iter().collect::<Vec<_>>().join(",");
            return bad(&whole, TargetError::EmptyHost { column });
        }
        // An unreadable version is left unknown, not an error: it only
        // refines which ports are expected and which advice applies.
        let version = crate::model::version_of(cell(self.version));
        let group = Group {
            site: optional(cell(self.site)).map(super::roles::site_name),
            dag: optional(cell(self.dag)),
            server_role: optional(cell(self.role)),
            exchange_version: version.as_ref().map(|v| v.0.clone()),
            exchange_build: version.map(|v| v.1),
        };
        let control = |v: &Option<String>| {
            v.as_deref()
                .is_some_and(|v| v.chars().any(char::is_control))
        };
        if [&group.site, &group.dag, &group.server_role]
            .into_iter()
            .any(control)
        {
            return bad(host, TargetError::ControlInGroup);
        }
        Some(Ok(Row {
            line,
            host: host.to_string(),
            group,
            balancer: optional(cell(self.balancer)),
        }))
    }
}

fn optional(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_tells_csv_from_target_lines() {
        assert!(looks_like_csv(
            "#TYPE Selected.Foo\n\"Fqdn\"\n\"ex01\"\n",
            None
        ));
        assert!(looks_like_csv("\"Fqdn\"\r\n\"ex01\"\r\n", None));
        assert!(looks_like_csv("# list\nName;Site\nex01;A\n", None));
        assert!(looks_like_csv("fqdn\nex01\n", None));
        assert!(looks_like_csv("Computer\nex01\n", Some("computer")));
        assert!(!looks_like_csv("# list\nex01\n10.1.2.0/28\n", None));
        assert!(!looks_like_csv("", None));
        assert!(!looks_like_csv("\r\nFqdn\r\n----\r\nex01\r\n", None));
    }

    #[test]
    fn an_unterminated_quote_is_named_as_such() {
        let text = "\"Fqdn\",\"Site\"\r\n\"ex01.contoso.local\",\"HQ\"\r\n\"ex02.contoso.local,HQ\r\nex03,HQ\r\n";
        let rows = rows(text, None).unwrap();
        let bad: Vec<_> = rows.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(bad.len(), 1, "{rows:?}");
        let message = bad[0].error.to_string();
        assert_eq!(bad[0].line, 3);
        assert!(message.contains("closing quote"), "{message}");
        assert!(!message.contains("control characters"), "{message}");
    }

    #[test]
    fn line_numbers_are_right_for_crlf_and_lf() {
        for nl in ["\n", "\r\n"] {
            let text = ["#TYPE X", "\"Fqdn\"", "\"a\"", "", "\"b\""].join(nl) + nl;
            let lines: Vec<usize> = rows(&text, None)
                .unwrap()
                .into_iter()
                .map(|r| r.unwrap().line)
                .collect();
            assert_eq!(lines, [3, 5], "{nl:?}");
        }
    }

    #[test]
    fn host_column_is_chosen_in_order_or_by_name() {
        let text = "\"Name\",\"Fqdn\",\"Site\"\n\"EX01\",\"ex01.contoso.local\",\"c.local/Configuration/Sites/HQ\"\n";
        let r = rows(text, None).unwrap();
        let row = r[0].as_ref().unwrap();
        assert_eq!(row.host, "ex01.contoso.local");
        assert_eq!(row.line, 2);
        assert_eq!(row.group.site.as_deref(), Some("HQ"));
        let r = rows(text, Some("name")).unwrap();
        assert_eq!(r[0].as_ref().unwrap().host, "EX01");
        assert!(rows(text, Some("Server"))
            .unwrap_err()
            .to_string()
            .contains("Name, Fqdn, Site"));
        assert!(rows("\"Foo\"\n\"x\"\n", None)
            .unwrap_err()
            .to_string()
            .contains("--column"));
    }
}
