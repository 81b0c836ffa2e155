//! The live streams of the incident and drill-run pages: Server-Sent
//! Events. The first event carries the topic's revision (a page that is
//! behind fetches once); each later one carries the change itself, which
//! an incident page applies without asking again. A drill run's stream
//! carries revisions only: what a player may see of a change depends on
//! their roles, so their page fetches its own view. A stream ends when the server stops, or when a
//! check (every `Live::recheck`) finds its session ended, its account
//! disabled or its role no longer allowed to read; each session holds at
//! most `STREAMS_PER_SESSION` streams and is answered 429 past that.
use crate::state::ServerState;
use app::{
    auth::{guard, sessions, tokens_db, Caller},
    live::{Message, StreamSlot},
    timeline::{self, Subject},
};
use axum::{
    extract::{Path, Request, State},
    http::{header, StatusCode},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
};
use futures_util::{stream, StreamExt};
use std::time::Duration;
use tokio::sync::broadcast::{error::RecvError, Receiver};

pub fn routes() -> Vec<crate::state::Route> {
    vec![
        ("/incidents/{id}/live", axum::routing::get(incident_stream)),
        ("/drills/runs/{id}/live", axum::routing::get(run_stream)),
    ]
}

/// What the stream shows again at each check to prove it may still read.
/// Held only in memory, never logged.
enum Credentials {
    Session(String),
    Token(String),
}

pub async fn incident_stream(
    State(state): State<ServerState>,
    Path(id): Path<i64>,
    req: Request,
) -> Response {
    follow(state, Subject::Incident(id), req).await
}

pub async fn run_stream(
    State(state): State<ServerState>,
    Path(id): Path<i64>,
    req: Request,
) -> Response {
    follow(state, Subject::DrillRun(id), req).await
}

async fn follow(state: ServerState, topic: Subject, req: Request) -> Response {
    let caller = req
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_default();
    let (holder, credentials) = match (&caller, credentials(&state, &req)) {
        (Caller::User { session_id, .. }, Some(c)) => (format!("session:{session_id}"), c),
        (Caller::Token { id, .. }, Some(c)) => (format!("token:{id}"), c),
        _ => return (StatusCode::UNAUTHORIZED, "Sign in to continue.").into_response(),
    };
    let Some(slot) = state.app.live.open_stream(holder) else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "60")],
            "Too many live pages are open for this session; close some.",
        )
            .into_response();
    };
    // Subscribe before reading the current revision, so no change can fall
    // between the two. A commit's message can reach the hub after the
    // commit itself (the writer tells the hub as it is handed back), so the
    // subscription may still bring a revision the first event already
    // counted: `told` drops those, and every event is newer than the last.
    let receiver = state.app.live.subscribe();
    let Some(current) = revision(&state, topic).await else {
        return (StatusCode::NOT_FOUND, "Not found.").into_response();
    };
    let period = state.app.live.recheck;
    let follow = Follow {
        first: Some(current),
        told: current,
        receiver,
        topic,
        path: req.uri().path().to_owned(),
        check: tokio::time::interval_at(tokio::time::Instant::now() + period, period),
        credentials,
        state: state.clone(),
        _slot: slot,
    };
    let events = stream::unfold(follow, next_event);
    // Ends when the server stops, so an open page never holds up shutdown.
    let events = events.take_until(state.app.live.closing());
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

struct Follow {
    first: Option<i64>,
    /// The newest revision this stream has told.
    told: i64,
    receiver: Receiver<Message>,
    topic: Subject,
    path: String,
    check: tokio::time::Interval,
    credentials: Credentials,
    state: ServerState,
    _slot: StreamSlot,
}

async fn next_event(mut f: Follow) -> Option<(Result<Event, std::convert::Infallible>, Follow)> {
    if let Some(revision) = f.first.take() {
        return Some((Ok(Event::default().data(revision.to_string())), f));
    }
    loop {
        tokio::select! {
            message = f.receiver.recv() => match message {
                Ok(m) if m.topic == f.topic && m.revision > f.told => {
                    f.told = m.revision;
                    let change = m.change.filter(|_| matches!(f.topic, Subject::Incident(_)));
                    let data = change.map_or_else(|| m.revision.to_string(), |c| c.to_string());
                    return Some((Ok(Event::default().data(data)), f));
                }
                Ok(_) => continue,
                // Missed some: say where the incident is now; the page fetches.
                Err(RecvError::Lagged(_)) => {
                    let revision = revision(&f.state, f.topic).await?;
                    if revision <= f.told {
                        continue;
                    }
                    f.told = revision;
                    return Some((Ok(Event::default().data(revision.to_string())), f));
                }
                Err(RecvError::Closed) => return None,
            },
            _ = f.check.tick() => {
                if !may_still_read(&f.state, &f.credentials, &f.path).await {
                    return None;
                }
            }
        }
    }
}

fn credentials(state: &ServerState, req: &Request) -> Option<Credentials> {
    if let Some(bearer) = crate::http::access::bearer_token(req) {
        return Some(Credentials::Token(bearer));
    }
    crate::http::access::session_token(req, state.auth.sessions.cookie_name())
        .map(Credentials::Session)
}

async fn revision(state: &ServerState, topic: Subject) -> Option<i64> {
    let mut conn = state.app.db.read.acquire().await.ok()?;
    timeline::db::revision(&mut conn, topic)
        .await
        .ok()
        .flatten()
}

/// Whether the stream's session (or token) would still be let in now.
async fn may_still_read(state: &ServerState, credentials: &Credentials, path: &str) -> bool {
    let db = &state.app.db.read;
    let caller = match credentials {
        Credentials::Session(token) => match sessions::find(db, token).await {
            Ok(Some(found))
                if !found.pending
                    && state.auth.sessions.is_alive(
                        found.created_at,
                        found.last_seen_at,
                        state.app.clock.now(),
                    ) =>
            {
                Caller::User {
                    user: found.user,
                    session_id: found.session_id,
                }
            }
            Ok(_) => Caller::Anonymous,
            Err(err) => {
                // A passing database fault does not end a page's stream.
                tracing::warn!(error = %err, "could not recheck a live stream's session");
                return true;
            }
        },
        Credentials::Token(token) => match tokens_db::find(db, token).await {
            Ok(Some(found)) => found.into_caller(),
            Ok(None) => Caller::Anonymous,
            Err(err) => {
                tracing::warn!(error = %err, "could not recheck a live stream's token");
                return true;
            }
        },
    };
    guard::decide(guard::access_for_route(path), &caller).is_ok()
}
