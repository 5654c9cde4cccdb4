//! Stage 2: read each endpoint's chain over the network.
//!
//! The probe only collects evidence. It never judges a certificate: an
//! expired, self-signed or misnamed chain is recorded as presented.

pub mod legacy;

use crate::config::ProbeOptions;
use crate::model::{Endpoint, EndpointEvidence};
use crate::Cancel;

/// Evidence for every endpoint, in input order.
pub struct Probed {
    pub evidence: Vec<EndpointEvidence>,
    /// False when cancelled before every endpoint was probed.
    pub complete: bool,
}

/// Probe all endpoints with bounded concurrency. The `Option<String>` beside
/// each endpoint is a resolver error, which becomes `dns_failed`.
pub async fn probe_all(
    _endpoints: Vec<(Endpoint, Option<String>)>,
    _opts: &ProbeOptions,
    _cancel: Cancel,
) -> Probed {
    todo!("probe_all")
}
