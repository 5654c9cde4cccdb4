//! The admin's own exports of the certificate stores (`--inventory`).
//!
//! The wire shows what a port presents; the store shows the rest: friendly
//! names, which services a certificate is enabled for, renewed certificates
//! waiting unbound, and the Auth certificate no port presents. This module
//! reads the exports into [`Inventory`] evidence; `analyze::store` judges it.
//!
//! The kind of file is recognised from its content (`detect.rs`):
//! - CLIXML (`clixml.rs`) of `Get-ExchangeCertificate` (remote sessions keep
//!   the certificate in `SerializationData`, see `nrbf.rs` and
//!   `certdata.rs`), `Get-AuthConfig`, `Get-ExchangeServer`,
//!   `Get-ReceiveConnector` and `Get-SendConnector`, turned into records by
//!   `records.rs`;
//! - CSV of `Get-ExchangeCertificate | Select-Object ...` (`csv.rs`), with
//!   dates in the exporting machine's culture (`dates.rs`).
//!
//! Every file is bounded ([`MAX_FILE_BYTES`], object counts, nesting, a
//! memory budget per object), and a truncated, malformed or unrecognised
//! file is an error naming the file, the line and what was wrong. Within a
//! well-formed CLIXML file, one object that cannot be read is a warning
//! (`Inventory.warnings`, and stderr) and the rest is read. Records for one
//! server and certificate are merged once (`conflicts.rs`).

mod certdata;
mod certificate;
mod clixml;
mod conflicts;
mod csv;
mod dates;
mod detect;
pub(crate) mod error;
mod nrbf;
mod records;

use std::path::Path;

use crate::error::{say, Error};
use crate::model::Inventory;
use crate::text::excerpt;

pub use certdata::CertDataError;
pub use clixml::ClixmlError;
pub use dates::{parse as parse_date, DateError, ExportDate};
pub use error::{FileError, Problem, RecordError};
pub use nrbf::NrbfError;

/// Largest export read. A fleet's certificate CLIXML is a few MB (each
/// certificate carries its DER twice in a remote export).
pub const MAX_FILE_BYTES: usize = crate::input::files::MAX_INVENTORY_BYTES as usize;

/// Read every `--inventory` file into one [`Inventory`]. The first bad file
/// stops the run (exit 64) before anything is scanned or written.
pub fn load(paths: &[std::path::PathBuf]) -> Result<Option<Inventory>, Error> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut all = Inventory::default();
    for path in paths {
        let bytes = read_capped(path)?;
        let name = path.display().to_string();
        let refuse = |error: FileError| Error::BadInventory {
            path: path.clone(),
            error,
        };
        let one = parse_file(&name, &bytes).map_err(refuse)?;
        for w in &one.warnings {
            let place = match (w.line, w.object) {
                (0, _) | (_, 0) => String::new(),
                (line, object) => format!("line {line}: object {object}: "),
            };
            say(format!("warning: {name}: {place}{}", w.message));
        }
        merge(&mut all, one).map_err(|p| refuse(FileError::whole(p)))?;
    }
    let before = all.conflicts.len();
    all.certificates = conflicts::dedupe(
        std::mem::take(&mut all.certificates),
        &all.exchange_servers,
        &mut all.conflicts,
    );
    report_conflicts(all.conflicts.get(before..).unwrap_or_default());
    Ok(Some(all))
}

/// One stderr line per disagreement, every value from the files shown
/// safely.
fn report_conflicts(found: &[crate::model::InventoryConflict]) {
    for c in found {
        say(format!(
            "warning: {} {}: the exports disagree on {}: kept {} ({} #{}), not {} ({} #{})",
            excerpt(&c.server),
            c.thumbprint,
            c.field,
            excerpt(&c.kept),
            excerpt(&c.kept_source.file),
            c.kept_source.object,
            excerpt(&c.dropped),
            excerpt(&c.dropped_source.file),
            c.dropped_source.object,
        ));
    }
}

/// Through the one bounded reader every file input uses: regular files
/// only (a FIFO would block, /dev/zero would never end), at most
/// [`MAX_FILE_BYTES`].
fn read_capped(path: &Path) -> Result<Vec<u8>, Error> {
    crate::input::files::read_limited(path, MAX_FILE_BYTES as u64, "an inventory export")
}

/// Read one export's bytes. `file` is the name recorded in each record's
/// `source`.
pub fn parse_file(file: &str, bytes: &[u8]) -> Result<Inventory, FileError> {
    let text = crate::input::decode::decode(bytes).map_err(FileError::whole)?;
    let mut inv = match detect::kind(&text) {
        detect::Kind::Clixml => records::from_clixml(file, &text)?,
        detect::Kind::Csv => csv::certificates(file, &text)?,
        detect::Kind::Unknown(why) => return Err(FileError::whole(why)),
    };
    inv.files.push(file.to_string());
    Ok(inv)
}

/// Read one certificate's `SerializationData` blob (bare or signed NRBF)
/// as a remote `Get-ExchangeCertificate` export carries it; `Ok` holds
/// whether it carried the DER. For the fuzz target: the blob alone, without
/// the XML and base64 around it.
#[doc(hidden)]
pub fn read_serialization_data(bytes: &[u8]) -> Result<bool, RecordError> {
    let s = certificate::serialized(bytes)?;
    // What a record takes from it must be text a report can hold.
    let _ = (s.friendly_name, s.identity, s.services, s.status);
    Ok(s.der.is_some())
}

/// Add one file's records to the others. Two files that disagree on the
/// organisation's AuthConfig are refused: there is only one.
fn merge(all: &mut Inventory, one: Inventory) -> Result<(), Problem> {
    all.certificates.extend(one.certificates);
    all.exchange_servers.extend(one.exchange_servers);
    all.connectors.extend(one.connectors);
    all.files.extend(one.files);
    all.warnings.extend(one.warnings);
    all.conflicts.extend(one.conflicts);
    if let Some(a) = one.auth_config {
        match &all.auth_config {
            Some(b) if !same_auth(&a, b) => return Err(Problem::AuthConfigDiffers),
            _ => all.auth_config = Some(a),
        }
    }
    Ok(())
}

fn same_auth(a: &crate::model::AuthConfig, b: &crate::model::AuthConfig) -> bool {
    a.current_thumbprint == b.current_thumbprint
        && a.next_thumbprint == b.next_thumbprint
        && a.next_effective_date == b.next_effective_date
        && a.previous_thumbprint == b.previous_thumbprint
}

/// Add a saved scan's inventory to another (`excert report A.json B.json`):
/// a certificate already known for that server is kept once (the
/// DER-backed record, else the earlier), and the later scan's AuthConfig
/// wins. Linear: records are matched through a map.
pub fn merge_saved(all: &mut Inventory, one: Inventory) {
    let mut certs = std::mem::take(&mut all.certificates);
    certs.extend(one.certificates);
    all.exchange_servers.extend(one.exchange_servers);
    let before = all.conflicts.len();
    all.certificates = conflicts::dedupe(certs, &all.exchange_servers, &mut all.conflicts);
    report_conflicts(all.conflicts.get(before..).unwrap_or_default());
    all.connectors.extend(one.connectors);
    let known: std::collections::HashSet<String> = all.files.iter().cloned().collect();
    all.files
        .extend(one.files.into_iter().filter(|f| !known.contains(f)));
    all.warnings.extend(one.warnings);
    all.conflicts.extend(one.conflicts);
    if one.auth_config.is_some() {
        all.auth_config = one.auth_config;
    }
}
