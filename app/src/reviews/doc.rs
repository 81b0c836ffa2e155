//! A review as one document, the source of every export: Markdown for a
//! wiki, JSON for tools, printable HTML. Publishing keeps the JSON of the
//! document as published, so an export of a published version is always
//! what was published, whatever changes after.
use super::{Cited, Moment, Review, State, SECTIONS};
use crate::{actions::Item, error::AppError, ui::when};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doc {
    pub review: i64,
    pub title: String,
    pub state: State,
    pub version: i64,
    pub incident: Incident,
    pub reviewers: Vec<String>,
    pub published_by: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub sections: Vec<Section>,
    /// The entries the review shows (hidden ones left out), oldest first.
    pub timeline: Vec<Line>,
    /// Every audit event the review cites or its timeline links.
    pub evidence: Vec<Cited>,
    pub actions: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: i64,
    pub title: String,
    pub severity: String,
    pub declared_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub drill: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub key: String,
    pub heading: String,
    /// As written, with citations written out for readers outside Muster.
    pub markdown: String,
    /// As safe HTML, with citations as links.
    pub html: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub entry: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub text: String,
    pub author: String,
    pub moment: Option<Moment>,
    pub note: String,
    pub event: Option<Cited>,
}

/// A line of the review's timeline as the document holds it.
pub fn line(l: super::Line) -> Line {
    Line {
        entry: l.entry.id,
        at: l.entry.happened_at.unwrap_or(l.entry.at),
        kind: l.entry.kind.label().to_owned(),
        text: l.entry.text,
        author: l.entry.author,
        moment: l.moment,
        note: l.note,
        event: l.event,
    }
}

/// The review as it stands now. `published` stamps who publishes it and
/// when, for the copy publishing keeps.
pub async fn build(
    conn: &mut SqliteConnection,
    review: &Review,
    today: chrono::NaiveDate,
    published: Option<(&str, DateTime<Utc>)>,
) -> Result<Doc, AppError> {
    let incident = crate::incidents::db::get(&mut *conn, review.incident_id)
        .await?
        .ok_or_else(|| AppError::NotFound("The review's incident".into()))?;
    let (entries, events) = super::db::citations(conn, review).await?;
    let sections = SECTIONS
        .iter()
        .zip(&review.sections)
        .map(|((key, heading, _), text)| Section {
            key: (*key).to_owned(),
            heading: (*heading).to_owned(),
            markdown: super::cite::plain(text, &entries, &events),
            html: super::cite::render(text, review.incident_id, &entries, &events),
        })
        .collect();
    let timeline: Vec<Line> = super::db::lines(conn, review)
        .await?
        .into_iter()
        .filter(|l| !l.hidden)
        .map(line)
        .collect();
    let mut evidence: Vec<Cited> = events
        .into_values()
        .chain(timeline.iter().filter_map(|l| l.event.clone()))
        .collect();
    evidence.sort_by_key(|e| (e.occurred_at, e.id));
    evidence.dedup_by_key(|e| e.id);
    Ok(Doc {
        review: review.id,
        title: review.title.clone(),
        state: if published.is_some() {
            State::Published
        } else {
            review.state
        },
        version: review.version,
        incident: Incident {
            id: review.incident_id,
            title: incident.title,
            severity: incident.severity.as_str().to_uppercase(),
            declared_at: incident.declared_at,
            resolved_at: incident.resolved_at,
            drill: incident.drill_run.is_some(),
        },
        reviewers: super::db::flow::reviewers(conn, review.id)
            .await?
            .into_iter()
            .map(|r| r.name)
            .collect(),
        published_by: published.map(|(by, _)| by.to_owned()),
        published_at: published.map(|(_, at)| at),
        sections,
        timeline,
        evidence,
        actions: crate::actions::db::of_review(conn, review.id, today).await?,
    })
}

