//! The roots chains are validated against, read from the machine and from
//! `--ca-bundle` files. Analysis gets the result as data.

use std::path::PathBuf;

use crate::error::Error;
use crate::input::files::{read_limited, MAX_CA_BUNDLE_BYTES};

/// The certificates roots may come from, as bytes: nothing is parsed here.
#[derive(Debug, Default)]
pub struct CaSources {
    /// DER certificates of the OS store (empty when it cannot be read: a
    /// missing or partly unreadable store must not stop a scan).
    pub os_store: Vec<Vec<u8>>,
    /// Each `--ca-bundle` file and its PEM bytes, in the order given.
    pub bundles: Vec<(PathBuf, Vec<u8>)>,
}

/// Read the OS store and every `--ca-bundle` file (bounded in size; a file
/// that cannot be read is an error naming it).
pub fn read(ca_bundles: &[PathBuf]) -> Result<CaSources, Error> {
    let os_store = rustls_native_certs::load_native_certs()
        .certs
        .iter()
        .map(|c| c.as_ref().to_vec())
        .collect();
    let mut bundles = Vec::new();
    for path in ca_bundles {
        let bytes = read_limited(path, MAX_CA_BUNDLE_BYTES, "a CA bundle")?;
        bundles.push((path.clone(), bytes));
    }
    Ok(CaSources { os_store, bundles })
}
