//! Action items, from drill reports and reviews alike, tracked to
//! closure: what, who owns it (a person on the roster), by when, how
//! urgent, where it stands, and the outside ticket that tracks the work.
//! One list across all of them at /actions, overdue first.
mod api;
#[cfg(feature = "ssr")]
pub mod db;
pub(crate) mod view;

pub use api::{ListActions, SetActionStatus};
pub use view::ActionsPage;

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// How many action items one drill or review may hold.
pub const MAX_PER_SOURCE: i64 = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    High,
    Medium,
    Low,
}

impl Priority {
    pub const ALL: [Self; 3] = [Self::High, Self::Medium, Self::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| {
                AppError::invalid(
                    field,
                    format!(
                        "'{}' is not a priority (high, medium, low)",
                        crate::fields::shown(s)
                    ),
                )
            })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    InProgress,
    Done,
    WontDo,
}

impl Status {
    pub const ALL: [Self; 4] = [Self::Open, Self::InProgress, Self::Done, Self::WontDo];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::InProgress => "in_progress",
            Self::Done => "done",
            Self::WontDo => "wont_do",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::InProgress => "In progress",
            Self::Done => "Done",
            Self::WontDo => "Won't do",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| {
                AppError::invalid(
                    field,
                    format!(
                        "'{}' is not a status (open, in_progress, done, wont_do)",
                        crate::fields::shown(s)
                    ),
                )
            })
    }

    /// Still to be done.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Open | Self::InProgress)
    }
}

/// An action item as the lists show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: i64,
    pub title: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub due_on: String,
    pub priority: Priority,
    pub status: Status,
    pub ticket_url: String,
    /// Where it came from, and its page.
    pub source: String,
    pub link: String,
    /// Past its due date and still open.
    pub overdue: bool,
}

/// What a person gives for a new action item, checked.
pub struct NewItem {
    pub title: String,
    pub owner: i64,
    pub due_on: chrono::NaiveDate,
    pub priority: Priority,
    pub ticket_url: String,
}

impl NewItem {
    pub fn checked(
        title: &str,
        owner: i64,
        due_on: &str,
        priority: &str,
        ticket_url: &str,
    ) -> Result<Self, AppError> {
        let title = crate::fields::text_field("Action", title, true, 300)?;
        let due_on =
            chrono::NaiveDate::parse_from_str(due_on.trim(), "%Y-%m-%d").map_err(|_| {
                AppError::invalid(
                    "Due",
                    format!(
                        "'{}' is not a date such as 2026-12-15",
                        crate::fields::shown(due_on)
                    ),
                )
            })?;
        let ticket_url = ticket_url.trim().to_owned();
        // A link people will click: only the web's own schemes.
        let web = ticket_url.starts_with("https://") || ticket_url.starts_with("http://");
        if !(ticket_url.is_empty() || web)
            || ticket_url.len() > 500
            || ticket_url.chars().any(char::is_whitespace)
        {
            return Err(AppError::invalid(
                "Ticket",
                "give an http(s) address of at most 500 characters, or none",
            ));
        }
        Ok(Self {
            title,
            owner,
            due_on,
            priority: match priority.trim() {
                "" => Priority::Medium,
                p => Priority::parse("Priority", p)?,
            },
            ticket_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_item_is_checked_field_by_field() {
        let ok = NewItem::checked(
            "Rotate the key",
            1,
            "2026-12-15",
            "",
            "https://tracker.example/T-1",
        )
        .expect("ok");
        assert_eq!(ok.priority, Priority::Medium);
        for (title, due, priority, ticket, says) in [
            ("", "2026-12-15", "", "", "Action"),
            ("x", "15/12/2026", "", "", "Due"),
            ("x", "2026-12-15", "urgent", "", "Priority"),
            ("x", "2026-12-15", "", "javascript:alert(1)", "Ticket"),
            ("x", "2026-12-15", "", "https://a b", "Ticket"),
        ] {
            let err = NewItem::checked(title, 1, due, priority, ticket)
                .err()
                .expect(says)
                .to_string();
            assert!(err.contains(says), "{err}");
        }
    }
}
