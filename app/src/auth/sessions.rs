//! Server-side sessions. The browser holds a random token; the database
//! holds only its SHA-256, so a copy of the database signs nobody in.
use super::{Role, User};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{Executor, Sqlite};

/// How long sessions live; from the settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
    /// Served over HTTPS: the cookie gets `Secure` and the `__Host-` prefix.
    pub secure: bool,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::hours(12),
            absolute: Duration::days(7),
            secure: false,
        }
    }
}

impl SessionPolicy {
    pub fn cookie_name(&self) -> &'static str {
        if self.secure {
            "__Host-muster_session"
        } else {
            "muster_session"
        }
    }

    /// The Set-Cookie value that hands the token to the browser.
    pub fn cookie(&self, token: &str) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            self.cookie_name(),
            self.absolute.num_seconds()
        )
    }

    /// The Set-Cookie value that makes the browser forget the token.
    pub fn clearing_cookie(&self) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
            self.cookie_name()
        )
    }

    /// Whether a session seen at these times is still alive at `now`.
    pub fn is_alive(
        &self,
        created: DateTime<Utc>,
        last_seen: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        now - last_seen < self.idle && now - created < self.absolute
    }
}

/// 32 random bytes from the operating system, URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Reads the session token from a Cookie header.
pub fn token_from_cookie_header(header: &str, name: &str) -> Option<String> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

#[tracing::instrument(skip_all)]
pub async fn create<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user_id: i64,
    user_agent: &str,
    client_addr: &str,
    pending: bool,
    now: DateTime<Utc>,
) -> Result<(i64, String), sqlx::Error> {
    let token = new_token();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, user_agent, client_addr, mfa_pending) \
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(now)
    .bind(now)
    .bind(user_agent.chars().take(200).collect::<String>())
        .bind(client_addr)
    .bind(pending)
    .fetch_one(db)
    .await?;
    Ok((id, token))
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

type FoundRow = (
    i64,
    DateTime<Utc>,
    DateTime<Utc>,
    i64,
    String,
    String,
    String,
    bool,
    bool,
);

#[tracing::instrument(skip_all)]
pub async fn find<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    token: &str,
) -> Result<Option<Found>, sqlx::Error> {
    let row: Option<FoundRow> = sqlx::query_as(
        "SELECT s.id, s.created_at, s.last_seen_at, u.id, u.email, u.display_name, u.role, \
                s.mfa_pending, u.totp_enabled_at IS NOT NULL \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = ? AND u.disabled_at IS NULL",
    )
    .bind(token_hash(token))
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(
        |(
            session_id,
            created_at,
            last_seen_at,
            id,
            email,
            display_name,
            role,
            pending,
            mfa_enabled,
        )| {
            Some(Found {
                session_id,
                user: User {
                    id,
                    email,
                    display_name,
                    role: role.parse::<Role>().ok()?,
                },
                created_at,
                last_seen_at,
                pending,
                mfa_enabled,
            })
        },
    ))
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

/// A session as its owner sees it on the sessions page.
pub async fn list_for_user<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    user_id: i64,
    current: i64,
) -> Result<Vec<super::SessionInfo>, sqlx::Error> {
    type Row = (i64, DateTime<Utc>, DateTime<Utc>, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, created_at, last_seen_at, user_agent, client_addr FROM sessions \
         WHERE user_id = ? ORDER BY last_seen_at DESC",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, created_at, last_seen_at, user_agent, client_addr)| super::SessionInfo {
                id,
                created_at,
                last_seen_at,
                user_agent,
                client_addr,
                current: id == current,
            },
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_stored_only_as_hashes() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes in URL-safe base64");
        assert_eq!(token_hash(&a).len(), 32);
        assert_ne!(token_hash(&a), a.as_bytes());
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_secure_with_the_host_prefix_over_https() {
        let plain = SessionPolicy::default();
        assert_eq!(
            plain.cookie("tok"),
            "muster_session=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=604800"
        );
        let https = SessionPolicy {
            secure: true,
            ..plain
        };
        assert_eq!(
            https.cookie("tok"),
            "__Host-muster_session=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=604800; Secure"
        );
        assert!(https.clearing_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn sessions_end_after_the_idle_or_the_absolute_timeout() {
        let p = SessionPolicy::default();
        // A fixed moment: tests never read the real date.
        let start = DateTime::parse_from_rfc3339("2026-11-28T03:00:00Z")
            .expect("a time")
            .with_timezone(&Utc);
        assert!(p.is_alive(start, start, start + Duration::hours(11)));
        assert!(!p.is_alive(start, start, start + Duration::hours(12)));
        let busy = start + Duration::days(7) - Duration::minutes(1);
        assert!(p.is_alive(start, busy, busy));
        assert!(!p.is_alive(start, busy, start + Duration::days(7)));
    }

    #[test]
    fn the_token_is_read_from_the_right_cookie() {
        let h = "theme=dark; muster_session=abc; other=1";
        assert_eq!(
            token_from_cookie_header(h, "muster_session").as_deref(),
            Some("abc")
        );
        assert_eq!(
            token_from_cookie_header("muster_session=", "muster_session"),
            None
        );
        assert_eq!(token_from_cookie_header(h, "__Host-muster_session"), None);
    }
}
