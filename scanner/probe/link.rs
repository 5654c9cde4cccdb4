//! One way into an endpoint's TLS: connect, say the preamble its port needs
//! (nothing for IIS, STARTTLS for mail), and hand over a stream that is
//! ready for a ClientHello. Every probe connection (the rustls attempt,
//! the legacy hello, each hello of the protocol map) opens its own link, so
//! each runs its own dialogue.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

use super::net;
use super::starttls::{self, Preamble, Steps};
use crate::config::ProbeOptions;
use crate::model::{Dialogue, Observation, Status};

/// Why a connection gave no chain, with what the server said before that.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: Status,
    pub message: String,
    pub dialogue: Dialogue,
}

impl Failure {
    pub fn into_observation(self) -> Observation {
        Observation {
            dialogue: self.dialogue,
            ..Observation::failed(self.status, self.message)
        }
    }
}

/// Where to connect, what to say first, and the time allowed.
#[derive(Clone, Copy)]
pub(crate) struct Link<'a> {
    pub addr: SocketAddr,
    pub preamble: Preamble,
    pub opts: &'a ProbeOptions,
    pub deadline: Instant,
}

/// Time left before `deadline`, capped at `step`.
pub(crate) fn budget(step: Duration, deadline: Instant) -> Duration {
    step.min(deadline.saturating_duration_since(Instant::now()))
}

impl Link<'_> {
    /// The time one handshake may take now.
    pub fn handshake_budget(&self) -> Duration {
        budget(self.opts.handshake_timeout, self.deadline)
    }

    /// Whether the TLS on this link follows a STARTTLS.
    pub fn starttls(&self) -> bool {
        self.preamble != Preamble::None
    }

    /// Connect (retrying a connect timeout `retries` times) and run the
    /// preamble.
    pub async fn open(&self, retries: u32) -> Result<(TcpStream, Dialogue), Failure> {
        let mut tcp = net::connect(
            self.addr,
            budget(self.opts.connect_timeout, self.deadline),
            retries,
        )
        .await
        .map_err(|e| Failure {
            status: e.status,
            message: e.message,
            dialogue: Dialogue::default(),
        })?;
        if self.preamble == Preamble::None {
            return Ok((tcp, Dialogue::default()));
        }
        let local = tcp
            .local_addr()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        let steps = Steps {
            step: self.opts.handshake_timeout,
            deadline: self.deadline,
        };
        // Boxed: the dialogue's state is most of an open's size and only a
        // mail port that connected needs it; thousands of connects wait at
        // once in a sweep.
        let (dialogue, outcome) =
            Box::pin(starttls::speak(&mut tcp, self.preamble, local, &steps)).await;
        match outcome {
            Ok(()) => Ok((tcp, dialogue)),
            Err(e) => Err(Failure {
                status: e.status(),
                message: format!("{}: {e}", self.protocol()),
                dialogue,
            }),
        }
    }

    fn protocol(&self) -> &'static str {
        match self.preamble {
            Preamble::None => "TLS",
            Preamble::Smtp => "SMTP",
            Preamble::Imap => "IMAP",
            Preamble::Pop => "POP3",
        }
    }
}
