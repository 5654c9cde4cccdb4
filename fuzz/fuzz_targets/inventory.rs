//! Arbitrary bytes as an `--inventory` export into
//! `inventory::parse_file`: encoding sniffing, content detection, CLIXML
//! (quick-xml), the [MS-NRBF] reader behind `SerializationData`, the
//! serialised-certificate records inside it, CSV and the culture dates.
//!
//! Beyond "no panic" it checks what the rest of excert relies on:
//! - an error names what was wrong, and a line only where one exists in
//!   the input;
//! - every record read has a server, a 40-digit upper-case thumbprint and
//!   dates scan.json can hold, and survives a JSON round trip unchanged.
#![no_main]

use excert::inventory::parse_file;
use excert::model::Inventory;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_file("fuzz", data) {
        Err(e) => {
            assert!(!e.problem.to_string().is_empty());
            if let Some(line) = e.line {
                assert!(line >= 1 && line <= data.len() + 1, "line {line} of {} bytes", data.len());
            }
        }
        Ok(inv) => {
            for c in &inv.certificates {
                assert!(!c.server.is_empty());
                assert_eq!(c.thumbprint.len(), 40);
                assert!(c
                    .thumbprint
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)));
            }
            let json = serde_json::to_string(&inv).expect("serialises");
            let back: Inventory = serde_json::from_str(&json).expect("reads back");
            assert_eq!(back, inv);
        }
    }
});
