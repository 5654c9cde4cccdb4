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

use super::clixml::{self, Obj, Value};
use super::error::{FileError, Problem, RecordError};
use super::{certdata, dates, nrbf};
use crate::analyze::cert;
use crate::model::{
    AuthConfig, Classification, Connector, Der, ExchangeServerInfo, Inventory, InventorySource,
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
    let lines = crate::targets::csv_input::LineIndex::new(text);
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
    crate::report::sanitize::visible(&short)
}

fn clean(t: &str) -> String {
    t.chars()
        .filter(|c| !crate::report::sanitize::is_hidden_or_control(*c))
        .take(120)
        .collect()
}

fn is_certificate(o: &Obj) -> bool {
    o.get("RawData").is_some()
        || o.get("SerializationData").is_some()
        || (o.get("Thumbprint").is_some() && o.get("NotAfter").is_some())
}

fn connector_kind(o: &Obj) -> Option<&'static str> {
    if o.has_type("ReceiveConnector") || o.get("Bindings").is_some() {
        Some("receive")
    } else if o.has_type("SendConnector") || o.get("AddressSpaces").is_some() {
        Some("send")
    } else {
        None
    }
}

/// A thumbprint as PowerShell shows it: 40 upper-case hex digits.
fn thumbprint(v: Option<String>) -> Result<Option<String>, RecordError> {
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

fn non_empty(v: Option<String>) -> Option<String> {
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

fn connector(o: &Obj, kind: &str, source: InventorySource) -> Result<Connector, RecordError> {
    let name = non_empty(o.text("Name"))
        .or_else(|| non_empty(o.text("Identity")))
        .ok_or(RecordError::ConnectorWithoutName)?;
    let list = |n: &str| o.get(n).and_then(Value::items).unwrap_or_default();
    let servers = match kind {
        "receive" => non_empty(o.text("Server")).into_iter().collect(),
        _ => list("SourceTransportServers"),
    };
    let tls_domain_capabilities = list("TlsDomainCapabilities");
    // As HealthChecker decides: real receive connectors do not carry
    // CloudServicesMailEnabled; the Hybrid Configuration Wizard gives them
    // a TlsDomainCapabilities entry `<domain>:AcceptCloudServicesMail`.
    let hybrid = match kind {
        "receive" => tls_domain_capabilities
            .iter()
            .any(|c| c.to_ascii_lowercase().contains("acceptcloudservicesmail")),
        _ => matches!(o.get("CloudServicesMailEnabled"), Some(Value::Bool(true))),
    };
    Ok(Connector {
        kind: kind.to_string(),
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

/// What `SerializationData` held, when the export has it.
#[derive(Default)]
pub(super) struct Serialized {
    pub(super) friendly_name: Option<String>,
    pub(super) der: Option<Vec<u8>>,
    pub(super) identity: Option<String>,
    pub(super) services: Option<String>,
    pub(super) status: Option<String>,
}

pub(super) fn serialized(bytes: &[u8]) -> Result<Serialized, RecordError> {
    let stream = nrbf::parse(bytes).map_err(RecordError::Serialization)?;
    let text = |name: &str| match stream.member(name) {
        Some(nrbf::Value::Str(s)) => Some(s.clone()),
        _ => None,
    };
    // Enums are written as their number (`value__`).
    let number = |name: &str| match stream.member(name) {
        Some(nrbf::Value::Int(n)) => Some(*n),
        _ => None,
    };
    let mut out = Serialized {
        identity: text("Identity"),
        services: text("Services").or_else(|| number("Services").and_then(services_text)),
        status: text("Status").or_else(|| number("Status").and_then(status_text)),
        friendly_name: text("FriendlyName"),
        der: None,
    };
    match stream.member("CertData") {
        Some(nrbf::Value::Bytes(b)) => {
            let data = certdata::parse(b)?;
            out.der = data.der;
            if data.friendly_name.is_some() {
                out.friendly_name = data.friendly_name;
            }
        }
        Some(_) => return Err(RecordError::CertDataNotBytes),
        None => return Err(RecordError::NoCertData),
    }
    Ok(out)
}

/// The `AllowedServices` flags as PowerShell prints them (`IMAP, POP, IIS,
/// SMTP`); `None` for 0. A bit excert does not know makes it unknown.
fn services_text(n: i64) -> Option<String> {
    const FLAGS: [(i64, &str); 7] = [
        (1, "IMAP"),
        (2, "POP"),
        (4, "UM"),
        (8, "IIS"),
        (16, "SMTP"),
        (32, "Federation"),
        (64, "UMCallRouter"),
    ];
    if n == 0 {
        return Some("None".into());
    }
    let known = FLAGS.iter().fold(0, |m, (bit, _)| m | bit);
    if n < 0 || n & !known != 0 {
        return None;
    }
    let names: Vec<&str> = FLAGS
        .iter()
        .filter(|(bit, _)| n & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    Some(names.join(", "))
}

/// The `CertificateStatus` enum by number; unknown for any other number.
fn status_text(n: i64) -> Option<String> {
    const NAMES: [&str; 8] = [
        "Unknown",
        "Valid",
        "Revoked",
        "DateInvalid",
        "Untrusted",
        "Invalid",
        "RevocationCheckFailure",
        "PendingRequest",
    ];
    let i = usize::try_from(n).ok()?;
    NAMES.get(i).map(|s| (*s).to_string())
}

/// `IMAP, POP, IIS, SMTP` as a list; `None` (the enum's zero) is empty.
pub(super) fn services(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("None"))
        .map(str::to_string)
        .collect()
}

/// A certificate, and a note when `SerializationData` could not be used
/// and the plain properties stood in.
fn certificate(
    o: &Obj,
    source: InventorySource,
) -> Result<(StoreCertificate, Option<String>), RecordError> {
    let (ser, unusable) = match o.get("SerializationData") {
        Some(Value::Bytes(b)) => match serialized(b) {
            Ok(s) => (s, None),
            Err(e) => (Serialized::default(), Some(e)),
        },
        Some(Value::Nil) | None => (Serialized::default(), None),
        Some(_) => (
            Serialized::default(),
            Some(RecordError::SerializationNotBytes),
        ),
    };
    let c = match from_parts(o, ser, source) {
        Ok(c) => c,
        // The plain properties were not enough either: the first reason
        // is the one worth reading.
        Err(e) => return Err(unusable.unwrap_or(e)),
    };
    let note = unusable.map(|e| {
        let mut lost: Vec<&str> = Vec::new();
        if c.services.is_none() {
            lost.push("services");
        }
        if c.status.is_none() {
            lost.push("status");
        }
        if c.friendly_name.is_none() {
            lost.push("friendly name");
        }
        let unknown = if lost.is_empty() {
            String::new()
        } else {
            format!("; {} unknown", lost.join(", "))
        };
        format!("{e}: read from the plain properties{unknown}")
    });
    Ok((c, note))
}

fn from_parts(
    o: &Obj,
    ser: Serialized,
    source: InventorySource,
) -> Result<StoreCertificate, RecordError> {
    let der = match o.get("RawData") {
        Some(Value::Bytes(b)) if !b.is_empty() => Some(b.clone()),
        _ => ser.der.clone(),
    };
    let identity = non_empty(o.text("Identity")).or(ser.identity);
    // `Identity` is `<server FQDN>\<thumbprint>`: the server whose store it
    // is. PSComputerName is only the server the remote session ran on,
    // which is wrong for `Get-ExchangeCertificate -Server` of another one.
    let server = identity
        .as_deref()
        .and_then(|i| i.split_once('\\'))
        .map(|(s, _)| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| non_empty(o.text("PSComputerName")))
        .ok_or(RecordError::NoServer)?;
    let friendly_name = o
        .get("FriendlyName")
        .and_then(Value::text)
        .or(ser.friendly_name);
    let services = non_empty(o.text("Services"))
        .or(ser.services)
        .map(|s| services(&s));
    let status = non_empty(o.text("Status")).or(ser.status);
    let names = o
        .get("CertificateDomains")
        .and_then(Value::items)
        .unwrap_or_default();
    let mut c = match der {
        Some(der) => from_der(&der, source)?,
        None => from_properties(o, source)?,
    };
    c.server = server;
    c.friendly_name = friendly_name;
    c.services = services;
    c.status = status;
    if c.names.is_empty() {
        c.names = names;
    }
    Ok(c)
}

/// A record whose facts come from the DER.
fn from_der(der: &[u8], source: InventorySource) -> Result<StoreCertificate, RecordError> {
    let f = cert::facts(der, time::OffsetDateTime::UNIX_EPOCH);
    let (true, Some(not_before), Some(not_after)) =
        (cert::is_parsed(&f), f.not_before, f.not_after)
    else {
        return Err(RecordError::Unparsable { subject: f.subject });
    };
    Ok(StoreCertificate {
        server: String::new(),
        thumbprint: f.sha1,
        friendly_name: None,
        services: None,
        not_before,
        not_after,
        subject: f.subject,
        issuer: f.issuer,
        self_signed: f.self_signed,
        classification: f.classification,
        classification_reason: None,
        source,
        status: None,
        dates_assumed_utc: false,
        days_left: 0,
        names: f.sans,
        bound: Vec::new(),
        der_base64: Some(Der(der.into())),
    })
}

/// A record without DER: the exported properties are all there is.
fn from_properties(o: &Obj, source: InventorySource) -> Result<StoreCertificate, RecordError> {
    let date = |name: &'static str| -> Result<dates::ExportDate, RecordError> {
        let t = non_empty(o.text(name)).ok_or(RecordError::NoDate { name })?;
        Ok(dates::parse(&t)?)
    };
    let (nb, na) = (date("NotBefore")?, date("NotAfter")?);
    let subject = o.text("Subject").unwrap_or_default();
    let issuer = o.text("Issuer").unwrap_or_default();
    let self_signed = match o.get("IsSelfSigned") {
        Some(Value::Bool(b)) => *b,
        _ => !subject.is_empty() && subject == issuer,
    };
    Ok(StoreCertificate {
        server: String::new(),
        thumbprint: thumbprint(o.text("Thumbprint"))?.ok_or(RecordError::NoThumbprint)?,
        friendly_name: None,
        services: None,
        not_before: nb.at,
        not_after: na.at,
        classification: if self_signed {
            Classification::SelfSigned
        } else {
            Classification::CaIssued
        },
        subject,
        issuer,
        self_signed,
        classification_reason: None,
        source,
        status: None,
        dates_assumed_utc: nb.assumed_utc || na.assumed_utc,
        days_left: 0,
        names: Vec::new(),
        bound: Vec::new(),
        der_base64: None,
    })
}

#[cfg(test)]
mod tests {
    use super::services;

    #[test]
    fn services_read_as_powershell_prints_them() {
        assert_eq!(
            services("IMAP, POP, IIS, SMTP"),
            ["IMAP", "POP", "IIS", "SMTP"]
        );
        assert!(services("None").is_empty());
    }
}
