//! A file read as a stream of records, so memory stays flat however large
//! it is. The file must be readable as a whole or it is refused whole:
//! empty files, UTF-16, text that is not UTF-8, broken or oversized gzip,
//! JSON that does not parse, nests deeper than 128 levels or has anything
//! after its document. Since a refusal can come at the very end (trailing
//! junk, a truncated gzip), the caller keeps what it stored aside until
//! the read ends well. A leading UTF-8 byte-order mark is dropped.
//!
//! Three shapes: one JSON document (an array of records, an object holding
//! them under `Records` or `data`, or a single record), NDJSON (a complete
//! object on the first line, more after it, and one record per line), or CSV (anything
//! else; one object per row, keyed by the header's names).
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::{
    cell::Cell,
    fmt,
    io::{self, BufRead, BufReader, Cursor, Read},
    rc::Rc,
};

/// The longest NDJSON line or CSV row, in bytes. A gzip file is held to
/// the same limits as the text it inflates to (this one, and the importer's
/// limit on records), with no limit of its own on how large it inflates:
/// the read is a stream, so only what a record holds is ever in memory,
/// and a bomb meets these limits as fast as it inflates.
pub const MAX_RECORD: usize = 16 << 20;

/// Where a record stands in its file, as a person would find it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Line(u64),
    /// A CSV row; the header is row 1.
    Row(u64),
    /// The n-th record of a JSON document, from 1.
    Record(u64),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(n) => write!(f, "line {n}"),
            Self::Row(n) => write!(f, "row {n}"),
            Self::Record(n) => write!(f, "record {n}"),
        }
    }
}

/// What held the records, for the format to judge once the file is read.
#[derive(Clone, Debug, PartialEq)]
pub enum Top {
    Array,
    /// An object; `records` names the key its records were under (none:
    /// the object was the one record). `rest` holds its other keys.
    Object {
        records: Option<&'static str>,
        rest: Map<String, Value>,
    },
    Lines,
    /// CSV, with its header's names.
    Csv(Vec<String>),
}

/// A record where it stands, or why it is refused.
pub type Placed = (Place, Result<Value, String>);

/// The keys a JSON document may hold its records under.
const WRAPPERS: [&str; 2] = ["Records", "data"];

/// Where the records go; `Err` stops the read (the caller has gone).
pub type Sink<'a> = dyn FnMut(Place, Result<Value, String>) -> Result<(), String> + 'a;

/// Reads a file, handing each record (or why it is refused) to `sink`.
/// `Err` when the file is refused whole.
pub fn read(input: impl Read, sink: &mut Sink<'_>) -> Result<Top, String> {
    let mut input = open(input)?;
    let skipped = skip_blank(&mut input)?;
    match input.fill_buf().map_err(io_error)?.first() {
        Some(b'[') => document(input, sink),
        Some(b'{') => {
            let (first, ended) = first_line(&mut input)?;
            // One line alone is a document (a minified digest is refused as one).
            let alone = input
                .fill_buf()
                .map_err(io_error)?
                .iter()
                .all(u8::is_ascii_whitespace);
            // NDJSON when the first line is a whole record, or a line that
            // is complete but bad (`{"a": NaN}`): that line is then refused
            // alone, as it would be further down. A first line that only
            // begins a document (`{`, `{"Records": [`) ends too early.
            let whole_record = ended
                && !alone
                && match serde_json::from_slice::<Value>(&first) {
                    Ok(Value::Object(ref map)) => !WRAPPERS
                        .iter()
                        .any(|k| map.get(*k).is_some_and(Value::is_array)),
                    Ok(_) => false,
                    Err(e) => !e.is_eof(),
                };
            let input = Cursor::new(first).chain(input);
            if whole_record {
                lines(BufReader::new(input), skipped, sink)
            } else {
                document(input, sink)
            }
        }
        _ => {
            if let Some(what) = json_scalar(input.fill_buf().map_err(io_error)?) {
                return Err(format!(
                    "the file holds {what}, not records: its top level must be a JSON object or array, NDJSON lines or CSV"
                ));
            }
            csv(input, sink)
        }
    }
}

