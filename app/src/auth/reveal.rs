//! A secret shown once on the next page of the session that created it
//! (a new API token): kept in memory only, taken when shown, and dropped
//! after a few minutes if never shown.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

const KEEP: Duration = Duration::from_secs(300);

#[derive(Clone, Debug, Default)]
pub struct Reveals {
    inner: Arc<Mutex<HashMap<i64, (String, Instant)>>>,
}

impl Reveals {
    pub fn put(&self, session_id: i64, secret: String) {
        if let Ok(mut map) = self.inner.lock() {
            map.retain(|_, (_, at)| at.elapsed() < KEEP);
            map.insert(session_id, (secret, Instant::now()));
        }
    }

    pub fn take(&self, session_id: i64) -> Option<String> {
        let mut map = self.inner.lock().ok()?;
        map.remove(&session_id)
            .filter(|(_, at)| at.elapsed() < KEEP)
            .map(|(secret, _)| secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_shown_once_and_only_to_its_session() {
        let r = Reveals::default();
        r.put(7, "mst_abc".into());
        assert_eq!(r.take(8), None);
        assert_eq!(r.take(7).as_deref(), Some("mst_abc"));
        assert_eq!(r.take(7), None);
    }
}
