//! CLIXML as `Export-Clixml` writes it, read into plain objects.
//!
//! The format ([MS-PSRP] 2.2.5): `<Objs>` holds one `<Obj>` per exported
//! object. An object has type names (`<TN>`, or `<TNRef>` to an earlier
//! list), an optional `<ToString>`, and properties in `<Props>` (adapted)
//! and `<MS>` (extended, e.g. `PSComputerName`), each an element whose `N`
//! attribute is the property name: `<S>` string, `<BA>` base64 bytes,
//! `<DT>` date, `<I32>` and friends, `<B>` boolean, `<Nil/>`, or a nested
//! `<Obj>` (an enum keeps its text in `<ToString>`; a list is `<LST>`).
//! Strings escape control characters as `_xHHHH_`.
//!
//! quick-xml does the XML; this module only walks it, with the nesting
//! depth capped. Objects are handed on one at a time ([`each`]) and
//! dropped, so memory follows the largest object, not the file. A `<TN>`
//! list is kept once and shared by every `<TNRef>` to it (a file of
//! thousands of refs to a long list costs a pointer each), and what one
//! object keeps is charged against a budget proportional to the file.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::HashMap;
use std::rc::Rc;

/// Deepest element nesting accepted (real exports stay under 15).
const MAX_DEPTH: usize = 64;
/// Most top-level objects in one file.
pub const MAX_OBJECTS: usize = 100_000;
/// What one object may keep, beyond a small multiple of the file's size:
/// the estimate counts every kept value, name and string.
const OBJECT_BUDGET_SLACK: usize = 16 << 20;
/// Estimated bytes per kept value besides its text.
const VALUE_COST: usize = 64;

/// A property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bytes(Vec<u8>),
    /// `<DT>` text, parsed later by `dates.rs`.
    Date(String),
    Int(i64),
    Bool(bool),
    Nil,
    List(Vec<Value>),
    Obj(Box<Obj>),
    /// Present but of a kind excert does not use (GUIDs, doubles, refs).
    Other,
}

/// One `<Obj>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Obj {
    /// Most derived first, as in `<TN>`; shared with every `<TNRef>`.
    pub types: Rc<[String]>,
    pub to_string: Option<String>,
    /// `<Props>` then `<MS>` members, in file order.
    pub props: Vec<(String, Value)>,
    /// The value an enum or primitive-derived object wraps.
    pub inner: Option<Box<Value>>,
    /// Byte offset of the `<Obj` tag in the decoded text.
    pub offset: u64,
}

impl Obj {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.props
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// A property as text: a string, an enum's `ToString`, a list's items
    /// joined with `, `. `None` for `Nil` or absent.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name).and_then(Value::text)
    }

    pub fn has_type(&self, suffix: &str) -> bool {
        self.types.iter().any(|t| t.ends_with(suffix))
    }
}

impl Value {
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Str(s) | Value::Date(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Bool(b) => Some(if *b { "True" } else { "False" }.into()),
            Value::Obj(o) => o
                .to_string
                .clone()
                .or_else(|| o.inner.as_ref().and_then(|v| v.text())),
            Value::List(items) => Some(
                items
                    .iter()
                    .filter_map(Value::text)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Value::Bytes(_) | Value::Nil | Value::Other => None,
        }
    }

    /// Items of a list property (a `<LST>` inside an `<Obj>`).
    pub fn items(&self) -> Option<Vec<String>> {
        match self {
            Value::Obj(o) => match o.inner.as_deref() {
                Some(Value::List(items)) => Some(items.iter().filter_map(Value::text).collect()),
                _ => None,
            },
            Value::List(items) => Some(items.iter().filter_map(Value::text).collect()),
            _ => None,
        }
    }
}

/// What went wrong, and where (byte offset in the decoded text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset in the decoded text.
    pub offset: u64,
    /// What is wrong there.
    pub error: ClixmlError,
}

