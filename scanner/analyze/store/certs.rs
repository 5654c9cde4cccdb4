//! Every certificate in use in a server's store, judged as HealthChecker
//! judges `Get-ExchangeCertificate`: expired, expiring (the same
//! `--warn-days`/`--critical-days` as the wire, 60/30 by default), an RSA
//! key under 2048 bits, a SHA-1 or MD5 signature, a Status other than
//! Valid.
//!
//! In use: enabled for IIS, SMTP, IMAP or POP, presented on a scanned port,
//! named by one of the server's connectors, or named by AuthConfig. An
//! expired certificate nothing uses is info: remove it.
//!
//! One certificate, one set of findings: a certificate a scanned port of
//! this server presents is judged by the wire rules for its dates, key and
//! signature, so the store does not repeat them; the current Auth
//! certificate's expiry is the organisation's finding.

use super::facts::{
    dn_key, is_auth, label, names_key, services_in_use, utc_note, valid_at, Crypto,
};
use super::hybrid::{names_cert, tls_name};
use super::{Ctx, StoreFinding, View};
use crate::analyze::{catalog, remediation};
use crate::model::{
    Classification, ExchangeService, Finding, FindingId, HashAlgorithm, Severity, Step,
    StoreCertificate, Verdict,
};
use std::collections::HashMap;

/// Why a certificate counts as in use, for the finding's detail; empty
/// when nothing uses it.
fn uses(ctx: &Ctx<'_>, v: &View<'_>, c: &StoreCertificate) -> Vec<String> {
    let mut why = Vec::new();
    // An Auth certificate lists SMTP by default, which means nothing once
    // it is no longer AuthConfig's: only AuthConfig makes it in use.
    let services = if is_auth(c) {
        Vec::new()
    } else {
        services_in_use(c)
    };
    if !services.is_empty() {
        why.push(format!(
            "enabled for {}",
            ExchangeService::join(&services, ", ")
        ));
    }
    if !c.bound.is_empty() {
        why.push(format!("presented on port {}", c.bound.join(", ")));
    }
    let connectors: Vec<&str> = v
        .connectors
        .iter()
        .filter(|conn| tls_name(conn).is_some_and(|n| names_cert(c, n)))
        .map(|conn| conn.name.as_str())
        .collect();
    if !connectors.is_empty() {
        why.push(format!(
            "named by connector \"{}\"",
            connectors.join("\", \"")
        ));
    }
    let auth = ctx.inv.auth_config.as_ref();
    if ctx.auth.is(&c.thumbprint)
        || auth
            .and_then(|a| a.next_thumbprint.as_deref())
            .is_some_and(|t| t.eq_ignore_ascii_case(&c.thumbprint))
    {
        why.push("named by AuthConfig".to_string());
    }
    why
}

/// The verdict a problem with this certificate calls for: the server's
/// own certificate is renewed like the backend's, a public one enabled for
/// IIS is the public certificate, one serving mail only is transport.
fn verdict(c: &StoreCertificate, services: &[ExchangeService]) -> Verdict {
    if c.classification == Classification::ExchangeSelfSigned {
        Verdict::RenewBackend
    } else if services.contains(&ExchangeService::Iis) {
        Verdict::RenewPublicCert
    } else if !services.is_empty() {
        Verdict::FixTransportCert
    } else {
        Verdict::Review
    }
}

/// Exchange's own self-signed certificates, made by setup: SHA-1 on them
/// is expected and harmless.
fn exchange_own(c: &StoreCertificate) -> bool {
    c.self_signed
        && matches!(
            c.classification,
            Classification::ExchangeSelfSigned
                | Classification::ExchangeAuth
                | Classification::Wmsvc
        )
}

/// The findings for every certificate in this server's store.
pub(super) fn findings(ctx: &Ctx<'_>, v: &View<'_>) -> Vec<StoreFinding> {
    let renewals = Renewals::new(ctx, v);
    let mut out = Vec::new();
    for &i in &v.store {
        let (Some(c), Some(crypto)) = (ctx.certs.get(i), ctx.crypto.get(i)) else {
            continue;
        };
        let why = uses(ctx, v, c);
        if why.is_empty() {
            out.extend(unused_expired(v, c));
        } else {
            out.extend(in_use(ctx, v, c, *crypto, &why.join("; "), &renewals));
        }
    }
    out
}

