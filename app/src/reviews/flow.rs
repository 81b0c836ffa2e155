//! A review's way to publication, in SQLite: named reviewers, their
//! comments on each part, the moves between draft, in review and
//! published, and each published version kept as it was published.
use super::{Comment, Reviewer, State};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// How many reviewers one review may name.
pub const MAX_REVIEWERS: i64 = 10;
/// How many comments one review may hold.
pub const MAX_COMMENTS: i64 = 500;
/// The most one comment may say.
pub const MAX_COMMENT: usize = 2_000;

/// Whether a review may move from `from` to `to`: a draft goes to review,
/// a review goes back to its draft or is published, and a published
/// review is reopened as a draft of its next version.
pub fn check_move(from: State, to: State) -> Result<(), AppError> {
    use State::*;
    match (from, to) {
        (Draft, InReview) | (InReview, Draft) | (InReview, Published) | (Published, Draft) => {
            Ok(())
        }
        (Draft, Published) => Err(AppError::invalid(
            "State",
            "a draft is reviewed before it is published: ask for review first",
        )),
        (a, b) if a == b => Err(AppError::Conflict(format!(
            "This review is already {}.",
            a.title().to_lowercase()
        ))),
        (Published, InReview) => Err(AppError::invalid(
            "State",
            "a published review is reopened as a draft first",
        )),
        _ => Err(AppError::internal("a review move left out of check_move")),
    }
}

/// The account that started the review, when one did.
pub async fn author_id(conn: &mut SqliteConnection, id: i64) -> Result<Option<i64>, AppError> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT created_by_id FROM reviews WHERE id = ?")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.and_then(|(a,)| a))
}

pub async fn reviewers(conn: &mut SqliteConnection, id: i64) -> Result<Vec<Reviewer>, AppError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT u.id, u.display_name FROM review_reviewers r JOIN users u ON u.id = r.user_id \
         WHERE r.review_id = ? ORDER BY u.display_name",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, name)| Reviewer { user_id, name })
        .collect())
}

/// Names an active account as a reviewer; naming one twice changes
/// nothing. Returns the reviewer's name.
pub async fn add_reviewer(
    conn: &mut SqliteConnection,
    id: i64,
    user: i64,
) -> Result<String, AppError> {
    let found: Option<(String,)> =
        sqlx::query_as("SELECT display_name FROM users WHERE id = ? AND disabled_at IS NULL")
            .bind(user)
            .fetch_optional(&mut *conn)
            .await?;
    let (name,) =
        found.ok_or_else(|| AppError::invalid("Reviewer", "no active account has that id"))?;
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
    sqlx::query("INSERT OR IGNORE INTO review_reviewers (review_id, user_id) VALUES (?, ?)")
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
    let rows: Vec<(i64, String, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, section, text, author, created_at FROM review_comments WHERE review_id = ? ORDER BY id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, part, text, author, at)| Comment {
            id,
            part,
            text,
            author,
            at,
        })
        .collect())
}

/// Adds a comment on one part (a key from [`super::comment_parts`]).
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

/// Moves the review to `to` (already checked with [`check_move`]).
/// Publishing stamps who and when; reopening starts the next version.
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

/// The published versions: (version, by, at), newest first.
pub async fn versions(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Vec<(i64, String, DateTime<Utc>)>, AppError> {
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
    let row: Option<(String,)> =
        sqlx::query_as("SELECT content FROM review_versions WHERE review_id = ? AND version = ?")
            .bind(id)
            .bind(version)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(c,)| c))
}

async fn bump(conn: &mut SqliteConnection, id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE reviews SET revision = revision + 1 WHERE id = ?")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_is_reviewed_before_it_is_published_and_reopened_as_a_draft() {
        use State::*;
        for (from, to) in [
            (Draft, InReview),
            (InReview, Draft),
            (InReview, Published),
            (Published, Draft),
        ] {
            assert!(check_move(from, to).is_ok(), "{from:?} to {to:?}");
        }
        let skipped = check_move(Draft, Published).unwrap_err().to_string();
        assert!(skipped.contains("ask for review first"), "{skipped}");
        let again = check_move(Published, Published).unwrap_err();
        assert_eq!(again.http_status(), 409);
        assert!(check_move(Published, InReview).is_err());
    }
}
