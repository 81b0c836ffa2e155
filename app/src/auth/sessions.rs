//! Server-side sessions. The browser holds a random token; the database
//! holds only its SHA-256, so a copy of the database signs nobody in.
use super::db::sessions::NewSession;
pub use super::db::sessions::{delete, delete_for_user, list_for_user, touch, Found};
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

/// Starts a session; its id and the token for the browser (the database
/// keeps only the token's hash).
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
    let hash = token_hash(&token);
    let user_agent: String = user_agent.chars().take(200).collect();
    let new = NewSession {
        token_hash: &hash,
        user_id,
        user_agent: &user_agent,
        client_addr,
        pending,
        at: now,
    };
    let id = super::db::sessions::insert(db, new).await?;
    Ok((id, token))
}

/// The session this token opens, with its (enabled) user.
#[tracing::instrument(skip_all)]
pub async fn find<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    token: &str,
) -> Result<Option<Found>, sqlx::Error> {
    super::db::sessions::by_token_hash(db, &token_hash(token)).await
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
