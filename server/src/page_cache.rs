//! Rendered incident pages, kept for a moment. During an incident many
//! people keep its page open and reload it; rendering the page costs
//! milliseconds of CPU, serving a copy costs microseconds. A copy is used
//! only while all of these still hold:
//! - the incident's revision is the same (every change to it makes a new
//!   one, so a note shows on the very next load);
//! - the same session, with the same role, asks for the same address;
//! - it is younger than [`FRESH_FOR`] by the state's clock, which bounds how
//!   stale what the revision does not cover can be (people's names, the
//!   templates offered, the clock's "now").
//!
//! Each copy gets a fresh script nonce, so no two responses share one. The
//! cache holds at most [`MAX_PAGES`] pages and [`MAX_BYTES`] bytes.
use crate::state::ServerState;
use app::{
    auth::{guard::PageRefused, Caller, Role},
    timeline::{db::revision, Subject},
};
use axum::body::Bytes;
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// How long a copy may be served.
pub const FRESH_FOR: Duration = Duration::seconds(1);
/// The most pages kept, and the most bytes.
pub const MAX_PAGES: usize = 256;
pub const MAX_BYTES: usize = 32 << 20;
/// A page larger than this is served but never kept.
pub const MAX_PAGE: usize = 2 << 20;

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Key {
    session: i64,
    role: Role,
    address: String,
    revision: i64,
}

#[derive(Debug)]
struct Page {
    made: DateTime<Utc>,
    headers: HeaderMap,
    /// The body cut where the script nonce it was rendered with stood, so
    /// each copy puts a new one there.
    body: Vec<Bytes>,
    size: usize,
    /// That nonce, to replace in the copy's policy header.
    nonce: Option<String>,
}

impl Page {
    fn new(made: DateTime<Utc>, headers: HeaderMap, body: Bytes) -> Option<Self> {
        let nonce = nonce_of(&headers);
        let size = body.len();
        let body = match &nonce {
            Some(nonce) => {
                let text = std::str::from_utf8(&body).ok()?;
                let mut parts = Vec::new();
                let mut start = 0;
                for (at, _) in text.match_indices(nonce.as_str()) {
                    parts.push(body.slice(start..at));
                    start = at + nonce.len();
                }
                parts.push(body.slice(start..));
                parts
            }
            None => vec![body],
        };
        Some(Self {
            made,
            headers,
            body,
            size,
            nonce,
        })
    }

    /// The headers and body of a copy, under a nonce of its own.
    fn copy(&self) -> (HeaderMap, Bytes) {
        let mut headers = self.headers.clone();
        headers.remove(header::CONTENT_LENGTH);
        let Some(old) = &self.nonce else {
            return (headers, self.body.concat().into());
        };
        let new = leptos::nonce::Nonce::new().to_string();
        if let Some(policy) = headers.get(header::CONTENT_SECURITY_POLICY) {
            let policy = policy
                .to_str()
                .unwrap_or_default()
                .replace(old.as_str(), &new);
            if let Ok(value) = HeaderValue::from_str(&policy) {
                headers.insert(header::CONTENT_SECURITY_POLICY, value);
            }
        }
        let mut body = Vec::with_capacity(self.size + self.body.len() * new.len());
        for (n, part) in self.body.iter().enumerate() {
            if n > 0 {
                body.extend_from_slice(new.as_bytes());
            }
            body.extend_from_slice(part);
        }
        (headers, body.into())
    }
}

#[derive(Clone, Debug, Default)]
pub struct PageCache {
    pages: Arc<Mutex<HashMap<Key, Arc<Page>>>>,
    /// The pages being rendered now. A request that finds its page here
    /// waits for that render instead of starting its own, so a change seen
    /// by many open pages at once costs one render, not one each.
    rendering: Arc<Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>>,
}

/// Holds the right to render one page; gives it up when dropped, however
/// the render ended.
struct Rendering {
    rendering: Arc<Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>>,
    key: Key,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for Rendering {
    fn drop(&mut self) {
        let mut rendering = self.rendering.lock().unwrap_or_else(|p| p.into_inner());
        rendering.remove(&self.key);
    }
}

impl PageCache {
    /// Waits for any render of this page already under way.
    async fn turn(&self, key: &Key) -> Rendering {
        let lock = {
            let mut rendering = self.rendering.lock().unwrap_or_else(|p| p.into_inner());
            rendering.entry(key.clone()).or_default().clone()
        };
        Rendering {
            rendering: self.rendering.clone(),
            key: key.clone(),
            _turn: lock.lock_owned().await,
        }
    }

