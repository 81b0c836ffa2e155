//! Reading what a drill form sends: a speed and a planned time.
use crate::error::AppError;
use chrono::{DateTime, Utc};

/// "10x", "0.5", "250" (percent) as a speed in percent.
pub fn speed(raw: &str) -> Result<u32, AppError> {
    let raw = raw.trim().trim_end_matches(['x', 'X']);
    let pct = match raw.parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 10.0 => (x * 100.0).round() as u32,
        Ok(x) if x > 10.0 && x.fract() == 0.0 => x as u32,
        _ => 0,
    };
    if crate::clock::SPEEDS.contains(&pct) {
        Ok(pct)
    } else {
        Err(AppError::invalid(
            "Speed",
            format!(
                "'{}' is not a speed from 0.5x to 10x",
                crate::fields::shown(raw)
            ),
        ))
    }
}

/// A planned time, `YYYY-MM-DD HH:MM` in UTC, not in the past.
pub fn parse_when(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
    let at = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(raw, f).ok())
        .ok_or_else(|| {
            AppError::invalid(
                "Planned for",
                format!(
                    "'{}' is not a time such as 2026-12-03 14:00 (UTC)",
                    crate::fields::shown(raw)
                ),
            )
        })?
        .and_utc();
    if at < now - chrono::Duration::minutes(1) {
        return Err(AppError::invalid("Planned for", "is in the past"));
    }
    Ok(at)
}