/// The document to export: `version` if asked for (as it was published),
/// else the latest published version of a published review, else the
/// review as it stands.
pub async fn load(
    conn: &mut SqliteConnection,
    id: i64,
    version: Option<i64>,
    today: chrono::NaiveDate,
) -> Result<Doc, AppError> {
    let review = super::db::get(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That review".into()))?;
    let kept = match version {
        Some(v) => Some(
            super::db::flow::version(conn, id, v)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("Version {v} of this review")))?,
        ),
        None if review.state == State::Published => {
            super::db::flow::version(conn, id, review.version).await?
        }
        None => None,
    };
    match kept {
        Some(json) => serde_json::from_str(&json).map_err(AppError::internal),
        None => build(conn, &review, today, None).await,
    }
}

/// One Markdown table cell: no line breaks, no cell breaks.
fn cell(s: &str) -> String {
    crate::ui::markdown_text(s)
        .replace('|', "\\|")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Doc {
    /// "Published, version 2, by Sam at …" or "Draft, version 1".
    pub fn standing(&self) -> String {
        match (&self.published_by, self.published_at) {
            (Some(by), Some(at)) => format!(
                "{}, version {}, by {by} at {}",
                self.state.title(),
                self.version,
                when(at)
            ),
            _ => format!("{}, version {}", self.state.title(), self.version),
        }
    }

    /// "declared …, resolved … (after 1 h 34 min)".
    pub fn span(&self) -> String {
        let i = &self.incident;
        match i.resolved_at {
            Some(end) => format!(
                "declared {}, resolved {} (after {})",
                when(i.declared_at),
                when(end),
                crate::clock::elapsed(i.declared_at, end)
            ),
            None => format!("declared {}", when(i.declared_at)),
        }
    }

    /// The review as Markdown. What people typed is written as text
    /// (typed HTML stays text in any wiki); citations are written out.
    pub fn markdown(&self) -> String {
        let i = &self.incident;
        let md = crate::ui::markdown_text;
        let mut out = format!(
            "# {}\n\n- Incident: {} (#{}){}\n- Severity: {}; {}\n- State: {}\n- Reviewers: {}\n",
            md(&self.title),
            md(&i.title),
            i.id,
            if i.drill { ", a tabletop drill" } else { "" },
            i.severity,
            self.span(),
            md(&self.standing()),
            if self.reviewers.is_empty() {
                "none named".to_owned()
            } else {
                md(&self.reviewers.join(", ")).into_owned()
            }
        );
        for s in &self.sections {
            let body = md(s.markdown.trim());
            let body = body.as_ref();
            out.push_str(&format!(
                "\n## {}\n\n{}\n",
                s.heading,
                if body.is_empty() {
                    "_Not written._"
                } else {
                    body
                }
            ));
        }
        out.push_str("\n## Timeline\n\n| When (UTC) | Key moment | What | Review note |\n|---|---|---|---|\n");
        for l in &self.timeline {
            out.push_str(&format!(
                "| {} | {} | {}: {} ({}) | {} |\n",
                when(l.at).trim_end_matches(" UTC"),
                l.moment.map(Moment::as_str).unwrap_or(""),
                l.kind,
                cell(&l.text),
                cell(&l.author),
                cell(&l.note)
            ));
        }
        out.push_str("\n## Evidence\n\n");
        if self.evidence.is_empty() {
            out.push_str("No audit events are cited.\n");
        }
        for e in &self.evidence {
            out.push_str(&format!(
                "- {} event, {}: {} (fingerprint `{}`)\n",
                md(&e.source),
                when(e.occurred_at),
                md(&e.summary),
                e.fingerprint
            ));
        }
        out.push_str("\n## Action items\n\n");
        if self.actions.is_empty() {
            out.push_str("None.\n");
        } else {
            out.push_str("| Action | Owner | Due | Priority | Status | Ticket |\n|---|---|---|---|---|---|\n");
            for a in &self.actions {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    cell(&a.title),
                    cell(&a.owner),
                    a.due_on,
                    a.priority.as_str(),
                    a.status.title(),
                    cell(&a.ticket_url)
                ));
            }
        }
        out
    }
}
