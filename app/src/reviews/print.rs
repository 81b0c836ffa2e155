//! The printable review, rendered with askama: one page per part on
//! paper, the timeline as a picture and as a table, every cited event
//! with its whole fingerprint. Self-contained (its style inline, under
//! the nonce the response's policy names), so a saved copy reads the same.
use super::doc::Doc;
use crate::{error::AppError, ui::when};
use askama::Template;

struct PrintSection<'a> {
    key: &'a str,
    heading: &'a str,
    html: &'a str,
    empty: bool,
}

struct Row<'a> {
    when: String,
    moment: &'static str,
    kind: &'a str,
    text: &'a str,
    author: &'a str,
    note: &'a str,
    event: String,
}

struct Event<'a> {
    source: &'a str,
    when: String,
    summary: &'a str,
    fingerprint: &'a str,
}

struct Action<'a> {
    title: &'a str,
    owner: &'a str,
    due_on: &'a str,
    priority: &'static str,
    status: &'static str,
    ticket_url: &'a str,
}

#[derive(Template)]
#[template(path = "review_print.html")]
struct Print<'a> {
    doc: &'a Doc,
    nonce: &'a str,
    span: String,
    standing: String,
    reviewers: String,
    sections: Vec<PrintSection<'a>>,
    picture: String,
    rows: Vec<Row<'a>>,
    evidence: Vec<Event<'a>>,
    actions: Vec<Action<'a>>,
}

/// The printable page of `doc`; `nonce` is the one the response's
/// Content-Security-Policy allows for its inline style.
pub fn html(doc: &Doc, nonce: &str) -> Result<String, AppError> {
    Print {
        doc,
        nonce,
        span: doc.span(),
        standing: doc.standing(),
        reviewers: if doc.reviewers.is_empty() {
            "none named".into()
        } else {
            doc.reviewers.join(", ")
        },
        sections: doc
            .sections
            .iter()
            .map(|s| PrintSection {
                key: &s.key,
                heading: &s.heading,
                html: &s.html,
                empty: s.markdown.trim().is_empty(),
            })
            .collect(),
        picture: super::picture::svg(&doc.timeline),
        rows: doc
            .timeline
            .iter()
            .map(|l| Row {
                when: when(l.at).trim_end_matches(" UTC").to_owned(),
                moment: l.moment.map_or("", super::Moment::title),
                kind: &l.kind,
                text: &l.text,
                author: &l.author,
                note: &l.note,
                event: l.event.as_ref().map_or(String::new(), |e| {
                    format!("{} event, fingerprint {}", e.source, e.fingerprint)
                }),
            })
            .collect(),
        evidence: doc
            .evidence
            .iter()
            .map(|e| Event {
                source: &e.source,
                when: when(e.occurred_at).trim_end_matches(" UTC").to_owned(),
                summary: &e.summary,
                fingerprint: &e.fingerprint,
            })
            .collect(),
        actions: doc
            .actions
            .iter()
            .map(|a| Action {
                title: &a.title,
                owner: &a.owner,
                due_on: &a.due_on,
                priority: a.priority.as_str(),
                status: a.status.title(),
                ticket_url: &a.ticket_url,
            })
            .collect(),
    }
    .render()
    .map_err(AppError::internal)
}
