//! Turns the bytes a server sends into the handshake messages we need,
//! whatever the chunking. Pure and synchronous, so it can be tested and
//! fuzzed without a socket.
//!
//! Two layers are reassembled here: records split across reads, and
//! handshake messages split across records (a 3-certificate chain behind a
//! 512-byte fragment limit spans a dozen records). tls-parser reads the
//! record headers and the messages; this module only frames them and keeps
//! every buffer bounded.

use tls_parser::{
    parse_tls_message_handshake, parse_tls_record_header, parse_tls_server_hello_extensions,
    TlsExtension, TlsHandshakeType, TlsMessage, TlsMessageHandshake, TlsRecordType,
    TlsServerHelloContents,
};

use super::error::{printable_prefix, LegacyError};
use super::iana::version_name;

/// The longest record a TLS 1.0-1.2 peer may send: 2^14 bytes of plaintext
/// plus 2048 of expansion (RFC 5246 6.2.3). A longer declared length is an
/// error as soon as the header arrives, so a hostile "16 MB" header costs
/// nothing.
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;

/// The random a TLS 1.3 server puts in a ServerHello that is really a
/// HelloRetryRequest (RFC 8446 4.1.3): SHA-256 of "HelloRetryRequest".
const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

// Record and handshake type numbers, from tls-parser's IANA tables.
const RECORD_CHANGE_CIPHER_SPEC: u8 = TlsRecordType::ChangeCipherSpec.0;
const RECORD_ALERT: u8 = TlsRecordType::Alert.0;
const RECORD_HANDSHAKE: u8 = TlsRecordType::Handshake.0;
const RECORD_APPLICATION_DATA: u8 = TlsRecordType::ApplicationData.0;

const HS_SERVER_HELLO: u8 = TlsHandshakeType::ServerHello.0;
const HS_HELLO_RETRY_REQUEST: u8 = TlsHandshakeType::HelloRetryRequest.0;
const HS_CERTIFICATE: u8 = TlsHandshakeType::Certificate.0;
const HS_SERVER_KEY_EXCHANGE: u8 = TlsHandshakeType::ServerKeyExchange.0;
const HS_CERTIFICATE_REQUEST: u8 = TlsHandshakeType::CertificateRequest.0;
const HS_SERVER_HELLO_DONE: u8 = TlsHandshakeType::ServerDone.0;

/// How much a server may send before we give up on it.
///
/// The default byte limit is 256 KiB. A real Exchange chain is 3-10 KiB
/// (rustls itself refuses handshake messages over 64 KiB), and at the
/// default concurrency of 256 the limit keeps even a fleet of hostile
/// servers under 64 MiB of buffers. A server that sends more, such as a
/// 100-certificate 1 MB chain, gets [`LegacyError::TooLarge`], which says
/// exactly that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Total bytes accepted from the server.
    pub max_bytes: usize,
    /// Total records accepted from the server; stops an endless trickle of
    /// tiny records long before the byte limit would.
    pub max_records: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 256 * 1024,
            max_records: 4096,
        }
    }
}

/// One thing the server said, in the order it said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The version and suite the server chose (never TLS 1.3: that is an
    /// error).
    ServerHello {
        /// The version chosen, e.g. 0x0303 for TLS 1.2.
        version: u16,
        /// The suite chosen, e.g. 0x0035.
        cipher_suite: u16,
    },
    /// The chain as DER, leaf first, as presented.
    Certificate(Vec<Vec<u8>>),
    /// A TLS 1.3 ServerHello or HelloRetryRequest, only when the
    /// reassembler was told to [`accept_tls13`](Reassembler::accept_tls13)
    /// (otherwise it is the error [`LegacyError::Tls13`]).
    Tls13 {
        /// True for a HelloRetryRequest, false for a ServerHello.
        hello_retry: bool,
        /// The suite the server chose, e.g. 0x1301.
        cipher_suite: u16,
    },
    /// A ServerKeyExchange: the server signed its key share (not read).
    ServerKeyExchange,
    /// The server asked for a client certificate (not read).
    CertificateRequest,
    /// ServerHelloDone: the server's flight is complete.
    ServerHelloDone,
    /// Any other handshake message, by its type number. Its contents are
    /// not read.
    OtherHandshake(u8),
    /// An alert; the caller decides whether it is fatal for its purpose.
    Alert {
        /// 1 = warning, 2 = fatal.
        level: u8,
        /// IANA alert number, e.g. 40 for handshake_failure.
        description: u8,
    },
}

