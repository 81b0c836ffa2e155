//! Two-step sign-in state in SQLite.
use chrono::{DateTime, Utc};
use sqlx::{Executor, Sqlite};

/// An account's sealed secret, whether it is confirmed, and the last
/// step used.
pub struct Secret {
    pub sealed: Vec<u8>,
    pub enabled: bool,
    pub last_step: i64,
}

#[derive(sqlx::FromRow)]
struct SecretRow {
    sealed: Option<Vec<u8>>,
    enabled: bool,
    last_step: i64,
}

/// The account's secret; `None` when it has none (or no such account).
pub async fn secret<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user_id: i64,
) -> Result<Option<Secret>, sqlx::Error> {
    let row: Option<SecretRow> = sqlx::query_as(
        "SELECT totp_secret AS sealed, totp_enabled_at IS NOT NULL AS enabled, \
                totp_last_step AS last_step \
         FROM users WHERE id = ?",
    )
    .bind(user_id)
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|r| {
        r.sealed.map(|sealed| Secret {
            sealed,
            enabled: r.enabled,
            last_step: r.last_step,
        })
    }))
}

pub async fn is_enabled<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    Ok(secret(db, user_id).await?.is_some_and(|s| s.enabled))
}

/// Stores a new, not yet confirmed secret.
pub async fn set_pending<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user_id: i64,
    sealed: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET totp_secret = ?, totp_enabled_at = NULL, totp_last_step = 0 WHERE id = ?",
    )
    .bind(sealed)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn enable<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user_id: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET totp_enabled_at = ? WHERE id = ?")
        .bind(at)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Records that a code for `step` was used; false if that step (or a
/// later one) was used already, so a code never works twice.
pub async fn use_step<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user_id: i64,
    step: u64,
) -> Result<bool, sqlx::Error> {
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let done =
        sqlx::query("UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?")
            .bind(step)
            .bind(user_id)
            .bind(step)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn disable(conn: &mut sqlx::SqliteConnection, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = 0 WHERE id = ?")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn replace_recovery_codes(
    conn: &mut sqlx::SqliteConnection,
    user_id: i64,
    hashes: &[Vec<u8>],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for hash in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)")
            .bind(user_id)
            .bind(hash)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Uses up a recovery code; false if it is unknown or already used.
pub async fn use_recovery_code<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user_id: i64,
    hash: &[u8],
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
    )
    .bind(at)
    .bind(user_id)
    .bind(hash)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

const REQUIRE_KEY: &str = "require_mfa_for_editors";

pub async fn required<'e>(db: impl Executor<'e, Database = Sqlite>) -> Result<bool, sqlx::Error> {
    let value: Option<String> = sqlx::query_scalar("SELECT value FROM app_settings WHERE key = ?")
        .bind(REQUIRE_KEY)
        .fetch_optional(db)
        .await?;
    Ok(value.is_some_and(|v| v == "true"))
}

pub async fn set_required<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    required: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO app_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(REQUIRE_KEY)
        .bind(required.to_string())
        .execute(db)
        .await?;
    Ok(())
}

/// One account's sealed secret, as a key rotation reads it.
#[derive(sqlx::FromRow)]
pub struct SealedSecret {
    pub user_id: i64,
    pub sealed: Vec<u8>,
}

/// Every sealed secret, by account, in id order (for re-sealing them).
pub async fn sealed_secrets(
    conn: &mut sqlx::SqliteConnection,
) -> Result<Vec<SealedSecret>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id AS user_id, totp_secret AS sealed FROM users \
         WHERE totp_secret IS NOT NULL ORDER BY id",
    )
    .fetch_all(conn)
    .await
}

pub async fn set_sealed_secret(
    conn: &mut sqlx::SqliteConnection,
    user_id: i64,
    sealed: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET totp_secret = ? WHERE id = ?")
        .bind(sealed)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// One sealed secret, if any account has one (to check a key against).
pub async fn any_secret<'e>(
    db: impl Executor<'e, Database = Sqlite>,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT totp_secret FROM users WHERE totp_secret IS NOT NULL LIMIT 1")
        .fetch_optional(db)
        .await
}
