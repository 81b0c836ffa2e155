//! Running an incident: declared from a runbook (pinned to the version it
//! had), with a checklist, incident roles, customer notices and the
//! timeline that records everything that happened, append-only.
mod api;
pub mod chart;
#[cfg(feature = "ssr")]
pub mod db;
pub mod export;
#[cfg(feature = "ssr")]
pub mod live;
mod view;

pub use api::{
    AddNote, ApproveIncidentNotice, AssignRole, DeclareIncident, DraftNotice, GetIncident,
    ListIncidents, ListedIncident, PublishNotice, SetSeverity, SetStatus, TickStep,
};
pub use view::{IncidentPage, IncidentsPage};

use crate::{
    error::AppError,
    runbooks::{Phase, Severity},
};
use chrono::{DateTime, Duration, Utc};
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

/// What kind of thing a timeline entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Declared,
    Note,
    Correction,
    StatusChange,
    SeverityChange,
    RoleAssigned,
    StepDone,
    StepUndone,
    NoticeDrafted,
    NoticeApproved,
    NoticePublished,
    EventLinked,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Declared => "declared",
            Self::Note => "note",
            Self::Correction => "correction",
            Self::StatusChange => "status_change",
            Self::SeverityChange => "severity_change",
            Self::RoleAssigned => "role_assigned",
            Self::StepDone => "step_done",
            Self::StepUndone => "step_undone",
            Self::NoticeDrafted => "notice_drafted",
            Self::NoticeApproved => "notice_approved",
            Self::NoticePublished => "notice_published",
            Self::EventLinked => "event_linked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        use EntryKind::*;
        [
            Declared,
            Note,
            Correction,
            StatusChange,
            SeverityChange,
            RoleAssigned,
            StepDone,
            StepUndone,
            NoticeDrafted,
            NoticeApproved,
            NoticePublished,
            EventLinked,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Declared => "Declared",
            Self::Note => "Note",
            Self::Correction => "Correction",
            Self::StatusChange => "Status",
            Self::SeverityChange => "Severity",
            Self::RoleAssigned => "Role",
            Self::StepDone => "Step done",
            Self::StepUndone => "Step undone",
            Self::NoticeDrafted => "Notice drafted",
            Self::NoticeApproved => "Notice approved",
            Self::NoticePublished => "Notice published",
            Self::EventLinked => "Event",
        }
    }
}

impl TryFrom<String> for EntryKind {
    type Error = AppError;

    fn try_from(s: String) -> Result<Self, AppError> {
        Self::parse(&s)
            .ok_or_else(|| AppError::invalid("Kind", format!("'{s}' is not a timeline entry kind")))
    }
}

/// One line of the record. Never changed: a correction is a new entry
/// that names the one it corrects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Entry {
    pub id: i64,
    /// When it was written.
    pub at: DateTime<Utc>,
    /// When it happened, if the author said it was earlier (catching up).
    pub happened_at: Option<DateTime<Utc>>,
    pub author: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub kind: EntryKind,
    /// Where it came from: "muster" for the app's own, or an import source.
    pub source: String,
    pub text: String,
    pub corrects: Option<i64>,
}

