//! Running an incident: declared from a runbook (pinned to the version it
//! had), with a checklist, incident roles, customer notices and the
//! timeline that records everything that happened, append-only.
#[cfg(feature = "ssr")]
pub(crate) mod act;
pub(crate) mod api;
pub mod chart;
#[cfg(feature = "ssr")]
pub mod db;
mod draft;
pub mod evidence;
pub mod export;
pub mod from_alert;
mod list;
mod timeline_view;
mod view;

#[cfg(feature = "ssr")]
pub(crate) use api::{declare_in, reach_declared};
pub use api::{
    AddIncidentNote, ApproveIncidentNotice, AssignRole, DeclareIncident, DraftNotice, GetIncident,
    GetIncidentPage, ListIncidents, ListedIncident, PublishNotice, SetSeverity, SetStatus,
    TickStep,
};
pub use list::IncidentsPage;
pub use view::IncidentPage;

use crate::timeline::{first_times, step_title, Measures};
use crate::{
    clock,
    runbooks::{Phase, Severity},
    timeline,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an incident stands: the same four stages its notices speak to.
pub use crate::notices::Stage as Status;

/// What a severity means, in words a person under stress can act on.
pub fn severity_meaning(severity: Severity) -> &'static str {
    match severity {
        Severity::Sev1 => {
            "Critical: customers cannot use a core service (e.g. nobody can pay). All hands, now."
        }
        Severity::Sev2 => "Major: a core service is degraded for many customers. Work on it now.",
        Severity::Sev3 => {
            "Minor: some customers are affected and there is a workaround. Work on it today."
        }
        Severity::Sev4 => {
            "Low: little or no customer impact. Track it and fix it in working hours."
        }
    }
}

pub use crate::timeline::{Entry, Kind as EntryKind};

/// A step of the pinned runbook as this incident tracks it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub step_id: u32,
    pub phase: Phase,
    pub role: String,
    pub target_minutes: Option<u32>,
    /// Markdown.
    pub text: String,
    /// The text as safe HTML, made on the server: the live page re-renders
    /// in the browser, which has no Markdown renderer.
    #[serde(default)]
    pub html: String,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
}

impl ChecklistItem {
    pub fn due_at(&self, declared_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        clock::due_at(declared_at, self.target_minutes)
    }

    /// Not done and past its target time; or done, but later than the target.
    pub fn overdue(&self, declared_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        clock::overdue(self.due_at(declared_at), self.done_at, now)
    }
}

/// An incident named by its number and title (where events may be linked).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct IncidentTitle {
    pub id: i64,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct RoleHolder {
    pub role_id: i64,
    pub role: String,
    pub person_id: Option<i64>,
    pub person: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: i64,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub impact: String,
    pub runbook: Option<(i64, i64, String)>,
    pub declared_at: DateTime<Utc>,
    pub declared_by: String,
    pub resolved_at: Option<DateTime<Utc>>,
    pub next_update_at: Option<DateTime<Utc>>,
    /// Goes up with every change: the live page compares it to know when
    /// to fetch again.
    pub revision: i64,
    /// The drill run this incident is (never a real incident).
    pub drill_run: Option<i64>,
    /// A drill incident's virtual clock; a real incident runs on real time.
    pub clock: Option<clock::VirtualClock>,
}

impl Incident {
    /// The incident's time when the real time is `real`: virtual for a
    /// drill, so its measures read as they would in a real incident.
    pub fn now(&self, real: DateTime<Utc>) -> DateTime<Utc> {
        self.clock.map_or(real, |c| c.now_at(real))
    }
}

/// A customer notice of this incident, from draft to published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct IncidentNotice {
    pub id: i64,
    pub template: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub stage: crate::notices::Stage,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub channel: crate::notices::Channel,
    pub subject: String,
    pub body: String,
    pub drafted_by: String,
    pub drafted_by_id: Option<i64>,
    pub drafted_at: DateTime<Utc>,
    pub next_update_at: Option<DateTime<Utc>>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub published_by: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

/// An approved template an incident may use: (id, title, stage).
pub type UsableTemplate = (i64, String, crate::notices::Stage);

