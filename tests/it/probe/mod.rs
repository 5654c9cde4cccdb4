//! Probe: what is sent and what a server's answer becomes, against lab servers on loopback.
mod hostile;
mod huge_cert;
mod politeness;
mod sni;
mod statuses;