/// Splits the server's byte stream into records and handshake messages.
///
/// Feed bytes with [`push`](Self::push) in whatever chunks the socket gives,
/// then drain [`next_event`](Self::next_event) until it returns `Ok(None)`.
/// After the first error every call returns that same error.
#[derive(Debug)]
pub struct Reassembler {
    limits: Limits,
    /// Bytes not yet split into records: at most one partial record plus
    /// the last chunk pushed.
    raw: Vec<u8>,
    /// Handshake bytes from records, not yet a whole message.
    handshake: Vec<u8>,
    /// Alert bytes from records, not yet a whole alert.
    alert: Vec<u8>,
    received: usize,
    records: usize,
    /// The server sent more than `limits.max_bytes`; the excess was dropped.
    over_budget: bool,
    /// A TLS 1.3 answer is an [`Event::Tls13`], not an error.
    tls13: bool,
    failed: Option<LegacyError>,
}

impl Default for Reassembler {
    fn default() -> Self {
        Self::new()
    }
}

impl Reassembler {
    /// A reassembler with the default [`Limits`].
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// A reassembler with other limits.
    pub fn with_limits(limits: Limits) -> Self {
        Reassembler {
            limits,
            raw: Vec::new(),
            handshake: Vec::new(),
            alert: Vec::new(),
            received: 0,
            records: 0,
            over_budget: false,
            tls13: false,
            failed: None,
        }
    }

    /// Report a TLS 1.3 answer as [`Event::Tls13`]: for a hello that
    /// offered TLS 1.3 and wants to know the server's choice.
    pub fn accept_tls13(&mut self) {
        self.tls13 = true;
    }

    /// Add bytes from the server. Bytes past the byte limit are dropped and
    /// turn into [`LegacyError::TooLarge`] once the events before them are
    /// drained, so a flight that completes inside the limit still succeeds.
    pub fn push(&mut self, bytes: &[u8]) {
        let room = self.limits.max_bytes.saturating_sub(self.received);
        let take = bytes.len().min(room);
        if take < bytes.len() {
            self.over_budget = true;
        }
        if let Some(accepted) = bytes.get(..take) {
            self.raw.extend_from_slice(accepted);
            self.received += take;
        }
    }

    /// Bytes accepted so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// True when no partial record, message or alert is buffered, i.e. the
    /// stream is at a clean boundary.
    pub fn is_idle(&self) -> bool {
        self.raw.is_empty() && self.handshake.is_empty() && self.alert.is_empty()
    }

