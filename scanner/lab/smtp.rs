//! An Exchange-like SMTP responder for the lab: Exchange's greeting and
//! EHLO lines, and the ways a transport port goes wrong (a slow greeting,
//! no STARTTLS, `454` on STARTTLS, TLS 1.0 only after STARTTLS).
//!
//! It speaks just the commands a scanner should send (EHLO, HELO,
//! STARTTLS, NOOP, RSET, QUIT), answers anything else with Exchange's
//! `500 5.3.3`, and logs every command line it receives, so tests can check
//! that excert never sends MAIL FROM or AUTH.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use super::certs::Served;

/// What happens at STARTTLS.
#[derive(Clone)]
pub enum Starttls {
    /// Advertised; TLS 1.2/1.3 with this chain (rustls).
    Tls(Served),
    /// Advertised; after `220` the connection is relayed to the TLS server
    /// at this address, e.g. `openssl s_server -tls1`: Exchange 2010 on
    /// Windows 2008 R2 speaks only TLS 1.0, which rustls cannot serve.
    Relay(SocketAddr),
    /// Not advertised; the command gets `500 5.3.3`.
    NotOffered,
    /// Advertised, but the command gets `454 4.7.0` (no usable certificate).
    Refuse454,
    /// Advertised; TLS 1.2 only with this chain, as Schannel serves it on
    /// a build without TLS 1.3 support.
    Tls12(Served),
}

/// Every command line the responder received, in order.
pub type CommandLog = Arc<Mutex<Vec<String>>>;

/// Most command lines kept in a [`CommandLog`].
const LOG_LIMIT: usize = 10_000;
/// Longest command line read; longer ones end the session.
const MAX_COMMAND: usize = 4096;

/// One SMTP port.
#[derive(Clone)]
pub struct SmtpSpec {
    /// The greeting, one string per line, without the `220 `/`220-` prefix.
    pub greeting: Vec<String>,
    /// How long to wait before greeting (Exchange's tarpit).
    pub greeting_delay: Duration,
    /// The name in the EHLO reply.
    pub host: String,
    /// What happens on STARTTLS.
    pub starttls: Starttls,
    /// Every command line the server received, for tests to check.
    pub log: CommandLog,
}

/// The extensions Exchange 2016/2019's Default Frontend connector
/// advertises on 25, STARTTLS and X-ANONYMOUSTLS included.
const EXCHANGE_EHLO: [&str; 13] = [
    "SIZE 37748736",
    "PIPELINING",
    "DSN",
    "ENHANCEDSTATUSCODES",
    "STARTTLS",
    "X-ANONYMOUSTLS",
    "AUTH NTLM",
    "X-EXPS GSSAPI NTLM",
    "8BITMIME",
    "BINARYMIME",
    "CHUNKING",
    "SMTPUTF8",
    "XRDST",
];

impl SmtpSpec {
    /// Exchange's default greeting for `host` (e.g. `EX01.contoso.lab`).
    pub fn exchange(host: &str, starttls: Starttls) -> SmtpSpec {
        SmtpSpec {
            greeting: vec![format!(
                "{host} Microsoft ESMTP MAIL Service ready at Sun, 29 Nov 2026 14:00:00 +0000"
            )],
            greeting_delay: Duration::ZERO,
            host: host.to_string(),
            starttls,
            log: CommandLog::default(),
        }
    }

    /// The same, greeting only after `delay`.
    pub fn slow(mut self, delay: Duration) -> SmtpSpec {
        self.greeting_delay = delay;
        self
    }

    /// The same with other greeting lines (hostile-banner tests).
    pub fn with_greeting(mut self, lines: Vec<String>) -> SmtpSpec {
        self.greeting = lines;
        self
    }

    fn ehlo_reply(&self) -> String {
        let mut lines = vec![format!("{} Hello [127.0.0.1]", self.host)];
        lines.extend(
            EXCHANGE_EHLO
                .iter()
                .filter(|e| **e != "STARTTLS" || !matches!(self.starttls, Starttls::NotOffered))
                .map(|e| e.to_string()),
        );
        reply(250, &lines)
    }
}

