//! Requests that change state must come from our own pages, and every
//! response carries the security headers.
use crate::state::ServerState;
use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Refuses a state-changing request whose Origin (or, without one, Referer)
/// is not this site: another site cannot make a signed-in browser post here.
pub async fn same_origin(State(state): State<ServerState>, req: Request, next: Next) -> Response {
    // Reading changes nothing; a bearer token is not sent by a browser on
    // its own, so another site cannot borrow it.
    // Webhook senders are not browsers: their signature is their proof.
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || crate::http::access::bearer_token(&req).is_some()
        || req.uri().path().starts_with("/hooks/")
    {
        return next.run(req).await;
    }
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let allowed = claimed.is_some_and(|c| is_same_origin(c, &state.app.public_url, host));
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(
            origin = claimed.unwrap_or("(none)"),
            "refused a cross-site request"
        );
        (
            StatusCode::FORBIDDEN,
            "Refused: this request did not come from a Muster page (its Origin does not match).",
        )
            .into_response()
    }
}

/// The scheme, host and port of a URL (or an Origin header, which is one).
fn origin_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find('/').unwrap_or(rest.len());
    Some(&url[..url.len() - rest.len() + end])
}

/// Same origin as the configured public address, or as the Host the
/// browser addressed (a proxy that keeps Host, or a local address).
fn is_same_origin(claimed: &str, public_url: &str, host: Option<&str>) -> bool {
    let Some(origin) = origin_of(claimed) else {
        return false;
    };
    if origin_of(public_url) == Some(origin) {
        return true;
    }
    let origin_host = origin.split_once("://").map(|(_, h)| h);
    host.is_some() && origin_host == host
}

pub async fn headers(State(state): State<ServerState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    // Pages set their own policy with the script nonce; everything else
    // (JSON, files, errors) needs nothing at all.
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    if state.auth.sessions.secure {
        set(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_compared_by_scheme_host_and_port() {
        let public = "https://muster.example.com";
        assert!(is_same_origin("https://muster.example.com", public, None));
        assert!(is_same_origin(
            "https://muster.example.com/notes?x=1",
            public,
            None
        ));
        assert!(!is_same_origin(
            "https://muster.example.com.evil.test",
            public,
            None
        ));
        assert!(!is_same_origin("http://muster.example.com", public, None));
        assert!(!is_same_origin("null", public, None));
        assert!(is_same_origin(
            "http://127.0.0.1:3000",
            "http://localhost:3000",
            Some("127.0.0.1:3000")
        ));
        assert!(!is_same_origin(
            "http://evil.test",
            "http://localhost:3000",
            Some("127.0.0.1:3000")
        ));
    }
}
