//! Stage 2: read each endpoint's chain over the network.
//!
//! The probe only collects evidence. It never judges a certificate: an
//! expired, self-signed or misnamed chain is recorded as presented.
//!
//! Per endpoint: connect; try rustls ([`modern`]); if the peer spoke but
//! rustls could not finish, reconnect and read the cleartext Certificate
//! message with a hand-built hello ([`legacy`]); then map which old protocol
//! versions the endpoint still accepts. Only what a handshake needs is ever
//! sent, and the connection is closed before any key exchange.

pub mod legacy;
pub mod modern;
pub mod net;
mod run;

pub use run::{probe_all, Probed};

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::ProbeOptions;
use crate::model::{Der, Endpoint, Method, Observation, Status, TlsInfo, TlsVersion};
use legacy::LegacyVersion;

/// Time left before `deadline`, capped at `step`.
fn budget(step: Duration, deadline: Instant) -> Duration {
    step.min(deadline.saturating_duration_since(Instant::now()))
}

/// Read one endpoint's chain, SNI as given (or none).
pub async fn observe(
    addr: SocketAddr,
    sni: Option<&str>,
    opts: &ProbeOptions,
    deadline: Instant,
) -> Observation {
    let tcp = match net::connect(addr, budget(opts.connect_timeout, deadline), opts.retries).await {
        Ok(tcp) => tcp,
        Err(e) => return Observation::failed(e.status, e.message),
    };
    let rustls_error = match modern::handshake(
        tcp,
        sni,
        addr.ip(),
        budget(opts.handshake_timeout, deadline),
    )
    .await
    {
        Ok(hs) => {
            return Observation {
                status: Status::Ok,
                error: None,
                tls: Some(hs.tls),
                chain: hs.chain,
            }
        }
        // A server that says nothing to a modern hello would say nothing to
        // an old one either; another timeout would only double the cost.
        Err(modern::HandshakeError::Timeout) => {
            return Observation::failed(
                Status::Timeout,
                format!(
                    "TLS handshake: no answer within {:.1} s",
                    opts.handshake_timeout.as_secs_f64()
                ),
            )
        }
        Err(modern::HandshakeError::Failed(e)) => e,
    };
    match legacy_flight(addr, sni, LegacyVersion::Tls12, opts, deadline).await {
        Ok(flight) => Observation {
            status: Status::Ok,
            error: None,
            tls: Some(negotiated(
                flight.version,
                flight.cipher_suite,
                Method::Legacy,
            )),
            chain: flight.chain.into_iter().map(Der).collect(),
        },
        Err(Failure { status, message }) => Observation::failed(
            status,
            format!("rustls: {rustls_error}; legacy hello: {message}"),
        ),
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
    }
}

struct Failure {
    status: Status,
    message: String,
}

/// One legacy hello on a fresh connection.
async fn legacy_flight(
    addr: SocketAddr,
    sni: Option<&str>,
    max: LegacyVersion,
    opts: &ProbeOptions,
    deadline: Instant,
) -> Result<legacy::ServerFlight, Failure> {
    let mut tcp = net::connect(addr, budget(opts.connect_timeout, deadline), 0)
        .await
        .map_err(|e| Failure {
            status: e.status,
            message: e.message,
        })?;
    let limit = budget(opts.handshake_timeout, deadline);
    match tokio::time::timeout(limit, legacy::legacy_hello(&mut tcp, sni, max, limit)).await {
        Ok(Ok(flight)) => Ok(flight),
        Ok(Err(e)) => Err(Failure {
            status: e.status(),
            message: e.to_string(),
        }),
        Err(_) => Err(Failure {
            status: Status::Timeout,
            message: format!("no complete answer within {:.1} s", limit.as_secs_f64()),
        }),
    }
}

/// Add the versions below the negotiated one that the endpoint still
/// accepts (TLS 1.0 and 1.1, and 1.2 under a TLS 1.3 server) to
/// `tls.versions`, with hellos that stop at the ServerHello.
///
/// A server answers with the best version it shares with the client, so
/// versions above the negotiated one are already known to be refused, and
/// each hello below it tells about every version down to the one it gets
/// back: a TLS 1.2-only server needs one hello, capped at TLS 1.1. No
/// fallback SCSV is sent, so the server judges each hello on its version.
async fn map_versions(
    addr: SocketAddr,
    sni: Option<&str>,
    tls: &mut TlsInfo,
    opts: &ProbeOptions,
    deadline: Instant,
) {
    let below = |version: TlsVersion| {
        [
            LegacyVersion::Tls12,
            LegacyVersion::Tls11,
            LegacyVersion::Tls10,
        ]
        .into_iter()
        .find(|cap| TlsVersion::from_wire(cap.wire()) < version)
    };
    let mut next = below(tls.version);
    while let Some(cap) = next {
        if Instant::now() >= deadline {
            return;
        }
        let Ok(mut tcp) = net::connect(addr, budget(opts.connect_timeout, deadline), 0).await
        else {
            return;
        };
        let limit = budget(opts.handshake_timeout, deadline);
        next = match legacy::best_version(&mut tcp, sni, cap, limit).await {
            Ok(Some(v)) => {
                let version = TlsVersion::from_wire(v);
                if !tls.versions.contains(&version) {
                    tls.versions.push(version);
                }
                below(version)
            }
            // Refused: nothing at or below this cap.
            Ok(None) => None,
            // No verdict: leave the map unfinished rather than guess.
            Err(_) => return,
        };
    }
    tls.versions.sort();
    tls.versions_scanned = true;
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
    let addr = SocketAddr::new(ip, endpoint.port);
    let deadline = Instant::now() + opts.endpoint_deadline;
    let sni = endpoint.sni.as_deref();
    let mut main = observe(addr, sni, opts, deadline).await;
    if let (true, Some(tls)) = (opts.protocol_scan, main.tls.as_mut()) {
        map_versions(addr, sni, tls, opts, deadline).await;
    }
    let no_sni = if opts.also_no_sni && sni.is_some() && main.status == Status::Ok {
        Some(observe(addr, None, opts, Instant::now() + opts.endpoint_deadline).await)
    } else {
        None
    };
    (main, no_sni)
}