/// The newest valid CA-issued certificate of each kind in one store: by
/// friendly name, by names, and by subject and issuer, so looking up a
/// renewal stays linear however many certificates a store holds.
struct Renewals<'c> {
    by_friendly: HashMap<String, &'c StoreCertificate>,
    by_names: HashMap<Vec<String>, &'c StoreCertificate>,
    by_dn: HashMap<(Vec<String>, Vec<String>), &'c StoreCertificate>,
}

impl<'c> Renewals<'c> {
    fn new(ctx: &'c Ctx<'_>, v: &'c View<'_>) -> Self {
        let mut r = Renewals {
            by_friendly: HashMap::new(),
            by_names: HashMap::new(),
            by_dn: HashMap::new(),
        };
        let newest = |slot: &mut &'c StoreCertificate, n: &'c StoreCertificate| {
            if n.not_after > slot.not_after {
                *slot = n;
            }
        };
        for n in v.certs(ctx.certs).filter(|n| {
            n.classification == Classification::CaIssued && valid_at(n, ctx.settings.as_of)
        }) {
            if let Some(f) = n.friendly_name.as_deref().filter(|f| !f.is_empty()) {
                newest(r.by_friendly.entry(f.to_string()).or_insert(n), n);
            }
            if n.names.is_empty() {
                let key = (dn_key(&n.subject), dn_key(&n.issuer));
                newest(r.by_dn.entry(key).or_insert(n), n);
            } else {
                newest(r.by_names.entry(names_key(&n.names)).or_insert(n), n);
            }
        }
        r
    }

    /// A CA-issued certificate that renews `c`: valid now, expiring later,
    /// and of the same kind (friendly name, names, or subject and issuer
    /// when the export has no names). The server's own self-signed
    /// certificate is left out: enabling IIS on a new one would move 443.
    fn of(&self, c: &StoreCertificate) -> Option<&'c StoreCertificate> {
        if c.classification != Classification::CaIssued {
            return None;
        }
        let by_name = c
            .friendly_name
            .as_deref()
            .filter(|f| !f.is_empty())
            .and_then(|f| self.by_friendly.get(f));
        let by_names = if c.names.is_empty() {
            self.by_dn.get(&(dn_key(&c.subject), dn_key(&c.issuer)))
        } else {
            self.by_names.get(&names_key(&c.names))
        };
        [by_name, by_names]
            .into_iter()
            .flatten()
            .copied()
            .filter(|n| n.thumbprint != c.thumbprint && n.not_after > c.not_after)
            .max_by_key(|n| n.not_after)
    }
}

/// The CN of a subject as Exchange exports it (`CN=EX01, O=...`).
fn subject_cn(subject: &str) -> Option<&str> {
    subject.split(',').find_map(|rdn| {
        let (k, v) = rdn.split_once('=')?;
        k.trim().eq_ignore_ascii_case("CN").then_some(v.trim())
    })
}

/// `f`, about store certificate `c`.
pub(super) fn about(c: &StoreCertificate, mut f: Finding) -> Finding {
    f.thumbprint = Some(c.thumbprint.clone());
    f
}

/// An expired certificate nothing uses: info, remove it.
fn unused_expired(v: &View<'_>, c: &StoreCertificate) -> Option<StoreFinding> {
    (c.days_left < 0).then(|| StoreFinding {
        finding: about(
            c,
            catalog::finding(
                FindingId::StoreCertExpired,
                Severity::Info,
                format!(
                    "{}'s store holds {}, expired on {}{}, which no service, scanned port, \
                 connector or AuthConfig uses: remove it.",
                    v.host,
                    label(c),
                    c.not_after.date(),
                    utc_note(c)
                ),
                vec![remediation::remove_old(&v.host, &c.thumbprint)],
            ),
        ),
        verdict: Verdict::Review,
        endpoint: None,
        port: None,
    })
}

