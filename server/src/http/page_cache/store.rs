//! The kept pages themselves: what a copy is keyed by, where its
//! per-viewer places are cut, and the bounded map that holds them. Names
//! nothing of the server's state, so the state can hold one.
use app::auth::Role;
use axum::{
    body::Bytes,
    http::{header, HeaderMap, HeaderValue},
};
use chrono::{DateTime, Duration, Utc};
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
pub(super) struct Key {
    pub(super) role: Role,
    pub(super) address: String,
    pub(super) revision: i64,
    /// Set when the copy is for one person only.
    pub(super) person: Option<i64>,
}

/// Who a copy is rendered for or served to: what fills its places.
#[derive(Clone, Debug)]
pub(super) struct Viewer {
    pub(super) id: i64,
    pub(super) name: String,
}

/// A place in a kept page that each response fills in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Place {
    Nonce,
    Name,
    Me,
}

#[derive(Debug)]
pub(super) struct Page {
    pub(super) made: DateTime<Utc>,
    pub(super) headers: HeaderMap,
    /// The body cut at its places: `body[n]`, then `places[n]`, then
    /// `body[n + 1]` ...
    pub(super) body: Vec<Bytes>,
    pub(super) places: Vec<Place>,
    pub(super) size: usize,
    /// The nonce it was rendered with, to replace in the policy header.
    pub(super) nonce: Option<String>,
}

/// Text as Leptos writes it in an element: `&`, `<` and `>` escaped.
pub(super) fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Where `needle` stands in `text`, if it stands there exactly once.
pub(super) fn only(text: &str, needle: &str) -> Option<usize> {
    let mut found = text.match_indices(needle).map(|(at, _)| at);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

impl Page {
    /// Cuts a rendered page at its places. With `shared`, the name and the
    /// viewer's id must each be found exactly once, as rendered for
    /// `viewer`; `None` when they are not (or the page is not text).
    pub(super) fn new(
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
    pub(super) fn copy(&self, viewer: &Viewer) -> (HeaderMap, Bytes) {
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
    pub(super) pages: Arc<Mutex<HashMap<Key, Arc<Page>>>>,
    /// The pages being rendered now. A request that finds its page here
    /// waits for that render instead of starting its own, so a change seen
    /// by many open pages at once costs one render, not one each.
    pub(super) rendering: Arc<Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>>,
}

/// Holds the right to render one page; gives it up when dropped, however
/// the render ended.
pub(super) struct Rendering {
    pub(super) rendering: Arc<Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>>,
    pub(super) key: Key,
    pub(super) _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for Rendering {
    fn drop(&mut self) {
        let mut rendering = self.rendering.lock().unwrap_or_else(|p| p.into_inner());
        rendering.remove(&self.key);
    }
}

impl PageCache {
    /// Waits for any render of this page already under way.
    pub(super) async fn turn(&self, key: &Key) -> Rendering {
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

    pub(super) fn get(&self, key: &Key, now: DateTime<Utc>) -> Option<Arc<Page>> {
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages.get(key).filter(|page| fresh(page, now)).cloned()
    }

    /// Keeps a page, first dropping stale ones and then the oldest until it fits.
    pub(super) fn put(&self, key: Key, page: Page, now: DateTime<Utc>) {
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

    pub(super) fn has(&self, key: &Key) -> bool {
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages.contains_key(key)
    }

    /// How many pages and bytes are kept (for tests and figures).
    pub fn size(&self) -> (usize, usize) {
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        (pages.len(), bytes(&pages))
    }
}

pub(super) fn fresh(page: &Page, now: DateTime<Utc>) -> bool {
    now >= page.made && now - page.made < FRESH_FOR
}

pub(super) fn bytes(pages: &HashMap<Key, Arc<Page>>) -> usize {
    pages.values().map(|p| p.size).sum()
}

/// The nonce named in a page's policy (`'nonce-…'`).
pub(super) fn nonce_of(headers: &HeaderMap) -> Option<String> {
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
