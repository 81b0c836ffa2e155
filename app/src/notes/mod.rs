//! Team notes: short messages pinned for whoever is on call. The first
//! feature to travel the whole path: form, server function, SQLite, page.
mod api;
#[cfg(feature = "ssr")]
pub mod db;
mod view;

pub use api::{AddTeamNote, ListNotes};
pub use view::NotesPage;

use crate::error::AppError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How many notes the page shows.
pub const PAGE_SIZE: i64 = 50;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Note {
    pub id: i64,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A note's text, trimmed and checked: parse at the edge, trust inside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteBody(String);

impl NoteBody {
    pub const MAX_CHARS: usize = 500;
    pub const FIELD: &'static str = "Note";

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(AppError::invalid(
                Self::FIELD,
                "write something before adding the note",
            ));
        }
        // SQLite measures text up to its first NUL: such a note would
        // neither store nor read back whole.
        if text.contains('\0') {
            return Err(AppError::invalid(
                Self::FIELD,
                "holds a NUL character, which a note cannot",
            ));
        }
        let chars = text.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(AppError::invalid(
                Self::FIELD,
                format!(
                    "is {chars} characters long; the limit is {}",
                    Self::MAX_CHARS
                ),
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_trimmed() {
        assert_eq!(
            NoteBody::parse("  call Stripe  ").unwrap().as_str(),
            "call Stripe"
        );
    }

    #[test]
    fn an_empty_note_is_refused_naming_the_field() {
        let err = NoteBody::parse("   ").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Note: write something before adding the note"
        );
    }

    #[test]
    fn a_note_over_the_limit_says_how_long_it_is() {
        let err = NoteBody::parse(&"é".repeat(501)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Note: is 501 characters long; the limit is 500"
        );
        assert!(NoteBody::parse(&"é".repeat(500)).is_ok());
    }

    #[test]
    fn a_note_with_a_nul_is_refused() {
        let err = NoteBody::parse("\0rolled back").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Note: holds a NUL character, which a note cannot"
        );
    }
}
