//! Stage 3: evidence plus settings become facts, findings and verdicts.
//!
//! Pure: no I/O and no clock. The as-of time and the trust roots come in
//! through [`AnalysisSettings`], so the same evidence always gives the same
//! answer, live or from a saved scan.json.

pub mod trust;

use crate::config::AnalysisSettings;
use crate::model::{EndpointEvidence, EndpointReport, ExpiryCliff, ServerReport};

/// What analysis made of a whole scan.
pub struct Analysis {
    pub endpoints: Vec<EndpointReport>,
    pub servers: Vec<ServerReport>,
    pub expiry_cliffs: Vec<ExpiryCliff>,
}

pub fn analyze(_evidence: &[EndpointEvidence], _settings: &AnalysisSettings) -> Analysis {
    todo!("analyze")
}