impl Entry {
    /// The time the entry is about: when it happened, else when written.
    pub fn when(&self) -> DateTime<Utc> {
        self.happened_at.unwrap_or(self.at)
    }
}

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
        self.target_minutes
            .map(|m| declared_at + Duration::minutes(i64::from(m)))
    }

    /// Not done and past its target time; or done, but later than the target.
    pub fn overdue(&self, declared_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        match (self.due_at(declared_at), self.done_at) {
            (Some(due), None) => now > due,
            (Some(due), Some(done)) => done > due,
            (None, _) => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// Everything the incident page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentView {
    pub incident: Incident,
    pub roles: Vec<RoleHolder>,
    pub checklist: Vec<ChecklistItem>,
    pub timeline: Vec<Entry>,
    /// People who can be given a role: (id, name).
    pub people: Vec<(i64, String)>,
    pub notices: Vec<IncidentNotice>,
    pub templates: Vec<UsableTemplate>,
    pub now: DateTime<Utc>,
}

/// "1h 05m", "3d 2h", "45s": an elapsed time at a glance.
pub fn clock(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let secs = (to - from).num_seconds().max(0);
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s:02}s"),
        (0, _, _) => format!("{h}h {m:02}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// The measures shown on resolve (and later for drills).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measures {
    /// Seconds from declaration until someone held Incident Commander.
    pub to_commander: Option<i64>,
    /// Seconds from declaration until the first notice was published.
    pub to_first_notice: Option<i64>,
    pub steps_done: usize,
    pub steps_total: usize,
    /// Steps finished late or never, by text.
    pub overdue: Vec<String>,
}

pub const COMMANDER: &str = "Incident Commander";

impl IncidentView {
    pub fn measures(&self) -> Measures {
        let start = self.incident.declared_at;
        let end = self.incident.resolved_at.unwrap_or(self.now);
        let first = |kind: EntryKind, pred: &dyn Fn(&Entry) -> bool| {
            self.timeline
                .iter()
                .filter(|e| e.kind == kind && pred(e))
                .map(|e| e.when())
                .min()
                .map(|t| (t - start).num_seconds().max(0))
        };
        Measures {
            to_commander: first(EntryKind::RoleAssigned, &|e| {
                e.text.starts_with(&format!("{COMMANDER}: "))
            }),
            to_first_notice: first(EntryKind::NoticePublished, &|_| true),
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
        let mut roots: Vec<(Entry, Vec<Entry>)> = self
            .timeline
            .iter()
            .filter(|e| e.corrects.is_none())
            .map(|e| (e.clone(), Vec::new()))
            .collect();
        for e in self.timeline.iter().filter(|e| e.corrects.is_some()) {
            match roots
                .iter_mut()
                .find(|(root, _)| Some(root.id) == e.corrects)
            {
                Some((_, corrections)) => corrections.push(e.clone()),
                None => roots.push((e.clone(), Vec::new())),
            }
        }
        roots.sort_by_key(|(e, _)| (e.when(), e.id));
        roots
    }
}

/// The "this happened at" time of a note, in UTC: `HH:MM` (today, or
/// yesterday if that would be in the future) or `YYYY-MM-DD HH:MM` (also
/// with a `T`, as a browser's date-time field sends it).
pub fn parse_happened_at(
    raw: &str,
    declared_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    use chrono::{NaiveDateTime, NaiveTime};
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let wrong = || {
        AppError::invalid(
            "Happened at",
            format!("'{raw}' is not a time such as 03:15 or 2026-11-26 03:15 (UTC)"),
        )
    };
    let at = if let Ok(time) = NaiveTime::parse_from_str(raw, "%H:%M") {
        let today = now.date_naive().and_time(time).and_utc();
        if today > now {
            today - Duration::days(1)
        } else {
            today
        }
    } else {
        ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
            .ok_or_else(wrong)?
            .and_utc()
    };
    if at > now + Duration::minutes(1) {
        return Err(AppError::invalid("Happened at", "is in the future"));
    }
    if at < declared_at - Duration::days(7) {
        return Err(AppError::invalid(
            "Happened at",
            "is more than a week before the incident was declared",
        ));
    }
    Ok(Some(at))
}

/// A step named in a line: its first line without Markdown marks, cut at
/// 80 characters.
pub fn step_title(text: &str) -> String {
    let line: String = text
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '`'))
        .collect();
    let line = line.trim();
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(79).collect::<String>().trim_end())
    } else {
        line.to_owned()
    }
}

/// A number of seconds as people read it: "4m 10s".
pub fn duration_text(seconds: i64) -> String {
    let start = DateTime::<Utc>::UNIX_EPOCH;
    clock(start, start + Duration::seconds(seconds))
}

#[cfg(test)]
mod tests;
