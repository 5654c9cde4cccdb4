//! One endpoint's probe: the hellos that read its chain, in the order
//! [the module docs](super) describe, inside the endpoint deadline.

use std::net::SocketAddr;

use tokio::net::TcpStream;
use tokio::time::Instant;

use super::gate::Gate;
use super::legacy::{self, LegacyError, LegacyVersion, NoSignAnswer, Offer};
use super::link::{Failure, Link};
use super::modern;
use super::starttls::Preamble;
use super::versions::{negotiated, VersionMap};
use crate::config::ProbeOptions;
use crate::model::{Der, Dialogue, Endpoint, Method, Observation, Status, TlsInfo, TlsVersion};

/// A mail port runs a dialogue before each of its handshakes (a greeting
/// that Exchange may delay, EHLO, STARTTLS), so it gets this many times the
/// endpoint deadline.
const DIALOGUE_DEADLINE_FACTOR: u32 = 2;

/// Read one endpoint's chain over `link`, SNI as given (or none).
async fn observe(link: &Link<'_>, sni: Option<&str>) -> Observation {
    match link.open(link.opts.retries).await {
        Ok(opened) => observe_on(link, sni, opened).await.0,
        Err(failure) => failure.into_observation(),
    }
}

/// [`observe`] on a first connection already open (and past its
/// preamble), with where the protocol map stands after its hellos (`None`:
/// it starts below the negotiated version).
///
/// The first hello asks nothing of the server's private key
/// ([`legacy::no_sign_hello`]): a TLS 1.0-1.2 server with RSA key exchange
/// answers with its chain in cleartext, a TLS 1.3 server with a
/// HelloRetryRequest, and then a hello up to TLS 1.2 offering only RSA key
/// exchange reads its chain ([`tls13`]). Only a server that refuses RSA key
/// exchange, or a TLS 1.3-only one, costs a full rustls handshake (and
/// then, if rustls cannot finish, the broad legacy hello). `tls.evidence`
/// says which.
async fn observe_on(
    link: &Link<'_>,
    sni: Option<&str>,
    (tcp, dialogue): (TcpStream, Dialogue),
) -> (Observation, Option<VersionMap>) {
    match first_hello(link, sni, tcp).await {
        FirstHello::Chain(tls, chain) => (chain_read(link, tls, chain, dialogue), None),
        FirstHello::Stop(status, message) => (failed(status, message, dialogue), None),
        FirstHello::Tls13(line, suite) => tls13(link, sni, line, suite, dialogue).await,
        FirstHello::Tried(line) => (
            full_handshake(link, sni, vec![line.into()], dialogue).await,
            None,
        ),
    }
}

/// What the first, no-sign hello settled.
enum FirstHello {
    /// The chain, in cleartext, and what the hello showed.
    Chain(TlsInfo, Vec<Der>),
    /// Nothing more to try: the endpoint's status and why.
    Stop(Status, String),
    /// A TLS 1.3 server: the line for `tls.evidence`, and the suite of its
    /// HelloRetryRequest.
    Tls13(String, u16),
    /// No chain yet, so a full handshake decides; the line says what this
    /// hello got, for `tls.evidence`.
    Tried(String),
}

/// The no-sign hello on the first connection, which it closes.
async fn first_hello(link: &Link<'_>, sni: Option<&str>, mut tcp: TcpStream) -> FirstHello {
    let limit = link.handshake_budget();
    let answer = tokio::time::timeout(limit, legacy::no_sign_exchange(&mut tcp, sni, limit)).await;
    drop(tcp);
    match answer {
        Ok(Ok(NoSignAnswer::Flight(flight))) => {
            let mut tls = negotiated(flight.version, flight.cipher_suite, Method::Legacy);
            tls.evidence.push(
                format!(
                "chain: cleartext Certificate ({}, {}) after a hello offering TLS 1.3 with no key \
                 share and RSA key exchange; the server signed nothing",
                legacy::version_name(flight.version),
                tls.cipher_suite
            )
                .into(),
            );
            FirstHello::Chain(tls, flight.chain.into_iter().map(Der::from).collect())
        }
        Ok(Ok(NoSignAnswer::Tls13 { cipher_suite })) => FirstHello::Tls13(
            format!(
                "TLSv1.3: HelloRetryRequest ({}) to a hello with no key share; the server signed \
                 nothing",
                legacy::suite_name(cipher_suite)
            ),
            cipher_suite,
        ),
        // A server that says nothing to one hello would say nothing to the
        // next either; another timeout would only double the cost.
        Ok(Err(LegacyError::Timeout)) | Err(_) => {
            FirstHello::Stop(Status::Timeout, no_answer(link))
        }
        Ok(Err(e @ LegacyError::NotTls { .. })) => FirstHello::Stop(e.status(), e.to_string()),
        // No RSA key exchange, or a stack that dislikes the hello: a full
        // handshake decides.
        Ok(Err(e)) => FirstHello::Tried(format!(
            "no chain from a hello offering TLS 1.3 with no key share and RSA key exchange: {e}"
        )),
    }
}