/// `lines` as one SMTP reply: `250-a`, `250-b`, `250 c`.
fn reply(code: u16, lines: &[String]) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let sep = if i + 1 == lines.len() { ' ' } else { '-' };
        out.push_str(&format!("{code}{sep}{line}\r\n"));
    }
    out
}

/// A responder ready to serve: the TLS acceptor is built once.
pub(crate) struct Prepared {
    spec: SmtpSpec,
    acceptor: Option<TlsAcceptor>,
}

pub(crate) fn prepare(spec: &SmtpSpec, acceptor: Option<TlsAcceptor>) -> Prepared {
    Prepared {
        spec: spec.clone(),
        acceptor,
    }
}

impl Prepared {
    fn log(&self, line: &str) {
        if let Ok(mut log) = self.spec.log.lock() {
            if log.len() < LOG_LIMIT {
                log.push(line.to_string());
            }
        }
    }
}

/// One SMTP session, until QUIT, close, or TLS.
pub(crate) async fn session(p: &Prepared, stream: TcpStream) {
    let spec = &p.spec;
    tokio::time::sleep(spec.greeting_delay).await;
    let mut stream = BufReader::new(stream);
    if stream
        .get_mut()
        .write_all(reply(220, &spec.greeting).as_bytes())
        .await
        .is_err()
    {
        return;
    }
    loop {
        let mut line = Vec::new();
        let mut limited = (&mut stream).take(MAX_COMMAND as u64);
        match limited.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        p.log(&text);
        let verb = text
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let answer = match answer(spec, &verb) {
            Next::Reply(answer) => answer,
            Next::Quit => {
                let w = stream.get_mut();
                let _ = w
                    .write_all(b"221 2.0.0 Service closing transmission channel\r\n")
                    .await;
                return;
            }
            Next::StartTls => {
                // The client sends its ClientHello only after our 220,
                // so nothing of it is in the read buffer yet.
                let mut tcp = stream.into_inner();
                if tcp
                    .write_all(b"220 2.0.0 SMTP server ready\r\n")
                    .await
                    .is_ok()
                {
                    tls(p, tcp).await;
                }
                return;
            }
        };
        if stream.get_mut().write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// What the lab does with one command.
enum Next {
    /// Send this and read the next command.
    Reply(String),
    /// Say goodbye and close.
    Quit,
    /// Say 220 and start TLS.
    StartTls,
}

/// The lab's answer to a command verb (upper case).
fn answer(spec: &SmtpSpec, verb: &str) -> Next {
    match verb {
        "EHLO" => Next::Reply(spec.ehlo_reply()),
        "HELO" => Next::Reply(format!("250 {} Hello [127.0.0.1]\r\n", spec.host)),
        "NOOP" | "RSET" => Next::Reply("250 2.0.0 OK\r\n".to_string()),
        "QUIT" => Next::Quit,
        "STARTTLS" => match &spec.starttls {
            Starttls::NotOffered => Next::Reply(unrecognized(verb)),
            Starttls::Refuse454 => {
                Next::Reply("454 4.7.0 TLS not available due to temporary reason\r\n".into())
            }
            Starttls::Tls(_) | Starttls::Tls12(_) | Starttls::Relay(_) => Next::StartTls,
        },
        _ => Next::Reply(unrecognized(verb)),
    }
}

fn unrecognized(verb: &str) -> String {
    let shown: String = verb
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(32)
        .collect();
    format!("500 5.3.3 Unrecognized command '{shown}'\r\n")
}

/// The TLS part, after `220` to STARTTLS.
async fn tls(p: &Prepared, mut tcp: TcpStream) {
    match (&p.spec.starttls, &p.acceptor) {
        (Starttls::Tls(_) | Starttls::Tls12(_), Some(acceptor)) => {
            if let Ok(mut tls) = acceptor.accept(tcp).await {
                // The scanner closes after the handshake; wait for that.
                let mut buf = [0u8; 512];
                let _ = tls.read(&mut buf).await;
            }
        }
        (Starttls::Relay(addr), _) => {
            if let Ok(mut upstream) = TcpStream::connect(addr).await {
                let _ = tokio::io::copy_bidirectional(&mut tcp, &mut upstream).await;
            }
        }
        _ => {}
    }
}
