//! The record shared by incidents and (next) drill runs: append-only
//! entries, each saying who, when, what and where it came from. A
//! correction is a new entry naming the one it corrects. Kinds that
//! measures read carry typed data, so nothing parses the words a person
//! reads. Part of the spine: it names no domain, only the subjects a
//! timeline can belong to.
#[cfg(feature = "ssr")]
pub mod commits;
#[cfg(feature = "ssr")]
pub mod db;
pub mod export;
mod measures;

pub use measures::{first_times, linked_events, step_title, Measures, COMMANDER};

use crate::error::AppError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a timeline belongs to. Each subject keeps a revision that every
/// entry moves on, which live pages compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Subject {
    Incident(i64),
    /// A drill run's own record: its clock, releases and judgments (the
    /// drill incident it runs on has the incident's timeline).
    DrillRun(i64),
}

impl Subject {
    pub fn id(self) -> i64 {
        match self {
            Self::Incident(id) | Self::DrillRun(id) => id,
        }
    }

    /// The table that holds the subject (and its revision), and the
    /// timeline column that points at it.
    #[cfg(feature = "ssr")]
    pub(crate) fn tables(self) -> (&'static str, &'static str) {
        match self {
            Self::Incident(_) => ("incidents", "incident_id"),
            Self::DrillRun(_) => ("drill_runs", "drill_run_id"),
        }
    }

    /// How the audit log names it.
    pub fn audit_target(self) -> String {
        match self {
            Self::Incident(id) => format!("incident:{id}"),
            Self::DrillRun(id) => format!("drill-run:{id}"),
        }
    }
}

/// What kind of thing a timeline entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
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
    EventUnlinked,
    /// A drill run's clock started, paused, resumed, changed speed,
    /// jumped or ended.
    DrillClock,
    InjectReleased,
    ExpectationJudged,
    /// Someone called, acknowledging, escalated to, or a message's
    /// delivery (reaching people).
    Call,
}

impl Kind {
    pub const ALL: [Kind; 17] = [
        Self::Declared,
        Self::Note,
        Self::Correction,
        Self::StatusChange,
        Self::SeverityChange,
        Self::RoleAssigned,
        Self::StepDone,
        Self::StepUndone,
        Self::NoticeDrafted,
        Self::NoticeApproved,
        Self::NoticePublished,
        Self::EventLinked,
        Self::EventUnlinked,
        Self::DrillClock,
        Self::InjectReleased,
        Self::ExpectationJudged,
        Self::Call,
    ];

    /// Its name in storage and exports, and a label for people.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Self::Declared => ("declared", "Declared"),
            Self::Note => ("note", "Note"),
            Self::Correction => ("correction", "Correction"),
            Self::StatusChange => ("status_change", "Status"),
            Self::SeverityChange => ("severity_change", "Severity"),
            Self::RoleAssigned => ("role_assigned", "Role"),
            Self::StepDone => ("step_done", "Step done"),
            Self::StepUndone => ("step_undone", "Step undone"),
            Self::NoticeDrafted => ("notice_drafted", "Notice drafted"),
            Self::NoticeApproved => ("notice_approved", "Notice approved"),
            Self::NoticePublished => ("notice_published", "Notice published"),
            Self::EventLinked => ("event_linked", "Event"),
            Self::EventUnlinked => ("event_unlinked", "Event unlinked"),
            Self::DrillClock => ("drill_clock", "Drill clock"),
            Self::InjectReleased => ("inject_released", "Inject"),
            Self::ExpectationJudged => ("expectation_judged", "Expectation"),
            Self::Call => ("call", "Call"),
        }
    }

    pub fn as_str(self) -> &'static str {
        self.names().0
    }

    pub fn label(self) -> &'static str {
        self.names().1
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl TryFrom<String> for Kind {
    type Error = AppError;

    fn try_from(s: String) -> Result<Self, AppError> {
        Self::parse(&s)
            .ok_or_else(|| AppError::invalid("Kind", format!("'{s}' is not a timeline entry kind")))
    }
}

