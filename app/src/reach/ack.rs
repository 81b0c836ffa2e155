//! Acknowledge links: the one-use key a call's message carries (only its
//! hash is kept), and acknowledging a call, which stops its role's
//! escalation.
use super::line::note;
use super::{db, CallView};
use crate::{error::AppError, state::Db};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// What is kept of an acknowledge key: its SHA-256, in hex.
fn key_hash(key: &str) -> String {
    hex::encode(crate::auth::sessions::token_hash(key.trim()))
}

/// Where a call's message holds its acknowledge key until it is sent.
pub const ACK_KEY: &str = "{ack-key}";

/// A new acknowledge key and the hash that is kept of it.
pub fn new_ack_key() -> (String, String) {
    let mut key = [0_u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    let key = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, key);
    let hash = key_hash(&key);
    (key, hash)
}

/// Gives an open call the key its message is about to carry: the key,
/// or `None` when the call is over (acknowledged, moved on, or its
/// incident resolved), and nobody should be called now.
pub async fn key_for_sending(
    conn: &mut SqliteConnection,
    call_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    let (key, hash) = new_ack_key();
    let given = db::set_key_hash(conn, call_id, &hash).await?;
    Ok(given.then_some(key))
}

async fn find(db: &Db, key: &str, now: DateTime<Utc>) -> Result<(i64, CallView), AppError> {
    let call = db::call_by_key_hash(&db.read, &key_hash(key))
        .await?
        .ok_or_else(|| AppError::NotFound("That acknowledge link".into()))?;
    let state = if call.state == "open" && now >= call.expires_at {
        "expired".to_owned()
    } else {
        call.state
    };
    Ok((
        call.id,
        CallView {
            incident_id: call.incident_id,
            headline: call.subject,
            person: call.person_name,
            role: call.role_name,
            state,
        },
    ))
}

/// The call an acknowledge key belongs to (the page asks before acting:
/// mail scanners open links, and must not acknowledge anything).
pub async fn look(db: &Db, key: &str, now: DateTime<Utc>) -> Result<CallView, AppError> {
    Ok(find(db, key, now).await?.1)
}

/// Acknowledges a call: once, before its link expires. It stops the
/// escalation of its role (every open call for that role in the incident
/// closes) and goes on the timeline.
pub async fn acknowledge(db: &Db, key: &str, now: DateTime<Utc>) -> Result<CallView, AppError> {
    let (id, view) = find(db, key, now).await?;
    match view.state.as_str() {
        "open" => {}
        "acked" => {
            return Err(AppError::Conflict(
                "This call was acknowledged already.".into(),
            ))
        }
        "expired" => {
            return Err(AppError::Conflict(
                "This acknowledge link has expired.".into(),
            ))
        }
        _ => {
            return Err(AppError::Conflict(
                "This call is over: it went to someone else, or the role changed hands.".into(),
            ))
        }
    }
    let mut tx = db.write.begin().await?;
    if !db::mark_acked(&mut tx, id, now).await? {
        return Err(AppError::Conflict(
            "This call was acknowledged already.".into(),
        ));
    }
    db::close_same_role(&mut tx, view.incident_id, id).await?;
    let as_role = if view.role.is_empty() {
        String::new()
    } else {
        format!(" as {}", view.role)
    };
    note(
        &mut tx,
        view.incident_id,
        format!("{} acknowledged the call{as_role}.", view.person),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(CallView {
        state: "acked".into(),
        ..view
    })
}
