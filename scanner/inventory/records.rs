//! CLIXML objects become inventory records, each kind recognised by the
//! properties only it has (type names differ between local, remote and
//! deserialised exports; the property names do not).

use super::clixml::{self, Obj, Value};
use super::error::{FileError, Problem, RecordError};
use super::{certdata, dates, nrbf};
use crate::analyze::cert;
use crate::model::{
    AuthConfig, Classification, Connector, Der, ExchangeServerInfo, Inventory, InventorySource,
    StoreCertificate,
};

/// Read a CLIXML export: every object must be one of the known kinds.
pub fn from_clixml(file: &str, text: &str) -> Result<Inventory, FileError> {
    let lines = crate::targets::csv_input::LineIndex::new(text);
    let objects = clixml::parse(text)
        .map_err(|e| FileError::at(text, lines.line_at(e.offset), Problem::Clixml(e.error)))?;
    if objects.is_empty() {
        return Err(FileError::whole(Problem::NoObjects));
    }
    let mut inv = Inventory::default();
    for (i, obj) in objects.iter().enumerate() {
        let source = InventorySource {
            file: file.to_string(),
            object: i + 1,
        };
        let at = |error: RecordError| {
            let problem = Problem::Object {
                index: i + 1,
                error,
            };
            FileError::at(text, lines.line_at(obj.offset), problem)
        };
        if obj.get("CurrentCertificateThumbprint").is_some() {
            let a = auth_config(obj, source).map_err(at)?;
            if inv.auth_config.as_ref().is_some_and(|b| *b != a) {
                return Err(at(RecordError::SecondAuthConfig));
            }
            inv.auth_config = Some(a);
        } else if is_certificate(obj) {
            inv.certificates.push(certificate(obj, source).map_err(at)?);
        } else if obj.get("AdminDisplayVersion").is_some() {
            inv.exchange_servers.push(server(obj, source).map_err(at)?);
        } else if let Some(kind) = connector_kind(obj) {
            inv.connectors
                .push(connector(obj, kind, source).map_err(at)?);
        } else {
            let t = obj.types.first().map_or("(no type name)", String::as_str);
            return Err(at(RecordError::UnknownObject {
                type_name: clean(t),
            }));
        }
    }
    Ok(inv)
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
    let servers = match kind {
        "receive" => non_empty(o.text("Server")).into_iter().collect(),
        _ => o
            .get("SourceTransportServers")
            .and_then(Value::items)
            .unwrap_or_default(),
    };
    let hybrid = matches!(o.get("CloudServicesMailEnabled"), Some(Value::Bool(true)))
        || name.starts_with("Outbound to Office 365");
    Ok(Connector {
        kind: kind.to_string(),
        name,
        servers,
        fqdn: non_empty(o.text("Fqdn")),
        tls_certificate_name: non_empty(o.text("TlsCertificateName")),
        hybrid,
        source,
    })
}

/// What `SerializationData` held, when the export has it.
#[derive(Default)]
struct Serialized {
    friendly_name: Option<String>,
    der: Option<Vec<u8>>,
    identity: Option<String>,
    services: Option<String>,
    status: Option<String>,
}

fn serialized(bytes: &[u8]) -> Result<Serialized, RecordError> {
    let stream = nrbf::parse(bytes).map_err(RecordError::Serialization)?;
    let text = |name: &str| match stream.member(name) {
        Some(nrbf::Value::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let mut out = Serialized {
        identity: text("Identity"),
        services: text("Services"),
        status: text("Status"),
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

/// `IMAP, POP, IIS, SMTP` as a list; `None` (the enum's zero) is empty.
pub(super) fn services(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("None"))
        .map(str::to_string)
        .collect()
}

fn certificate(o: &Obj, source: InventorySource) -> Result<StoreCertificate, RecordError> {
    let ser = match o.get("SerializationData") {
        Some(Value::Bytes(b)) => serialized(b)?,
        Some(Value::Nil) | None => Serialized::default(),
        Some(_) => return Err(RecordError::SerializationNotBytes),
    };
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
