//! Runbooks: what to do when a known kind of incident happens, as steps in
//! phases, each owned by an incident role and timed from the declaration.
//! Edits go to a shared draft; saving the draft makes a new version.
mod api;
mod edit;
pub mod view;

pub use api::{
    ChangeStep, CreateRunbook, DiscardDraft, GetDraft, GetRunbook, LinkTemplate, RunbookData,
    SaveDraftHeader, SaveRunbook, SaveStep,
};
pub use edit::RunbookEditPage;
pub use view::{RunbookPage, RunbooksPage};

use crate::{error::AppError, fields::text_field, plans::Indexed};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Triage,
    Escalation,
    Containment,
    Communication,
    Recovery,
}

impl Phase {
    pub const ALL: [Self; 5] = [
        Self::Triage,
        Self::Escalation,
        Self::Containment,
        Self::Communication,
        Self::Recovery,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Triage => "triage",
            Self::Escalation => "escalation",
            Self::Containment => "containment",
            Self::Communication => "communication",
            Self::Recovery => "recovery",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Triage => "Triage",
            Self::Escalation => "Escalation",
            Self::Containment => "Containment",
            Self::Communication => "Communication",
            Self::Recovery => "Recovery",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, AppError> {
        crate::error::choice(field, s, &Self::ALL, Self::as_str)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Sev1,
    Sev2,
    Sev3,
    Sev4,
}

impl Severity {
    pub const ALL: [Self; 4] = [Self::Sev1, Self::Sev2, Self::Sev3, Self::Sev4];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sev1 => "sev1",
            Self::Sev2 => "sev2",
            Self::Sev3 => "sev3",
            Self::Sev4 => "sev4",
        }
    }

    /// "SEV1": how pages and timelines name it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Sev1 => "SEV1",
            Self::Sev2 => "SEV2",
            Self::Sev3 => "SEV3",
            Self::Sev4 => "SEV4",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Sev1 => "SEV1 (critical)",
            Self::Sev2 => "SEV2 (major)",
            Self::Sev3 => "SEV3 (minor)",
            Self::Sev4 => "SEV4 (low)",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, AppError> {
        crate::error::choice(field, s, &Self::ALL, Self::as_str)
    }
}

/// One thing to do, by one role, ideally within a time from declaration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Stable within the runbook across versions, so a diff and a running
    /// incident's checklist can follow a step that moved.
    pub id: u32,
    pub phase: Phase,
    pub role_id: i64,
    pub target_minutes: Option<u32>,
    /// Markdown.
    pub text: String,
}

/// The content of one runbook version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runbook {
    pub title: String,
    pub tags: Vec<String>,
    pub severity: Severity,
    /// Markdown.
    pub summary: String,
    /// In order: by phase, then as the author arranged them.
    pub steps: Vec<Step>,
    /// Notice templates (plan ids) this runbook uses.
    pub templates: Vec<i64>,
    pub next_step: u32,
}

/// How a step moves or goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepChange {
    Up,
    Down,
    Remove,
}

impl StepChange {
    const ALL: [Self; 3] = [Self::Up, Self::Down, Self::Remove];

    fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Remove => "remove",
        }
    }

    pub fn parse(s: &str) -> Result<Self, AppError> {
        crate::error::choice("Change", s, &Self::ALL, Self::as_str)
    }
}

pub const MAX_STEPS: usize = 200;

impl Runbook {
    pub fn new(title: String) -> Self {
        Self {
            title,
            tags: Vec::new(),
            severity: Severity::Sev2,
            summary: String::new(),
            steps: Vec::new(),
            templates: Vec::new(),
            next_step: 1,
        }
    }

    pub fn step(&self, id: u32) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Adds a step (id 0) at the end of its phase, or replaces the step
    /// with that id; a step that changes phase goes to the end of the new one.
    pub fn put_step(&mut self, mut step: Step) -> Result<u32, AppError> {
        if step.id == 0 {
            if self.steps.len() >= MAX_STEPS {
                return Err(AppError::invalid(
                    "Steps",
                    format!("a runbook holds at most {MAX_STEPS} steps"),
                ));
            }
            step.id = self.next_step;
            self.next_step += 1;
        } else {
            let at = self
                .steps
                .iter()
                .position(|s| s.id == step.id)
                .ok_or_else(|| AppError::NotFound("That step".into()))?;
            if self.steps[at].phase == step.phase {
                self.steps[at] = step.clone();
                return Ok(step.id);
            }
            self.steps.remove(at);
        }
        let id = step.id;
        let end_of_phase = self
            .steps
            .iter()
            .rposition(|s| s.phase <= step.phase)
            .map_or(0, |i| i + 1);
        self.steps.insert(end_of_phase, step);
        Ok(id)
    }

