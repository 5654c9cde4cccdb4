//! Arbitrary server bytes, in arbitrary chunkings, into the legacy probe's
//! reassembly. Checks more than "no panic":
//!
//! - the byte limit holds, whatever arrives;
//! - an error sticks: asked again, the reassembler says the same;
//! - the outcome does not depend on how the bytes were chunked (the same
//!   flight, or the same kind of error), since a TCP peer chooses the
//!   chunking and must not be able to change the answer with it.
#![no_main]

use excert::probe::legacy::{FlightReader, Goal, LegacyError, Limits, Reassembler, ServerFlight};
use libfuzzer_sys::fuzz_target;

/// The first 4 input bytes choose a cycle of chunk sizes; the rest is what
/// the server sent.
fn split(data: &[u8]) -> Option<([usize; 4], &[u8])> {
    let (head, body) = (data.get(..4)?, data.get(4..)?);
    let sizes = [
        usize::from(head[0]) + 1,
        usize::from(head[1]) * 16 + 1,
        usize::from(head[2] % 8) + 1,
        usize::from(head[3]) * 64 + 1,
    ];
    Some((sizes, body))
}

fn chunks<'a>(body: &'a [u8], sizes: [usize; 4]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = body;
    let mut i = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let n = sizes[i % 4].min(rest.len());
        i += 1;
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        Some(piece)
    })
}

fn flight<'a>(
    pieces: impl Iterator<Item = &'a [u8]>,
    goal: Goal,
) -> Result<Option<ServerFlight>, LegacyError> {
    let mut reader = FlightReader::new(goal);
    for piece in pieces {
        if reader.feed(piece)? {
            if goal == Goal::Certificate {
                let f = reader.into_flight().expect("done means a flight");
                assert!(!f.chain.is_empty());
                return Ok(Some(f));
            }
            assert!(reader.server_hello().is_some());
            return Ok(None);
        }
    }
    Err(reader.end_of_stream())
}

fn same_outcome(
    a: &Result<Option<ServerFlight>, LegacyError>,
    b: &Result<Option<ServerFlight>, LegacyError>,
) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => x == y,
        (Err(x), Err(y)) => std::mem::discriminant(x) == std::mem::discriminant(y),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((sizes, body)) = split(data) else {
        return;
    };

    let limits = Limits {
        max_bytes: 8 * 1024,
        max_records: 64,
    };
    let mut r = Reassembler::with_limits(limits);
    let mut failed = None;
    for piece in chunks(body, sizes) {
        r.push(piece);
        assert!(r.received() <= limits.max_bytes);
        loop {
            match r.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = &failed {
            assert_eq!(r.next_event().as_ref().err(), Some(e));
            break;
        }
    }

    for goal in [Goal::Certificate, Goal::ServerHello] {
        let chunked = flight(chunks(body, sizes), goal);
        let whole = flight(std::iter::once(body), goal);
        assert!(
            same_outcome(&chunked, &whole),
            "chunking changed the outcome: {chunked:?} vs {whole:?}"
        );
    }
});
