//! The legacy probe: read the certificate from servers rustls cannot talk to.
//!
//! The Exchange servers whose certificates are most likely to be expiring
//! are the oldest ones, and rustls refuses exactly those:
//!
//! - Windows Server 2008 R2 (Exchange 2010/2013) speaks only TLS 1.0 by
//!   default; rustls offers TLS 1.2 and 1.3 and gets a protocol_version
//!   alert.
//! - Windows Server 2012 and 2012 R2 speak TLS 1.2 but, for RSA
//!   certificates, often lack an ECDHE_RSA + AES-GCM suite; rustls offers
//!   nothing else and gets a handshake_failure alert.
//!
//! Up to TLS 1.2 the server sends its Certificate message in cleartext,
//! right after the ServerHello. So this path needs no legacy cryptography at
//! all: it sends a broad ClientHello (TLS 1.0-1.2, ECDHE and RSA key
//! exchange, GCM, CBC and 3DES), reads the ServerHello and the Certificate,
//! and hangs up without sending a key exchange. Nothing is ever encrypted or
//! verified with the old algorithms; we only read what the server shows
//! everyone. TLS 1.3 servers encrypt the certificate, so for them this path
//! reports [`LegacyError::Tls13`] and rustls is the only way in.
//!
//! The pieces:
//! - [`hello`] builds the ClientHello (with tls-parser's serializer);
//! - [`reassembly`] frames records and handshake messages from any chunking,
//!   within byte, record and length limits, and parses them with tls-parser;
//! - [`flight`] wants a ServerHello then a Certificate, and says why not;
//! - this file does the I/O, each exchange bounded by one deadline.

pub mod error;
pub mod flight;
pub mod hello;
pub mod iana;
pub mod reassembly;
#[cfg(test)]
mod tests;

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

pub use error::LegacyError;
pub use flight::{FlightReader, Goal, ServerFlight};
pub use hello::{
    client_hello, client_hello_offering, no_sign_hello, sni_name, LegacyVersion, Offer,
};
pub use iana::{alert_name, suite_name, version_name};
pub use reassembly::{Event, Limits, Reassembler, MAX_RECORD_LEN};

/// Read size per socket read. A TLS record is at most ~18 KiB, so this
/// takes whole records from a fast server without a large buffer per
/// connection.
const READ_CHUNK: usize = 16 * 1024;

/// Send a ClientHello offering TLS 1.0 up to `max` and read the server's
/// version, suite and certificate chain.
///
/// Stops as soon as the Certificate message is complete and returns
/// without sending anything more; the caller drops (closes) the stream.
/// `timeout` bounds the whole exchange, write and reads, so a server that
/// trickles one byte a second costs `timeout` once. `sni` is sent only when
/// it is a DNS name (see [`sni_name`]).
pub async fn legacy_hello<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    sni: Option<&str>,
    max: LegacyVersion,
    timeout: Duration,
) -> Result<ServerFlight, LegacyError> {
    legacy_hello_offering(stream, sni, max, Offer::Broad, timeout).await
}

/// [`legacy_hello`] with the suites of `offer`. With [`Offer::NoSign`] a
/// server that accepts RSA key exchange gives its chain without signing,
/// and its answer also settles the version, as for [`version_answer`].
pub async fn legacy_hello_offering<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    sni: Option<&str>,
    max: LegacyVersion,
    offer: Offer,
    timeout: Duration,
) -> Result<ServerFlight, LegacyError> {
    let hello = client_hello_offering(sni, max, offer)?;
    let reader = exchange(stream, &hello, Goal::Certificate, timeout).await?;
    reader
        .into_flight()
        .ok_or_else(|| LegacyError::malformed("flight ended without a certificate"))
}

/// What the server answered to [`no_sign_hello`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoSignAnswer {
    /// A TLS 1.0-1.2 flight with RSA key exchange: the chain, in cleartext.
    Flight(ServerFlight),
    /// TLS 1.3: a HelloRetryRequest (or a ServerHello) and its suite, 0 if
    /// unreadable. The certificate is encrypted in TLS 1.3.
    Tls13 {
        /// The suite the server chose, e.g. 0x1301; 0 if unreadable.
        cipher_suite: u16,
    },
}

