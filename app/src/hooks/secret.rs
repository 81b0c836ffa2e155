//! A source's secrets: made by Muster (or entered, when the sender makes
//! its own, as Stripe and Slack do), shown once, sealed with the
//! instance's key in `sealed_keys`, and rotated with an overlap during
//! which the old and the new both verify.
use super::signature::Scheme;
use crate::auth::mfa::crypto::SecretKey;
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sqlx::SqliteConnection;

/// The longest secret accepted when entered.
pub const MAX_SECRET: usize = 200;
/// The overlap a rotation gives unless told otherwise, in hours.
pub const DEFAULT_OVERLAP_HOURS: i64 = 24;
/// The longest overlap a rotation may give, in hours (a week).
pub const MAX_OVERLAP_HOURS: i64 = 168;

/// A new random secret in the form the scheme's senders expect.
pub fn generate(scheme: Scheme) -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    match scheme {
        // Standard Webhooks keys are the base64 after the prefix; Stripe's
        // are used whole, and look the same.
        Scheme::StandardWebhooks | Scheme::Stripe => format!("whsec_{}", STANDARD.encode(bytes)),
        Scheme::Github | Scheme::Slack | Scheme::Token => URL_SAFE_NO_PAD.encode(bytes),
    }
}

/// Checks a secret someone entered (what the sender's dashboard shows).
pub fn check_entered(scheme: Scheme, secret: &str) -> Result<(), String> {
    if secret.len() < 16 {
        return Err("too short (at least 16 characters)".into());
    }
    if secret.len() > MAX_SECRET {
        return Err(format!("too long (at most {MAX_SECRET} characters)"));
    }
    // Senders' secrets are printable ASCII (GitHub's may hold spaces).
    if !secret.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
        return Err("only letters, digits, spaces and punctuation".into());
    }
    match scheme {
        Scheme::Stripe if !secret.starts_with("whsec_") => {
            Err("a Stripe signing secret starts with whsec_".into())
        }
        Scheme::StandardWebhooks => match secret
            .strip_prefix("whsec_")
            .map(|b64| STANDARD.decode(b64))
        {
            Some(Ok(key)) if key.len() >= 16 => Ok(()),
            _ => Err("a Standard Webhooks secret is whsec_ and at least 16 bytes in base64".into()),
        },
        _ => Ok(()),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_secrets_have_their_schemes_shape_and_entered_ones_are_checked() {
        for scheme in Scheme::ALL {
            let made = generate(scheme);
            assert_eq!(check_entered(scheme, &made), Ok(()), "{scheme:?}");
            assert_ne!(made, generate(scheme));
        }
        assert!(generate(Scheme::StandardWebhooks).starts_with("whsec_"));
        assert_eq!(
            check_entered(Scheme::Stripe, "sk_live_0123456789abcdef"),
            Err("a Stripe signing secret starts with whsec_".into())
        );
        assert!(check_entered(Scheme::StandardWebhooks, "whsec_not base64!!!!").is_err());
        assert!(check_entered(Scheme::Token, "short")
            .unwrap_err()
            .contains("at least 16"));
        assert!(check_entered(Scheme::Token, &"x".repeat(201))
            .unwrap_err()
            .contains("at most 200"));
        assert_eq!(
            check_entered(Scheme::Github, "It's a Secret to Everybody"),
            Ok(())
        );
        assert!(check_entered(Scheme::Github, "a tab\tis not printable").is_err());
        assert!(check_entered(Scheme::Github, "ünïcödé sëcrët ïs nöt").is_err());
    }
}
