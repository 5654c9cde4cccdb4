//! Hybrid connectors: the certificate a connector's TlsCertificateName
//! (`<I>issuer<S>subject`) names must be in its server's store and valid,
//! and port 25 must present it.

use super::facts::{dn_key, label, valid_at};
use super::{Ctx, StoreFinding, View};
use crate::analyze::{catalog, remediation};
use crate::model::{Connector, FindingId, Role, Severity, StoreCertificate, Verdict};

/// `<I>issuer<S>subject` split into its two names.
pub(super) fn tls_name(conn: &Connector) -> Option<(&str, &str)> {
    conn.tls_certificate_name
        .as_deref()?
        .strip_prefix("<I>")?
        .split_once("<S>")
}

/// Whether store record `c` is the one `(issuer, subject)` names.
pub(super) fn names_cert(c: &StoreCertificate, (issuer, subject): (&str, &str)) -> bool {
    dn_key(&c.issuer) == dn_key(issuer) && dn_key(&c.subject) == dn_key(subject)
}

/// Each hybrid connector of this server.
pub(super) fn findings(ctx: &Ctx<'_>, v: &View<'_>) -> Vec<StoreFinding> {
    if v.store.is_empty() {
        return Vec::new();
    }
    v.connectors
        .iter()
        .filter(|c| c.hybrid)
        .filter_map(|conn| connector(ctx, v, conn))
        .collect()
}

fn found(detail: String, v: &View<'_>, conn: &Connector) -> StoreFinding {
    found_at(Severity::Critical, detail, v, conn)
}

fn found_at(severity: Severity, detail: String, v: &View<'_>, conn: &Connector) -> StoreFinding {
    StoreFinding {
        finding: catalog::finding(
            FindingId::HybridConnectorCertInvalid,
            severity,
            detail,
            vec![remediation::fix_hybrid_connector(&v.host, &conn.name)],
        ),
        verdict: Verdict::Review,
        endpoint: None,
        port: None,
    }
}

/// One hybrid connector: its TlsCertificateName matches no valid
/// certificate in the store, or not the one port 25 presents.
fn connector(ctx: &Ctx<'_>, v: &View<'_>, conn: &Connector) -> Option<StoreFinding> {
    // Unset, HealthChecker warns: Exchange Online then cannot tell the
    // connector's mail from anonymous mail. Not `<I>issuer<S>subject`, it
    // names nothing at all.
    let Some(tls) = conn
        .tls_certificate_name
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    else {
        return Some(found_at(
            Severity::Warning,
            format!(
                "The hybrid {} connector \"{}\" on {} has no TlsCertificateName, so it names \
                 no certificate.",
                conn.kind, conn.name, v.host
            ),
            v,
            conn,
        ));
    };
    let Some(named) = tls_name(conn) else {
        return Some(found(
            format!(
                "The hybrid {} connector \"{}\" on {} has TlsCertificateName {tls:?}, which is \
                 not <I>issuer<S>subject and names no certificate.",
                conn.kind, conn.name, v.host
            ),
            v,
            conn,
        ));
    };
    let matching: Vec<&StoreCertificate> = v
        .certs(ctx.certs)
        .filter(|c| names_cert(c, named))
        .collect();
    if matching.iter().any(|c| valid_at(c, ctx.settings.as_of)) {
        return smtp_mismatch(ctx, v, conn, tls, named);
    }
    let state = match matching.iter().max_by_key(|c| c.not_after) {
        Some(c) => format!(
            "the only match, {}, expired on {}",
            label(c),
            c.not_after.date()
        ),
        None => "no certificate in its store matches".to_string(),
    };
    Some(found(
        format!(
            "The hybrid {} connector \"{}\" names TlsCertificateName {tls:?}, but on {} {state}.",
            conn.kind, conn.name, v.host
        ),
        v,
        conn,
    ))
}

/// The receive connector presents the certificate it names on STARTTLS:
/// port 25, when scanned, must show that issuer and subject.
fn smtp_mismatch(
    ctx: &Ctx<'_>,
    v: &View<'_>,
    conn: &Connector,
    tls: &str,
    (issuer, subject): (&str, &str),
) -> Option<StoreFinding> {
    if conn.kind != crate::model::ConnectorKind::Receive {
        return None;
    }
    let (_, smtp) = v
        .endpoints(ctx.wire)
        .find(|(_, e)| e.role == Role::Smtp && e.port == 25 && e.answered)?;
    let l = smtp.leaf?;
    if dn_key(&l.issuer) == dn_key(issuer) && dn_key(&l.subject) == dn_key(subject) {
        return None;
    }
    Some(found(
        format!(
            "The hybrid receive connector \"{}\" names TlsCertificateName {tls:?}, but {}:25 \
             presents {} issued by {} ({}).",
            conn.name, v.host, l.subject, l.issuer, l.sha1
        ),
        v,
        conn,
    ))
}
