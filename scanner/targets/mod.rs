//! Stage 1: inputs become endpoints.
//!
//! Reading and parsing ([`load`]) is separate from name resolution
//! ([`resolve`]) so that every bad line is reported, with its file and line,
//! before anything touches the network.

use crate::config::TargetOptions;
use crate::error::Error;
use crate::model::{Endpoint, InvalidTarget};

/// Parsed targets, not yet resolved.
#[derive(Debug, Clone, Default)]
pub struct TargetList {
    /// One per host and port; `address` is set for IP literals and pins.
    pub endpoints: Vec<Endpoint>,
    /// Lines skipped under `--skip-invalid`.
    pub invalid: Vec<InvalidTarget>,
}

/// Read every input and expand it into endpoints.
pub fn load(_opts: &TargetOptions) -> Result<TargetList, Error> {
    todo!("targets::load")
}

/// Resolve names concurrently, apply SNI rules and de-duplicate by
/// address:port. Names that do not resolve keep `address: None` and are
/// reported as `dns_failed` by the probe.
pub async fn resolve(_list: TargetList, _opts: &TargetOptions) -> Vec<(Endpoint, Option<String>)> {
    todo!("targets::resolve")
}

/// TEMPORARY STUB: replaced by the targets branch.
pub fn dry_run_lines(_endpoints: &[(Endpoint, Option<String>)]) -> Vec<String> {
    todo!()
}
