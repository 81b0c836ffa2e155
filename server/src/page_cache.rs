//! Rendered incident pages, kept for a moment. During an incident many
//! people keep its page open and reload it; rendering the page costs
//! milliseconds of CPU, serving a copy costs microseconds. A copy is used
//! only while all of these still hold:
//! - the incident's revision is the same (every change to it makes a new
//!   one, so a note shows on the very next load);
//! - a signed-in person with the same role asks for the same address;
//! - it is younger than [`FRESH_FOR`] by the state's clock, which bounds how
//!   stale what the revision does not cover can be (people's names, the
//!   templates offered, the clock's "now").
//!
//! A page differs between two people of one role in three places only: the
//! script nonce, the name in the header's menu, and the viewer's id the
//! live page is given. A copy is kept with those places cut out and each
//! response fills them in anew (a fresh nonce every time). While a notice
//! awaits approval the page also differs in who may approve it, so each
//! person then gets their own copy; and if the places cannot be found
//! exactly once each, the copy is kept for that person alone. The cache
//! holds at most [`MAX_PAGES`] pages and [`MAX_BYTES`] bytes.
use crate::state::ServerState;
use app::auth::{guard::PageRefused, Caller, Role};
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
    role: Role,
    address: String,
    revision: i64,
    /// Set when the copy is for one person only.
    person: Option<i64>,
}

/// Who a copy is rendered for or served to: what fills its places.
#[derive(Clone, Debug)]
struct Viewer {
    id: i64,
    name: String,
}

/// A place in a kept page that each response fills in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Nonce,
    Name,
    Me,
}

#[derive(Debug)]
struct Page {
    made: DateTime<Utc>,
    headers: HeaderMap,
    /// The body cut at its places: `body[n]`, then `places[n]`, then
    /// `body[n + 1]` ...
    body: Vec<Bytes>,
    places: Vec<Place>,
    size: usize,
    /// The nonce it was rendered with, to replace in the policy header.
    nonce: Option<String>,
}

