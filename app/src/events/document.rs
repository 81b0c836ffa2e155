//! A file as a whole, before its records: it must be readable as a whole
//! or it is refused whole and nothing of it is stored. Empty files, UTF-16,
//! text that is not UTF-8, broken or oversized gzip, JSON that does not
//! parse, nests deeper than 128 levels or has anything after its document
//! are all refused, each with a message that says what is wrong. A leading
//! UTF-8 byte-order mark is dropped.
use serde_json::Value;
use std::io::Read;

/// The most a gzip file may inflate to.
pub const MAX_INFLATED: u64 = 64 << 20;

/// The file's text: inflated if gzip, checked to be UTF-8, without a BOM.
pub fn text(bytes: &[u8]) -> Result<String, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        inflate(bytes)?
    } else {
        bytes.to_vec()
    };
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) || looks_utf16(&bytes) {
        return Err("the file is UTF-16; save it as UTF-8".into());
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "the file is not UTF-8 (at byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text);
    if text.trim().is_empty() {
        return Err("the file is empty".into());
    }
    Ok(text)
}

/// UTF-16 without a byte-order mark: every other byte of ASCII text is 0.
fn looks_utf16(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64)];
    head.len() >= 4 && head.iter().filter(|b| **b == 0).count() * 3 >= head.len()
}

/// Inflates gzip as a stream, refusing past [`MAX_INFLATED`].
fn inflate(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut reader = flate2::read::MultiGzDecoder::new(bytes).take(MAX_INFLATED + 1);
    reader
        .read_to_end(&mut out)
        .map_err(|e| format!("the gzip file is broken or truncated ({e})"))?;
    if out.len() as u64 > MAX_INFLATED {
        return Err(format!(
            "the gzip file inflates to more than {} MiB",
            MAX_INFLATED >> 20
        ));
    }
    if out.is_empty() {
        return Err("the gzip file holds nothing".into());
    }
    Ok(out)
}

/// The whole text as one JSON document. serde_json refuses NaN, Infinity,
/// lone surrogates, trailing text and nesting past 128 levels.
pub fn json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| {
        let what = if e.to_string().contains("recursion limit") {
            "nests deeper than 128 levels".to_owned()
        } else if e.is_eof() {
            "ends before its JSON does (truncated?)".to_owned()
        } else {
            format!("is not JSON: {e}")
        };
        format!("the file {what}")
    })
}

/// NDJSON: each non-blank line (LF or CRLF) as its line number and either
/// its value or why it is refused.
pub fn lines(text: &str) -> impl Iterator<Item = Numbered> + '_ {
    text.split('\n')
        .enumerate()
        .map(|(n, line)| (n + 1, line.strip_suffix('\r').unwrap_or(line)))
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            (
                n,
                serde_json::from_str(line).map_err(|e| format!("is not JSON: {e}")),
            )
        })
}

/// A record with its line or row number, or why it is refused.
pub type Numbered = (usize, Result<Value, String>);

/// CSV (RFC 4180: quoted commas and newlines, CRLF) as one JSON object
/// per row, keyed by the header's names (so columns are found by name,
/// in any order). Each row comes with its number (the header is row 1)
/// and either its object or why it is refused. A header alone is no rows.
pub fn csv_rows(text: &str) -> Result<Vec<Numbered>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("the CSV header cannot be read: {e}"))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err("the CSV file has no header".into());
    }
    let mut rows = Vec::new();
    for (n, row) in reader.records().enumerate() {
        let number = n + 2;
        let row = match row {
            Ok(row) if row.len() == header.len() => Ok(Value::Object(
                header
                    .iter()
                    .zip(row.iter())
                    .filter(|(_, cell)| !cell.is_empty())
                    .map(|(h, cell)| (h.clone(), Value::String(cell.replace("\r\n", "\n"))))
                    .collect(),
            )),
            Ok(row) => Err(format!(
                "has {} cells; the header has {}",
                row.len(),
                header.len()
            )),
            Err(e) => Err(format!("cannot be read: {e}")),
        };
        rows.push((number, row));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).expect("gzip");
        encoder.finish().expect("gzip")
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
            ([vec![0xff, 0xfe], utf16.clone()].concat(), "UTF-16"),
            (utf16, "UTF-16"),
            (vec![b'[', 0xc3, 0x28, b']'], "not UTF-8 (at byte 1)"),
            (vec![0x1f, 0x8b, 1, 2, 3], "gzip file is broken"),
            (gzip(b"[1,2")[..10].to_vec(), "gzip file is broken"),
        ];
        for (bytes, expected) in cases {
            let err = text(&bytes).unwrap_err();
            assert!(err.contains(expected), "{expected}: {err}");
        }
        for (doc, expected) in [
            ("[1, 2", "truncated"),
            ("{\"a\": NaN}", "not JSON"),
            ("[Infinity]", "not JSON"),
            ("[1] junk", "not JSON"),
            ("[\"\\ud800\"]", "not JSON"),
            ("hello", "not JSON"),
        ] {
            let err = json(doc).unwrap_err();
            assert!(err.contains(expected), "{doc}: {err}");
        }
    }

    #[test]
    fn csv_rows_are_found_by_name_and_bad_rows_refused_with_their_number() {
        let csv = "b,a\r\n2,\"x, \"\"quoted\"\"\r\nsecond line\"\r\n1\r\n3,4,5\r\n,\r\n";
        let rows = csv_rows(csv).expect("rows");
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows[0],
            (
                2,
                Ok(serde_json::json!({"b": "2", "a": "x, \"quoted\"\nsecond line"}))
            )
        );
        assert_eq!(
            rows[1],
            (3, Err("has 1 cells; the header has 2".into())),
            "rows are numbered as a spreadsheet shows them: the header is 1, a quoted newline stays in its row"
        );
        assert_eq!(rows[2].1, Err("has 3 cells; the header has 2".into()));
        assert_eq!(
            rows[3].1,
            Ok(serde_json::json!({})),
            "empty cells are absent"
        );
        assert!(csv_rows("a,b\r\n").expect("header only").is_empty());
        let bom = super::text(b"\xef\xbb\xbfa,b\n1,2\n").expect("text");
        assert_eq!(
            csv_rows(&bom).expect("rows")[0].1,
            Ok(serde_json::json!({"a": "1", "b": "2"})),
            "the BOM is not in the first name"
        );
    }

    #[test]
    fn nesting_is_bounded_without_a_crash() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(json(&deep(64)).is_ok());
        assert!(json(&deep(100_000)).unwrap_err().contains("128 levels"));
    }

    #[test]
    fn gzip_bom_and_line_endings_are_read_as_the_same_text() {
        let plain = "{\"a\":1}\r\n\r\n{\"a\":2}\n  \n{bad}\n";
        for bytes in [
            plain.as_bytes().to_vec(),
            gzip(plain.as_bytes()),
            [b"\xef\xbb\xbf".to_vec(), plain.as_bytes().to_vec()].concat(),
        ] {
            let text = text(&bytes).expect("text");
            let read: Vec<(usize, bool)> = lines(&text).map(|(n, r)| (n, r.is_ok())).collect();
            assert_eq!(
                read,
                [(1, true), (3, true), (5, false)],
                "blank lines are not records"
            );
        }
        let bomb = gzip(&vec![b' '; (MAX_INFLATED + 10) as usize]);
        assert!(text(&bomb).unwrap_err().contains("inflates to more than"));
        assert_eq!(
            text("é 👋🏽 \u{200f}".as_bytes()).expect("text"),
            "é 👋🏽 \u{200f}"
        );
    }
}
