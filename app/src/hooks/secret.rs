//! A source's secrets: made by Muster (or entered, when the sender makes
//! its own, as Stripe and Slack do), shown once, sealed with the
//! instance's key in `sealed_keys`, and rotated with an overlap during
//! which the old and the new both verify.
use super::db;
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
    db::retire_secrets(tx, source_id, retire_others_at).await?;
    db::drop_retired_secrets(tx, source_id, now).await?;
    let key_name = format!("hook:{source_id}:{}", uuid_like());
    db::add_secret(tx, source_id, &key_name, &sealed, now).await?;
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
    let sealed = db::sealed_secrets(conn, source_id, now).await?;
    open_all(sealing, sealed)
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
