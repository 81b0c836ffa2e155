//! Checks for what forms and page addresses carry, shared by every domain:
//! text fields, optional ids, and the page's own parameters. Part of the
//! base: it names no domain.
use crate::error::AppError;

/// A short text field: trimmed, required or not, and not too long.
pub fn text_field(field: &str, raw: &str, required: bool, max: usize) -> Result<String, AppError> {
    let text = raw.trim();
    if required && text.is_empty() {
        return Err(AppError::invalid(field, "is required"));
    }
    let n = text.chars().count();
    if n > max {
        return Err(AppError::invalid(
            field,
            format!("is {n} characters long; the limit is {max}"),
        ));
    }
    Ok(text.to_owned())
}

/// An id a form may leave empty (a select with "none"): `None` when empty,
/// an error naming the field when it is not a number.
pub fn optional_id(field: &str, raw: &str) -> Result<Option<i64>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        text => text
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid(field, "is not a number")),
    }
}

/// A query-string parameter of the page address, empty when absent.
pub fn query(name: &str) -> String {
    use leptos::prelude::*;
    leptos_router::hooks::use_query_map().with_untracked(|q| q.get(name).unwrap_or_default())
}

/// The `:id` of the page address (0 when it is not a number, which no
/// stored thing has, so the page says "not found").
pub fn id_param() -> i64 {
    use leptos::prelude::*;
    leptos_router::hooks::use_params_map()
        .with_untracked(|p| p.get("id").and_then(|v| v.parse().ok()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_are_trimmed_required_and_bounded() {
        assert_eq!(text_field("Name", "  Priya ", true, 10).unwrap(), "Priya");
        assert_eq!(
            text_field("Name", " ", true, 10).unwrap_err().to_string(),
            "Name: is required"
        );
        assert_eq!(text_field("Team", "", false, 10).unwrap(), "");
        assert_eq!(
            text_field("Team", "abcdefghijk", false, 10)
                .unwrap_err()
                .to_string(),
            "Team: is 11 characters long; the limit is 10"
        );
    }

    #[test]
    fn optional_ids_are_empty_or_numbers() {
        assert_eq!(optional_id("Runbook", "  ").unwrap(), None);
        assert_eq!(optional_id("Runbook", " 12 ").unwrap(), Some(12));
        assert_eq!(
            optional_id("Runbook", "twelve").unwrap_err().to_string(),
            "Runbook: is not a number"
        );
    }
}

/// A value for a query string: everything but unreserved characters (and
/// `/`) written as `%XX`.
pub fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A value someone gave, as an error quotes it back: at most 60
/// characters, with control characters escaped, so an error about a huge
/// or strange value stays short and readable.
pub fn shown(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .take(60)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if raw.chars().nth(60).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod shown_tests {
    #[test]
    fn values_are_quoted_short_and_plain() {
        assert_eq!(super::shown("12h"), "12h");
        assert_eq!(super::shown("a\nb\u{0}"), "a\\nb\\u{0}");
        assert_eq!(super::shown(&"é".repeat(100)).chars().count(), 61);
    }
}

/// Strange text for tests that feed every parser what a person, a broken
/// script or an attacker might send: empty, huge, control characters,
/// multi-byte and right-to-left letters, huge and negative numbers, broken
/// escapes. The same seed gives the same texts, so a failure repeats.
#[cfg(feature = "ssr")]
pub fn strange_texts(seed: u64, count: usize) -> Vec<String> {
    const PIECES: &[&str] = &[
        "",
        " ",
        "\t",
        "\n",
        "\r\n",
        "\0",
        "\u{7f}",
        "é",
        "日本",
        "\u{202e}",
        "\u{fe0f}",
        "🦀",
        "%",
        "%0a",
        "%zz",
        "\\",
        "/",
        "//",
        ":",
        ",",
        ";",
        "=",
        "&",
        "'",
        "\"",
        "<script>",
        "{{",
        "}}",
        "{%",
        "-",
        "+",
        ".",
        "0",
        "1",
        "12",
        "30m",
        "12h",
        "7d",
        "s",
        "m",
        "h",
        "d",
        "true",
        "no",
        "-1",
        "99999999999999999999",
        "1e400",
        "NaN",
        "127.0.0.1",
        "::1",
        "10.0.0.0/8",
        "/33",
        "http://",
        "https://x",
        "a@b.c",
        "@",
        "production",
        "json",
        "sev1",
    ];
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|n| {
            if n % 97 == 96 {
                // Now and then, one very long value.
                return "9".repeat(10_000 + (next() % 100_000) as usize);
            }
            let pieces = (next() % 8) as usize;
            (0..pieces)
                .map(|_| {
                    let r = next();
                    if r % 5 == 0 {
                        char::from_u32((r >> 8) as u32 % 0x11_0000)
                            .map(String::from)
                            .unwrap_or_default()
                    } else {
                        PIECES[(r >> 8) as usize % PIECES.len()].to_owned()
                    }
                })
                .collect()
        })
        .collect()
}