/// Everything the incident page shows. Its size does not grow with the
/// history: the timeline is one page of entries, and only the kinds that
/// measures and the picture read are kept whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentView {
    pub incident: Incident,
    pub roles: Vec<RoleHolder>,
    pub checklist: Vec<ChecklistItem>,
    /// One page of the timeline, oldest first: the newest entries, or those
    /// before the entry the page was asked for.
    pub timeline: Vec<Entry>,
    /// The oldest entry shown, when there are older ones (the next page
    /// starts before it).
    pub earlier: Option<i64>,
    /// Every entry of the kinds in [`MARK_KINDS`], oldest first.
    pub marks: Vec<Entry>,
    /// People who can be given a role: (id, name).
    pub people: Vec<(i64, String)>,
    pub notices: Vec<IncidentNotice>,
    pub templates: Vec<UsableTemplate>,
    /// The incident's time when read: virtual for a drill.
    pub now: DateTime<Utc>,
    /// The server's real time when read: the browser's clock follows it,
    /// and works a drill's time out from it.
    pub real_now: DateTime<Utc>,
    /// Messages about this incident that could not be delivered
    /// ("channel: answer"), newest first: a warning on its page.
    pub failed_deliveries: Vec<String>,
}

/// How many timeline entries one page shows.
pub const PAGE: usize = 200;

/// The kinds measures and the picture read from the whole history.
pub const MARK_KINDS: [EntryKind; 5] = [
    EntryKind::RoleAssigned,
    EntryKind::StatusChange,
    EntryKind::SeverityChange,
    EntryKind::StepDone,
    EntryKind::NoticePublished,
];

/// What one change to an incident did: sent to every open page, which
/// applies it without asking the server again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delta {
    /// The revision the change was made on, and the one it made.
    pub from: i64,
    pub revision: i64,
    /// The incident as it now is (status, severity, next update, ...).
    pub incident: Option<Incident>,
    /// Timeline entries the change appended.
    pub entries: Vec<Entry>,
    pub step: Option<ChecklistItem>,
    pub role: Option<RoleHolder>,
    pub notice: Option<IncidentNotice>,
}

/// What applying a change to a shown incident did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Applied,
    /// The page already shows it (or something newer).
    AlreadyShown,
    /// Changes in between were missed: fetch the incident once.
    Gap,
}

impl IncidentView {
    /// Applies a change made on the revision shown.
    pub fn apply(&mut self, d: Delta) -> Applied {
        if d.revision <= self.incident.revision {
            return Applied::AlreadyShown;
        }
        if d.from != self.incident.revision {
            return Applied::Gap;
        }
        if let Some(incident) = d.incident {
            self.incident = incident;
        }
        self.incident.revision = d.revision;
        for entry in d.entries {
            if MARK_KINDS.contains(&entry.kind) {
                self.marks.push(entry.clone());
            }
            self.timeline.push(entry);
        }
        // A page left open for hours keeps its memory bounded.
        if self.timeline.len() > 2 * PAGE {
            let cut = self.timeline.len() - PAGE;
            self.earlier = self.timeline.get(cut).map(|e| e.id);
            self.timeline.drain(..cut);
        }
        if let Some(step) = d.step {
            if let Some(shown) = self
                .checklist
                .iter_mut()
                .find(|s| s.step_id == step.step_id)
            {
                *shown = step;
            }
        }
        if let Some(role) = d.role {
            if let Some(shown) = self.roles.iter_mut().find(|r| r.role_id == role.role_id) {
                *shown = role;
            }
        }
        if let Some(notice) = d.notice {
            match self.notices.iter_mut().find(|n| n.id == notice.id) {
                Some(shown) => *shown = notice,
                None => self.notices.push(notice),
            }
        }
        Applied::Applied
    }
}

impl IncidentView {
    pub fn measures(&self) -> Measures {
        let start = self.incident.declared_at;
        let end = self.incident.resolved_at.unwrap_or(self.now);
        let (to_commander, to_first_notice) = first_times(start, &self.marks);
        Measures {
            to_commander,
            to_first_notice,
            steps_done: self
                .checklist
                .iter()
                .filter(|s| s.done_at.is_some())
                .count(),
            steps_total: self.checklist.len(),
            overdue: self
                .checklist
                .iter()
                .filter(|s| s.overdue(start, end))
                .map(|s| step_title(&s.text))
                .collect(),
        }
    }

    /// Entries with the corrections of each shown right after it.
    pub fn grouped_timeline(&self) -> Vec<(Entry, Vec<Entry>)> {
        timeline::grouped(&self.timeline)
    }
}

#[cfg(test)]
mod tests;