/// The findings for one certificate in use (`why` says how).
fn in_use(
    ctx: &Ctx<'_>,
    v: &View<'_>,
    c: &StoreCertificate,
    crypto: Crypto,
    why: &str,
    renewals: &Renewals<'_>,
) -> Vec<StoreFinding> {
    let settings = ctx.settings;
    let services = if is_auth(c) {
        Vec::new()
    } else {
        services_in_use(c)
    };
    // A public certificate whose renewal already waits in the store is
    // fixed by enabling that one, not by renewing again.
    let waiting = renewals.of(c).filter(|_| !services.is_empty());
    let verdict = match waiting {
        Some(_) if services.contains(&ExchangeService::Iis) => Verdict::RebindPublicCert,
        _ => verdict(c, &services),
    };
    let own = (c.classification == Classification::ExchangeSelfSigned)
        .then(|| (subject_cn(&c.subject), crypto.rsa_bits.unwrap_or(2048)));
    let replace = || remediation::replace_store_cert(&v.host, &c.thumbprint, &services, own);
    let found =
        |id: FindingId, severity: Severity, detail: String, steps: Vec<Step>| StoreFinding {
            finding: about(c, catalog::finding(id, severity, detail, steps)),
            verdict,
            endpoint: None,
            port: None,
        };
    let renew = || match waiting {
        Some(new) => {
            remediation::enable_waiting_renewal(&v.host, &c.thumbprint, &new.thumbprint, &services)
        }
        None => replace(),
    };
    let waits = waiting.map_or(String::new(), |new| {
        format!(
            " A renewal, {}, valid until {}, already waits in the store: enable it instead of \
             renewing again.",
            label(new),
            new.not_after.date()
        )
    });
    let mut out = Vec::new();
    let what = format!("{}'s store holds {} ({why})", v.host, label(c));
    // The wire judged what it saw; the organisation judges the Auth
    // certificate's dates.
    let wire_judged = !c.bound.is_empty();
    let dates_judged = wire_judged || ctx.auth.is(&c.thumbprint);
    if !dates_judged {
        if c.days_left < 0 {
            out.push(found(
                FindingId::StoreCertExpired,
                Severity::Critical,
                format!(
                    "{what}; it expired on {}{} ({} days ago).{waits}",
                    c.not_after.date(),
                    utc_note(c),
                    -c.days_left
                ),
                renew(),
            ));
        } else if c.days_left < settings.warn_days {
            let severity = if c.days_left < settings.critical_days {
                Severity::Critical
            } else {
                Severity::Warning
            };
            out.push(found(
                FindingId::StoreCertExpiring,
                severity,
                format!(
                    "{what}; it expires on {}{} ({} days).{waits}",
                    c.not_after.date(),
                    utc_note(c),
                    c.days_left
                ),
                renew(),
            ));
        }
    }
    if !wire_judged {
        if let Some(bits) = crypto.rsa_bits.filter(|&b| b < 2048) {
            out.push(found(
                FindingId::StoreCertWeakKey,
                Severity::Warning,
                format!("{what}; its RSA key has {bits} bits (under 2048)."),
                replace(),
            ));
        }
        let weak = crypto.signature_hash.filter(|h| h.is_broken());
        if let Some(hash) = weak.filter(|_| !exchange_own(c)) {
            let severity = if c.self_signed {
                Severity::Info
            } else {
                Severity::Warning
            };
            out.push(found(
                FindingId::StoreCertWeakSignature,
                severity,
                format!(
                    "{what}; it is signed with {}.",
                    match hash {
                        HashAlgorithm::Md2 => "MD2",
                        HashAlgorithm::Md5 => "MD5",
                        _ => "SHA-1",
                    }
                ),
                replace(),
            ));
        }
    }
    if let Some(status) = c.status.as_deref().map(str::trim) {
        let explained = status.eq_ignore_ascii_case("DateInvalid")
            && (c.days_left < 0 || c.not_before > settings.as_of);
        if !status.eq_ignore_ascii_case("Valid") && !status.is_empty() && !explained {
            out.push(StoreFinding {
                verdict: Verdict::Review,
                ..found(
                    FindingId::StoreCertInvalidStatus,
                    Severity::Warning,
                    format!("{what}; Get-ExchangeCertificate reports its Status as {status}."),
                    vec![remediation::check_store_status(
                        &v.host,
                        &c.thumbprint,
                        status,
                    )],
                )
            });
        }
    }
    out
}
