//! The site's CSS, JS and WASM. A release build embeds them, so the one
//! binary is a complete deployment; a debug build reads them from disk.
use axum::{
    body::Body,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../target/site/"]
#[allow_missing = true]
struct Site;

/// The embedded file at this request path, if there is one.
pub fn response_for(path: &str, if_none_match: Option<&HeaderValue>) -> Option<Response> {
    let file = Site::get(path.trim_start_matches('/'))?;
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    if if_none_match.and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Some(StatusCode::NOT_MODIFIED.into_response());
    }
    let mime = file.metadata.mimetype().to_owned();
    Response::builder()
        .header(header::CONTENT_TYPE, mime)
        .header(header::ETAG, etag)
        // Names are not content-hashed: revalidate every time, cheaply by ETag.
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from(file.data.into_owned()))
        .ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