    /// The next complete event, `Ok(None)` when more bytes are needed.
    pub fn next_event(&mut self) -> Result<Option<Event>, LegacyError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.step();
        if let Err(e) = &result {
            self.failed = Some(e.clone());
            // Nothing buffered is needed any more.
            self.raw = Vec::new();
            self.handshake = Vec::new();
            self.alert = Vec::new();
        }
        result
    }

    fn step(&mut self) -> Result<Option<Event>, LegacyError> {
        loop {
            if let Some(event) = self.take_alert() {
                return Ok(Some(event));
            }
            if let Some(event) = self.take_handshake_message()? {
                return Ok(Some(event));
            }
            if !self.take_record()? {
                if self.over_budget {
                    return Err(LegacyError::TooLarge {
                        limit: self.limits.max_bytes,
                    });
                }
                return Ok(None);
            }
        }
    }

    fn take_alert(&mut self) -> Option<Event> {
        let (&level, &description) = (self.alert.first()?, self.alert.get(1)?);
        self.alert.drain(..2);
        Some(Event::Alert { level, description })
    }

    /// Moves one complete record from `raw` into the handshake or alert
    /// buffer. False when no complete record is buffered yet.
    fn take_record(&mut self) -> Result<bool, LegacyError> {
        let Some(&content_type) = self.raw.first() else {
            return Ok(false);
        };
        let first = self.records == 0;
        // Judge the very first bytes as early as possible, so an HTTP server
        // or a banner gets `not_tls` even if it then goes quiet.
        if first && !matches!(content_type, RECORD_HANDSHAKE | RECORD_ALERT) {
            return Err(self.not_tls());
        }
        if let Some(&major) = self.raw.get(1) {
            if major != 3 {
                return Err(if first {
                    self.not_tls()
                } else {
                    LegacyError::malformed(format!(
                        "record with version {major}.x in the middle of the handshake"
                    ))
                });
            }
        }
        let Ok((_, header)) = parse_tls_record_header(&self.raw) else {
            // Fewer than 5 bytes so far.
            return Ok(false);
        };
        let len = usize::from(header.len);
        if len > MAX_RECORD_LEN {
            return Err(LegacyError::RecordTooLong {
                declared: len,
                limit: MAX_RECORD_LEN,
            });
        }
        let Some(body) = self.raw.get(5..5 + len) else {
            return Ok(false);
        };
        self.records += 1;
        if self.records > self.limits.max_records {
            return Err(LegacyError::TooManyRecords {
                limit: self.limits.max_records,
            });
        }
        match content_type {
            RECORD_HANDSHAKE => self.handshake.extend_from_slice(body),
            RECORD_ALERT => self.alert.extend_from_slice(body),
            RECORD_CHANGE_CIPHER_SPEC => {
                return Err(LegacyError::malformed(
                    "ChangeCipherSpec before the server's certificate",
                ))
            }
            RECORD_APPLICATION_DATA => {
                return Err(LegacyError::malformed(
                    "application data before the handshake finished",
                ))
            }
            other => {
                return Err(LegacyError::malformed(format!(
                    "record of unknown type {other}"
                )))
            }
        }
        self.raw.drain(..5 + len);
        Ok(true)
    }

    fn not_tls(&self) -> LegacyError {
        LegacyError::NotTls {
            first_bytes: printable_prefix(&self.raw),
        }
    }

    /// Parses one complete handshake message off the front of the buffer.
    fn take_handshake_message(&mut self) -> Result<Option<Event>, LegacyError> {
        let (Some(&kind), Some(len)) = (self.handshake.first(), self.handshake.get(1..4)) else {
            return Ok(None);
        };
        let body_len = len
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let total = 4 + body_len;
        // Fail on the declared length, not after buffering it: a message
        // that cannot fit is over the limit however it arrives.
        if total > self.limits.max_bytes {
            return Err(LegacyError::TooLarge {
                limit: self.limits.max_bytes,
            });
        }
        let Some(message) = self.handshake.get(..total) else {
            return Ok(None);
        };
        let event = match kind {
            HS_SERVER_HELLO | HS_HELLO_RETRY_REQUEST | HS_CERTIFICATE => {
                match parse_message(message) {
                    Err(LegacyError::Tls13 { hello_retry }) if self.tls13 => Event::Tls13 {
                        hello_retry,
                        cipher_suite: tls13_suite(message),
                    },
                    other => other?,
                }
            }
            HS_SERVER_KEY_EXCHANGE => Event::ServerKeyExchange,
            HS_CERTIFICATE_REQUEST => Event::CertificateRequest,
            HS_SERVER_HELLO_DONE => Event::ServerHelloDone,
            // The rest is of no use to us; its contents are never read, so
            // a malformed one cannot cost us a chain we already have.
            other => Event::OtherHandshake(other),
        };
        self.handshake.drain(..total);
        Ok(Some(event))
    }
}

