//! What the rules read about one endpoint, and the phrases every rule's
//! detail sentence shares. A module of its own so the rule files depend on
//! it, not on the dispatcher in `mod.rs` that depends on them.

use crate::config::AnalysisSettings;
use crate::model::{CertFacts, EndpointEvidence};

use crate::analyze::trust::ChainCheck;

/// Everything the rules need about one endpoint.
pub(crate) struct EndpointCtx<'a> {
    /// The endpoint and what it said. Its chains' DER is gone once read
    /// (to keep memory flat in fleet size): rules read `chain` and `no_sni_chain`.
    pub evidence: &'a EndpointEvidence,
    /// The analysed chain, leaf first.
    pub chain: &'a [std::sync::Arc<CertFacts>],
    /// The chain presented without SNI (`--also-no-sni`), analysed.
    pub no_sni_chain: &'a [std::sync::Arc<CertFacts>],
    /// Per chain cert: is it a trust anchor.
    pub is_anchor: &'a [bool],
    pub check: Option<&'a ChainCheck>,
    /// SHA-1 thumbprints of self-issued leaves this server presents on its
    /// backend ports.
    pub backend_self_signed: &'a [String],
    /// SHA-1 thumbprints of the leaves this server presents on its frontend
    /// ports.
    pub frontend_leaves: &'a [String],
    /// An Exchange self-signed leaf this server presents on a frontend port:
    /// after the renewal trap, that is the renewed backend cert.
    pub frontend_exchange: Option<&'a CertFacts>,
    /// The public cert to bind: this server's own healthy one, else the
    /// fleet majority. `None` when no scanned server presents one.
    pub public_thumbprint: Option<&'a str>,
    /// The client namespaces the 443 certificate must cover: `--namespace`
    /// for the server's site, else those inferred from the fleet.
    pub expected_names: &'a [String],
    /// A newer public certificate for the same names, already on other
    /// servers of the site: an expiring 443 certificate is fixed by binding
    /// it, not by a renewal.
    pub rollout: Option<&'a CertFacts>,
    /// A renewed certificate waits in this server's store (`--inventory`):
    /// the steps that bind it, which fix this port's expiry.
    pub renewal: Option<&'a [crate::model::Step]>,
    pub settings: &'a AnalysisSettings,
}

/// `EX01:444 (backend)`, for detail sentences; a `--tls-port` port by
/// its label (`EX01:8172 (wmsvc)`).
pub(super) fn where_(ctx: &EndpointCtx<'_>) -> String {
    let e = &ctx.evidence.endpoint;
    let what = e.label.as_deref().unwrap_or(e.role.as_str());
    format!("{}:{} ({what})", e.host, e.port)
}

pub(super) fn short_host(host: &str) -> String {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return host.to_string();
    }
    host.split('.').next().unwrap_or(host).to_string()
}

/// `EX01:444 (backend) presents CN=EX01 (Exchange self-signed, SHA-1 ...)`,
/// the start of every expiry sentence.
pub(super) fn presents(ctx: &EndpointCtx<'_>, leaf: &CertFacts) -> String {
    format!(
        "{} presents {} ({}, SHA-1 {})",
        where_(ctx),
        leaf.subject,
        leaf.classification.label(),
        leaf.sha1
    )
}
