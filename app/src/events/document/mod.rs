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
use serde_json::{Map, Value};
use std::{
    fmt,
    io::{self, BufRead, BufReader, Cursor, Read},
};

mod json;
mod table;
#[cfg(test)]
mod tests;
use json::document;
use table::csv;

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
