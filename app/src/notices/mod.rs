//! Customer notice templates: pre-drafted words for each stage of an
//! incident, with variables filled in when they are used. A template needs
//! a second person's approval before an incident may use it.
mod api;
#[cfg(feature = "ssr")]
pub mod engine;
mod view;

pub use api::{ApproveNotice, GetNotice, NoticeData, NoticeInput, PreviewNotice, SaveNotice};
pub use view::{NoticeForm, NoticePage, NoticesPage, PreviewBox};

use crate::{error::AppError, fields::text_field, plans::Indexed};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl Stage {
    pub const ALL: [Self; 4] = [
        Self::Investigating,
        Self::Identified,
        Self::Monitoring,
        Self::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Investigating => "investigating",
            Self::Identified => "identified",
            Self::Monitoring => "monitoring",
            Self::Resolved => "resolved",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Investigating => "Investigating",
            Self::Identified => "Identified",
            Self::Monitoring => "Monitoring",
            Self::Resolved => "Resolved",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, AppError> {
        crate::error::choice(field, s, &Self::ALL, Self::as_str)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    StatusPage,
    InApp,
}

impl Channel {
    pub const ALL: [Self; 3] = [Self::Email, Self::StatusPage, Self::InApp];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::StatusPage => "status_page",
            Self::InApp => "in_app",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Email => "Email",
            Self::StatusPage => "Status page",
            Self::InApp => "In-app message",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, AppError> {
        crate::error::choice(field, s, &Self::ALL, Self::as_str)
    }
}

/// Read from the database, where the names are stored.
impl TryFrom<String> for Stage {
    type Error = AppError;

    fn try_from(s: String) -> Result<Self, AppError> {
        Self::parse("Stage", &s)
    }
}

impl TryFrom<String> for Channel {
    type Error = AppError;

    fn try_from(s: String) -> Result<Self, AppError> {
        Self::parse("Channel", &s)
    }
}

/// The variables an incident fills in, with the sample value the preview
/// uses. A template may use only these.
pub const VARIABLES: &[(&str, &str)] = &[
    ("customer_name", "Ada Lovelace"),
    ("company_name", "Example Ltd"),
    ("incident_title", "Card payments failing at checkout"),
    ("severity", "SEV1 (critical)"),
    ("started_at", "2026-11-26 03:12 UTC"),
    (
        "impact",
        "Some card payments fail at checkout; orders are not lost.",
    ),
    ("next_update_at", "2026-11-26 04:00 UTC"),
    ("affected_services", "Checkout, subscriptions"),
    (
        "workaround",
        "Customers can retry in a few minutes or pay by bank transfer.",
    ),
    ("resolved_at", "2026-11-26 05:40 UTC"),
    ("status_page_url", "https://status.example.com"),
];

/// The content of one template version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeTemplate {
    pub title: String,
    pub tags: Vec<String>,
    pub stage: Stage,
    pub channel: Channel,
    pub subject: String,
    pub body: String,
}

impl NoticeTemplate {
    pub fn index(&self) -> Indexed {
        Indexed {
            title: self.title.clone(),
            tags: self.tags.clone(),
            label: self.stage.as_str().to_owned(),
            search: format!(
                "{}\n{}\n{}\n{}",
                self.title,
                self.tags.join(" "),
                self.subject,
                self.body
            )
            .to_lowercase(),
        }
    }

    /// The template as plain text for comparing versions.
    pub fn as_text(&self) -> String {
        format!(
            "Title: {}\nTags: {}\nStage: {}\nChannel: {}\nSubject: {}\nBody:\n{}\n",
            self.title,
            self.tags.join(", "),
            self.stage.as_str(),
            self.channel.title(),
            self.subject,
            self.body
        )
    }

    /// Checks the fields a person typed, and that subject and body are in
    /// the template language (on the server, where the engine is).
    pub fn checked(self) -> Result<Self, AppError> {
        let subject = text_field("Subject", &self.subject, true, 200)?;
        if subject.contains('\n') {
            return Err(AppError::invalid("Subject", "must be one line"));
        }
        let body = text_field("Body", &self.body, true, 8000)?;
        #[cfg(feature = "ssr")]
        {
            engine::check("Subject", &subject)?;
            engine::check("Body", &body)?;
        }
        Ok(Self {
            title: text_field("Title", &self.title, true, 120)?,
            subject,
            body,
            ..self
        })
    }
}

/// What the editor shows under the template: the text with sample values,
/// and what is wrong with the variables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub subject: String,
    pub body: String,
    /// Used in the template but not a known variable (usually a typo).
    pub unknown: Vec<String>,
    /// Known variables the template does not use.
    pub unused: Vec<String>,
    /// The template does not parse or render, with where.
    pub error: Option<String>,
}

impl Preview {
    /// Only a template that renders and uses known variables may be
    /// approved (and so used in an incident).
    pub fn is_usable(&self) -> bool {
        self.unknown.is_empty() && self.error.is_none()
    }
}

/// One version as the text its history compares (names of roles and
/// templates as they are now); `None` when there is no such version.
#[cfg(feature = "ssr")]
pub async fn version_text(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    version: i64,
) -> Result<Option<String>, crate::error::AppError> {
    use crate::plans::{db, Kind};
    Ok(
        db::get::<NoticeTemplate>(conn, Kind::Template, id, Some(version))
            .await?
            .map(|v| v.content.as_text()),
    )
}
