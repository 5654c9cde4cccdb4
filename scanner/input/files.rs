//! Reading input files safely: every kind of input has a size limit
//! (docs/guide.md "Limits") and special files are refused before they are opened
//! for reading. Errors quote input only through
//! [`crate::text::excerpt`].
//!
//! Every file excert reads goes through [`read_limited`]: scan.json, CA
//! bundles, targets files and inventory files.

use std::io::Read;
use std::path::Path;

use crate::error::Error;

const MIB: u64 = 1024 * 1024;

/// Largest scan.json `excert report` reads. A fleet of 10,000 endpoints
/// with full chains writes about 100 MB.
pub const MAX_SCAN_JSON_BYTES: u64 = 512 * MIB;
/// Largest `--ca-bundle` file. The whole Mozilla root store is about 250 KB.
pub const MAX_CA_BUNDLE_BYTES: u64 = 16 * MIB;
/// Largest targets file (or stdin). A real fleet list is a few KB.
pub const MAX_TARGETS_BYTES: u64 = 10 * MIB;
/// Largest inventory file (Get-ExchangeCertificate exports, CLIXML).
pub const MAX_INVENTORY_BYTES: u64 = 64 * MIB;

/// Read a whole regular file of at most `limit` bytes. `what` names the
/// kind of file for the messages ("a CA bundle", "a scan.json").
///
/// Devices, FIFOs, sockets and folders are refused before they are opened,
/// so `/dev/zero` cannot fill memory and a FIFO cannot block the run.
pub fn read_limited(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    check_regular(path, &meta, what)?;
    if meta.len() > limit {
        return Err(too_large(path, limit, what));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    // The file may have been swapped or grown since the check above.
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    check_regular(path, &meta, what)?;
    read_capped(file, path, limit, what)
}

/// Read at most `limit` bytes from a stream (stdin), refusing more.
pub fn read_capped(r: impl Read, path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    r.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(path, limit, what));
    }
    Ok(bytes)
}

fn check_regular(path: &Path, meta: &std::fs::Metadata, what: &str) -> Result<(), Error> {
    if meta.is_file() {
        return Ok(());
    }
    let kind = if meta.is_dir() {
        "a folder"
    } else {
        "not a regular file (a device, FIFO or socket)"
    };
    Err(Error::bad_file(
        path,
        format!("is {kind}; excert reads {what} only from a regular file"),
    ))
}

fn too_large(path: &Path, limit: u64, what: &str) -> Error {
    Error::bad_file(
        path,
        format!(
            "larger than the {} MB limit for {what}; is this the right file?",
            limit / MIB
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_files_and_big_files_are_refused() {
        let err = read_limited(Path::new("/dev/zero"), 10, "a CA bundle").unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let err = read_limited(dir.path(), 10, "a CA bundle").unwrap_err();
        assert!(err.to_string().contains("a folder"), "{err}");
        let big = dir.path().join("big.pem");
        std::fs::write(&big, vec![b'x'; 11]).unwrap();
        let err = read_limited(&big, 10, "a CA bundle").unwrap_err();
        assert!(err.to_string().contains("limit for a CA bundle"), "{err}");
        assert_eq!(read_limited(&big, 11, "a CA bundle").unwrap().len(), 11);
    }
}
