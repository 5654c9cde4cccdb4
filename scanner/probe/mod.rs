//! Stage 2: read each endpoint's chain over the network.
//!
//! The probe only collects evidence. It never judges a certificate: an
//! expired, self-signed or misnamed chain is recorded as presented.
//!
//! Per endpoint: connect, and on a mail port say the few cleartext words
//! that lead to STARTTLS ([`starttls`]); send a hello the server can answer
//! without its private key ([`legacy::no_sign_hello`]), which gets the chain
//! in cleartext from a TLS 1.0-1.2 server with RSA key exchange, and a
//! HelloRetryRequest (which proves TLS 1.3) from a TLS 1.3 server. A TLS 1.3
//! server then gets a hello up to TLS 1.2 offering only RSA key exchange,
//! which reads its chain in cleartext and proves TLS 1.2, still without a
//! signature. Only when nothing else yields the chain (a TLS 1.3-only
//! server, or one refusing RSA key exchange) does the probe reconnect (with
//! the same preamble) for one signed exchange: rustls ([`modern`]), and if
//! the peer spoke but rustls could not finish, the broad hand-built hello
//! ([`legacy`]). Then it maps which old protocol versions the endpoint
//! still accepts (`versions.rs`) with hellos that offer only RSA key
//! exchange. Only what a handshake needs is ever sent, and the connection
//! is closed before any key exchange. `tls.evidence` names each hello and
//! the one that gave the chain. Connecting happens outside
//! `--concurrency`; the TLS phase waits at a [`Gate`].

mod endpoint;
mod gate;
pub mod legacy;
mod link;
pub mod modern;
pub mod net;
mod progress;
mod run;
pub mod starttls;
mod versions;

pub use endpoint::{probe_endpoint, probe_endpoint_gated};
pub use gate::Gate;
pub use run::{probe_all, Probed};
