//! Tabletop drills: a scenario (a versioned plan, like a runbook) of timed
//! injects with expectations, run on a drill incident whose clock is
//! virtual. The drill incident is worked exactly like a real one, so its
//! measures are taken the same way; the run releases injects as virtual
//! time reaches them and judges each expectation from what the incident's
//! timeline shows, or from the facilitator's word.
pub mod api;
#[cfg(feature = "ssr")]
pub mod calendar;
#[cfg(feature = "ssr")]
pub mod console;
#[cfg(feature = "ssr")]
pub mod db;
pub mod edit;
pub mod edit_api;
mod edit_view;
#[cfg(feature = "ssr")]
pub mod input;
pub mod lines;
pub mod replay;
pub mod report;
#[cfg(feature = "ssr")]
pub mod run;
#[cfg(feature = "ssr")]
pub mod run_view;
pub mod schedule;
pub mod schedule_api;
pub(crate) mod schedule_view;
pub mod score;
pub mod trend;
pub mod view;

pub use api::{
    AddAction, DriveClock, GetReport, GetRun, GetScenario, JudgeExpectation, ListDrills, PlanRun,
    ReleaseInject, RunLive, RunView, SaveReportNotes,
};
pub use edit_api::{GetScenarioEdit, ReplayIncident, SaveScenario};
pub use edit_view::ScenarioEditPage;
pub use schedule_api::{AddSchedule, NewCalendarKey, RemoveSchedule};
pub use view::{DrillsPage, ReportPage, RunPage, ScenarioPage};

use crate::{error::AppError, fields::text_field, notices::Stage, plans::Indexed};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who sees an inject when it is released.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Everyone,
    /// Players of these incident roles (and the facilitator).
    Roles(Vec<i64>),
}

impl Audience {
    /// Whether a player holding `roles` sees it.
    pub fn includes(&self, roles: &[i64]) -> bool {
        match self {
            Self::Everyone => true,
            Self::Roles(for_roles) => for_roles.iter().any(|r| roles.contains(r)),
        }
    }
}

/// What an expectation looks for in the drill incident's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Check {
    /// Someone holds this role ("Commander assigned").
    RoleAssigned { role: String },
    /// A notice is published (of this stage, if one is named).
    NoticePublished { stage: Option<Stage> },
    /// This step of the runbook's checklist is done.
    StepDone { step: u32 },
    /// A note that records a decision: it carries the tag `#decision`.
    Decision,
    /// Only the facilitator can judge it.
    Manual,
}

/// The tag that marks a timeline note as a decision.
pub const DECISION_TAG: &str = "#decision";

/// What should happen, and by when (minutes after its inject's release).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectation {
    /// Stable within the scenario across versions.
    pub id: u32,
    /// In words, as the console and the report show it.
    pub text: String,
    pub check: Check,
    pub within_minutes: Option<u32>,
}

/// One timed event of a scenario: what the players are told, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inject {
    /// Stable within the scenario across versions.
    pub id: u32,
    /// Seconds of virtual time from the start.
    pub offset_s: u32,
    pub title: String,
    /// Markdown: a mock alert, a customer email, a mock audit event.
    pub body: String,
    pub audience: Audience,
    pub expectations: Vec<Expectation>,
}

/// The content of one scenario version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    pub title: String,
    pub tags: Vec<String>,
    /// Markdown.
    pub description: String,
    /// The runbook it rehearses (its plan id).
    pub runbook: Option<i64>,
    pub planned_minutes: u32,
    /// The incident roles it needs players for.
    pub roles: Vec<i64>,
    /// In release order.
    pub injects: Vec<Inject>,
}

pub const MAX_INJECTS: usize = 100;
pub const MAX_EXPECTATIONS: usize = 10;
/// The longest a drill may be planned for: a working day.
pub const MAX_MINUTES: u32 = 8 * 60;

