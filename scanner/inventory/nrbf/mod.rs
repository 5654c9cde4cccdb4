//! A minimal, bounded reader for .NET binary serialisation ([MS-NRBF]).
//!
//! A remote Exchange Management Shell cannot rebuild an `ExchangeCertificate`
//! on the client, so `Export-Clixml` keeps it as `SerializationData`: the
//! object as `BinaryFormatter` wrote it. We need a few members of it:
//! `CertData` (a byte array, see `certdata.rs`) and the string members
//! such as `Identity`, `Services` and `Status`.
//!
//! Only what an ISerializable class writes is read: the header, class
//! records with their member values, strings, arrays (single, jagged and
//! rectangular BinaryArray, [MS-NRBF] 2.4.3.1, and the single-dimension
//! shortcuts), references, nulls and library records. Method calls
//! (records 21, 22) are refused. Every count is checked against the bytes
//! that remain before anything is allocated, nesting is capped, and member
//! names are shared between the objects of one class (a `ClassWithId`
//! costs a pointer per member, not a copy of its names), so a hostile blob
//! costs at most a small multiple of its own length in memory and time.
//!
//! Since the November 2023 security update Exchange signs what it
//! serialises: the stream comes wrapped as `#sig#`, a little-endian u32
//! length N, N bytes of NRBF, then a 32-byte signature (see [`envelope`]).
//! The signature cannot be checked without the organisation's key, and
//! nothing here needs it; only the envelope's lengths are verified.

mod arrays;

use std::collections::HashMap;
use std::rc::Rc;

/// Deepest nesting of inline objects.
const MAX_DEPTH: usize = 32;
/// Most records read from one blob.
const MAX_RECORDS: usize = 100_000;
/// Most member values kept (a member of primitive type Null takes no
/// bytes, so the input length alone does not bound this).
const MAX_MEMBERS: usize = 100_000;
/// Most array elements walked in one blob: runs of nulls and elements of
/// primitive type Null take (almost) no bytes, so the input length alone
/// does not bound the work either.
const MAX_ELEMENTS: usize = 1_000_000;
/// Highest rank of a BinaryArray (.NET allows 32).
const MAX_RANK: usize = 32;
/// The signed envelope's marker.
const SIGNED: &[u8] = b"#sig#";
/// The signature after the stream.
const SIGNATURE_LEN: usize = 32;

