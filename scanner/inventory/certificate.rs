//! A certificate object of `Get-ExchangeCertificate | Export-Clixml`: from
//! its DER (`RawData`, else `CertData` inside `SerializationData`) with
//! the store's facts (server, friendly name, services, status) from the
//! plain properties or `SerializationData`; without DER, from the plain
//! properties alone. A `SerializationData` that cannot be used leaves a
//! note, and the plain properties stand in.

use super::clixml::{Obj, Value};
use super::error::RecordError;
use super::records::{non_empty, thumbprint};
use super::{certdata, dates, nrbf};
use crate::analyze::cert;
use crate::model::{Classification, Der, ExchangeService, InventorySource, StoreCertificate};

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
pub(super) fn services(text: &str) -> Vec<ExchangeService> {
    ExchangeService::list(text)
}

/// A certificate, and a note when `SerializationData` could not be used
/// and the plain properties stood in.
pub(super) fn certificate(
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
        classification: by_shape(self_signed),
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

/// A record without the DER (or a name to go by) is classified by its
/// shape alone, the same way for every export format; the store stage
/// refines it from the friendly name.
pub(super) fn by_shape(self_signed: bool) -> Classification {
    if self_signed {
        Classification::SelfSigned
    } else {
        Classification::CaIssued
    }
}

#[cfg(test)]
mod tests {
    use super::services;

    #[test]
    fn services_read_as_powershell_prints_them() {
        use crate::model::ExchangeService::*;
        assert_eq!(services("IMAP, POP, IIS, SMTP"), [Imap, Pop, Iis, Smtp]);
        assert!(services("None").is_empty());
    }
}