/// A TLS 1.3 server, known from its HelloRetryRequest (`suite`): a hello
/// up to TLS 1.2 offering only RSA key exchange reads the chain in
/// cleartext and proves TLS 1.2, with no signature. Its answer is also the
/// protocol map's first. Only if it gives no chain does a full handshake
/// read it, the probe's one signature.
async fn tls13(
    link: &Link<'_>,
    sni: Option<&str>,
    line: String,
    suite: u16,
    dialogue: Dialogue,
) -> (Observation, Option<VersionMap>) {
    let answer = match link.open(0).await {
        Ok((mut tcp, _)) => {
            let limit = link.handshake_budget();
            let hello = legacy::legacy_hello_offering(
                &mut tcp,
                sni,
                LegacyVersion::Tls12,
                Offer::NoSign,
                limit,
            );
            match tokio::time::timeout(limit, hello).await {
                Ok(answer) => answer,
                Err(_) => Err(LegacyError::Timeout),
            }
        }
        Err(f) => return (failed(f.status, f.message, dialogue), None),
    };
    // Facts the TLS 1.3 answer and this hello established, kept whatever
    // reads the chain.
    let mut known = negotiated(0x0304, suite, Method::Legacy);
    known.evidence.push(line.into());
    let (flight, offer, asked) = match answer {
        Ok(flight) => (
            flight,
            Offer::NoSign,
            "only RSA key exchange; the server signed nothing",
        ),
        // The server settled on a version up to TLS 1.2 and refused the
        // suites: a hello offering every suite reads the chain for one
        // signature, as a full handshake would, and proves the version.
        Err(e @ LegacyError::Alert { .. }) if e.is_refusal() && !e.is_version_refusal() => {
            known
                .evidence
                .push(format!("hello up to TLSv1.2 offering only RSA key exchange: {e}").into());
            match legacy_flight(link, sni, LegacyVersion::Tls12).await {
                Ok(flight) => (flight, Offer::Broad, "every suite; the server signed once"),
                Err(f) => {
                    let message = format!("legacy hello: {}", f.message);
                    known.evidence.push(message.into());
                    let map = VersionMap::from(LegacyVersion::Tls12);
                    let obs = full_handshake(link, sni, known.evidence, dialogue).await;
                    return (obs, Some(map));
                }
            }
        }
        Err(e) => {
            let mut map = VersionMap::from(LegacyVersion::Tls12);
            let answer = match e {
                // TLS 1.3 to a hello without supported_versions: broken,
                // but not TLS 1.2.
                LegacyError::Tls13 { .. } => Ok(None),
                e => Err(e),
            };
            let _ = map.take(LegacyVersion::Tls12, answer, &mut known);
            let mut obs = full_handshake(link, sni, known.evidence, dialogue).await;
            if let Some(tls) = obs.tls.as_mut() {
                for v in known.versions {
                    if !tls.versions.contains(&v) {
                        tls.versions.push(v);
                    }
                }
                tls.versions.sort();
            }
            return (obs, Some(map));
        }
    };
    let version = TlsVersion::from_wire(flight.version);
    known.evidence.push(
        format!(
            "chain: cleartext Certificate ({}, {}) after a hello up to TLS 1.2 offering {asked}. \
             TLS 1.3 clients get the same chain unless the server has a second (e.g. ECDSA) \
             certificate; IIS serves one per binding",
            version.name(),
            legacy::suite_name(flight.cipher_suite)
        )
        .into(),
    );
    if !known.versions.contains(&version) {
        known.versions.push(version);
    }
    known.versions.sort();
    let map = VersionMap::below(&known, offer);
    let chain = flight.chain.into_iter().map(Der::from).collect();
    (chain_read(link, known, chain, dialogue), Some(map))
}