/// Why a `SerializationData` blob cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NrbfError {
    /// The first byte is not the header record.
    #[error("SerializationData does not start with an NRBF header")]
    NoHeader,
    /// A format version other than 1.0.
    #[error("NRBF version {major}.{minor} is not 1.0")]
    Version {
        /// Major version as written.
        major: i32,
        /// Minor version as written.
        minor: i32,
    },
    /// A length that overflows the address space.
    #[error("length overflow")]
    LengthOverflow,
    /// The blob ends inside a record.
    #[error("SerializationData ends at byte {len} inside a record (truncated?)")]
    Truncated {
        /// The blob's length.
        len: usize,
    },
    /// A fixed-size read got fewer bytes (cannot happen after `take`).
    #[error("short read")]
    ShortRead,
    /// A count below zero.
    #[error("negative count {count}")]
    NegativeCount {
        /// The count as written.
        count: i32,
    },
    /// A count of more items than bytes remain.
    #[error("a count of {count} is more than the {left} bytes left (truncated or corrupt)")]
    CountTooLarge {
        /// The count as written.
        count: usize,
        /// Bytes left in the blob.
        left: usize,
    },
    /// A string length past the address space.
    #[error("string too long")]
    StringTooLong,
    /// A string that is not UTF-8.
    #[error("a string is not valid UTF-8")]
    BadUtf8,
    /// A 7-bit length of more than 5 bytes.
    #[error("a string length takes more than 5 bytes")]
    LengthTooLong,
    /// A Char whose first byte starts no UTF-8 sequence.
    #[error("a Char is not UTF-8")]
    BadChar,
    /// A primitive type code [MS-NRBF] does not define.
    #[error("unknown primitive type {code}")]
    UnknownPrimitive {
        /// The code.
        code: u8,
    },
    /// A member type code [MS-NRBF] does not define.
    #[error("unknown member type {code}")]
    UnknownMemberType {
        /// The code.
        code: u8,
    },
    /// More than `MAX_RECORDS` records.
    #[error("SerializationData holds more than {limit} records")]
    TooManyRecords {
        /// The limit.
        limit: usize,
    },
    /// Objects nested deeper than `MAX_DEPTH`.
    #[error("objects nested deeper than {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// ClassWithId naming a class not read before.
    #[error("ClassWithId refers to unknown class {id}")]
    UnknownClass {
        /// The class's object id.
        id: i32,
    },
    /// A BinaryArray whose shape [MS-NRBF] does not define.
    #[error("BinaryArray: {0}")]
    BadArray(&'static str),
    /// More than `MAX_ELEMENTS` array elements.
    #[error("SerializationData holds more than {limit} array elements")]
    TooManyElements {
        /// The limit.
        limit: usize,
    },
    /// The `#sig#` envelope's length does not match the bytes.
    #[error(
        "signed SerializationData: the envelope says {said} bytes of NRBF, \
         but {len} bytes follow the length (expected {said} + a 32-byte signature)"
    )]
    Envelope {
        /// N as written.
        said: u64,
        /// The bytes after the length field.
        len: usize,
    },
    /// The NRBF stream inside `#sig#` ends before its length.
    #[error("signed SerializationData: the NRBF stream ends at byte {end} of {said}")]
    EnvelopeEarlyEnd {
        /// Where MessageEnd was.
        end: usize,
        /// N as written.
        said: usize,
    },
    /// Method calls (21, 22) and codes [MS-NRBF] does not define.
    #[error("unsupported NRBF record type {kind}")]
    UnsupportedRecord {
        /// The record type.
        kind: u8,
    },
    /// More than `MAX_MEMBERS` member values.
    #[error("SerializationData holds more than {limit} members")]
    TooManyMembers {
        /// The limit.
        limit: usize,
    },
}

/// A member value, as far as excert cares.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Bytes(Vec<u8>),
    /// A reference to an object id (a string, array or class elsewhere).
    Ref(i32),
    /// An inline or referenced class instance, by object id.
    Class(i32),
    Null,
    /// Anything else (floats, dates, object arrays): present, not used.
    Other,
}

/// Every member of every class in the stream, with the objects that
/// references point to.
#[derive(Debug, Default)]
pub struct Stream {
    /// `(class object id, member name, value)` in stream order; the names
    /// are shared with the class's metadata.
    pub members: Vec<(i32, Rc<str>, Value)>,
    /// Strings and byte arrays by object id.
    pub objects: HashMap<i32, Value>,
}

impl Stream {
    /// The first member with this name (compared without case and without
    /// the compiler's `<Name>k__BackingField` or `m_` decoration), with
    /// references followed.
    pub fn member(&self, name: &str) -> Option<&Value> {
        self.members
            .iter()
            .find(|(_, n, _)| plain_name(n).eq_ignore_ascii_case(name))
            .map(|(_, _, v)| self.resolve(v))
    }

    /// Follow a reference to a string or byte array; an enum (a class
    /// whose one member is `value__`) becomes its number.
    pub fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v {
            Value::Ref(id) => self.objects.get(id).unwrap_or(&Value::Null),
            Value::Class(id) => self
                .members
                .iter()
                .find(|(c, n, _)| c == id && &**n == "value__")
                .map_or(v, |(_, _, x)| x),
            _ => v,
        }
    }
}

fn plain_name(n: &str) -> &str {
    let n = n
        .strip_prefix('<')
        .and_then(|s| s.split_once('>'))
        .map_or(n, |(inner, _)| inner);
    n.strip_prefix("m_").unwrap_or(n)
}

/// Member types from `MemberTypeInfo` ([MS-NRBF] 2.3.1.2).
#[derive(Debug, Clone, Copy)]
enum MemberType {
    Primitive(u8),
    /// Strings, objects, classes, arrays: a record follows.
    Record,
}

