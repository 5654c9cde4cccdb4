//! Reassembly under hostile chunking and hostile bytes: a real captured
//! flight fed in awkward pieces, and broken flights that must each end in a
//! clear error, never a panic or an unbounded buffer.

use tls_parser::{Serialize, TlsMessageHandshake, TlsServerHelloContents};

use super::flight::{FlightReader, Goal, ServerFlight};
use super::reassembly::{Event, Limits, Reassembler};
use super::LegacyError;

/// A real TLS 1.2 flight from `openssl s_server -max_send_frag 512` with a
/// root -> intermediate -> leaf chain, as our hello got it: ServerHello,
/// Certificate over several 512-byte records, and what followed in the same
/// reads. Captured by tests/it/probe/legacy_tls.rs with EXCERT_WRITE_FIXTURES=1.
const CAPTURED: &[u8] = include_bytes!("../../../fixtures/legacy/flight-tls12-frag512.bin");
/// The three DER certificates of that chain, concatenated.
const CAPTURED_CHAIN: &[u8] =
    include_bytes!("../../../fixtures/legacy/flight-tls12-frag512.chain.der");

fn record(content_type: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

/// Handshake bytes cut into records of at most `size` bytes.
fn fragmented(handshake: &[u8], size: usize) -> Vec<u8> {
    handshake.chunks(size).flat_map(|c| record(22, c)).collect()
}

fn server_hello_with(random: &[u8; 32], ext: Option<&[u8]>) -> Vec<u8> {
    TlsMessageHandshake::ServerHello(TlsServerHelloContents::new(
        0x0303, random, None, 0x0035, 0, ext,
    ))
    .serialize()
    .unwrap()
}

fn server_hello() -> Vec<u8> {
    server_hello_with(&[7; 32], None)
}

fn u24(n: usize) -> [u8; 3] {
    let b = (n as u32).to_be_bytes();
    [b[1], b[2], b[3]]
}

fn certificate(chain: &[Vec<u8>]) -> Vec<u8> {
    let list: Vec<u8> = chain
        .iter()
        .flat_map(|c| u24(c.len()).into_iter().chain(c.iter().copied()))
        .collect();
    let mut body = u24(list.len()).to_vec();
    body.extend(list);
    let mut m = vec![11];
    m.extend(u24(body.len()));
    m.extend(body);
    m
}

const DONE: [u8; 4] = [14, 0, 0, 0];

fn fake_chain() -> Vec<Vec<u8>> {
    vec![vec![0x30; 900], vec![0x31; 700], vec![0x32; 600]]
}

fn synthetic_flight() -> Vec<u8> {
    let mut hs = server_hello();
    hs.extend(certificate(&fake_chain()));
    hs.extend(DONE);
    fragmented(&hs, 300)
}

fn feed_in_chunks(bytes: &[u8], chunk: usize) -> Result<Option<ServerFlight>, LegacyError> {
    let mut reader = FlightReader::new(Goal::Certificate);
    for piece in bytes.chunks(chunk.max(1)) {
        if reader.feed(piece)? {
            return Ok(reader.into_flight());
        }
    }
    Ok(None)
}

/// Feed everything, then say what EOF would mean.
fn outcome(bytes: &[u8], chunk: usize) -> Result<ServerFlight, LegacyError> {
    let mut reader = FlightReader::new(Goal::Certificate);
    for piece in bytes.chunks(chunk.max(1)) {
        if reader.feed(piece)? {
            return reader.into_flight().ok_or(LegacyError::Truncated);
        }
    }
    Err(reader.end_of_stream())
}

fn captured_chain() -> Vec<Vec<u8>> {
    // Split the concatenated DER by each certificate's own SEQUENCE length
    // (all are over 256 bytes, so the length takes two bytes).
    let mut rest = CAPTURED_CHAIN;
    let mut out = Vec::new();
    while rest.len() >= 4 {
        let len = 4 + usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        out.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    out
}

#[test]
fn captured_flight_in_any_chunking_gives_the_same_chain() {
    let whole = feed_in_chunks(CAPTURED, CAPTURED.len()).unwrap().unwrap();
    assert_eq!(whole.version, 0x0303);
    assert_eq!(
        super::suite_name(whole.cipher_suite),
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
    );
    assert_eq!(whole.chain, captured_chain());
    assert_eq!(whole.chain.len(), 3);
    for chunk in [1, 2, 5, 7, 13, 511, 512, 513, 4099] {
        assert_eq!(
            feed_in_chunks(CAPTURED, chunk).unwrap().as_ref(),
            Some(&whole),
            "chunk size {chunk}"
        );
    }
}

#[test]
fn reassembler_yields_messages_in_order() {
    let mut r = Reassembler::new();
    let mut events = Vec::new();
    for b in synthetic_flight() {
        r.push(&[b]);
        while let Some(e) = r.next_event().unwrap() {
            events.push(e);
        }
    }
    assert_eq!(
        events,
        vec![
            Event::ServerHello {
                version: 0x0303,
                cipher_suite: 0x0035
            },
            Event::Certificate(fake_chain()),
            Event::ServerHelloDone,
        ]
    );
    assert!(r.is_idle());
}

#[test]
fn every_truncation_is_truncated_not_a_chain_or_a_panic() {
    let flight = synthetic_flight();
    // The flight is complete once the Certificate is; cut anywhere before.
    let cert_end = flight.len() - 9;
    for cut in 0..cert_end {
        let err = outcome(&flight[..cut], 13).unwrap_err();
        let want = if cut == 0 {
            LegacyError::Closed
        } else {
            LegacyError::Truncated
        };
        assert_eq!(err, want, "cut at {cut}");
    }
}

#[test]
fn lying_certificate_lengths_are_malformed() {
    let mut hs = server_hello();
    let mut cert = certificate(&fake_chain());
    // The first certificate claims one byte more than there is.
    cert[9] = cert[9].wrapping_add(1);
    hs.extend(cert);
    let err = outcome(&fragmented(&hs, 1000), 64).unwrap_err();
    assert!(matches!(err, LegacyError::Malformed(_)), "{err:?}");
    assert_eq!(err.status(), crate::model::Status::HandshakeFailed);

    // A certificate list shorter than the message that carries it.
    let mut hs = server_hello();
    let mut cert = certificate(&fake_chain());
    cert[6] = cert[6].wrapping_sub(1);
    hs.extend(cert);
    let err = outcome(&fragmented(&hs, 1000), 64).unwrap_err();
    assert!(matches!(err, LegacyError::Malformed(_)), "{err:?}");
}

#[test]
fn sixteen_megabyte_declarations_fail_before_the_bytes_arrive() {
    // A handshake message claiming 16 MB: refused on its 4-byte header.
    let mut hs = server_hello();
    hs.extend([11, 0xff, 0xff, 0xff]);
    let mut r = FlightReader::new(Goal::Certificate);
    let err = r.feed(&fragmented(&hs, 1000)).unwrap_err();
    assert_eq!(err, LegacyError::TooLarge { limit: 256 * 1024 });
    assert!(err.to_string().contains("256 KiB"), "{err}");

    // A record header over the TLS maximum: refused on its 5 bytes.
    let mut r = FlightReader::new(Goal::Certificate);
    let err = r.feed(&[22, 3, 3, 0xff, 0xff]).unwrap_err();
    assert_eq!(
        err,
        LegacyError::RecordTooLong {
            declared: 0xffff,
            limit: super::MAX_RECORD_LEN
        }
    );
}

#[test]
fn huge_chain_is_too_large_and_buffers_stay_bounded() {
    // About 1 MB: 100 certificates of 10 000 bytes.
    let chain: Vec<Vec<u8>> = (0..100).map(|i| vec![i as u8; 10_000]).collect();
    let mut hs = server_hello();
    hs.extend(certificate(&chain));
    let err = outcome(&fragmented(&hs, 16384), 16384).unwrap_err();
    assert_eq!(err, LegacyError::TooLarge { limit: 256 * 1024 });

    // A bigger limit reads it.
    let limits = Limits {
        max_bytes: 2 * 1024 * 1024,
        max_records: 4096,
    };
    let mut reader = FlightReader::with_limits(Goal::Certificate, limits);
    assert!(reader.feed(&fragmented(&hs, 16384)).unwrap());
    assert_eq!(reader.into_flight().unwrap().chain.len(), 100);
}

#[test]
fn flood_of_tiny_records_hits_the_record_limit() {
    let mut hs = server_hello();
    hs.extend(certificate(&[vec![0x30; 60_000]]));
    let err = outcome(&fragmented(&hs, 1), 4096).unwrap_err();
    assert_eq!(err, LegacyError::TooManyRecords { limit: 4096 });
}

#[test]
fn bytes_past_the_limit_do_not_spoil_a_complete_flight() {
    let limits = Limits {
        max_bytes: synthetic_flight().len() + 10,
        max_records: 100,
    };
    let mut bytes = synthetic_flight();
    bytes.extend(vec![0xee; 5000]);
    let mut reader = FlightReader::with_limits(Goal::Certificate, limits);
    assert!(reader.feed(&bytes).unwrap());
    assert_eq!(reader.into_flight().unwrap().chain, fake_chain());
}

#[test]
fn alert_in_the_middle_of_the_certificate_is_reported() {
    let mut hs = server_hello();
    let cert = certificate(&fake_chain());
    hs.extend(&cert[..cert.len() / 2]);
    let mut bytes = fragmented(&hs, 400);
    bytes.extend(record(21, &[2, 40]));
    for chunk in [1, 7, 4099] {
        let err = outcome(&bytes, chunk).unwrap_err();
        assert_eq!(
            err,
            LegacyError::Alert {
                level: 2,
                description: 40
            }
        );
        assert_eq!(
            err.to_string(),
            "server sent fatal alert handshake_failure (40)"
        );
    }
}

#[test]
fn hello_request_before_the_hello_is_ignored() {
    let mut bytes = record(22, &[0, 0, 0, 0]);
    bytes.extend(synthetic_flight());
    assert_eq!(outcome(&bytes, 5).unwrap().chain, fake_chain());
}

#[test]
fn warning_before_the_hello_is_ignored() {
    // Some servers warn unrecognized_name before answering.
    let mut bytes = record(21, &[1, 112]);
    bytes.extend(synthetic_flight());
    assert_eq!(outcome(&bytes, 7).unwrap().chain, fake_chain());
}

#[test]
fn http_and_junk_are_not_tls() {
    let err = outcome(b"HTTP/1.1 400 Bad Request\r\n\r\n", 3).unwrap_err();
    assert_eq!(
        err,
        LegacyError::NotTls {
            first_bytes: "HTT".into()
        }
    );
    assert_eq!(err.status(), crate::model::Status::NotTls);
    let err = outcome(b"SSH-2.0-OpenSSH_9.6\r\n", 64).unwrap_err();
    assert!(err.to_string().contains("SSH-2.0"), "{err}");
    // A handshake type byte but not TLS's version byte.
    let err = outcome(&[22, 0x48, 0x54, 0x54, 0x50], 64).unwrap_err();
    assert!(matches!(err, LegacyError::NotTls { .. }), "{err:?}");
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn random_bytes_and_mutated_flights_never_panic() {
    let mut rng = Lcg(42);
    for round in 0..2000 {
        let mut bytes = if round % 2 == 0 {
            CAPTURED.to_vec()
        } else {
            (0..(rng.next() % 3000)).map(|_| rng.next() as u8).collect()
        };
        // Flip a few bytes, some in the headers at the front.
        for _ in 0..(rng.next() % 8) {
            if bytes.is_empty() {
                break;
            }
            let at = (rng.next() as usize)
                % bytes
                    .len()
                    .min(if round % 3 == 0 { 64 } else { usize::MAX });
            bytes[at] = rng.next() as u8;
        }
        let chunk = 1 + (rng.next() as usize % 600);
        // Any outcome is fine, as long as it is an outcome, and the same
        // one however the peer chunks its bytes.
        let chunked = outcome(&bytes, chunk);
        let whole = outcome(&bytes, bytes.len());
        match (&chunked, &whole) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(a), Err(b)) => assert_eq!(
                std::mem::discriminant(a),
                std::mem::discriminant(b),
                "{a:?} vs {b:?}"
            ),
            _ => panic!("chunking changed the outcome: {chunked:?} vs {whole:?}"),
        }
        let mut r = Reassembler::with_limits(Limits {
            max_bytes: 4096,
            max_records: 64,
        });
        for piece in bytes.chunks(chunk) {
            r.push(piece);
            while let Ok(Some(_)) = r.next_event() {}
        }
        assert!(r.received() <= 4096);
    }
}

#[test]
fn tls13_answers_are_named() {
    // supported_versions = TLS 1.3 in a ServerHello.
    let ext = [0x00, 0x2b, 0x00, 0x02, 0x03, 0x04];
    let hello = server_hello_with(&[9; 32], Some(&ext));
    let err = outcome(&record(22, &hello), 64).unwrap_err();
    assert_eq!(err, LegacyError::Tls13 { hello_retry: false });
    assert!(err.to_string().contains("TLSv1.3"), "{err}");

    // The HelloRetryRequest random.
    let hrr_random = [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8,
        0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
        0x33, 0x9c,
    ];
    let hello = server_hello_with(&hrr_random, Some(&ext));
    let err = outcome(&record(22, &hello), 64).unwrap_err();
    assert_eq!(err, LegacyError::Tls13 { hello_retry: true });
    assert!(err.to_string().contains("HelloRetryRequest"), "{err}");
}

#[test]
fn out_of_order_and_empty_flights_are_malformed() {
    // Certificate before ServerHello.
    let err = outcome(&record(22, &certificate(&fake_chain())), 64).unwrap_err();
    assert!(matches!(err, LegacyError::Malformed(_)), "{err:?}");
    // ServerHelloDone with no Certificate (an anonymous suite).
    let mut hs = server_hello();
    hs.extend(DONE);
    let err = outcome(&record(22, &hs), 64).unwrap_err();
    assert!(err.to_string().contains("no Certificate"), "{err}");
    // An empty chain.
    let mut hs = server_hello();
    hs.extend(certificate(&[]));
    let err = outcome(&record(22, &hs), 64).unwrap_err();
    assert!(err.to_string().contains("empty certificate chain"), "{err}");
    // ChangeCipherSpec before the chain.
    let mut bytes = record(22, &server_hello());
    bytes.extend(record(20, &[1]));
    let err = outcome(&bytes, 64).unwrap_err();
    assert!(err.to_string().contains("ChangeCipherSpec"), "{err}");
}

#[test]
fn errors_stick() {
    let mut r = Reassembler::new();
    r.push(b"GET / HTTP/1.1\r\n");
    let first = r.next_event().unwrap_err();
    r.push(&synthetic_flight());
    assert_eq!(r.next_event().unwrap_err(), first);
}

#[test]
fn server_hello_goal_stops_at_the_hello() {
    let mut reader = FlightReader::new(Goal::ServerHello);
    assert!(reader.feed(&record(22, &server_hello())).unwrap());
    assert_eq!(reader.server_hello(), Some((0x0303, 0x0035)));
}

#[test]
fn refusals_are_told_apart_from_breakage() {
    let alert = |d| LegacyError::Alert {
        level: 2,
        description: d,
    };
    assert!(alert(70).is_refusal());
    assert!(alert(40).is_refusal());
    assert!(LegacyError::Closed.is_refusal());
    assert!(LegacyError::Io {
        kind: std::io::ErrorKind::ConnectionReset,
        message: "reset".into()
    }
    .is_refusal());
    assert!(!alert(80).is_refusal());
    assert!(!LegacyError::Timeout.is_refusal());
    assert!(!LegacyError::NotTls {
        first_bytes: "x".into()
    }
    .is_refusal());
}
