//! Stage 2: read each endpoint's chain over the network.
//!
//! The probe only collects evidence. It never judges a certificate: an
//! expired, self-signed or misnamed chain is recorded as presented.
//!
//! Per endpoint: connect, and on a mail port say the few cleartext words
//! that lead to STARTTLS ([`starttls`]); send a hello the server can answer
//! without its private key ([`legacy::no_sign_hello`]), which gets the chain
//! in cleartext from a TLS 1.0-1.2 server with RSA key exchange; otherwise
//! reconnect (with the same preamble) and try rustls ([`modern`]), and if
//! the peer spoke but rustls could not finish, read the cleartext
//! Certificate message with the broad hand-built hello ([`legacy`]); then
//! map which old protocol versions the endpoint still accepts
//! (`versions.rs`). Only what a handshake needs is ever sent, and the
//! connection is closed before any key exchange. Connecting happens outside
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
