//! The one builder for the endpoints and evidence tests feed the pipeline.
//!
//! `ep(host, role)` starts from a healthy endpoint on the role's usual port
//! (127.0.0.1, TLS 1.2, no chain, no group); each method changes one thing.
//! Finish with `.endpoint()` for the probe or targets, or `.evidence()` for
//! analysis on saved evidence. One place, so a new field in `Endpoint` or
//! `Observation` is one edit here, not one per test file.
#![allow(dead_code)]

use std::net::IpAddr;

use excert::model::{
    CipherSuite, Der, Dialogue, Endpoint, EndpointEvidence, Group, Method, Observation, Role,
    Status, TlsInfo, TlsVersion,
};

/// The suite a TLS 1.2 endpoint is recorded with.
pub const TLS12_SUITE: CipherSuite = CipherSuite(0xC030);
/// The suite a TLS 1.3 endpoint is recorded with.
pub const TLS13_SUITE: CipherSuite = CipherSuite(0x1302);

/// An endpoint and what a probe saw of it, under construction.
#[derive(Clone, Debug)]
pub struct Ep {
    endpoint: Endpoint,
    observation: Observation,
}

/// A healthy endpoint: `host` on the role's usual port, TLS 1.2, no chain.
pub fn ep(host: &str, role: Role) -> Ep {
    Ep {
        endpoint: Endpoint {
            host: host.into(),
            address: Some(IpAddr::from([127, 0, 0, 1])),
            port: default_port(role),
            role,
            label: None,
            sni: None,
            aliases: Vec::new(),
            group: Default::default(),
            source: None,
            forwards_to: (role == Role::LoadBalancer).then_some(Role::Frontend),
            from_scan: None,
        },
        observation: Observation {
            status: Status::Ok,
            error: None,
            tls: Some(tls(&[TlsVersion::Tls12])),
            chain: Vec::new(),
            dialogue: Dialogue::default(),
        },
    }
}

/// The port Exchange serves a role on.
pub fn default_port(role: Role) -> u16 {
    match role {
        Role::Frontend => 443,
        Role::Backend => 444,
        Role::Smtp => 25,
        Role::Imap => 143,
        Role::Pop => 110,
        Role::LoadBalancer => 443,
        Role::Edgesync => 50636,
        Role::Other => 8172,
    }
}

/// A rustls handshake that found `versions` and settled on the last one.
pub fn tls(versions: &[TlsVersion]) -> TlsInfo {
    let version = versions.last().copied().unwrap_or(TlsVersion::Tls12);
    TlsInfo {
        version,
        cipher_suite: if version == TlsVersion::Tls13 {
            TLS13_SUITE
        } else {
            TLS12_SUITE
        },
        method: Method::Rustls,
        versions: versions.to_vec(),
        versions_scanned: true,
        evidence: Vec::new(),
        starttls: false,
    }
}

impl Ep {
    /// Another port.
    pub fn port(mut self, port: u16) -> Self {
        self.endpoint.port = port;
        self
    }

    /// Another address (or none, as before resolution).
    pub fn address(mut self, address: Option<IpAddr>) -> Self {
        self.endpoint.address = address;
        self
    }

    /// The `--tls-port` label of an `other` port.
    pub fn label(mut self, label: &str) -> Self {
        self.endpoint.label = Some(label.into());
        self
    }

    /// The name sent as SNI.
    pub fn sni(mut self, sni: Option<&str>) -> Self {
        self.endpoint.sni = sni.map(str::to_string);
        self
    }

    /// For a load balancer's VIP, the servers' port it stands for.
    pub fn forwards_to(mut self, role: Role) -> Self {
        self.endpoint.forwards_to = Some(role);
        self
    }

    /// Site, DAG and role grouping.
    pub fn group(mut self, group: Group) -> Self {
        self.endpoint.group = group.into();
        self
    }

    /// The DER chain the server sent, leaf first.
    pub fn chain(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.observation.chain = chain.into_iter().map(Der::from).collect();
        self
    }

    /// The chain as saved evidence holds it, leaf first.
    pub fn ders(mut self, chain: Vec<Der>) -> Self {
        self.observation.chain = chain;
        self
    }

    /// The handshake's outcome.
    pub fn tls(mut self, tls: Option<TlsInfo>) -> Self {
        self.observation.tls = tls;
        self
    }

    /// The protocol versions found; the last is the one negotiated.
    pub fn versions(self, versions: &[TlsVersion]) -> Self {
        let starttls = self.observation.tls.as_ref().is_some_and(|t| t.starttls);
        let mut info = tls(versions);
        info.starttls = starttls;
        self.tls(Some(info))
    }

    /// TLS began after a cleartext STARTTLS.
    pub fn starttls(mut self) -> Self {
        if let Some(tls) = self.observation.tls.as_mut() {
            tls.starttls = true;
        }
        self
    }

    /// What the mail server said before TLS.
    pub fn dialogue(mut self, dialogue: Dialogue) -> Self {
        self.observation.dialogue = dialogue;
        self
    }

    /// The probe failed with `status`; no handshake, no chain. A dialogue
    /// set before is kept (a mail server that refused STARTTLS said hello).
    pub fn failed(mut self, status: Status, error: &str) -> Self {
        let dialogue = std::mem::take(&mut self.observation.dialogue);
        self.observation = Observation::failed(status, error);
        self.observation.dialogue = dialogue;
        self
    }

    /// The target, as the probe receives it.
    pub fn endpoint(self) -> Endpoint {
        self.endpoint
    }

    /// What the probe saw, as a handshake shows it.
    pub fn observation(self) -> Observation {
        self.observation
    }

    /// The saved evidence analysis reads.
    pub fn evidence(self) -> EndpointEvidence {
        EndpointEvidence {
            endpoint: self.endpoint,
            observation: self.observation,
            no_sni: None,
        }
    }
}
