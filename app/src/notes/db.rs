//! Notes in SQLite. Functions take an executor so callers can compose them
//! into a transaction.
use super::{Note, NoteBody};
use chrono::{DateTime, Utc};
use sqlx::{Executor, Sqlite};

#[tracing::instrument(skip_all)]
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    body: &NoteBody,
    at: DateTime<Utc>,
) -> Result<Note, sqlx::Error> {
    let id: i64 =
        sqlx::query_scalar("INSERT INTO notes (body, created_at) VALUES (?, ?) RETURNING id")
            .bind(body.as_str())
            .bind(at)
            .fetch_one(db)
            .await?;
    Ok(Note {
        id,
        body: body.as_str().to_owned(),
        created_at: at,
    })
}

/// The newest notes first.
#[tracing::instrument(skip_all)]
pub async fn recent<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    limit: i64,
) -> Result<Vec<Note>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, body, created_at FROM notes ORDER BY created_at DESC, id DESC LIMIT ?",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}
