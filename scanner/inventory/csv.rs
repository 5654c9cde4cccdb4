//! `Get-ExchangeCertificate | Select-Object ... | Export-Csv`: one row per
//! certificate, with or without the `#TYPE` line, `,` or `;` delimited.
//! The CSV plumbing (delimiter, line numbers) is the targets reader's.

use ::csv::StringRecord;

use super::certificate;
use super::dates::{self, ExportDate};
use super::error::{FileError, Problem};
use crate::input::csv_text::{reader, LineIndex};
use crate::model::{Inventory, InventorySource, StoreCertificate};

/// Most rows read from one file (a fleet of 500 servers with 10
/// certificates each is 5,000).
pub const MAX_ROWS: usize = 100_000;

/// Columns naming the server, in order of preference. `Identity` is
/// `<server>\<thumbprint>`; `PSComputerName` is where the session ran.
const SERVER_COLUMNS: [&str; 4] = ["Identity", "PSComputerName", "Server", "ComputerName"];

/// Every certificate row; a bad row refuses the whole file.
pub fn certificates(file: &str, text: &str) -> Result<Inventory, FileError> {
    let mut reader = reader(text);
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            let reason = e.to_string();
            return Err(FileError::whole(Problem::CsvHeader { reason }));
        }
        None => return Err(FileError::whole(Problem::NoHeader)),
    };
    let columns = Columns::new(&header).map_err(FileError::whole)?;
    let lines = LineIndex::new(text);
    let width = header.len();
    let mut inv = Inventory::default();
    let mut last_start: Option<u64> = None;
    for record in records {
        let record = record.map_err(|e| {
            let reason = e.to_string();
            FileError::at(
                text,
                lines.line_of(e.position()),
                Problem::UnreadableRow { reason },
            )
        })?;
        let line = lines.line_of(record.position());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        last_start = record.position().map(::csv::Position::byte);
        // Export-Csv writes every column in every row: a shorter row was
        // cut (or hand-edited), and its last cell cannot be trusted.
        if record.len() < width {
            let problem = Problem::ShortRow {
                fields: record.len(),
                columns: width,
            };
            return Err(FileError::at(text, line, problem));
        }
        if inv.certificates.len() >= MAX_ROWS {
            let problem = Problem::TooManyRows { limit: MAX_ROWS };
            return Err(FileError::at(text, line, problem));
        }
        let source = InventorySource {
            file: file.to_string(),
            object: line,
        };
        let certificate = columns
            .certificate(&record, source)
            .map_err(|p| FileError::at(text, line, p))?;
        inv.certificates.push(certificate);
    }
    if let Some(start) = last_start {
        if cut_last_row(text, start) {
            let line = lines.line_at(start);
            return Err(FileError::at(text, line, Problem::CutRow));
        }
    }
    if inv.certificates.is_empty() {
        return Err(FileError::whole(Problem::NoRows));
    }
    Ok(inv)
}

/// Whether the last row (starting at byte `start`) may have been cut: it
/// has no line end, and does not end with a closed quoted cell either. A
/// cut inside a quoted cell leaves an odd number of quotes; a cut inside
/// an unquoted cell cannot be told from a complete one, so it is refused
/// too (Export-Csv quotes every cell and ends every row with CRLF).
fn cut_last_row(text: &str, start: u64) -> bool {
    if text.ends_with(['\n', '\r']) {
        return false;
    }
    let row = usize::try_from(start)
        .ok()
        .and_then(|s| text.get(s..))
        .unwrap_or_default();
    let quotes = row.bytes().filter(|b| *b == b'"').count();
    !(row.ends_with('"') && quotes % 2 == 0)
}

/// The header, with the columns every row needs.
struct Columns {
    /// The header's names, trimmed.
    names: Vec<String>,
    thumbprint: usize,
    not_after: usize,
}

impl Columns {
    fn new(header: &StringRecord) -> Result<Self, Problem> {
        let names: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
        let need = |column: &'static str| {
            position(&names, column).ok_or_else(|| Problem::NoColumn {
                column,
                columns: names.clone(),
            })
        };
        let (thumbprint, not_after) = (need("Thumbprint")?, need("NotAfter")?);
        if !SERVER_COLUMNS.iter().any(|c| position(&names, c).is_some()) {
            return Err(Problem::NoServerColumn {
                expected: &SERVER_COLUMNS,
                columns: names,
            });
        }
        Ok(Columns {
            names,
            thumbprint,
            not_after,
        })
    }

    fn find(&self, wanted: &str) -> Option<usize> {
        position(&self.names, wanted)
    }

    /// One row as a store record.
    fn certificate(
        &self,
        record: &StringRecord,
        source: InventorySource,
    ) -> Result<StoreCertificate, Problem> {
        let cell = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let named = |name: &str| cell(self.find(name));
        let server = self.server(record).ok_or(Problem::NoServerName)?;
        let thumbprint = cell(Some(self.thumbprint))
            .map(str::to_ascii_uppercase)
            .filter(|t| t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or(Problem::BadThumbprint)?;
        let not_after = date("NotAfter", cell(Some(self.not_after)).unwrap_or_default())?;
        let not_before = named("NotBefore")
            .map(|t| date("NotBefore", t))
            .transpose()?;
        let subject = named("Subject").unwrap_or_default().to_string();
        let issuer = named("Issuer").unwrap_or_default().to_string();
        let self_signed = match named("IsSelfSigned") {
            Some(v) => v.eq_ignore_ascii_case("true"),
            None => !subject.is_empty() && subject == issuer,
        };
        let whole_cell = |name: &str| self.find(name).map(|i| record.get(i).unwrap_or_default());
        Ok(StoreCertificate {
            server: server.to_string(),
            thumbprint,
            // Export-Csv writes an empty cell for an empty friendly name;
            // a missing column means the export did not carry it.
            friendly_name: whole_cell("FriendlyName").map(|v| v.trim().to_string()),
            services: whole_cell("Services").map(certificate::services),
            // Without NotBefore the lifetime start is unknown; not_after
            // stands in, which no rule reads as a start date.
            not_before: not_before.map_or(not_after.at, |d| d.at),
            not_after: not_after.at,
            classification: certificate::by_shape(self_signed),
            subject,
            issuer,
            self_signed,
            classification_reason: None,
            source,
            status: named("Status").map(str::to_string),
            dates_assumed_utc: not_after.assumed_utc || not_before.is_some_and(|d| d.assumed_utc),
            days_left: 0,
            names: named("CertificateDomains").map_or_else(Vec::new, domains),
            bound: Vec::new(),
            der_base64: None,
        })
    }

    /// The first server column with a value; `Identity` counts only as
    /// `<server>\<thumbprint>`.
    fn server<'r>(&self, record: &'r StringRecord) -> Option<&'r str> {
        SERVER_COLUMNS
            .iter()
            .find_map(|c| {
                let v = self.find(c).and_then(|i| record.get(i)).map(str::trim)?;
                match (*c, v.split_once('\\')) {
                    _ if v.is_empty() => None,
                    ("Identity", Some((s, _))) => Some(s.trim()),
                    ("Identity", None) => None,
                    _ => Some(v),
                }
            })
            .filter(|s| !s.is_empty())
    }
}

fn position(names: &[String], wanted: &str) -> Option<usize> {
    names.iter().position(|n| n.eq_ignore_ascii_case(wanted))
}

fn date(column: &'static str, text: &str) -> Result<ExportDate, Problem> {
    dates::parse(text).map_err(|error| Problem::Date { column, error })
}

/// `CertificateDomains` as PowerShell writes a list: `a.com, b.com`.
fn domains(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}
