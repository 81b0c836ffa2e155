//! Incidents by the runbook they were declared from: what the runbook
//! trend (drills' charts of how responses under one runbook change) reads.
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// A runbook some incident (real or drill) was declared from.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UsedRunbook {
    pub id: i64,
    pub title: String,
}

/// The runbooks incidents were declared from, by title; at most `limit`.
pub async fn used_runbooks(
    conn: &mut SqliteConnection,
    limit: i64,
) -> Result<Vec<UsedRunbook>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, p.title FROM plans p WHERE p.kind = 'runbook' \
         AND EXISTS (SELECT 1 FROM incidents i WHERE i.runbook_id = p.id) \
         ORDER BY p.title LIMIT ?",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// One incident declared from a runbook: when, and whether a drill's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RunbookIncident {
    pub id: i64,
    pub declared_at: DateTime<Utc>,
    pub drill: bool,
}

/// A runbook's newest incidents, drills' too, newest first; at most
/// `limit`.
pub async fn newest_of_runbook(
    conn: &mut SqliteConnection,
    runbook: i64,
    limit: i64,
) -> Result<Vec<RunbookIncident>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, declared_at, drill_run_id IS NOT NULL AS drill FROM incidents WHERE runbook_id = ? \
         ORDER BY declared_at DESC, id DESC LIMIT ?",
    )
    .bind(runbook)
    .bind(limit)
    .fetch_all(conn)
    .await
}