#[derive(Debug)]
struct ClassMeta {
    names: Vec<Rc<str>>,
    /// `None` for classes written without types (records 2 and 3).
    types: Option<Vec<MemberType>>,
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    records: usize,
    /// Array elements walked so far, against `MAX_ELEMENTS`.
    elements: usize,
    classes: HashMap<i32, Rc<ClassMeta>>,
    out: Stream,
}

/// The NRBF stream of `SerializationData`, bare or inside the signed
/// envelope: `#sig#`, u32 LE N, N bytes of NRBF, 32 bytes of signature.
/// The lengths must add up exactly: a shorter blob was cut, a longer one is
/// not what Exchange writes.
pub fn envelope(bytes: &[u8]) -> Result<(&[u8], bool), NrbfError> {
    let Some(rest) = bytes.strip_prefix(SIGNED) else {
        return Ok((bytes, false));
    };
    let truncated = NrbfError::Truncated { len: bytes.len() };
    let (len, body) = rest.split_first_chunk::<4>().ok_or(truncated)?;
    let said = u32::from_le_bytes(*len);
    let n = usize::try_from(said).map_err(|_| NrbfError::LengthOverflow)?;
    let envelope = NrbfError::Envelope {
        said: u64::from(said),
        len: body.len(),
    };
    if body.len()
        != n.checked_add(SIGNATURE_LEN)
            .ok_or(NrbfError::LengthOverflow)?
    {
        return Err(envelope);
    }
    Ok((body.get(..n).ok_or(envelope)?, true))
}

/// Read a whole `SerializationData` blob, bare or signed.
pub fn parse(bytes: &[u8]) -> Result<Stream, NrbfError> {
    let (stream, signed) = envelope(bytes)?;
    let (out, end) = parse_stream(stream)?;
    if signed && end != stream.len() {
        return Err(NrbfError::EnvelopeEarlyEnd {
            end,
            said: stream.len(),
        });
    }
    Ok(out)
}