/// What a file is when all of it (as far as the first read shows) is one
/// JSON value that is not an object or array: "a JSON number", say.
fn json_scalar(head: &[u8]) -> Option<&'static str> {
    match serde_json::from_slice::<Value>(head).ok()? {
        Value::Number(_) => Some("a JSON number"),
        Value::String(_) => Some("a JSON string"),
        Value::Bool(_) => Some("a JSON true or false"),
        Value::Null => Some("a JSON null"),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// The file's bytes: inflated if gzip, checked not to be UTF-16, without
/// a BOM. Refuses an empty file.
fn open<'a>(input: impl Read + 'a) -> Result<Box<dyn BufRead + 'a>, String> {
    let mut raw = BufReader::with_capacity(64 << 10, input);
    let head = raw.fill_buf().map_err(io_error)?;
    if head.is_empty() {
        return Err("the file is empty".into());
    }
    let mut text: Box<dyn BufRead + 'a> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::with_capacity(
            64 << 10,
            Inflated {
                decoder: flate2::bufread::MultiGzDecoder::new(raw),
            },
        ))
    } else {
        Box::new(raw)
    };
    let head = text.fill_buf().map_err(io_error)?;
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) || looks_utf16(head) {
        return Err("the file is UTF-16; save it as UTF-8".into());
    }
    if head.starts_with(b"\xef\xbb\xbf") {
        text.consume(3);
    }
    Ok(text)
}

/// UTF-16 without a byte-order mark: every other byte of ASCII text is 0.
fn looks_utf16(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64)];
    head.len() >= 4 && head.iter().filter(|b| **b == 0).count() * 3 >= head.len()
}

/// Gzip inflated as it is read, saying so when it is broken.
struct Inflated<R: BufRead> {
    decoder: flate2::bufread::MultiGzDecoder<R>,
}

impl<R: BufRead> Read for Inflated<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.decoder
            .read(buf)
            .map_err(|e| io::Error::other(format!("the gzip file is broken or truncated ({e})")))
    }
}

fn io_error(e: io::Error) -> String {
    e.to_string()
}

/// Drops leading whitespace; refuses a file of nothing else. How many
/// lines it dropped (NDJSON counts them).
fn skip_blank(input: &mut dyn BufRead) -> Result<u64, String> {
    let mut lines = 0;
    loop {
        let buf = input.fill_buf().map_err(io_error)?;
        if buf.is_empty() {
            return Err("the file is empty".into());
        }
        let blank = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        lines += buf[..blank].iter().filter(|b| **b == b'\n').count() as u64;
        let done = blank < buf.len();
        input.consume(blank);
        if done {
            return Ok(lines);
        }
    }
}

/// The first line with its `\n`, if it ends within [`MAX_RECORD`]
/// bytes (whether it did); only what is returned is consumed.
fn first_line(input: &mut dyn BufRead) -> Result<(Vec<u8>, bool), String> {
    let mut line = Vec::new();
    while line.len() < MAX_RECORD {
        let buf = input.fill_buf().map_err(io_error)?;
        if buf.is_empty() {
            return Ok((line, true));
        }
        let room = buf.len().min(MAX_RECORD - line.len());
        let (take, end) = match buf[..room].iter().position(|b| *b == b'\n') {
            Some(at) => (at + 1, true),
            None => (room, false),
        };
        line.extend_from_slice(&buf[..take]);
        input.consume(take);
        if end {
            return Ok((line, true));
        }
    }
    Ok((line, false))
}

