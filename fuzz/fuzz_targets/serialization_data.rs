//! Arbitrary bytes as one certificate's `SerializationData` blob into
//! `inventory::read_serialization_data`: the [MS-NRBF] reader (every record
//! type, BinaryArray of every shape, ClassWithId, null runs), the signed
//! `#sig#` envelope and the serialised-certificate records. The inventory
//! target reaches the same code only through XML and base64; this one
//! feeds it directly.
//!
//! Beyond "no panic": the same bytes inside a correct signed envelope read
//! exactly when the bare stream ends where the envelope says (it cannot
//! accept what the bare reader refuses).
#![no_main]

use excert::inventory::read_serialization_data;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bare = read_serialization_data(data);
    let Ok(n) = u32::try_from(data.len()) else {
        return;
    };
    let mut signed = b"#sig#".to_vec();
    signed.extend(n.to_le_bytes());
    signed.extend(data);
    signed.extend([0u8; 32]);
    let wrapped = read_serialization_data(&signed);
    if bare.is_err() {
        assert!(wrapped.is_err(), "the envelope made a refused stream readable");
    }
    let _ = wrapped;
    // A signed blob one byte short (of its signature) never reads.
    signed.pop();
    assert!(read_serialization_data(&signed).is_err());
});