/// Read one NRBF stream up to its MessageEnd; also returns where that was.
fn parse_stream(bytes: &[u8]) -> Result<(Stream, usize), NrbfError> {
    let mut r = Reader {
        bytes,
        at: 0,
        records: 0,
        elements: 0,
        classes: HashMap::new(),
        out: Stream::default(),
    };
    if r.u8()? != 0 {
        return Err(NrbfError::NoHeader);
    }
    let _root = r.i32()?;
    let _header = r.i32()?;
    let (major, minor) = (r.i32()?, r.i32()?);
    if (major, minor) != (1, 0) {
        return Err(NrbfError::Version { major, minor });
    }
    loop {
        let kind = r.u8()?;
        if kind == 11 {
            return Ok((r.out, r.at));
        }
        r.record(kind, 0)?;
    }
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], NrbfError> {
        let end = self.at.checked_add(n).ok_or(NrbfError::LengthOverflow)?;
        let s = self.bytes.get(self.at..end).ok_or(NrbfError::Truncated {
            len: self.bytes.len(),
        })?;
        self.at = end;
        Ok(s)
    }

    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.at)
    }

    fn u8(&mut self) -> Result<u8, NrbfError> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }

    fn i32(&mut self) -> Result<i32, NrbfError> {
        let b: [u8; 4] = self.take(4)?.try_into().map_err(|_| NrbfError::ShortRead)?;
        Ok(i32::from_le_bytes(b))
    }

    /// A count that must fit in what remains (each item takes a byte or more).
    fn count(&mut self) -> Result<usize, NrbfError> {
        let n = self.i32()?;
        let n = usize::try_from(n).map_err(|_| NrbfError::NegativeCount { count: n })?;
        if n > self.remaining() {
            return Err(NrbfError::CountTooLarge {
                count: n,
                left: self.remaining(),
            });
        }
        Ok(n)
    }

    /// ObjectNullMultiple's count: any number of nulls in four bytes.
    fn null_run(&mut self) -> Result<usize, NrbfError> {
        let n = self.i32()?;
        usize::try_from(n).map_err(|_| NrbfError::NegativeCount { count: n })
    }

    /// LengthPrefixedString: 7-bit length (at most 5 bytes), then UTF-8.
    fn string(&mut self) -> Result<String, NrbfError> {
        let mut len: u64 = 0;
        for shift in 0..5 {
            let b = self.u8()?;
            len |= u64::from(b & 0x7F) << (7 * shift);
            if b & 0x80 == 0 {
                let len = usize::try_from(len).map_err(|_| NrbfError::StringTooLong)?;
                let s = self.take(len)?;
                return String::from_utf8(s.to_vec()).map_err(|_| NrbfError::BadUtf8);
            }
        }
        Err(NrbfError::LengthTooLong)
    }

    fn primitive(&mut self, t: u8) -> Result<Value, NrbfError> {
        let size = match t {
            1 => return Ok(Value::Bool(self.u8()? != 0)),
            2 => return Ok(Value::Int(i64::from(self.u8()?))),
            10 => return Ok(Value::Int(i64::from(self.u8()? as i8))),
            7 => {
                let b: [u8; 2] = self.take(2)?.try_into().map_err(|_| NrbfError::ShortRead)?;
                return Ok(Value::Int(i64::from(i16::from_le_bytes(b))));
            }
            14 => {
                let b: [u8; 2] = self.take(2)?.try_into().map_err(|_| NrbfError::ShortRead)?;
                return Ok(Value::Int(i64::from(u16::from_le_bytes(b))));
            }
            8 => return Ok(Value::Int(i64::from(self.i32()?))),
            15 => {
                let b: [u8; 4] = self.take(4)?.try_into().map_err(|_| NrbfError::ShortRead)?;
                return Ok(Value::Int(i64::from(u32::from_le_bytes(b))));
            }
            9 => {
                let b: [u8; 8] = self.take(8)?.try_into().map_err(|_| NrbfError::ShortRead)?;
                return Ok(Value::Int(i64::from_le_bytes(b)));
            }
            18 => return Ok(Value::Str(self.string()?)),
            5 => {
                self.string()?;
                return Ok(Value::Other);
            }
            17 => return Ok(Value::Null),
            3 => {
                // A UTF-8 char: its first byte gives its length.
                let first = self.u8()?;
                let extra = match first {
                    0..=0x7F => 0,
                    0xC0..=0xDF => 1,
                    0xE0..=0xEF => 2,
                    0xF0..=0xF7 => 3,
                    _ => return Err(NrbfError::BadChar),
                };
                self.take(extra)?;
                return Ok(Value::Other);
            }
            11 => 4,
            6 | 12 | 13 | 16 => 8,
            code => return Err(NrbfError::UnknownPrimitive { code }),
        };
        self.take(size)?;
        Ok(Value::Other)
    }

    fn class_info(&mut self) -> Result<(i32, Vec<Rc<str>>), NrbfError> {
        let id = self.i32()?;
        let _name = self.string()?;
        let n = self.count()?;
        let mut names = Vec::with_capacity(n);
        for _ in 0..n {
            names.push(Rc::from(self.string()?));
        }
        Ok((id, names))
    }

    fn member_types(&mut self, n: usize) -> Result<Vec<MemberType>, NrbfError> {
        let kinds = self.take(n)?.to_vec();
        let mut types = Vec::with_capacity(n);
        for k in kinds {
            types.push(match k {
                0 => MemberType::Primitive(self.u8()?),
                1 | 2 | 5 | 6 => MemberType::Record,
                3 => {
                    self.string()?;
                    MemberType::Record
                }
                4 => {
                    self.string()?;
                    self.i32()?;
                    MemberType::Record
                }
                7 => {
                    self.u8()?;
                    MemberType::Record
                }
                code => return Err(NrbfError::UnknownMemberType { code }),
            });
        }
        Ok(types)
    }

    /// One record of type `kind` (already read); returns its value.
    fn record(&mut self, kind: u8, depth: usize) -> Result<Value, NrbfError> {
        self.records += 1;
        if self.records > MAX_RECORDS {
            return Err(NrbfError::TooManyRecords { limit: MAX_RECORDS });
        }
        if depth > MAX_DEPTH {
            return Err(NrbfError::TooDeep { limit: MAX_DEPTH });
        }
        match kind {
            1 => self.class_with_id(depth),
            2..=5 => self.class(kind, depth),
            6 => {
                let id = self.i32()?;
                let s = Value::Str(self.string()?);
                self.out.objects.insert(id, s);
                Ok(Value::Ref(id))
            }
            8 => {
                let t = self.u8()?;
                self.primitive(t)
            }
            9 => Ok(Value::Ref(self.i32()?)),
            10 => Ok(Value::Null),
            13 => {
                self.u8()?;
                Ok(Value::Null)
            }
            14 => {
                self.null_run()?;
                Ok(Value::Null)
            }
            12 => {
                self.i32()?;
                self.string()?;
                // A library record comes before the class that uses it.
                let next = self.u8()?;
                self.record(next, depth + 1)
            }
            15 => self.primitive_array(),
            16 | 17 => self.object_array(depth),
            7 => self.binary_array(depth),
            kind => Err(NrbfError::UnsupportedRecord { kind }),
        }
    }

    /// ClassWithId (1): another object of a class read before.
    fn class_with_id(&mut self, depth: usize) -> Result<Value, NrbfError> {
        let id = self.i32()?;
        let meta_id = self.i32()?;
        let meta = self
            .classes
            .get(&meta_id)
            .map(Rc::clone)
            .ok_or(NrbfError::UnknownClass { id: meta_id })?;
        self.values(id, &meta, depth)
    }

    /// A class with its metadata: members without types (2 system, 3
    /// library) or with them (4 system, 5 library), then its values.
    fn class(&mut self, kind: u8, depth: usize) -> Result<Value, NrbfError> {
        let (id, names) = self.class_info()?;
        let types = match kind {
            4 | 5 => Some(self.member_types(names.len())?),
            _ => None,
        };
        if kind == 3 || kind == 5 {
            // The library id.
            self.i32()?;
        }
        let meta = Rc::new(ClassMeta { names, types });
        self.classes.insert(id, Rc::clone(&meta));
        self.values(id, &meta, depth)
    }

    fn values(&mut self, id: i32, meta: &ClassMeta, depth: usize) -> Result<Value, NrbfError> {
        for (i, name) in meta.names.iter().enumerate() {
            let t = meta
                .types
                .as_ref()
                .and_then(|t| t.get(i).copied())
                .unwrap_or(MemberType::Record);
            let v = match t {
                MemberType::Primitive(p) => self.primitive(p)?,
                MemberType::Record => {
                    let k = self.u8()?;
                    self.record(k, depth + 1)?
                }
            };
            if self.out.members.len() >= MAX_MEMBERS {
                return Err(NrbfError::TooManyMembers { limit: MAX_MEMBERS });
            }
            self.out.members.push((id, Rc::clone(name), v));
        }
        Ok(Value::Class(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lps(s: &str) -> Vec<u8> {
        let mut v = vec![u8::try_from(s.len()).unwrap()];
        v.extend(s.as_bytes());
        v
    }

    fn header() -> Vec<u8> {
        let mut v = vec![0];
        for n in [1i32, -1, 1, 0] {
            v.extend(n.to_le_bytes());
        }
        v
    }

    /// A class with a string and a byte-array member, then a second object
    /// of the same class by ClassWithId, then MessageEnd.
    fn stream() -> Vec<u8> {
        let mut v = header();
        v.push(5);
        v.extend(1i32.to_le_bytes());
        v.extend(lps("X"));
        v.extend(2i32.to_le_bytes());
        v.extend(lps("<Identity>k__BackingField"));
        v.extend(lps("CertData"));
        v.extend([1, 7, 2]);
        v.extend(2i32.to_le_bytes());
        v.push(6);
        v.extend(3i32.to_le_bytes());
        v.extend(lps("ex01\\AB"));
        v.push(15);
        v.extend(4i32.to_le_bytes());
        v.extend(3i32.to_le_bytes());
        v.extend([2, 7, 8, 9]);
        v.push(1);
        v.extend(5i32.to_le_bytes());
        v.extend(1i32.to_le_bytes());
        v.push(10);
        v.push(9);
        v.extend(4i32.to_le_bytes());
        v.push(11);
        v
    }

    #[test]
    fn members_are_found_by_plain_name_through_references() {
        let s = parse(&stream()).unwrap();
        assert_eq!(s.member("Identity"), Some(&Value::Str("ex01\\AB".into())));
        assert_eq!(s.member("CertData"), Some(&Value::Bytes(vec![7, 8, 9])));
        assert_eq!(s.members.len(), 4);
    }

    #[test]
    fn truncated_hostile_or_foreign_streams_are_refused() {
        let full = stream();
        for cut in 0..full.len() {
            assert!(parse(&full[..cut]).is_err(), "cut at {cut}");
        }
        let mut huge = header();
        huge.push(15);
        huge.extend(1i32.to_le_bytes());
        huge.extend(i32::MAX.to_le_bytes());
        huge.push(2);
        assert!(parse(&huge).unwrap_err().to_string().contains("more than"));
        let mut unknown = header();
        unknown.push(21);
        assert_eq!(
            parse(&unknown).unwrap_err(),
            NrbfError::UnsupportedRecord { kind: 21 }
        );
        assert!(parse(b"<Objs>").is_err());
        // Nesting: a class whose member is an inline class, over and over.
        let mut deep = header();
        for i in 0..40 {
            deep.push(4);
            deep.extend((i + 1i32).to_le_bytes());
            deep.extend(lps("N"));
            deep.extend(1i32.to_le_bytes());
            deep.extend(lps("m"));
            deep.push(2);
        }
        assert_eq!(
            parse(&deep).unwrap_err(),
            NrbfError::TooDeep { limit: MAX_DEPTH }
        );
    }

    fn i32s(v: &mut Vec<u8>, ns: &[i32]) {
        for n in ns {
            v.extend(n.to_le_bytes());
        }
    }

    /// The signed envelope around `body`, with `n` as its length field
    /// and `sig` bytes of signature.
    fn signed(body: &[u8], n: u32, sig: usize) -> Vec<u8> {
        let mut v = SIGNED.to_vec();
        v.extend(n.to_le_bytes());
        v.extend(body);
        v.extend(vec![0xA5; sig]);
        v
    }

    #[test]
    fn the_signed_envelope_is_read_and_its_lengths_checked() {
        let body = stream();
        let n = u32::try_from(body.len()).unwrap();
        let s = parse(&signed(&body, n, 32)).unwrap();
        assert_eq!(s.member("CertData"), Some(&Value::Bytes(vec![7, 8, 9])));
        for (bytes, why) in [
            (signed(&body, n, 31), "a short signature"),
            (signed(&body, n, 33), "bytes after the signature"),
            (signed(&body, n + 1, 32), "a length one too long"),
            (signed(&body, n - 1, 32), "a length one too short"),
            (signed(&body, u32::MAX, 32), "a length past the end"),
            (SIGNED.to_vec(), "no length"),
            (signed(&body, n, 32)[..7].to_vec(), "a cut length"),
        ] {
            assert!(parse(&bytes).is_err(), "{why}");
        }
        // MessageEnd before the end of N: junk hidden inside the envelope.
        let mut padded = body.clone();
        padded.extend([0, 0]);
        let n2 = u32::try_from(padded.len()).unwrap();
        assert!(matches!(
            parse(&signed(&padded, n2, 32)),
            Err(NrbfError::EnvelopeEarlyEnd { .. })
        ));
        let full = signed(&body, n, 32);
        for cut in 0..full.len() {
            assert!(parse(&full[..cut]).is_err(), "cut at {cut}");
        }
    }

    /// Every BinaryArray shape of [MS-NRBF] 2.4.3.1, one after another.
    fn arrays() -> Vec<u8> {
        let mut v = header();
        // Single bytes: kept.
        v.push(7);
        i32s(&mut v, &[10]);
        v.push(0);
        i32s(&mut v, &[1, 3]);
        v.extend([0, 2, 1, 2, 3]);
        // Single with an offset, of Int32.
        v.push(7);
        i32s(&mut v, &[11]);
        v.push(3);
        i32s(&mut v, &[1, 2, 5]);
        v.extend([0, 8]);
        i32s(&mut v, &[-1, 7]);
        // Rectangular 2x3 of strings: two strings, then four nulls.
        v.push(7);
        i32s(&mut v, &[12]);
        v.push(2);
        i32s(&mut v, &[2, 2, 3]);
        v.push(1);
        v.push(6);
        i32s(&mut v, &[13]);
        v.extend(lps("a"));
        v.push(6);
        i32s(&mut v, &[14]);
        v.extend(lps("b"));
        v.extend([13, 4]);
        // Rectangular with offsets, 1x1 of objects: a null.
        v.push(7);
        i32s(&mut v, &[15]);
        v.push(5);
        i32s(&mut v, &[2, 1, 1, 0, 0]);
        v.extend([2, 10]);
        // Jagged: two byte arrays, one of each kind of record.
        v.push(7);
        i32s(&mut v, &[16]);
        v.push(1);
        i32s(&mut v, &[1, 2]);
        v.extend([7, 2]);
        v.push(15);
        i32s(&mut v, &[17, 2]);
        v.extend([2, 0xAA, 0xBB]);
        v.push(7);
        i32s(&mut v, &[18]);
        v.push(0);
        i32s(&mut v, &[1, 1]);
        v.extend([0, 2, 0xCC]);
        // Jagged with an offset, of one null run.
        v.push(7);
        i32s(&mut v, &[19]);
        v.push(4);
        i32s(&mut v, &[1, 3, 1]);
        v.extend([2, 14]);
        i32s(&mut v, &[3]);
        v.push(11);
        v
    }

    #[test]
    fn binary_arrays_of_every_shape_are_read() {
        let s = parse(&arrays()).unwrap();
        assert_eq!(s.objects.get(&10), Some(&Value::Bytes(vec![1, 2, 3])));
        assert_eq!(s.objects.get(&17), Some(&Value::Bytes(vec![0xAA, 0xBB])));
        assert_eq!(s.objects.get(&18), Some(&Value::Bytes(vec![0xCC])));
        assert_eq!(s.objects.get(&13), Some(&Value::Str("a".into())));
        let full = arrays();
        for cut in 0..full.len() {
            assert!(parse(&full[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn hostile_binary_arrays_are_refused_quickly() {
        let one = |shape: u8, dims: &[i32], tail: &[u8]| {
            let mut v = header();
            v.push(7);
            i32s(&mut v, &[1]);
            v.push(shape);
            v.extend(i32::try_from(dims.len()).unwrap().to_le_bytes());
            i32s(&mut v, dims);
            v.extend(tail);
            v.push(11);
            parse(&v)
        };
        assert!(one(9, &[1], &[0, 2, 0]).is_err(), "unknown shape");
        assert!(one(2, &[], &[0, 2]).is_err(), "rank 0");
        assert!(one(2, &[1; 33], &[0, 2]).is_err(), "rank 33");
        assert!(one(0, &[1, 1], &[0, 2, 0, 0]).is_err(), "single of rank 2");
        assert!(one(0, &[-1], &[0, 2]).is_err(), "negative length");
        assert!(one(2, &[i32::MAX; 3], &[0, 8]).is_err(), "overflowing size");
        assert!(
            one(2, &[65_536, 65_536], &[0, 8]).is_err(),
            "more than is left"
        );
        assert!(
            one(0, &[3], &[2, 14, 5, 0, 0, 0]).is_err(),
            "nulls past the end"
        );
        // Nulls of primitive type Null take no bytes: read without a walk.
        assert!(one(2, &[i32::MAX, 2], &[0, 17]).is_ok());
        // A million-element null run is five bytes; the walk is one step.
        let mut tail = vec![2, 14];
        tail.extend(1_000_000i32.to_le_bytes());
        assert!(one(0, &[1_000_000], &tail).is_ok());
    }
}
