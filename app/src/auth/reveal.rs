//! A secret shown once on the next page of the session that created it
//! (a new API token): kept in memory only, taken when shown, and dropped
//! after a few minutes if never shown.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

const KEEP: Duration = Duration::from_secs(300);

/// A session and the kind of secret ("token", "totp", "recovery").
type Slot = (i64, &'static str);

#[derive(Clone, Debug, Default)]
pub struct Reveals {
    inner: Arc<Mutex<HashMap<Slot, (String, Instant)>>>,
}

impl Reveals {
    /// Keeps a secret of this kind ("token", "totp", ...) for a session.
    pub fn put(&self, session_id: i64, kind: &'static str, secret: String) {
        if let Ok(mut map) = self.inner.lock() {
            map.retain(|_, (_, at)| at.elapsed() < KEEP);
            map.insert((session_id, kind), (secret, Instant::now()));
        }
    }

    pub fn take(&self, session_id: i64, kind: &'static str) -> Option<String> {
        let mut map = self.inner.lock().ok()?;
        map.remove(&(session_id, kind))
            .filter(|(_, at)| at.elapsed() < KEEP)
            .map(|(secret, _)| secret)
    }
}

/// The secret of this kind kept for the caller's session, taken so that
/// this page shows it once; the page is then marked for no cache to keep.
#[cfg(feature = "ssr")]
pub fn take_for_page(kind: &'static str) -> Option<String> {
    use leptos::prelude::use_context;
    let auth = use_context::<super::AuthState>()?;
    let super::Caller::User { session_id, .. } = super::current_caller() else {
        return None;
    };
    let secret = auth.reveals.take(session_id, kind)?;
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
    }
    Some(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_shown_once_and_only_to_its_session() {
        let r = Reveals::default();
        r.put(7, "token", "mst_abc".into());
        assert_eq!(r.take(8, "token"), None);
        assert_eq!(r.take(7, "totp"), None);
        assert_eq!(r.take(7, "token").as_deref(), Some("mst_abc"));
        assert_eq!(r.take(7, "token"), None);
    }
}