/// Why a file is not an Export-Clixml of objects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClixmlError {
    /// quick-xml's complaint.
    #[error("not well-formed XML: {reason}")]
    NotWellFormed {
        /// quick-xml's message.
        reason: String,
    },
    /// Another XML document.
    #[error("the first element is <{name}>, not <Objs>: not an Export-Clixml file")]
    FirstElement {
        /// The element's local name.
        name: String,
    },
    /// No element at all.
    #[error("no <Objs> element: not an Export-Clixml file")]
    NoObjs,
    /// One object keeps more than the budget allows.
    #[error("an object holds more than {limit} bytes of values")]
    TooLarge {
        /// The budget.
        limit: usize,
    },
    /// More than `MAX_OBJECTS` objects.
    #[error("more than {limit} objects")]
    TooManyObjects {
        /// The limit.
        limit: usize,
    },
    /// `Export-Clixml` of strings or numbers.
    #[error("<{name}> at the top level: Export-Clixml of a plain value, not of objects")]
    PlainValue {
        /// The element's local name.
        name: String,
    },
    /// The file stops before its end.
    #[error("the file ends {inside} (truncated?)")]
    Truncated {
        /// Where: `before </Objs>`, `inside <Obj>`, ...
        inside: &'static str,
    },
    /// Elements after the document.
    #[error("content after </Objs>")]
    AfterObjs,
    /// Elements nested deeper than `MAX_DEPTH`.
    #[error("elements nested deeper than {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// An `&...;` escape quick-xml cannot undo.
    #[error("bad XML escape: {reason}")]
    BadEscape {
        /// quick-xml's message.
        reason: String,
    },
    /// `<S><X/></S>`.
    #[error("an element inside a text value")]
    ElementInText,
    /// A `<BA>` that is not base64.
    #[error("a <BA> value is not base64")]
    NotBase64,
    /// A `<B>` that is not `true` or `false`.
    #[error("<B> holds {text:?}, not true or false")]
    NotBool {
        /// The start of the text, control characters removed.
        text: String,
    },
}

/// Whether the text is CLIXML: its first element is `<Objs`.
pub fn looks_like(text: &str) -> bool {
    let t = text.trim_start();
    let t = match t.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or("", |(_, r)| r).trim_start(),
        None => t,
    };
    t.starts_with("<Objs")
}

/// Why [`each`] stopped early.
#[derive(Debug)]
pub enum Stop {
    /// The file is not well-formed CLIXML there.
    Parse(ParseError),
    /// The caller's function asked to stop.
    Caller,
}

impl From<ParseError> for Stop {
    fn from(e: ParseError) -> Self {
        Stop::Parse(e)
    }
}

/// Read every top-level object into a list (small files and tests).
#[cfg(test)]
pub fn parse(text: &str) -> Result<Vec<Obj>, ParseError> {
    let mut all = Vec::new();
    let walked = each(text, |o| {
        all.push(o);
        Ok(())
    });
    match walked {
        Ok(_) => Ok(all),
        Err(Stop::Parse(e)) => Err(e),
        Err(Stop::Caller) => unreachable!(),
    }
}

/// Hand every top-level object to `f` as it is read, in file order, and
/// return how many there were. The first XML problem stops the walk; `f`
/// may stop it too.
pub fn each(text: &str, mut f: impl FnMut(Obj) -> Result<(), Stop>) -> Result<usize, Stop> {
    let budget = text
        .len()
        .saturating_mul(4)
        .saturating_add(OBJECT_BUDGET_SLACK);
    let mut w = Walker {
        reader: Reader::from_str(text),
        names: HashMap::new(),
        depth: 0,
        spent: 0,
        budget,
    };
    w.reader.config_mut().expand_empty_elements = true;
    // Find <Objs>.
    loop {
        match w.next()? {
            Event::Start(e) if e.local_name().as_ref() == b"Objs" => break,
            Event::Start(e) => {
                let name = local_name(&e);
                return Err(w.error(ClixmlError::FirstElement { name }).into());
            }
            Event::Eof => return Err(w.error(ClixmlError::NoObjs).into()),
            _ => {}
        }
    }
    let mut objects = 0usize;
    loop {
        // Where the next event starts: an object's `<Obj` tag.
        let offset = w.position();
        match w.next()? {
            Event::Start(e) if e.local_name().as_ref() == b"Obj" => {
                if objects >= MAX_OBJECTS {
                    let limit = MAX_OBJECTS;
                    return Err(w.error(ClixmlError::TooManyObjects { limit }).into());
                }
                w.spent = 0;
                let mut obj = w.obj()?;
                obj.offset = offset;
                objects += 1;
                f(obj)?;
            }
            Event::Start(e) => {
                let name = local_name(&e);
                return Err(w.error(ClixmlError::PlainValue { name }).into());
            }
            Event::End(_) => break,
            Event::Eof => return Err(w.truncated("before </Objs>").into()),
            _ => {}
        }
    }
    // Nothing but whitespace or comments may follow.
    loop {
        match w.next()? {
            Event::Eof => return Ok(objects),
            Event::Start(_) | Event::Text(_) | Event::CData(_) => {
                return Err(w.error(ClixmlError::AfterObjs).into())
            }
            _ => {}
        }
    }
}

