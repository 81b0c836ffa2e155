//! What every route handler and middleware reads: the application state,
//! the Leptos settings, and the paths the router serves (so the gate can
//! refuse a route the access table forgot). Handlers and startup both
//! import this; nothing here imports them.
use app::{auth::AuthState, state::AppState};
use axum::{extract::FromRef, routing::MethodRouter};
use leptos::prelude::LeptosOptions;
use std::{collections::HashSet, sync::Arc};

/// A path in the router's syntax (`{id}`) and what answers it: each
/// route module gives its own, `http::routes::all` gathers them.
pub type Route = (&'static str, MethodRouter<ServerState>);

#[derive(Clone, Debug)]
pub struct ServerState {
    pub app: AppState,
    /// The access domain's part (sessions, hashing, throttles, ...).
    pub auth: AuthState,
    pub leptos: LeptosOptions,
    /// The path patterns Leptos renders as pages (`:id` for one segment).
    pub pages: Arc<HashSet<String>>,
    /// Every path pattern the router serves: the pages and our own routes.
    pub served: Arc<HashSet<String>>,
    /// Incident pages rendered a moment ago.
    pub page_cache: crate::http::page_cache::store::PageCache,
    /// The webhook deliveries' writer.
    pub hooks: app::hooks::ingest::Ingest,
}

impl ServerState {
    pub fn is_page(&self, path: &str) -> bool {
        self.pages
            .iter()
            .any(|page| app::auth::guard::matches(page, path))
    }

    /// Whether the router has a page or route for this path (anything else
    /// falls through to static files and the "not found" page).
    pub fn serves(&self, path: &str) -> bool {
        self.served
            .iter()
            .any(|pattern| app::auth::guard::matches(pattern, path))
    }
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos.clone()
    }
}

/// Leptos settings are fixed by how Muster is built, not configured by users.
pub fn leptos_options() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("muster")
        .site_pkg_dir("pkg")
        .build()
}
