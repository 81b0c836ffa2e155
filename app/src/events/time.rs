//! When an imported event happened, from whatever its source writes: Unix
//! seconds or milliseconds (as numbers or digit strings) and ISO-8601 with
//! an offset. Everything is stored as UTC.
//!
//! - A number below 1e11 is seconds (1e11 s is the year 5138), from 1e11
//!   up milliseconds; fractions keep millisecond precision or better.
//! - ISO-8601 must say its offset (`Z` or `+hh:mm`): a time without one is
//!   refused as ambiguous, and so are impossible dates and words.
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Where seconds end and milliseconds begin.
const MILLIS_FROM: f64 = 1e11;

/// A time from a JSON value: a number, or text.
pub fn from_json(value: &Value) -> Result<DateTime<Utc>, String> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("{n} is not a time"))
            .and_then(from_number),
        Value::String(text) => from_text(text),
        Value::Null => Err("is empty".into()),
        other => Err(format!(
            "{} is not a time",
            crate::fields::shown(&other.to_string())
        )),
    }
}

/// A time from text: digits (seconds or milliseconds) or ISO-8601.
pub fn from_text(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is empty".into());
    }
    let numeric = text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text.bytes().filter(|b| *b == b'.').count() <= 1
        && text.bytes().any(|b| b.is_ascii_digit());
    if numeric {
        let n: f64 = text
            .parse()
            .map_err(|_| format!("'{}' is not a time", crate::fields::shown(text)))?;
        return from_number(n);
    }
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => Ok(t.with_timezone(&Utc)),
        Err(_) if looks_local(text) => Err(format!(
            "'{}' has no offset (add Z or +hh:mm): it could be any time zone",
            crate::fields::shown(text)
        )),
        Err(_) => Err(format!(
            "'{}' is not a time such as 2026-11-18T14:20:00Z or 1763475600",
            crate::fields::shown(text)
        )),
    }
}

/// Seconds below 1e11, milliseconds from there; no earlier than 1970.
pub fn from_number(n: f64) -> Result<DateTime<Utc>, String> {
    if !n.is_finite() || n < 0.0 {
        return Err(format!("{n} is not a time"));
    }
    let micros = if n < MILLIS_FROM { n * 1e6 } else { n * 1e3 };
    if micros > i64::MAX as f64 {
        return Err(format!("{n} is too far in the future"));
    }
    DateTime::from_timestamp_micros(micros.round() as i64)
        .ok_or_else(|| format!("{n} is not a time"))
}

/// A date and time that parses once an offset is added.
fn looks_local(text: &str) -> bool {
    DateTime::parse_from_rfc3339(&format!("{text}Z")).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("a time")
            .with_timezone(&Utc)
    }

    #[test]
    fn seconds_milliseconds_and_iso_with_offsets_are_read_as_utc() {
        let t = utc("2026-11-18T14:20:00Z");
        for value in [
            json!(1_795_011_600),
            json!("1795011600"),
            json!(1_795_011_600_000_u64),
            json!("1795011600000"),
            json!("2026-11-18T14:20:00Z"),
            json!("2026-11-18T15:20:00+01:00"),
            json!("2026-11-18t14:20:00z"),
        ] {
            assert_eq!(from_json(&value), Ok(t), "{value}");
        }
        assert_eq!(
            from_json(&json!(1_795_011_600.123)).map(|t| t.timestamp_subsec_millis()),
            Ok(123),
            "fractions of seconds keep milliseconds"
        );
        assert_eq!(
            from_json(&json!(1_795_011_600_123.5)).map(|t| t.timestamp_subsec_micros()),
            Ok(123_500)
        );
        assert_eq!(
            from_text("2026-11-18T14:20:00.123456Z").map(|t| t.timestamp_subsec_micros()),
            Ok(123_456)
        );
        // The boundary: 99,999,999,999 is seconds; 100,000,000,000 milliseconds.
        assert_eq!(
            from_number(99_999_999_999.0).map(|t| t.timestamp()),
            Ok(99_999_999_999)
        );
        assert_eq!(
            from_number(100_000_000_000.0).map(|t| t.timestamp()),
            Ok(100_000_000)
        );
    }

    #[test]
    fn ambiguous_impossible_and_wordy_times_are_refused() {
        let no_offset = from_text("2026-11-18T14:20:00").unwrap_err();
        assert!(no_offset.contains("no offset"), "{no_offset}");
        for bad in [
            "2026-02-30T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-11-18T25:00:00Z",
            "yesterday",
            "NaN",
            "Infinity",
            "-5",
            "1.2.3",
            "",
            "   ",
            "１７９５０１１６００",
        ] {
            assert!(from_text(bad).is_err(), "{bad:?}");
        }
        assert!(from_json(&json!(-1)).is_err());
        assert!(from_json(&json!(true)).is_err());
        assert!(from_json(&json!(null)).is_err());
        assert!(from_json(&json!(1e300)).is_err());
    }
}