/// The next line without its `\n`, at most [`MAX_RECORD`] bytes of it
/// (the rest is skipped), and whether it was whole. An empty `Vec` and
/// `true` at the end of the file.
fn bounded_line(input: &mut dyn BufRead) -> Result<(Vec<u8>, bool), String> {
    let mut line = Vec::new();
    let mut whole = true;
    loop {
        let buf = input.fill_buf().map_err(io_error)?;
        if buf.is_empty() {
            return Ok((line, whole));
        }
        let (take, end) = match buf.iter().position(|b| *b == b'\n') {
            Some(at) => (at, true),
            None => (buf.len(), false),
        };
        if whole && line.len() + take <= MAX_RECORD {
            line.extend_from_slice(&buf[..take]);
        } else {
            whole = false;
        }
        input.consume(take + usize::from(end));
        if end {
            return Ok((line, whole));
        }
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// NDJSON: one record per non-blank line (LF or CRLF); a bad line is
/// refused alone, text that is not UTF-8 refuses the file.
fn lines(mut input: impl BufRead, skipped: u64, sink: &mut Sink<'_>) -> Result<Top, String> {
    let mut number = skipped;
    loop {
        let at_end = input.fill_buf().map_err(io_error)?.is_empty();
        if at_end {
            return Ok(Top::Lines);
        }
        number += 1;
        let (line, whole) = bounded_line(&mut input)?;
        let line = trim_cr(&line);
        let record = if !whole {
            Err(format!("is longer than {} MiB", MAX_RECORD >> 20))
        } else {
            let text = std::str::from_utf8(line)
                .map_err(|_| format!("the file is not UTF-8 (line {number})"))?;
            if text.trim().is_empty() {
                continue;
            }
            serde_json::from_str(text).map_err(|e| format!("is not JSON: {e}"))
        };
        sink(Place::Line(number), record)?;
    }
}

/// One JSON document, its records handed on one at a time. serde_json
/// refuses NaN, Infinity, lone surrogates, trailing text and nesting past
/// 128 levels.
fn document(input: impl Read, sink: &mut Sink<'_>) -> Result<Top, String> {
    let stopped = Rc::new(Cell::new(None));
    let mut de = serde_json::Deserializer::from_reader(input);
    let top = TopSeed {
        sink,
        stopped: stopped.clone(),
    }
    .deserialize(&mut de)
    .and_then(|top| de.end().map(|()| top));
    top.map_err(|e| match stopped.take() {
        Some(why) => why,
        None => json_error(&e),
    })
}

fn json_error(e: &serde_json::Error) -> String {
    let what = if e.to_string().contains("recursion limit") {
        "nests deeper than 128 levels".to_owned()
    } else if e.is_io() {
        return e.to_string();
    } else if e.is_eof() {
        "ends before its JSON does (truncated?)".to_owned()
    } else if e.to_string().contains("invalid unicode code point") {
        format!("is not UTF-8 ({e})")
    } else {
        format!("is not JSON: {e}")
    };
    format!("the file {what}")
}

/// The document's top level: an array of records or an object.
struct TopSeed<'s, 'a> {
    sink: &'s mut Sink<'a>,
    stopped: Rc<Cell<Option<String>>>,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = Top;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array or an object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Top, A::Error> {
        let mut records = Records {
            sink: self.sink,
            stopped: self.stopped,
            count: 0,
        };
        records.each(seq)?;
        Ok(Top::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut records = Records {
            sink: self.sink,
            stopped: self.stopped,
            count: 0,
        };
        let mut under = None;
        let mut rest = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match WRAPPERS.iter().find(|k| **k == key) {
                Some(wrapper) if under.is_none() => {
                    match map.next_value_seed(&mut records)? {
                        // Not an array: an ordinary key after all.
                        Some(value) => {
                            rest.insert(key, value);
                        }
                        None => under = Some(*wrapper),
                    }
                }
                _ => {
                    rest.insert(key, map.next_value()?);
                }
            }
        }
        if under.is_none() {
            // The object is one record.
            records.send(Value::Object(rest.clone()))?;
        }
        Ok(Top::Object {
            records: under,
            rest,
        })
    }
}

/// Hands on each record of an array; anything else is kept as a value.
struct Records<'s, 'a> {
    sink: &'s mut Sink<'a>,
    stopped: Rc<Cell<Option<String>>>,
    count: u64,
}

impl Records<'_, '_> {
    fn send<E: serde::de::Error>(&mut self, record: Value) -> Result<(), E> {
        self.count += 1;
        (self.sink)(Place::Record(self.count), Ok(record)).map_err(|why| {
            self.stopped.set(Some(why));
            E::custom("stopped")
        })
    }

    fn each<'de, A: SeqAccess<'de>>(&mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element::<Value>()? {
            self.send(record)?;
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for &mut Records<'_, '_> {
    /// `None` when the value was an array (its records handed on).
    type Value = Option<Value>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for &mut Records<'_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<Value>, A::Error> {
        self.each(seq).map(|()| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
        serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Option<Value>, E> {
        Ok(Some(Value::Bool(v)))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Option<Value>, E> {
        Ok(Some(v.into()))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Option<Value>, E> {
        Ok(Some(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Option<Value>, E> {
        serde_json::Number::from_f64(v)
            .map(|n| Some(Value::Number(n)))
            .ok_or_else(|| E::custom("not a finite number"))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<Value>, E> {
        Ok(Some(Value::String(v.to_owned())))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<Value>, E> {
        Ok(Some(Value::Null))
    }
}

/// Counts the bytes a CSV reader takes since the last row, refusing a row
/// longer than [`MAX_RECORD`] (an unclosed quote would otherwise read the
/// whole file into one cell).
struct RowBound<R> {
    inner: R,
    since_row: Rc<Cell<usize>>,
}

impl<R: Read> Read for RowBound<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let seen = self.since_row.get() + n;
        // The reader reads ahead a buffer's worth past the row it returns.
        if seen > MAX_RECORD + (64 << 10) {
            return Err(io::Error::other(format!(
                "a CSV row is longer than {} MiB (is a quote left open?)",
                MAX_RECORD >> 20
            )));
        }
        self.since_row.set(seen);
        Ok(n)
    }
}

/// CSV (RFC 4180: quoted commas and newlines, CRLF): one object per row,
/// keyed by the header's names, so columns are found by name in any
/// order. Empty cells are left out. A header alone is no rows.
fn csv(input: impl Read, sink: &mut Sink<'_>) -> Result<Top, String> {
    let since_row = Rc::new(Cell::new(0));
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(RowBound {
            inner: input,
            since_row: since_row.clone(),
        });
    let not_utf8 = |row: u64| format!("the file is not UTF-8 (row {row})");
    let header: Vec<String> = reader
        .byte_headers()
        .map_err(|e| format!("the CSV header cannot be read: {e}"))?
        .iter()
        .map(|h| std::str::from_utf8(h).map(|h| h.trim().to_owned()))
        .collect::<Result<_, _>>()
        .map_err(|_| not_utf8(1))?;
    if header.iter().all(String::is_empty) {
        return Err("the CSV file has no header".into());
    }
    let mut row = csv::ByteRecord::new();
    let mut number = 1;
    loop {
        since_row.set(0);
        number += 1;
        let record = match reader.read_byte_record(&mut row) {
            Ok(false) => return Ok(Top::Csv(header)),
            Ok(true) if row.len() == header.len() => {
                let mut object = Map::new();
                for (name, cell) in header.iter().zip(row.iter()) {
                    let cell = std::str::from_utf8(cell).map_err(|_| not_utf8(number))?;
                    if !cell.is_empty() {
                        object.insert(name.clone(), Value::String(cell.replace("\r\n", "\n")));
                    }
                }
                Ok(Value::Object(object))
            }
            Ok(true) => Err(format!(
                "has {} cells; the header has {}",
                row.len(),
                header.len()
            )),
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => return Err(e.to_string()),
            Err(e) => Err(format!("cannot be read: {e}")),
        };
        sink(Place::Row(number), record)?;
    }
}

/// Every record of a file, or why it is refused whole (for tests).
#[cfg(test)]
pub(crate) fn all(bytes: &[u8]) -> Result<(Top, Vec<Placed>), String> {
    let mut out = Vec::new();
    let top = read(bytes, &mut |place, record| {
        out.push((place, record));
        Ok(())
    })?;
    Ok((top, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).expect("gzip");
        encoder.finish().expect("gzip")
    }

    fn records(bytes: &[u8]) -> Vec<Placed> {
        all(bytes).expect("a readable file").1
    }

    #[test]
    fn a_file_that_cannot_be_read_whole_is_refused_with_why() {
        let utf16: Vec<u8> = "[{\"a\":1}]"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "empty"),
            (b"  \n ".to_vec(), "empty"),
            (gzip(b""), "empty"),
            ([vec![0xff, 0xfe], utf16.clone()].concat(), "UTF-16"),
            (utf16, "UTF-16"),
            (vec![b'[', b'"', 0xc3, 0x28, b'"', b']'], "not UTF-8"),
            (
                b"{\"a\":1}\n{\"a\":\"\xc3\x28\"}\n".to_vec(),
                "not UTF-8 (line 2)",
            ),
            (b"a,b\n1,\xc3\x28\n".to_vec(), "not UTF-8 (row 2)"),
            (vec![0x1f, 0x8b, 1, 2, 3], "gzip file is broken"),
            (gzip(b"[1,2")[..10].to_vec(), "gzip file is broken"),
            (b"[1, 2".to_vec(), "truncated"),
            (b"{\"a\": NaN}".to_vec(), "not JSON"),
            (b"[Infinity]".to_vec(), "not JSON"),
            (b"[1] junk".to_vec(), "not JSON"),
            (b"[\"\\ud800\"]".to_vec(), "not JSON"),
            (b"{\n\"Records\": [{\"a\": 1}]\n}\n{}".to_vec(), "not JSON"),
            (
                b"42\n".to_vec(),
                "the file holds a JSON number, not records",
            ),
            (b"\"text\"".to_vec(), "holds a JSON string"),
            (b"true".to_vec(), "holds a JSON true or false"),
            (gzip(b"null"), "holds a JSON null"),
        ];
        for (bytes, expected) in cases {
            let err = all(&bytes).map(|_| ()).unwrap_err();
            assert!(err.contains(expected), "{expected}: {err}");
        }
    }

    #[test]
    fn a_bad_first_ndjson_line_is_one_bad_record_like_any_other() {
        let (top, read) = all(b"{\"a\": NaN}\n{\"a\": 2}\n{\"a\": 3}\n").expect("lines");
        assert_eq!(top, Top::Lines);
        assert_eq!(read.len(), 3);
        assert_eq!(read[0].0, Place::Line(1));
        assert!(
            read[0].1.as_ref().is_err_and(|e| e.contains("is not JSON")),
            "{:?}",
            read[0]
        );
        assert_eq!(read[1], (Place::Line(2), Ok(json!({"a": 2}))));
        assert_eq!(read[2], (Place::Line(3), Ok(json!({"a": 3}))));
        // A document that begins on its first line is still one document.
        let (top, read) = all(b"{\"Records\": [\n{\"a\": 1}\n]}\n").expect("a document");
        assert!(matches!(
            top,
            Top::Object {
                records: Some("Records"),
                ..
            }
        ));
        assert_eq!(read.len(), 1);
    }

    #[test]
    fn documents_hand_on_their_records_one_by_one() {
        let (top, read) = all(b"[{\"a\":1}, 2]").expect("an array");
        assert_eq!(top, Top::Array);
        assert_eq!(
            read,
            [
                (Place::Record(1), Ok(json!({"a": 1}))),
                (Place::Record(2), Ok(json!(2)))
            ]
        );
        let (top, read) =
            all(b"{\"object\": \"list\", \"data\": [{\"id\": 1}], \"has_more\": false}")
                .expect("a list");
        assert_eq!(
            top,
            Top::Object {
                records: Some("data"),
                rest: json!({"object": "list", "has_more": false})
                    .as_object()
                    .cloned()
                    .expect("map")
            }
        );
        assert_eq!(read, [(Place::Record(1), Ok(json!({"id": 1})))]);
        let one = b"{\n  \"id\": \"evt_1\",\n  \"data\": {\"object\": {}}\n}\n";
        let (top, read) = all(one).expect("one pretty record");
        assert!(matches!(top, Top::Object { records: None, .. }));
        assert_eq!(
            read,
            [(
                Place::Record(1),
                Ok(json!({"id": "evt_1", "data": {"object": {}}}))
            )]
        );
    }

    #[test]
    fn a_sink_that_stops_ends_the_read_with_its_reason() {
        for file in [&b"[1, 2, 3]"[..], b"{\"a\":1}\n{\"a\":2}\n", b"a\n1\n2\n"] {
            let mut seen = 0;
            let err = read(file, &mut |_, _| {
                seen += 1;
                if seen == 2 {
                    Err("gone".into())
                } else {
                    Ok(())
                }
            })
            .unwrap_err();
            assert_eq!((err.as_str(), seen), ("gone", 2));
        }
    }

    #[test]
    fn csv_rows_are_found_by_name_and_bad_rows_refused_with_their_number() {
        let csv = b"b,a\r\n2,\"x, \"\"quoted\"\"\r\nsecond line\"\r\n1\r\n3,4,5\r\n,\r\n";
        let (top, rows) = all(csv).expect("rows");
        assert_eq!(top, Top::Csv(vec!["b".into(), "a".into()]));
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows[0],
            (
                Place::Row(2),
                Ok(json!({"b": "2", "a": "x, \"quoted\"\nsecond line"}))
            )
        );
        assert_eq!(
            rows[1],
            (Place::Row(3), Err("has 1 cells; the header has 2".into())),
            "rows are numbered as a spreadsheet shows them: the header is 1, a quoted newline stays in its row"
        );
        assert_eq!(rows[2].1, Err("has 3 cells; the header has 2".into()));
        assert_eq!(rows[3].1, Ok(json!({})), "empty cells are absent");
        assert!(records(b"a,b\r\n").is_empty(), "a header alone is no rows");
        assert_eq!(
            records(b"\xef\xbb\xbfa,b\n1,2\n")[0].1,
            Ok(json!({"a": "1", "b": "2"})),
            "the BOM is not in the first name"
        );
    }

    #[test]
    fn nesting_and_record_length_are_bounded_without_a_crash() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(all(deep(64).as_bytes()).is_ok());
        let err = all(deep(100_000).as_bytes()).map(|_| ()).unwrap_err();
        assert!(err.contains("128 levels"), "{err}");
        let long = format!(
            "{{\"a\":1}}\n{{\"a\":\"{}\"}}\n{{\"a\":3}}\n",
            "x".repeat(MAX_RECORD)
        );
        let read = records(long.as_bytes());
        assert_eq!(read.len(), 3);
        assert_eq!(
            read[1],
            (Place::Line(2), Err("is longer than 16 MiB".into()))
        );
        assert_eq!(read[2], (Place::Line(3), Ok(json!({"a": 3}))));
        let open_quote = format!("a,b\n1,\"{}\n", "y,".repeat(MAX_RECORD));
        let err = all(open_quote.as_bytes()).map(|_| ()).unwrap_err();
        assert!(err.contains("quote left open"), "{err}");
    }

    #[test]
    fn gzip_bom_and_line_endings_are_read_as_the_same_text() {
        let plain = "\n{\"a\":1}\r\n\r\n{\"a\":2}\n  \n{bad}\n";
        for bytes in [
            plain.as_bytes().to_vec(),
            gzip(plain.as_bytes()),
            [b"\xef\xbb\xbf".to_vec(), plain.as_bytes().to_vec()].concat(),
        ] {
            let (top, read) = all(&bytes).expect("lines");
            assert_eq!(top, Top::Lines);
            let read: Vec<(Place, bool)> = read.into_iter().map(|(p, r)| (p, r.is_ok())).collect();
            assert_eq!(
                read,
                [
                    (Place::Line(2), true),
                    (Place::Line(4), true),
                    (Place::Line(6), false)
                ],
                "blank lines are not records, but they are counted"
            );
        }
        // A bomb (200 MB of one letter in a few hundred KB) meets the limit
        // on a record's size as soon as one record is past it: refused,
        // with why, after reading no more than that.
        let bomb = gzip(&vec![b'a'; 200 << 20]);
        assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
        let err = all(&bomb).map(|_| ()).unwrap_err();
        assert!(err.contains("16 MiB"), "{err}");
        let text = "[\"é 👋🏽 \u{200f}\"]";
        assert_eq!(records(text.as_bytes())[0].1, Ok(json!("é 👋🏽 \u{200f}")));
    }
}
