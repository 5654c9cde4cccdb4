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

mod gate;
pub mod legacy;
pub mod modern;
pub mod net;
mod run;

pub use gate::Gate;
pub use run::{probe_all, Probed};

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::config::ProbeOptions;
use crate::model::{Der, Endpoint, Method, Observation, Status, TlsInfo, TlsVersion};
use legacy::{LegacyError, LegacyVersion, NoSignAnswer, Offer};

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
    let first = net::connect(addr, budget(opts.connect_timeout, deadline), opts.retries).await;
    observe_on(first, addr, sni, opts, deadline).await
}

/// [`observe`] with the first connection already attempted.
///
/// The first hello asks nothing of the server's private key
/// ([`legacy::no_sign_hello`]): a TLS 1.0-1.2 server with RSA key exchange
/// answers with its chain in cleartext, a TLS 1.3 server with a
/// HelloRetryRequest. Only a TLS 1.3 server, or one that refuses RSA key
/// exchange, costs a full rustls handshake (and then, if rustls cannot
/// finish, the broad legacy hello).
async fn observe_on(
    first: Result<TcpStream, net::ConnectError>,
    addr: SocketAddr,
    sni: Option<&str>,
    opts: &ProbeOptions,
    deadline: Instant,
) -> Observation {
    let mut tcp = match first {
        Ok(tcp) => tcp,
        Err(e) => return Observation::failed(e.status, e.message),
    };
    let no_answer = || {
        Observation::failed(
            Status::Timeout,
            format!(
                "TLS handshake: no answer within {:.1} s",
                opts.handshake_timeout.as_secs_f64()
            ),
        )
    };
    let limit = budget(opts.handshake_timeout, deadline);
    let answer = tokio::time::timeout(limit, legacy::no_sign_exchange(&mut tcp, sni, limit)).await;
    drop(tcp);
    let mut evidence = Vec::new();
    match answer {
        Ok(Ok(NoSignAnswer::Flight(flight))) => {
            let mut tls = negotiated(flight.version, flight.cipher_suite, Method::Legacy);
            tls.evidence.push(format!(
                "chain: cleartext Certificate ({}, {}) after a hello offering TLS 1.3 with no key \
                 share and RSA key exchange; the server signed nothing",
                legacy::version_name(flight.version),
                tls.cipher_suite
            ));
            return Observation {
                status: Status::Ok,
                error: None,
                tls: Some(tls),
                chain: flight.chain.into_iter().map(Der).collect(),
            };
        }
        Ok(Ok(NoSignAnswer::Tls13 { cipher_suite })) => evidence.push(format!(
            "TLSv1.3: HelloRetryRequest ({}) to a hello with no key share; the server signed \
             nothing",
            legacy::suite_name(cipher_suite)
        )),
        // A server that says nothing to one hello would say nothing to the
        // next either; another timeout would only double the cost.
        Ok(Err(LegacyError::Timeout)) | Err(_) => return no_answer(),
        Ok(Err(e @ LegacyError::NotTls { .. })) => {
            return Observation::failed(e.status(), e.to_string())
        }
        // No RSA key exchange, or a stack that dislikes the hello: a full
        // handshake decides.
        Ok(Err(e)) => evidence.push(format!(
            "no chain from a hello offering TLS 1.3 with no key share and RSA key exchange: {e}"
        )),
    }
    let tcp = match net::connect(addr, budget(opts.connect_timeout, deadline), 0).await {
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
        Ok(mut hs) => {
            evidence.push(format!(
                "chain: full rustls handshake ({}, {})",
                hs.tls.version.name(),
                hs.tls.cipher_suite
            ));
            hs.tls.evidence = evidence;
            return Observation {
                status: Status::Ok,
                error: None,
                tls: Some(hs.tls),
                chain: hs.chain,
            };
        }
        Err(modern::HandshakeError::Timeout) => return no_answer(),
        Err(modern::HandshakeError::Failed(e)) => e,
    };
    match legacy_flight(addr, sni, LegacyVersion::Tls12, opts, deadline).await {
        Ok(flight) => {
            let mut tls = negotiated(flight.version, flight.cipher_suite, Method::Legacy);
            evidence.push(format!("rustls: {rustls_error}"));
            evidence.push(format!(
                "chain: cleartext Certificate ({}, {}) after the broad legacy hello",
                legacy::version_name(flight.version),
                tls.cipher_suite
            ));
            tls.evidence = evidence;
            Observation {
                status: Status::Ok,
                error: None,
                tls: Some(tls),
                chain: flight.chain.into_iter().map(Der).collect(),
            }
        }
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
        evidence: Vec::new(),
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
///
/// Where RSA key exchange may work (the chain came with it, or TLS 1.3 hid
/// the answer), the hellos offer only that, so the server signs nothing. A
/// refusal that does not name the version (handshake_failure, a close or a
/// reset, which is also how Schannel refuses a version) is then asked again
/// with every suite before the version counts as refused.
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
    let mut offer = if tls.version == TlsVersion::Tls13 || tls.cipher_suite.starts_with("TLS_RSA_")
    {
        Offer::NoSign
    } else {
        Offer::Broad
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
        let answer = legacy::version_answer(&mut tcp, sni, cap, offer, limit).await;
        let asked = format!(
            "hello up to {} offering {}",
            cap.name(),
            match offer {
                Offer::NoSign => "only RSA key exchange",
                Offer::Broad => "every suite",
            }
        );
        next = match answer {
            Ok(Some(v)) => {
                let version = TlsVersion::from_wire(v);
                tls.evidence
                    .push(format!("{asked}: ServerHello {}", version.name()));
                if !tls.versions.contains(&version) {
                    tls.versions.push(version);
                }
                below(version)
            }
            Ok(None) => {
                tls.evidence.push(format!("{asked}: refused"));
                None
            }
            Err(e) if offer == Offer::NoSign && e.is_refusal() && !e.is_version_refusal() => {
                tls.evidence.push(format!("{asked}: {e}; asking again"));
                offer = Offer::Broad;
                Some(cap)
            }
            Err(e) if e.is_refusal() => {
                tls.evidence.push(format!("{asked}: refused ({e})"));
                None
            }
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
    probe_endpoint_gated(endpoint, opts, &Gate::open()).await
}

/// [`probe_endpoint`], whose TLS phase waits at `gate` once the first
/// connection is open; the endpoint deadline starts there.
pub async fn probe_endpoint_gated(
    endpoint: &Endpoint,
    opts: &ProbeOptions,
    gate: &Gate,
) -> (Observation, Option<Observation>) {
    let Some(ip) = endpoint.address else {
        return (
            Observation::failed(Status::DnsFailed, "name did not resolve"),
            None,
        );
    };
    let addr = SocketAddr::new(ip, endpoint.port);
    let first = match net::connect(addr, opts.connect_timeout, opts.retries).await {
        Ok(tcp) => Ok(tcp),
        // Nothing to do in the TLS phase: do not queue for it.
        Err(e) => return (Observation::failed(e.status, e.message), None),
    };
    // Boxed: the TLS phase's state is most of a probe's size, and it is
    // only needed once the connection is open, so a probe waiting on its
    // connect or at the gate stays small.
    gate.pass(Box::pin(async {
        let deadline = Instant::now() + opts.endpoint_deadline;
        let sni = endpoint.sni.as_deref();
        let mut main = observe_on(first, addr, sni, opts, deadline).await;
        if let (true, Some(tls)) = (opts.protocol_scan, main.tls.as_mut()) {
            map_versions(addr, sni, tls, opts, deadline).await;
        }
        let no_sni = if opts.also_no_sni && sni.is_some() && main.status == Status::Ok {
            Some(observe(addr, None, opts, Instant::now() + opts.endpoint_deadline).await)
        } else {
            None
        };
        (main, no_sni)
    }))
    .await
}
