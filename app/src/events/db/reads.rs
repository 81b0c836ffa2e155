//! Reading events back for the pages: a page of the filtered, searched
//! list, one event in full, and the events that may be evidence for an
//! incident. Only shown events are read ([`VISIBLE`]). The list's
//! statement is built from fixed pieces, as its filters and search ask;
//! every value is bound.
use super::VISIBLE;
use crate::events::{EventRow, Filter};
use chrono::{DateTime, Utc};
use sqlx::{sqlite::SqliteRow, FromRow, QueryBuilder, Row, Sqlite, SqlitePool};

pub(crate) const ROW_COLUMNS: &str =
    "e.id, e.source, e.dedupe_key, e.occurred_at, e.actor, e.action, e.target, \
     e.outcome, e.environment, e.summary";

impl<'r> FromRow<'r, SqliteRow> for EventRow {
    fn from_row(row: &'r SqliteRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            source: row.try_get("source")?,
            source_id: row.try_get("dedupe_key")?,
            occurred_at: row.try_get("occurred_at")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            outcome: row.try_get("outcome")?,
            environment: row.try_get("environment")?,
            summary: row.try_get("summary")?,
        })
    }
}

/// How many events a search (an index query) matches, counting no
/// further than `most`.
pub async fn count_matches(read: &SqlitePool, query: &str, most: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT 1 FROM events_search WHERE events_search MATCH ? LIMIT ?)",
    )
    .bind(query)
    .bind(most)
    .fetch_one(read)
    .await
}

/// Where a page of the list starts from.
#[derive(Clone, Copy, Debug)]
pub enum Matches<'a> {
    /// Every event: no words searched.
    All,
    /// The search index's list of the few matches, sorted afterwards.
    Listed(&'a str),
    /// The newest events, each checked against the search index.
    Checked(&'a str),
}

/// Up to `rows` events of the list, newest first.
pub async fn page(
    read: &SqlitePool,
    matches: Matches<'_>,
    filter: &Filter,
    rows: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!("SELECT {ROW_COLUMNS} FROM "));
    match matches {
        // CROSS JOIN keeps this order: the matches first, then their events.
        Matches::Listed(query) => {
            q.push("(SELECT rowid AS id FROM events_search WHERE events_search MATCH ")
                .push_bind(query.to_owned())
                .push(") m CROSS JOIN events e ON e.id = m.id WHERE ");
        }
        Matches::Checked(query) => {
            q.push("events e WHERE EXISTS (SELECT 1 FROM events_search WHERE events_search MATCH ")
                .push_bind(query.to_owned())
                .push(" AND rowid = e.id) AND ");
        }
        Matches::All => {
            q.push("events e WHERE ");
        }
    }
    q.push(VISIBLE);
    push_filters(&mut q, filter);
    q.push(" ORDER BY e.occurred_at DESC, e.id DESC LIMIT ")
        .push_bind(rows);
    q.build_query_as().fetch_all(read).await
}

fn push_filters(q: &mut QueryBuilder<Sqlite>, f: &Filter) {
    for (column, value) in [
        ("e.source", &f.source),
        ("e.outcome", &f.outcome),
        ("e.environment", &f.environment),
    ] {
        if !value.is_empty() {
            q.push(format!(" AND {column} = ")).push_bind(value.clone());
        }
    }
    if let Some(from) = f.from {
        q.push(" AND e.occurred_at >= ").push_bind(from);
    }
    if let Some(to) = f.to {
        q.push(" AND e.occurred_at < ").push_bind(to);
    }
    if let Some(import) = f.import {
        q.push(" AND e.import_id = ").push_bind(import);
    }
    if let Some(after) = f.after {
        q.push(" AND (e.occurred_at, e.id) < (SELECT occurred_at, id FROM events WHERE id = ")
            .push_bind(after)
            .push(")");
    }
}

/// One event as stored, with the name of the file (or source) it came in.
#[derive(sqlx::FromRow)]
pub struct Stored {
    #[sqlx(flatten)]
    pub event: EventRow,
    pub received_at: DateTime<Utc>,
    pub request_id: Option<String>,
    /// The redacted payload as stored (cut when `truncated`).
    pub payload: String,
    pub truncated: bool,
    pub fingerprint: String,
    pub file_name: String,
}

/// One shown event in full.
pub async fn stored(read: &SqlitePool, id: i64) -> Result<Option<Stored>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ROW_COLUMNS}, e.received_at, e.request_id, e.payload, e.truncated, e.fingerprint, \
         i.file_name FROM events e JOIN event_imports i ON i.id = e.import_id WHERE e.id = ? AND {VISIBLE}"
    ))
    .bind(id)
    .fetch_optional(read)
    .await
}

/// An incident an event is evidence for.
#[derive(sqlx::FromRow)]
pub struct LinkedIncident {
    pub id: i64,
    pub title: String,
}

/// The incidents an event is linked to, by id. This reads the incidents
/// domain's own table, which sits above events: events may not call it,
/// so the title is read here until the event page gets it from there.
pub async fn linked_incidents(
    read: &SqlitePool,
    event: i64,
) -> Result<Vec<LinkedIncident>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.id, i.title FROM event_links l JOIN incidents i ON i.id = l.incident_id \
         WHERE l.event_id = ? ORDER BY i.id",
    )
    .bind(event)
    .fetch_all(read)
    .await
}

/// Shown events in a time window, not linked to `incident` yet, holding
/// one of `request_ids` or matching one of `words` (each quoted for the
/// index), oldest first. At least one of the two lists has something.
pub async fn suggestions(
    read: &SqlitePool,
    window: (DateTime<Utc>, DateTime<Utc>),
    request_ids: &[String],
    words: &[String],
    incident: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
        "SELECT {ROW_COLUMNS} FROM events e WHERE {VISIBLE} AND e.occurred_at >= "
    ));
    q.push_bind(window.0)
        .push(" AND e.occurred_at <= ")
        .push_bind(window.1)
        .push(" AND NOT EXISTS (SELECT 1 FROM event_links l WHERE l.event_id = e.id AND l.incident_id = ")
        .push_bind(incident)
        .push(") AND (0");
    if !request_ids.is_empty() {
        q.push(" OR e.request_id IN (");
        let mut ids = q.separated(", ");
        for id in request_ids {
            ids.push_bind(id.clone());
        }
        q.push(")");
    }
    if !words.is_empty() {
        q.push(" OR e.id IN (SELECT rowid FROM events_search WHERE events_search MATCH ")
            .push_bind(words.join(" OR "))
            .push(")");
    }
    q.push(") ORDER BY e.occurred_at, e.id LIMIT ")
        .push_bind(limit);
    q.build_query_as().fetch_all(read).await
}
