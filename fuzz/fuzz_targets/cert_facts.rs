//! Arbitrary bytes as a DER certificate into `analyze::cert::facts` (which
//! parses with x509-parser, then reads the key size from the modulus,
//! decodes the SAN, renders the names and classifies), and into
//! `analyze::trust::check_chain` (rustls-webpki, plus the re-check at the
//! validity midpoint when the first failure is a date).
//!
//! Every certificate excert reads came from a server, so beyond "no panic"
//! this checks what the rest of excert relies on:
//!
//! - the facts keep the evidence: `der_base64` is the input, and the
//!   thumbprints are well-formed hex of the right case and length;
//! - unparsable bytes become `Unparsable` with the documented placeholders
//!   (dates = as-of, 0 days left, key size 0), never something half-read;
//! - `days_left` agrees with `not_after`, and both dates are in a range
//!   scan.json can hold;
//! - the facts survive scan.json: they serialise, and read back equal (a
//!   cert that made `excert scan` write a scan.json that `excert report`
//!   cannot read would be a finding).
#![no_main]

use std::sync::OnceLock;

use excert::analyze::cert::{days_between, facts, is_parsed};
use excert::analyze::trust::{check_chain, TrustRoots};
use excert::model::{CertFacts, Classification, Der};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

/// A fixed as-of time, so a run is reproducible: 2026-11-25 00:00 UTC.
fn as_of() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_795_564_800).expect("in range")
}

/// The fixtures' test CA as the only root, so fuzzed certs that name it as
/// issuer get as far as signature checks.
fn roots() -> &'static TrustRoots {
    static ROOTS: OnceLock<TrustRoots> = OnceLock::new();
    ROOTS.get_or_init(|| {
        TrustRoots::from_der([&include_bytes!("../../fixtures/certs/ca.der")[..]])
            .expect("the fixture CA is a usable root")
    })
}

fn is_hex(s: &str, upper: bool) -> bool {
    s.bytes().all(|b| {
        b.is_ascii_digit()
            || if upper {
                (b'A'..=b'F').contains(&b)
            } else {
                (b'a'..=b'f').contains(&b)
            }
    })
}

fn check_facts(data: &[u8], f: &CertFacts) {
    let as_of = as_of();
    assert_eq!(f.der_base64.as_bytes(), data, "facts must keep the evidence");
    assert_eq!(f.sha1.len(), 40);
    assert!(is_hex(&f.sha1, true), "sha1 {:?}", f.sha1);
    assert_eq!(f.sha256.len(), 64);
    assert!(is_hex(&f.sha256, false), "sha256 {:?}", f.sha256);
    assert!(is_hex(&f.serial, true), "serial {:?}", f.serial);

    if f.classification == Classification::Unparsable {
        assert!(!is_parsed(f));
        // Unknown dates are absent, never made up.
        assert_eq!((f.not_before, f.not_after, f.days_left), (None, None, None));
        assert_eq!(f.key.bits, 0);
        assert!(!f.self_issued && !f.self_signed);
    } else {
        assert!(is_parsed(f));
        // Self-signed means self-issued and the signature verifies.
        assert!(!f.self_signed || f.self_issued);
        // Only self-issued certs get an Exchange/self-signed class.
        assert_eq!(
            f.classification == Classification::CaIssued,
            !f.self_issued,
            "{:?} for self_issued={}",
            f.classification,
            f.self_issued
        );
    }
    assert_eq!(f.days_left, f.not_after.map(|t| days_between(as_of, t)));
    for t in [f.not_before, f.not_after].into_iter().flatten() {
        assert!(
            (0..=9999).contains(&t.year()),
            "{t} cannot be written as RFC 3339"
        );
    }

    let json = serde_json::to_vec(f).expect("facts serialise");
    let back: CertFacts = serde_json::from_slice(&json).expect("facts read back");
    assert_eq!(&back, f, "facts changed through JSON");
}

fuzz_target!(|data: &[u8]| {
    let f = facts(data, as_of());
    check_facts(data, &f);

    let chain = [Der::from(data.to_vec())];
    let check = check_chain(&chain, roots(), as_of());
    if check.trust.trusted {
        assert!(check.trust.error.is_none());
        assert!(check.non_date_error.is_none());
        assert!(is_parsed(&f), "webpki trusted what x509-parser could not read");
    } else {
        assert!(check.trust.error.is_some());
    }
});