impl Scenario {
    /// Checks what a person (or a plan file) gave, field by field, and puts
    /// the injects in release order.
    pub fn checked(mut self) -> Result<Self, AppError> {
        self.title = text_field("Title", &self.title, true, 120)?;
        self.description = text_field("Description", &self.description, false, 4000)?;
        if !(1..=MAX_MINUTES).contains(&self.planned_minutes) {
            return Err(AppError::invalid(
                "Planned duration",
                format!("is not a number of minutes from 1 to {MAX_MINUTES}"),
            ));
        }
        if self.injects.len() > MAX_INJECTS {
            return Err(AppError::invalid(
                "Injects",
                format!("a scenario holds at most {MAX_INJECTS}"),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (n, inject) in self.injects.iter_mut().enumerate() {
            let field = |what: &str| format!("Inject {} {what}", n + 1);
            if !seen.insert(inject.id) || inject.id == 0 {
                return Err(AppError::invalid(field("id"), "is missing or repeated"));
            }
            inject.title = text_field(&field("title"), &inject.title, true, 160)?;
            inject.body = text_field(&field("body"), &inject.body, false, 8000)?;
            if inject.offset_s > self.planned_minutes * 60 {
                return Err(AppError::invalid(
                    field("time"),
                    "is after the end of the planned duration",
                ));
            }
            if inject.expectations.len() > MAX_EXPECTATIONS {
                return Err(AppError::invalid(
                    field("expectations"),
                    format!("an inject holds at most {MAX_EXPECTATIONS}"),
                ));
            }
            for e in &mut inject.expectations {
                e.text = text_field(&field("expectation"), &e.text, true, 300)?;
                if e.within_minutes
                    .is_some_and(|m| !(1..=MAX_MINUTES).contains(&m))
                {
                    return Err(AppError::invalid(
                        field("expectation"),
                        format!("its time is not from 1 to {MAX_MINUTES} minutes"),
                    ));
                }
            }
        }
        self.injects.sort_by_key(|i| (i.offset_s, i.id));
        Ok(self)
    }

    pub fn inject(&self, id: u32) -> Option<&Inject> {
        self.injects.iter().find(|i| i.id == id)
    }

    /// Every expectation with the inject it belongs to.
    pub fn expectations(&self) -> impl Iterator<Item = (&Inject, &Expectation)> {
        self.injects
            .iter()
            .flat_map(|i| i.expectations.iter().map(move |e| (i, e)))
    }

    /// What the list and search need; the label names the runbook.
    pub fn index(&self, runbook_title: &str) -> Indexed {
        let mut search = format!(
            "{}\n{}\n{}",
            self.title,
            self.tags.join(" "),
            self.description
        );
        for inject in &self.injects {
            search.push('\n');
            search.push_str(&inject.title);
        }
        Indexed {
            title: self.title.clone(),
            tags: self.tags.clone(),
            label: runbook_title.to_owned(),
            search: search.to_lowercase(),
        }
    }

    /// The scenario as plain text, one fact per line, for comparing versions.
    pub fn as_text(&self, roles: &BTreeMap<i64, String>) -> String {
        let name = |id: &i64| {
            roles
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("(removed #{id})"))
        };
        let mut out = format!(
            "Title: {}\nTags: {}\nPlanned: {} min\nRoles: {}\nDescription:\n",
            self.title,
            self.tags.join(", "),
            self.planned_minutes,
            self.roles.iter().map(name).collect::<Vec<_>>().join(", ")
        );
        for line in self.description.lines() {
            out.push_str(&format!("  {line}\n"));
        }
        for inject in &self.injects {
            let audience = match &inject.audience {
                Audience::Everyone => "everyone".to_owned(),
                Audience::Roles(r) => r.iter().map(name).collect::<Vec<_>>().join(", "),
            };
            out.push_str(&format!(
                "\n+{} {} [for {audience}]\n",
                offset_text(inject.offset_s),
                inject.title
            ));
            for line in inject.body.lines() {
                out.push_str(&format!("   {line}\n"));
            }
            for e in &inject.expectations {
                let within = e
                    .within_minutes
                    .map(|m| format!(" within {m} min"))
                    .unwrap_or_default();
                out.push_str(&format!("   expect: {}{within}\n", e.text));
            }
        }
        out
    }
}

/// "+05:00", "+1:02:30": a virtual time from the start.
pub fn offset_text(seconds: u32) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Scheduled,
    Running,
    Paused,
    Ended,
}

impl RunState {
    pub const ALL: [Self; 4] = [Self::Scheduled, Self::Running, Self::Paused, Self::Ended];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Ended => "ended",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, AppError> {
        crate::error::choice(field, s, &Self::ALL, Self::as_str)
    }
}

impl TryFrom<String> for RunState {
    type Error = AppError;

    fn try_from(s: String) -> Result<Self, AppError> {
        Self::parse("State", &s)
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
    let roles = crate::roster::db::role_names(&mut *conn).await?;
    Ok(db::get::<Scenario>(conn, Kind::Scenario, id, Some(version))
        .await?
        .map(|v| v.content.as_text(&roles)))
}

#[cfg(test)]
mod tests;