/// What measures and pictures read, typed, beside the words people read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Data {
    /// A role changed hands: who held it before and who holds it now
    /// (`None`: nobody).
    Role {
        role: String,
        from: Option<String>,
        to: Option<String>,
    },
    /// A status changed, by the statuses' stored names.
    Status { from: String, to: String },
    /// An imported event linked as evidence (or unlinked), by its id in
    /// Muster.
    Evidence { event: i64 },
    /// A checklist step done or undone, by its id in the runbook.
    Step { step: u32 },
    /// A notice published, with the stage it speaks to.
    Notice { notice: i64, stage: String },
    /// A drill inject released, by its id in the scenario.
    Inject { inject: u32 },
    /// A drill expectation judged met, missed or waived.
    Judged {
        inject: u32,
        expectation: u32,
        state: String,
    },
}

/// One line of the record. Never changed: a correction is a new entry
/// that names the one it corrects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    /// When it was written.
    pub at: DateTime<Utc>,
    /// When it happened, if the author said it was earlier (catching up).
    pub happened_at: Option<DateTime<Utc>>,
    pub author: String,
    pub kind: Kind,
    /// Where it came from: "muster" for Muster's own, or the imported
    /// event it records.
    pub source: String,
    pub text: String,
    pub corrects: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Data>,
}

impl Entry {
    /// The time the entry is about: when it happened, else when written.
    pub fn when(&self) -> DateTime<Utc> {
        self.happened_at.unwrap_or(self.at)
    }
}

/// Muster's own entries name this source.
pub const OWN_SOURCE: &str = "muster";

/// An entry to append.
#[derive(Clone, Debug)]
pub struct NewEntry {
    pub kind: Kind,
    pub text: String,
    pub author: String,
    pub at: DateTime<Utc>,
    pub happened_at: Option<DateTime<Utc>>,
    pub corrects: Option<i64>,
    /// `None`: Muster's own.
    pub source: Option<String>,
    pub data: Option<Data>,
}

impl NewEntry {
    /// Muster's own entry of this kind, written now by `author`.
    pub fn new(kind: Kind, text: impl Into<String>, author: &str, at: DateTime<Utc>) -> Self {
        Self {
            kind,
            text: text.into(),
            author: author.to_owned(),
            at,
            happened_at: None,
            corrects: None,
            source: None,
            data: None,
        }
    }

    pub fn with_data(mut self, data: Data) -> Self {
        self.data = Some(data);
        self
    }
}

/// Entries with the corrections of each right after it, in the order
/// things happened.
pub fn grouped(entries: &[Entry]) -> Vec<(Entry, Vec<Entry>)> {
    let mut roots: Vec<(Entry, Vec<Entry>)> = entries
        .iter()
        .filter(|e| e.corrects.is_none())
        .map(|e| (e.clone(), Vec::new()))
        .collect();
    let index: std::collections::HashMap<i64, usize> = roots
        .iter()
        .enumerate()
        .map(|(i, (e, _))| (e.id, i))
        .collect();
    for e in entries.iter().filter(|e| e.corrects.is_some()) {
        match e.corrects.and_then(|c| index.get(&c)) {
            Some(&i) => roots[i].1.push(e.clone()),
            None => roots.push((e.clone(), Vec::new())),
        }
    }
    roots.sort_by_key(|(e, _)| (e.when(), e.id));
    roots
}

/// When someone first held `role`, by when it happened.
pub fn first_held(entries: &[Entry], role: &str) -> Option<DateTime<Utc>> {
    entries
        .iter()
        .filter(|e| matches!(&e.data, Some(Data::Role { role: r, to: Some(_), .. }) if r == role))
        .map(Entry::when)
        .min()
}

/// When the first entry of this kind happened.
pub fn first_of(entries: &[Entry], kind: Kind) -> Option<DateTime<Utc>> {
    entries
        .iter()
        .filter(|e| e.kind == kind)
        .map(Entry::when)
        .min()
}

/// Status changes in the order they happened: (when, new status name).
pub fn status_changes(entries: &[Entry]) -> Vec<(DateTime<Utc>, &str)> {
    let mut out: Vec<_> = entries
        .iter()
        .filter_map(|e| match &e.data {
            Some(Data::Status { to, .. }) => Some((e.when(), to.as_str())),
            _ => None,
        })
        .collect();
    out.sort_by_key(|(when, _)| *when);
    out
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
