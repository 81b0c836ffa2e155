//! Who is calling and whether they may: the session is resolved once per
//! request, then the route table in `app::auth::guard` decides for pages
//! and routes (server functions apply the same table themselves).
use crate::state::ServerState;
use app::{
    audit::{self, NewEntry, Outcome},
    auth::{
        client::{self, ClientAddr},
        guard::{self, PageRefused, Refusal},
        mfa::{MfaSetupRequired, PendingMfa},
        sessions, tokens_db, users, Caller, Role,
    },
    error::AppError,
};
use axum::{
    extract::{Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use chrono::Duration;

/// How stale `last_seen_at` may get before a request refreshes it: one
/// write a minute per session at most, not one per request.
const TOUCH_EVERY: Duration = Duration::seconds(60);
const PENDING_FOR: Duration = Duration::minutes(5);

pub async fn resolve_caller(
    State(state): State<ServerState>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(client) = client_addr(&state, &req) {
        req.extensions_mut().insert(client);
    }
    let policy = state.auth.sessions;
    let token = session_token(&req, policy.cookie_name());
    let mut caller = Caller::Anonymous;
    if let Some(bearer) = bearer_token(&req) {
        // A token speaks for itself: no cookie is consulted beside it.
        caller = token_caller(&state, &bearer).await;
    } else if let Some(token) = token {
        match sessions::find(&state.app.db.read, &token).await {
            Ok(Some(found)) => {
                let now = state.app.clock.now();
                // A session waiting for its second step lives five minutes.
                let alive = if found.pending {
                    now - found.created_at < PENDING_FOR
                } else {
                    policy.is_alive(found.created_at, found.last_seen_at, now)
                };
                if !alive {
                    if let Err(err) = sessions::delete(&state.app.db.write, found.session_id).await
                    {
                        tracing::warn!(error = %err, "could not remove an expired session");
                    }
                } else if found.pending {
                    req.extensions_mut().insert(PendingMfa {
                        session_id: found.session_id,
                        user: found.user,
                    });
                } else {
                    if now - found.last_seen_at > TOUCH_EVERY {
                        if let Err(err) =
                            sessions::touch(&state.app.db.write, found.session_id, now).await
                        {
                            tracing::warn!(error = %err, "could not refresh a session");
                        }
                    }
                    let must_enrol = !found.mfa_enabled
                        && found.user.role >= Role::Editor
                        && state
                            .auth
                            .require_mfa
                            .load(std::sync::atomic::Ordering::Relaxed);
                    if must_enrol {
                        req.extensions_mut().insert(MfaSetupRequired);
                    }
                    caller = Caller::User {
                        user: found.user,
                        session_id: found.session_id,
                    };
                }
            }
            Ok(None) => {}
            Err(err) => tracing::error!(error = %err, "could not look up a session"),
        }
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// The client's address: the connection's peer, or, when that is a trusted
/// proxy, the address it names in `X-Forwarded-For`.
fn client_addr(state: &ServerState, req: &Request) -> Option<ClientAddr> {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    Some(ClientAddr(client::client_address(
        peer,
        &forwarded,
        &state.auth.trusted_proxies,
    )))
}

/// The session token in the request's cookies, if there is one.
pub fn session_token(req: &Request, cookie_name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| sessions::token_from_cookie_header(h, cookie_name))
}

/// The token in an `Authorization: Bearer` header, if there is one.
pub fn bearer_token(req: &Request) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
}

async fn token_caller(state: &ServerState, bearer: &str) -> Caller {
    match tokens_db::find(&state.app.db.read, bearer).await {
        Ok(Some(found)) => {
            let now = state.app.clock.now();
            if found.last_used.is_none_or(|t| now - t > TOUCH_EVERY) {
                if let Err(err) = tokens_db::touch(&state.app.db.write, found.id, now).await {
                    tracing::warn!(error = %err, "could not record a token's use");
                }
            }
            found.into_caller()
        }
        Ok(None) => Caller::Anonymous,
        Err(err) => {
            tracing::error!(error = %err, "could not look up a token");
            Caller::Anonymous
        }
    }
}

/// Applies the route table to pages and routes. Anonymous visitors are sent
/// to sign in (or to the first-run setup when there is no account yet);
/// a page the role does not allow renders as "Not allowed".
pub async fn gate(State(state): State<ServerState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if req.extensions().get::<MfaSetupRequired>().is_some() && !open_while_enrolling(&path) {
        return if path.starts_with("/api/") {
            (StatusCode::FORBIDDEN, axum::Json(AppError::Forbidden)).into_response()
        } else {
            Redirect::to("/account#mfa").into_response()
        };
    }
    if path.starts_with("/api/") {
        return gate_server_fn(&state, &path, req, next).await;
    }
    if path.starts_with("/pkg/") {
        return next.run(req).await;
    }
    let caller = req
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_default();
    let Some(access) = guard::access_for_route(&path) else {
        if !state.serves(&path) {
            // Static files and the "not found" page.
            return next.run(req).await;
        }
        // Served, but the access table does not say who may: nobody may.
        tracing::error!(path = %path, "a route has no entry in the access table; refused");
        return match guard::decide(None, &caller) {
            Err(Refusal::SignInRequired) => {
                (StatusCode::UNAUTHORIZED, "Sign in to continue.").into_response()
            }
            _ => (StatusCode::FORBIDDEN, "Your role does not allow this.").into_response(),
        };
    };
    let is_page = state.is_page(&path);
    let signed_in = caller.user().is_some();
    // The two doors swap places once someone has signed in or an account exists.
    if path == "/sign-in" && signed_in {
        return Redirect::to("/").into_response();
    }
    if path == "/setup" && has_accounts(&state).await {
        return Redirect::to(if signed_in { "/" } else { "/sign-in" }).into_response();
    }
    match guard::decide(Some(access), &caller) {
        Ok(()) => next.run(req).await,
        Err(Refusal::SignInRequired) if is_page && req.method() == Method::GET => {
            if has_accounts(&state).await {
                Redirect::to(&format!(
                    "/sign-in?next={}",
                    app::fields::query_value(&path)
                ))
                .into_response()
            } else {
                Redirect::to("/setup").into_response()
            }
        }
        Err(Refusal::SignInRequired) => {
            (StatusCode::UNAUTHORIZED, "Sign in to continue.").into_response()
        }
        // A page shows "Not allowed"; anything else (a POST to a route whose
        // path a page pattern also matches) is refused before it runs.
        Err(Refusal::Forbidden) if is_page && req.method() == Method::GET => {
            req.extensions_mut().insert(PageRefused);
            next.run(req).await
        }
        Err(Refusal::Forbidden) => {
            (StatusCode::FORBIDDEN, "Your role does not allow this.").into_response()
        }
    }
}

/// Server functions are refused before their arguments are even read; the
/// function applies the same table again when it runs.
async fn gate_server_fn(state: &ServerState, path: &str, req: Request, next: Next) -> Response {
    let caller = req
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_default();
    let Err(refusal) = guard::decide(guard::access_for_server_fn(path), &caller) else {
        // The error type sets its own status (app::error::AppError::ser).
        return next.run(req).await;
    };
    let request_id = req
        .headers()
        .get(app::error::REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (db, refusals, now) = (&state.app.db, &state.auth.refusals, state.app.clock.now());
    let entry = NewEntry::new(
        caller.audit_name(),
        "access.denied",
        path,
        Outcome::Denied,
        now,
    )
    .because(match refusal {
        Refusal::SignInRequired => "not signed in",
        Refusal::Forbidden => "role does not allow it",
    });
    let client = req
        .extensions()
        .get::<ClientAddr>()
        .map(|c| c.0.to_string())
        .unwrap_or_default();
    if let Err(err) = audit::record_refusal(db, refusals, &client, entry, now, &request_id).await {
        tracing::error!(error = %err, "could not record a refusal in the audit log");
    }
    let plain_form = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let error = match refusal {
        Refusal::SignInRequired if plain_form => return Redirect::to("/sign-in").into_response(),
        Refusal::SignInRequired => AppError::SignInRequired,
        Refusal::Forbidden => AppError::Forbidden,
    };
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::FORBIDDEN);
    (status, axum::Json(error)).into_response()
}

/// What someone who must set up two-step sign-in may still reach.
fn open_while_enrolling(path: &str) -> bool {
    path == "/account"
        || path.starts_with("/api/account/")
        || path.starts_with("/api/auth/")
        || path.starts_with("/sign-in")
        || path.starts_with("/pkg/")
        || path == "/healthz"
}

async fn has_accounts(state: &ServerState) -> bool {
    match users::count(&state.app.db.read).await {
        Ok(n) => n > 0,
        Err(err) => {
            tracing::error!(error = %err, "could not count accounts");
            // Fail closed: never offer the first-run setup when unsure.
            true
        }
    }
}

/// A route's own second check, after the gate: the caller the gate
/// resolved, if the route table lets them use `pattern` (else answer
/// [`forbidden`]). Routes that act (uploads, drills) check twice so a gate
/// mistake is not the only thing between a viewer and the action.
pub fn recheck(req: &Request, pattern: &str) -> Option<Caller> {
    let caller = req
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_default();
    guard::decide(guard::access_for_route(pattern), &caller)
        .is_ok()
        .then_some(caller)
}

/// The answer to a caller [`recheck`] refused.
pub fn forbidden() -> Response {
    (StatusCode::FORBIDDEN, "Your role does not allow this.").into_response()
}
