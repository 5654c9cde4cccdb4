//! Stage 2: read each endpoint's chain over the network.
//!
//! The probe only collects evidence. It never judges a certificate: an
//! expired, self-signed or misnamed chain is recorded as presented.
//!
//! Per endpoint: connect, and on a mail port say the few cleartext words
//! that lead to STARTTLS ([`starttls`]); try rustls ([`modern`]); if the
//! peer spoke but rustls could not finish, reconnect (with the same
//! preamble) and read the cleartext Certificate message with a hand-built
//! hello ([`legacy`]); then map which old protocol versions the endpoint
//! still accepts ([`versions`]). Only what a handshake needs is ever sent,
//! and the connection is closed before any key exchange.

pub mod legacy;
mod link;
pub mod modern;
pub mod net;
mod run;
pub mod starttls;
mod versions;

pub use run::{probe_all, Probed};

use std::net::SocketAddr;

use tokio::time::Instant;

use crate::config::ProbeOptions;
use crate::model::{Der, Dialogue, Endpoint, Method, Observation, Status, TlsInfo, TlsVersion};
use legacy::LegacyVersion;
use link::{Failure, Link};
use starttls::Preamble;

/// A mail port runs a dialogue before each of its handshakes (a greeting
/// that Exchange may delay, EHLO, STARTTLS), so it gets this many times the
/// endpoint deadline.
const DIALOGUE_DEADLINE_FACTOR: u32 = 2;

/// Read one endpoint's chain over `link`, SNI as given (or none).
async fn observe(link: &Link<'_>, sni: Option<&str>) -> Observation {
    let (tcp, dialogue) = match link.open(link.opts.retries).await {
        Ok(opened) => opened,
        Err(failure) => return failure.into_observation(),
    };
    let ok = |mut tls: TlsInfo, chain: Vec<Der>, dialogue: Dialogue| {
        tls.starttls = link.starttls();
        Observation {
            status: Status::Ok,
            error: None,
            tls: Some(tls),
            chain,
            dialogue,
        }
    };
    let failed = |status, message, dialogue| Failure {
        status,
        message,
        dialogue,
    };
    let rustls_error =
        match modern::handshake(tcp, sni, link.addr.ip(), link.handshake_budget()).await {
            Ok(hs) => return ok(hs.tls, hs.chain, dialogue),
            // A server that says nothing to a modern hello would say nothing
            // to an old one either; another timeout would only double the cost.
            Err(modern::HandshakeError::Timeout) => {
                let message = format!(
                    "TLS handshake: no answer within {:.1} s",
                    link.opts.handshake_timeout.as_secs_f64()
                );
                return failed(Status::Timeout, message, dialogue).into_observation();
            }
            Err(modern::HandshakeError::Failed(e)) => e,
        };
    match legacy_flight(link, sni, LegacyVersion::Tls12).await {
        Ok(flight) => ok(
            negotiated(flight.version, flight.cipher_suite, Method::Legacy),
            flight.chain.into_iter().map(Der).collect(),
            dialogue,
        ),
        Err(f) => {
            let message = format!("rustls: {rustls_error}; legacy hello: {}", f.message);
            failed(f.status, message, dialogue).into_observation()
        }
    }
}

/// What one handshake showed, with IANA names; the protocol map adds the
/// other versions later.
pub(crate) fn negotiated(version: u16, suite: u16, method: Method) -> TlsInfo {
    let version = TlsVersion::from_wire(version);
    TlsInfo {
        versions: vec![version],
        version,
        cipher_suite: legacy::suite_name(suite),
        method,
        versions_scanned: false,
        starttls: false,
    }
}

/// One legacy hello on a fresh link.
async fn legacy_flight(
    link: &Link<'_>,
    sni: Option<&str>,
    max: LegacyVersion,
) -> Result<legacy::ServerFlight, Failure> {
    let (mut tcp, dialogue) = link.open(0).await?;
    let limit = link.handshake_budget();
    let failure = |status, message| Failure {
        status,
        message,
        dialogue: dialogue.clone(),
    };
    match tokio::time::timeout(limit, legacy::legacy_hello(&mut tcp, sni, max, limit)).await {
        Ok(Ok(flight)) => Ok(flight),
        Ok(Err(e)) => Err(failure(e.status(), e.to_string())),
        Err(_) => Err(failure(
            Status::Timeout,
            format!("no complete answer within {:.1} s", limit.as_secs_f64()),
        )),
    }
}

/// Everything about one endpoint, bounded by the endpoint deadline.
pub async fn probe_endpoint(
    endpoint: &Endpoint,
    opts: &ProbeOptions,
) -> (Observation, Option<Observation>) {
    let Some(ip) = endpoint.address else {
        return (
            Observation::failed(Status::DnsFailed, "name did not resolve"),
            None,
        );
    };
    let preamble = Preamble::for_port(endpoint.role, endpoint.port);
    let allowed = match preamble {
        Preamble::None => opts.endpoint_deadline,
        _ => opts.endpoint_deadline * DIALOGUE_DEADLINE_FACTOR,
    };
    let link = |deadline| Link {
        addr: SocketAddr::new(ip, endpoint.port),
        preamble,
        opts,
        deadline,
    };
    let main_link = link(Instant::now() + allowed);
    let sni = endpoint.sni.as_deref();
    let mut main = observe(&main_link, sni).await;
    if let (true, Some(tls)) = (opts.protocol_scan, main.tls.as_mut()) {
        versions::map_versions(&main_link, sni, tls).await;
    }
    let no_sni = if opts.also_no_sni && sni.is_some() && main.status == Status::Ok {
        Some(observe(&link(Instant::now() + allowed), None).await)
    } else {
        None
    };
    (main, no_sni)
}
