//! `Get-ExchangeCertificate | Select-Object ... | Export-Csv`: one row per
//! certificate, with or without the `#TYPE` line, `,` or `;` delimited.
//! The CSV plumbing (delimiter, line numbers) is the targets reader's.

use super::{dates, records, FileError};
use crate::model::{Classification, Inventory, InventorySource, StoreCertificate};
use crate::targets::csv_input::{delimiter, LineIndex};

/// Most rows read from one file (a fleet of 500 servers with 10
/// certificates each is 5,000).
pub const MAX_ROWS: usize = 100_000;

/// Columns naming the server, in order of preference. `Identity` is
/// `<server>\<thumbprint>`; `PSComputerName` is where the session ran.
const SERVER_COLUMNS: [&str; 4] = ["Identity", "PSComputerName", "Server", "ComputerName"];

pub fn certificates(file: &str, text: &str) -> Result<Inventory, FileError> {
    let lines = LineIndex::new(text);
    let header_line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or_default();
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter(header_line))
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(FileError::whole(format!("cannot read the CSV header: {e}"))),
        None => return Err(FileError::whole("the CSV has no header")),
    };
    let names: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let find = |wanted: &str| names.iter().position(|n| n.eq_ignore_ascii_case(wanted));
    let need = |wanted: &str| {
        find(wanted).ok_or_else(|| {
            FileError::whole(format!(
                "no {wanted} column; the columns are: {}",
                names.join(", ")
            ))
        })
    };
    let thumb_col = need("Thumbprint")?;
    let not_after_col = need("NotAfter")?;
    let not_before_col = find("NotBefore");
    if !SERVER_COLUMNS.iter().any(|c| find(c).is_some()) {
        return Err(FileError::whole(format!(
            "no server column: expected one of {}; the columns are: {}",
            SERVER_COLUMNS.join(", "),
            names.join(", ")
        )));
    }
    let mut inv = Inventory::default();
    for record in records {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
            FileError::at(text, line, format!("unreadable CSV row: {e}"))
        })?;
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if inv.certificates.len() >= MAX_ROWS {
            return Err(FileError::at(
                text,
                line,
                format!("more than {MAX_ROWS} rows"),
            ));
        }
        let cell = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let bad = |m: String| FileError::at(text, line, m);
        let server = SERVER_COLUMNS
            .iter()
            .find_map(|c| {
                let v = cell(find(c))?;
                match (*c, v.split_once('\\')) {
                    ("Identity", Some((s, _))) => Some(s.trim()),
                    ("Identity", None) => None,
                    _ => Some(v),
                }
            })
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad("no server name in this row".into()))?;
        let thumbprint = cell(Some(thumb_col))
            .map(str::to_ascii_uppercase)
            .filter(|t| t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| bad("the Thumbprint is not 40 hex digits".into()))?;
        let not_after = dates::parse(cell(Some(not_after_col)).unwrap_or_default())
            .map_err(|m| bad(format!("NotAfter: {m}")))?;
        let not_before = match cell(not_before_col) {
            Some(t) => Some(dates::parse(t).map_err(|m| bad(format!("NotBefore: {m}")))?),
            None => None,
        };
        let subject = cell(find("Subject")).unwrap_or_default().to_string();
        let issuer = cell(find("Issuer")).unwrap_or_default().to_string();
        let self_signed = match cell(find("IsSelfSigned")) {
            Some(v) => v.eq_ignore_ascii_case("true"),
            None => !subject.is_empty() && subject == issuer,
        };
        let names = cell(find("CertificateDomains"))
            .map(|v| {
                v.split([',', ' '])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        inv.certificates.push(StoreCertificate {
            server: server.to_string(),
            thumbprint,
            // Export-Csv writes an empty cell for an empty friendly name;
            // a missing column means the export did not carry it.
            friendly_name: find("FriendlyName")
                .map(|i| record.get(i).unwrap_or_default().trim().to_string()),
            services: find("Services")
                .map(|i| records::services(record.get(i).unwrap_or_default())),
            // Without NotBefore the lifetime start is unknown; not_after
            // stands in, which no rule reads as a start date.
            not_before: not_before.map_or(not_after.at, |d| d.at),
            not_after: not_after.at,
            classification: if self_signed {
                Classification::SelfSigned
            } else {
                Classification::CaIssued
            },
            subject,
            issuer,
            self_signed,
            classification_reason: None,
            source: InventorySource {
                file: file.to_string(),
                object: line,
            },
            status: cell(find("Status")).map(str::to_string),
            dates_assumed_utc: not_after.assumed_utc || not_before.is_some_and(|d| d.assumed_utc),
            days_left: 0,
            names,
            bound: Vec::new(),
            der_base64: None,
        });
    }
    if inv.certificates.is_empty() {
        return Err(FileError::whole("the CSV holds no certificate rows"));
    }
    Ok(inv)
}
