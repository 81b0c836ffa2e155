//! `POST /hooks/{name}`: signed webhook deliveries. The body is bounded by
//! `limits` (413 past 1 MB) before it is read; everything else (source,
//! network, signature, body, storing) is the hooks domain's `ingest`. The
//! answer is a status and a few words: never the secret, the signature or
//! the body.
use crate::state::ServerState;
use app::{auth::client::ClientAddr, hooks::ingest::Request};
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

pub fn routes() -> Vec<crate::state::Route> {
    vec![("/hooks/{name}", axum::routing::post(receive))]
}

async fn receive(
    State(state): State<ServerState>,
    Path(name): Path<String>,
    req: axum::extract::Request,
) -> Response {
    let client = req.extensions().get::<ClientAddr>().map(|c| c.0);
    let (parts, body) = req.into_parts();
    let headers: HeaderMap = parts.headers;
    // `limits` bounded the body before this point.
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return (StatusCode::BAD_REQUEST, "the body could not be read").into_response();
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let request = Request {
        source: &name,
        header: &header,
        body: &body,
        client,
    };
    let answer = state
        .hooks
        .receive(
            &state.app.db,
            &state.auth.secret_key,
            request,
            state.app.clock.now(),
        )
        .await;
    if let Some(challenge) = answer.challenge {
        return Json(serde_json::json!({ "challenge": challenge })).into_response();
    }
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, answer.text).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}
