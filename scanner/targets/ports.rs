//! `--tls-port LABEL:PORT`: an extra implicit-TLS port, probed on every
//! server as role `other` and named by its label in every report.
//!
//! The label reaches scan.json, report.csv, the HTML report, the terminal
//! and the `excert scan` line a verification step repeats, so it is held
//! to a short word of lowercase letters, digits, `-` and `_`: nothing that
//! needs quoting or escaping anywhere, and nothing to confuse with a flag.

use super::error::TlsPortError;
use crate::model::TlsPort;

/// Longest label accepted: long enough for `wmsvc`, `um-callrouter` or
/// `adfs-proxy`, short enough to sit in a table column.
pub const MAX_LABEL_CHARS: usize = 20;

/// One `--tls-port` value, checked.
pub(crate) fn parse_tls_port(text: &str) -> Result<TlsPort, TlsPortError> {
    let (label, port) = text.trim().rsplit_once(':').ok_or(TlsPortError::NoColon)?;
    check_label(label)?;
    let port = match port.trim().parse::<u16>() {
        Ok(0) => return Err(TlsPortError::PortZero),
        Ok(p) => p,
        Err(_) => {
            return Err(TlsPortError::BadPort {
                text: crate::text::excerpt(port),
            })
        }
    };
    Ok(TlsPort {
        label: label.to_string(),
        port,
    })
}

fn check_label(label: &str) -> Result<(), TlsPortError> {
    let bad = || TlsPortError::BadLabel {
        label: crate::text::excerpt(label),
        limit: MAX_LABEL_CHARS,
    };
    if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
        return Err(bad());
    }
    // A leading '-' would read as a flag in the verification command.
    if label.starts_with('-')
        || !label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_short_plain_words() {
        let ok = parse_tls_port("wmsvc:8172").unwrap();
        assert_eq!((ok.label.as_str(), ok.port), ("wmsvc", 8172));
        assert_eq!(parse_tls_port("um_2:5061").unwrap().port, 5061);
        for bad in [
            "wmsvc",
            ":8172",
            "WMSvc:8172",
            "wm svc:8172",
            "-x:8172",
            "a-very-long-label-for-a-port:1",
            "wmsvc:0",
            "wmsvc:80000",
            "wmsvc:",
            "<script>:1",
        ] {
            assert!(parse_tls_port(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_tls_port("Wmsvc:8172").unwrap_err().to_string(),
            "label \"Wmsvc\" must be 1 to 20 lowercase letters, digits, '-' or '_' (e.g. \
             wmsvc:8172)"
        );
    }
}
