//! Blameless post-incident reviews, started from the record: a resolved
//! incident's (or an ended drill's) timeline and linked audit events are
//! the review's timeline, never retyped and never changed (entries are
//! only hidden, annotated or marked as key moments); the sections are
//! Markdown, with language hints as the author writes.
mod api;
#[cfg(feature = "ssr")]
pub mod cite;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod doc;
mod editor;
#[cfg(feature = "ssr")]
pub mod flow;
mod flow_api;
mod flow_view;
pub mod hints;
mod list;
#[cfg(feature = "ssr")]
pub mod picture;
#[cfg(feature = "ssr")]
pub mod print;
mod view;

pub use api::{AddReviewAction, GetReview, MarkEntry, PreviewSection, SaveSection, StartReview};
pub use flow_api::{AddReviewer, CommentReview, MoveReview, RemoveReviewer};
pub use list::{ListReviews, ReviewsPage};
pub use view::ReviewPage;

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// The written sections: (key, heading, what it asks).
pub const SECTIONS: [(&str, &str, &str); 7] = [
    (
        "summary",
        "Summary",
        "What happened, in a few sentences a newcomer can follow.",
    ),
    (
        "impact",
        "Customer impact",
        "Who was affected, how, and for how long.",
    ),
    (
        "factors",
        "Contributing factors",
        "The conditions that made this possible: systems, tools, pressures. Not people.",
    ),
    ("went_well", "What went well", "What helped: keep doing it."),
    (
        "lucky",
        "Where we got lucky",
        "What saved us this time that we cannot count on.",
    ),
    (
        "hard",
        "What was hard",
        "Where the work was difficult, confusing or slow.",
    ),
    ("lessons", "Lessons", "What we take from it."),
];

/// The most a section may hold.
pub const MAX_SECTION: usize = 20_000;

/// Where a review stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Draft,
    InReview,
    Published,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in_review",
            Self::Published => "published",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::InReview => "In review",
            Self::Published => "Published",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, AppError> {
        match s {
            "draft" => Ok(Self::Draft),
            "in_review" => Ok(Self::InReview),
            "published" => Ok(Self::Published),
            _ => Err(AppError::invalid(
                field,
                format!("'{}' is not a review state", crate::fields::shown(s)),
            )),
        }
    }
}

/// A key moment an entry can be marked as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Moment {
    Detection,
    Diagnosis,
    Mitigation,
    Decision,
}

impl Moment {
    pub const ALL: [Self; 4] = [
        Self::Detection,
        Self::Diagnosis,
        Self::Mitigation,
        Self::Decision,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Detection => "detection",
            Self::Diagnosis => "diagnosis",
            Self::Mitigation => "mitigation",
            Self::Decision => "decision",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Detection => "Detection",
            Self::Diagnosis => "Diagnosis",
            Self::Mitigation => "Mitigation",
            Self::Decision => "Key decision",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Option<Self>, AppError> {
        match s {
            "" => Ok(None),
            other => Self::ALL
                .into_iter()
                .find(|m| m.as_str() == other)
                .map(Some)
                .ok_or_else(|| {
                    AppError::invalid(
                        field,
                        format!("'{}' is not a key moment", crate::fields::shown(other)),
                    )
                }),
        }
    }
}

/// An audit event a review cites, with what proves where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cited {
    pub id: i64,
    pub source: String,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub summary: String,
    pub fingerprint: String,
}

/// One line of the review's timeline: the entry as recorded, and how the
/// review shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub entry: crate::timeline::Entry,
    pub hidden: bool,
    pub note: String,
    pub moment: Option<Moment>,
    /// The audit event the entry links, when it does.
    pub event: Option<Cited>,
}

/// A review with its sections as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub id: i64,
    pub incident_id: i64,
    pub title: String,
    pub state: State,
    pub version: i64,
    /// In the order of [`SECTIONS`].
    pub sections: Vec<String>,
    pub updated_by: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revision: i64,
}

/// A person asked to review, by account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Reviewer {
    pub user_id: i64,
    pub name: String,
}

/// A comment on one part of a review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Comment {
    pub id: i64,
    /// A section key, `timeline` or `actions`.
    pub part: String,
    pub text: String,
    pub author: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A published version of a review: which, by whom and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Published {
    pub version: i64,
    pub published_by: String,
    pub published_at: chrono::DateTime<chrono::Utc>,
}

/// The parts of a review a comment can be on: the sections, then the
/// timeline and the action items.
pub fn comment_parts() -> impl Iterator<Item = (&'static str, &'static str)> {
    SECTIONS
        .iter()
        .map(|(k, h, _)| (*k, *h))
        .chain([("timeline", "Timeline"), ("actions", "Action items")])
}

/// The column a section is stored in, for a key the caller gave.
pub fn section_index(key: &str) -> Result<usize, AppError> {
    SECTIONS
        .iter()
        .position(|(k, _, _)| *k == key)
        .ok_or_else(|| {
            AppError::invalid(
                "Section",
                format!("'{}' is not a section", crate::fields::shown(key)),
            )
        })
}
