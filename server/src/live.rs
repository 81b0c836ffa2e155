//! The live stream of an incident page: Server-Sent Events carrying the
//! incident's revision, first the current one and then each change. The
//! page fetches the incident again when the revision moves; the browser
//! reconnects by itself after a dropped connection.
use crate::startup::ServerState;
use axum::{
    extract::{Path, State},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
};
use futures_util::{stream, StreamExt};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

pub async fn incident_stream(State(state): State<ServerState>, Path(id): Path<i64>) -> Response {
    // Subscribe before reading the current revision, so no change can fall
    // between the two.
    let receiver = state.app.live.subscribe();
    let read = state.app.db.read.clone();
    let current = match read.acquire().await {
        Ok(mut conn) => app::incidents::db::revision(&mut conn, id)
            .await
            .ok()
            .flatten(),
        Err(_) => None,
    };
    let Some(current) = current else {
        return (axum::http::StatusCode::NOT_FOUND, "No such incident.").into_response();
    };
    let events = stream::unfold(
        (Some(current), receiver, read),
        move |(first, mut rx, read)| async move {
            if let Some(revision) = first {
                return Some((
                    Ok::<_, std::convert::Infallible>(Event::default().data(revision.to_string())),
                    (None, rx, read),
                ));
            }
            loop {
                match rx.recv().await {
                    Ok((incident, revision)) if incident == id => {
                        return Some((
                            Ok(Event::default().data(revision.to_string())),
                            (None, rx, read),
                        ));
                    }
                    Ok(_) => continue,
                    // Missed some: say where the incident is now.
                    Err(RecvError::Lagged(_)) => {
                        let mut conn = read.acquire().await.ok()?;
                        let revision = app::incidents::db::revision(&mut conn, id)
                            .await
                            .ok()
                            .flatten()?;
                        return Some((
                            Ok(Event::default().data(revision.to_string())),
                            (None, rx, read),
                        ));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    // Ends when the server stops, so an open page never holds up shutdown.
    let events = events.take_until(state.app.live.closing());
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
