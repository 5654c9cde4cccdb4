//! The TLS versions a VIP accepts: clients meet the balancer's TLS, not
//! the servers', so its old versions are its own to turn off.

use crate::model::{Finding, FindingId, Severity, TlsInfo};

use crate::analyze::catalog::finding;
use crate::analyze::remediation::{self, Vip};

/// `legacy-tls-only` when nothing newer than TLS 1.1 is accepted,
/// `legacy-protocols-enabled` (info) when TLS 1.0 or 1.1 still is.
pub(super) fn findings(vip: &Vip<'_>, at: &str, tls: Option<&TlsInfo>) -> Option<Finding> {
    let tls = tls?;
    let known = tls.known_versions();
    let best = known.last().copied()?;
    let legacy: Vec<String> = known
        .iter()
        .filter(|v| v.is_legacy())
        .map(|v| v.name())
        .collect();
    let (id, severity, detail) = if best.is_legacy() {
        let detail = format!(
            "{at} accepts only {}; the best version is older than TLS 1.2.",
            legacy.join(", ")
        );
        (FindingId::LegacyTlsOnly, Severity::Warning, detail)
    } else if !legacy.is_empty() {
        let detail = format!(
            "{at} still accepts {} next to TLS 1.2 or later.",
            legacy.join(", ")
        );
        (FindingId::LegacyProtocolsEnabled, Severity::Info, detail)
    } else {
        return None;
    };
    Some(finding(
        id,
        severity,
        detail,
        vec![remediation::balancer_protocols(vip, best.is_legacy())],
    ))
}