    /// Moves a step up or down within its phase, or removes it.
    pub fn change_step(&mut self, id: u32, change: StepChange) -> Result<(), AppError> {
        let at = self
            .steps
            .iter()
            .position(|s| s.id == id)
            .ok_or_else(|| AppError::NotFound("That step".into()))?;
        let phase = self.steps[at].phase;
        match change {
            StepChange::Remove => {
                self.steps.remove(at);
            }
            StepChange::Up => {
                if at > 0 && self.steps[at - 1].phase == phase {
                    self.steps.swap(at, at - 1);
                }
            }
            StepChange::Down => {
                if at + 1 < self.steps.len() && self.steps[at + 1].phase == phase {
                    self.steps.swap(at, at + 1);
                }
            }
        }
        Ok(())
    }

    pub fn phase_steps(&self, phase: Phase) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(move |s| s.phase == phase)
    }

    pub fn index(&self) -> Indexed {
        let mut search = format!("{}\n{}\n{}", self.title, self.tags.join(" "), self.summary);
        for step in &self.steps {
            search.push('\n');
            search.push_str(&step.text);
        }
        Indexed {
            title: self.title.clone(),
            tags: self.tags.clone(),
            label: self.severity.as_str().to_owned(),
            search: search.to_lowercase(),
        }
    }

    /// The runbook as plain text, one fact per line, for comparing versions
    /// (`version_text`).
    pub fn as_text(
        &self,
        roles: &BTreeMap<i64, String>,
        templates: &BTreeMap<i64, String>,
    ) -> String {
        let name = |map: &BTreeMap<i64, String>, id: i64| {
            map.get(&id)
                .cloned()
                .unwrap_or_else(|| format!("(removed #{id})"))
        };
        let mut out = format!(
            "Title: {}\nTags: {}\nSeverity: {}\nNotice templates: {}\nSummary:\n",
            self.title,
            self.tags.join(", "),
            self.severity.title(),
            self.templates
                .iter()
                .map(|t| name(templates, *t))
                .collect::<Vec<_>>()
                .join(", "),
        );
        for line in self.summary.lines() {
            out.push_str(&format!("  {line}\n"));
        }
        for phase in Phase::ALL {
            out.push_str(&format!("\n{}\n", phase.title()));
            for (n, step) in self.phase_steps(phase).enumerate() {
                let target = step
                    .target_minutes
                    .map(|m| format!(", within {m} min"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "{}. [{}{target}]\n",
                    n + 1,
                    name(roles, step.role_id)
                ));
                for line in step.text.lines() {
                    out.push_str(&format!("   {line}\n"));
                }
            }
        }
        out
    }
}

/// The checked fields of a step as a person typed them.
pub fn parse_step(
    id: u32,
    phase: &str,
    role_id: i64,
    target: &str,
    text: &str,
) -> Result<Step, AppError> {
    let target_minutes = match target.trim() {
        "" => None,
        t => Some(
            t.parse::<u32>()
                .ok()
                .filter(|m| (1..=10_080).contains(m))
                .ok_or_else(|| {
                    AppError::invalid(
                        "Target time",
                        format!("'{t}' is not a number of minutes from 1 to 10080 (a week)"),
                    )
                })?,
        ),
    };
    Ok(Step {
        id,
        phase: Phase::parse("Phase", phase)?,
        role_id,
        target_minutes,
        text: text_field("Step", text, true, 4000)?,
    })
}

pub fn check_title(raw: &str) -> Result<String, AppError> {
    text_field("Title", raw, true, 120)
}

pub fn check_summary(raw: &str) -> Result<String, AppError> {
    text_field("Summary", raw, false, 2000)
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
    let templates = db::titles(&mut *conn, Kind::Template).await?;
    Ok(db::get::<Runbook>(conn, Kind::Runbook, id, Some(version))
        .await?
        .map(|v| v.content.as_text(&roles, &templates)))
}

#[cfg(test)]
mod tests;