struct Walker<'a> {
    reader: Reader<&'a [u8]>,
    /// `<TN RefId>` lists, for `<TNRef>`: kept once, shared.
    names: HashMap<String, Rc<[String]>>,
    depth: usize,
    /// Estimated bytes the current object keeps.
    spent: usize,
    /// The most one object may keep.
    budget: usize,
}

impl<'a> Walker<'a> {
    fn position(&self) -> u64 {
        self.reader.buffer_position()
    }

    fn error(&self, error: ClixmlError) -> ParseError {
        ParseError {
            offset: self.position(),
            error,
        }
    }

    fn truncated(&self, inside: &'static str) -> ParseError {
        self.error(ClixmlError::Truncated { inside })
    }

    /// Charge `bytes` (and one value's overhead) to the current object.
    fn charge(&mut self, bytes: usize) -> Result<(), ParseError> {
        self.spent = self.spent.saturating_add(bytes).saturating_add(VALUE_COST);
        if self.spent > self.budget {
            let limit = self.budget;
            return Err(self.error(ClixmlError::TooLarge { limit }));
        }
        Ok(())
    }

    fn next(&mut self) -> Result<Event<'a>, ParseError> {
        let ev = self.reader.read_event().map_err(|e| ParseError {
            offset: self.reader.error_position(),
            error: ClixmlError::NotWellFormed {
                reason: e.to_string(),
            },
        })?;
        match &ev {
            Event::Start(_) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    let limit = MAX_DEPTH;
                    return Err(self.error(ClixmlError::TooDeep { limit }));
                }
            }
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        Ok(ev)
    }

    /// Text up to the end tag of the element just opened.
    fn text(&mut self) -> Result<String, ParseError> {
        let mut out = String::new();
        loop {
            match self.next()? {
                Event::Text(t) => {
                    let s = t.unescape().map_err(|e| {
                        self.error(ClixmlError::BadEscape {
                            reason: e.to_string(),
                        })
                    })?;
                    out.push_str(&s);
                }
                Event::CData(c) => out.push_str(&String::from_utf8_lossy(&c)),
                Event::End(_) => return Ok(out),
                Event::Start(_) => return Err(self.error(ClixmlError::ElementInText)),
                Event::Eof => return Err(self.truncated("inside a value")),
                _ => {}
            }
        }
    }

    /// Skip the element just opened, with everything inside it.
    fn skip(&mut self) -> Result<(), ParseError> {
        let mut open = 1usize;
        while open > 0 {
            match self.next()? {
                Event::Start(_) => open += 1,
                Event::End(_) => open -= 1,
                Event::Eof => return Err(self.truncated("inside an element")),
                _ => {}
            }
        }
        Ok(())
    }

    fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
        e.attributes()
            .flatten()
            .find(|a| a.key.local_name().as_ref() == name)
            .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
    }

    /// The inside of an `<Obj>` whose start tag was just read.
    fn obj(&mut self) -> Result<Obj, ParseError> {
        let mut obj = Obj::default();
        loop {
            match self.next()? {
                Event::Start(e) => match e.local_name().as_ref() {
                    b"TN" => obj.types = self.type_names(&e)?,
                    b"TNRef" => {
                        let id = Self::attr(&e, b"RefId").unwrap_or_default();
                        obj.types = self.names.get(&id).map(Rc::clone).unwrap_or_default();
                        self.skip()?;
                    }
                    b"ToString" => {
                        let t = unescape_ps(&self.text()?);
                        self.charge(t.len())?;
                        obj.to_string = Some(t);
                    }
                    b"Props" | b"MS" => self.props(&mut obj.props)?,
                    b"LST" | b"IE" | b"STK" | b"QUE" => {
                        obj.inner = Some(Box::new(Value::List(self.list()?)));
                    }
                    b"DCT" => self.skip()?,
                    _ => {
                        let v = self.value(&e)?;
                        obj.inner = Some(Box::new(v));
                    }
                },
                Event::End(_) => return Ok(obj),
                Event::Eof => return Err(self.truncated("inside <Obj>")),
                _ => {}
            }
        }
    }

    /// A `<TN>` list just opened; kept by its `RefId` for `<TNRef>`.
    fn type_names(&mut self, e: &BytesStart<'_>) -> Result<Rc<[String]>, ParseError> {
        let id = Self::attr(e, b"RefId");
        let mut types = Vec::new();
        loop {
            match self.next()? {
                Event::Start(t) if t.local_name().as_ref() == b"T" => {
                    let name = self.text()?;
                    self.charge(name.len())?;
                    types.push(name);
                }
                Event::Start(_) => self.skip()?,
                Event::End(_) => break,
                Event::Eof => return Err(self.truncated("inside <TN>")),
                _ => {}
            }
        }
        let types: Rc<[String]> = types.into();
        if let Some(id) = id {
            self.names.insert(id, Rc::clone(&types));
        }
        Ok(types)
    }

    /// The members of a `<Props>` or `<MS>` just opened, by their `N`.
    fn props(&mut self, props: &mut Vec<(String, Value)>) -> Result<(), ParseError> {
        loop {
            match self.next()? {
                Event::Start(m) => {
                    let name = Self::attr(&m, b"N").unwrap_or_default();
                    self.charge(name.len())?;
                    let v = self.value(&m)?;
                    props.push((name, v));
                }
                Event::End(_) => return Ok(()),
                Event::Eof => return Err(self.truncated("inside an object's properties")),
                _ => {}
            }
        }
    }

    /// The items of a list element just opened.
    fn list(&mut self) -> Result<Vec<Value>, ParseError> {
        let mut items = Vec::new();
        loop {
            match self.next()? {
                Event::Start(m) => {
                    self.charge(0)?;
                    items.push(self.value(&m)?);
                }
                Event::End(_) => return Ok(items),
                Event::Eof => return Err(self.truncated("inside a list")),
                _ => {}
            }
        }
    }

    /// A value element whose start tag was just read.
    fn value(&mut self, e: &BytesStart<'_>) -> Result<Value, ParseError> {
        let tag = e.local_name().as_ref().to_vec();
        Ok(match tag.as_slice() {
            b"S" => {
                let s = unescape_ps(&self.text()?);
                self.charge(s.len())?;
                Value::Str(s)
            }
            b"BA" => {
                use base64::Engine;
                let text = self.text()?;
                self.charge(text.len())?;
                let compact: String = text.split_whitespace().collect();
                Value::Bytes(
                    base64::engine::general_purpose::STANDARD
                        .decode(compact.as_bytes())
                        .map_err(|_| self.error(ClixmlError::NotBase64))?,
                )
            }
            b"DT" => {
                let t = self.text()?;
                self.charge(t.len())?;
                Value::Date(t)
            }
            b"I32" | b"I64" | b"I16" | b"U32" | b"U16" | b"U64" | b"By" | b"SB" => {
                let text = self.text()?;
                text.trim().parse().map(Value::Int).unwrap_or(Value::Other)
            }
            b"B" => {
                let text = self.text()?;
                match text.trim() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => {
                        let text = short(&text);
                        return Err(self.error(ClixmlError::NotBool { text }));
                    }
                }
            }
            b"Nil" => {
                self.skip()?;
                Value::Nil
            }
            b"Obj" => Value::Obj(Box::new(self.obj()?)),
            _ => {
                self.skip()?;
                Value::Other
            }
        })
    }
}