/// Text as Leptos writes it in an element: `&`, `<` and `>` escaped.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Where `needle` stands in `text`, if it stands there exactly once.
fn only(text: &str, needle: &str) -> Option<usize> {
    let mut found = text.match_indices(needle).map(|(at, _)| at);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

impl Page {
    /// Cuts a rendered page at its places. With `shared`, the name and the
    /// viewer's id must each be found exactly once, as rendered for
    /// `viewer`; `None` when they are not (or the page is not text).
    fn new(
        made: DateTime<Utc>,
        headers: HeaderMap,
        body: Bytes,
        viewer: &Viewer,
        shared: bool,
    ) -> Option<Self> {
        let nonce = nonce_of(&headers);
        let text = std::str::from_utf8(&body).ok()?;
        let mut cuts: Vec<(usize, usize, Place)> = Vec::new();
        if let Some(nonce) = &nonce {
            cuts.extend(
                text.match_indices(nonce.as_str())
                    .map(|(at, n)| (at, at + n.len(), Place::Nonce)),
            );
        }
        if shared {
            let menu = "class=\"who\">";
            let start = only(text, menu)? + menu.len();
            let name = escaped(&viewer.name);
            text[start..]
                .starts_with(&format!("{name}<"))
                .then_some(())?;
            cuts.push((start, start + name.len(), Place::Name));
            // The live page's props, escaped in their attribute.
            let me = "&quot;me&quot;:";
            let start = only(text, me)? + me.len();
            let id = viewer.id.to_string();
            text[start..].starts_with(&format!("{id},")).then_some(())?;
            cuts.push((start, start + id.len(), Place::Me));
        }
        cuts.sort_unstable_by_key(|(start, _, _)| *start);
        let mut parts = Vec::with_capacity(cuts.len() + 1);
        let mut places = Vec::with_capacity(cuts.len());
        let mut from = 0;
        for (start, end, place) in cuts {
            if start < from {
                return None;
            }
            parts.push(body.slice(from..start));
            places.push(place);
            from = end;
        }
        parts.push(body.slice(from..));
        Some(Self {
            made,
            headers,
            size: body.len(),
            body: parts,
            places,
            nonce,
        })
    }

    /// The headers and body of a copy for `viewer`, under a nonce of its own.
    fn copy(&self, viewer: &Viewer) -> (HeaderMap, Bytes) {
        let mut headers = self.headers.clone();
        headers.remove(header::CONTENT_LENGTH);
        let new = leptos::nonce::Nonce::new().to_string();
        if let (Some(old), Some(policy)) =
            (&self.nonce, headers.get(header::CONTENT_SECURITY_POLICY))
        {
            let policy = policy
                .to_str()
                .unwrap_or_default()
                .replace(old.as_str(), &new);
            if let Ok(value) = HeaderValue::from_str(&policy) {
                headers.insert(header::CONTENT_SECURITY_POLICY, value);
            }
        }
        let (name, id) = (escaped(&viewer.name), viewer.id.to_string());
        let mut body = Vec::with_capacity(self.size + 64 * self.places.len());
        for (n, part) in self.body.iter().enumerate() {
            body.extend_from_slice(part);
            match self.places.get(n) {
                Some(Place::Nonce) => body.extend_from_slice(new.as_bytes()),
                Some(Place::Name) => body.extend_from_slice(name.as_bytes()),
                Some(Place::Me) => body.extend_from_slice(id.as_bytes()),
                None => {}
            }
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

    fn has(&self, key: &Key) -> bool {
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages.contains_key(key)
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
    let Some((id, viewer, key)) = unrevised_key(&req) else {
        return next.run(req).await;
    };
    let Some(key) = key_for(&state, id, &viewer, key).await else {
        return next.run(req).await;
    };
    let cache = &state.page_cache;
    if let Some(page) = cache.get(&key, state.app.clock.now()) {
        return served(&page, &viewer);
    }
    let _turn = cache.turn(&key).await;
    let now = state.app.clock.now();
    if let Some(page) = cache.get(&key, now) {
        return served(&page, &viewer);
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::OK {
        return res;
    }
    let (parts, body) = res.into_parts();
    match read_up_to(body, MAX_PAGE).await {
        Ok(body) => {
            let shared = key.person.is_none();
            let page = Page::new(now, parts.headers.clone(), body.clone(), &viewer, shared);
            match page {
                Some(page) => cache.put(key, page, now),
                // Not cut as expected: keep it for this person alone.
                None if shared => {
                    let alone = Key {
                        person: Some(viewer.id),
                        ..key
                    };
                    if let Some(page) =
                        Page::new(now, parts.headers.clone(), body.clone(), &viewer, false)
                    {
                        cache.put(alone, page, now);
                    }
                }
                None => {}
            }
            Response::from_parts(parts, Body::from(body))
        }
        Err(Unkept::TooLarge(body)) => Response::from_parts(parts, body),
        Err(Unkept::Failed) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn served(page: &Page, viewer: &Viewer) -> Response {
    let (headers, body) = page.copy(viewer);
    let mut res = Response::new(Body::from(body));
    *res.headers_mut() = headers;
    res
}

/// The key of a request that may be served from the cache: a plain GET of
/// an incident page by a signed-in person whose role allows it. Shared by
/// everyone of the role unless a notice awaits approval.
async fn key_for(state: &ServerState, id: i64, viewer: &Viewer, key: Key) -> Option<Key> {
    let mut conn = state.app.db.read.acquire().await.ok()?;
    let (revision, awaiting) = app::incidents::db::page_key(&mut conn, id).await.ok()??;
    let person = awaiting.then_some(viewer.id);
    let shared = Key {
        revision,
        person,
        ..key.clone()
    };
    // A page that could not be cut is kept for its person alone.
    Some(match person {
        None if state.page_cache.has(&Key {
            person: Some(viewer.id),
            ..shared.clone()
        }) =>
        {
            Key {
                person: Some(viewer.id),
                ..shared
            }
        }
        _ => shared,
    })
}

/// The incident, the viewer and the key without its revision (read from
/// the request alone, which cannot be held across an await).
fn unrevised_key(req: &Request) -> Option<(i64, Viewer, Key)> {
    if req.method() != Method::GET || req.extensions().get::<PageRefused>().is_some() {
        return None;
    }
    let id: i64 = req.uri().path().strip_prefix("/incidents/")?.parse().ok()?;
    let Some(Caller::User { user, .. }) = req.extensions().get::<Caller>() else {
        return None;
    };
    let viewer = Viewer {
        id: user.id,
        name: user.display_name.clone(),
    };
    let key = Key {
        role: user.role,
        address: req.uri().path_and_query()?.as_str().to_owned(),
        revision: 0,
        person: None,
    };
    Some((id, viewer, key))
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

    fn ada() -> Viewer {
        Viewer {
            id: 7,
            name: "Ada <Admin> & co".into(),
        }
    }

    fn page(made: DateTime<Utc>, size: usize) -> Page {
        Page::new(
            made,
            HeaderMap::new(),
            Bytes::from(vec![b'x'; size]),
            &ada(),
            false,
        )
        .expect("a page")
    }

    fn key(n: usize) -> Key {
        Key {
            role: Role::Viewer,
            address: format!("/incidents/1?before={n}"),
            revision: 1,
            person: None,
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
        let kept = Page::new(at(0), headers, Bytes::from(body), &ada(), false).expect("a page");
        let (a, b) = (kept.copy(&ada()), kept.copy(&ada()));
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

    #[test]
    fn a_shared_copy_names_whoever_it_is_served_to() {
        let body = "<a href=\"/account\" class=\"who\">Ada &lt;Admin&gt; &amp; co<!> <span>viewer</span></a>\
            <p>Ada &lt;Admin&gt; &amp; co wrote a note</p>\
            <leptos-island data-props=\"{&quot;can_act&quot;:false,&quot;me&quot;:7,&quot;x&quot;:70}\">";
        let kept =
            Page::new(at(0), HeaderMap::new(), Bytes::from(body), &ada(), true).expect("cut");
        let bob = Viewer {
            id: 12,
            name: "Bob".into(),
        };
        let (_, copy) = kept.copy(&bob);
        let copy = std::str::from_utf8(&copy).expect("text");
        assert!(
            copy.starts_with("<a href=\"/account\" class=\"who\">Bob<!>"),
            "{copy}"
        );
        assert!(
            copy.contains("<p>Ada &lt;Admin&gt; &amp; co wrote a note</p>"),
            "other places keep the name"
        );
        assert!(
            copy.contains("&quot;me&quot;:12,&quot;x&quot;:70"),
            "{copy}"
        );
        // Not cut when a place is missing, doubled, or not as rendered.
        for bad in [
            body.replace("class=\"who\"", "class=\"someone\""),
            body.replace("&quot;me&quot;:7", "&quot;me&quot;:8"),
            format!("{body}<p title=\"&quot;me&quot;:7,\">"),
        ] {
            assert!(Page::new(at(0), HeaderMap::new(), Bytes::from(bad), &ada(), true).is_none());
        }
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
