//! CLIXML objects become inventory records, each kind recognised by the
//! properties only it has (type names differ between local, remote and
//! deserialised exports; the property names do not).
//!
//! One object that cannot be read does not lose the file: it becomes a
//! warning naming the file, line and object, and the others are read. A
//! certificate whose `SerializationData` cannot be used is read from its
//! plain properties (RawData, Thumbprint, dates, ...) with a warning. Only a
//! file where no object is readable, or that is not well-formed (cut, not
//! CLIXML), is refused.

use super::certificate::certificate;
use super::clixml::{self, Obj, Value};
use super::dates;
use super::error::{FileError, Problem, RecordError};
use crate::model::{
    AuthConfig, Connector, ConnectorKind, ExchangeServerInfo, Inventory, InventorySource,
    InventoryWarning, StoreCertificate,
};

/// Most warnings kept per file; the rest are counted in one more.
pub const MAX_WARNINGS: usize = 100;

/// What one object became.
enum Record {
    Auth(AuthConfig),
    Certificate(StoreCertificate),
    Server(ExchangeServerInfo),
    Connector(Connector),
}

/// Read a CLIXML export: every readable object becomes a record, every
/// unreadable one a warning.
pub fn from_clixml(file: &str, text: &str) -> Result<Inventory, FileError> {
    let lines = crate::input::csv_text::LineIndex::new(text);
    let mut inv = Inventory::default();
    let mut index = 0usize;
    let mut read = 0usize;
    let mut skipped = 0usize;
    let mut first_error: Option<FileError> = None;
    let mut fatal: Option<FileError> = None;
    let walked = clixml::each(text, |obj| {
        index += 1;
        let line = lines.line_at(obj.offset);
        let source = InventorySource {
            file: file.to_string(),
            object: index,
        };
        let at = |error: RecordError| {
            let problem = Problem::Object { index, error };
            FileError::at(text, line, problem)
        };
        let mut warn = |message: String| {
            if inv.warnings.len() < MAX_WARNINGS {
                inv.warnings.push(InventoryWarning {
                    file: file.to_string(),
                    line,
                    object: index,
                    message: shown(&message),
                });
            } else {
                skipped += 1;
            }
        };
        match record(&obj, source) {
            Ok((Record::Auth(a), _)) => {
                if inv.auth_config.as_ref().is_some_and(|b| *b != a) {
                    fatal = Some(at(RecordError::SecondAuthConfig));
                    return Err(clixml::Stop::Caller);
                }
                inv.auth_config = Some(a);
                read += 1;
            }
            Ok((r, note)) => {
                if let Some(note) = note {
                    warn(note);
                }
                match r {
                    Record::Certificate(c) => inv.certificates.push(c),
                    Record::Server(s) => inv.exchange_servers.push(s),
                    Record::Connector(c) => inv.connectors.push(c),
                    Record::Auth(_) => {}
                }
                read += 1;
            }
            Err(error) => {
                warn(format!("skipped: {error}"));
                if first_error.is_none() {
                    first_error = Some(at(error));
                }
            }
        }
        Ok(())
    });
    match walked {
        Ok(_) => {}
        Err(clixml::Stop::Parse(e)) => {
            return Err(FileError::at(
                text,
                lines.line_at(e.offset),
                Problem::Clixml(e.error),
            ))
        }
        Err(clixml::Stop::Caller) => {
            return Err(fatal.unwrap_or_else(|| FileError::whole(Problem::NoObjects)))
        }
    }
    if index == 0 {
        return Err(FileError::whole(Problem::NoObjects));
    }
    if read == 0 {
        // Nothing usable at all: the file is refused, with the first reason.
        return Err(first_error.unwrap_or_else(|| FileError::whole(Problem::NoObjects)));
    }
    if skipped > 0 {
        inv.warnings.push(InventoryWarning {
            file: file.to_string(),
            line: 0,
            object: 0,
            message: format!("{skipped} more objects with problems not listed"),
        });
    }
    Ok(inv)
}

/// One object as a record, with a note when it was read only in part.
fn record(obj: &Obj, source: InventorySource) -> Result<(Record, Option<String>), RecordError> {
    if obj.get("CurrentCertificateThumbprint").is_some() {
        return Ok((Record::Auth(auth_config(obj, source)?), None));
    }
    if obj.get("AdminDisplayVersion").is_some() {
        return Ok((Record::Server(server(obj, source)?), None));
    }
    if let Some(kind) = connector_kind(obj) {
        return Ok((Record::Connector(connector(obj, kind, source)?), None));
    }
    if is_certificate(obj) {
        let (c, note) = certificate(obj, source)?;
        return Ok((Record::Certificate(c), note));
    }
    let t = obj.types.first().map_or("(no type name)", String::as_str);
    Err(RecordError::UnknownObject {
        type_name: clean(t),
    })
}

