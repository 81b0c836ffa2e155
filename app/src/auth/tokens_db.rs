//! API tokens in SQLite: only their SHA-256 is stored.
use super::{sessions::token_hash, Role, TokenInfo};
use chrono::{DateTime, Utc};
use sqlx::{Executor, Sqlite};

/// The prefix that makes a leaked token easy to recognise (and to find
/// with secret scanners).
pub const PREFIX: &str = "mst_";

pub fn new_token() -> String {
    format!("{PREFIX}{}", super::sessions::new_token())
}

/// Creates a token; `Ok(None)` when the name is taken.
pub async fn create<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    name: &str,
    role: Role,
    created_by: &str,
    created_by_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    let token = new_token();
    let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
        "INSERT INTO api_tokens (name, token_hash, role, created_by, created_by_id, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(name)
    .bind(token_hash(&token))
    .bind(role.as_str())
    .bind(created_by)
    .bind(created_by_id)
    .bind(at)
    .fetch_one(db)
    .await;
    match inserted {
        Ok((id,)) => Ok(Some((id, token))),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e),
    }
}

/// A live (not revoked) token, as found by its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The account that created it: the token acts as this person.
    pub owner: Option<i64>,
    pub last_used: Option<DateTime<Utc>>,
}

impl Found {
    /// The caller this token makes of a request.
    pub fn into_caller(self) -> super::Caller {
        super::Caller::Token {
            id: self.id,
            name: self.name,
            role: self.role,
            owner: self.owner,
        }
    }
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    token: &str,
) -> Result<Option<Found>, sqlx::Error> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    type Row = (i64, String, String, Option<i64>, Option<DateTime<Utc>>);
    let row: Option<Row> = sqlx::query_as(
        // A token acts as the person who created it: when that account is
        // disabled, its tokens stop working too.
        "SELECT t.id, t.name, t.role, t.created_by_id, t.last_used_at FROM api_tokens t \
         LEFT JOIN users u ON u.id = t.created_by_id \
         WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
    )
    .bind(token_hash(token))
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|(id, name, role, owner, last_used)| {
        Some(Found {
            id,
            name,
            role: role.parse().ok()?,
            owner,
            last_used,
        })
    }))
}

pub async fn touch<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
        .bind(now)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

type Row = (
    i64,
    String,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    bool,
);

pub async fn list<'e>(
    db: impl Executor<'e, Database = Sqlite>,
) -> Result<Vec<TokenInfo>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, role, created_by, created_at, last_used_at, revoked_at IS NOT NULL \
         FROM api_tokens ORDER BY revoked_at IS NOT NULL, name",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(id, name, role, created_by, created_at, last_used_at, revoked)| {
                Some(TokenInfo {
                    id,
                    name,
                    role: role.parse().ok()?,
                    created_by,
                    created_at,
                    last_used_at,
                    revoked,
                })
            },
        )
        .collect())
}

/// Revokes a token; returns its name if it was live.
pub async fn revoke<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: i64,
    at: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(
        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING name",
    )
    .bind(at)
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(n,)| n))
}
