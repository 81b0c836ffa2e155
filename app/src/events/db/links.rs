//! The `event_links` table: which events are evidence for which incident,
//! each with the timeline entry that shows it. Written inside the
//! incident's change transaction (`events::link`).
use super::VISIBLE;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// An event as a link cites it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Cited {
    pub source: String,
    pub dedupe_key: String,
    pub occurred_at: DateTime<Utc>,
    pub summary: String,
}

/// A shown event (none of an import still running), as a link cites it.
pub async fn cited(conn: &mut SqliteConnection, id: i64) -> Result<Option<Cited>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT e.source, e.dedupe_key, e.occurred_at, e.summary FROM events e WHERE e.id = ? AND {VISIBLE}"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The timeline entry that shows an event linked to an incident, when it
/// is linked.
pub async fn entry(
    conn: &mut SqliteConnection,
    event: i64,
    incident: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT entry_id FROM event_links WHERE event_id = ? AND incident_id = ?")
        .bind(event)
        .bind(incident)
        .fetch_optional(conn)
        .await
}

/// Links an event to an incident, shown by the timeline entry `entry`.
pub async fn add(
    conn: &mut SqliteConnection,
    event: i64,
    incident: i64,
    by: &str,
    at: DateTime<Utc>,
    entry: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO event_links (event_id, incident_id, linked_by, linked_at, entry_id) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(event)
    .bind(incident)
    .bind(by)
    .bind(at)
    .bind(entry)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove(
    conn: &mut SqliteConnection,
    event: i64,
    incident: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM event_links WHERE event_id = ? AND incident_id = ?")
        .bind(event)
        .bind(incident)
        .execute(conn)
        .await?;
    Ok(())
}

/// The request ids the events linked to an incident carry, each once.
pub async fn request_ids(
    conn: &mut SqliteConnection,
    incident: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT e.request_id FROM event_links l JOIN events e ON e.id = l.event_id \
         WHERE l.incident_id = ? AND e.request_id IS NOT NULL",
    )
    .bind(incident)
    .fetch_all(conn)
    .await
}
