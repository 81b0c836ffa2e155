//! CSV read as a stream of rows, each bounded in length.
use super::{Place, Sink, Top, MAX_RECORD};
use serde_json::{Map, Value};
use std::{
    cell::Cell,
    io::{self, Read},
    rc::Rc,
};

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
pub(super) fn csv(input: impl Read, sink: &mut Sink<'_>) -> Result<Top, String> {
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
