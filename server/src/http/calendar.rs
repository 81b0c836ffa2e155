//! The drill calendar feed at `/drills/calendar.ics?key=…`: calendar apps
//! cannot sign in, so the person's secret key is the proof. An unknown,
//! replaced or disabled key gets 404, the same as no key, so the answer
//! says nothing about which keys exist.
use crate::state::ServerState;
use app::drills::calendar;
use axum::{
    extract::{Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use std::collections::HashMap;

pub fn routes() -> Vec<crate::state::Route> {
    vec![(calendar::PATH, axum::routing::get(feed))]
}

async fn feed(
    State(state): State<ServerState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "No such calendar.").into_response();
    // A key is 43 characters; anything much longer is not one.
    let Some(key) = q.get("key").filter(|k| !k.is_empty() && k.len() <= 100) else {
        return not_found();
    };
    let Ok(mut conn) = state.app.db.read.acquire().await else {
        return (StatusCode::SERVICE_UNAVAILABLE, "Try again shortly.").into_response();
    };
    match calendar::feed(&mut conn, key, &state.app.public_url, state.app.clock.now()).await {
        Ok(Some(text)) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                // Each person's own: no shared cache may keep it.
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            text,
        )
            .into_response(),
        Ok(None) => not_found(),
        Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
    }
}
