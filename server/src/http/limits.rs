//! How large a request body may be: 1 MB everywhere except the events
//! upload (100 MB, streamed to disk) and the plans import, whose own 5 MB limit on the file (sent form-encoded, so up to
//! three times larger on the wire) must be the one a person meets. Past the
//! limit the answer is 413 with a message saying what the limit is. Limits
//! apply after the access gate: a caller who may not send is refused
//! before any of the body is read.
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
/// The largest events file the page takes (larger ones: `muster import`).
pub const MAX_UPLOAD: u64 = 100 << 20;
pub const IMPORT_BODY_LIMIT: usize = 16 << 20;
/// Bodies sent in chunks are gathered whole up to this limit; past it they
/// are streamed (only the upload's limit is larger).
const BUFFER_LIMIT: usize = IMPORT_BODY_LIMIT;

/// The limit for a path.
pub fn body_limit(path: &str) -> usize {
    match path {
        "/api/plans/import" => IMPORT_BODY_LIMIT,
        // The events file, and room for the form around it.
        "/event-files" => MAX_UPLOAD as usize + (1 << 20),
        _ => BODY_LIMIT,
    }
}

/// Runs after the access gate, so a body is only ever read for a caller
/// the access table admits: nobody who may not send gets a byte of it read,
/// and an upload's large limit is granted only to those who may upload.
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
        // With no length to check, a large limit (the upload) streams on
        // through a counting limit: the handler reads it piece by piece and
        // meets an error past the limit, and nothing holds it whole.
        None if limit > BUFFER_LIMIT => {
            let (parts, body) = req.into_parts();
            let paced = Body::from_stream(OnePerPoll {
                inner: body.into_data_stream(),
                gave: false,
            });
            let limited = Body::new(http_body_util::Limited::new(paced, limit));
            next.run(Request::from_parts(parts, limited)).await
        }
        // A small limit is read here, so the 413 names it, and passed on whole.
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

/// Hands on a streamed body one piece per poll. The multipart reader takes
/// everything that is ready whenever it is polled: from a sender faster
/// than the disk, that could be the whole upload in memory. Given one
/// piece at a time, it writes each to disk before it reads the next.
struct OnePerPoll<S> {
    inner: S,
    gave: bool,
}

impl<S: futures_util::Stream + Unpin> futures_util::Stream for OnePerPoll<S> {
    type Item = S::Item;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<S::Item>> {
        let this = self.get_mut();
        if this.gave {
            // Not yet: let the reader use what it has, then ask again.
            this.gave = false;
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        let next = std::pin::Pin::new(&mut this.inner).poll_next(cx);
        this.gave = matches!(next, std::task::Poll::Ready(Some(_)));
        next
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
