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
