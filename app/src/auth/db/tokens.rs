//! API tokens in SQLite, found by the SHA-256 of their value.
use crate::auth::{Caller, Role, TokenInfo};
use chrono::{DateTime, Utc};
use sqlx::{Executor, Sqlite};

/// What a new token is stored with (its value already hashed).
pub struct NewToken<'a> {
    pub name: &'a str,
    pub token_hash: &'a [u8],
    pub role: Role,
    pub created_by: &'a str,
    pub created_by_id: Option<i64>,
    pub at: DateTime<Utc>,
}

/// Stores a token; its id, or `Ok(None)` when the name is taken.
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    t: NewToken<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO api_tokens (name, token_hash, role, created_by, created_by_id, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(t.name)
    .bind(t.token_hash)
    .bind(t.role.as_str())
    .bind(t.created_by)
    .bind(t.created_by_id)
    .bind(t.at)
    .fetch_one(db)
    .await;
    match inserted {
        Ok(id) => Ok(Some(id)),
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
    pub fn into_caller(self) -> Caller {
        Caller::Token {
            id: self.id,
            name: self.name,
            role: self.role,
            owner: self.owner,
        }
    }
}

#[derive(sqlx::FromRow)]
struct FoundRow {
    id: i64,
    name: String,
    role: String,
    owner: Option<i64>,
    last_used: Option<DateTime<Utc>>,
}

/// The live token with this hash; `None` also for a role this build does
/// not know.
pub async fn by_token_hash<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    token_hash: &[u8],
) -> Result<Option<Found>, sqlx::Error> {
    let row: Option<FoundRow> = sqlx::query_as(
        // A token acts as the person who created it: when that account is
        // disabled, its tokens stop working too.
        "SELECT t.id, t.name, t.role, t.created_by_id AS owner, t.last_used_at AS last_used \
         FROM api_tokens t \
         LEFT JOIN users u ON u.id = t.created_by_id \
         WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|r| {
        Some(Found {
            id: r.id,
            name: r.name,
            role: r.role.parse().ok()?,
            owner: r.owner,
            last_used: r.last_used,
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

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    role: String,
    created_by: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked: bool,
}

/// Every token, live ones first, by name; tokens of a role this build
/// does not know are left out.
pub async fn list<'e>(
    db: impl Executor<'e, Database = Sqlite>,
) -> Result<Vec<TokenInfo>, sqlx::Error> {
    let rows: Vec<TokenRow> = sqlx::query_as(
        "SELECT id, name, role, created_by, created_at, last_used_at, \
                revoked_at IS NOT NULL AS revoked \
         FROM api_tokens ORDER BY revoked_at IS NOT NULL, name",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(TokenInfo {
                id: r.id,
                name: r.name,
                role: r.role.parse().ok()?,
                created_by: r.created_by,
                created_at: r.created_at,
                last_used_at: r.last_used_at,
                revoked: r.revoked,
            })
        })
        .collect())
}

/// Revokes a token; returns its name if it was live.
pub async fn revoke<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: i64,
    at: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING name",
    )
    .bind(at)
    .bind(id)
    .fetch_optional(db)
    .await
}
