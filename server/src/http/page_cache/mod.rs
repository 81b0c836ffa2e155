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
pub mod store;

use crate::state::ServerState;
use app::auth::{guard::PageRefused, Caller};
use axum::body::Bytes;
use axum::{
    body::Body,
    extract::{Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use futures_util::StreamExt;
use store::*;
pub use store::{PageCache, FRESH_FOR, MAX_BYTES, MAX_PAGE, MAX_PAGES};

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
    let app::incidents::db::PageKey { revision, awaiting } =
        app::incidents::db::page_key(&mut conn, id).await.ok()??;
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
