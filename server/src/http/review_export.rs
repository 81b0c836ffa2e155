//! A review as files: Markdown, JSON and a printable page. A published
//! review exports the version kept when it was published (or the one
//! `?version=N` asks for); a review not yet published exports as it
//! stands. The route table lets everyone signed in read them.
use crate::{
    http::export::{download, refused},
    state::ServerState,
};
use app::{error::AppError, reviews::doc::Doc};
use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

pub fn routes() -> Vec<crate::state::Route> {
    use axum::routing::get;
    vec![
        ("/reviews/{id}/review.md", get(markdown)),
        ("/reviews/{id}/review.json", get(json)),
        ("/reviews/{id}/print", get(print)),
    ]
}

#[derive(Deserialize)]
pub struct Version {
    version: Option<i64>,
}

async fn doc(state: &ServerState, id: i64, version: Option<i64>) -> Result<Doc, AppError> {
    let mut conn = state.app.db.read.acquire().await?;
    let today = state.app.clock.now().date_naive();
    app::reviews::doc::load(&mut conn, id, version, today).await
}

async fn markdown(
    State(state): State<ServerState>,
    Path(id): Path<i64>,
    Query(q): Query<Version>,
) -> Response {
    match doc(&state, id, q.version).await {
        Ok(d) => download(
            "text/markdown; charset=utf-8",
            format!("review-{id}-v{}.md", d.version),
            Body::from(d.markdown()),
        ),
        Err(e) => refused(e),
    }
}

async fn json(
    State(state): State<ServerState>,
    Path(id): Path<i64>,
    Query(q): Query<Version>,
) -> Response {
    let made = doc(&state, id, q.version).await.and_then(|d| {
        Ok((
            d.version,
            serde_json::to_string_pretty(&d).map_err(AppError::internal)?,
        ))
    });
    match made {
        Ok((version, body)) => download(
            "application/json",
            format!("review-{id}-v{version}.json"),
            Body::from(body),
        ),
        Err(e) => refused(e),
    }
}

/// The printable page, under a policy that allows its own inline style
/// (by nonce) and nothing else: no script, no outside images.
async fn print(
    State(state): State<ServerState>,
    Path(id): Path<i64>,
    Query(q): Query<Version>,
) -> Response {
    let nonce = app::auth::sessions::new_token();
    let page = doc(&state, id, q.version)
        .await
        .and_then(|d| app::reviews::print::html(&d, &nonce));
    match page {
        Ok(html) => {
            let policy = format!(
                "default-src 'none'; style-src 'nonce-{nonce}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
            );
            let mut res =
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
            if let Ok(v) = HeaderValue::from_str(&policy) {
                res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
            }
            res
        }
        Err(e) => refused(e),
    }
}
