//! Events linked to an incident as evidence: each link is a row in
//! `event_links` and an entry on the incident's timeline at the time the
//! event happened, marked with its source and id; an unlink is an entry
//! correcting that one. Runs inside the incident's change transaction.
use super::db::VISIBLE;
use crate::{
    error::AppError,
    timeline::{self, Data, Kind, NewEntry, Subject},
};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// The most events one request links.
pub const MAX_LINKED: usize = 200;

struct Linked {
    source: String,
    dedupe_key: String,
    occurred_at: DateTime<Utc>,
    summary: String,
}

async fn event(conn: &mut SqliteConnection, id: i64) -> Result<Linked, AppError> {
    let row: Option<(String, String, DateTime<Utc>, String)> = sqlx::query_as(&format!(
        "SELECT e.source, e.dedupe_key, e.occurred_at, e.summary FROM events e WHERE e.id = ? AND {VISIBLE}"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let (source, dedupe_key, occurred_at, summary) =
        row.ok_or_else(|| AppError::NotFound(format!("Event {id}")))?;
    Ok(Linked {
        source,
        dedupe_key,
        occurred_at,
        summary,
    })
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
        let linked: Option<(i64,)> = sqlx::query_as(
            "SELECT entry_id FROM event_links WHERE event_id = ? AND incident_id = ?",
        )
        .bind(id)
        .bind(incident)
        .fetch_optional(&mut *conn)
        .await?;
        if linked.is_some() {
            continue;
        }
        let mut entry = NewEntry::new(Kind::EventLinked, e.summary, author, now)
            .with_data(Data::Evidence { event: id });
        entry.happened_at = Some(e.occurred_at);
        entry.source = Some(format!("{}:{}", e.source, e.dedupe_key));
        let appended = timeline::db::append(conn, Subject::Incident(incident), entry).await?;
        sqlx::query(
            "INSERT INTO event_links (event_id, incident_id, linked_by, linked_at, entry_id) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(incident)
        .bind(author)
        .bind(now)
        .bind(appended.entry.id)
        .execute(&mut *conn)
        .await?;
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
    let linked: Option<(i64,)> =
        sqlx::query_as("SELECT entry_id FROM event_links WHERE event_id = ? AND incident_id = ?")
            .bind(event_id)
            .bind(incident)
            .fetch_optional(&mut *conn)
            .await?;
    let (entry_id,) =
        linked.ok_or_else(|| AppError::NotFound(format!("A link of event {event_id}")))?;
    let e = event(conn, event_id).await?;
    sqlx::query("DELETE FROM event_links WHERE event_id = ? AND incident_id = ?")
        .bind(event_id)
        .bind(incident)
        .execute(&mut *conn)
        .await?;
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
    let linked: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT e.request_id FROM event_links l JOIN events e ON e.id = l.event_id \
         WHERE l.incident_id = ? AND e.request_id IS NOT NULL",
    )
    .bind(incident)
    .fetch_all(&mut *conn)
    .await?;
    let texts: Vec<(String,)> = sqlx::query_as(
        "SELECT text FROM timeline WHERE incident_id = ? AND text LIKE '%req\\_%' ESCAPE '\\'",
    )
    .bind(incident)
    .fetch_all(&mut *conn)
    .await?;
    let mut ids: Vec<String> = linked.into_iter().map(|(r,)| r).collect();
    for (text,) in texts {
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
