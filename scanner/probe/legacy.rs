//! TEMPORARY STUB: replaced by the legacy branch.
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyVersion {
    Tls10,
    Tls11,
    Tls12,
}
pub struct ServerFlight {
    pub version: u16,
    pub cipher_suite: u16,
    pub chain: Vec<Vec<u8>>,
}
#[derive(Debug, thiserror::Error)]
#[error("legacy stub")]
pub struct LegacyError;
impl LegacyError {
    pub fn status(&self) -> crate::model::Status {
        crate::model::Status::HandshakeFailed
    }
}
pub async fn legacy_hello<S: AsyncRead + AsyncWrite + Unpin>(
    _stream: &mut S,
    _sni: Option<&str>,
    _max: LegacyVersion,
    _read_timeout: Duration,
) -> Result<ServerFlight, LegacyError> {
    Err(LegacyError)
}
pub fn version_name(v: u16) -> String {
    match v {
        0x0301 => "TLSv1.0".into(),
        0x0302 => "TLSv1.1".into(),
        0x0303 => "TLSv1.2".into(),
        0x0304 => "TLSv1.3".into(),
        v => format!("0x{v:04x}"),
    }
}
pub fn suite_name(v: u16) -> String {
    format!("0x{v:04x}")
}
