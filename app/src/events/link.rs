//! Events linked to an incident as evidence: each link is a row in
//! `event_links` and an entry on the incident's timeline at the time the
//! event happened, marked with its source and id; an unlink is an entry
//! correcting that one. Runs inside the incident's change transaction.
use super::db::links::{self, Cited};
use crate::{
    error::AppError,
    timeline::{self, Data, Kind, NewEntry, Subject},
};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// The most events one request links.
pub const MAX_LINKED: usize = 200;

async fn event(conn: &mut SqliteConnection, id: i64) -> Result<Cited, AppError> {
    links::cited(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Event {id}")))
}

/// Links events to an incident; those linked already are left as they
/// are. What was linked, for the audit log.
pub async fn link(
    conn: &mut SqliteConnection,
    incident: i64,
    events: &[i64],
    author: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let mut done = Vec::new();
    for &id in events {
        let e = event(conn, id).await?;
        if links::entry(conn, id, incident).await?.is_some() {
            continue;
        }
        let mut entry = NewEntry::new(Kind::EventLinked, e.summary, author, now)
            .with_data(Data::Evidence { event: id });
        entry.happened_at = Some(e.occurred_at);
        entry.source = Some(format!("{}:{}", e.source, e.dedupe_key));
        let appended = timeline::db::append(conn, Subject::Incident(incident), entry).await?;
        links::add(conn, id, incident, author, now, appended.entry.id).await?;
        done.push(format!("event:{id} ({}:{})", e.source, e.dedupe_key));
    }
    Ok(if done.is_empty() {
        "nothing new to link".into()
    } else {
        format!("linked {}", done.join(", "))
    })
}

/// Unlinks an event: the link goes and an entry correcting the one that
/// showed it says so. What was unlinked, for the audit log.
pub async fn unlink(
    conn: &mut SqliteConnection,
    incident: i64,
    event_id: i64,
    author: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let entry_id = links::entry(conn, event_id, incident)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("A link of event {event_id}")))?;
    let e = event(conn, event_id).await?;
    links::remove(conn, event_id, incident).await?;
    let mut entry = NewEntry::new(
        Kind::EventUnlinked,
        format!("No longer evidence: {}", e.summary),
        author,
        now,
    )
    .with_data(Data::Evidence { event: event_id });
    entry.corrects = Some(entry_id);
    entry.source = Some(format!("{}:{}", e.source, e.dedupe_key));
    timeline::db::append(conn, Subject::Incident(incident), entry).await?;
    Ok(format!(
        "unlinked event:{event_id} ({}:{})",
        e.source, e.dedupe_key
    ))
}

/// The request ids an incident's evidence and notes carry: its linked
/// events' request ids and any `req_...` word written on its timeline.
pub async fn request_ids(
    conn: &mut SqliteConnection,
    incident: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let mut ids = links::request_ids(conn, incident).await?;
    let texts = timeline::db::texts_naming_requests(conn, Subject::Incident(incident)).await?;
    for text in texts {
        ids.extend(
            text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.starts_with("req_") && w.len() > 6)
                .map(str::to_owned),
        );
    }
    ids.sort();
    ids.dedup();
    ids.truncate(100);
    Ok(ids)
}
