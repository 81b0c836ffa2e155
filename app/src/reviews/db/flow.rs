//! A review's way to publication, in SQLite: named reviewers, their
//! comments on each part, the moves between draft, in review and
//! published, and each published version kept as it was published.
use crate::{
    error::AppError,
    reviews::{
        flow::{MAX_COMMENTS, MAX_REVIEWERS},
        Comment, Published, Reviewer, State,
    },
};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// The account that started the review, when one did.
pub async fn author_id(conn: &mut SqliteConnection, id: i64) -> Result<Option<i64>, AppError> {
    let author: Option<Option<i64>> =
        sqlx::query_scalar("SELECT created_by_id FROM reviews WHERE id = ?")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(author.flatten())
}

pub async fn reviewers(conn: &mut SqliteConnection, id: i64) -> Result<Vec<Reviewer>, AppError> {
    Ok(sqlx::query_as(
        "SELECT u.id AS user_id, u.display_name AS name \
         FROM review_reviewers r JOIN users u ON u.id = r.user_id \
         WHERE r.review_id = ? ORDER BY u.display_name",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// Names an active account as a reviewer; naming one twice changes
/// nothing. Returns the reviewer's name.
pub async fn add_reviewer(
    conn: &mut SqliteConnection,
    id: i64,
    user: i64,
) -> Result<String, AppError> {
    let name = crate::auth::db::users::find(&mut *conn, user)
        .await?
        .filter(|(_, disabled)| !disabled)
        .map(|(account, _)| account.display_name)
        .ok_or_else(|| AppError::invalid("Reviewer", "no active account has that id"))?;
    if author_id(conn, id).await? == Some(user) {
        return Err(AppError::invalid(
            "Reviewer",
            format!("{name} started this review; name someone else to review it"),
        ));
    }
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM review_reviewers WHERE review_id = ? AND user_id <> ?",
    )
    .bind(id)
    .bind(user)
    .fetch_one(&mut *conn)
    .await?;
    if count >= MAX_REVIEWERS {
        return Err(AppError::invalid(
            "Reviewer",
            format!("a review names at most {MAX_REVIEWERS} reviewers"),
        ));
    }
    sqlx::query(
        "INSERT INTO review_reviewers (review_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(user)
    .execute(&mut *conn)
    .await?;
    bump(conn, id).await?;
    Ok(name)
}

pub async fn remove_reviewer(
    conn: &mut SqliteConnection,
    id: i64,
    user: i64,
) -> Result<(), AppError> {
    let gone = sqlx::query("DELETE FROM review_reviewers WHERE review_id = ? AND user_id = ?")
        .bind(id)
        .bind(user)
        .execute(&mut *conn)
        .await?;
    if gone.rows_affected() == 0 {
        return Err(AppError::NotFound("That reviewer of this review".into()));
    }
    bump(conn, id).await
}

pub async fn comments(conn: &mut SqliteConnection, id: i64) -> Result<Vec<Comment>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, section AS part, text, author, created_at AS at \
         FROM review_comments WHERE review_id = ? ORDER BY id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// Adds a comment on one part (a key from [`crate::reviews::comment_parts`]).
pub async fn add_comment(
    conn: &mut SqliteConnection,
    id: i64,
    part: &str,
    text: &str,
    (author, author_id): (&str, Option<i64>),
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM review_comments WHERE review_id = ?")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    if count >= MAX_COMMENTS {
        return Err(AppError::invalid(
            "Comment",
            format!("a review holds at most {MAX_COMMENTS} comments"),
        ));
    }
    let comment: i64 = sqlx::query_scalar(
        "INSERT INTO review_comments (review_id, section, text, author, author_id, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(id)
    .bind(part)
    .bind(text)
    .bind(author)
    .bind(author_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    bump(conn, id).await?;
    Ok(comment)
}

/// Moves the review to `to` (already checked with
/// [`crate::reviews::flow::check_move`]). Publishing stamps who and when;
/// reopening starts the next version.
pub async fn set_state(
    conn: &mut SqliteConnection,
    id: i64,
    to: State,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let sql = match to {
        State::Published => {
            "UPDATE reviews SET state = 'published', published_by = ?, published_at = ?, \
             revision = revision + 1 WHERE id = ?"
        }
        State::Draft => {
            // From published: the next version. From review: the same one.
            "UPDATE reviews SET version = CASE WHEN state = 'published' THEN version + 1 ELSE version END, state = 'draft', \
             published_by = NULL, published_at = NULL, updated_by = ?, updated_at = ?, \
             revision = revision + 1 WHERE id = ?"
        }
        State::InReview => {
            "UPDATE reviews SET state = 'in_review', updated_by = ?, updated_at = ?, \
             revision = revision + 1 WHERE id = ?"
        }
    };
    sqlx::query(sql)
        .bind(by)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Keeps a published version as it was published (the JSON export).
pub async fn keep_version(
    conn: &mut SqliteConnection,
    id: i64,
    version: i64,
    content: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO review_versions (review_id, version, content, published_by, published_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(version)
    .bind(content)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The published versions, newest first.
pub async fn versions(conn: &mut SqliteConnection, id: i64) -> Result<Vec<Published>, AppError> {
    Ok(sqlx::query_as(
        "SELECT version, published_by, published_at FROM review_versions WHERE review_id = ? ORDER BY version DESC",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// One published version as it was published (its JSON export).
pub async fn version(
    conn: &mut SqliteConnection,
    id: i64,
    version: i64,
) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT content FROM review_versions WHERE review_id = ? AND version = ?",
    )
    .bind(id)
    .bind(version)
    .fetch_optional(conn)
    .await?)
}

async fn bump(conn: &mut SqliteConnection, id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE reviews SET revision = revision + 1 WHERE id = ?")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