/// Send the hello of [`no_sign_hello`] (TLS 1.0-1.3, RSA key exchange, no
/// key share) and read either the cleartext chain or the TLS 1.3 answer.
/// The server signs nothing and computes no key exchange for either; the
/// caller closes the stream. An error is a refusal (no RSA key exchange)
/// or one of the failures of [`legacy_hello`].
pub async fn no_sign_exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    sni: Option<&str>,
    timeout: Duration,
) -> Result<NoSignAnswer, LegacyError> {
    let hello = no_sign_hello(sni)?;
    let reader = exchange(stream, &hello, Goal::CertificateOrTls13, timeout).await?;
    if let Some(cipher_suite) = reader.tls13_suite() {
        return Ok(NoSignAnswer::Tls13 { cipher_suite });
    }
    reader
        .into_flight()
        .map(NoSignAnswer::Flight)
        .ok_or_else(|| LegacyError::malformed("flight ended without a certificate"))
}

/// Whether the server accepts a hello offering TLS 1.0 up to exactly
/// `version`, on a fresh connection.
///
/// - `Ok(Some(v))`: the server answered with a ServerHello for `v`, which is
///   always `version.wire()`.
/// - `Ok(None)`: refused. An alert such as protocol_version or
///   handshake_failure, a close or reset without an answer (how Schannel
///   refuses a disabled version), or a ServerHello for another version (a
///   TLS 1.0-only server answering a 1.1 hello with 1.0).
/// - `Err(_)`: no verdict: timeout, not TLS, a malformed answer.
///
/// No fallback SCSV is sent, so the server judges the version alone. Stops
/// at the ServerHello; the caller closes the stream.
pub async fn accepts_version<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    sni: Option<&str>,
    version: LegacyVersion,
    timeout: Duration,
) -> Result<Option<u16>, LegacyError> {
    Ok(best_version(stream, sni, version, timeout)
        .await?
        .filter(|&v| v == version.wire()))
}

/// The version the server picks for a hello offering TLS 1.0 up to `max`:
/// the best it supports at or below `max`, on a fresh connection.
///
/// - `Ok(Some(v))`: a ServerHello for `v` (never above `max`).
/// - `Ok(None)`: refused, as for [`accepts_version`]: it supports nothing
///   at or below `max`.
/// - `Err(_)`: no verdict.
///
/// One hello capped at TLS 1.1 that gets TLS 1.1 back, or a refusal, says
/// as much about TLS 1.0 as about 1.1, which saves a connection per host.
pub async fn best_version<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    sni: Option<&str>,
    max: LegacyVersion,
    timeout: Duration,
) -> Result<Option<u16>, LegacyError> {
    match version_answer(stream, sni, max, Offer::Broad, timeout).await {
        Err(e) if e.is_refusal() => Ok(None),
        other => other,
    }
}

/// Like [`best_version`] with the suites of `offer`, but a refusal stays an
/// error, so the caller can tell a refused version (a protocol_version
/// alert, [`LegacyError::is_version_refusal`]) from refused suites.
pub async fn version_answer<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    sni: Option<&str>,
    max: LegacyVersion,
    offer: Offer,
    timeout: Duration,
) -> Result<Option<u16>, LegacyError> {
    let hello = client_hello_offering(sni, max, offer)?;
    match exchange(stream, &hello, Goal::ServerHello, timeout).await {
        Ok(reader) => Ok(reader
            .server_hello()
            .map(|(v, _)| v)
            .filter(|&v| (0x0300..=max.wire()).contains(&v))),
        // TLS 1.3 in answer to a hello without supported_versions is broken
        // but it is not this version; treat it like any other refusal.
        Err(LegacyError::Tls13 { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Write `hello` and feed the answer to a [`FlightReader`] until `goal`.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    hello: &[u8],
    goal: Goal,
    timeout: Duration,
) -> Result<FlightReader, LegacyError> {
    let deadline = Instant::now() + timeout;
    timeout_at(deadline, async {
        stream.write_all(hello).await?;
        stream.flush().await
    })
    .await
    .map_err(|_| LegacyError::Timeout)?
    .map_err(|e| LegacyError::io(&e))?;

    let mut reader = FlightReader::new(goal);
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = timeout_at(deadline, stream.read(&mut buf))
            .await
            .map_err(|_| LegacyError::Timeout)?
            .map_err(|e| LegacyError::io(&e))?;
        if n == 0 {
            return Err(reader.end_of_stream());
        }
        let chunk = buf.get(..n).unwrap_or_default();
        if reader.feed(chunk)? {
            return Ok(reader);
        }
    }
}