/// A message with text from the file in it, safe on a terminal and kept
/// short.
fn shown(message: &str) -> String {
    let short: String = message.chars().take(400).collect();
    crate::text::visible(&short)
}

fn clean(t: &str) -> String {
    t.chars()
        .filter(|c| !crate::text::is_hidden_or_control(*c))
        .take(120)
        .collect()
}

fn is_certificate(o: &Obj) -> bool {
    o.get("RawData").is_some()
        || o.get("SerializationData").is_some()
        || (o.get("Thumbprint").is_some() && o.get("NotAfter").is_some())
}

fn connector_kind(o: &Obj) -> Option<ConnectorKind> {
    if o.has_type("ReceiveConnector") || o.get("Bindings").is_some() {
        Some(ConnectorKind::Receive)
    } else if o.has_type("SendConnector") || o.get("AddressSpaces").is_some() {
        Some(ConnectorKind::Send)
    } else {
        None
    }
}

/// A thumbprint as PowerShell shows it: 40 upper-case hex digits.
pub(super) fn thumbprint(v: Option<String>) -> Result<Option<String>, RecordError> {
    let Some(t) = v.map(|t| t.trim().to_ascii_uppercase()) else {
        return Ok(None);
    };
    if t.is_empty() {
        return Ok(None);
    }
    if t.len() != 40 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(RecordError::Thumbprint {
            text: clean(&t).chars().take(50).collect(),
        });
    }
    Ok(Some(t))
}

fn auth_config(o: &Obj, source: InventorySource) -> Result<AuthConfig, RecordError> {
    let next_effective_date = match o.text("NextCertificateEffectiveDate") {
        Some(d) if !d.trim().is_empty() => Some(dates::parse(&d)?.at),
        _ => None,
    };
    Ok(AuthConfig {
        current_thumbprint: thumbprint(o.text("CurrentCertificateThumbprint"))?,
        next_thumbprint: thumbprint(o.text("NextCertificateThumbprint"))?,
        next_effective_date,
        previous_thumbprint: thumbprint(o.text("PreviousCertificateThumbprint"))?,
        source: Some(source),
    })
}

pub(super) fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn server(o: &Obj, source: InventorySource) -> Result<ExchangeServerInfo, RecordError> {
    let name = non_empty(o.text("Name"))
        .or_else(|| non_empty(o.text("Identity")))
        .ok_or(RecordError::ServerWithoutName)?;
    Ok(ExchangeServerInfo {
        name,
        fqdn: non_empty(o.text("Fqdn")),
        site: non_empty(o.text("Site")),
        role: non_empty(o.text("ServerRole")),
        version: non_empty(o.text("AdminDisplayVersion")),
        source,
    })
}

fn connector(
    o: &Obj,
    kind: ConnectorKind,
    source: InventorySource,
) -> Result<Connector, RecordError> {
    let name = non_empty(o.text("Name"))
        .or_else(|| non_empty(o.text("Identity")))
        .ok_or(RecordError::ConnectorWithoutName)?;
    let list = |n: &str| o.get(n).and_then(Value::items).unwrap_or_default();
    let servers = match kind {
        ConnectorKind::Receive => non_empty(o.text("Server")).into_iter().collect(),
        ConnectorKind::Send => list("SourceTransportServers"),
    };
    let tls_domain_capabilities = list("TlsDomainCapabilities");
    // As HealthChecker decides: real receive connectors do not carry
    // CloudServicesMailEnabled; the Hybrid Configuration Wizard gives them
    // a TlsDomainCapabilities entry `<domain>:AcceptCloudServicesMail`.
    let hybrid = match kind {
        ConnectorKind::Receive => tls_domain_capabilities
            .iter()
            .any(|c| c.to_ascii_lowercase().contains("acceptcloudservicesmail")),
        ConnectorKind::Send => matches!(o.get("CloudServicesMailEnabled"), Some(Value::Bool(true))),
    };
    Ok(Connector {
        kind,
        name,
        servers,
        fqdn: non_empty(o.text("Fqdn")),
        tls_certificate_name: tls_certificate_name(o),
        hybrid,
        source,
        bindings: list("Bindings"),
        tls_domain_capabilities,
        smart_hosts: list("SmartHosts"),
        tls_auth_level: non_empty(o.text("TlsAuthLevel")),
    })
}

/// `TlsCertificateName` in the `<I>issuer<S>subject` form: the object's
/// ToString, else built from its CertificateIssuer and CertificateSubject
/// properties; null for Nil or empty.
fn tls_certificate_name(o: &Obj) -> Option<String> {
    match o.get("TlsCertificateName")? {
        Value::Obj(n) if n.to_string.is_none() => {
            let issuer = non_empty(n.text("CertificateIssuer"))?;
            let subject = non_empty(n.text("CertificateSubject"))?;
            Some(format!("<I>{issuer}<S>{subject}"))
        }
        v => non_empty(v.text()),
    }
}
