//! The site's CSS, JS and WASM. A release build embeds them (with gzip and
//! brotli copies made by the build), so the one binary is a complete
//! deployment; a debug build reads them from disk.
use axum::{
    body::Body,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../target/site/"]
#[allow_missing = true]
struct Site;

/// The file whose absence means the build embedded no site (the server was
/// compiled before the site was built).
const WASM: &str = "pkg/muster.wasm";

/// Whether the browser half of Muster is present in this build.
pub fn site_is_complete() -> bool {
    Site::get(WASM).is_some() && Site::get("pkg/muster.js").is_some()
}

/// Precompressed variants in order of preference: suffix and encoding.
const ENCODINGS: [(&str, &str); 2] = [(".br", "br"), (".gz", "gzip")];

/// The embedded file at this request path, if there is one.
pub fn response_for(path: &str, headers: &HeaderMap) -> Option<Response> {
    let name = path.trim_start_matches('/');
    let original = Site::get(name)?;
    let mime = original.metadata.mimetype().to_owned();
    let accepted = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (file, encoding) = ENCODINGS
        .iter()
        .filter(|(_, encoding)| accepts(accepted, encoding))
        .find_map(|(suffix, encoding)| {
            Site::get(&format!("{name}{suffix}")).map(|f| (f, Some(*encoding)))
        })
        .unwrap_or((original, None));
    let etag = format!(
        "\"{}{}\"",
        hex::encode(&file.metadata.sha256_hash()[..16]),
        encoding.map(|e| format!("-{e}")).unwrap_or_default()
    );
    let vary = HeaderValue::from_static("accept-encoding");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return Some((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let mut res = Response::builder()
        .header(header::CONTENT_TYPE, mime)
        .header(header::ETAG, etag)
        .header(header::VARY, vary)
        // Names are not content-hashed: revalidate every time, cheaply by ETag.
        .header(header::CACHE_CONTROL, "no-cache");
    if let Some(encoding) = encoding {
        res = res.header(header::CONTENT_ENCODING, encoding);
    }
    res.body(Body::from(file.data.into_owned())).ok()
}

/// Whether an Accept-Encoding value allows `encoding` (q=0 refuses it).
fn accepts(accept_encoding: &str, encoding: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        let refused = parts.any(
            |p| matches!(p.strip_prefix("q="), Some(q) if q.parse::<f32>().is_ok_and(|q| q <= 0.0)),
        );
        name.eq_ignore_ascii_case(encoding) && !refused
    })
}

#[cfg(test)]
mod tests {
    use super::accepts;

    #[test]
    fn accept_encoding_is_read_token_by_token() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("gzip;q=0.8", "gzip"));
        assert!(!accepts("br;q=0, gzip", "br"));
        assert!(!accepts("", "gzip"));
        assert!(!accepts("x-gzip-like", "gzip"));
    }
}