/// A full rustls handshake on a new connection, after the no-sign hello
/// got no chain; if rustls cannot finish, the broad legacy hello.
async fn full_handshake(
    link: &Link<'_>,
    sni: Option<&str>,
    mut evidence: Vec<std::sync::Arc<str>>,
    dialogue: Dialogue,
) -> Observation {
    let tcp = match link.open(0).await {
        Ok((tcp, _)) => tcp,
        Err(f) => return failed(f.status, f.message, dialogue),
    };
    let rustls_error =
        match modern::handshake(tcp, sni, link.addr.ip(), link.handshake_budget()).await {
            Ok(mut hs) => {
                evidence.push(
                    format!(
                        "chain: full rustls handshake ({}, {})",
                        hs.tls.version.name(),
                        hs.tls.cipher_suite
                    )
                    .into(),
                );
                hs.tls.evidence = evidence;
                return chain_read(link, hs.tls, hs.chain, dialogue);
            }
            Err(modern::HandshakeError::Timeout) => {
                return failed(Status::Timeout, no_answer(link), dialogue)
            }
            Err(modern::HandshakeError::Failed(e)) => e,
        };
    broad_hello(link, sni, evidence, &rustls_error, dialogue).await
}

/// The broad legacy hello, for a server that spoke TLS but that rustls
/// could not finish with.
async fn broad_hello(
    link: &Link<'_>,
    sni: Option<&str>,
    mut evidence: Vec<std::sync::Arc<str>>,
    rustls_error: &str,
    dialogue: Dialogue,
) -> Observation {
    match legacy_flight(link, sni, LegacyVersion::Tls12).await {
        Ok(flight) => {
            let mut tls = negotiated(flight.version, flight.cipher_suite, Method::Legacy);
            evidence.push(format!("rustls: {rustls_error}").into());
            evidence.push(
                format!(
                    "chain: cleartext Certificate ({}, {}) after the broad legacy hello",
                    legacy::version_name(flight.version),
                    tls.cipher_suite
                )
                .into(),
            );
            tls.evidence = evidence;
            let chain = flight.chain.into_iter().map(Der::from).collect();
            chain_read(link, tls, chain, dialogue)
        }
        Err(f) => {
            let message = format!("rustls: {rustls_error}; legacy hello: {}", f.message);
            failed(f.status, message, dialogue)
        }
    }
}

/// The observation of a chain read on `link`.
fn chain_read(
    link: &Link<'_>,
    mut tls: TlsInfo,
    chain: Vec<Der>,
    dialogue: Dialogue,
) -> Observation {
    tls.starttls = link.starttls();
    Observation {
        status: Status::Ok,
        error: None,
        tls: Some(tls),
        chain,
        dialogue,
    }
}

/// The observation of a probe that read no chain, with what a mail port
/// said before that.
fn failed(status: Status, message: String, dialogue: Dialogue) -> Observation {
    Failure {
        status,
        message,
        dialogue,
    }
    .into_observation()
}

/// Why a handshake that got no answer failed.
fn no_answer(link: &Link<'_>) -> String {
    format!(
        "TLS handshake: no answer within {:.1} s",
        link.opts.handshake_timeout.as_secs_f64()
    )
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
    probe_endpoint_gated(endpoint, opts, &Gate::open()).await
}

/// [`probe_endpoint`], whose TLS phase waits at `gate` once the first
/// connection is open (and past its preamble); the endpoint deadline for
/// the TLS phase starts there.
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
    let preamble = Preamble::for_port(endpoint.speaks(), endpoint.port);
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
    let first = match link(Instant::now() + allowed).open(opts.retries).await {
        Ok(opened) => opened,
        // Nothing to do in the TLS phase: do not queue for it.
        Err(failure) => return (failure.into_observation(), None),
    };
    // Boxed: the TLS phase's state is most of a probe's size, and it is
    // only needed once the connection is open, so a probe waiting on its
    // connect or at the gate stays small.
    gate.pass(|| {
        Box::pin(async {
            let main_link = link(Instant::now() + allowed);
            let sni = endpoint.sni.as_deref();
            let (mut main, map) = observe_on(&main_link, sni, first).await;
            if let (true, Some(tls)) = (opts.protocol_scan, main.tls.as_mut()) {
                let map = map.unwrap_or_else(|| VersionMap::after(tls));
                map.run(&main_link, sni, tls).await;
            }
            let no_sni = if opts.also_no_sni && sni.is_some() && main.status == Status::Ok {
                Some(observe(&link(Instant::now() + allowed), None).await)
            } else {
                None
            };
            (main, no_sni)
        })
    })
    .await
}
