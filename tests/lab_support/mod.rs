//! Shared helpers for tests that run the lab: endpoints and probe options.
#![allow(dead_code)]

use std::net::IpAddr;
use std::time::Duration;

use excert::config::ProbeOptions;
use excert::model::{Endpoint, Role};

pub fn endpoint(host: &str, ip: IpAddr, port: u16, role: Role, sni: Option<&str>) -> Endpoint {
    Endpoint {
        host: host.into(),
        address: Some(ip),
        port,
        role,
        sni: sni.map(str::to_string),
        aliases: vec![],
        group: Default::default(),
        source: None,
    }
}

/// Short timeouts: every lab server answers at once on loopback.
pub fn quick(timeout_ms: u64) -> ProbeOptions {
    let t = Duration::from_millis(timeout_ms);
    ProbeOptions {
        connect_timeout: t,
        handshake_timeout: t,
        endpoint_deadline: t * 6,
        retries: 0,
        ..ProbeOptions::default()
    }
}
