//! The events tables: one row per (source, dedupe key), kept in the
//! search index by the schema's triggers.
use super::record::{NewEvent, Outcome};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
        Outcome::Unknown => "unknown",
    }
}

/// Starts an import's record; its counts are set when it ends.
pub async fn begin_import(
    conn: &mut SqliteConnection,
    file_name: &str,
    format: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO event_imports (file_name, format, imported_by, imported_at, accepted, duplicates, rejected) \
         VALUES (?, ?, ?, ?, 0, 0, 0) RETURNING id",
    )
    .bind(file_name)
    .bind(format)
    .bind(by)
    .bind(at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn end_import(
    conn: &mut SqliteConnection,
    id: i64,
    (accepted, duplicates, rejected): (u64, u64, u64),
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE event_imports SET accepted = ?, duplicates = ?, rejected = ? WHERE id = ?")
        .bind(accepted as i64)
        .bind(duplicates as i64)
        .bind(rejected as i64)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores an event unless one with its source and dedupe key is stored
/// already (the first copy is kept). Whether it was new.
pub async fn insert(
    conn: &mut SqliteConnection,
    e: &NewEvent,
    received_at: DateTime<Utc>,
    import_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO events (source, dedupe_key, occurred_at, received_at, actor, action, target, outcome, \
         request_id, environment, summary, payload, truncated, fingerprint, import_id) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, dedupe_key) DO NOTHING",
    )
    .bind(e.source.as_str())
    .bind(&e.dedupe_key)
    .bind(e.occurred_at)
    .bind(received_at)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.target)
    .bind(outcome(e.outcome))
    .bind(&e.request_id)
    .bind(&e.environment)
    .bind(&e.summary)
    .bind(&e.payload)
    .bind(e.truncated)
    .bind(&e.fingerprint)
    .bind(import_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The ids of events whose text matches a search (FTS5 query syntax is
/// not exposed: the words are matched as given, all of them).
pub async fn search(
    conn: &mut SqliteConnection,
    words: &str,
    limit: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let query: Vec<String> = words
        .split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "SELECT e.id, e.summary FROM events_search s JOIN events e ON e.id = s.rowid \
         WHERE events_search MATCH ? ORDER BY e.occurred_at DESC, e.id DESC LIMIT ?",
    )
    .bind(query.join(" "))
    .bind(limit)
    .fetch_all(conn)
    .await
}
