//! A Windows serialised certificate: what `X509Certificate.GetObjectData`
//! stores as `CertData` (the "serialised store element" of CryptoAPI).
//!
//! It is a sequence of records `(property id: u32 LE, 1: u32 LE, length:
//! u32 LE, value)`. Property 11 (`CERT_FRIENDLY_NAME_PROP_ID`) is the friendly
//! name in UTF-16LE with a terminating NUL, property 32 (`CERT_CERT_PROP_ID`)
//! the DER. Other properties (key provider info, hashes) are skipped.

/// Friendly name property.
const FRIENDLY_NAME: u32 = 11;
/// The certificate itself.
const CERT: u32 = 32;
/// More records than any real certificate carries (about a dozen).
const MAX_RECORDS: usize = 1024;

/// Why a `CertData` blob is not a serialised certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertDataError {
    /// More than `MAX_RECORDS` records.
    #[error("CertData holds more than {limit} records")]
    TooManyRecords {
        /// The limit.
        limit: usize,
    },
    /// Fewer than 12 bytes where a record header belongs.
    #[error("CertData ends inside a record header (truncated?)")]
    TruncatedHeader,
    /// The reserved field is not 1.
    #[error(
        "CertData record {record} (property {property}) has {value} where 1 belongs: \
         not a serialised certificate"
    )]
    Reserved {
        /// 1-based record number.
        record: usize,
        /// The record's property id.
        property: u32,
        /// What the reserved field holds.
        value: u32,
    },
    /// A record longer than the bytes left.
    #[error("CertData record {record} (property {property}) runs past the end (truncated?)")]
    PastEnd {
        /// 1-based record number.
        record: usize,
        /// The record's property id.
        property: u32,
    },
    /// An odd number of bytes cannot be UTF-16.
    #[error("the friendly name has an odd number of bytes: not UTF-16")]
    OddFriendlyName,
    /// An unpaired surrogate.
    #[error("the friendly name is not valid UTF-16")]
    BadFriendlyName,
}

/// What a `CertData` blob holds that excert uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertData {
    pub friendly_name: Option<String>,
    pub der: Option<Vec<u8>>,
}

/// Read the records. Any record that runs past the end, or a reserved
/// field that is not 1, means this is not a serialised certificate.
pub fn parse(bytes: &[u8]) -> Result<CertData, CertDataError> {
    let mut out = CertData::default();
    let mut rest = bytes;
    let mut count = 0;
    while !rest.is_empty() {
        count += 1;
        if count > MAX_RECORDS {
            return Err(CertDataError::TooManyRecords { limit: MAX_RECORDS });
        }
        let (Some(id), Some(one), Some(len)) = (u32_at(rest, 0), u32_at(rest, 4), u32_at(rest, 8))
        else {
            return Err(CertDataError::TruncatedHeader);
        };
        if one != 1 {
            return Err(CertDataError::Reserved {
                record: count,
                property: id,
                value: one,
            });
        }
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let value = rest
            .get(12..)
            .and_then(|r| r.get(..len))
            .ok_or(CertDataError::PastEnd {
                record: count,
                property: id,
            })?;
        match id {
            FRIENDLY_NAME => out.friendly_name = Some(utf16le(value)?),
            CERT => out.der = Some(value.to_vec()),
            _ => {}
        }
        rest = rest.get(12 + len..).unwrap_or_default();
    }
    Ok(out)
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let four: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_le_bytes(four))
}

/// UTF-16LE up to the first NUL.
fn utf16le(value: &[u8]) -> Result<String, CertDataError> {
    if value.len() % 2 != 0 {
        return Err(CertDataError::OddFriendlyName);
    }
    let units: Vec<u16> = value
        .chunks_exact(2)
        .filter_map(|p| p.try_into().ok().map(u16::from_le_bytes))
        .take_while(|u| *u != 0)
        .collect();
    String::from_utf16(&units).map_err(|_| CertDataError::BadFriendlyName)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u32, value: &[u8]) -> Vec<u8> {
        let mut r = id.to_le_bytes().to_vec();
        r.extend(1u32.to_le_bytes());
        r.extend(u32::try_from(value.len()).unwrap().to_le_bytes());
        r.extend(value);
        r
    }

    #[test]
    fn friendly_name_and_der_are_found_among_other_properties() {
        let name: Vec<u8> = "Microsoft Exchange\0"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let mut blob = record(3, &[0xAA; 20]);
        blob.extend(record(11, &name));
        blob.extend(record(32, b"\x30\x03\x02\x01\x00"));
        let got = parse(&blob).unwrap();
        assert_eq!(got.friendly_name.as_deref(), Some("Microsoft Exchange"));
        assert_eq!(got.der.as_deref(), Some(&b"\x30\x03\x02\x01\x00"[..]));
    }

    #[test]
    fn truncated_or_foreign_blobs_are_refused() {
        let blob = record(32, &[1, 2, 3, 4]);
        assert_eq!(
            parse(&blob[..blob.len() - 1]).unwrap_err(),
            CertDataError::PastEnd {
                record: 1,
                property: 32
            }
        );
        assert_eq!(
            parse(&blob[..5]).unwrap_err(),
            CertDataError::TruncatedHeader
        );
        let mut bad = blob.clone();
        bad[4] = 2;
        assert!(parse(&bad)
            .unwrap_err()
            .to_string()
            .contains("has 2 where 1 belongs: not a serialised"));
        assert!(parse(&record(11, &[0x41])).is_err());
    }
}
