//! Bytes of a targets file become text.
//!
//! Windows PowerShell 5.1 writes `>` redirections as UTF-16 LE with a byte
//! order mark, PowerShell 7 and most editors write UTF-8 (sometimes with a
//! BOM), and a few tools write UTF-16 BE. All of them must load as-is.
//!
//! We use `encoding_rs` because it sniffs
//! the three BOMs and decodes UTF-16 strictly, refusing unpaired surrogates
//! instead of guessing; doing that by hand means re-implementing byte pairing
//! and surrogate checks that this well-audited crate (Firefox's decoder)
//! already gets right.

use std::borrow::Cow;

/// Why a file's bytes are not text we can read. The message is one line a
/// person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A byte order mark followed by bytes that are not that encoding.
    #[error("the file starts with a {encoding} byte order mark but is not valid {encoding}")]
    BadAfterBom {
        /// The encoding the BOM names (`UTF-8`, `UTF-16LE`, `UTF-16BE`).
        encoding: &'static str,
    },
    /// A zip file: an Excel workbook, most likely.
    #[error("this looks like an Excel workbook or other zip file; save it as CSV")]
    Zip,
    /// As many zero bytes as UTF-16 without a BOM has.
    #[error(
        "this holds zero bytes, like UTF-16 without a byte order mark; save it as \
         UTF-8 or UTF-16 with a BOM (PowerShell: Out-File -Encoding utf8)"
    )]
    Utf16WithoutBom,
    /// A stray NUL in otherwise UTF-8 text.
    #[error("line {line} holds a NUL (zero) byte; remove it or save the file again as UTF-8")]
    Nul {
        /// 1-based line of the first NUL.
        line: usize,
    },
    /// Bytes that are not UTF-8 (Windows-1252, say).
    #[error(
        "line {line} is not valid UTF-8; save the file as UTF-8 or UTF-16 with a BOM \
         (PowerShell: Out-File -Encoding utf8)"
    )]
    NotUtf8 {
        /// 1-based line of the first bad byte.
        line: usize,
    },
}

/// Decode a whole file: UTF-8 with or without BOM, UTF-16 LE or BE with BOM.
/// The BOM is removed. Anything else is refused with a hint, rather than
/// decoded into replacement characters that would become odd host names.
pub(crate) fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, DecodeError> {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = bytes.get(bom_len..).unwrap_or_default();
        return encoding
            .decode_without_bom_handling_and_without_replacement(body)
            .ok_or(DecodeError::BadAfterBom {
                encoding: encoding.name(),
            });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(DecodeError::Zip);
    }
    // UTF-16 without a BOM has a zero byte next to every ASCII letter, and
    // those zeros are valid UTF-8, so this must be checked first. A stray
    // NUL or two in a UTF-8 file is not UTF-16: name its line instead.
    if let Some(first_nul) = bytes.iter().position(|b| *b == 0) {
        let zeros = bytes.iter().filter(|b| **b == 0).count();
        if zeros * 4 >= bytes.len() {
            return Err(DecodeError::Utf16WithoutBom);
        }
        return Err(DecodeError::Nul {
            line: line_of(bytes, first_nul),
        });
    }
    std::str::from_utf8(bytes)
        .map(Cow::Borrowed)
        .map_err(|e| DecodeError::NotUtf8 {
            line: line_of(bytes, e.valid_up_to()),
        })
}

/// The 1-based line of a byte offset.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    1 + bytes
        .get(..offset)
        .unwrap_or_default()
        .iter()
        .filter(|b| **b == b'\n')
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        out.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        out
    }

    fn utf16be(text: &str) -> Vec<u8> {
        let mut out = vec![0xFE, 0xFF];
        out.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
        out
    }

    #[test]
    fn every_encoding_powershell_writes_decodes_to_the_same_text() {
        let text = "ex01.contoso.local\r\nEX02\r\n";
        assert_eq!(decode(text.as_bytes()).unwrap(), text);
        let mut bom8 = b"\xEF\xBB\xBF".to_vec();
        bom8.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom8).unwrap(), text);
        assert_eq!(decode(&utf16le(text)).unwrap(), text);
        assert_eq!(decode(&utf16be(text)).unwrap(), text);
    }

    #[test]
    fn unreadable_bytes_are_refused_with_a_hint() {
        let no_bom: Vec<u8> = "ex01\n"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert!(decode(&no_bom)
            .unwrap_err()
            .to_string()
            .contains("UTF-16 without a byte order mark"));
        assert!(decode(b"PK\x03\x04\xff\xfe")
            .unwrap_err()
            .to_string()
            .contains("Excel"));
        assert!(decode(b"ex01\nex\xe902\n")
            .unwrap_err()
            .to_string()
            .starts_with("line 2 "));
        // An unpaired surrogate after a UTF-16 BOM.
        assert!(decode(&[0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00]).is_err());
    }

    #[test]
    fn a_stray_nul_in_utf8_is_named_by_line_not_called_utf16() {
        let err = decode(b"ex01.contoso.local\nex02\0.contoso.local\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2 holds a NUL"), "{err}");
        assert!(!err.contains("UTF-16"), "{err}");
    }
}