fn local_name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

fn short(t: &str) -> String {
    t.chars().filter(|c| !c.is_control()).take(40).collect()
}

/// Undo PowerShell's `_xHHHH_` escapes (control characters, and `_x`
/// itself); pairs of escaped surrogates become one character.
pub fn unescape_ps(s: &str) -> String {
    if !s.contains("_x") {
        return s.to_string();
    }
    let mut units: Vec<u16> = Vec::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(hex) = rest.strip_prefix("_x").and_then(|r| r.get(..5)) {
            if hex.ends_with('_') {
                if let Ok(u) = u16::from_str_radix(hex.get(..4).unwrap_or(""), 16) {
                    units.push(u);
                    rest = rest.get(7..).unwrap_or("");
                    continue;
                }
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
        }
        rest = chars.as_str();
    }
    String::from_utf16_lossy(&units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_props_enums_lists_and_type_refs() {
        let xml = r#"<?xml version="1.0"?>
<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">
  <Obj RefId="0">
    <TN RefId="0"><T>Deserialized.X</T><T>Deserialized.System.Object</T></TN>
    <ToString>x</ToString>
    <Props>
      <S N="FriendlyName">Microsoft Exchange_x000D__x000A_</S>
      <Obj N="Services" RefId="1"><TN RefId="1"><T>AllowedServices</T></TN><ToString>IMAP, POP, IIS, SMTP</ToString><I32>27</I32></Obj>
      <Obj N="CertificateDomains" RefId="2"><TN RefId="2"><T>List</T></TN><LST><S>ex01</S><S>ex01.contoso.local</S></LST></Obj>
      <Nil N="Status" />
      <BA N="RawData">AQID</BA>
    </Props>
    <MS><S N="PSComputerName">ex01.contoso.local</S></MS>
  </Obj>
  <Obj RefId="3"><TNRef RefId="0" /><Props><B N="IsSelfSigned">true</B></Props></Obj>
</Objs>"#;
        let objs = parse(xml).unwrap();
        assert_eq!(objs.len(), 2);
        let o = &objs[0];
        assert_eq!(o.text("friendlyname").unwrap(), "Microsoft Exchange\r\n");
        assert_eq!(o.text("Services").unwrap(), "IMAP, POP, IIS, SMTP");
        assert_eq!(
            o.get("CertificateDomains").unwrap().items().unwrap(),
            ["ex01", "ex01.contoso.local"]
        );
        assert_eq!(o.text("Status"), None);
        assert_eq!(o.get("RawData"), Some(&Value::Bytes(vec![1, 2, 3])));
        assert_eq!(o.text("PSComputerName").unwrap(), "ex01.contoso.local");
        assert_eq!(objs[1].types, o.types);
        assert!(looks_like(xml));
    }

    #[test]
    fn truncated_and_foreign_xml_is_refused() {
        let xml = "<Objs><Obj><Props><S N=\"A\">x</S>";
        assert_eq!(
            parse(xml).unwrap_err().error.to_string(),
            "the file ends inside an object's properties (truncated?)"
        );
        assert_eq!(
            parse("<html></html>").unwrap_err().error,
            ClixmlError::FirstElement {
                name: "html".into()
            }
        );
        assert!(parse("<Objs><Obj></Props></Obj></Objs>").is_err());
        let deep = format!("<Objs>{}", "<Obj><LST>".repeat(100));
        assert_eq!(
            parse(&deep).unwrap_err().error,
            ClixmlError::TooDeep { limit: MAX_DEPTH }
        );
        assert!(!looks_like("\"Thumbprint\",\"x\""));
    }

    #[test]
    fn escapes_are_undone() {
        assert_eq!(unescape_ps("a_x000A_b"), "a\nb");
        assert_eq!(unescape_ps("_x005F_x"), "_x");
        assert_eq!(unescape_ps("_xD83D__xDE00_"), "\u{1F600}");
        assert_eq!(unescape_ps("_x12"), "_x12");
    }
}
