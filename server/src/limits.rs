//! How large a request body may be: 1 MB everywhere except the events
//! upload (100 MB, streamed to disk) and the plans import, whose own 5 MB limit on the file (sent form-encoded, so up to
//! three times larger on the wire) must be the one a person meets. Past the
//! limit the answer is 413 with a message saying what the limit is, before
//! anything reads the body.
use app::error::AppError;
use axum::{
    body::{Body, HttpBody},
    extract::Request,
    http::{header, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use futures_util::StreamExt;

pub const BODY_LIMIT: usize = 1 << 20;
pub const IMPORT_BODY_LIMIT: usize = 16 << 20;

/// The limit for a path.
pub fn body_limit(path: &str) -> usize {
    match path {
        "/api/plans/import" => IMPORT_BODY_LIMIT,
        // The events file, and room for the form around it.
        "/event-files" => crate::event_upload::MAX_UPLOAD as usize + (1 << 20),
        _ => BODY_LIMIT,
    }
}

pub async fn bounded_bodies(req: Request, next: Next) -> Response {
    let limit = body_limit(req.uri().path());
    // A declared length (hyper holds the body to it), or none for a body
    // sent in chunks.
    let declared = req.body().size_hint().exact().or_else(|| {
        req.headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
    });
    match declared {
        Some(length) if length > limit as u64 => too_large(req.uri().path(), limit),
        Some(_) => next.run(req).await,
        // With no length to check, read the body here, up to the limit,
        // and pass it on whole.
        None => {
            let path = req.uri().path().to_owned();
            let (parts, body) = req.into_parts();
            let mut stream = body.into_data_stream();
            let mut read = Vec::new();
            while let Some(chunk) = stream.next().await {
                let Ok(chunk) = chunk else {
                    return (
                        StatusCode::BAD_REQUEST,
                        "The request body could not be read.",
                    )
                        .into_response();
                };
                if read.len() + chunk.len() > limit {
                    return too_large(&path, limit);
                }
                read.extend_from_slice(&chunk);
            }
            next.run(Request::from_parts(parts, Body::from(read))).await
        }
    }
}

fn too_large(path: &str, limit: usize) -> Response {
    let error = AppError::TooLarge {
        limit: format!("{} MB", limit >> 20),
    };
    if path.starts_with("/api/") {
        (StatusCode::PAYLOAD_TOO_LARGE, axum::Json(error)).into_response()
    } else {
        (StatusCode::PAYLOAD_TOO_LARGE, error.to_string()).into_response()
    }
}
