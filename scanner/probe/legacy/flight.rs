//! What the probe wants out of the server's first flight, on top of the
//! [`Reassembler`]: the ServerHello and the Certificate, in that order, or
//! the reason there are none. Pure and synchronous like the reassembler.

use super::error::LegacyError;
use super::reassembly::{Event, Limits, Reassembler};

/// Where to stop reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// Stop at the ServerHello: enough to know which version the server
    /// accepted.
    ServerHello,
    /// Stop once the Certificate message is complete.
    Certificate,
    /// Stop once the Certificate message is complete, or at a TLS 1.3
    /// ServerHello or HelloRetryRequest (which hides the certificate): for
    /// the hello that offers TLS 1.3 with no key share.
    CertificateOrTls13,
}

/// What a legacy hello got back: the server's choices and its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFlight {
    /// The version the server chose, e.g. 0x0301 for TLS 1.0.
    pub version: u16,
    /// The suite the server chose, e.g. 0x0035.
    pub cipher_suite: u16,
    /// DER certificates, leaf first, as presented.
    pub chain: Vec<Vec<u8>>,
}

/// Collects the server's flight from bytes fed in any chunks.
#[derive(Debug)]
pub struct FlightReader {
    reassembler: Reassembler,
    goal: Goal,
    hello: Option<(u16, u16)>,
    chain: Option<Vec<Vec<u8>>>,
    /// The suite of a TLS 1.3 answer ([`Goal::CertificateOrTls13`] only).
    tls13: Option<u16>,
}

impl FlightReader {
    /// A reader with the default [`Limits`].
    pub fn new(goal: Goal) -> Self {
        Self::with_limits(goal, Limits::default())
    }

    /// A reader with other limits, e.g. a larger byte limit for a known
    /// long chain.
    pub fn with_limits(goal: Goal, limits: Limits) -> Self {
        let mut reassembler = Reassembler::with_limits(limits);
        if goal == Goal::CertificateOrTls13 {
            reassembler.accept_tls13();
        }
        FlightReader {
            reassembler,
            goal,
            hello: None,
            chain: None,
            tls13: None,
        }
    }

    /// True once the goal is reached; no more bytes are needed.
    pub fn is_done(&self) -> bool {
        match self.goal {
            Goal::ServerHello => self.hello.is_some(),
            Goal::Certificate => self.hello.is_some() && self.chain.is_some(),
            Goal::CertificateOrTls13 => {
                self.tls13.is_some() || (self.hello.is_some() && self.chain.is_some())
            }
        }
    }

    /// Feed bytes from the server. `Ok(true)` once the goal is reached;
    /// later bytes are ignored.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<bool, LegacyError> {
        if self.is_done() {
            return Ok(true);
        }
        self.reassembler.push(bytes);
        while let Some(event) = self.reassembler.next_event()? {
            self.on_event(event)?;
            if self.is_done() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn on_event(&mut self, event: Event) -> Result<(), LegacyError> {
        match event {
            // Warnings other than close_notify (typically unrecognized_name
            // before the ServerHello) do not stop a handshake.
            Event::Alert {
                level: 1,
                description,
            } if description != 0 => Ok(()),
            Event::Alert { level, description } => Err(LegacyError::Alert { level, description }),
            Event::ServerHello {
                version,
                cipher_suite,
            } => {
                if self.hello.is_some() {
                    return Err(LegacyError::malformed("a second ServerHello"));
                }
                self.hello = Some((version, cipher_suite));
                Ok(())
            }
            Event::Tls13 {
                hello_retry,
                cipher_suite,
            } => {
                if self.hello.is_some() || self.goal != Goal::CertificateOrTls13 {
                    return Err(LegacyError::Tls13 { hello_retry });
                }
                self.tls13 = Some(cipher_suite);
                Ok(())
            }
            // HelloRequest may come at any time and asks for nothing we do.
            Event::OtherHandshake(0) => Ok(()),
            _ if self.hello.is_none() => Err(LegacyError::malformed(
                "the server's first handshake message was not a ServerHello",
            )),
            Event::Certificate(chain) => {
                if chain.is_empty() {
                    return Err(LegacyError::malformed("empty certificate chain"));
                }
                self.chain = Some(chain);
                Ok(())
            }
            Event::ServerKeyExchange | Event::CertificateRequest | Event::ServerHelloDone => Err(
                LegacyError::malformed("the server sent no Certificate message"),
            ),
            // HelloRequest, CertificateStatus and the like: nothing to us.
            Event::OtherHandshake(_) => Ok(()),
        }
    }

    /// The version and suite from the ServerHello, once seen.
    pub fn server_hello(&self) -> Option<(u16, u16)> {
        self.hello
    }

    /// The suite of the TLS 1.3 ServerHello or HelloRetryRequest, when that
    /// was the answer ([`Goal::CertificateOrTls13`]).
    pub fn tls13_suite(&self) -> Option<u16> {
        self.tls13
    }

    /// The flight, once the goal [`Goal::Certificate`] is reached.
    pub fn into_flight(self) -> Option<ServerFlight> {
        let (version, cipher_suite) = self.hello?;
        Some(ServerFlight {
            version,
            cipher_suite,
            chain: self.chain?,
        })
    }

    /// What it means that the server closed the connection now.
    pub fn end_of_stream(&self) -> LegacyError {
        if self.reassembler.received() == 0 {
            LegacyError::Closed
        } else {
            LegacyError::Truncated
        }
    }

    /// Bytes accepted from the server so far.
    pub fn received(&self) -> usize {
        self.reassembler.received()
    }
}
