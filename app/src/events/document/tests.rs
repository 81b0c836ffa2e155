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
    let (top, read) = all(b"{\"object\": \"list\", \"data\": [{\"id\": 1}], \"has_more\": false}")
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
