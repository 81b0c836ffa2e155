//! Builds the application: routes, middleware and state. Binding and
//! serving live in `serve` so tests can drive the router directly.
use crate::{
    http::{access, assets, security},
    state::{leptos_options, ServerState},
};
use app::{auth::AuthState, error::REQUEST_ID_HEADER, shell, state::AppState, App};
use axum::{
    body::Body,
    extract::{Request, State},
    http::HeaderName,
    middleware::from_fn_with_state,
    response::{IntoResponse, Response},
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::{collections::HashSet, sync::Arc};
use tower::ServiceBuilder;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

pub fn router(app_state: AppState, auth: AuthState) -> Router {
    router_with(app_state, auth, crate::http::routes::all())
}

/// Every path pattern the router serves, as the access table writes them:
/// Leptos pages and our own routes.
pub fn served_patterns() -> Vec<String> {
    let (_, served) = patterns(&generate_route_list(App), &crate::http::routes::all());
    let mut all: Vec<String> = served.into_iter().collect();
    all.sort();
    all
}

/// The page patterns, and every pattern served (pages and `own` routes),
/// as the access table writes them.
fn patterns(
    pages: &[leptos_axum::AxumRouteListing],
    own: &[crate::state::Route],
) -> (HashSet<String>, HashSet<String>) {
    let pages: HashSet<String> = pages
        .iter()
        .map(|r| crate::http::routes::table_syntax(r.path()))
        .collect();
    let served = pages
        .iter()
        .cloned()
        .chain(
            own.iter()
                .map(|(p, _)| crate::http::routes::table_syntax(p)),
        )
        .collect();
    (pages, served)
}

/// The router with these routes beside the pages. Tests add one the access
/// table does not name to show it is refused.
pub fn router_with(app_state: AppState, auth: AuthState, own: Vec<crate::state::Route>) -> Router {
    let routes = generate_route_list(App);
    let (pages, served) = patterns(&routes, &own);
    let hooks = app::hooks::ingest::Ingest::start(app_state.db.write.clone());
    let state = ServerState {
        app: app_state,
        auth,
        leptos: leptos_options(),
        pages: Arc::new(pages),
        served: Arc::new(served),
        page_cache: Default::default(),
        hooks,
    };
    let context = provide_request_context(state.app.clone(), state.auth.clone());
    let options = state.leptos.clone();
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    let mut router = Router::new();
    for (path, handler) in own {
        router = router.route(path, handler);
    }
    router
        .leptos_routes_with_context(&state, routes, context, move || shell(options.clone()))
        .fallback(fallback)
        .with_state(state.clone())
        // Our own layer bounds every body, per address (see `limits`).
        .layer(axum::extract::DefaultBodyLimit::disable())
        // Outermost first: give the request an id (or keep the caller's if
        // it is a plain token), open the span that carries it, and echo it.
        .layer(
            ServiceBuilder::new()
                .layer(axum::middleware::map_request(drop_odd_request_id))
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(from_fn_with_state(state.clone(), security::headers))
                .layer(from_fn_with_state(state.clone(), security::same_origin))
                .layer(from_fn_with_state(state.clone(), access::resolve_caller))
                .layer(from_fn_with_state(state.clone(), access::gate))
                // Who may send is decided above, before any body is read.
                .layer(axum::middleware::from_fn(
                    crate::http::limits::bounded_bodies,
                ))
                .layer(from_fn_with_state(
                    state,
                    crate::http::page_cache::incident_pages,
                )),
        )
}

/// What every page render and server function can read from context.
fn provide_request_context(app: AppState, auth: AuthState) -> impl Fn() + Clone + Send + 'static {
    move || {
        provide_context(app.environment);
        provide_context(app.clone());
        provide_context(auth.clone());
    }
}

/// Static files first; anything else renders the app's "not found" page.
async fn fallback(State(state): State<ServerState>, req: Request<Body>) -> Response {
    if let Some(file) = assets::response_for(req.uri().path(), req.headers()) {
        return file;
    }
    let options = state.leptos.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        provide_request_context(state.app.clone(), state.auth.clone()),
        move || shell(options.clone()),
    );
    render(req).await.into_response()
}

/// A proxy's request id is kept so logs line up across hops, but only a
/// short plain token: anything else is dropped and replaced by our own.
async fn drop_odd_request_id(mut req: Request) -> Request {
    let plain = |v: &str| {
        (1..=64).contains(&v.len())
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    };
    let keep = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .is_none_or(|v| v.to_str().is_ok_and(plain));
    if !keep {
        req.headers_mut().remove(REQUEST_ID_HEADER);
    }
    req
}

/// The span around all work for one request: it carries the request id,
/// so every log line of the request has it. The path only: query strings
/// may carry tokens and are never logged.
fn request_span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
}
