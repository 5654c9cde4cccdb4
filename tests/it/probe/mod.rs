//! Probe: what is sent and what a server's answer becomes, against lab servers and `openssl s_server` on loopback.
mod hostile;
mod huge_cert;
mod legacy_scan;
mod legacy_tls;
mod no_sign;
mod politeness;
mod ports;
mod smtp;
mod sni;
mod statuses;
