//! Sessions in SQLite, found by the SHA-256 of their token.
use crate::auth::{Role, SessionInfo, User};
use chrono::{DateTime, Utc};
use sqlx::{Executor, Sqlite};

/// What a new session starts with (its token already hashed).
pub struct NewSession<'a> {
    pub token_hash: &'a [u8],
    pub user_id: i64,
    pub user_agent: &'a str,
    pub client_addr: &'a str,
    /// The password was right; the second step is still due.
    pub pending: bool,
    pub at: DateTime<Utc>,
}

/// Stores a new session; its id.
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    s: NewSession<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, user_agent, client_addr, mfa_pending) \
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(s.token_hash)
    .bind(s.user_id)
    .bind(s.at)
    .bind(s.at)
    .bind(s.user_agent)
    .bind(s.client_addr)
    .bind(s.pending)
    .fetch_one(db)
    .await
}

/// A session found by its token, with its (enabled) user.
#[derive(Clone, Debug)]
pub struct Found {
    pub session_id: i64,
    pub user: User,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The password was right; the second step is still due.
    pub pending: bool,
    pub mfa_enabled: bool,
}

#[derive(sqlx::FromRow)]
struct FoundRow {
    session_id: i64,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    user_id: i64,
    email: String,
    display_name: String,
    role: String,
    pending: bool,
    mfa_enabled: bool,
}

impl FoundRow {
    /// `None` for a role this build does not know: no session then.
    fn found(self) -> Option<Found> {
        Some(Found {
            session_id: self.session_id,
            user: User {
                id: self.user_id,
                email: self.email,
                display_name: self.display_name,
                role: self.role.parse::<Role>().ok()?,
            },
            created_at: self.created_at,
            last_seen_at: self.last_seen_at,
            pending: self.pending,
            mfa_enabled: self.mfa_enabled,
        })
    }
}

/// The session whose token has this hash, if its account is enabled.
pub async fn by_token_hash<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    token_hash: &[u8],
) -> Result<Option<Found>, sqlx::Error> {
    let row: Option<FoundRow> = sqlx::query_as(
        "SELECT s.id AS session_id, s.created_at, s.last_seen_at, u.id AS user_id, u.email, \
                u.display_name, u.role, s.mfa_pending AS pending, \
                u.totp_enabled_at IS NOT NULL AS mfa_enabled \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = ? AND u.disabled_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(FoundRow::found))
}

pub async fn touch<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    session_id: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE id = ?")
        .bind(now)
        .bind(session_id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    session_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id = ?")
        .bind(session_id)
        .execute(db)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    user_agent: String,
    client_addr: String,
}

/// A user's sessions as their owner sees them on the sessions page,
/// `current` marked.
pub async fn list_for_user<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user_id: i64,
    current: i64,
) -> Result<Vec<SessionInfo>, sqlx::Error> {
    let rows: Vec<SessionRow> = sqlx::query_as(
        "SELECT id, created_at, last_seen_at, user_agent, client_addr FROM sessions \
         WHERE user_id = ? ORDER BY last_seen_at DESC",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SessionInfo {
            id: r.id,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            user_agent: r.user_agent,
            client_addr: r.client_addr,
            current: r.id == current,
        })
        .collect())
}

/// Ends every session of a user except `keep` (none kept with `None`);
/// returns how many ended.
pub async fn delete_for_user<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user_id: i64,
    keep: Option<i64>,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = ? AND id <> ?")
        .bind(user_id)
        .bind(keep.unwrap_or(-1))
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
