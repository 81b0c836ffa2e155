//! A source's secrets: made by Muster (or entered, when the sender makes
//! its own, as Stripe and Slack do), shown once, sealed with the
//! instance's key in `sealed_keys`, and rotated with an overlap during
//! which the old and the new both verify.
use crate::sealing::SecretKey;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sqlx::SqliteConnection;

/// The overlap a rotation gives unless told otherwise, in hours.
pub const DEFAULT_OVERLAP_HOURS: i64 = 24;
/// The longest overlap a rotation may give, in hours (a week).
pub const MAX_OVERLAP_HOURS: i64 = 168;

/// Seals and stores a new current secret for the source; the secrets it
/// replaces retire at `retire_others_at` (now, for none of the overlap).
pub async fn install(
    tx: &mut SqliteConnection,
    sealing: &SecretKey,
    source_id: i64,
    secret: &str,
    now: DateTime<Utc>,
    retire_others_at: DateTime<Utc>,
) -> Result<(), crate::error::AppError> {
    let sealed = sealing
        .seal(secret.as_bytes())
        .ok_or_else(|| crate::error::AppError::internal("the secret could not be sealed"))?;
    // Every older secret retires at `retire_others_at` at the latest: the
    // current one starts to, and one still in an earlier overlap retires
    // no later than this (after a leak, a rotation with no overlap ends
    // every older secret at once). Retired ones are gone for good.
    sqlx::query(
        "UPDATE hook_secrets SET retires_at = ? \
         WHERE source_id = ? AND (retires_at IS NULL OR retires_at > ?)",
    )
    .bind(retire_others_at)
    .bind(source_id)
    .bind(retire_others_at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM sealed_keys WHERE name IN \
         (SELECT key_name FROM hook_secrets WHERE source_id = ? AND retires_at <= ?)",
    )
    .bind(source_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM hook_secrets WHERE source_id = ? AND retires_at <= ?")
        .bind(source_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let key_name = format!("hook:{source_id}:{}", uuid_like());
    sqlx::query("INSERT INTO sealed_keys (name, sealed) VALUES (?, ?)")
        .bind(&key_name)
        .bind(&sealed)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO hook_secrets (source_id, key_name, created_at) VALUES (?, ?, ?)")
        .bind(source_id)
        .bind(&key_name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The secrets that verify at `now`: the current one and any still in
/// their overlap. `Err` when the instance's key does not open them.
pub async fn valid(
    conn: &mut SqliteConnection,
    sealing: &SecretKey,
    source_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<String>, crate::error::AppError> {
    let sealed: Vec<(Vec<u8>,)> = sqlx::query_as(
        "SELECT k.sealed FROM hook_secrets s JOIN sealed_keys k ON k.name = s.key_name \
         WHERE s.source_id = ? AND (s.retires_at IS NULL OR s.retires_at > ?) ORDER BY s.id DESC",
    )
    .bind(source_id)
    .bind(now)
    .fetch_all(conn)
    .await?;
    open_all(sealing, sealed.into_iter().map(|(s,)| s))
}

/// Secrets as sealed, opened. `Err` when the instance's key does not
/// open one.
pub fn open_all(
    sealing: &SecretKey,
    sealed: impl IntoIterator<Item = Vec<u8>>,
) -> Result<Vec<String>, crate::error::AppError> {
    sealed
        .into_iter()
        .map(|sealed| {
            sealing
                .open(&sealed)
                .and_then(|plain| String::from_utf8(plain).ok())
                .ok_or_else(|| {
                    crate::error::AppError::internal(
                        "the instance key does not open a webhook secret",
                    )
                })
        })
        .collect()
}

/// A random name part (the secret's own key name in `sealed_keys`).
fn uuid_like() -> String {
    let mut bytes = [0_u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