/// Reads a ServerHello, HelloRetryRequest or Certificate with tls-parser.
fn parse_message(message: &[u8]) -> Result<Event, LegacyError> {
    let parsed = match parse_tls_message_handshake(message) {
        Ok((_, TlsMessage::Handshake(m))) => m,
        Ok(_) | Err(_) => return Err(unreadable(message)),
    };
    match parsed {
        TlsMessageHandshake::ServerHello(hello) => server_hello(&hello),
        TlsMessageHandshake::ServerHelloV13Draft18(_) => {
            Err(LegacyError::Tls13 { hello_retry: false })
        }
        TlsMessageHandshake::HelloRetryRequest(_) => Err(LegacyError::Tls13 { hello_retry: true }),
        TlsMessageHandshake::Certificate(cert) => {
            let chain: Vec<Vec<u8>> = cert.cert_chain.iter().map(|c| c.data.to_vec()).collect();
            // tls-parser stops quietly at the first entry whose length does
            // not fit; a lying length must not pass for a shorter chain.
            let framed: usize = 4 + 3 + chain.iter().map(|c| 3 + c.len()).sum::<usize>();
            if framed != message.len() {
                return Err(LegacyError::malformed(
                    "Certificate message lengths do not add up",
                ));
            }
            Ok(Event::Certificate(chain))
        }
        _ => Err(unreadable(message)),
    }
}

fn server_hello(hello: &TlsServerHelloContents<'_>) -> Result<Event, LegacyError> {
    if hello.random == HELLO_RETRY_RANDOM {
        return Err(LegacyError::Tls13 { hello_retry: true });
    }
    // A TLS 1.3 ServerHello says 1.2 in its version field and the truth in
    // supported_versions; we never offer 1.3, so its presence alone means
    // the server went its own way.
    if let Some(ext) = hello.ext {
        if let Ok((_, extensions)) = parse_tls_server_hello_extensions(ext) {
            if extensions
                .iter()
                .any(|e| matches!(e, TlsExtension::SupportedVersions(_)))
            {
                return Err(LegacyError::Tls13 { hello_retry: false });
            }
        }
    }
    Ok(Event::ServerHello {
        version: hello.version.0,
        cipher_suite: hello.cipher.0,
    })
}

/// The suite of a TLS 1.3 ServerHello or HelloRetryRequest that
/// [`parse_message`] already read (0 when unknown): after type (1), length (3), version (2),
/// random (32) and the session id echo (1 + its length).
fn tls13_suite(message: &[u8]) -> u16 {
    // A draft-era HelloRetryRequest (type 6) is laid out differently.
    if message.first() != Some(&HS_SERVER_HELLO) {
        return 0;
    }
    let id_len = message.get(38).map_or(0, |&n| usize::from(n));
    match (message.get(39 + id_len), message.get(40 + id_len)) {
        (Some(&hi), Some(&lo)) => u16::from_be_bytes([hi, lo]),
        _ => 0,
    }
}

/// The error for a message tls-parser could not read, naming what it was.
fn unreadable(message: &[u8]) -> LegacyError {
    match message.first() {
        Some(&HS_SERVER_HELLO) => match (message.get(4), message.get(5)) {
            (Some(&hi), Some(&lo)) if !matches!(u16::from_be_bytes([hi, lo]), 0x0300..=0x0303) => {
                LegacyError::malformed(format!(
                    "ServerHello with unsupported version {}",
                    version_name(u16::from_be_bytes([hi, lo]))
                ))
            }
            _ => LegacyError::malformed("unreadable ServerHello"),
        },
        Some(&HS_CERTIFICATE) => LegacyError::malformed("unreadable Certificate message"),
        _ => LegacyError::malformed("unreadable handshake message"),
    }
}