    fn get(&self, key: &Key, now: DateTime<Utc>) -> Option<Arc<Page>> {
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages.get(key).filter(|page| fresh(page, now)).cloned()
    }

    /// Keeps a page, first dropping stale ones and then the oldest until it fits.
    fn put(&self, key: Key, page: Page, now: DateTime<Utc>) {
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages.retain(|_, kept| fresh(kept, now));
        let size = page.size;
        while !pages.is_empty() && (pages.len() >= MAX_PAGES || bytes(&pages) + size > MAX_BYTES) {
            let oldest = pages
                .iter()
                .min_by_key(|(_, kept)| kept.made)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                pages.remove(&oldest);
            }
        }
        pages.insert(key, Arc::new(page));
    }

    /// How many pages and bytes are kept (for tests and figures).
    pub fn size(&self) -> (usize, usize) {
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        (pages.len(), bytes(&pages))
    }
}

fn fresh(page: &Page, now: DateTime<Utc>) -> bool {
    now >= page.made && now - page.made < FRESH_FOR
}

fn bytes(pages: &HashMap<Key, Arc<Page>>) -> usize {
    pages.values().map(|p| p.size).sum()
}

/// Serves incident pages from the cache, or renders and keeps them. Runs
/// after the gate, so only callers it let through reach here.
pub async fn incident_pages(
    State(state): State<ServerState>,
    req: Request,
    next: Next,
) -> Response {
    let Some(unrevised) = unrevised_key(&req) else {
        return next.run(req).await;
    };
    let Some(key) = key_for(&state, unrevised).await else {
        return next.run(req).await;
    };
    let cache = &state.page_cache;
    if let Some(page) = cache.get(&key, state.app.clock.now()) {
        return served(&page);
    }
    let _turn = cache.turn(&key).await;
    let now = state.app.clock.now();
    if let Some(page) = cache.get(&key, now) {
        return served(&page);
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::OK {
        return res;
    }
    let (parts, body) = res.into_parts();
    match read_up_to(body, MAX_PAGE).await {
        Ok(body) => {
            if let Some(page) = Page::new(now, parts.headers.clone(), body.clone()) {
                cache.put(key, page, now);
            }
            Response::from_parts(parts, Body::from(body))
        }
        Err(Unkept::TooLarge(body)) => Response::from_parts(parts, body),
        Err(Unkept::Failed) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn served(page: &Page) -> Response {
    let (headers, body) = page.copy();
    let mut res = Response::new(Body::from(body));
    *res.headers_mut() = headers;
    res
}

/// The key of a request that may be served from the cache: a plain GET of
/// an incident page by a signed-in person whose role allows it.
async fn key_for(state: &ServerState, (id, key): (i64, Key)) -> Option<Key> {
    let mut conn = state.app.db.read.acquire().await.ok()?;
    let revision = revision(&mut conn, Subject::Incident(id)).await.ok()??;
    Some(Key { revision, ..key })
}

/// The incident and the key without its revision (read from the request
/// alone, which cannot be held across an await).
fn unrevised_key(req: &Request) -> Option<(i64, Key)> {
    if req.method() != Method::GET || req.extensions().get::<PageRefused>().is_some() {
        return None;
    }
    let id: i64 = req.uri().path().strip_prefix("/incidents/")?.parse().ok()?;
    let Some(Caller::User { user, session_id }) = req.extensions().get::<Caller>() else {
        return None;
    };
    let key = Key {
        session: *session_id,
        role: user.role,
        address: req.uri().path_and_query()?.as_str().to_owned(),
        revision: 0,
    };
    Some((id, key))
}

/// The nonce named in a page's policy (`'nonce-…'`).
fn nonce_of(headers: &HeaderMap) -> Option<String> {
    let policy = headers
        .get(header::CONTENT_SECURITY_POLICY)?
        .to_str()
        .ok()?;
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let len = policy[start..].find('\'')?;
    let nonce = &policy[start..start + len];
    // Long and random, so it cannot be mistaken for page text.
    (nonce.len() >= 16).then(|| nonce.to_owned())
}

enum Unkept {
    /// Larger than a page may be to be kept: the body, whole, to send on.
    TooLarge(Body),
    Failed,
}

/// The whole body if it is at most `limit` bytes; otherwise a body that
/// sends what was read and then the rest.
async fn read_up_to(body: Body, limit: usize) -> Result<Bytes, Unkept> {
    let mut stream = body.into_data_stream();
    let mut read: Vec<Bytes> = Vec::new();
    let mut size = 0;
    while let Some(data) = stream.next().await {
        let Ok(data) = data else {
            return Err(Unkept::Failed);
        };
        size += data.len();
        read.push(data);
        if size > limit {
            let head = futures_util::stream::iter(read.into_iter().map(Ok::<_, axum::Error>));
            return Err(Unkept::TooLarge(Body::from_stream(head.chain(stream))));
        }
    }
    let mut all = Vec::with_capacity(size);
    for part in read {
        all.extend_from_slice(&part);
    }
    Ok(Bytes::from(all))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(made: DateTime<Utc>, size: usize) -> Page {
        Page::new(made, HeaderMap::new(), Bytes::from(vec![b'x'; size])).expect("a page")
    }

    fn key(n: usize) -> Key {
        Key {
            session: 1,
            role: Role::Viewer,
            address: format!("/incidents/1?before={n}"),
            revision: 1,
        }
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("a time")
    }

    #[test]
    fn holds_at_most_its_page_count_and_drops_the_oldest() {
        let cache = PageCache::default();
        let t = at(0);
        let made = |n: usize| t + Duration::microseconds(n as i64);
        for n in 0..MAX_PAGES * 3 {
            cache.put(key(n), page(made(n), 10), made(n));
        }
        let last = made(MAX_PAGES * 3);
        assert_eq!(cache.size().0, MAX_PAGES);
        assert!(
            cache.get(&key(MAX_PAGES * 3 - 1), last).is_some(),
            "the newest is kept"
        );
        assert!(cache.get(&key(MAX_PAGES * 2), last).is_some());
        assert!(
            cache.get(&key(MAX_PAGES * 2 - 1), last).is_none(),
            "the oldest went first"
        );
    }

    #[test]
    fn holds_at_most_its_byte_count() {
        let cache = PageCache::default();
        let t = at(0);
        let each = MAX_PAGE;
        for n in 0..(MAX_BYTES / each) * 2 {
            cache.put(key(n), page(t, each), t);
        }
        let (pages, bytes) = cache.size();
        assert!(bytes <= MAX_BYTES, "{bytes} bytes kept");
        assert_eq!(pages, MAX_BYTES / each);
    }

    #[test]
    fn a_page_is_served_only_while_fresh() {
        let cache = PageCache::default();
        cache.put(key(1), page(at(0), 10), at(0));
        assert!(cache
            .get(&key(1), at(0) + FRESH_FOR - Duration::milliseconds(1))
            .is_some());
        assert!(cache.get(&key(1), at(0) + FRESH_FOR).is_none());
        assert!(
            cache.get(&key(1), at(-1)).is_none(),
            "a clock set back is not trusted"
        );
        // Stale pages are dropped when the next one is kept.
        cache.put(key(2), page(at(5), 10), at(5));
        assert_eq!(cache.size().0, 1);
    }

    #[test]
    fn a_copy_carries_a_nonce_of_its_own() {
        let old = "AAAAAAAAAAAAAAAAAAAAAA";
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&format!("script-src 'self' 'nonce-{old}'")).expect("a value"),
        );
        assert_eq!(nonce_of(&headers).as_deref(), Some(old));
        let body =
            format!("<script nonce=\"{old}\">a</script><p>b</p><script nonce=\"{old}\">c</script>");
        let kept = Page::new(at(0), headers, Bytes::from(body)).expect("a page");
        let (a, b) = (kept.copy(), kept.copy());
        let nonce =
            |(headers, _): &(HeaderMap, Bytes)| nonce_of(headers).expect("a nonce in the policy");
        let (na, nb) = (nonce(&a), nonce(&b));
        assert!(na != old && nb != old && na != nb, "{na} {nb}");
        assert_eq!(
            std::str::from_utf8(&a.1).expect("text"),
            format!("<script nonce=\"{na}\">a</script><p>b</p><script nonce=\"{na}\">c</script>"),
            "the body names the policy's nonce, everywhere the old one stood"
        );
    }

    #[tokio::test]
    async fn a_page_is_rendered_once_at_a_time() {
        let cache = PageCache::default();
        let first = cache.turn(&key(1)).await;
        let waiting = tokio::spawn({
            let cache = cache.clone();
            async move {
                cache.turn(&key(1)).await;
            }
        });
        let other = cache.turn(&key(2)).await;
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        assert!(!waiting.is_finished(), "the second waits for the first");
        drop(first);
        waiting.await.expect("its turn came");
        drop(other);
        assert!(
            cache.rendering.lock().expect("lock").is_empty(),
            "nothing left behind"
        );
    }
}
